/* tswitch: task switches that must not happen. A far JMP or CALL to a TSS
 * or a task gate, and an IRET with NT = 1, are checked before any task
 * switch (SDM JMP, CALL, IRET; vol. 3 7.3, table 7-1): privilege (#GP),
 * presence (#NP), the kind and size of the TSS (#GP, #TS). A ring-3 program
 * gets the fault; only a switch that would really happen is beyond the
 * machine (trapsim stops there: not modelled). Cases where QEMU and the SDM
 * disagree (a task gate naming an LDT selector) are left out. */
#include "rt.h"

const char guest_name[] = "tswitch";

extern char u_jmp_tss0[], u_call_tss0[], u_jmp_gate0[], u_call_gate0[], u_jmp_tss_np[], u_jmp_gate_np[],
    u_call_gate_busy[], u_iret_nt[];
void k_jmp_short(void), k_jmp_busy(void), k_call_gate_np(void), k_iret_nt(void);
extern char tss2[];

/* A task gate naming TSS selector `tss`. */
static uint64_t task_gate(uint16_t tss, int dpl, int present)
{
    uint32_t hi = ((present ? 0x80u : 0) | (uint32_t)(dpl << 5) | 0x05u) << 8;
    return ((uint64_t)hi << 32) | ((uint32_t)tss << 16);
}

static void ucheck(const char *what, char *code, int vec, int err, uint32_t fl)
{
    reset_faults();
    enter_user((uint32_t)code, fl, SEL_UDATA);
    check_fault(what, 3, vec, err, AT, fl);
}

static void kcheck(const char *what, void (*probe)(void), int vec, int err, uint32_t fl)
{
    reset_faults();
    probe();
    check_fault(what, 0, vec, err, AT, fl);
}

void guest_main(void)
{
    uint32_t t = (uint32_t)tss2;
    gdt_set(6, seg_desc(t, 0x67, 0x89, 0));            /* 0x30: TSS, DPL 0, available */
    gdt_set(7, task_gate(0x30, 0, 1));                 /* 0x38: task gate, DPL 0 */
    gdt_set(8, seg_desc(t, 0x67, 0x69, 0));            /* 0x40: TSS, DPL 3, not present */
    gdt_set(9, task_gate(0x50, 3, 1));                 /* 0x48: task gate, DPL 3, to 0x50 */
    gdt_set(10, seg_desc(t, 0x67, 0x09, 0));           /* 0x50: TSS, DPL 0, not present */
    gdt_set(11, seg_desc(t, 0x20, 0x89, 0));           /* 0x58: TSS, limit 0x20: too short */
    gdt_set(12, task_gate(SEL_TSS, 3, 1));             /* 0x60: task gate, DPL 3, to the busy TSS */
    gdt_set(13, seg_desc(t, 0x67, 0x0b, 0));           /* 0x68: TSS, busy, not present */

    puts_("ring 3: far jmp/call to a TSS or task gate\n");
    ucheck("ljmp to a DPL 0 TSS", u_jmp_tss0, 13, 0x30, FL_1);
    ucheck("lcall to a DPL 0 TSS", u_call_tss0, 13, 0x30, FL_1);
    ucheck("ljmp to a DPL 0 task gate", u_jmp_gate0, 13, 0x38, FL_1);
    ucheck("lcall to a DPL 0 task gate", u_call_gate0, 13, 0x38, FL_1);
    ucheck("ljmp to a DPL 3 TSS not present", u_jmp_tss_np, 11, 0x40, FL_1);
    ucheck("ljmp to a task gate, its TSS not present", u_jmp_gate_np, 11, 0x50, FL_1);
    ucheck("lcall to a task gate, its TSS busy", u_call_gate_busy, 13, SEL_TSS, FL_1);
    puts_("ring 3: iret with NT = 1 (a task return)\n");
    tss.link = 0;
    ucheck("link null", u_iret_nt, 10, 0, FL_1 | FL_NT);
    tss.link = 0x30;
    ucheck("link to an available TSS", u_iret_nt, 10, 0x30, FL_1 | FL_NT);
    tss.link = 0x68;
    ucheck("link to a busy TSS not present", u_iret_nt, 11, 0x68, FL_1 | FL_NT);

    puts_("ring 0\n");
    kcheck("ljmp to a TSS of limit 0x20", k_jmp_short, 10, 0x58, FL_1);
    kcheck("ljmp to the busy TSS", k_jmp_busy, 13, SEL_TSS, FL_1);
    kcheck("lcall to a task gate, its TSS not present", k_call_gate_np, 11, 0x50, FL_1);
    tss.link = 0x18;
    kcheck("iret, link to a code segment", k_iret_nt, 10, 0x18, FL_1 | FL_NT);
    tss.link = 0;
}
