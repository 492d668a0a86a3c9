/* HLT with IF = 0: halted for ever (exit status 8). */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    cli
    .globl hlt_here
hlt_here:
    hlt
    EXIT(0x7f)
