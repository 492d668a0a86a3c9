/* Interrupt and exception delivery through the IDT (SDM vol. 3, 6.12):
 * gate checks, the stack switch through the TSS on a privilege change,
 * exactly the frame x86 pushes, double and triple fault. This is the single
 * place where an event enters ring 0, and so the single place where the VMM
 * is entered in a virtualized run. */
#include <stdio.h>
#include "cpu/cpu.h"
#include "cpu/names.h"
#include "cpu/vmx.h"
#include "isa/access.h"

enum { GATE_TASK = 5, GATE_INT16 = 6, GATE_TRAP16 = 7, GATE_INT32 = 14, GATE_TRAP32 = 15 };

/* One attempt to deliver `vector`. Returns 0, ISA_FAULT (a new exception is
 * in c->exc_*) or ISA_STOP (something not modelled). `ext` is the EXT bit of
 * any error code this delivery raises. */
static int deliver_once(struct cpu *c, int vector, deliver_kind_t kind, int has_error,
                        uint32_t error, uint32_t ext)
{
    uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
    if ((uint32_t)vector * 8 + 7 > c->idtr.limit)
        return RAISE_GP(c, idt_err);
    uint32_t lo = phys_read(c, c->idtr.base + (uint32_t)vector * 8, 4);
    uint32_t hi = phys_read(c, c->idtr.base + (uint32_t)vector * 8 + 4, 4);
    uint8_t a = (uint8_t)(hi >> 8);
    int type = DESC_TYPE(a);
    if (DESC_S(a) || (type != GATE_TASK && type != GATE_INT16 && type != GATE_TRAP16 &&
                      type != GATE_INT32 && type != GATE_TRAP32))
        return RAISE_GP(c, idt_err);
    /* the DPL check is for INT n, INT3 and INTO only: not for INT1,
     * hardware interrupts or exceptions (SDM INT n: "does not apply to INT1") */
    if (kind == DK_SOFTWARE && c->soft_kind != SOFT_INT1 && DESC_DPL(a) < c->cpl)
        return RAISE_GP(c, idt_err);
    if (!DESC_P(a))
        return RAISE_NP(c, idt_err);
    if (type == GATE_TASK)
        return prot_task_switch(c, (uint16_t)(lo >> 16), 0, EXC_GP, ext, "task gates are not modelled");
    uint16_t sel = (uint16_t)(lo >> 16);
    uint32_t target = (lo & 0xffff) | (hi & 0xffff0000u);
    uint32_t clo, chi;
    if ((sel & 0xfffc) == 0)
        return RAISE_GP(c, ext);
    if (desc_read(c, sel, &clo, &chi))
        return RAISE_GP(c, (sel & 0xfffcu) + ext);
    uint8_t ca = (uint8_t)(chi >> 8);
    if (!DESC_CODE(ca) || DESC_DPL(ca) > c->cpl)
        return RAISE_GP(c, (sel & 0xfffcu) + ext);
    if (!DESC_P(ca))
        return RAISE_NP(c, (sel & 0xfffcu) + ext);
    seg_cache_t ncs;
    desc_to_cache(&ncs, sel, clo, chi);
    if (target > ncs.limit)
        return RAISE_GP(c, ext);
    if (type == GATE_INT16 || type == GATE_TRAP16) {   /* after the checks that would fault first */
        c->stop_reason = "16-bit interrupt gates are not modelled";
        return ISA_STOP;
    }

    uint32_t eflags = c->eflags & ~FL_RF;
    int dpl = DESC_CONFORMING(ca) ? c->cpl : DESC_DPL(ca);
    uint32_t vals[6];
    int n = 0;
    seg_cache_t nss = c->seg[SEG_SS];
    uint32_t nesp = c->reg[ESP];
    if (dpl < c->cpl) {
        /* inner ring: SS:ESP for the new ring from the TSS */
        uint16_t ss;
        uint32_t slo, shi;
        int type_tr = DESC_TYPE(c->tr.access);
        if (!c->tr.usable)
            return RAISE_TS(c, (c->tr.sel & 0xfffcu) + ext);
        uint32_t off = (type_tr == 9 || type_tr == 11) ? 4 + 8 * (uint32_t)dpl : 2 + 4 * (uint32_t)dpl;
        int wide = (type_tr == 9 || type_tr == 11);
        if (off + (wide ? 5u : 3u) > c->tr.limit)
            return RAISE_TS(c, (c->tr.sel & 0xfffcu) + ext);
        nesp = phys_read(c, c->tr.base + off, wide ? 4 : 2);
        ss = (uint16_t)phys_read(c, c->tr.base + off + (wide ? 4 : 2), 2);
        TRY(prot_check_tss_ss(c, ss, dpl, &slo, &shi, ext));
        desc_to_cache(&nss, ss, slo, shi);
        vals[n++] = c->seg[SEG_SS].sel;
        vals[n++] = c->reg[ESP];
    }
    vals[n++] = eflags;
    vals[n++] = c->seg[SEG_CS].sel;
    vals[n++] = c->eip;
    if (has_error)
        vals[n++] = error;
    if (prot_push_on(c, &nss, &nesp, vals, n, 4))
        return RAISE_SS(c, (dpl < c->cpl ? (nss.sel & 0xfffcu) : 0) + ext);

    /* commit */
    int from = c->cpl;
    c->seg[SEG_SS] = nss;
    c->reg[ESP] = DESC_DB(nss.flags) ? nesp : (c->reg[ESP] & 0xffff0000u) | (nesp & 0xffff);
    if (dpl < from) {
        /* leaving an outer ring: data segments stay; the frame holds the old SS */
    }
    ncs.sel = (uint16_t)((sel & ~3u) | (unsigned)dpl);
    c->seg[SEG_CS] = ncs;
    c->cpl = (uint8_t)dpl;
    c->eip = target;
    c->eflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
    if (type == GATE_INT32)
        c->eflags &= ~FL_IF;
    return 0;
}

