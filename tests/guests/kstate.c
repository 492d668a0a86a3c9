/* kstate: what the kernel (ring 0) sees of its own state, where a binary
 * translator could leak its own (issue 15, "Exactness": no translation-cache
 * address in a register, on the stack, in a frame or a fault's EIP): the
 * return address CALL pushed (direct, through a register, through memory),
 * the kernel's own code bytes read as data, RET to a pushed address; the
 * EIP and registers in the frame of a #DE, a #GP and an INT in the middle
 * of a block; PUSHF after CLI, STI and POPF; MOV and PUSH from CS and SS;
 * where a pending interrupt comes in after POPF and STI set IF, and that
 * POPF clearing IF holds it back; and the frames of timer interrupts that
 * arrive in a loop: each EIP an instruction of the loop, the registers as
 * they were right there. Nothing printed depends on when a tick came. */
#include "rt.h"

const char guest_name[] = "kstate";

struct rec {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vec, err, eip, cs, eflags;
};
extern volatile struct rec recs[8];
extern volatile uint32_t nrec, kticks, k_limit, k_popf_off_nrec;

extern char k_de_stub[], k_gp_stub[], k_int_stub[], k_irq_stub[];
extern char k_call_direct_ret[], k_call_reg_ret[], k_call_mem_ret[], k_arg_addr_ret[];
extern char k_de_at[], k_gp_at[], k_int_next[], k_popf_after[], k_sti_after[];
extern char k_loop_0[], k_loop_1[], k_loop_2[], k_loop_3[];
uint32_t k_call_direct(void), k_call_reg(void), k_call_mem(void), k_arg_addr(void);
uint32_t k_ret_pushed(void), k_code_bytes(void);
void k_de(void), k_gp(void), k_int(void), k_flags(uint32_t out[5]), k_sregs(uint32_t out[4]);
void k_popf_on(void), k_sti_on(void), k_popf_off(void), k_loop(void);

#define EFL(f) ((f) & ~FL_RF)   /* RF: the SDM sets it in a fault's frame, QEMU does not */

static void calls(void)
{
    puts_("call and ret\n");
    check("call rel32 pushed its next address", k_call_direct() - (uint32_t)k_call_direct_ret, 0);
    check("call *%edx pushed its next address", k_call_reg() - (uint32_t)k_call_reg_ret, 0);
    check("call *m32 pushed its next address", k_call_mem() - (uint32_t)k_call_mem_ret, 0);
    check("(%esp) in the called function", k_arg_addr() - (uint32_t)k_arg_addr_ret, 0);
    check("ret to a pushed address", k_ret_pushed(), 0x600d);
    check("own code read as data (mov $0x12345678)", k_code_bytes(), 0x12345678);
}

/* The one record a fault or INT left: vector, error code, EIP relative to
 * `at`, CS, EFLAGS, and one register. */
static void check_rec(const char *what, uint32_t vec, uint32_t err, const char *at,
                      uint32_t eflags, const char *reg, uint32_t got, uint32_t want)
{
    volatile struct rec *r = &recs[0];
    kprintf("  %s: records=%u vec=%02x err=%04x eip=%s cs=%04x efl=%08x %s=%08x", what, nrec, r->vec,
            r->err, r->eip == (uint32_t)at ? "ok" : "WRONG", r->cs & 0xffff, EFL(r->eflags), reg, got);
    verdict(nrec == 1 && r->vec == vec && r->err == err && r->eip == (uint32_t)at &&
            (r->cs & 0xffff) == SEL_KCODE && EFL(r->eflags) == eflags && got == want);
}

static void faults_mid_block(void)
{
    puts_("a fault or INT in the middle of a block: its frame and registers\n");
    nrec = 0;
    k_de();
    check_rec("#DE at the div", 0, 0, k_de_at, FL_1, "esi", recs[0].esi, 2);
    kprintf("  #DE: eax=%08x then", recs[0].eax);
    verdict(recs[0].eax == 7);
    nrec = 0;
    k_gp();
    check_rec("#GP(1230) at mov %ax,%ds", 13, 0x1230, k_gp_at, FL_1 | FL_PF, "edi", recs[0].edi, 0xabd);
    nrec = 0;
    k_int();
    check_rec("int $0x41: eip after it", 0x41, 0, k_int_next, FL_1 | FL_PF, "ebx", recs[0].ebx, 0x41414141);
}

