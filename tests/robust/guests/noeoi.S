/* The timer's handler never sends EOI: it waits with `sti; hlt` for the
 * next tick, which the PIC holds back behind the one still in service.
 * Halted for ever (exit status 8), not a hang. */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    lgdt gdt_pd
    lidt idt_pd
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %ss
    movl $stack_top, %esp
    movl $tick, %eax                /* IDT[8] (IRQ0 at the PIC's firmware base 0x08) */
    movw %ax, idt + 8 * 8
    shrl $16, %eax
    movw %ax, idt + 8 * 8 + 6
    movb $0x34, %al                 /* PIT channel 0, mode 2, 1193 counts: 1 kHz */
    outb %al, $0x43
    movb $0xa9, %al
    outb %al, $0x40
    movb $0x04, %al
    outb %al, $0x40
    sti
wait:
    hlt
    jmp wait

tick:
    sti
    .globl tick_hlt
tick_hlt:
    hlt
    jmp tick

    FLAT_GDT
gdt_pd:
    .word gdt_pd - gdt - 1
    .long gdt
    .align 8
idt:
    .fill 8, 8, 0
    .word 0, 0x08, 0x8e00, 0        /* 8: interrupt gate, offset filled in */
idt_end:
idt_pd:
    .word idt_end - idt - 1
    .long idt

    .bss
    .align 16
    .space 4096
stack_top:
