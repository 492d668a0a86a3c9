/* One REP STOSB with ECX = 0xFFFFFFFF into memory above RAM (dropped).
 * x86 takes interrupts between the iterations of a REP string instruction;
 * with --max-insns 100 the run must end at once (exit status 4), not after
 * four billion iterations. */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    cli
    cld
    movl $0x80000000, %edi
    movl $0xffffffff, %ecx
    xorl %eax, %eax
    .globl rep_here
rep_here:
    rep stosb
    EXIT(0x7f)
