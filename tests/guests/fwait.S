/* fwait: WAIT/FWAIT, x87 and MMX escapes under CR0.MP, EM and TS (see
 * fwait.c). */
#include "rt.h"

    .text
    KPROBE k_fwait,  FL_1, fwait
    UPROBE u_fwait,  FL_1, fwait

/* The x87 probes stay out of .text: make test-disasm compares .text with
 * objdump, which names x87 instructions that trapsim (no FPU) decodes as
 * undefined. */
    .section .x87, "ax"
    KPROBE k_fninit, FL_1, fninit
    KPROBE k_fld1,   FL_1, fld1
    KPROBE k_fnstcw, FL_1, fnstcw fpu_scratch
    UPROBE u_fld1,   FL_1, fld1

    .text

/* uint32_t cr0_swap(uint32_t v): CR0 := v, returns the old value. */
GLOBAL(cr0_swap)
    movl %cr0, %eax
    movl 4(%esp), %ecx
    movl %ecx, %cr0
    ret

GLOBAL(cr0_read)
    movl %cr0, %eax
    ret

    .data
fpu_scratch:
    .long 0