static void flags_sregs(void)
{
    uint32_t f[5], s[4];
    puts_("pushf and popf in ring 0 (every IRQ masked)\n");
    k_flags(f);
    check("pushf after cli", f[0] & (FL_IF | FL_IOPL), 0);
    check("pushf after sti", f[1] & (FL_IF | FL_IOPL), FL_IF);
    check("pushf after popf 00000002", f[2], FL_1);
    check("pushf after popf 00000202", f[3], FL_1 | FL_IF);
    check("pushf after popf 00001002 (IOPL 1)", f[4], FL_1 | 0x1000);
    puts_("segment registers read in ring 0\n");
    k_sregs(s);
    check("mov %cs, %ax", s[0], 0xffff0000 | SEL_KCODE);
    check("mov %ss, %ax", s[1], 0xffff0000 | SEL_KDATA);
    check("push %cs (low 16 bits)", s[2], SEL_KCODE);
    check("push %ss (low 16 bits)", s[3], SEL_KDATA);
}

/* Runs fn with IRQ0 unmasked until `limit` ticks were taken (the handler
 * masks it then), from no records. */
static void with_irq0(uint32_t limit, void (*fn)(void))
{
    nrec = 0;
    kticks = 0;
    k_limit = limit;
    pic_set_mask(0xFE, 0xFF);
    fn();
    pic_set_mask(0xFF, 0xFF);
}

/* One tick taken by k_popf_on or k_sti_on: its frame's EIP. */
static void one_tick(const char *what, void (*fn)(void), const char *after)
{
    with_irq0(1, fn);
    kprintf("  %s: ticks=%u frame eip %s, IF in the frame %u", what, kticks,
            recs[0].eip == (uint32_t)after ? "right there" : "ELSEWHERE", (recs[0].eflags >> 9) & 1);
    verdict(nrec == 1 && recs[0].vec == VEC_IRQ0 && recs[0].eip == (uint32_t)after &&
            (recs[0].eflags & FL_IF));
}

static void interrupts(void)
{
    puts_("a pending IRQ0 and IF (PIT every 1193 ticks of its clock)\n");
    pit_periodic(1193);
    one_tick("popf sets IF: IRQ0 right after the popf", k_popf_on, k_popf_after);
    one_tick("sti: IRQ0 after the next instruction", k_sti_on, k_sti_after);
    with_irq0(1, k_popf_off);
    kprintf("  popf clears IF: held back through a loop (%u ticks), taken after sti (%u)",
            k_popf_off_nrec, nrec);
    verdict(k_popf_off_nrec == 0 && nrec == 1);

    puts_("IRQ0 arriving in a loop, 3 times\n");
    with_irq0(3, k_loop);
    int in_loop = 1, regs = 1;
    for (uint32_t k = 0; k < nrec; k++) {
        volatile struct rec *r = &recs[k];
        if (r->eip == (uint32_t)k_loop_1)
            regs &= r->ecx == r->edx + 1;
        else if (r->eip == (uint32_t)k_loop_0 || r->eip == (uint32_t)k_loop_2 ||
                 r->eip == (uint32_t)k_loop_3)
            regs &= r->ecx == r->edx;
        else
            in_loop = 0;
        regs &= (r->cs & 0xffff) == SEL_KCODE && (r->eflags & FL_IF) != 0;
    }
    kprintf("  %u ticks; each frame's eip an instruction of the loop: %s; ecx, edx, cs, IF as there: %s",
            nrec, in_loop ? "yes" : "NO", regs ? "yes" : "NO");
    verdict(nrec == 3 && in_loop && regs);
}

void guest_main(void)
{
    idt_set(0, (uint32_t)k_de_stub, SEL_KCODE, 0x8E);
    idt_set(13, (uint32_t)k_gp_stub, SEL_KCODE, 0x8E);
    idt_set(0x41, (uint32_t)k_int_stub, SEL_KCODE, 0x8E);
    idt_set(VEC_IRQ0, (uint32_t)k_irq_stub, SEL_KCODE, 0x8E);
    calls();
    faults_mid_block();
    flags_sregs();
    interrupts();
}
