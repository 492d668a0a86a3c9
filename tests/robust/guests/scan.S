/* Scans its whole address space for the marker (isolation.h): exit 0
 * (status 1) when it is nowhere, 1 (status 3) when it was found. */
#include "mb.h"
#include "isolation.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    SCAN
    testl %edi, %edi
    jnz found
    EXIT(0)
found:
    EXIT(1)
