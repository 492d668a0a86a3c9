/* The hypervisor interface (cpu/hv.h): a small monitor of the test's own
 * sees each hook at its point of the run loop and steers the machine
 * through it, without a change to the run loop. */
#include "tests/unit/fixture.h"
#include "cpu/dcache.h"

typedef struct mon {
    int delivers, ring0, before, after, halts, ins, outs, step_ends, code_writes, tracked;
    uint32_t tracked_at[8];   /* phys of the first tracked writes */
    int tracked_size[8];
    int take_events;          /* deliver: take every event */
    int take_insns;           /* before_insn: run the instruction itself (skip it, retire it) */
    uint32_t sequence_end;    /* before_insn: run up to here as one step (machine_run_sequence) */
    int hold;                 /* guest_regs: the guest is at 0008:00001234, GS 0x10 */
    uint32_t went_to;         /* guest_goto's EIP */
    int last_vector;
    uint32_t last_eip;
    uint16_t last_port;
    seg_cache_t pre_cs;
} mon_t;

static mon_t mon;

static int m_deliver(void *ctx, machine_t *m, const hv_event_t *ev)
{
    mon_t *t = ctx;
    t->delivers++;
    t->last_vector = ev->vector;
    if (t->take_events)
        machine_stop(m, STOP_QUIT, "taken");
    return t->take_events;
}

static void m_ring0(void *ctx, machine_t *m, const hv_event_t *ev)
{
    mon_t *t = ctx;
    t->ring0++;
    t->pre_cs = ev->pre_cs;
    machine_stop(m, STOP_QUIT, "ring 0");
}

static int m_before(void *ctx, machine_t *m, const isa_insn_t *insn, uint32_t eip)
{
    mon_t *t = ctx;
    t->before++;
    t->last_eip = eip;
    if (t->sequence_end) {
        machine_run_sequence(m, insn, eip, t->sequence_end);
        return 1;
    }
    if (!t->take_insns)
        return 0;
    m->cpu.eip = eip + insn->len;   /* the monitor "emulates" it: nothing but EIP */
    machine_retire(m, insn, m->cpu.cpl, ISA_OK, 0);
    return 1;
}

static void m_after(void *ctx, machine_t *m, const isa_insn_t *insn, uint32_t eip)
{
    (void)m; (void)insn; (void)eip;
    ((mon_t *)ctx)->after++;
}

static int m_halt(void *ctx, machine_t *m)
{
    ((mon_t *)ctx)->halts++;
    machine_stop(m, STOP_QUIT, "halt");
    return 1;
}

static int m_in(void *ctx, machine_t *m, uint16_t port, int size, uint32_t *val)
{
    (void)m; (void)size;
    mon_t *t = ctx;
    t->ins++;
    t->last_port = port;
    *val = 0x5a;
    return 1;
}

static int m_out(void *ctx, machine_t *m, uint16_t port, int size, uint32_t val)
{
    (void)m; (void)size; (void)val;
    mon_t *t = ctx;
    t->outs++;
    t->last_port = port;
    return 1;
}

static void m_step_end(void *ctx, machine_t *m)
{
    (void)m;
    ((mon_t *)ctx)->step_ends++;
}

static void m_code_write(void *ctx, machine_t *m, uint32_t phys)
{
    (void)m; (void)phys;
    ((mon_t *)ctx)->code_writes++;
}

static void m_tracked(void *ctx, machine_t *m, uint32_t phys, int size)
{
    (void)m;
    mon_t *t = ctx;
    if (t->tracked < 8) {
        t->tracked_at[t->tracked] = phys;
        t->tracked_size[t->tracked] = size;
    }
    t->tracked++;
}

static int m_guest_regs(void *ctx, const machine_t *m, hv_guest_regs_t *r)
{
    (void)m;
    if (!((mon_t *)ctx)->hold)
        return 0;
    r->cs.sel = 0x0008;
    r->gs.sel = 0x0010;
    r->eip = 0x1234;
    return 1;
}

static int m_guest_goto(void *ctx, machine_t *m, uint32_t eip)
{
    (void)m;
    ((mon_t *)ctx)->went_to = eip;
    return ((mon_t *)ctx)->hold;
}

static const hv_ops_t ops = { m_deliver, m_ring0, m_before, m_after, m_halt, m_in, m_out, m_code_write,
                              m_step_end, m_tracked, m_guest_regs, m_guest_goto };

static void setup(int ring, uint32_t classes, int min_cpl, const char *code, size_t n)
{
    memset(&mon, 0, sizeof mon);
    fx_new("x86", ring);
    fx_put(FX_CODE, code, n);
    fx_c->eip = FX_CODE;
    fx_m->max_insns = 100;
    hv_attach(fx_m, &ops, &mon, classes, min_cpl);
}

/* IN and OUT at CPL 0 reach the monitor's port hooks; the innocuous NOPs
 * are not intercepted, the privileged HLT is, before and after, and the
 * halt goes to the monitor. */
START_TEST(test_ports_insns_halt)
{
    setup(0, 1u << PRIV, 0, "\x90\xe4\x40\xe6\x43\x90\xf4", 7);
    machine_run(fx_m);
    ck_assert_int_eq(mon.ins, 1);
    ck_assert_int_eq(mon.outs, 1);
    ck_assert_uint_eq(mon.last_port, 0x43);
    ck_assert_uint_eq(fx_c->reg[EAX] & 0xff, 0x5a);
    ck_assert_int_eq(mon.before, 1);                 /* HLT only */
    ck_assert_uint_eq(mon.last_eip, FX_CODE + 6);
    ck_assert_int_eq(mon.after, 1);
    ck_assert_int_eq(mon.halts, 1);
    ck_assert_int_eq(fx_m->halted, 0);
    ck_assert_uint_eq(fx_c->icount, 5);
    fx_free();
}
END_TEST

/* A monitor that runs an instruction itself: the machine neither executes
 * nor retires it twice; CPL below insn_min_cpl is not intercepted. */
START_TEST(test_before_insn_takes)
{
    setup(3, 1u << PRIV | 1u << IOPL, 1, "\xfa\xfa\xcc", 3);   /* cli at CPL 3 would fault */
    fx_idt_gate(EXC_BP, FX_CS(0), FX_CODE + 0x100, ACC_INTGATE(3));
    mon.take_insns = 1;
    machine_run(fx_m);
    ck_assert_msg(mon.before == 2, "before %d icount %llu stop %s eip %x", mon.before, (unsigned long long)fx_c->icount, fx_m->stop_msg, fx_c->eip);
    ck_assert_int_eq(mon.after, 0);
    ck_assert_uint_eq(fx_c->icount, 3);             /* 2 by the monitor, int3 by the machine */
    ck_assert_int_eq(mon.delivers, 1);
    ck_assert_int_eq(mon.last_vector, EXC_BP);
    ck_assert_int_eq(mon.ring0, 1);                  /* int3 entered ring 0 */
    ck_assert_uint_eq(mon.pre_cs.sel, FX_CS(3));
    fx_free();

    setup(0, 1u << PRIV | 1u << IOPL, 1, "\xfa\xf4", 2);   /* CPL 0 < 1: no intercept */
    machine_run(fx_m);
    ck_assert_int_eq(mon.before, 0);
    ck_assert_int_eq(mon.halts, 1);
    fx_free();
}
END_TEST

/* A monitor's inline sequence: several instructions, one step, one
 * retirement; a fault in its first instruction is delivered, nothing done. */
START_TEST(test_run_sequence)
{
    /* pushf (starts it); inc %eax; inc %eax; inc %ebx | hlt */
    setup(0, 1u << SBEHV, 0, "\x9c\x40\x40\x43\xf4", 5);
    mon.sequence_end = FX_CODE + 4;
    uint32_t esp = fx_c->reg[ESP], eax = fx_c->reg[EAX], ebx = fx_c->reg[EBX];
    machine_step(fx_m);
    ck_assert_uint_eq(fx_c->eip, FX_CODE + 4);
    ck_assert_uint_eq(fx_c->icount, 1);              /* one instruction for the four */
    ck_assert_uint_eq(fx_m->now, 1);
    ck_assert_uint_eq(fx_c->reg[EAX], eax + 2);
    ck_assert_uint_eq(fx_c->reg[EBX], ebx + 1);
    ck_assert_uint_eq(fx_c->reg[ESP], esp - 4);
    machine_run(fx_m);
    ck_assert_int_eq(mon.halts, 1);
    ck_assert_uint_eq(fx_c->icount, 2);
    fx_free();

    /* the first one faults: #SS, the push below a stack segment's limit of 0 */
    setup(0, 1u << SBEHV, 0, "\x9c\x40\xf4", 3);
    fx_c->seg[SEG_SS].limit = 0;
    fx_c->seg[SEG_SS].flat = 0;
    fx_idt_gate(EXC_SS, FX_CS(0), FX_CODE + 0x100, ACC_INTGATE(0));
    mon.sequence_end = FX_CODE + 2;
    eax = fx_c->reg[EAX];
    machine_step(fx_m);
    ck_assert_int_eq(mon.delivers, 1);
    ck_assert_int_eq(mon.last_vector, EXC_SS);
    ck_assert_uint_eq(fx_c->reg[EAX], eax);          /* the rest did not run */
    ck_assert_uint_eq(fx_c->icount, 0);
    fx_free();
}
END_TEST

/* What users read of the guest: the CPU's, or the monitor's guest_regs;
 * the budget's stop message names the guest's address; guest_goto. */
START_TEST(test_guest_regs)
{
    setup(0, 0, 0, "\x90\x90\x90", 3);
    hv_guest_regs_t r;
    hv_guest_regs(fx_m, &r);
    ck_assert_uint_eq(r.eip, FX_CODE);
    ck_assert_uint_eq(r.cs.sel, fx_c->seg[SEG_CS].sel);
    hv_guest_goto(fx_m, FX_CODE + 1);                 /* the monitor declines: the CPU's EIP */
    ck_assert_uint_eq(fx_c->eip, FX_CODE + 1);
    mon.hold = 1;
    hv_guest_regs(fx_m, &r);
    ck_assert_uint_eq(r.eip, 0x1234);
    ck_assert_uint_eq(r.gs.sel, 0x10);
    hv_guest_goto(fx_m, 0x5678);                      /* the monitor's */
    ck_assert_uint_eq(mon.went_to, 0x5678);
    ck_assert_uint_eq(fx_c->eip, FX_CODE + 1);
    fx_m->max_insns = 1;
    machine_run(fx_m);
    ck_assert_int_eq(fx_m->stop, STOP_BUDGET);
    ck_assert_msg(strstr(fx_m->stop_msg, "at 0008:00001234") != NULL, "%s", fx_m->stop_msg);
    fx_free();
}
END_TEST

/* deliver can take an event before the IDT sees it. */
START_TEST(test_deliver_taken)
{
    setup(3, 0, 0, "\x0f\x0b", 2);                   /* ud2 */
    mon.take_events = 1;
    machine_run(fx_m);
    ck_assert_int_eq(mon.delivers, 1);
    ck_assert_int_eq(mon.last_vector, EXC_UD);
    ck_assert_int_eq(mon.ring0, 0);
    ck_assert_int_eq(fx_c->cpl, 3);
    fx_free();
}
END_TEST

/* step_end comes once, at the end of the step after the request; a
 * write to a page of decoded code reaches code_write. */
START_TEST(test_step_end_and_code_write)
{
    setup(0, 0, 0, "\x90\x90\xc6\x05\x00\x00\x02\x00\x90\xf4", 10);   /* nop; nop; movb $0x90, FX_CODE; hlt */
    ck_assert_int_eq(dcache_init(fx_m, 1), 0);
    hv_request_step_end(fx_m);
    machine_step(fx_m);
    ck_assert_int_eq(mon.step_ends, 1);
    machine_step(fx_m);
    ck_assert_int_eq(mon.step_ends, 1);
    machine_run(fx_m);
    ck_assert_int_eq(mon.code_writes, 1);
    ck_assert_int_eq(mon.halts, 1);
    hv_detach(fx_m);
    ck_assert_ptr_null(fx_m->hv.ops);
    fx_free();
}
END_TEST

/* Writes to a tracked page reach tracked_write, with the decode cache and
 * without: a dword, a byte at the page's last address, a dword that only
 * reaches into it from the page below; a write to another page and a
 * write after the page is untracked do not. A tracked page that also holds
 * code still invalidates it (code_write). */
START_TEST(test_tracked_write)
{
    static const char code[] =
        "\xc7\x05\x00\x00\x03\x00\x01\x00\x00\x00"   /* movl $1, 0x30000 (tracked) */
        "\xc7\x05\x00\x00\x04\x00\x02\x00\x00\x00"   /* movl $2, 0x40000 */
        "\xc6\x05\xff\x0f\x03\x00\x03"                /* movb $3, 0x30fff (tracked) */
        "\xc7\x05\xfe\xff\x02\x00\x04\x00\x00\x00"   /* movl $4, 0x2fffe: into 0x30000 */
        "\xf4";
    for (int cached = 0; cached < 2; cached++) {
        setup(0, 0, 0, code, sizeof code - 1);
        if (cached)
            ck_assert_int_eq(dcache_init(fx_m, 1), 0);
        ck_assert_int_eq(hv_track_page(fx_m, 0x30, 1), 0);
        ck_assert_int_eq(hv_track_page(fx_m, FX_RAM >> 12, 1), -1);   /* not RAM */
        machine_run(fx_m);
        ck_assert_int_eq(mon.halts, 1);
        ck_assert_int_eq(mon.tracked, 3);
        ck_assert_uint_eq(mon.tracked_at[0], 0x30000);
        ck_assert_uint_eq(mon.tracked_at[1], 0x30fff);
        ck_assert_uint_eq(mon.tracked_at[2], 0x2fffe);   /* where the write starts */
        ck_assert_int_eq(mon.tracked_size[0], 4);
        ck_assert_int_eq(mon.tracked_size[1], 1);
        ck_assert_int_eq(mon.tracked_size[2], 4);
        ck_assert_int_eq(mon.code_writes, 0);
        ck_assert_uint_eq(fx_c->ram[0x40000], 2);
        fx_free();
    }
    /* untracked: nothing; a tracked page of code: both hooks */
    setup(0, 0, 0, "\xc6\x05\x00\x00\x02\x00\x90\x90\xf4", 9);   /* movb $0x90, FX_CODE; nop; hlt */
    ck_assert_int_eq(dcache_init(fx_m, 1), 0);
    ck_assert_int_eq(hv_track_page(fx_m, 0x30, 1), 0);
    ck_assert_int_eq(hv_track_page(fx_m, 0x30, 0), 0);
    ck_assert_int_eq(hv_track_page(fx_m, FX_CODE >> 12, 1), 0);
    machine_run(fx_m);
    ck_assert_int_eq(mon.tracked, 1);
    ck_assert_uint_eq(mon.tracked_at[0], FX_CODE);
    ck_assert_int_eq(mon.code_writes, 1);
    ck_assert_int_eq(mon.halts, 1);
    fx_free();
}
END_TEST

static Suite *hv_suite(void)
{
    Suite *s = suite_create("hv");
    TCase *tc = tcase_create("hooks");
    tcase_add_test(tc, test_ports_insns_halt);
    tcase_add_test(tc, test_before_insn_takes);
    tcase_add_test(tc, test_deliver_taken);
    tcase_add_test(tc, test_step_end_and_code_write);
    tcase_add_test(tc, test_tracked_write);
    tcase_add_test(tc, test_run_sequence);
    tcase_add_test(tc, test_guest_regs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
