/* bench/bochs/boot.S: a 1.44 MB boot floppy for timing the isprime loop on
 * Bochs. The BIOS loads sector 1 (this boot sector) at 0x7C00; it reads the
 * second stage (the sectors after it, on cylinder 0 head 0) to 0x7E00, opens
 * A20, switches to 32-bit protected mode with flat segments and calls
 * bench_main (stage2.c), which runs guestos's own isprime object file and
 * asks Bochs to quit through its shutdown port. */
#define STAGE2_SECTORS 17          /* sectors 2..18: all of track 0, head 0 */

        .code16
        .section .boot, "ax"
        .globl _start
_start:
        cli
        ljmp    $0, $1f            /* CS:IP = 0000:7Cxx, whatever the BIOS used */
1:      xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7C00, %sp
        movw    $3, %si            /* tries: a floppy read may need a reset */
load:   movw    $0x7E00, %bx       /* ES:BX = destination */
        movw    $(0x0200 | STAGE2_SECTORS), %ax  /* AH = 2 read, AL = count */
        movw    $0x0002, %cx       /* CH = cylinder 0, CL = sector 2 */
        xorb    %dh, %dh           /* DH = head 0, DL = the boot drive */
        int     $0x13
        jnc     loaded
        xorb    %ah, %ah           /* reset the drive, try again */
        int     $0x13
        decw    %si
        jnz     load
        movb    $'F', %al          /* "F": the stage could not be read */
        outb    %al, $0xE9
        hlt
loaded:
        inb     $0x92, %al         /* A20 through the fast gate */
        orb     $2, %al
        andb    $0xFE, %al
        outb    %al, $0x92
        lgdtl   gdtdesc
        movl    %cr0, %eax
        orl     $1, %eax           /* CR0.PE */
        movl    %eax, %cr0
        ljmpl   $0x08, $pm32

        .p2align 3
gdt:    .quad   0
        .quad   0x00CF9A000000FFFF /* 0x08: flat 4 GiB code, DPL 0 */
        .quad   0x00CF92000000FFFF /* 0x10: flat 4 GiB data, DPL 0 */
gdtdesc:
        .word   gdtdesc - gdt - 1
        .long   gdt

        .section .sig, "a"
        .byte   0x55, 0xAA

        .code32
        .text
pm32:   movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        movl    $0x90000, %esp
        movl    $__bss_start, %edi /* zero .bss */
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        xorl    %eax, %eax
        cld
        rep stosb
        call    bench_main
        /* Bochs: the string "Shutdown" written to port 0x8900 ends the
         * simulation (iodev/unmapped.cc). */
        movl    $shutdown, %esi
        movw    $0x8900, %dx
2:      lodsb
        testb   %al, %al
        jz      3f
        outb    %al, %dx
        jmp     2b
3:      cli
        hlt
        jmp     3b

        .section .rodata
shutdown:
        .asciz  "Shutdown"

        .section .note.GNU-stack, "", @progbits
