/* The VMM: set-up, the VM exit, and the guest's virtual CPU.
 *
 * The guest kernel runs in ring 1 and its processes in ring 3; the VMM owns
 * ring 0, the real GDTR (a shadow of the guest's GDT with DPL 0 made 1 and
 * every segment truncated below the VMM's area), the real IDTR (a shadow IDT
 * whose every gate enters the VMM), the real TR (the VMM's TSS, whose SS0:ESP0
 * is the VMM's stack) and the physical PIC and PIT.
 *
 * Every event the CPU delivers to ring 0 is a VM exit: the CPU pushes the
 * frame on the VMM's stack exactly as x86 does, then enters vmm_entry(),
 * which takes the frame back off (an IRET-like exit to the guest context),
 * decides, and leaves the CPU where the guest goes on.
 *
 * The guest's virtual CPU is a struct cpu the VMM owns (vmm_t.vcpu): the
 * guest's own CPL, IF, IOPL, GDTR, IDTR, TR, LDTR and CR0-CR4, the faithful
 * x86 profile, and a bus to its virtual devices. To emulate an instruction
 * or deliver an event into the guest, the VMM runs the ordinary IA-32
 * semantics on it (isa_execute(), hv_deliver_virtual()) after bringing in
 * the registers the guest runs with (vmm_vcpu_load()), then puts them back
 * into the real CPU with the rings compressed again (vmm_vcpu_store()). The
 * real CPU never holds the guest's system state. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "vmm/vmm_int.h"
#include "cpu/names.h"
#include "vmm/pv_abi.h"

#define VMM_IRQ_BASE 0x20   /* where the VMM puts the physical PIC's vectors */

static void vmm_emit(vmm_t *v, vmm_action_t action, const vm_exit_t *x, int vector, const char *fmt, va_list ap)
{
    machine_t *m = v->m;
    event_t ev = event_blank;   /* (not an initializer: see event_blank) */
    ev.kind = EV_VMM;
    ev.ring = v->exit_ring;
    ev.to_ring = m->cpu.cpl;
    ev.vector = (uint8_t)(vector < 0 ? 0 : vector);
    ev.irq = vector;
    ev.eip = m->cpu.eip;
    ev.action = (uint8_t)action;
    if (x) {
        ev.exit_reason = (uint8_t)x->reason;
        ev.exit_qual = x->qual;
    }
    if (trace_text_on(&m->trace, TL_VMM))
        machine_emitv(m, &ev, fmt, ap);
    else
        machine_emit(m, &ev);   /* no sink reads the words: a picture counts the event */
}

void vmm_trace(vmm_t *v, vmm_action_t action, int vector, const char *fmt, ...)
{
    if (!trace_on(&v->m->trace, TL_VMM))
        return;
    va_list ap;
    va_start(ap, fmt);
    vmm_emit(v, action, NULL, vector, fmt, ap);
    va_end(ap);
}

void vmm_exit(vmm_t *v, const vm_exit_t *x, int vector, const char *fmt, ...)
{
    v->exits++;
    switch (x->reason) {
    case XR_EXCEPTION: v->exit_exc[x->qual & 31]++; break;
    case XR_EXTINT:    v->exit_irq[x->qual & 15]++; break;
    case XR_SOFTINT:   v->exit_soft++; break;
    case XR_HYPERCALL: v->exit_hypercall++; break;
    case XR_CPUID:     v->exit_cpuid++; break;
    default: break;
    }
    if (!trace_on(&v->m->trace, TL_VMM))
        return;
    va_list ap;
    va_start(ap, fmt);
    vmm_emit(v, VA_EXIT, x, vector, fmt, ap);
    va_end(ap);
}

/* ---- descriptors ---- */
static void gdt_write(vmm_t *v, uint32_t index, uint32_t lo, uint32_t hi)
{
    phys_write(&v->m->cpu, v->base + VMM_GDT_OFF + index * 8, 4, lo);
    phys_write(&v->m->cpu, v->base + VMM_GDT_OFF + index * 8 + 4, 4, hi);
}

static void make_desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags,
                      uint32_t *lo, uint32_t *hi)
{
    *lo = (limit & 0xffff) | (base << 16);
    *hi = ((base >> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000u);
}

void vmm_set_desc(vmm_t *v, uint16_t sel, uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    uint32_t lo, hi;
    make_desc(base, limit, access, flags, &lo, &hi);
    gdt_write(v, sel >> 3, lo, hi);
}

/* The VMM's area ends at 4 GiB: a linear range touches it exactly when its
 * last byte, counted without the wrap, lies at or above the area's base. */
_Static_assert(VMM_AREA_BASE + (uint64_t)VMM_AREA_SIZE == 1ull << 32, "the VMM's area ends at 4 GiB");

/* Whether the linear range [start, start + len), len <= 4 GiB, wrapping at
 * 4 GiB as linear addresses do, touches the VMM's area. */
static int range_hits_vmm(const vmm_t *v, uint32_t start, uint64_t len)
{
    return len && (uint64_t)start + len - 1 >= v->base;
}

/* Fits a code or data segment (base, byte limit, expand-down, B) below the
 * VMM's area: 0 when no offset reaches it; 1 when *limit was changed so
 * that none does (expand-up: lowered; expand-down whose valid offsets wrap
 * past 4 GiB into low memory: raised, keeping the low part); -1 when what
 * would be left reaches it anyway (the segment is made unusable). */
static int fit_below_vmm(const vmm_t *v, uint32_t base, uint32_t *limit, int expdown, int big)
{
    if (!expdown) {                    /* offsets 0..limit */
        if (!range_hits_vmm(v, base, (uint64_t)*limit + 1))
            return 0;
        if (base >= v->base)
            return -1;
        *limit = v->base - 1 - base;
        return 1;
    }
    uint32_t upper = big ? 0xffffffffu : 0xffffu;   /* offsets limit+1..upper */
    if (*limit >= upper || !range_hits_vmm(v, base + *limit + 1, upper - *limit))
        return 0;
    uint64_t end = (uint64_t)base + upper;          /* the last valid byte, unwrapped */
    uint32_t cut = 0xffffffffu - base;              /* the offset at linear ffffffff */
    if (end < 1ull << 32 || cut <= *limit)
        return -1;                                  /* no low part to keep */
    *limit = cut;
    return range_hits_vmm(v, 0, end - (1ull << 32) + 1) ? -1 : 1;
}

/* Ring compression and segment truncation of one guest descriptor for the
 * shadow GDT. Gates are made not present: a far transfer through one faults
 * and the VMM emulates it through the guest's own gate (a gate in the shadow
 * could name the VMM's code, or need a ring-1 stack the real TSS lacks). */
static void compress_desc(const vmm_t *v, uint32_t *lo, uint32_t *hi)
{
    uint32_t access = (*hi >> 8) & 0xff;
    *hi = (*hi & ~(3u << 13)) | (uint32_t)vmm_real_ring((access >> 5) & 3) << 13;   /* DPL 0 -> 1, 1 -> 2 */
    if (!(access & 0x80))
        return;
    if (!(access & 0x10)) {
        int type = access & 0xf;
        if (type == 4 || type == 5 || type == 6 || type == 7 || type >= 12)
            *hi &= ~(1u << 15);                   /* call, task, interrupt, trap gates */
        return;
    }
    int expdown = !(access & 8) && (access & 4);
    uint32_t base = (*lo >> 16) | ((*hi & 0xff) << 16) | (*hi & 0xff000000u);
    uint32_t limit = (*lo & 0xffff) | (*hi & 0xf0000);
    if ((*hi >> 23) & 1)
        limit = (limit << 12) | 0xfff;
    int fit = fit_below_vmm(v, base, &limit, expdown, (*hi >> 22) & 1);
    if (fit < 0) {
        *hi &= ~(1u << 15);                       /* would reach the VMM's area: not present */
        return;
    }
    if (fit == 0)
        return;
    uint32_t field;
    if (limit >= 0xfffff) {                       /* page granular: rounded towards the kept part */
        field = expdown ? limit >> 12 : ((limit + 1) >> 12) - 1;
        *hi |= 1u << 23;
    } else {
        field = limit;
        *hi &= ~(1u << 23);
    }
    *lo = (*lo & 0xffff0000u) | (field & 0xffff);
    *hi = (*hi & ~0xf0000u) | (field & 0xf0000);
}

/* The same on a loaded segment cache; CS and SS (cpl >= 0) get the real
 * CPL as RPL, as the hardware gives them. A segment that would reach the
 * VMM's area becomes unusable: any access faults. */
static void compress_cache(const vmm_t *v, seg_cache_t *s, int cpl)
{
    if (cpl >= 0)
        s->sel = (uint16_t)((s->sel & ~3u) | (unsigned)cpl);
    if (!s->usable || !DESC_S(s->access))
        return;
    s->access = (uint8_t)((s->access & ~0x60u) | (unsigned)vmm_real_ring(DESC_DPL(s->access)) << 5);
    if (fit_below_vmm(v, s->base, &s->limit, DESC_EXPDOWN(s->access), DESC_DB(s->flags)) < 0) {
        s->usable = 0;
        s->base = 0;
        s->limit = 0;
    }
    seg_cache_update(s);
}

/* ---- guest memory, as the guest sees it ----
 * RAM, and 0 everywhere else: between RAM and the VMM's area, and the VMM's
 * area itself, where a bare machine has nothing. Everything the VMM reads
 * on the guest's behalf outside its virtual CPU (descriptor tables, gates,
 * the trace's operands) goes through here, so none of the VMM's own bytes
 * reach the guest's view. Addresses wrap at 4 GiB, as linear ones do. */

/* The first of `len` bytes at `pa` that lie in one piece: how many, and
 * where in RAM (NULL: they read 0). */
static uint32_t guest_span(const struct cpu *c, uint32_t pa, uint32_t len, const uint8_t **src)
{
    uint32_t n;
    if (pa < c->ram_size) {
        n = c->ram_size - pa;
        *src = c->ram + pa;
    } else {
        n = 0u - pa;   /* up to the wrap at 4 GiB */
        if (n == 0)
            n = len;   /* pa 0 and no RAM at all */
        *src = NULL;
    }
    return n < len ? n : len;
}

void vmm_guest_read(const vmm_t *v, uint32_t pa, void *buf, uint32_t len)
{
    uint8_t *d = buf;
    while (len) {
        const uint8_t *src;
        uint32_t n = guest_span(&v->m->cpu, pa, len, &src);
        if (src)
            memcpy(d, src, n);
        else
            memset(d, 0, n);
        d += n, pa += n, len -= n;
    }
}

uint32_t vmm_guest_word(const vmm_t *v, uint32_t pa, int size)
{
    uint8_t b[4] = { 0 };
    vmm_guest_read(v, pa, b, (uint32_t)size);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Whether the guest's `len` bytes at `pa` equal `buf`: compared in place,
 * one memcmp per piece, so a table across the end of RAM costs no more
 * than one inside it. */
static int guest_equal(const vmm_t *v, uint32_t pa, const uint8_t *buf, uint32_t len)
{
    while (len) {
        const uint8_t *src;
        uint32_t n = guest_span(&v->m->cpu, pa, len, &src);
        if (src ? memcmp(buf, src, n) != 0 : buf[0] != 0 || memcmp(buf, buf + 1, n - 1) != 0)
            return 0;
        buf += n, pa += n, len -= n;
    }
    return 1;
}

void vmm_shadow_gdt_sync(vmm_t *v, int force)
{
    uint32_t len = (v->vcpu.gdtr.base || v->vcpu.gdtr.limit) ? (uint32_t)v->vcpu.gdtr.limit + 1 : 0;
    uint32_t max = (VMM_GDT_ENTRIES - 8) * 8;   /* the top entries are the VMM's */
    if (len > max)
        len = max;
    if (len == 0)
        return;   /* no guest GDT yet: the boot descriptors stay */
    if (!force && len == v->gdt_copy_len && guest_equal(v, v->vcpu.gdtr.base, v->gdt_copy, len))
        return;   /* the common case: nothing changed since the last exit */
    uint8_t now[sizeof v->gdt_copy];
    vmm_guest_read(v, v->vcpu.gdtr.base, now, len);
    uint32_t n = len / 8, old = v->gdt_copy_len / 8;
    for (uint32_t i = 1; i < n; i++) {
        uint32_t lo, hi;
        memcpy(&lo, now + i * 8, 4);
        memcpy(&hi, now + i * 8 + 4, 4);
        compress_desc(v, &lo, &hi);
        gdt_write(v, i, lo, hi);
    }
    for (uint32_t i = n; i < old || i < 3; i++)
        gdt_write(v, i, 0, 0);
    memcpy(v->gdt_copy, now, len);
    v->gdt_copy_len = len;
    v->gdt_syncs++;
    vmm_trace(v, VA_SHADOW, -1, "shadow GDT synced with the guest's (%u descriptors at %08x): DPL 0 runs as 1, "
              "segments end below %08x", n, v->vcpu.gdtr.base, v->base);
}

void shadow_idt_rebuild(vmm_t *v)
{
    struct cpu *c = &v->m->cpu;
    uint32_t idt = v->base + VMM_IDT_OFF;
    /* Every gate is a DPL 3 interrupt gate into the VMM: the VMM sees every
     * vector and checks the guest's own gate (DPL, type, presence) when it
     * forwards, reading the guest's IDT then, as hardware reads the IDT at
     * delivery. So a write to the guest's IDT after LIDT takes effect at the
     * next event that uses that entry, exactly as on hardware. */
    for (uint32_t vec = 0; vec < 256; vec++) {
        phys_write(c, idt + vec * 8, 4, ((uint32_t)VMM_CS << 16) | 0);
        phys_write(c, idt + vec * 8 + 4, 4, 0x0000ee00u);
    }
    v->idt_rebuilds++;
    int present = 0;
    uint32_t n = ((uint32_t)v->vcpu.idtr.limit + 1) / 8;
    for (uint32_t vec = 0; vec < n && vec < 256; vec++)
        present += (vmm_guest_word(v, v->vcpu.idtr.base + vec * 8 + 4, 4) >> 15) & 1;
    vmm_trace(v, VA_SHADOW, -1, "shadow IDT rebuilt: 256 gates route every vector to the VMM; "
              "guest IDT at %08x limit %04x has %d present gates", v->vcpu.idtr.base, v->vcpu.idtr.limit, present);
}

/* ---- the real CPU and the virtual one ---- */
/* The real CPU as the guest runs on it: CPL and selectors compressed,
 * segments cut below the VMM's area, interrupts on for the VMM and no I/O
 * for the guest, and of the guest's control bits only those that change
 * what code outside ring 0 does. */
static void vmm_real_state(vmm_t *v)
{
    struct cpu *c = &v->m->cpu;
    c->cr0 = CR0_PE | CR0_ET | (v->vcpu.cr0 & VMM_GUEST_CR0);
    c->cr2 = c->cr3 = 0;
    c->cr4 = v->vcpu.cr4 & VMM_GUEST_CR4;
    c->eflags = (c->eflags & ~FL_IOPL) | FL_IF;
    c->cpl = vmm_real_ring(v->vcpu.cpl);
    for (int s = 0; s < 6; s++)
        compress_cache(v, &c->seg[s], s == SEG_CS || s == SEG_SS ? c->cpl : -1);
}

/* What one instruction leaves beside the registers (its shadow, its
 * outcome), the same both ways between the real CPU and the vCPU. */
static void copy_step_state(struct cpu *to, const struct cpu *from)
{
    to->irq_shadow = from->irq_shadow;
    to->exc_vector = from->exc_vector;
    to->exc_has_error = from->exc_has_error;
    to->exc_error = from->exc_error;
    to->soft_kind = from->soft_kind;
    to->stop_reason = from->stop_reason;
}

/* The registers the guest runs with, from the real CPU onto the virtual
 * one (its system state stays its own): the guest's RPL in CS and SS.
 * Descriptors the virtual CPU loads come from the guest's own tables,
 * untruncated, and for it the VMM's area is not there (its bus has none:
 * reads 0, writes dropped), as on the bare machine. */
void vmm_vcpu_load(vmm_t *v)
{
    const struct cpu *c = &v->m->cpu;
    struct cpu *g = &v->vcpu;
    memcpy(g->reg, c->reg, sizeof g->reg);
    g->eip = c->eip;
    g->eflags = (c->eflags & ~(FL_IF | FL_IOPL)) | (g->eflags & (FL_IF | FL_IOPL));
    memcpy(g->seg, c->seg, sizeof g->seg);
    g->seg[SEG_CS].sel = (uint16_t)((g->seg[SEG_CS].sel & ~3u) | g->cpl);
    g->seg[SEG_SS].sel = (uint16_t)((g->seg[SEG_SS].sel & ~3u) | g->cpl);
    memcpy(g->dr, c->dr, sizeof g->dr);
    g->icount = c->icount;
    copy_step_state(g, c);
    g->bus.code_pages = c->bus.code_pages;
    hv_monitor_enter(v->m, g);
}

/* ... and back: the real CPU as the guest runs on it (vmm_real_state()). */
void vmm_vcpu_store(vmm_t *v)
{
    struct cpu *c = &v->m->cpu;
    const struct cpu *g = &v->vcpu;
    memcpy(c->reg, g->reg, sizeof c->reg);
    c->eip = g->eip;
    c->eflags = g->eflags;
    memcpy(c->seg, g->seg, sizeof c->seg);
    memcpy(c->dr, g->dr, sizeof c->dr);
    copy_step_state(c, g);
    vmm_real_state(v);
    hv_monitor_leave(v->m);
}

/* ---- the VM exit ---- */
/* The guest ring the real CPU is in at a VM exit. Real ring 1 is the
 * guest's ring 0 and ring 3 its ring 3; real ring 2 is its ring 1 or 2,
 * which the guest's own descriptor of CS tells: non-conforming code runs at
 * its DPL, conforming code in the ring it was entered from. */
static int guest_ring_now(const vmm_t *v)
{
    const struct cpu *c = &v->m->cpu;
    if (c->cpl != 2)
        return c->cpl == 1 ? 0 : c->cpl;
    uint16_t sel = c->seg[SEG_CS].sel;
    uint32_t base = sel & 4 ? v->vcpu.ldtr.base : v->vcpu.gdtr.base;
    uint32_t limit = sel & 4 ? v->vcpu.ldtr.limit : v->vcpu.gdtr.limit;
    if ((sel | 7u) <= limit) {
        uint32_t a = vmm_guest_word(v, base + (sel & ~7u) + 5, 1);
        if (DESC_CODE(a) && !DESC_CONFORMING(a) && DESC_DPL(a) >= 1 && DESC_DPL(a) <= 2)
            return DESC_DPL(a);
    }
    return v->vcpu.cpl == 1 ? 1 : 2;
}

/* hv.h's ring0_entry: every event the CPU delivers to ring 0 is a VM exit. */
void vmm_entry(void *ctx, machine_t *m, const hv_event_t *ev)
{
    vmm_t *v = ctx;
    struct cpu *c = &m->cpu;
    int vector = ev->vector, has_error = ev->has_error;
    deliver_kind_t kind = (deliver_kind_t)ev->kind;
    uint32_t error = ev->error, fault_eip = ev->fault_eip;
    /* The frame x86 pushed on the VMM's stack (always an inner-ring entry). */
    uint32_t sp = c->reg[ESP] + (has_error ? 4 : 0);
    uint32_t g_eip = phys_read(c, sp, 4), g_cs = phys_read(c, sp + 4, 4) & 0xffff;
    uint32_t g_eflags = phys_read(c, sp + 8, 4), g_esp = phys_read(c, sp + 12, 4);
    /* The IRET-like exit: the guest context, exactly as it was. */
    c->eip = g_eip;
    c->eflags = g_eflags;
    c->reg[ESP] = g_esp;
    c->seg[SEG_CS] = ev->pre_cs;
    c->seg[SEG_SS] = ev->pre_ss;
    c->cpl = (uint8_t)(g_cs & 3);
    v->exit_ring = c->cpl;

    vmm_shadow_gdt_sync(v, 0);
    int ring = guest_ring_now(v);
    if (ring > v->vcpu.cpl) {
        /* An IRET (or far RET) to an outer ring ran without a trap: the VMM
         * learns only now where the guest went. Code outside ring 0 cannot
         * change IF at IOPL 0, so its IF is the real one. */
        if (v->vcpu.cpl == 0)
            v->vcpu.eflags = (v->vcpu.eflags & ~FL_IF) | (g_eflags & FL_IF);
        v->vcpu.cpl = (uint8_t)ring;
        vmm_trace(v, VA_EXIT, -1, "the guest is in ring %d: it returned there without a trap (x86 IRET is not "
                  "privileged); virtual IF taken as %d", ring, vmm_vif(v));
    }
    v->vcpu.cpl = (uint8_t)ring;

    switch (kind) {
    case DK_HARDWARE: {
        int irq = vector - VMM_IRQ_BASE;
        machine_pic_write(m, irq >= 8 ? 0xa0 : 0x20, 0x20);   /* EOI the physical PIC */
        if (irq >= 8)
            machine_pic_write(m, 0x20, 0x20);
        vm_exit_t x = { XR_EXTINT, (uint32_t)irq, 0, 0 };
        vmm_exit(v, &x, vector, "VM exit: physical IRQ%d from ring %d at %04x:%08x", irq, c->cpl,
                 c->seg[SEG_CS].sel, c->eip);
        vmm_physical_irq(v, irq);
        break;
    }
    case DK_SOFTWARE: {
        if (v->pv && vector == PV_HYPERCALL_VECTOR && ring == 0) {
            pv_hypercall_exit(v);
            break;
        }
        vm_exit_t x = { XR_SOFTINT, (uint32_t)vector, 0, 0 };
        vmm_exit(v, &x, vector, "VM exit: int 0x%02x from ring %d at %08x", vector, c->cpl, fault_eip);
        v->forwarded_soft++;
        vmm_forward(v, vector, DK_SOFTWARE, 0, 0, fault_eip);
        break;
    }
    default: {
        vm_exit_t x = { XR_EXCEPTION, (uint32_t)vector, has_error, error };
        if (has_error)
            vmm_exit(v, &x, vector, "VM exit: %s(0x%04x) from ring %d at %04x:%08x", exc_name(vector),
                     error, c->cpl, c->seg[SEG_CS].sel, c->eip);
        else
            vmm_exit(v, &x, vector, "VM exit: %s from ring %d at %04x:%08x", exc_name(vector), c->cpl,
                     c->seg[SEG_CS].sel, c->eip);
        /* A sensitive instruction that faulted (#GP, or #NP/#SS/#TS from
         * a shadow descriptor) is run again on the virtual CPU, which decides
         * what the guest sees; any other fault is the guest's own. */
        if (v->pv && (vector == EXC_GP || vector == EXC_NP || vector == EXC_SS || vector == EXC_TS))
            pv_fault(v, g_eip, vector, error);
        else if (vector == EXC_GP || vector == EXC_NP || vector == EXC_SS || vector == EXC_TS)
            vmm_emulate(v, g_eip, vector, error);
        else
            vmm_reflect(v, vector, has_error, error, g_eip);
        break;
    }
    }
    vmm_exit_done(v);
}

void vmm_exit_done(vmm_t *v)
{
    machine_t *m = v->m;
    if (v->pv) {
        pv_try_upcall(v);
        pv_halt_check(v);
        return;
    }
    vmm_try_inject(v);
    if (v->guest_halted && m->stop == STOP_NONE) {
        const char *held = pic_timer_held(&v->vpic);
        if (held)
            machine_stop(m, STOP_HALTED, "halted for ever: the guest executed HLT with its timer %s "
                         "at its (virtual) PIC", held);
        else
            m->halted = 1;
    }
}

/* ---- attaching ---- */
void vmm_hook_up(vmm_t *v)
{
    static const hv_ops_t te_ops = { .ring0_entry = vmm_entry, .before_insn = pg_audit_before,
                                     .after_insn = pg_audit_after, .step_end = vmm_sti_shadow_end };
    vmm_hv_attach(v, &te_ops, v->expose_pg ? ~(1u << INNOC) : 0);
}

void vmm_hv_attach(vmm_t *v, const hv_ops_t *ops, uint32_t insn_classes)
{
    hv_attach(v->m, ops, v, insn_classes, 1);
    v->m->hv.guest_cpu = &v->vcpu;
}

vmm_t *vmm_new(machine_t *m)
{
    vmm_t *v = calloc(1, sizeof *v);
    uint8_t *area = v ? machine_map_top(m, VMM_AREA_BASE, VMM_AREA_SIZE) : NULL;
    if (!area) {
        free(v);
        return NULL;
    }
    v->m = m;
    v->base = VMM_AREA_BASE;
    v->area = area;
    return v;
}

/* Everything trap-and-emulate and the translator share: the VMM's area,
 * the virtual CPU, the shadow tables, the physical PIC, the guest
 * deprivileged to ring 1. The caller attaches its hooks. */
static vmm_t *vmm_setup(machine_t *m, int expose_pg)
{
    struct cpu *c = &m->cpu;
    vmm_t *v = vmm_new(m);
    if (!v)
        return NULL;
    v->expose_pg = expose_pg;
    v->exit_ring = 1;

    /* The virtual CPU starts in the Multiboot entry state the loader left,
     * at the guest's ring 0, with the faithful x86 semantics and a bus of
     * its own: the guest's devices, the machine's RAM, no VMM area. */
    v->vcpu = *c;
    v->vcpu.cpl = 0;
    v->vcpu.cr2 = v->vcpu.cr3 = 0;
    v->vcpu.profile = isa_profile_find("x86");
    v->vcpu.bus.ops = &vdev_bus_ops;
    v->vcpu.bus.ctx = v;
    v->vcpu.bus.top_mem = NULL;
    v->vcpu.bus.top_base = v->vcpu.bus.top_size = 0;
    vdev_reset(v);

    /* The shadow GDT: boot descriptors for the guest's entry CS and DS
     * (ring 1), then the VMM's own at the top. */
    for (uint32_t i = 0; i < VMM_GDT_ENTRIES; i++)
        gdt_write(v, i, 0, 0);
    uint32_t lo, hi;
    make_desc(0, 0xfffff, 0x9b, 0xc, &lo, &hi);          /* flat code, DPL 0: runs as 1 */
    compress_desc(v, &lo, &hi);
    gdt_write(v, 1, lo, hi);
    make_desc(0, 0xfffff, 0x93, 0xc, &lo, &hi);          /* flat data, DPL 0: runs as 1 */
    compress_desc(v, &lo, &hi);
    gdt_write(v, 2, lo, hi);
    /* VMM code, DPL 0: the VMM is C code, so its segment only has to exist;
     * it covers a page of zeros beyond the VMM's stack, never guest data */
    make_desc(v->base + VMM_STACK_TOP, 0xfff, 0x9b, 0x4, &lo, &hi);
    gdt_write(v, VMM_CS >> 3, lo, hi);
    make_desc(0, 0xfffff, 0x93, 0xc, &lo, &hi);          /* VMM data (its stack), DPL 0 */
    gdt_write(v, VMM_DS >> 3, lo, hi);
    uint32_t tss = v->base + VMM_TSS_OFF;
    make_desc(tss, 103, 0x8b, 0x0, &lo, &hi);            /* the VMM's TSS, busy */
    gdt_write(v, VMM_TSS >> 3, lo, hi);
    for (uint32_t k = 0; k < 104; k += 4)
        phys_write(c, tss + k, 4, 0);
    phys_write(c, tss + 4, 4, v->base + VMM_STACK_TOP);   /* ESP0 */
    phys_write(c, tss + 8, 4, VMM_DS);                    /* SS0 */
    phys_write(c, tss + 102, 2, 104);                     /* no I/O bitmap */

    c->gdtr.base = v->base + VMM_GDT_OFF;
    c->gdtr.limit = VMM_GDT_ENTRIES * 8 - 1;
    c->idtr.base = v->base + VMM_IDT_OFF;
    c->idtr.limit = 256 * 8 - 1;
    desc_to_cache(&c->tr, VMM_TSS, lo, hi);
    shadow_idt_rebuild(v);

    /* The physical PIC belongs to the VMM: vectors 0x20.., the timer only. */
    machine_pic_write(m, 0x20, 0x11); machine_pic_write(m, 0x21, VMM_IRQ_BASE);
    machine_pic_write(m, 0x21, 0x04); machine_pic_write(m, 0x21, 0x01);
    machine_pic_write(m, 0xa0, 0x11); machine_pic_write(m, 0xa1, VMM_IRQ_BASE + 8);
    machine_pic_write(m, 0xa1, 0x02); machine_pic_write(m, 0xa1, 0x01);
    machine_pic_write(m, 0x21, 0xfe); machine_pic_write(m, 0xa1, 0xff);

    /* Deprivilege the guest: its kernel runs in ring 1 from here on. */
    vmm_real_state(v);
    return v;
}

static void setup_trace(vmm_t *v)
{
    const struct cpu *c = &v->m->cpu;
    vmm_trace(v, VA_SETUP, -1, "VMM in ring 0: guest kernel deprivileged to ring 1; shadow GDT %08x, IDT %08x, "
              "TSS %08x, VMM stack %08x; guest segments end at %08x", c->gdtr.base, c->idtr.base,
              v->base + VMM_TSS_OFF, v->base + VMM_STACK_TOP, v->base);
}

vmm_t *vmm_attach(machine_t *m, int expose_pg)
{
    vmm_t *v = vmm_setup(m, expose_pg);
    if (!v)
        return NULL;

    /* Trap-and-emulate behind hv.h: every event to ring 0 is a VM exit;
     * with --expose-pg, every instruction but the innocuous ones outside
     * ring 0 passes the PG audit; the STI shadow ends a step later. */
    vmm_hook_up(v);
    setup_trace(v);
    return v;
}

vmm_t *vmm_attach_dbt(machine_t *m, uint32_t tc_size)
{
    vmm_t *v = vmm_setup(m, 0);
    if (!v)
        return NULL;
    if (dbt_init(v, tc_size)) {
        vmm_free(v);
        return NULL;
    }
    setup_trace(v);
    dbt_trace_setup(v);
    return v;
}

void vmm_free(vmm_t *v)
{
    if (!v)
        return;
    if (v->m->hv.ctx == v)
        hv_detach(v->m);
    pv_free(v->pv);
    dbt_free(v);
    machine_unmap_top(v->m, v->area);
    free(v);
}

/* ---- the summary ---- */
/* "cli 95, sti 1, push %sreg 188": counts by row label, rows that share a
 * label summed. */
static void list_rows(char *d, size_t n, const uint64_t *counts)
{
    char labels[ROW_COUNT][40];
    uint64_t sums[ROW_COUNT];
    int nl = 0;
    for (int row = 0; row < ROW_COUNT; row++) {
        if (!counts[row])
            continue;
        char l[40];
        isa_row_label(row, l, sizeof l);
        int k = 0;
        while (k < nl && strcmp(labels[k], l) != 0)
            k++;
        if (k == nl) {
            strcpy(labels[nl], l);
            sums[nl++] = 0;
        }
        sums[k] += counts[row];
    }
    size_t k = 0;
    d[0] = 0;
    for (int j = 0; j < nl; j++)
        k = list_append(d, n, k, sums[j], "%s", labels[j]);
}

void vmm_print_summary(const vmm_t *v, FILE *out)
{
    char d[1024];
    size_t k = list_exceptions(d, sizeof d, 0, v->exit_exc);
    k = list_counts(d, sizeof d, k, v->exit_irq, 16, "IRQ%d");
    if (v->exit_soft)
        k = list_append(d, sizeof d, k, v->exit_soft, "INT n");
    if (v->exit_hypercall)
        k = list_append(d, sizeof d, k, v->exit_hypercall, "hypercall");
    if (v->exit_cpuid)
        k = list_append(d, sizeof d, k, v->exit_cpuid, "cpuid");
    summary_row(out, "vmm: VM exits", v->exits, d);
    list_rows(d, sizeof d, v->emulated);
    summary_row(out, "vmm: emulated instructions", count_total(v->emulated, ROW_COUNT), d);
    list_exceptions(d, sizeof d, 0, v->reflected);
    summary_row(out, "vmm: faults reflected to guest", count_total(v->reflected, 32), d);
    summary_row(out, "vmm: INT n forwarded to guest", v->forwarded_soft, "");
    const uint64_t *irq_counts[2] = { v->injected, v->deferred };
    const char *labels[2] = { "vmm: interrupts injected", "vmm: interrupts deferred (vIF=0)" };
    for (int t = 0; t < 2; t++) {
        list_counts(d, sizeof d, 0, irq_counts[t], 16, "IRQ%d");
        summary_row(out, labels[t], count_total(irq_counts[t], 16), d);
    }
    summary_row(out, "vmm: shadow IDT rebuilds", v->idt_rebuilds, "");
    summary_row(out, "vmm: shadow GDT syncs", v->gdt_syncs, "");
    if (v->dbt)
        dbt_print_summary(v, out);
    if (v->expose_pg) {
        list_rows(d, sizeof d, v->pg);
        summary_row(out, "vmm: sensitive, no trap (PG)", count_total(v->pg, ROW_COUNT), d);
    }
    if (v->pv)
        pv_print_summary(v, out);
}

uint64_t vmm_exits(const vmm_t *v)
{
    return v->exits;
}

void vmm_write_stats(const vmm_t *v, FILE *f)
{
    fprintf(f, "vmm.exits=%llu\n", (unsigned long long)v->exits);
    write_counts(f, "vmm.exit.exception.%d", v->exit_exc, 32);
    write_counts(f, "vmm.exit.irq.%d", v->exit_irq, 16);
    fprintf(f, "vmm.exit.int=%llu\n", (unsigned long long)v->exit_soft);
    if (v->pv)
        fprintf(f, "vmm.exit.hypercall=%llu\nvmm.exit.cpuid=%llu\n", (unsigned long long)v->exit_hypercall,
                (unsigned long long)v->exit_cpuid);
    for (int row = 0; row < ROW_COUNT; row++)
        if (v->emulated[row])
            fprintf(f, "vmm.emulated.%s=%llu\n", isa_rows[row].id, (unsigned long long)v->emulated[row]);
    write_counts(f, "vmm.reflected.%d", v->reflected, 32);
    for (int q = 0; q < 16; q++) {
        if (v->injected[q])
            fprintf(f, "vmm.injected.irq.%d=%llu\n", q, (unsigned long long)v->injected[q]);
        if (v->deferred[q])
            fprintf(f, "vmm.deferred.irq.%d=%llu\n", q, (unsigned long long)v->deferred[q]);
    }
    fprintf(f, "vmm.idt_rebuilds=%llu\nvmm.gdt_syncs=%llu\n", (unsigned long long)v->idt_rebuilds,
            (unsigned long long)v->gdt_syncs);
    for (int row = 0; row < ROW_COUNT; row++)
        if (v->pg[row])
            fprintf(f, "vmm.pg.%s=%llu\n", isa_rows[row].id, (unsigned long long)v->pg[row]);
    if (v->pv)
        pv_write_stats(v, f);
    if (v->dbt)
        dbt_write_stats(v, f);
}
