/* Plants the marker (isolation.h), then computes for about 60 million
 * steps, so that a scanner in another VM runs while it is there; exit 0
 * (status 1). */
#include "mb.h"
#include "isolation.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    PLANT
    movl $30000000, %ecx
1:  decl %ecx
    jnz 1b
    EXIT(0)
