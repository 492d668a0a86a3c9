/* --vmm=pv: paravirtualization (vmm/pv.h, the ABI in vmm/pv_abi.h).
 *
 * Built on the trap-and-emulate VMM, which it reuses whole: ring
 * compression (the guest kernel in ring 1), the shadow GDT, the guest's
 * virtual CPU and delivery into the guest through it (vmm_forward()). What
 * pv adds:
 *
 *   - hypercalls (int $0x82 from the guest kernel): checked, then done on
 *     the virtual CPU's state or the machine; one VM exit each, multicall
 *     many in one;
 *   - a virtual IDT and TSS of the monitor's, built from set_trap_table and
 *     stack_switch, which only the virtual CPU sees (its bus's top window:
 *     PV_VIEW_BASE); the guest's own tables are not read;
 *   - events instead of a virtual PIC: the timer sets a bit in the shared
 *     page, and the monitor calls the guest's callback when its mask byte
 *     (the virtual IF) is 0;
 *   - the fast system-call trap: a real gate in the shadow IDT from ring 3
 *     to the guest's ring-1 handler, on the ring-1 stack of the real TSS;
 *   - CPUID shows the hypervisor and the pv signature;
 *   - a guest kernel that runs a privileged or trapping sensitive
 *     instruction is stopped with one line (STOP_NOT_PV): it has not been
 *     paravirtualized. Its processes' faults go to it as under te. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmm/vmm_int.h"
#include "vmm/pv.h"
#include "vmm/pv_abi.h"
#include "cpu/names.h"
#include "cpu/pit.h"
#include "cpu/snap.h"

#define PV_VIEW_BASE 0xfffff000u   /* the virtual CPU's view of the monitor's tables */
#define PV_VIEW_IDT  0x000u        /* 256 gates */
#define PV_VIEW_TSS  0x800u        /* SS0:ESP0 from stack_switch */
#define PV_UPCALL    PV_HYPERCALL_VECTOR   /* the callback's slot in the virtual IDT (0x82 is never a guest trap) */

static const char *const names[PV_HYPERCALL_COUNT] = PV_HYPERCALL_NAMES;
/* the arguments' names, for the trace; '#' before a name: a number, in
 * decimal (else an address or selector, in hex) */
static const char *const argnames[PV_HYPERCALL_COUNT][3] = {
    { "table", "#count" }, { "base", "#entries" }, { "ss", "esp" }, { "#reload" }, { "#cmd" },
    { "buf", "#len" }, { "ops", "#count" }, { "calls", "#count" }, { "cs", "eip" }, { "page" },
    { "vector", "#on" }, { 0 },
};

struct pv {
    uint8_t view[4096];             /* what the virtual CPU sees at PV_VIEW_BASE */
    uint8_t made[4096];             /* the view as the hypercalls made it: a delivery whose
                                     * frame landed in the view (a guest stack segment
                                     * based up there) is undone before the next one */
    uint32_t shared;                /* the shared page, guest-physical; valid when has_shared */
    int has_shared, has_callback;
    uint32_t timer_reload;          /* 0: no timer */
    int fast_vector;                /* -1: none */
    pv_trap_info_t traps[256];
    uint8_t trap_set[256];
    int depth;                      /* inside a multicall */
    char note[160];                 /* what the handler says about the call, for the trace */
    uint64_t calls[PV_HYPERCALL_COUNT], errors[PV_HYPERCALL_COUNT], bad_numbers;
    uint64_t upcalls, events, masked_events;
};

const char *pv_hypercall_name(uint32_t nr) { return nr < PV_HYPERCALL_COUNT ? names[nr] : NULL; }
uint64_t pv_hypercalls(const vmm_t *v, uint32_t nr) { return v->pv && nr < PV_HYPERCALL_COUNT ? v->pv->calls[nr] : 0; }

/* ---- guest memory, by guest-physical address ---- */
static int in_ram(const vmm_t *v, uint32_t pa, uint64_t len)
{
    return (uint64_t)pa + len <= v->m->cpu.ram_size;
}

static uint8_t *ram(const vmm_t *v, uint32_t pa) { return v->m->cpu.ram + pa; }

static void wr32(uint8_t *p, uint32_t x) { memcpy(p, &x, 4); }

static pv_shared_t *shared(const vmm_t *v)
{
    /* checked at registration; RAM never shrinks */
    return v->pv->has_shared ? (pv_shared_t *)(void *)ram(v, v->pv->shared) : NULL;
}

static int note(vmm_t *v, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int note(vmm_t *v, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->pv->note, sizeof v->pv->note, fmt, ap);
    va_end(ap);
    return err;
}

/* The guest's descriptor `sel` from the GDT it gave set_gdt: 0 and its
 * access byte, or -1 when there is none. */
static int guest_desc(const vmm_t *v, uint16_t sel, uint8_t *access)
{
    if ((sel & 4) || (sel & ~7u) == 0 || (uint32_t)(sel | 7u) > v->vcpu.gdtr.limit ||
        !in_ram(v, v->vcpu.gdtr.base + (sel & ~7u), 8))
        return -1;
    *access = ram(v, v->vcpu.gdtr.base + (sel & ~7u))[5];
    return 0;
}

/* A handler's selector: the kernel's code, with RPL 1 (never 0: ring 0 is
 * the monitor's); 0 or a negative error. */
static int check_kernel_cs(vmm_t *v, uint16_t cs, const char *what)
{
    uint8_t a;
    if ((cs & 3) != PV_KERNEL_RPL)
        return note(v, -PV_EPERM, "%s selector %04x: RPL %d, not the kernel's %d", what, cs, cs & 3, PV_KERNEL_RPL);
    if (guest_desc(v, cs, &a) || !DESC_P(a) || !DESC_CODE(a) || DESC_DPL(a) != 0)
        return note(v, -PV_EINVAL, "%s selector %04x: not present kernel code in the guest's GDT", what, cs);
    return 0;
}

/* ---- the virtual IDT and TSS, and the real fast-trap gate ---- */
static void view_gate(vmm_t *v, int vector, uint16_t cs, uint32_t eip, int dpl, int intgate)
{
    uint8_t *g = v->pv->view + PV_VIEW_IDT + vector * 8;
    wr32(g, ((uint32_t)(cs & ~3u) << 16) | (eip & 0xffff));
    wr32(g + 4, (eip & 0xffff0000u) | 0x8000u | (uint32_t)dpl << 13 | (intgate ? 0x0e00u : 0x0f00u));
}

static void real_gate(vmm_t *v, int vector, uint32_t lo, uint32_t hi)
{
    phys_write(&v->m->cpu, v->base + VMM_IDT_OFF + (uint32_t)vector * 8, 4, lo);
    phys_write(&v->m->cpu, v->base + VMM_IDT_OFF + (uint32_t)vector * 8 + 4, 4, hi);
}

/* The fast trap's gate in the real IDT: the guest's handler, DPL 3, a trap
 * gate, through the shadow GDT (its kernel code runs as DPL 1); or back to
 * the VMM's gate. */
static void fast_trap_apply(vmm_t *v, int vector, int on)
{
    if (!on) {
        real_gate(v, vector, (uint32_t)VMM_CS << 16, 0x0000ee00u);
        return;
    }
    const pv_trap_info_t *t = &v->pv->traps[vector];
    real_gate(v, vector, ((uint32_t)t->cs << 16) | (t->address & 0xffff), (t->address & 0xffff0000u) | 0xef00u);
}

static int fast_trap_ok(const vmm_t *v, int vector)
{
    const pv_trap_info_t *t = &v->pv->traps[vector];
    return v->pv->trap_set[vector] && PV_TI_DPL(t->flags) == 3 && !(t->flags & PV_TI_MASK_EVENTS);
}

/* ---- the hypercalls ---- */
static int hc_set_trap_table(vmm_t *v, const uint32_t *a)
{
    struct pv *p = v->pv;
    uint32_t table = a[0], count = a[1];
    if (count > PV_MAX_TRAPS)
        return note(v, -PV_E2BIG, "%u handlers, at most %d", count, PV_MAX_TRAPS);
    if (!in_ram(v, table, (uint64_t)count * sizeof(pv_trap_info_t)))
        return note(v, -PV_EFAULT, "the table is not inside guest RAM");
    pv_trap_info_t t[PV_MAX_TRAPS];
    memcpy(t, ram(v, table), count * sizeof *t);
    for (uint32_t k = 0; k < count; k++) {
        if (t[k].vector == PV_HYPERCALL_VECTOR)
            return note(v, -PV_EINVAL, "entry %u: vector 0x82 is the hypercall's", k);
        if (t[k].flags & ~(3u | PV_TI_MASK_EVENTS))
            return note(v, -PV_EINVAL, "entry %u: unknown flags %02x", k, t[k].flags);
        int e = check_kernel_cs(v, t[k].cs, "handler");
        if (e)
            return e;
        if (t[k].address >= v->m->cpu.ram_size)
            return note(v, -PV_EFAULT, "entry %u: handler %08x is not in guest RAM", k, t[k].address);
    }
    /* all good: the table replaces the last one (the upcall's slot stays) */
    for (int vec = 0; vec < 256; vec++) {
        p->trap_set[vec] = 0;
        if (vec != PV_UPCALL)
            memset(p->view + PV_VIEW_IDT + vec * 8, 0, 8);
    }
    for (uint32_t k = 0; k < count; k++) {
        p->traps[t[k].vector] = t[k];
        p->trap_set[t[k].vector] = 1;
        view_gate(v, t[k].vector, t[k].cs, t[k].address, PV_TI_DPL(t[k].flags), t[k].flags & PV_TI_MASK_EVENTS);
    }
    if (p->fast_vector >= 0) {
        int ok = fast_trap_ok(v, p->fast_vector);
        fast_trap_apply(v, p->fast_vector, ok);
        if (!ok)
            p->fast_vector = -1;
    }
    return note(v, 0, "%u handlers into the virtual IDT (the real IDT stays the VMM's)", count);
}

static int hc_set_gdt(vmm_t *v, const uint32_t *a)
{
    uint32_t base = a[0], n = a[1];
    if (n == 0 || n > PV_MAX_GDT)
        return note(v, n ? -PV_E2BIG : -PV_EINVAL, "%u entries: 1 to %d", n, PV_MAX_GDT);
    if (!in_ram(v, base, (uint64_t)n * 8))
        return note(v, -PV_EFAULT, "the GDT is not inside guest RAM");
    for (uint32_t i = 1; i < n; i++) {
        uint8_t acc = ram(v, base + i * 8)[5];
        int type = DESC_TYPE(acc);
        if (DESC_P(acc) && !DESC_S(acc) && (type == 4 || type == 5 || type == 6 || type == 7 || type >= 12))
            return note(v, -PV_EPERM, "entry %u is a gate (type %d): a pv guest has none", i, type);
    }
    v->vcpu.gdtr.base = base;
    v->vcpu.gdtr.limit = (uint16_t)(n * 8 - 1);
    vmm_shadow_gdt_sync(v, 1);
    return note(v, 0, "guest GDTR := %08x/%04x; the shadow GDT follows it", base, v->vcpu.gdtr.limit);
}

static int hc_stack_switch(vmm_t *v, const uint32_t *a)
{
    uint16_t ss = (uint16_t)a[0];
    uint32_t esp = a[1];
    uint8_t acc;
    if (a[0] > 0xffff || (ss & 3) != PV_KERNEL_RPL)
        return note(v, -PV_EPERM, "stack selector %04x: RPL %d, not the kernel's %d", a[0], (int)(a[0] & 3), PV_KERNEL_RPL);
    if (guest_desc(v, ss, &acc) || !DESC_P(acc) || !DESC_WRITABLE(acc) || DESC_DPL(acc) != 0)
        return note(v, -PV_EINVAL, "stack selector %04x: not present writable kernel data in the guest's GDT", ss);
    if (esp < 16 || esp > v->m->cpu.ram_size)
        return note(v, -PV_EFAULT, "stack top %08x is not in guest RAM", esp);
    /* the virtual TSS, for the deliveries the VMM makes (guest RPL 0) ... */
    wr32(v->pv->view + PV_VIEW_TSS + 4, esp);
    wr32(v->pv->view + PV_VIEW_TSS + 8, ss & ~3u);
    /* ... and the real TSS's ring-1 stack, for the fast trap */
    phys_write(&v->m->cpu, v->base + VMM_TSS_OFF + 12, 4, esp);
    phys_write(&v->m->cpu, v->base + VMM_TSS_OFF + 16, 4, ss);
    return note(v, 0, "kernel stack %04x:%08x (virtual TSS ring 0, real TSS ring 1)", ss, esp);
}

static int hc_set_timer(vmm_t *v, const uint32_t *a)
{
    machine_t *m = v->m;
    uint32_t reload = a[0];
    if (reload > 65536)
        return note(v, -PV_EINVAL, "reload %u: at most 65536", reload);
    v->pv->timer_reload = reload;
    if (!reload) {
        machine_pic_write(m, 0x21, 0xff);   /* the physical IRQ0 off */
        return note(v, 0, "no timer");
    }
    uint64_t ticks = machine_pit_ticks(m, m->now);
    pit_write(&m->pit, 0x43, 0x34, ticks);   /* channel 0, mode 2, as a native kernel would */
    pit_write(&m->pit, 0x40, (uint8_t)reload, ticks);
    pit_write(&m->pit, 0x40, (uint8_t)(reload >> 8), ticks);
    machine_schedule(m);
    machine_pic_write(m, 0x21, 0xfe);
    return note(v, 0, "a timer event every %u PIT ticks (%.3f Hz)", reload, 1193182.0 / reload);
}

static int hc_sched_op(vmm_t *v, const uint32_t *a)
{
    if (a[0] != PV_SCHEDOP_block)
        return note(v, -PV_EINVAL, "unknown command %u", a[0]);
    if (v->pv->depth)
        return note(v, -PV_EINVAL, "block inside a multicall");
    pv_shared_t *sh = shared(v);
    if (!sh || sh->upcall_mask) {
        machine_stop(v->m, STOP_HALTED, "halted for ever: the guest blocked (sched_op) at %04x:%08x with its "
                     "events masked, so no event will wake it", v->m->cpu.seg[SEG_CS].sel, v->m->cpu.eip - 2);
        return 0;
    }
    v->guest_halted = 1;
    return note(v, 0, "the guest waits for an event");
}

static int hc_console_write(vmm_t *v, const uint32_t *a)
{
    uint32_t buf = a[0], len = a[1];
    if (len > PV_MAX_CONSOLE)
        return note(v, -PV_E2BIG, "%u bytes, at most %d", len, PV_MAX_CONSOLE);
    if (!in_ram(v, buf, len))
        return note(v, -PV_EFAULT, "the text is not inside guest RAM");
    vmm_vcpu_load(v);   /* console events carry the guest's ring */
    for (uint32_t k = 0; k < len; k++)
        machine_console_put(v->m, ram(v, buf)[k]);
    vmm_vcpu_store(v);
    return note(v, (int)len, "%u bytes", len);
}

static int hc_port_io(vmm_t *v, const uint32_t *a)
{
    uint32_t ops = a[0], n = a[1];
    if (n > PV_MAX_PORT_OPS)
        return note(v, -PV_E2BIG, "%u accesses, at most %d", n, PV_MAX_PORT_OPS);
    if (!in_ram(v, ops, (uint64_t)n * sizeof(pv_port_op_t)))
        return note(v, -PV_EFAULT, "the list is not inside guest RAM");
    for (uint32_t k = 0; k < n; k++) {
        pv_port_op_t op;
        memcpy(&op, ram(v, ops + k * sizeof op), sizeof op);
        if ((op.size != 1 && op.size != 2 && op.size != 4) || op.dir > PV_PORT_OUT || op.port + op.size > 0x10000)
            return note(v, -PV_EINVAL, "access %u: port %04x size %d dir %d", k, op.port, op.size, op.dir);
    }
    int outs = 0, ins = 0;
    vmm_vcpu_load(v);   /* the devices see the guest's ring, as an emulated OUT */
    for (uint32_t k = 0; k < n && v->m->stop == STOP_NONE; k++) {
        pv_port_op_t op;
        uint8_t *at = ram(v, ops + k * sizeof op);
        memcpy(&op, at, sizeof op);
        if (op.dir == PV_PORT_OUT) {
            vdev_bus_ops.port_out(v, op.port, op.size, op.value);
            outs++;
        } else {
            op.value = vdev_bus_ops.port_in(v, op.port, op.size);
            memcpy(at, &op, sizeof op);
            ins++;
        }
    }
    vmm_vcpu_store(v);
    return note(v, (int)n, "%d OUTs, %d INs in one exit", outs, ins);
}

static int hc_multicall(vmm_t *v, const uint32_t *a)
{
    struct pv *p = v->pv;
    uint32_t calls = a[0], n = a[1];
    if (p->depth)
        return note(v, -PV_EINVAL, "a multicall inside a multicall");
    if (n > PV_MAX_MULTICALL)
        return note(v, -PV_E2BIG, "%u calls, at most %d", n, PV_MAX_MULTICALL);
    if (!in_ram(v, calls, (uint64_t)n * sizeof(pv_multicall_t)))
        return note(v, -PV_EFAULT, "the list is not inside guest RAM");
    char list[120] = "";
    size_t k = 0;
    p->depth = 1;
    for (uint32_t i = 0; i < n && v->m->stop == STOP_NONE; i++) {
        pv_multicall_t mc;
        uint8_t *at = ram(v, calls + i * sizeof mc);
        memcpy(&mc, at, sizeof mc);
        int32_t r = pv_hypercall(v, mc.op, mc.args);
        memcpy(at + offsetof(pv_multicall_t, result), &r, sizeof r);
        if (k < sizeof list)
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "",
                                  mc.op < PV_HYPERCALL_COUNT ? names[mc.op] : "?");
    }
    p->depth = 0;
    return note(v, 0, "%u calls in one exit: %s", n, list);
}

static int hc_set_callback(vmm_t *v, const uint32_t *a)
{
    int e = a[0] > 0xffff ? note(v, -PV_EPERM, "callback selector %08x", a[0]) : check_kernel_cs(v, (uint16_t)a[0], "callback");
    if (e)
        return e;
    if (a[1] >= v->m->cpu.ram_size)
        return note(v, -PV_EFAULT, "callback %08x is not in guest RAM", a[1]);
    view_gate(v, PV_UPCALL, (uint16_t)a[0], a[1], 0, 1);
    v->pv->has_callback = 1;
    return note(v, 0, "events arrive at %04x:%08x, masked on entry", a[0], a[1]);
}

static int hc_register_shared(vmm_t *v, const uint32_t *a)
{
    if ((a[0] & 3) || !in_ram(v, a[0], sizeof(pv_shared_t)))
        return note(v, -PV_EFAULT, "the page %08x is not aligned inside guest RAM", a[0]);
    v->pv->shared = a[0];
    v->pv->has_shared = 1;
    pv_shared_t *sh = shared(v);
    sh->upcall_mask = !vmm_vif(v);
    sh->upcall_pending = 0;
    sh->pending = 0;
    return note(v, 0, "virtual IF = the byte at %08x (mask %d)", a[0], sh->upcall_mask);
}

static int hc_set_fast_trap(vmm_t *v, const uint32_t *a)
{
    struct pv *p = v->pv;
    uint32_t vector = a[0];
    if (vector > 255 || vector == PV_HYPERCALL_VECTOR || vector < 32)
        return note(v, -PV_EINVAL, "vector %u: 32-255 but 0x82", vector);
    if (a[1] && !fast_trap_ok(v, (int)vector))
        return note(v, -PV_EINVAL, "vector 0x%02x: needs a DPL-3 trap handler (not masking events) first", vector);
    if (p->fast_vector >= 0)
        fast_trap_apply(v, p->fast_vector, 0);
    p->fast_vector = a[1] ? (int)vector : -1;
    if (a[1])
        fast_trap_apply(v, (int)vector, 1);
    return note(v, 0, a[1] ? "int 0x%02x from ring 3 goes straight to ring 1 through the real IDT: no exit"
                           : "int 0x%02x exits to the VMM again", vector);
}

static int hc_event_check(vmm_t *v, const uint32_t *a)
{
    (void)a;
    pv_shared_t *sh = shared(v);
    return note(v, 0, "pending %08x, mask %d", sh ? sh->pending : 0, sh ? sh->upcall_mask : 1);
}

typedef int (*handler_t)(vmm_t *v, const uint32_t *a);
static const handler_t handlers[PV_HYPERCALL_COUNT] = {
    hc_set_trap_table, hc_set_gdt, hc_stack_switch, hc_set_timer, hc_sched_op, hc_console_write,
    hc_port_io, hc_multicall, hc_set_callback, hc_register_shared, hc_set_fast_trap, hc_event_check,
};

static const char *err_name(int e)
{
    switch (-e) {
    case PV_EPERM: return "EPERM";
    case PV_E2BIG: return "E2BIG";
    case PV_EFAULT: return "EFAULT";
    case PV_EINVAL: return "EINVAL";
    case PV_ENOSYS: return "ENOSYS";
    default: return "?";
    }
}

int32_t pv_hypercall(vmm_t *v, uint32_t nr, const uint32_t a[5])
{
    struct pv *p = v->pv;
    if (nr >= PV_HYPERCALL_COUNT) {
        p->bad_numbers++;
        vmm_trace(v, VA_HYPERCALL, -1, "hypercall %u: no such hypercall = -%d (ENOSYS)", nr, PV_ENOSYS);
        return -PV_ENOSYS;
    }
    p->calls[nr]++;
    p->note[0] = 0;
    int r = handlers[nr](v, a);
    if (r < 0)
        p->errors[nr]++;
    else if (nr == PV_set_trap_table || nr == PV_stack_switch || nr == PV_set_callback)
        memcpy(p->made, p->view, sizeof p->made);
    if (trace_on(&v->m->trace, TL_VMM)) {
        char args[80] = "";
        size_t k = 0;
        for (int i = 0; i < 3 && argnames[nr][i]; i++)
            k += (size_t)snprintf(args + k, sizeof args - k, argnames[nr][i][0] == '#' ? "%s%s=%u" : "%s%s=%#x",
                                  i ? ", " : "", argnames[nr][i] + (argnames[nr][i][0] == '#'), a[i]);
        if (r < 0)
            vmm_trace(v, VA_HYPERCALL, -1, "%s%s(%s) = -%d (%s: %s)", p->depth && nr != PV_multicall ? "  " : "",
                      names[nr], args, -r, err_name(r), p->note);
        else
            vmm_trace(v, VA_HYPERCALL, -1, "%s%s(%s) = %d: %s", p->depth && nr != PV_multicall ? "  " : "",
                      names[nr], args, r, p->note);
    }
    return r;
}

/* ---- the monitor's side: exits, events, delivery ---- */
void pv_hypercall_exit(vmm_t *v)
{
    struct cpu *c = &v->m->cpu;
    uint32_t nr = c->reg[EAX];
    uint32_t a[5] = { c->reg[EBX], c->reg[ECX], c->reg[EDX], c->reg[ESI], c->reg[EDI] };
    vm_exit_t x = { XR_HYPERCALL, nr, 0, 0 };
    const char *name = pv_hypercall_name(nr);
    vmm_exit(v, &x, PV_HYPERCALL_VECTOR, "VM exit: hypercall %s from ring %d at %08x", name ? name : "?",
             c->cpl, c->eip - 2);
    int32_t r = pv_hypercall(v, nr, a);
    if (v->m->stop == STOP_NONE)
        c->reg[EAX] = (uint32_t)r;
}

void pv_event(vmm_t *v, int event)
{
    struct pv *p = v->pv;
    pv_shared_t *sh = shared(v);
    p->events++;
    if (!sh)
        return;
    sh->pending |= 1u << event;
    sh->upcall_pending = 1;
    if (sh->upcall_mask) {
        p->masked_events++;
        vmm_trace(v, VA_DEFER, -1, "timer event pending %08x: events masked (virtual IF = 0)", sh->pending);
    }
}

void pv_try_upcall(vmm_t *v)
{
    machine_t *m = v->m;
    struct pv *p = v->pv;
    pv_shared_t *sh = shared(v);
    if (!sh || !p->has_callback || !sh->pending || sh->upcall_mask || m->stop != STOP_NONE)
        return;
    p->upcalls++;
    v->guest_halted = 0;
    m->halted = 0;
    vmm_trace(v, VA_INJECT, -1, "event upcall: pending %08x -> the guest's callback (events masked)", sh->pending);
    vmm_forward(v, PV_UPCALL, DK_HARDWARE, 0, 0, m->cpu.eip);
}

void pv_halt_check(vmm_t *v)
{
    if (!v->guest_halted || v->m->stop != STOP_NONE)
        return;
    if (!v->pv->timer_reload || !v->pv->has_callback)
        machine_stop(v->m, STOP_HALTED, "halted for ever: the guest blocked with no %s",
                     v->pv->timer_reload ? "event callback (set_callback)" : "timer (set_timer)");
    else
        v->m->halted = 1;
}

void pv_vif_to_vcpu(vmm_t *v)
{
    pv_shared_t *sh = shared(v);
    memcpy(v->pv->view, v->pv->made, sizeof v->pv->view);
    if (sh)
        v->vcpu.eflags = sh->upcall_mask ? v->vcpu.eflags & ~FL_IF : v->vcpu.eflags | FL_IF;
}

/* After a delivery into the guest: the mask byte from the virtual IF (an
 * interrupt gate cleared it), and the frame's CS with the real RPL, so the
 * guest's own IRET goes back without a trap (1 for its kernel). */
void pv_after_delivery(vmm_t *v, int has_error)
{
    struct cpu *c = &v->m->cpu;
    pv_shared_t *sh = shared(v);
    if (sh)
        sh->upcall_mask = !vmm_vif(v);
    uint32_t at = c->seg[SEG_SS].base + c->reg[ESP] + (has_error ? 8 : 4);
    if (!in_ram(v, at, 2))
        return;
    uint16_t cs;
    memcpy(&cs, ram(v, at), 2);
    if ((cs & 3) == 0) {
        cs |= PV_KERNEL_RPL;
        phys_write(c, at, 2, cs);
    }
}

/* Which hypercall a paravirtual guest uses instead of this instruction. */
static const char *replacement(int row)
{
    switch (row) {
    case ROW_CLI: case ROW_STI: case ROW_POPF: case ROW_PUSHF:
        return "the mask byte of its shared page (and event_check when it unmasks with an event pending)";
    case ROW_HLT: return "the hypercall sched_op(block)";
    case ROW_LGDT: return "the hypercall set_gdt";
    case ROW_LIDT: return "the hypercall set_trap_table";
    case ROW_LTR: return "the hypercall stack_switch";
    case ROW_IRET: return "a plain IRET to frames with RPL 1, after setting the mask byte (vmm/pv_abi.h)";
    default: break;
    }
    const char *id = isa_rows[row].id;
    if (isa_rows[row].cls == IOPL)
        return "the hypercall port_io (or console_write)";
    if (strncmp(id, "MOV", 3) == 0 || strncmp(id, "POP", 3) == 0 || strncmp(id, "L", 1) == 0)
        return "selectors with RPL 1 and no control registers (no hypercall)";
    return "nothing: it does not need it";
}

void pv_fault(vmm_t *v, uint32_t eip, int vector, uint32_t error)
{
    machine_t *m = v->m;
    isa_insn_t scratch;
    const isa_insn_t *insn;
    if (v->vcpu.cpl != 0 || machine_fetch_decode(m, &scratch, &insn) || insn->row == ROW_INVALID ||
        !(isa_row_is_sensitive(&isa_rows[insn->row]) || insn->row == ROW_RDTSC)) {
        vmm_reflect(v, vector, 1, error, eip);   /* a process's fault, or the kernel's own */
        return;
    }
    char text[96];
    isa_disasm(insn, eip, text, sizeof text);
    machine_stop(m, STOP_NOT_PV, "pv: the guest kernel ran '%s' at %04x:%08x (guest ring 0, real ring 1: %s): "
                 "not paravirtualized; a pv kernel uses %s instead", text, m->cpu.seg[SEG_CS].sel, eip,
                 exc_name(vector), replacement(insn->row));
}

/* hv.h's before_insn for CPUID (the rest of the innocuous class runs
 * untouched): the hypervisor bit and the pv signature, as CPUID faulting
 * would let a monitor answer; one VM exit. */
static int pv_cpuid(void *ctx, machine_t *m, const isa_insn_t *insn, uint32_t eip)
{
    vmm_t *v = ctx;
    if (insn->row != ROW_CPUID)
        return 0;
    struct cpu *c = &m->cpu;
    uint32_t leaf = c->reg[EAX];
    int ring = c->cpl, tf = (c->eflags & FL_TF) != 0;
    vm_exit_t x = { XR_CPUID, leaf, 0, 0 };
    vmm_exit(v, &x, -1, "VM exit: cpuid leaf %08x from ring %d at %08x", leaf, ring, eip);
    isa_result_t r = isa_execute(c, insn);
    if (leaf == 1) {
        c->reg[ECX] = (c->reg[ECX] & ~(1u << 5)) | 1u << 31;   /* no VMX; a hypervisor */
    } else if (leaf == PV_CPUID_LEAF) {
        c->reg[EAX] = PV_CPUID_LEAF;
        memcpy(&c->reg[EBX], PV_SIGNATURE, 4);
        memcpy(&c->reg[ECX], &PV_SIGNATURE[4], 4);
        memcpy(&c->reg[EDX], &PV_SIGNATURE[8], 4);
    }
    vmm_trace(v, VA_EMULATE, -1, "cpuid leaf %08x: %s", leaf,
              leaf == 1 ? "ECX bit 31, a hypervisor" : leaf == PV_CPUID_LEAF ? "the signature " PV_SIGNATURE : "as the CPU");
    if (machine_retire(m, insn, ring, r, tf) && m->stop == STOP_NONE) {
        c->dr[6] |= DR6_BS;
        vmm_forward(v, EXC_DB, DK_EXCEPTION, 0, 0, c->eip);
    }
    return 1;
}

/* The virtual CPU's window on the view, and pv's hooks on the machine
 * (te's, with CPUID answered instead of the PG audit). */
static void pv_hook_up(vmm_t *v)
{
    v->vcpu.bus.top_mem = v->pv->view;
    v->vcpu.bus.top_base = PV_VIEW_BASE;
    v->vcpu.bus.top_size = sizeof v->pv->view;
    static const hv_ops_t pv_ops = { .ring0_entry = vmm_entry, .before_insn = pv_cpuid };
    vmm_hv_attach(v, &pv_ops, 1u << INNOC);
}

vmm_t *vmm_attach_pv(machine_t *m)
{
    vmm_t *v = vmm_attach(m, 0);
    struct pv *p = v ? calloc(1, sizeof *p) : NULL;
    if (!p) {
        vmm_free(v);
        return NULL;
    }
    v->pv = p;
    p->fast_vector = -1;
    /* the virtual CPU sees the monitor's IDT and TSS for the guest, not
     * the guest's (it has none: it asked with hypercalls): pv_hook_up() */
    v->vcpu.idtr.base = PV_VIEW_BASE + PV_VIEW_IDT;
    v->vcpu.idtr.limit = 256 * 8 - 1;
    uint32_t tss = PV_VIEW_BASE + PV_VIEW_TSS, lo = (103 & 0xffff) | (tss << 16);
    uint32_t hi = ((tss >> 16) & 0xff) | (0x8bu << 8) | (tss & 0xff000000u);
    desc_to_cache(&v->vcpu.tr, 0, lo, hi);
    wr32(p->view + PV_VIEW_TSS + 100, 104u << 16);   /* no I/O bitmap */
    memcpy(p->made, p->view, sizeof p->made);
    /* no PIC for the guest: the physical timer stays off until set_timer */
    machine_pic_write(m, 0x21, 0xff);
    pv_hook_up(v);
    vmm_trace(v, VA_SETUP, -1, "paravirtual interface: int $0x82 from ring 1, CPUID signature " PV_SIGNATURE
              "; the guest's IDT and TSS are the VMM's, built from its hypercalls");
    return v;
}

