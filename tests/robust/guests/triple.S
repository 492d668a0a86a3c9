/* Triple fault: an IDT of limit 0, then int3. Delivering vector 3 raises
 * #GP, delivering the #GP raises #GP (a double fault), delivering the
 * double fault raises #GP: the run stops with exit status 6. */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    movl $stack_top, %esp
    lidt idt_null
    .globl fault_here
fault_here:
    int3
    EXIT(0x7f)

    .data
idt_null:
    .word 0
    .long 0

    .bss
    .align 16
    .space 4096
stack_top:
