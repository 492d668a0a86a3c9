/* The run loop, short enough to teach from:
 *   1. devices: let virtual time raise the timer's IRQ line;
 *   2. a pending interrupt, when IF is set and no STI/MOV SS shadow holds it;
 *   3. fetch and decode at CS:EIP;
 *   4. execute (checks, then the instruction's semantics);
 *   5. deliver what it raised, retire, advance time.
 * Nothing here prints: everything is an event. */
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/vmx.h"
#include "isa/access.h"

/* Virtual time reached a device event: PIT edges pulse IRQ0. */
static void devices_tick(machine_t *m)
{
    uint64_t edges = pit_advance(&m->pit, machine_pit_ticks(m, m->now));
    if (edges) {
        pic_pulse_irq(&m->pic, 0);
        machine_pic_changed(m);
    }
    machine_schedule(m);
}

static int interrupt_ready(const machine_t *m)
{
    return (m->cpu.eflags & FL_IF) && m->intr_line;
}

static void take_interrupt(machine_t *m)
{
    int vector = pic_acknowledge(&m->pic);
    machine_pic_changed(m);
    m->halted = 0;
    deliver_event(m, vector, DK_HARDWARE, 0, 0, m->cpu.eip);
}

/* HLT: wait for the next interrupt, skipping virtual time to it. */
static void halt_wait(machine_t *m)
{
    if (!(m->cpu.eflags & FL_IF) && !vmx_extint_exits(&m->cpu.vmx)) {
        machine_stop(m, STOP_HALTED, "halted for ever: HLT with interrupts disabled (IF = 0) at %04x:%08x",
                     m->cpu.seg[SEG_CS].sel, m->cpu.eip - 1);
        return;
    }
    if (m->next_event == UINT64_MAX) {
        machine_stop(m, STOP_HALTED, "halted for ever: HLT and no device will interrupt");
        return;
    }
    if (m->next_event > m->now)
        m->now = m->next_event;
    m->unretired++;   /* a wait is a step that retires nothing: the budget sees it */
    devices_tick(m);
    const char *held = pic_timer_held(&m->pic);
    if (held)
        machine_stop(m, STOP_HALTED, "halted for ever: HLT with the timer %s at the PIC", held);
}

/* The instruction trace's event for `insn` at CS:`eip`, about to run at `ring`. */
static void emit_insn(machine_t *m, const isa_insn_t *insn, uint32_t eip, int ring)
{
    if (trace_on(&m->trace, TL_INSN)) {
        event_t ev = { .kind = EV_INSN, .ring = (uint8_t)ring, .eip = eip, .insn = insn,
                       .text = dcache_disasm(m, m->cpu.seg[SEG_CS].base + eip, insn, eip) };
        machine_emit(m, &ev);
    }
}

static void emit_return(machine_t *m, const isa_insn_t *insn, uint32_t eip, int from)
{
    struct cpu *c = &m->cpu;
    event_t ev = { .kind = EV_RETURN, .ring = (uint8_t)from, .to_ring = c->cpl, .eip = eip,
                   .cs = c->seg[SEG_CS].sel, .target = c->eip, .ss = c->seg[SEG_SS].sel,
                   .esp = c->reg[ESP], .text = isa_mnemonic(insn) };
    machine_emit(m, &ev);
}

/* Fetches and decodes the instruction at CS:EIP into *out (the decoded-
 * instruction cache's entry, or `scratch`); 0 or a raised fault. */
int machine_fetch_decode(machine_t *m, isa_insn_t *scratch, const isa_insn_t **out)
{
    struct cpu *c = &m->cpu;
    const seg_cache_t *cs = &c->seg[SEG_CS];
    if (c->eip > cs->limit)
        return RAISE_GP(c, 0);
    uint32_t lin = cs->base + c->eip;
    if ((*out = dcache_lookup(m, lin)) != NULL)
        return 0;
    isa_insn_t *insn = scratch;
    *out = scratch;
    uint8_t buf[ISA_MAX_LEN];
    const uint8_t *bytes;
    if (lin < c->ram_size && c->ram_size - lin >= ISA_MAX_LEN) {
        bytes = c->ram + lin;
    } else {
        for (int k = 0; k < ISA_MAX_LEN; k++)
            buf[k] = (uint8_t)phys_read(c, lin + (uint32_t)k, 1);
        bytes = buf;
    }
    int d = isa_decode(bytes, ISA_MAX_LEN, DESC_DB(cs->flags), insn);
    if (d == ISA_DECODE_TOOLONG)
        return RAISE_GP(c, 0);
    /* the whole instruction must lie within CS's limit */
    if ((uint64_t)c->eip + insn->len - 1 > cs->limit)
        return RAISE_GP(c, 0);
    if (d == ISA_DECODE_OK)
        dcache_insert(m, lin, insn);
    return 0;
}

/* Books `n` instructions that retired plainly at `ring`: virtual time and
 * the counts. Every retirement ends here (machine_retire() for one, the
 * burst and the fast loop for many at once). */
static inline __attribute__((always_inline)) void retire_count(machine_t *m, int ring, uint64_t n)
{
    m->cpu.icount += n;
    m->now += n;
    m->insns_by_ring[ring] += n;
}

int machine_retire(machine_t *m, const isa_insn_t *insn, int ring, isa_result_t r, int tf)
{
    if (r == ISA_PAUSE) {
        m->now++;
        m->unretired++;   /* retires nothing: the budget still counts it */
        return 0;
    }
    retire_count(m, ring, 1);
    return tf && isa_single_step_after(&m->cpu, insn, r);
}

static void step_body(machine_t *m);
/* How an instruction ran, for retire(). */
enum { RETIRE_AUDITED = 1, RETIRE_TF = 2 };
static void retire(machine_t *m, const isa_insn_t *insn, uint32_t eip, int ring, isa_result_t r, int how);

/* --max-insns counts retired instructions and the steps that retire
 * nothing (deliveries, REP chunks), so a guest that only faults, or one
 * endless REP, still ends. */
static void budget_check(machine_t *m)
{
    struct cpu *c = &m->cpu;
    if (m->max_insns && c->icount + m->unretired >= m->max_insns && m->stop == STOP_NONE) {
        hv_guest_regs_t g;   /* the guest's address, also in a monitor's code */
        hv_guest_regs(m, &g);
        machine_stop(m, STOP_BUDGET, "instruction budget of %llu ran out at %04x:%08x",
                     (unsigned long long)m->max_insns, g.cs.sel, g.eip);
    }
}

/* One step; the monitor's step_end, when it asked for it (hv.h), runs once
 * this step is complete, traps included. */
void machine_step(machine_t *m)
{
    int step_end = m->hv.step_end_pending;
    m->hv.step_end_pending = 0;
    step_body(m);
    if (step_end)
        m->hv.ops->step_end(m->hv.ctx, m);
    budget_check(m);
}

static void step_body(machine_t *m)
{
    struct cpu *c = &m->cpu;
    if (m->now >= m->next_event)
        devices_tick(m);
    int shadow = c->irq_shadow;
    c->irq_shadow = 0;
    if (c->vmx.nonroot && vmx_boundary_exits(m, shadow))
        return;
    if (!shadow && interrupt_ready(m)) {
        take_interrupt(m);
        return;
    }
    if (m->halted) {
        halt_wait(m);
        return;
    }

    isa_insn_t scratch;
    const isa_insn_t *insn;
    uint32_t eip = c->eip;
    int ring = c->cpl;
    if (machine_fetch_decode(m, &scratch, &insn)) {
        deliver_event(m, c->exc_vector, DK_EXCEPTION, c->exc_has_error, c->exc_error, eip);
        return;
    }
    emit_insn(m, insn, eip, ring);
    int audited = hv_intercepts(&m->hv, insn, ring);
    if (audited && m->hv.ops->before_insn && m->hv.ops->before_insn(m->hv.ctx, m, insn, eip))
        return;   /* the monitor ran it */
    int how = (audited ? RETIRE_AUDITED : 0) | (c->eflags & FL_TF ? RETIRE_TF : 0);   /* TF as it starts */
    c->vmx.blocking = (uint8_t)shadow;   /* what a VM exit or VMLAUNCH sees */
    isa_result_t r = isa_execute(c, insn);
    c->vmx.blocking = 0;
    retire(m, insn, eip, ring, r, how);
}

/* The one end of an executed instruction, for every path of the run loop
 * (a step, a burst, the fast loop's last instruction): delivery of what it
 * raised, or its retirement: the PG audit's look after it, time and counts
 * (machine_retire(), which the VMM's emulation books through too), the
 * return event on a ring change, INT n, HLT, the budget, and the
 * single-step trap. Kept from interprocedural rewrites (noipa), which
 * otherwise differ with the trace hooks and change how the fast loop below
 * is compiled: the bench compares builds with and without them. */
#if defined(__GNUC__) && !defined(__clang__)
#define NOIPA __attribute__((noipa))
#else
#define NOIPA __attribute__((noinline))
#endif
static NOIPA void retire(machine_t *m, const isa_insn_t *insn, uint32_t eip, int ring, isa_result_t r, int how)
{
    struct cpu *c = &m->cpu;
    if ((how & RETIRE_AUDITED) && (r == ISA_OK || r == ISA_SOFTINT || r == ISA_HALT) && m->hv.ops->after_insn)
        m->hv.ops->after_insn(m->hv.ctx, m, insn, eip);
    if (r == ISA_FAULT) {
        m->fault_insn = insn;
        deliver_event(m, c->exc_vector, DK_EXCEPTION, c->exc_has_error, c->exc_error, eip);
        m->fault_insn = NULL;
        return;
    }
    if (r == ISA_STOP) {
        c->eip = eip;
        machine_stop(m, STOP_UNMODELLED, "%s, at %04x:%08x", c->stop_reason, c->seg[SEG_CS].sel, eip);
        return;
    }
    if (r == ISA_VMEXIT) {   /* the instruction did not retire: the host runs */
        m->unretired++;
        budget_check(m);
        return;
    }
    int single_step = machine_retire(m, insn, ring, r, how & RETIRE_TF);
    if (r == ISA_PAUSE) {   /* a REP string instruction paused between chunks */
        budget_check(m);
        return;
    }
    if (c->cpl != ring && r == ISA_OK && trace_on(&m->trace, TL_TRAP))
        emit_return(m, insn, eip, ring);
    if (r == ISA_SOFTINT) {
        deliver_event(m, c->exc_vector, DK_SOFTWARE, 0, 0, eip);
    } else if (r == ISA_HALT) {
        if (!m->hv.ops || !m->hv.ops->halt || !m->hv.ops->halt(m->hv.ctx, m))
            m->halted = 1;
    }
    budget_check(m);
    if (single_step && m->stop == STOP_NONE) {
        /* the single-step trap: #DB after the instruction (SDM vol. 3 17.3.1.4) */
        c->dr[6] |= DR6_BS;
        deliver_event(m, EXC_DB, DK_EXCEPTION, 0, 0, c->eip);
    }
}

void machine_run_sequence(machine_t *m, const isa_insn_t *first, uint32_t eip, uint32_t end)
{
    struct cpu *c = &m->cpu;
    int ring = c->cpl, how = c->eflags & FL_TF ? RETIRE_TF : 0;
    isa_insn_t head = *first, scratch;   /* a copy: its stores may drop the cache entry */
    isa_result_t r = isa_execute(c, &head);
    for (int n = 1; r == ISA_OK && c->eip != end; n++) {
        const isa_insn_t *insn;
        uint32_t at = c->eip;
        if (n == 16 || c->cpl != ring || machine_fetch_decode(m, &scratch, &insn)) {
            machine_stop(m, STOP_UNMODELLED, "an inline sequence from %04x:%08x did not reach %08x (at %08x)",
                         c->seg[SEG_CS].sel, eip, end, at);
            return;
        }
        emit_insn(m, insn, at, ring);
        isa_insn_t copy = *insn;
        if ((r = isa_execute(c, &copy)) != ISA_OK) {
            machine_stop(m, STOP_UNMODELLED, "an inline sequence from %04x:%08x ended at %08x with %s",
                         c->seg[SEG_CS].sel, eip, at, r == ISA_FAULT ? "a fault" : "no plain retirement");
            return;
        }
    }
    retire(m, &head, eip, ring, r, how);   /* one instruction, or the first's fault */
}

/* What ends a run of fast instructions: the counts and the flags written
 * back, and a fault finished as machine_step() finishes it. */
static inline __attribute__((always_inline))
int fast_end(machine_t *m, uint64_t n, isa_lazy_t *lf, int r, const dcache_entry_t *e, uint32_t eip)
{
    struct cpu *c = &m->cpu;
    retire_count(m, c->cpl, n);
    isa_flags_materialize(c, lf);
    if (r != ISA_OK && r != ISA_FAST_NONE)
        retire(m, &e->insn, eip, c->cpl, (isa_result_t)r, 0);
    return r;
}

/* Runs cached instructions that have a fast handler back to back, at most
 * `left` of them, from entry `e` at CS:EIP. None of them can read time,
 * change the ring or CS, open the interrupt window or stop the machine
 * (isa/exec_fast.h), so run_burst()'s checks hold until one without a fast
 * handler comes: the counts are kept locally and the flags lazily, and both
 * are written back before anything else runs. `flat`: CS has base 0, is
 * 32-bit and ends above every instruction in the cache (run_fast()), so no
 * limit check and no EIP wrap can apply, and the loop is shorter. Returns
 * the last result: ISA_FAST_NONE at an instruction to run otherwise; a
 * fault has been delivered as retire() delivers it. */
static inline __attribute__((always_inline))
int run_fast_loop(machine_t *m, const dcache_entry_t *e, uint64_t left, const int flat)
{
    struct cpu *c = &m->cpu;
    const struct decode_cache *d = m->dcache;
    const seg_cache_t *cs = &c->seg[SEG_CS];
    const uint32_t base = flat ? 0 : cs->base, limit = cs->limit;
    const int code32 = flat ? 1 : DESC_DB(cs->flags);
    const uint32_t eip_mask = code32 ? 0xffffffffu : 0xffffu;
    const uint64_t todo = left;
    isa_lazy_t lf = { LF_NONE, 0, 0, 0 };
    uint32_t eip = c->eip;
    for (;;) {
        uint32_t next = (eip + e->insn.len) & eip_mask;
        c->eip = next;
        int r = e->fast(c, &e->insn, &lf);
        if (__builtin_expect(r != ISA_OK, 0)) {   /* straight through for the common case */
            if (r != ISA_FAST_JUMP) {
                eip = (next - e->insn.len) & eip_mask;   /* its own address: not kept live over the call */
                if (r == ISA_FAULT || r == ISA_FAST_NONE)
                    c->eip = eip;   /* as isa_execute() leaves a fault */
                return fast_end(m, todo - left, &lf, r, e, eip);
            }
            next = c->eip;
        }
        eip = next;   /* after a plain instruction, not reloaded from c->eip */
        if (--left == 0)
            break;
        if (!(e = dcache_find(d, base + eip, code32)))
            break;
        if (!flat && (uint64_t)eip + e->insn.len - 1 > limit)
            break;   /* the whole instruction must lie within CS */
    }
    return fast_end(m, todo - left, &lf, ISA_OK, e, eip);
}

/* The two loops stay out of run_burst(), each with registers of its own,
 * and start on a cache line, as the fast handlers do: where the loop and the
 * handlers fell across lines moved the speed by 10% from one build to the
 * next. */
static __attribute__((noinline, aligned(64))) int run_fast_flat(machine_t *m, const dcache_entry_t *e,
                                                               uint64_t left)
{
    return run_fast_loop(m, e, left, 1);
}

static __attribute__((noinline, aligned(64))) int run_fast_any(machine_t *m, const dcache_entry_t *e,
                                                              uint64_t left)
{
    return run_fast_loop(m, e, left, 0);
}

