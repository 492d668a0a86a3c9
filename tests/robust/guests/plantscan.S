/* Plants the marker and scans for it in the same VM (isolation.h): exit 0
 * (status 1) when the scan found it, 1 (status 3) when not: the scan sees
 * what is there. */
#include "mb.h"
#include "isolation.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    PLANT
    SCAN
    testl %edi, %edi
    jz missed
    EXIT(0)
missed:
    EXIT(1)
