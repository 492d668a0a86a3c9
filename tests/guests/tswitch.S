/* tswitch: far JMP, far CALL and IRET with NT = 1 that would switch tasks,
 * each stopped by a check the SDM makes first (see tswitch.c). */
#include "rt.h"

    .text
    UPROBE u_jmp_tss0,    FL_1, ljmp $0x33, $0
    UPROBE u_call_tss0,   FL_1, lcall $0x33, $0
    UPROBE u_jmp_gate0,   FL_1, ljmp $0x3b, $0
    UPROBE u_call_gate0,  FL_1, lcall $0x3b, $0
    UPROBE u_jmp_tss_np,  FL_1, ljmp $0x43, $0
    UPROBE u_jmp_gate_np, FL_1, ljmp $0x4b, $0
    UPROBE u_call_gate_busy, FL_1, lcall $0x63, $0
    UPROBE u_iret_nt,     FL_1|FL_NT, iret
    KPROBE k_jmp_short,   FL_1, ljmp $0x58, $0
    KPROBE k_jmp_busy,    FL_1, ljmp $SEL_TSS, $0
    KPROBE k_call_gate_np, FL_1, lcall $0x48, $0

/* void k_iret_nt(void): IRET with NT = 1 in ring 0; NT is cleared after. */
GLOBAL(k_iret_nt)
    pushl $(FL_1 | FL_NT)
    popfl
    ARM 1f, 2f
1:  iret
2:  DISARM
    pushl $FL_1
    popfl
    ret

    .data
    .align 16
GLOBAL(tss2)
    .fill 104, 1, 0