void pv_free(struct pv *p)
{
    free(p);
}

/* ---- in a snapshot (docs/SNAPSHOT.md): the te section, then this ---- */

/* Both ways: everything of struct pv but the trace note (a call's own),
 * and te's two pv counters. */
static void pv_state(snap_io_t *io, vmm_t *v)
{
    struct pv *p = v->pv;
    snap_bytes(io, p->view, sizeof p->view);
    snap_bytes(io, p->made, sizeof p->made);
    snap_u32(io, &p->shared);
    snap_int(io, &p->has_shared);
    snap_int(io, &p->has_callback);
    snap_u32(io, &p->timer_reload);
    snap_int(io, &p->fast_vector);
    for (int k = 0; k < 256; k++) {
        snap_u8(io, &p->traps[k].vector);
        snap_u8(io, &p->traps[k].flags);
        snap_u16(io, &p->traps[k].cs);
        snap_u32(io, &p->traps[k].address);
    }
    snap_bytes(io, p->trap_set, sizeof p->trap_set);
    snap_int(io, &p->depth);
    snap_u64_table(io, p->calls, PV_HYPERCALL_COUNT);
    snap_u64_table(io, p->errors, PV_HYPERCALL_COUNT);
    snap_u64(io, &p->bad_numbers);
    snap_u64(io, &p->upcalls);
    snap_u64(io, &p->events);
    snap_u64(io, &p->masked_events);
    snap_u64(io, &v->exit_hypercall);
    snap_u64(io, &v->exit_cpuid);
    if (!io->load || !snap_ok(io))
        return;
    /* what the handlers rely on having checked */
    if ((unsigned)p->has_shared > 1 || (unsigned)p->has_callback > 1 || p->depth != 0 || p->fast_vector < -1 || p->fast_vector > 255 ||
        (p->has_shared && ((p->shared & 3) || !in_ram(v, p->shared, sizeof(pv_shared_t)))))
        snap_fail(io, "paravirtual state out of range (shared page %08x, fast trap %d)", p->shared, p->fast_vector);
}

void pv_snap_save(vmm_t *v, snap_io_t *io)
{
    pv_state(io, v);
}

int pv_snap_load(vmm_t *v, snap_io_t *io)
{
    if (v->pv)
        return snap_fail(io, "a second paravirtual state for the VM");
    if (!(v->pv = calloc(1, sizeof *v->pv)))
        return snap_fail(io, "out of memory for the paravirtual interface");
    pv_state(io, v);
    if (!snap_ok(io))
        return -1;
    pv_hook_up(v);
    return 0;
}

/* ---- the summary and --stats ---- */
void pv_print_summary(const vmm_t *v, FILE *out)
{
    const struct pv *p = v->pv;
    char d[1024];
    size_t k = 0;
    uint64_t total = 0, errors = p->bad_numbers;
    d[0] = 0;
    for (int nr = 0; nr < PV_HYPERCALL_COUNT; nr++) {
        total += p->calls[nr];
        errors += p->errors[nr];
        if (p->calls[nr])
            k = list_append(d, sizeof d, k, p->calls[nr], "%s", names[nr]);
    }
    summary_row(out, "pv: hypercalls", total, d);
    summary_row(out, "pv: hypercalls refused", errors, "");
    summary_row(out, "pv: event upcalls", p->upcalls, "");
    summary_row(out, "pv: events while masked", p->masked_events, "");
}

void pv_write_stats(const vmm_t *v, FILE *f)
{
    const struct pv *p = v->pv;
    for (int nr = 0; nr < PV_HYPERCALL_COUNT; nr++)
        fprintf(f, "pv.hypercalls.%s=%llu\n", names[nr], (unsigned long long)p->calls[nr]);
    uint64_t errors = p->bad_numbers;
    for (int nr = 0; nr < PV_HYPERCALL_COUNT; nr++)
        errors += p->errors[nr];
    fprintf(f, "pv.hypercall_errors=%llu\npv.upcalls=%llu\npv.events=%llu\npv.events_masked=%llu\n",
            (unsigned long long)errors, (unsigned long long)p->upcalls, (unsigned long long)p->events,
            (unsigned long long)p->masked_events);
}
