/* Triple fault without any IDT (the IDTR of the Multiboot entry state):
 * loading DS with a selector past the empty GDT raises #GP. */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    movl $stack_top, %esp
    movw $0x1234, %ax
    .globl fault_here
fault_here:
    movw %ax, %ds
    EXIT(0x7f)

    .bss
    .align 16
    .space 4096
stack_top:
