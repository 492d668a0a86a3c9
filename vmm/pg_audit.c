/* --expose-pg: the simulator watches what the VMM cannot. Every sensitive
 * instruction the guest executes in ring 1 or 3 without a trap gets one
 * trace line: the instruction, its address and ring, what the guest meant,
 * what it got, and why the VMM could not see it; and a count for the
 * summary. (The VMM itself learns nothing from this: that is the point.) */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "vmm/vmm_int.h"

static void report(vmm_t *v, const isa_insn_t *insn, uint32_t eip, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(vmm_t *v, const isa_insn_t *insn, uint32_t eip, const char *fmt, ...)
{
    machine_t *m = v->m;
    v->pg[insn->row]++;
    if (!trace_on(&m->trace, TL_PG))
        return;
    if (!trace_text_on(&m->trace, TL_PG)) {
        event_t ev = { .kind = EV_PG, .ring = v->pre.cpl, .eip = eip, .insn = insn };
        machine_emit(m, &ev);
        return;
    }
    char what[200], text[320], dis[80];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    isa_disasm(insn, eip, dis, sizeof dis);
    snprintf(text, sizeof text, "%s at %04x:%08x ring %d: %s", dis, v->pre.cs, eip, v->pre.cpl, what);
    event_t ev = { .kind = EV_PG, .ring = v->pre.cpl, .eip = eip, .insn = insn, .text = text };
    machine_emit(m, &ev);
}

/* The value the instruction wrote to r/m or a register (SGDT/SIDT write memory). */
static uint32_t stored_word(const vmm_t *v, const isa_insn_t *insn, uint32_t ea)
{
    const struct cpu *c = &v->m->cpu;
    if (insn->op[0].kind == OPK_REG)
        return c->reg[insn->op[0].reg] & (insn->opsize == 4 ? 0xffffffffu : 0xffff);
    return vmm_guest_word(v, c->seg[insn->seg].base + ea, 2);
}

static int audited(const machine_t *m, const isa_insn_t *insn)
{
    const isa_row_info_t *ri = &isa_rows[insn->row];
    return ri->cls != SINT && ri->cls != INNOC && !m->hv.in_monitor;
}

int pg_audit_before(void *ctx, machine_t *m, const isa_insn_t *insn, uint32_t eip)
{
    vmm_t *v = ctx;
    struct cpu *c = &m->cpu;
    (void)eip;
    if (!audited(m, insn))
        return 0;
    v->pre.eflags = c->eflags;
    v->pre.esp = c->reg[ESP];
    v->pre.top = vmm_guest_word(v, c->seg[SEG_SS].base + c->reg[ESP], 4);
    v->pre.cs = c->seg[SEG_CS].sel;
    v->pre.cpl = c->cpl;
    return 0;   /* the instruction runs: the audit only watches */
}

void pg_audit_after(void *ctx, machine_t *m, const isa_insn_t *insn, uint32_t eip)
{
    vmm_t *v = ctx;
    struct cpu *c = &m->cpu;
    if (!audited(m, insn))
        return;
    uint32_t ea = 0;
    if (insn->has_mem) {
        ea = insn->disp;
        if (insn->base != ISA_NOREG) ea += c->reg[insn->base];
        if (insn->index != ISA_NOREG) ea += c->reg[insn->index] << insn->scale;
    }
    /* a line fits 160 columns: "0000001998 r1 pg    " and the instruction, then this */
    const char *why = "the VMM never sees it";
    switch (insn->row) {
    case ROW_POPF: {
        uint32_t meant = v->pre.top;
        report(v, insn, eip, "meant IF=%d IOPL=%d (popped %08x), got IF unchanged: "
               "virtual IF stays %d; %s", !!(meant & FL_IF), IOPL_OF(meant), meant, vmm_vif(v), why);
        break;
    }
    case ROW_PUSHF:
        report(v, insn, eip, "meant to read its own IF=%d IOPL=%d, got the real IF=%d IOPL=%d; %s", vmm_vif(v),
               vmm_viopl(v), !!(c->eflags & FL_IF), IOPL_OF(c->eflags), why);
        break;
    case ROW_IRET:
        report(v, insn, eip, "returned to ring %d, IF and IOPL kept silently at CPL 1; %s", c->cpl, why);
        break;
    case ROW_SGDT: case ROW_SIDT: {
        int idt = insn->row == ROW_SIDT;
        dtr_t want = idt ? v->vcpu.idtr : v->vcpu.gdtr, got = idt ? c->idtr : c->gdtr;
        report(v, insn, eip, "meant its own %s %08x/%04x, got the VMM's %08x/%04x; %s",
               idt ? "IDTR" : "GDTR", want.base, want.limit, got.base, got.limit, why);
        break;
    }
    case ROW_SLDT: case ROW_STR: {
        int tr = insn->row == ROW_STR;
        report(v, insn, eip, "meant its own %s %04x, got %04x; %s", tr ? "TR" : "LDTR",
               tr ? v->vcpu.tr.sel : v->vcpu.ldtr.sel, stored_word(v, insn, ea) & 0xffff, why);
        break;
    }
    case ROW_SMSW:
        report(v, insn, eip, "meant its own CR0 %04x, got the real %04x; %s", v->vcpu.cr0 & 0xffff,
               c->cr0 & 0xffff, why);
        break;
    case ROW_MOV_EwSw: case ROW_PUSH_CS: case ROW_PUSH_SS: case ROW_PUSH_DS: case ROW_PUSH_ES:
    case ROW_PUSH_FS: case ROW_PUSH_GS: {
        int s = insn->row == ROW_MOV_EwSw ? insn->reg : insn->op[0].reg;
        uint16_t sel = c->seg[s].sel;
        if ((s == SEG_CS || s == SEG_SS) && (sel & 3) != v->vcpu.cpl)
            report(v, insn, eip, "meant selector %04x (RPL %d), got %04x: RPL %d shows it is not in "
                   "ring %d; %s", (sel & ~3u) | v->vcpu.cpl, v->vcpu.cpl, sel, sel & 3, v->vcpu.cpl, why);
        else
            report(v, insn, eip, "read selector %04x as the guest expects; %s", sel, why);
        break;
    }
    case ROW_LAR: case ROW_LSL: case ROW_VERR: case ROW_VERW:
        report(v, insn, eip, "read the shadow GDT (DPL 1 for 0, limits < %08x), not the guest's; %s", v->base, why);
        break;
    default:
        report(v, insn, eip, "checked in the shadow GDT at the real ring %d, not the guest's ring %d; %s",
               c->cpl, v->vcpu.cpl, why);
        break;
    }
}
