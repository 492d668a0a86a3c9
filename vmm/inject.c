/* Forwarding events into the guest and injecting its interrupts.
 * Delivery into the guest runs the ordinary IDT delivery on the virtual
 * view: the guest's IDT and TSS, its virtual CPL, IF and IOPL. So a system
 * call from ring 3 switches to the kernel stack the guest's TSS names and
 * pushes the frame the guest expects, and a gate the guest wrote after LIDT
 * is the gate that is used. */
#include "vmm/vmm_int.h"
#include "cpu/names.h"
#include "cpu/symbols.h"
#include "vmm/pv_abi.h"

static const char *kind_name(deliver_kind_t kind, int vector, char *buf, size_t n)
{
    if (kind == DK_SOFTWARE)
        snprintf(buf, n, "int 0x%02x", vector);
    else if (kind == DK_HARDWARE)
        snprintf(buf, n, "interrupt 0x%02x", vector);
    else
        snprintf(buf, n, "%s", exc_name(vector));
    return buf;
}

void vmm_forward(vmm_t *v, int vector, deliver_kind_t kind, int has_error, uint32_t error, uint32_t at)
{
    machine_t *m = v->m;
    struct cpu *c = &m->cpu;
    int from_v = v->vcpu.cpl;
    if (v->pv)
        pv_vif_to_vcpu(v);
    vmm_vcpu_load(v);
    hv_deliver_virtual(m, &v->vcpu, vector, kind, has_error, error, at);
    vmm_vcpu_store(v);
    if (v->pv && m->stop == STOP_NONE)
        pv_after_delivery(v, has_error);
    if (m->stop != STOP_NONE || !trace_on(&m->trace, TL_VMM))
        return;
    char what[32] = "", sym[80] = "";
    if (trace_text_on(&m->trace, TL_VMM)) {   /* a textless sink reads none of it */
        kind_name(kind, vector, what, sizeof what);
        symtab_format(m->trace.syms, c->seg[SEG_CS].base + c->eip, sym, sizeof sym);
    }
    vmm_trace(v, VA_FORWARD, vector, "%s -> guest's idt[0x%02x]: %04x:%08x%s, guest ring %d->%d (real ring %d), "
              "stack %04x:%08x, virtual IF %d", what, vector, c->seg[SEG_CS].sel, c->eip, sym, from_v, v->vcpu.cpl,
              c->cpl, c->seg[SEG_SS].sel, c->reg[ESP], vmm_vif(v));
}

void vmm_physical_irq(vmm_t *v, int irq)
{
    if (v->pv) {
        if (irq == 0)
            pv_event(v, PV_EVENT_TIMER);   /* no virtual PIC: an event */
        return;
    }
    if (irq == 0)
        pic_pulse_irq(&v->vpic, 0);   /* the physical PIT mirrors the guest's virtual PIT */
    if (!vmm_vif(v) && pic_intr_pending(&v->vpic)) {
        v->deferred[irq & 15]++;
        vmm_trace(v, VA_DEFER, irq, "IRQ%d waits in the guest's virtual PIC: virtual IF = 0", irq);
    }
}

void vmm_try_inject(vmm_t *v)
{
    machine_t *m = v->m;
    if (v->sti_shadow || !vmm_vif(v) || m->stop != STOP_NONE || !pic_intr_pending(&v->vpic))
        return;
    int irq = pic_pending_irq(&v->vpic);
    int vector = pic_acknowledge(&v->vpic);
    v->injected[irq & 15]++;
    v->guest_halted = 0;
    m->halted = 0;
    vmm_trace(v, VA_INJECT, irq, "IRQ%d -> guest vector 0x%02x (virtual IF = 1)", irq, vector);
    vmm_forward(v, vector, DK_HARDWARE, 0, 0, m->cpu.eip);
}
