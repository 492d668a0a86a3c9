/* rep-int: a software interrupt right after a long REP string instruction
 * (see rep-int.c). */
#include "rt.h"

#define REPN 0x20001            /* three of trapsim's 65,536-iteration chunks */

/* REPINT name, fl, string, insn: runs `rep string` of REPN bytes through
 * port 0x80, then the probed `insn` with EFLAGS fl; returns ECX. */
.macro REPINT name, fl, string, insn:vararg
GLOBAL(\name)
    pushl %esi
    pushl %edi
    movl $REPN, %ecx
    movl $0x100000, %esi        /* OUTS reads the image */
    movl $rep_buf, %edi         /* INS writes the buffer */
    movw $0x80, %dx
    cld
    pushl $(\fl)
    popfl
    ARM 1f, 2f
    rep \string
1:  \insn
2:  DISARM
    movl %ecx, %eax
    popl %edi
    popl %esi
    ret
.endm

    .text
    REPINT k_outs_int,  FL_1, outsb, int $0x41
    REPINT k_outs_int3, FL_1, outsb, int3
    REPINT k_outs_into, FL_1|FL_OF, outsb, into
    REPINT k_ins_int,   FL_1, insb, int $0x41
    REPINT k_outs_ud2,  FL_1, outsb, ud2

    .bss
    .align 16
rep_buf:
    .fill REPN, 1, 0
