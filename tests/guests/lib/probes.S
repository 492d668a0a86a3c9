/* Probes that more than one guest uses: segment register loads in ring 0
 * and in ring 3 (see ARM in rt.h). After each, the register holds the flat
 * data selector of its ring again. */
#include "rt.h"

    .text
/* void probe_load_ds(uint32_t sel): MOV sel to DS in ring 0. */
GLOBAL(probe_load_ds)
    movl 4(%esp), %eax
    pushl $FL_1
    popfl
    ARM 1f, 2f
1:  movw %ax, %ds
2:  movw $SEL_KDATA, %ax            /* DS first: DISARM writes through it */
    movw %ax, %ds
    DISARM
    ret

/* void probe_load_ss(uint32_t sel): MOV sel to SS in ring 0. */
GLOBAL(probe_load_ss)
    movl 4(%esp), %eax
    pushl $(FL_1 | FL_ZF)
    popfl
    ARM 1f, 2f
1:  movw %ax, %ss
2:  movw $SEL_KDATA, %ax
    movw %ax, %ss
    DISARM
    ret

/* Ring-3 routines for enter_user: MOV u_arg to DS (to SS), EFLAGS 0x202. */
GLOBAL(u_load_ds)
    movl u_arg, %eax
    pushl $(FL_1 | FL_IF)
    popfl
    ARM 1f, 2f
1:  movw %ax, %ds
2:  movw $SEL_UDATA, %ax
    movw %ax, %ds
    DISARM
    movl $0, %ebx
    SYSEXIT

GLOBAL(u_load_ss)
    movl u_arg, %eax
    pushl $(FL_1 | FL_IF | FL_ZF)
    popfl
    ARM 1f, 2f
1:  movw %ax, %ss
2:  movw $SEL_UDATA, %ax
    movw %ax, %ss
    DISARM
    movl $0, %ebx
    SYSEXIT

    .data
    .align 4
    .globl u_arg
u_arg:  .long 0