static int contributory(int v)
{
    return v == EXC_DE || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP;
}


static void emit_delivery(machine_t *m, int vector, deliver_kind_t kind, int has_error,
                          uint32_t error, uint32_t fault_eip, int from, int irq)
{
    struct cpu *c = &m->cpu;
    event_t ev = {
        .kind = kind == DK_HARDWARE ? EV_IRQ : kind == DK_SOFTWARE ? EV_SOFTINT : EV_EXC,
        .ring = (uint8_t)from, .to_ring = c->cpl, .vector = (uint8_t)vector,
        .has_error = (uint8_t)has_error, .error = error, .eip = fault_eip,
        .cs = c->seg[SEG_CS].sel, .target = c->eip, .ss = c->seg[SEG_SS].sel,
        .esp = c->reg[ESP], .irq = irq, .insn = kind == DK_EXCEPTION ? m->fault_insn : NULL,
    };
    machine_emit(m, &ev);
}

/* The IRQ line a hardware vector came from, by the PIC's vector bases. */
static int irq_of_vector(const machine_t *m, int vector)
{
    int b0 = m->pic.chip[0].vector_base, b1 = m->pic.chip[1].vector_base;
    if (vector >= b0 && vector < b0 + 8)
        return vector - b0;
    if (vector >= b1 && vector < b1 + 8)
        return vector - b1 + 8;
    return -1;
}

/* Delivery through the IDT of `c`: the machine's CPU, or a monitor's
 * virtual CPU (hv_deliver_virtual(): no hook, no event). */
static void deliver_on(machine_t *m, struct cpu *c, int vector, deliver_kind_t kind, int has_error,
                       uint32_t error, uint32_t fault_eip)
{
    const hv_ops_t *hv = c == &m->cpu ? m->hv.ops : NULL;
    if (hv && hv->deliver && !m->hv.in_monitor) {
        hv_event_t e = { vector, kind, has_error, error, fault_eip, { 0 }, { 0 } };
        if (hv->deliver(m->hv.ctx, m, &e))
            return;   /* the monitor took it */
    }
    int chain[4] = { vector, -1, -1, -1 }, depth = 1;
    m->unretired++;   /* a step that retires nothing: the budget counts it */
    /* EXT (bit 0 of the error codes delivery raises) is 0 for INT n, INT3
     * and INTO, 1 for everything else: hardware interrupts, exceptions,
     * INT1 (SDM vol. 2 INT n, "error_code(num, idt, ext)") */
    uint32_t ext = kind == DK_SOFTWARE && c->soft_kind != SOFT_INT1 ? 0 : 1;
    uint32_t idt_info = 0, idt_error = 0;   /* VMX: the event whose delivery raised this one */
    for (;;) {
        if (c->vmx.nonroot && vmx_event_exits(m, vector, kind, has_error, error, fault_eip, idt_info, idt_error))
            return;
        int from = c->cpl;
        seg_cache_t pre_cs = c->seg[SEG_CS], pre_ss = c->seg[SEG_SS];
        int r = deliver_once(c, vector, kind, has_error, error, ext);
        if (r == 0) {
            if (m->hv.in_monitor || c != &m->cpu)
                return;   /* the monitor delivers into its guest and reports it itself */
            emit_delivery(m, vector, kind, has_error, error, fault_eip, from,
                          kind == DK_HARDWARE ? irq_of_vector(m, vector) : -1);
            if (c->cpl == 0 && hv && hv->ring0_entry) {
                hv_event_t e = { vector, kind, has_error, error, fault_eip, pre_cs, pre_ss };
                hv->ring0_entry(m->hv.ctx, m, &e);
            }
            return;
        }
        if (r == ISA_STOP) {
            machine_stop(m, STOP_UNMODELLED, "%s (vector %d, instruction at %08x)",
                         c->stop_reason, vector, fault_eip);
            return;
        }
        int second = c->exc_vector;
        /* A software interrupt that cannot be delivered did not complete:
         * the fault's frame points at the INT instruction itself. */
        if (kind == DK_SOFTWARE)
            c->eip = fault_eip;
        if (c->vmx.nonroot) {
            idt_info = vmx_intr_info(c, vector, kind, has_error);
            idt_error = error;
        }
        if (vector == EXC_DF && kind == DK_EXCEPTION && depth >= 2 && c->vmx.nonroot) {
            vmx_triple_fault_exit(m);
            return;
        }
        if (vector == EXC_DF && kind == DK_EXCEPTION && depth >= 2) {
            machine_stop(m, STOP_TRIPLE,
                         "triple fault: %s (%d), then %s (%d) while delivering it, then %s (%d) "
                         "while delivering the double fault; instruction at %04x:%08x",
                         exc_name(chain[0]), chain[0], exc_name(chain[1]), chain[1], exc_name(second), second,
                         c->seg[SEG_CS].sel, fault_eip);
            return;
        }
        /* SDM vol. 3 table 6-5: a contributory fault while delivering a
         * contributory exception is a double fault; otherwise the second
         * event is delivered in place of the first. */
        if (kind == DK_EXCEPTION && (contributory(vector) || vector == EXC_PF) && contributory(second)) {
            chain[depth < 4 ? depth : 3] = second;
            depth++;
            vector = EXC_DF;
            has_error = 1;
            error = 0;
        } else {
            vector = second;
            has_error = c->exc_has_error;
            error = c->exc_error;
            chain[0] = vector;
            depth = 1;
        }
        kind = DK_EXCEPTION;
        ext = 1;
    }
}

void deliver_event(machine_t *m, int vector, deliver_kind_t kind, int has_error,
                   uint32_t error, uint32_t fault_eip)
{
    deliver_on(m, &m->cpu, vector, kind, has_error, error, fault_eip);
}

void hv_deliver_virtual(machine_t *m, struct cpu *c, int vector, int kind, int has_error,
                        uint32_t error, uint32_t fault_eip)
{
    deliver_on(m, c, vector, (deliver_kind_t)kind, has_error, error, fault_eip);
}
