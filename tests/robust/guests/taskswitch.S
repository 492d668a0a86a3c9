/* A far JMP to a TSS descriptor: task switches are not modelled (exit
 * status 10). */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    lgdt gdt_pd
    .globl ljmp_here
ljmp_here:
    ljmp $0x18, $0
    EXIT(0x7f)

    FLAT_GDT
    .quad 0x0000890000000067        /* 0x18: 32-bit TSS at 0, available */
gdt_pd:
    .word gdt_pd - gdt - 1
    .long gdt
