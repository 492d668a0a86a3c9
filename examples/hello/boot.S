/* boot.S: the Multiboot header and the entry of the example guest.
 * The loader (trapsim, QEMU -kernel, GRUB) finds the header in the first
 * 8 KiB of the image (link.ld puts it first), loads the image at 1 MiB and
 * jumps to _start in 32-bit protected mode, CPL 0, interrupts off. */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00000003           /* page-aligned modules, memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    movl $stack_top, %esp
    pushl %ebx                          /* the Multiboot information */
    pushl %eax                          /* the loader's magic, 0x2BADB002 */
    call main                           /* does not return */
1:  cli
    hlt
    jmp 1b

    .bss
    .align 16
    .skip 4096
stack_top:
