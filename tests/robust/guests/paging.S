/* Sets CR0.PG: paging is not modelled (exit status 10). */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    movl %cr0, %eax
    orl $0x80000000, %eax
    .globl pg_here
pg_here:
    movl %eax, %cr0
    EXIT(0x7f)
