/* xlate: XLATE_BLOCKS blocks of kernel code, each 11 `add $imm8, %eax`
 * and a RET, that xlate.c rewrites and runs round after round. */
#include "rt.h"

#define XLATE_BLOCKS 64

    .text
    .align 64
GLOBAL(xlate_blocks)
    .rept XLATE_BLOCKS
    .align 64
    .rept 11
    addl $1, %eax               /* 83 c0 ib: the immediate is at +2 */
    .endr
    ret
    .endr