static int run_fast(machine_t *m, const dcache_entry_t *e, uint64_t left)
{
    const seg_cache_t *cs = &m->cpu.seg[SEG_CS];
    if (cs->base == 0 && DESC_DB(cs->flags) && cs->limit >= m->dcache->last_byte)
        return run_fast_flat(m, e, left);
    return run_fast_any(m, e, left);
}

/* The hot path, when nothing watches single instructions (no instruction
 * trace, no pending hook): cached instructions run back to back until
 * virtual time reaches a device event, an interrupt could be taken, or an
 * instruction does anything but retire plainly in the same ring. Those with
 * a fast handler run in run_fast(); the others as machine_step() runs them,
 * and the sensitive ones go back to it when the PG audit listens. What ends
 * a burst is finished exactly as machine_step() would, so the burst changes
 * speed, never results (--no-cache turns it off with the cache it runs
 * from). */
static void run_burst(machine_t *m, uint64_t until)
{
    struct cpu *c = &m->cpu;
    const seg_cache_t *cs = &c->seg[SEG_CS];
    while (m->now < m->next_event) {
        uint64_t steps = c->icount + m->unretired;
        if (steps >= until)
            return;   /* the quantum is used: machine_run_for() returns */
        if (c->irq_shadow || ((c->eflags & FL_IF) && m->intr_line) || m->halted || (c->eflags & FL_TF) ||
            (c->vmx.nonroot && vmx_boundary_pending(c, m->intr_line)))
            return;
        uint32_t eip = c->eip;
        const dcache_entry_t *e;
        if (eip > cs->limit || !(e = dcache_find(m->dcache, cs->base + eip, DESC_DB(cs->flags))) ||
            (uint64_t)eip + e->insn.len - 1 > cs->limit)
            return;
        uint64_t left = m->next_event - m->now;
        if (until - steps < left)
            left = until - steps;
        if (m->max_insns) {
            /* the instruction that spends the budget ends in retire() */
            uint64_t room = steps + 1 < m->max_insns ? m->max_insns - 1 - steps : 0;
            if (room < left)
                left = room;
        }
        if (e->fast != isa_fast_none && left) {
            int r = run_fast(m, e, left);
            if (r != ISA_OK && r != ISA_FAST_NONE)
                return;   /* a fault, delivered */
            continue;
        }
        const isa_insn_t *insn = &e->insn;
        int ring = c->cpl;
        if (hv_intercepts(&m->hv, insn, ring))
            return;   /* the monitor looks at it: machine_step() */
        isa_result_t r = isa_execute(c, insn);
        if (r != ISA_OK || c->cpl != ring || m->max_insns) {
            retire(m, insn, eip, ring, r, 0);
            if (m->stop != STOP_NONE || (r != ISA_OK && r != ISA_PAUSE))
                return;
            continue;
        }
        retire_count(m, ring, 1);   /* retire()'s booking, for the plain case */
    }
}

static int burst_allowed(const machine_t *m)
{
    return m->dcache && !m->hv.step_end_pending && !trace_on(&m->trace, TL_INSN);
}

uint64_t machine_steps(const machine_t *m)
{
    return m->cpu.icount + m->unretired;
}

/* Steps until `until` steps (machine_steps()) are done or the run stops;
 * stopping between two steps and going on later is the same as not
 * stopping (a step leaves nothing half done), so a VM paused at the end of
 * its quantum resumes exactly where it was. */
static stop_kind_t run_until(machine_t *m, uint64_t until)
{
    while (m->stop == STOP_NONE && machine_steps(m) < until) {
        if (burst_allowed(m))
            run_burst(m, until);
        if (m->stop == STOP_NONE && machine_steps(m) < until)
            machine_step(m);
    }
    fflush(m->console);
    return m->stop;
}

stop_kind_t machine_run(machine_t *m)
{
    return run_until(m, UINT64_MAX);
}

stop_kind_t machine_run_for(machine_t *m, uint64_t steps)
{
    uint64_t now = machine_steps(m);
    return run_until(m, steps > UINT64_MAX - now ? UINT64_MAX : now + steps);
}
