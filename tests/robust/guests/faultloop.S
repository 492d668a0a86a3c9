/* An exception handler that faults again at once: the #UD gate points at a
 * UD2. The CPU loops delivering #UD (on hardware too) and no instruction
 * ever retires. The stack starts at 0, so the frames go to 0xFFFFFFF4 and
 * down through the addresses above RAM, where writes are dropped: hundreds
 * of millions of deliveries before they reach RAM and clobber the IDT.
 * With --max-insns 1000 the run must end at once (exit status 4). */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    movl $stack_top, %esp
    lgdt gdtr
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    /* IDT entry 6 (#UD): interrupt gate to ud2_here */
    movl $ud2_here, %eax
    movw %ax, idt + 6 * 8
    movw $0x08, idt + 6 * 8 + 2
    movw $0x8e00, idt + 6 * 8 + 4
    shrl $16, %eax
    movw %ax, idt + 6 * 8 + 6
    lidt idtr
    xorl %esp, %esp
    .globl ud2_here
ud2_here:
    ud2

    FLAT_GDT
gdtr:
    .word 3 * 8 - 1
    .long gdt
    .align 8
idt:
    .space 256 * 8
idtr:
    .word 256 * 8 - 1
    .long idt

    .bss
    .align 16
    .space 65536
stack_top:
