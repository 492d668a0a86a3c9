/* The hypervisor interface's bookkeeping (cpu/hv.h); the hooks themselves
 * are called where the machine reaches each point: cpu/intr.c (deliver,
 * ring0_entry), cpu/run.c (before/after_insn, halt, step_end) and
 * cpu/machine.c (ports, code writes). */
#include <stdlib.h>
#include "cpu/cpu.h"

void hv_attach(machine_t *m, const hv_ops_t *ops, void *ctx, uint32_t insn_classes, int insn_min_cpl)
{
    m->hv = (hv_t){ .ops = ops, .ctx = ctx, .insn_classes = ops->before_insn || ops->after_insn ? insn_classes : 0,
                    .insn_min_cpl = (uint8_t)insn_min_cpl };
}

void hv_detach(machine_t *m)
{
    m->hv = (hv_t){ 0 };
}

void hv_request_step_end(machine_t *m)
{
    m->hv.step_end_pending = 1;
}

int hv_track_page(machine_t *m, uint32_t page, int on)
{
    uint32_t pages = (m->cpu.ram_size + 4095) >> 12;
    if (page >= pages)
        return -1;
    if (!m->code_page_map && !(m->code_page_map = calloc(pages, 1)))
        return -1;
    m->cpu.bus.code_pages = m->code_page_map;
    if (on)
        m->code_page_map[page] |= PAGE_TRACKED;
    else
        m->code_page_map[page] &= (uint8_t)~PAGE_TRACKED;
    return 0;
}

void hv_monitor_enter(machine_t *m, const struct cpu *vcpu)
{
    m->hv.in_monitor = 1;
    m->hv.vcpu = vcpu;
}

void hv_monitor_leave(machine_t *m)
{
    m->hv.in_monitor = 0;
    m->hv.vcpu = NULL;
}

void hv_guest_regs(const machine_t *m, hv_guest_regs_t *r)
{
    const struct cpu *c = &m->cpu;
    if (m->hv.ops && m->hv.ops->guest_regs && m->hv.ops->guest_regs(m->hv.ctx, m, r))
        return;
    *r = (hv_guest_regs_t){ c->seg[SEG_CS], c->seg[SEG_GS], c->eip };
}

void hv_guest_goto(machine_t *m, uint32_t eip)
{
    if (!(m->hv.ops && m->hv.ops->guest_goto && m->hv.ops->guest_goto(m->hv.ctx, m, eip)))
        m->cpu.eip = eip;
}
