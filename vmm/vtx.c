/* vtx: a hypervisor over VMX, in C (vmm/vtx.h). What it asks of the CPU:
 *
 *   - external-interrupt exiting, the interrupt left in the PIC (no
 *     "acknowledge interrupt on exit"): every timer tick is one VM exit.
 *     When the guest can take it (IF 1, no STI/MOV SS blocking), the
 *     hypervisor acknowledges the PIC for it and injects the vector at the
 *     next VM entry; else it waits for the interrupt-window exit, with
 *     external-interrupt exiting off meanwhile (the request stays pending).
 *     The PIC is thus acknowledged exactly when a bare CPU would, so the
 *     guest sees the same interrupts at the same instructions;
 *   - HLT exiting and unconditional I/O exiting: HLT, and every port access
 *     to the devices, which the hypervisor performs for the guest;
 *   - CPUID (always), INVD, MOV to and from CR3 (the processor's default),
 *     the VMX instructions (always): performed, or #UD for VMX (no nesting);
 *   - CR0.NE, CR0.PG and CR4.VMXE owned by the host (guest/host masks): VMX
 *     needs NE and VMXE set, but the guest reads and writes its own values
 *     through the read shadows, and a write of CR0.PG exits to be refused as
 *     trapsim refuses it bare.
 *
 * An instruction that exits is run here on the guest's state with the CPU
 * outside VMX operation and the guest's own CR0 and CR4 (the isa semantics
 * a bare run would use), then counted as retired, so virtual time and the
 * console transcript are those of a bare run. A fault it raises is injected
 * into the guest. CPUID shows no VMX and the hypervisor bit (ECX bit 31). */
#include <stdlib.h>
#include <string.h>
#include "vmm/vtx.h"
#include "vmm/view.h"
#include "cpu/vmx.h"
#include "isa/access.h"
#include "cpu/snap.h"

#define VTX_AREA_BASE 0xffffe000u   /* the VMXON region, then the VMCS */
#define VTX_AREA_SIZE 0x2000u
#define CR0_OWNED (CR0_NE | CR0_PG)
#define CR4_OWNED CR4_VMXE

struct vtx {
    machine_t *m;
    uint8_t *area;
    uint32_t cr0, cr4;   /* the guest's own CR0 and CR4, as it wrote them */
};

static uint32_t rd(struct cpu *c, uint32_t enc) { return (uint32_t)vmcs_get(c, enc); }
static void wr(struct cpu *c, uint32_t enc, uint32_t v) { vmcs_put(c, enc, v); }

/* The real CR0 and CR4 from the guest's, and the read shadows. */
static void set_crs(vtx_t *v)
{
    struct cpu *c = &v->m->cpu;
    c->cr0 = v->cr0 | CR0_NE;
    c->cr4 = v->cr4 | CR4_VMXE;
    wr(c, VMCS_CR0_SHADOW, v->cr0);
    wr(c, VMCS_CR4_SHADOW, v->cr4);
}

/* Injects the PIC's interrupt when there is one and the guest can take it,
 * else asks for the interrupt-window exit; then VMRESUME. */
static void resume(vtx_t *v)
{
    machine_t *m = v->m;
    struct cpu *c = &m->cpu;
    uint32_t proc = rd(c, VMCS_PROC_CTLS) & ~PROC_INTR_WINDOW;
    uint32_t pin = rd(c, VMCS_PIN_CTLS) | PIN_EXTINT_EXITING;
    if (m->intr_line && !(rd(c, VMCS_ENTRY_INTR_INFO) >> 31)) {
        if ((rd(c, VMCS_GUEST_EFLAGS) & FL_IF) && !(rd(c, VMCS_GUEST_INTERRUPTIBILITY) & 3)) {
            int vector = pic_acknowledge(&m->pic);   /* the guest's INTA cycle */
            machine_pic_changed(m);
            wr(c, VMCS_ENTRY_INTR_INFO, INTR_INFO(vector, INTR_EXT));
        } else {
            proc |= PROC_INTR_WINDOW;
            pin &= ~PIN_EXTINT_EXITING;   /* IF 0 holds the request back, as bare */
        }
    }
    wr(c, VMCS_PROC_CTLS, proc);
    wr(c, VMCS_PIN_CTLS, pin);
    if (vmx_vmentry(c, 0) == ISA_STOP)
        machine_stop(m, STOP_UNMODELLED, "%s (VM entry of the guest)", c->stop_reason);
}

/* Runs the instruction that exited as a bare CPU would; 0 when the run
 * stopped or the guest halted with IF = 0 (then the bare "halted for ever"
 * ends it: the CPU stays in root operation, at the guest's state). */
static int perform(vtx_t *v)
{
    machine_t *m = v->m;
    struct cpu *c = &m->cpu;
    isa_insn_t scratch;
    const isa_insn_t *insn;
    vmx_cpu_t vmx = c->vmx;
    uint32_t eip = c->eip;
    int ring = c->cpl, leaf = (int)c->reg[EAX];
    uint32_t tf = c->eflags & FL_TF;   /* as the instruction starts: a POPF that clears it still traps */
    /* the guest's view: no VMX, its own CRs (the bits it owns it may have
     * changed without an exit: CLTS, LMSW, MOV to CR0 of unmasked bits) */
    v->cr0 = (c->cr0 & ~CR0_OWNED) | (v->cr0 & CR0_OWNED);
    v->cr4 = (c->cr4 & ~CR4_OWNED) | (v->cr4 & CR4_OWNED);
    memset(&c->vmx, 0, sizeof c->vmx);
    c->cr0 = v->cr0;
    c->cr4 = v->cr4;
    isa_result_t r = machine_fetch_decode(m, &scratch, &insn) ? ISA_FAULT : isa_execute(c, insn);
    int cpuid = r == ISA_OK && insn->row == ROW_CPUID;
    v->cr0 = c->cr0;
    v->cr4 = c->cr4;
    c->vmx = vmx;
    c->vmx.blocking = 0;   /* the instruction is done: its STI/MOV SS blocking ends */
    set_crs(v);
    if (r == ISA_STOP) {
        machine_stop(m, STOP_UNMODELLED, "%s, at %04x:%08x", c->stop_reason, c->seg[SEG_CS].sel, eip);
        return 0;
    }
    if (r == ISA_FAULT) {   /* the guest's fault, delivered at the next VM entry */
        wr(c, VMCS_ENTRY_INTR_INFO,
           INTR_INFO(c->exc_vector, INTR_HW_EXC) | (c->exc_has_error ? INTR_HAS_ERROR : 0));
        wr(c, VMCS_ENTRY_EXC_ERROR, c->exc_error);
        vmx_save_guest(m);
        return 1;
    }
    if (cpuid && leaf == 1)
        c->reg[ECX] = (c->reg[ECX] & ~(1u << 5)) | 1u << 31;   /* no VMX; a hypervisor */
    /* booked as the run loop books (a paused REP chunk retires nothing) */
    if (machine_retire(m, insn, ring, r, tf != 0)) {
        /* the single-step trap after an instruction the hypervisor ran, as
         * bare: #DB with DR6.BS, delivered at the next VM entry */
        c->dr[6] |= DR6_BS;
        wr(c, VMCS_ENTRY_INTR_INFO, INTR_INFO(EXC_DB, INTR_HW_EXC));
    }
    if (r == ISA_HALT) {
        m->halted = 1;
        if (!(c->eflags & FL_IF))
            return 0;
    }
    vmx_save_guest(m);
    return 1;
}

static void vtx_exit(void *ctx, machine_t *m, const vmx_exit_t *e)
{
    vtx_t *v = ctx;
    struct cpu *c = &m->cpu;
    switch (e->reason) {
    case VMX_EXIT_EXTINT: case VMX_EXIT_INTR_WINDOW:   /* resume() injects it */
        break;
    case VMX_EXIT_TRIPLE:
        machine_stop(m, STOP_TRIPLE, "triple fault in the guest (VM exit 2) at %04x:%08x",
                     c->seg[SEG_CS].sel, c->eip);
        return;
    case VMX_EXIT_EXCEPTION: case VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_BAD_GUEST:
    case VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_MSR_LOADING:
        machine_stop(m, STOP_UNMODELLED, "vtx: VM exit %u (%s) not expected: %s", e->reason & 0xffff,
                     vmx_exit_name((int)(e->reason & 0xffff)), e->why ? e->why : "");
        return;
    default:   /* an instruction: CPUID, HLT, I/O, MOV CR, RDMSR, WRMSR, INVD, VMX */
        if (!perform(v))
            return;
        break;
    }
    resume(v);
}

/* The hypervisor's state with its area mapped at the top (attach and a
 * snapshot's load); NULL when out of memory. */
static vtx_t *vtx_new(machine_t *m)
{
    vtx_t *v = calloc(1, sizeof *v);
    uint8_t *area = v ? machine_map_top(m, VTX_AREA_BASE, VTX_AREA_SIZE) : NULL;
    if (!area) {
        free(v);
        return NULL;
    }
    v->m = m;
    v->area = area;
    return v;
}

vtx_t *vtx_attach(machine_t *m)
{
    struct cpu *c = &m->cpu;
    vtx_t *v = vtx_new(m);
    if (!v)
        return NULL;
    v->cr0 = c->cr0;
    v->cr4 = c->cr4;
    /* what firmware and VMXON do; the VMCS made current and clear */
    phys_write(c, VTX_AREA_BASE, 4, VMCS_REVISION);
    phys_write(c, VTX_AREA_BASE + 0x1000, 4, VMCS_REVISION);
    c->vmx.feature_control = FC_LOCK | FC_VMX_OUTSIDE_SMX;
    c->vmx.on = 1;
    c->vmx.vmxon_ptr = VTX_AREA_BASE;
    c->vmx.vmcs_ptr = VTX_AREA_BASE + 0x1000;

    wr(c, VMCS_PIN_CTLS, vmx_pin_allowed.must1 | PIN_EXTINT_EXITING);
    wr(c, VMCS_PROC_CTLS, vmx_proc_allowed.must1 | PROC_HLT | PROC_UNCOND_IO);
    wr(c, VMCS_EXIT_CTLS, vmx_exit_allowed.must1);
    wr(c, VMCS_ENTRY_CTLS, vmx_entry_allowed.must1);
    wr(c, VMCS_CR0_MASK, CR0_OWNED);
    wr(c, VMCS_CR4_MASK, CR4_OWNED);
    vmcs_put(c, VMCS_VMCS_LINK_PTR, VMCS_NONE);
    set_crs(v);
    /* the host state VM entry checks; a VM exit hands over to vtx_exit() */
    wr(c, VMCS_HOST_CR0, c->cr0);
    wr(c, VMCS_HOST_CR4, c->cr4);
    wr(c, VMCS_HOST_CS_SEL, 0x08);
    wr(c, VMCS_HOST_SS_SEL, 0x10);
    wr(c, VMCS_HOST_TR_SEL, 0x18);
    /* the guest as it boots; no TSS yet, and VM entry needs a busy one in
     * TR: a stand-in (selector 0) until the guest's LTR */
    vmx_save_guest(m);
    if (!c->tr.usable) {
        wr(c, VMCS_GUEST_TR_AR, 0x8b);
        wr(c, VMCS_GUEST_TR_LIMIT, 0x67);
    }
    m->vmx_host = vtx_exit;
    m->vmx_host_ctx = v;
    if (vmx_vmentry(c, 1) != ISA_VMENTER) {
        vtx_free(v);
        return NULL;
    }
    return v;
}

void vtx_free(vtx_t *v)
{
    if (!v)
        return;
    if (v->m->vmx_host_ctx == v)
        v->m->vmx_host = NULL;
    machine_unmap_top(v->m, v->area);
    free(v);
}

/* Step mode's and the GDB stub's view (vmm/view.h): the VMCS is all this
 * monitor keeps; the guest's own registers are the real CPU's. */
static void vtx_view_state(const void *mon, FILE *out)
{
    const vtx_t *v = mon;
    vmx_print_vmcs(&v->m->cpu, out);
}

const monitor_view_ops_t vtx_view_ops = { .name = "vtx", .state = vtx_view_state };
static void vtx_state(snap_io_t *io, vtx_t *v)
{
    snap_bytes(io, v->area, VTX_AREA_SIZE);
    snap_u32(io, &v->cr0);
    snap_u32(io, &v->cr4);
}

void vtx_snap_save(vtx_t *v, snap_io_t *io)
{
    vtx_state(io, v);
}

vtx_t *vtx_snap_load(machine_t *m, snap_io_t *io)
{
    vtx_t *v = vtx_new(m);
    if (!v) {
        snap_fail(io, "out of memory for the VMX hypervisor");
        return NULL;
    }
    vtx_state(io, v);
    if (!snap_ok(io)) {
        vtx_free(v);
        return NULL;
    }
    m->vmx_host = vtx_exit;
    m->vmx_host_ctx = v;
    return v;
}
