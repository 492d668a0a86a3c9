/* VM entry and VM exit (SDM vol. 3C chapters 26 and 27 in the numbering
 * of the 2016 edition: 26 VM entries, 27 VM exits), and the events of VMX
 * non-root operation that exit (chapter 25). A VM entry checks the
 * controls (a failure is VMfailValid 7), the host state (VMfailValid 8)
 * and the guest state (a failure is a VM exit with reason 33 and bit 31
 * set, which loads the host state: a VM-entry failure), loads the guest,
 * and injects an event. A VM exit saves the guest, records why, and loads
 * the host. The VMCS is memory (isa/exec_vmx.c); the controls that
 * non-root operation consults are cached in the CPU at VM entry. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cpu/vmx.h"
#include "cpu/names.h"
#include "isa/access.h"

/* ---- names (appendix C): the SDM's, and a key for --stats ---- */
static const struct { const char *key, *name; } reasons[VMX_EXIT_REASON_COUNT] = {
    [0] = { "exception_nmi", "exception or NMI" },
    [1] = { "external_interrupt", "external interrupt" },
    [2] = { "triple_fault", "triple fault" },
    [3] = { "init", "INIT signal" },
    [4] = { "sipi", "start-up IPI" },
    [5] = { "io_smi", "I/O SMI" },
    [6] = { "other_smi", "other SMI" },
    [7] = { "interrupt_window", "interrupt window" },
    [8] = { "nmi_window", "NMI window" },
    [9] = { "task_switch", "task switch" },
    [10] = { "cpuid", "CPUID" },
    [11] = { "getsec", "GETSEC" },
    [12] = { "hlt", "HLT" },
    [13] = { "invd", "INVD" },
    [14] = { "invlpg", "INVLPG" },
    [15] = { "rdpmc", "RDPMC" },
    [16] = { "rdtsc", "RDTSC" },
    [17] = { "rsm", "RSM" },
    [18] = { "vmcall", "VMCALL" },
    [19] = { "vmclear", "VMCLEAR" },
    [20] = { "vmlaunch", "VMLAUNCH" },
    [21] = { "vmptrld", "VMPTRLD" },
    [22] = { "vmptrst", "VMPTRST" },
    [23] = { "vmread", "VMREAD" },
    [24] = { "vmresume", "VMRESUME" },
    [25] = { "vmwrite", "VMWRITE" },
    [26] = { "vmxoff", "VMXOFF" },
    [27] = { "vmxon", "VMXON" },
    [28] = { "cr_access", "control-register access" },
    [29] = { "mov_dr", "MOV DR" },
    [30] = { "io", "I/O instruction" },
    [31] = { "rdmsr", "RDMSR" },
    [32] = { "wrmsr", "WRMSR" },
    [33] = { "invalid_guest_state", "VM-entry failure due to invalid guest state" },
    [34] = { "msr_loading", "VM-entry failure due to MSR loading" },
    [36] = { "mwait", "MWAIT" },
    [37] = { "monitor_trap_flag", "monitor trap flag" },
    [39] = { "monitor", "MONITOR" },
    [40] = { "pause", "PAUSE" },
    [41] = { "machine_check", "VM-entry failure due to machine-check event" },
    [43] = { "tpr_below_threshold", "TPR below threshold" },
    [44] = { "apic_access", "APIC access" },
    [45] = { "virtualized_eoi", "virtualized EOI" },
    [46] = { "gdtr_idtr", "access to GDTR or IDTR" },
    [47] = { "ldtr_tr", "access to LDTR or TR" },
    [48] = { "ept_violation", "EPT violation" },
    [49] = { "ept_misconfig", "EPT misconfiguration" },
    [50] = { "invept", "INVEPT" },
    [51] = { "rdtscp", "RDTSCP" },
    [52] = { "preemption_timer", "VMX-preemption timer expired" },
    [53] = { "invvpid", "INVVPID" },
    [54] = { "wbinvd", "WBINVD" },
    [55] = { "xsetbv", "XSETBV" },
};

const char *vmx_exit_name(int reason)
{
    return reason >= 0 && reason < VMX_EXIT_REASON_COUNT && reasons[reason].name ? reasons[reason].name
                                                                             : "reserved";
}

const char *vmx_exit_key(int reason)
{
    return reason >= 0 && reason < VMX_EXIT_REASON_COUNT && reasons[reason].key ? reasons[reason].key
                                                                            : "reserved";
}

static void vmx_trace(machine_t *m, vmx_ev_kind_t kind, int from, uint32_t reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void vmx_trace(machine_t *m, vmx_ev_kind_t kind, int from, uint32_t reason, const char *fmt, ...)
{
    if (!trace_on(&m->trace, TL_VMX))
        return;
    event_t ev = { .kind = EV_VMX, .ring = (uint8_t)from, .to_ring = m->cpu.cpl, .eip = m->cpu.eip,
                   .irq = -1, .vmx_reason = reason, .vmx_kind = (uint8_t)kind };
    va_list ap;
    va_start(ap, fmt);
    machine_emitv(m, &ev, fmt, ap);
    va_end(ap);
}

/* ---- events as interruption information ---- */

uint32_t vmx_intr_info(const struct cpu *c, int vector, deliver_kind_t kind, int has_error)
{
    int type = kind == DK_HARDWARE ? INTR_EXT
             : kind == DK_EXCEPTION ? (vector == EXC_NMI ? INTR_NMI : INTR_HW_EXC)
             : c->soft_kind == SOFT_INTN ? INTR_SW_INT
             : c->soft_kind == SOFT_INT1 ? INTR_PRIV_SW_EXC : INTR_SW_EXC;
    return INTR_INFO(vector, type) | (has_error ? INTR_HAS_ERROR : 0);
}

/* "IRQ vector 0x30", "#GP(0x0008)", "int 0x80": an interruption for people. */
static void describe_intr(char *b, size_t n, uint32_t info, uint32_t error)
{
    int vector = info & 0xff, type = (info >> 8) & 7;
    if (type == INTR_EXT)
        snprintf(b, n, "external interrupt, vector 0x%02x", vector);
    else if (type == INTR_SW_INT)
        snprintf(b, n, "int 0x%02x", vector);
    else if (info & INTR_HAS_ERROR)
        snprintf(b, n, "%s(0x%04x)", exc_name(vector), error);
    else
        snprintf(b, n, "%s", exc_name(vector));
}

/* The exit qualification and the other information decoded (27.2.1). */
static void describe_exit(char *b, size_t n, const vmx_exit_t *e)
{
    static const char *const gpr[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    static const char *const dt[2][4] = { { "sgdt", "sidt", "lgdt", "lidt" },
                                          { "sldt", "str", "lldt", "ltr" } };
    uint32_t q = e->qual;
    b[0] = 0;
    switch (e->reason & 0xffff) {
    case VMX_EXIT_EXCEPTION:
        describe_intr(b, n, e->intr_info, e->intr_error);
        break;
    case VMX_EXIT_EXTINT:
        if (e->intr_info)
            describe_intr(b, n, e->intr_info, 0);
        else
            snprintf(b, n, "not acknowledged: still pending at the PIC");
        break;
    case VMX_EXIT_INVLPG:
        snprintf(b, n, "linear address 0x%08x", q);
        break;
    case VMX_EXIT_CR:
        switch ((q >> 4) & 3) {
        case 0: snprintf(b, n, "mov %%%s -> cr%u", gpr[(q >> 8) & 7], q & 15); break;
        case 1: snprintf(b, n, "mov cr%u -> %%%s", q & 15, gpr[(q >> 8) & 7]); break;
        case 2: snprintf(b, n, "clts"); break;
        default: snprintf(b, n, "lmsw 0x%04x from %s", q >> 16, (q & 64) ? "memory" : "a register"); break;
        }
        break;
    case VMX_EXIT_DR:
        if (q & 16)
            snprintf(b, n, "mov dr%u -> %%%s", q & 7, gpr[(q >> 8) & 7]);
        else
            snprintf(b, n, "mov %%%s -> dr%u", gpr[(q >> 8) & 7], q & 7);
        break;
    case VMX_EXIT_IO:
        snprintf(b, n, "%s%s%s port 0x%04x, %u byte%s, port %s", (q & 32) ? "rep " : "",
                 (q & 8) ? "in" : "out", (q & 16) ? "s" : "", q >> 16, (q & 7) + 1, (q & 7) ? "s" : "",
                 (q & 64) ? "immediate" : "in %dx");
        break;
    case VMX_EXIT_GDTR_IDTR: case VMX_EXIT_LDTR_TR:
        snprintf(b, n, "%s, displacement 0x%x", dt[e->reason == VMX_EXIT_LDTR_TR][(e->insn_info >> 28) & 3], q);
        break;
    case VMX_EXIT_VMCLEAR: case VMX_EXIT_VMPTRLD: case VMX_EXIT_VMPTRST: case VMX_EXIT_VMREAD: case VMX_EXIT_VMWRITE:
    case VMX_EXIT_VMXON: case VMX_EXIT_INVVPID:
        snprintf(b, n, "displacement 0x%x", q);
        break;
    case VMX_EXIT_MSR_LOADING:
        snprintf(b, n, "entry %u of the VM-entry MSR-load area", q);
        break;
    case VMX_EXIT_BAD_GUEST:
        snprintf(b, n, "%s", e->why ? e->why : "");
        break;
    }
    if (e->idt_info & (1u << 31)) {
        size_t k = strlen(b);
        char d[64];
        describe_intr(d, sizeof d, e->idt_info, e->idt_error);
        snprintf(b + k, n - k, "%swhile delivering %s", k ? "; " : "", d);
    }
}

/* ---- the VMCS's view of segment registers ---- */

/* Segment k of the guest-state area, in the SDM's order: ES CS SS DS FS GS
 * LDTR TR. Each kind of field is at a fixed stride of encodings. */
#define G_SEL(k)   ((uint32_t)VMCS_GUEST_ES_SEL + 2u * (k))
#define G_LIMIT(k) ((uint32_t)VMCS_GUEST_ES_LIMIT + 2u * (k))
#define G_AR(k)    ((uint32_t)VMCS_GUEST_ES_AR + 2u * (k))
#define G_BASE(k)  ((uint32_t)VMCS_GUEST_ES_BASE + 2u * (k))
enum { K_LDTR = 6, K_TR = 7 };
#define AR_UNUSABLE (1u << 16)

static seg_cache_t *guest_seg(struct cpu *c, int k)
{
    return k < 6 ? &c->seg[k] : k == K_LDTR ? &c->ldtr : &c->tr;
}

/* Access rights as the VMCS holds them (table 24-2): the descriptor's
 * access byte in 7:0, AVL L D/B G in 15:12, unusable in 16. */
static uint32_t ar_of(const seg_cache_t *s)
{
    return (uint32_t)s->access | (uint32_t)(s->flags & 0xf0) << 8 | (s->usable ? 0 : AR_UNUSABLE);
}

static void seg_set(seg_cache_t *s, uint16_t sel, uint32_t base, uint32_t limit, uint32_t ar)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->access = (uint8_t)ar;
    s->flags = (uint8_t)((ar >> 8) & 0xf0);
    s->usable = !(ar & AR_UNUSABLE);
    seg_cache_update(s);
}

static uint32_t get(struct cpu *c, uint32_t enc) { return (uint32_t)vmcs_get(c, enc); }
static void put(struct cpu *c, uint32_t enc, uint32_t v) { vmcs_put(c, enc, v); }

/* CR0 bits VM entry and VM exit do not load (28:19, 17, 15:6): kept. */
#define CR0_KEPT 0x1ffaffc0u

static int cr_ok(uint32_t v, uint32_t fixed0, uint32_t fixed1)
{
    return (v & fixed0) == fixed0 && !(v & ~fixed1);
}

/* ---- MSR areas (24.7.2, 24.8.2): 16-byte entries, index, reserved, data ---- */

/* Loads `count` MSRs from `addr`: 0, or the 1-based number of the entry
 * that failed. */
static uint32_t msr_load(struct cpu *c, uint32_t addr, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++) {
        uint32_t a = addr + 16 * k;
        uint64_t data = phys_read(c, a + 8, 4) | (uint64_t)phys_read(c, a + 12, 4) << 32;
        if (phys_read(c, a + 4, 4) || isa_msr_write(c, phys_read(c, a, 4), data))
            return k + 1;
    }
    return 0;
}

static uint32_t msr_store(struct cpu *c, uint32_t addr, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++) {
        uint32_t a = addr + 16 * k;
        uint64_t data;
        if (phys_read(c, a + 4, 4) || isa_msr_read(c, phys_read(c, a, 4), &data))
            return k + 1;
        phys_write(c, a + 8, 4, (uint32_t)data);
        phys_write(c, a + 12, 4, (uint32_t)(data >> 32));
    }
    return 0;
}

/* A VMX abort (27.7): the indicator in the VMCS, then shutdown. */
static void vmx_abort(machine_t *m, uint32_t indicator)
{
    phys_write(&m->cpu, (uint32_t)m->cpu.vmx.vmcs_ptr + VMCS_OFF_ABORT, 4, indicator);
    machine_stop(m, STOP_TRIPLE, "VMX abort %u: the processor shuts down", indicator);
}

/* ---- VM exit (27.2-27.5) ---- */

void vmx_save_guest(machine_t *m)
{
    struct cpu *c = &m->cpu;
    put(c, VMCS_GUEST_CR0, c->cr0);
    put(c, VMCS_GUEST_CR3, c->cr3);
    put(c, VMCS_GUEST_CR4, c->cr4);
    if (c->vmx.exit_ctls & VMX_EXIT_SAVE_DEBUG)
        put(c, VMCS_GUEST_DR7, c->dr[7]);
    put(c, VMCS_GUEST_ESP, c->reg[ESP]);
    put(c, VMCS_GUEST_EIP, c->eip);
    put(c, VMCS_GUEST_EFLAGS, c->eflags);
    for (int k = 0; k < 8; k++) {
        const seg_cache_t *s = guest_seg(c, k);
        put(c, G_SEL(k), s->sel);
        put(c, G_BASE(k), s->base);
        put(c, G_LIMIT(k), s->limit);
        put(c, G_AR(k), ar_of(s));
    }
    put(c, VMCS_GUEST_GDTR_BASE, c->gdtr.base);
    put(c, VMCS_GUEST_GDTR_LIMIT, c->gdtr.limit);
    put(c, VMCS_GUEST_IDTR_BASE, c->idtr.base);
    put(c, VMCS_GUEST_IDTR_LIMIT, c->idtr.limit);
    put(c, VMCS_GUEST_INTERRUPTIBILITY, c->vmx.blocking);
    put(c, VMCS_GUEST_ACTIVITY, m->halted ? ACTIVITY_HLT : ACTIVITY_ACTIVE);
    put(c, VMCS_GUEST_PENDING_DBG, 0);
    if (msr_store(c, get(c, VMCS_EXIT_MSR_STORE_ADDR), get(c, VMCS_EXIT_MSR_STORE_COUNT)))
        vmx_abort(m, 1);
}

/* A host segment register (27.5.2): base 0 (FS, GS: their base fields),
 * limit 4 GiB, DPL 0, 32-bit, accessed; a null SS/DS/ES/FS/GS is unusable. */
static void host_seg(struct cpu *c, int sreg, uint32_t sel_enc, uint32_t base)
{
    uint16_t sel = (uint16_t)get(c, sel_enc);
    seg_cache_t *s = &c->seg[sreg];
    if (sel == 0 && sreg != SEG_CS) {
        seg_set(s, 0, 0, 0, AR_UNUSABLE);
        return;
    }
    seg_set(s, sel, base, 0xffffffffu, (sreg == SEG_CS ? 0xc09bu : 0xc093u));
}

static void load_host(machine_t *m)
{
    struct cpu *c = &m->cpu;
    c->cr0 = (get(c, VMCS_HOST_CR0) & ~CR0_KEPT) | (c->cr0 & CR0_KEPT) | CR0_ET;
    c->cr3 = get(c, VMCS_HOST_CR3);
    c->cr4 = get(c, VMCS_HOST_CR4);
    c->dr[7] = 0x400;
    host_seg(c, SEG_CS, VMCS_HOST_CS_SEL, 0);
    host_seg(c, SEG_SS, VMCS_HOST_SS_SEL, 0);
    host_seg(c, SEG_DS, VMCS_HOST_DS_SEL, 0);
    host_seg(c, SEG_ES, VMCS_HOST_ES_SEL, 0);
    host_seg(c, SEG_FS, VMCS_HOST_FS_SEL, get(c, VMCS_HOST_FS_BASE));
    host_seg(c, SEG_GS, VMCS_HOST_GS_SEL, get(c, VMCS_HOST_GS_BASE));
    seg_set(&c->tr, (uint16_t)get(c, VMCS_HOST_TR_SEL), get(c, VMCS_HOST_TR_BASE), 0x67, 0x8b);
    seg_set(&c->ldtr, 0, 0, 0, AR_UNUSABLE);
    c->gdtr.base = get(c, VMCS_HOST_GDTR_BASE);
    c->gdtr.limit = 0xffff;
    c->idtr.base = get(c, VMCS_HOST_IDTR_BASE);
    c->idtr.limit = 0xffff;
    c->reg[ESP] = get(c, VMCS_HOST_ESP);
    c->eip = get(c, VMCS_HOST_EIP);
    c->eflags = FL_1;
    c->cpl = 0;
    c->irq_shadow = 0;
    m->halted = 0;
    if (msr_load(c, get(c, VMCS_EXIT_MSR_LOAD_ADDR), get(c, VMCS_EXIT_MSR_LOAD_COUNT)))
        vmx_abort(m, 4);
}

static void trace_exit(machine_t *m, const vmx_exit_t *e, int from, uint16_t gcs, uint32_t geip);

static void vm_exit(machine_t *m, const vmx_exit_t *e)
{
    struct cpu *c = &m->cpu;
    int from = c->cpl;
    uint16_t gcs = c->seg[SEG_CS].sel;
    uint32_t geip = c->eip;
    if (!(e->reason & VMX_EXIT_ENTRY_FAILURE))
        vmx_save_guest(m);
    if ((e->reason & 0xffff) < VMX_EXIT_REASON_COUNT)
        m->vmx_exits[e->reason & 0xffff]++;
    put(c, VMCS_EXIT_REASON, e->reason);
    put(c, VMCS_EXIT_QUALIFICATION, e->qual);
    put(c, VMCS_GUEST_LINEAR_ADDR, e->linear);
    put(c, VMCS_EXIT_INSN_LEN, e->insn_len);
    put(c, VMCS_EXIT_INSN_INFO, e->insn_info);
    put(c, VMCS_EXIT_INTR_INFO, e->intr_info);
    put(c, VMCS_EXIT_INTR_ERROR, e->intr_error);
    put(c, VMCS_IDT_VECTORING_INFO, e->idt_info);
    put(c, VMCS_IDT_VECTORING_ERROR, e->idt_error);
    put(c, VMCS_ENTRY_INTR_INFO, get(c, VMCS_ENTRY_INTR_INFO) & ~(1u << 31));
    c->vmx.nonroot = 0;
    c->vmx.injecting = 0;
    if (!m->vmx_host)
        load_host(m);
    if (trace_on(&m->trace, TL_VMX))
        trace_exit(m, e, from, gcs, geip);
    if (m->vmx_host)   /* a hypervisor in C: the guest's registers are still in the CPU */
        m->vmx_host(m->vmx_host_ctx, m, e);
}

/* The exit's trace line: reason, name, qualification decoded, from where to where. */
static void trace_exit(machine_t *m, const vmx_exit_t *e, int from, uint16_t gcs, uint32_t geip)
{
    struct cpu *c = &m->cpu;
    char d[200], guest[40] = "", host[24] = "hypervisor";
    describe_exit(d, sizeof d, e);
    int basic = (int)(e->reason & 0xffff), failed = (e->reason & VMX_EXIT_ENTRY_FAILURE) != 0;
    if (!failed)
        snprintf(guest, sizeof guest, "guest %04x:%08x -> ", gcs, geip);
    if (!m->vmx_host)
        snprintf(host, sizeof host, "host %04x:%08x", c->seg[SEG_CS].sel, c->eip);
    vmx_trace(m, VX_EXIT, from, e->reason, "%d%s %s, qualification 0x%x%s%s%s, %s%s", basic,
              failed ? " (bit 31 set)" : "", vmx_exit_name(basic), e->qual, d[0] ? " (" : "", d,
              d[0] ? ")" : "", guest, host);
}

/* The machine's bus (machine_bus_ops): the VM exit of an instruction in
 * non-root operation (isa/exec_vmx.c's vmx_exit_insn()). */
void vmx_bus_exit(void *ctx, uint32_t reason, uint32_t qual, uint32_t insn_len, uint32_t insn_info,
                  uint32_t linear)
{
    vmx_exit_t e = { .reason = reason, .qual = qual, .linear = linear, .insn_len = insn_len,
                     .insn_info = insn_info };
    vm_exit(ctx, &e);
}

/* ---- events in non-root operation ---- */

int vmx_event_exits(machine_t *m, int vector, deliver_kind_t kind, int has_error, uint32_t error,
                    uint32_t fault_eip, uint32_t idt_info, uint32_t idt_error)
{
    struct cpu *c = &m->cpu;
    /* external interrupts and INT n never exit here; an event VM entry
     * injects is delivered whatever the bitmap (26.5.1) */
    if (kind == DK_HARDWARE || (kind == DK_SOFTWARE && c->soft_kind == SOFT_INTN) ||
        (c->vmx.injecting && !idt_info) || vector > 31 || !((c->vmx.exc_bitmap >> vector) & 1))
        return 0;
    /* a double fault that exits is not an exit during event delivery (27.2.3) */
    vmx_exit_t e = { .reason = VMX_EXIT_EXCEPTION, .intr_info = vmx_intr_info(c, vector, kind, has_error),
                     .intr_error = error, .idt_info = vector == EXC_DF ? 0 : idt_info,
                     .idt_error = vector == EXC_DF ? 0 : idt_error };
    if (kind == DK_SOFTWARE) {   /* INT3, INTO, INT1: the guest is saved at the instruction */
        e.insn_len = c->eip - fault_eip;
        c->eip = fault_eip;
    }
    if (vector == EXC_DB)
        e.qual = c->dr[6] & 0x600f;   /* B3-B0, BD, BS */
    vm_exit(m, &e);
    return 1;
}

/* Not an exit during event delivery: no IDT-vectoring information (27.2.3). */
void vmx_triple_fault_exit(machine_t *m)
{
    vmx_exit_t e = { .reason = VMX_EXIT_TRIPLE };
    vm_exit(m, &e);
}

int vmx_boundary_exits(machine_t *m, int shadow)
{
    struct cpu *c = &m->cpu;
    vmx_exit_t e = { .reason = VMX_EXIT_INTR_WINDOW };
    if (shadow)
        return 0;   /* STI and MOV SS block both (for external interrupts: trapsim's choice, 25.4.1) */
    if ((c->vmx.proc & PROC_INTR_WINDOW) && (c->eflags & FL_IF)) {
        vm_exit(m, &e);   /* before external interrupts (26.7.5) */
        return 1;
    }
    if (!(c->vmx.pin & PIN_EXTINT_EXITING) || !m->intr_line)
        return 0;
    e.reason = VMX_EXIT_EXTINT;
    if (c->vmx.exit_ctls & VMX_EXIT_ACK_INTR) {
        int vector = pic_acknowledge(&m->pic);
        machine_pic_changed(m);
        e.intr_info = INTR_INFO(vector, INTR_EXT);
    }
    vm_exit(m, &e);
    return 1;
}

/* ---- VM entry (26.2-26.6) ---- */

static int allowed(uint32_t v, const vmx_allowed_t *a)
{
    return (v & a->must1) == a->must1 && !(v & ~a->may1);
}

/* An MSR-load/store area: 16-byte aligned, within 32 bits. */
static int bad_msr_area(uint32_t count, uint64_t addr)
{
    return count && ((addr & 15) || addr + (uint64_t)count * 16 - 1 > 0xffffffffu);
}

static int bad_page(uint64_t addr) { return (addr & 0xfff) || (addr >> 32); }

/* Which exceptions push an error code (26.2.1.3). */
static int has_error_code(int vector)
{
    return vector == EXC_DF || (vector >= EXC_TS && vector <= EXC_PF) || vector == EXC_AC;
}

/* 26.2.1: the VM-execution, VM-exit and VM-entry control fields. */
static const char *check_controls(struct cpu *c)
{
    uint32_t pin = get(c, VMCS_PIN_CTLS), proc = get(c, VMCS_PROC_CTLS);
    uint32_t proc2 = (proc & PROC_SECONDARY) ? get(c, VMCS_PROC_CTLS2) : 0;
    if (!allowed(pin, &vmx_pin_allowed))
        return "pin-based controls: a reserved bit set wrong";
    if (!allowed(proc, &vmx_proc_allowed))
        return "primary processor-based controls: a reserved bit set wrong";
    if (!allowed(proc2, &vmx_proc2_allowed))
        return "secondary processor-based controls: a reserved bit set wrong";
    if (get(c, VMCS_CR3_TARGET_COUNT) > 4)
        return "CR3-target count above 4";
    if ((proc & PROC_IO_BITMAPS) &&
        (bad_page(vmcs_get(c, VMCS_IO_BITMAP_A)) || bad_page(vmcs_get(c, VMCS_IO_BITMAP_B))))
        return "I/O-bitmap address not 4 KiB aligned or above 4 GiB";
    if ((proc & PROC_MSR_BITMAPS) && bad_page(vmcs_get(c, VMCS_MSR_BITMAP)))
        return "MSR-bitmap address not 4 KiB aligned or above 4 GiB";
    if ((proc2 & PROC2_VPID) && get(c, VMCS_VPID) == 0)
        return "VPID 0 with enable VPID";
    if (!allowed(get(c, VMCS_EXIT_CTLS), &vmx_exit_allowed))
        return "VM-exit controls: a reserved bit set wrong";
    if (bad_msr_area(get(c, VMCS_EXIT_MSR_STORE_COUNT), vmcs_get(c, VMCS_EXIT_MSR_STORE_ADDR)) ||
        bad_msr_area(get(c, VMCS_EXIT_MSR_LOAD_COUNT), vmcs_get(c, VMCS_EXIT_MSR_LOAD_ADDR)) ||
        bad_msr_area(get(c, VMCS_ENTRY_MSR_LOAD_COUNT), vmcs_get(c, VMCS_ENTRY_MSR_LOAD_ADDR)))
        return "MSR-load or MSR-store area not 16-byte aligned or above 4 GiB";
    if (!allowed(get(c, VMCS_ENTRY_CTLS), &vmx_entry_allowed))
        return "VM-entry controls: a reserved bit set wrong";
    uint32_t info = get(c, VMCS_ENTRY_INTR_INFO);
    if (!(info & (1u << 31)))
        return NULL;
    int vector = info & 0xff, type = (info >> 8) & 7;
    if (type == 1 || type == INTR_OTHER)
        return "interruption type reserved (1, or 7 without the monitor trap flag)";
    if ((type == INTR_NMI && vector != EXC_NMI) || (type == INTR_HW_EXC && vector > 31))
        return "interruption vector does not fit its type";
    if (!!(info & INTR_HAS_ERROR) != (type == INTR_HW_EXC && has_error_code(vector)))
        return "deliver-error-code bit does not fit the exception";
    if (info & 0x7ffff000u)
        return "interruption information: reserved bits 30:12 set";
    if ((info & INTR_HAS_ERROR) && (get(c, VMCS_ENTRY_EXC_ERROR) & 0xffff8000u))
        return "exception error code: bits 31:15 set";
    if ((type == INTR_SW_INT || type == INTR_PRIV_SW_EXC || type == INTR_SW_EXC) &&
        (get(c, VMCS_ENTRY_INSN_LEN) < 1 || get(c, VMCS_ENTRY_INSN_LEN) > 15))
        return "VM-entry instruction length not 1 to 15";
    return NULL;
}

/* 26.2.2-26.2.4: the host-state area. */
static const char *check_host(struct cpu *c)
{
    static const uint32_t sels[7] = { VMCS_HOST_ES_SEL, VMCS_HOST_CS_SEL, VMCS_HOST_SS_SEL,
                                      VMCS_HOST_DS_SEL, VMCS_HOST_FS_SEL, VMCS_HOST_GS_SEL,
                                      VMCS_HOST_TR_SEL };
    if (!cr_ok(get(c, VMCS_HOST_CR0), VMX_CR0_FIXED0, VMX_CR0_FIXED1))
        return "host CR0: a fixed bit set wrong";
    if (!cr_ok(get(c, VMCS_HOST_CR4), VMX_CR4_FIXED0, VMX_CR4_FIXED1))
        return "host CR4: a fixed bit set wrong";
    for (int k = 0; k < 7; k++)
        if (get(c, sels[k]) & 7)
            return "host selector with RPL or TI set";
    if (!get(c, VMCS_HOST_CS_SEL) || !get(c, VMCS_HOST_TR_SEL) || !get(c, VMCS_HOST_SS_SEL))
        return "host CS, SS or TR selector null";
    return NULL;
}

/* The G bit against the limit, for every usable segment (26.3.1.2). */
static int granularity_ok(uint32_t limit, uint32_t ar)
{
    int g = (ar >> 15) & 1;
    return !((limit & 0xfff) != 0xfff && g) && !((limit & 0xfff00000u) && !g);
}

/* 26.3.1: the guest-state area; the failing check's description, or NULL.
 * `*qual` is the exit qualification of a failure (4: the VMCS link pointer). */
static const char *check_guest(struct cpu *c, uint32_t *qual)
{
    static const char *const segname[8] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
    static char why[96];
    uint32_t info = get(c, VMCS_ENTRY_INTR_INFO), fl = get(c, VMCS_GUEST_EFLAGS);
    int inject = (info >> 31) != 0, itype = (info >> 8) & 7;
    /* 26.3.1.1 control registers */
    if (!cr_ok(get(c, VMCS_GUEST_CR0), VMX_CR0_FIXED0, VMX_CR0_FIXED1))
        return "CR0: a fixed bit set wrong (PE and NE must be 1, PG 0)";
    if (!cr_ok(get(c, VMCS_GUEST_CR4), VMX_CR4_FIXED0, VMX_CR4_FIXED1))
        return "CR4: a fixed bit set wrong (VMXE must be 1)";
    /* 26.3.1.2 segment registers */
    uint32_t ar[8], limit[8];
    uint16_t sel[8];
    for (int k = 0; k < 8; k++) {
        sel[k] = (uint16_t)get(c, G_SEL(k));
        ar[k] = get(c, G_AR(k));
        limit[k] = get(c, G_LIMIT(k));
    }
    if (sel[K_TR] & 4)
        return "TR selector: TI set";
    if (!(ar[K_LDTR] & AR_UNUSABLE) && (sel[K_LDTR] & 4))
        return "LDTR selector: TI set";
    if ((sel[SEG_SS] & 3) != (sel[SEG_CS] & 3))
        return "SS selector RPL differs from CS selector RPL";
    for (int k = 0; k < 8; k++) {
        uint32_t a = ar[k], type = a & 15;
        int usable = !(a & AR_UNUSABLE), dpl = (a >> 5) & 3;
        const char *bad = NULL;
        if (k == SEG_CS || k == K_TR)
            usable = 1;
        if (!usable)
            continue;
        if (k == SEG_CS) {
            if (type != 9 && type != 11 && type != 13 && type != 15)
                bad = "type not an accessed code segment";
            else if (type <= 11 ? dpl != (int)((ar[SEG_SS] >> 5) & 3) : dpl > (int)((ar[SEG_SS] >> 5) & 3))
                bad = "DPL does not fit SS's DPL";
        } else if (k == SEG_SS) {
            if (type != 3 && type != 7)
                bad = "type not a read/write accessed data segment";
        } else if (k == K_TR) {
            if (type != 3 && type != 11)
                bad = "type not a busy TSS";
            else if (a & AR_UNUSABLE)
                bad = "unusable";
        } else if (k == K_LDTR) {
            if (type != 2)
                bad = "type not an LDT";
        } else if (!(type & 1) || ((type & 8) && !(type & 2))) {
            bad = "type not accessed, or an unreadable code segment";
        } else if (type <= 11 && dpl < (sel[k] & 3)) {
            bad = "DPL below the selector's RPL";
        }
        if (!bad && ((k >= K_LDTR) == !!(a & 0x10)))
            bad = k >= K_LDTR ? "S set on a system segment" : "S clear";
        if (!bad && !(a & 0x80))
            bad = "not present";
        if (!bad && (a & 0xf00))
            bad = "reserved bits 11:8 set";
        if (!bad && (a & 0x2000))
            bad = "L set (no IA-32e mode)";
        if (!bad && !granularity_ok(limit[k], a))
            bad = "G does not fit the limit";
        if (!bad && (a & 0xfffe0000u))
            bad = "reserved bits 31:17 set";
        if (bad) {
            snprintf(why, sizeof why, "%s access rights: %s", segname[k], bad);
            return why;
        }
    }
    if (((ar[SEG_SS] >> 5) & 3) != (sel[SEG_SS] & 3u))
        return "SS access rights: DPL differs from the selector's RPL";
    /* 26.3.1.3 descriptor-table registers */
    if ((get(c, VMCS_GUEST_GDTR_LIMIT) | get(c, VMCS_GUEST_IDTR_LIMIT)) >> 16)
        return "GDTR or IDTR limit above 0xffff";
    /* 26.3.1.4 RFLAGS */
    if ((fl & 0xffc08028u) || !(fl & FL_1))
        return "RFLAGS: a reserved bit set wrong";
    if (inject && itype == INTR_EXT && !(fl & FL_IF))
        return "RFLAGS.IF 0 with an external interrupt to inject";
    /* 26.3.1.5 non-register state */
    uint32_t act = get(c, VMCS_GUEST_ACTIVITY), intr = get(c, VMCS_GUEST_INTERRUPTIBILITY);
    uint32_t pend = get(c, VMCS_GUEST_PENDING_DBG);
    if (act > ACTIVITY_HLT)
        return "activity state not supported (active and HLT are)";
    if (act == ACTIVITY_HLT && ((ar[SEG_SS] >> 5) & 3))
        return "activity state HLT with SS.DPL not 0";
    if (act != ACTIVITY_ACTIVE && (intr & (BLOCK_STI | BLOCK_MOV_SS)))
        return "activity state not active with blocking by STI or MOV SS";
    if (act == ACTIVITY_HLT && inject && itype != INTR_EXT && itype != INTR_NMI &&
        !(itype == INTR_HW_EXC && (info & 0xff) == EXC_DB) && !(itype == INTR_HW_EXC && (info & 0xff) == 18))
        return "activity state HLT with an event it cannot take";
    if (intr & 0xfffffff0u)
        return "interruptibility state: reserved bits 31:4 set";
    if ((intr & 3) == 3)
        return "interruptibility state: blocking by STI and by MOV SS";
    if ((intr & BLOCK_STI) && !(fl & FL_IF))
        return "interruptibility state: blocking by STI with RFLAGS.IF 0";
    if (inject && itype == INTR_EXT && (intr & 3))
        return "an external interrupt to inject under blocking by STI or MOV SS";
    if (inject && itype == INTR_NMI && (intr & BLOCK_MOV_SS))
        return "an NMI to inject under blocking by MOV SS";
    if (intr & 4)
        return "interruptibility state: blocking by SMI outside SMM";
    if (pend & 0xffffaff0u)
        return "pending debug exceptions: reserved bits set";
    if (((intr & 3) || act == ACTIVITY_HLT) && !!(pend & 0x4000) != !!(fl & FL_TF))
        return "pending debug exceptions: BS does not fit RFLAGS.TF";
    if (vmcs_get(c, VMCS_VMCS_LINK_PTR) != VMCS_NONE) {
        *qual = 4;
        return "VMCS link pointer not all ones (no VMCS shadowing)";
    }
    return NULL;
}

/* 26.3.2: the guest state, as checked; then the controls cached. */
static void load_guest(machine_t *m)
{
    struct cpu *c = &m->cpu;
    vmx_cpu_t *v = &c->vmx;
    c->cr0 = (get(c, VMCS_GUEST_CR0) & ~CR0_KEPT) | (c->cr0 & CR0_KEPT) | CR0_ET;
    c->cr3 = get(c, VMCS_GUEST_CR3);
    c->cr4 = get(c, VMCS_GUEST_CR4);
    if (get(c, VMCS_ENTRY_CTLS) & ENTRY_LOAD_DEBUG)
        c->dr[7] = get(c, VMCS_GUEST_DR7);
    for (int k = 0; k < 8; k++)
        seg_set(guest_seg(c, k), (uint16_t)get(c, G_SEL(k)), get(c, G_BASE(k)), get(c, G_LIMIT(k)),
                get(c, G_AR(k)));
    c->gdtr.base = get(c, VMCS_GUEST_GDTR_BASE);
    c->gdtr.limit = (uint16_t)get(c, VMCS_GUEST_GDTR_LIMIT);
    c->idtr.base = get(c, VMCS_GUEST_IDTR_BASE);
    c->idtr.limit = (uint16_t)get(c, VMCS_GUEST_IDTR_LIMIT);
    c->reg[ESP] = get(c, VMCS_GUEST_ESP);
    c->eip = get(c, VMCS_GUEST_EIP);
    c->eflags = get(c, VMCS_GUEST_EFLAGS);
    c->cpl = (uint8_t)(c->seg[SEG_CS].sel & 3);
    c->irq_shadow = (uint8_t)(get(c, VMCS_GUEST_INTERRUPTIBILITY) & 3);
    m->halted = get(c, VMCS_GUEST_ACTIVITY) == ACTIVITY_HLT;

    v->pin = get(c, VMCS_PIN_CTLS);
    v->proc = get(c, VMCS_PROC_CTLS);
    v->proc2 = (v->proc & PROC_SECONDARY) ? get(c, VMCS_PROC_CTLS2) : 0;
    v->exc_bitmap = get(c, VMCS_EXCEPTION_BITMAP);
    v->pf_mask = get(c, VMCS_PF_ERROR_MASK);
    v->pf_match = get(c, VMCS_PF_ERROR_MATCH);
    v->exit_ctls = get(c, VMCS_EXIT_CTLS);
    v->cr0_mask = get(c, VMCS_CR0_MASK);
    v->cr4_mask = get(c, VMCS_CR4_MASK);
    v->cr0_shadow = get(c, VMCS_CR0_SHADOW);
    v->cr4_shadow = get(c, VMCS_CR4_SHADOW);
    v->cr3_count = get(c, VMCS_CR3_TARGET_COUNT);
    for (int k = 0; k < 4; k++)
        v->cr3_target[k] = get(c, VMCS_CR3_TARGET0 + 2u * (uint32_t)k);
    v->io_bitmap[0] = get(c, VMCS_IO_BITMAP_A);
    v->io_bitmap[1] = get(c, VMCS_IO_BITMAP_B);
    v->msr_bitmap = get(c, VMCS_MSR_BITMAP);
    v->tsc_offset = (v->proc & PROC_TSC_OFFSET) ? vmcs_get(c, VMCS_TSC_OFFSET) : 0;
}

/* 26.5: the event in the VM-entry interruption-information field,
 * delivered through the guest's IDT as if it had occurred at the guest's
 * EIP (software events: after the instruction the length names). A fault
 * while delivering it may exit, with the event as IDT-vectoring information. */
static void inject(machine_t *m, uint32_t info)
{
    struct cpu *c = &m->cpu;
    int vector = info & 0xff, type = (info >> 8) & 7;
    uint32_t eip = c->eip, error = get(c, VMCS_ENTRY_EXC_ERROR);
    deliver_kind_t kind = type == INTR_EXT ? DK_HARDWARE
                        : type == INTR_NMI || type == INTR_HW_EXC ? DK_EXCEPTION : DK_SOFTWARE;
    if (kind == DK_SOFTWARE) {
        c->soft_kind = type == INTR_SW_INT ? SOFT_INTN : type == INTR_PRIV_SW_EXC ? SOFT_INT1
                     : vector == EXC_OF ? SOFT_INTO : SOFT_INT3;
        c->eip += get(c, VMCS_ENTRY_INSN_LEN);
    }
    m->halted = 0;
    c->irq_shadow = 0;   /* a vectoring VM entry leaves no STI or MOV SS blocking (26.6.1) */
    c->vmx.injecting = 1;
    deliver_event(m, vector, kind, (info & INTR_HAS_ERROR) != 0, error, eip);
    c->vmx.injecting = 0;
}

static int entry_failure(machine_t *m, uint32_t reason, uint32_t qual, const char *why)
{
    vmx_exit_t e = { .reason = reason | VMX_EXIT_ENTRY_FAILURE, .qual = qual, .why = why };
    vm_exit(m, &e);
    return ISA_VMEXIT;
}

/* The machine's bus: VM entry (isa/exec_vmx.c's vmx_vmentry()). */
int vmx_bus_entry(void *ctx, int launch)
{
    machine_t *m = ctx;
    struct cpu *c = &m->cpu;
    const char *name = launch ? "vmlaunch" : "vmresume", *why;
    int from = c->cpl, error = VMERR_BAD_CONTROLS;
    if ((why = check_controls(c)) || (error = VMERR_BAD_HOST, why = check_host(c))) {
        vmx_trace(m, VX_VMFAIL, from, 0, "%s: VM-instruction error %d (%s)", name, error, why);
        return vmx_fail(c, error);
    }
    if (get(c, VMCS_GUEST_EFLAGS) & FL_VM) {
        c->stop_reason = "virtual-8086 mode is not modelled (VM entry with RFLAGS.VM = 1)";
        return ISA_STOP;
    }
    uint32_t qual = 0;
    if ((why = check_guest(c, &qual)))
        return entry_failure(m, VMX_EXIT_BAD_GUEST, qual, why);
    load_guest(m);
    uint32_t bad = msr_load(c, get(c, VMCS_ENTRY_MSR_LOAD_ADDR), get(c, VMCS_ENTRY_MSR_LOAD_COUNT));
    if (bad)
        return entry_failure(m, VMX_EXIT_MSR_LOADING, bad, "an MSR that cannot be loaded");
    if (launch)
        phys_write(c, (uint32_t)c->vmx.vmcs_ptr + VMCS_OFF_LAUNCHED, 4, 1);
    c->vmx.nonroot = 1;
    m->vmx_entries++;
    uint32_t info = get(c, VMCS_ENTRY_INTR_INFO);
    char d[64] = "";
    if ((info >> 31) && trace_on(&m->trace, TL_VMX))
        describe_intr(d, sizeof d, info, get(c, VMCS_ENTRY_EXC_ERROR));
    vmx_trace(m, VX_ENTRY, from, info, "%s -> guest %04x:%08x, ring %d%s%s%s", name, c->seg[SEG_CS].sel, c->eip,
              c->cpl, d[0] ? ", injecting " : "", d, m->halted ? ", halted" : "");
    if (info >> 31)
        inject(m, info);
    return c->vmx.nonroot ? ISA_VMENTER : ISA_VMEXIT;
}

/* ---- the VMCS for people (step mode's `v`) ---- */

typedef struct bit_name { uint32_t bit; const char *name; } bit_name_t;

/* "00000017 [external-interrupt exiting]": the value and the bits of it
 * trapsim implements, by the SDM's names (reserved bits go unnamed). */
static void print_bits(FILE *out, const char *label, uint32_t v, const bit_name_t *names, size_t n)
{
    const char *sep = " [";
    fprintf(out, "    %-17s %08x", label, v);
    for (size_t k = 0; k < n; k++)
        if (v & names[k].bit) {
            fprintf(out, "%s%s", sep, names[k].name);
            sep = ", ";
        }
    fputs(sep[0] == ',' ? "]\n" : "\n", out);
}
#define PRINT_BITS(out, label, v, names) print_bits(out, label, v, names, sizeof names / sizeof names[0])

void vmx_print_vmcs(const struct cpu *cc, FILE *out)
{
    static const bit_name_t pin[] = { { PIN_EXTINT_EXITING, "external-interrupt exiting" },
                                      { PIN_NMI_EXITING, "NMI exiting" } };
    static const bit_name_t proc[] = {
        { PROC_INTR_WINDOW, "interrupt-window exiting" }, { PROC_TSC_OFFSET, "TSC offsetting" },
        { PROC_HLT, "HLT exiting" }, { PROC_INVLPG, "INVLPG exiting" }, { PROC_RDTSC, "RDTSC exiting" },
        { PROC_CR3_LOAD, "CR3-load exiting" }, { PROC_CR3_STORE, "CR3-store exiting" },
        { PROC_MOV_DR, "MOV-DR exiting" }, { PROC_UNCOND_IO, "unconditional I/O exiting" },
        { PROC_IO_BITMAPS, "I/O bitmaps" }, { PROC_MSR_BITMAPS, "MSR bitmaps" },
        { PROC_SECONDARY, "secondary controls" },
    };
    static const bit_name_t proc2[] = { { PROC2_DESC_TABLE, "descriptor-table exiting" },
                                        { PROC2_VPID, "enable VPID" } };
    static const bit_name_t exitc[] = { { VMX_EXIT_SAVE_DEBUG, "save debug controls" },
                                        { VMX_EXIT_ACK_INTR, "acknowledge interrupt on exit" } };
    static const bit_name_t entryc[] = { { ENTRY_LOAD_DEBUG, "load debug controls" } };
    /* vmcs_get() only reads (phys_read changes nothing) */
    struct cpu *c = (struct cpu *)cc;
    const vmx_cpu_t *v = &c->vmx;
    if (!v->on) {
        fputs("VMX: not in VMX operation (no VMXON): no VMCS\n", out);
        return;
    }
    fprintf(out, "VMX %s, VMXON region at %08x\n",
            v->nonroot ? "non-root operation (a guest runs at its own rings)" : "root operation (the hypervisor runs)",
            v->vmxon_ptr);
    if (v->vmcs_ptr == VMCS_NONE) {
        fputs("  no current VMCS (VMPTRLD makes one current)\n", out);
        return;
    }
    uint32_t base = (uint32_t)v->vmcs_ptr;
    fprintf(out, "  current VMCS at %08x, %s\n", base,
            phys_read(c, base + VMCS_OFF_LAUNCHED, 4) ? "launched (VMRESUME enters it)" : "clear (VMLAUNCH enters it)");
    fprintf(out, "  guest-state area (%s):\n",
            v->nonroot ? "as of the last VM entry; the CPU holds the live state: r" : "as the last VM exit saved it");
    fprintf(out, "    cs:eip=%04x:%08x  ss:esp=%04x:%08x  eflags=%08x%s\n", get(c, VMCS_GUEST_CS_SEL),
            get(c, VMCS_GUEST_EIP), get(c, VMCS_GUEST_SS_SEL), get(c, VMCS_GUEST_ESP), get(c, VMCS_GUEST_EFLAGS),
            (get(c, VMCS_GUEST_EFLAGS) & FL_IF) ? " (IF)" : "");
    uint32_t intr = get(c, VMCS_GUEST_INTERRUPTIBILITY);
    fprintf(out, "    cr0=%08x cr3=%08x cr4=%08x  interruptibility=%x%s%s  activity=%s\n",
            get(c, VMCS_GUEST_CR0), get(c, VMCS_GUEST_CR3), get(c, VMCS_GUEST_CR4), intr,
            (intr & BLOCK_STI) ? " (blocking by STI)" : "", (intr & BLOCK_MOV_SS) ? " (blocking by MOV SS)" : "",
            get(c, VMCS_GUEST_ACTIVITY) == ACTIVITY_HLT ? "HLT" : "active");
    fputs("  controls:\n", out);
    PRINT_BITS(out, "pin-based", get(c, VMCS_PIN_CTLS), pin);
    PRINT_BITS(out, "primary", get(c, VMCS_PROC_CTLS), proc);
    if (get(c, VMCS_PROC_CTLS) & PROC_SECONDARY)
        PRINT_BITS(out, "secondary", get(c, VMCS_PROC_CTLS2), proc2);
    fprintf(out, "    %-17s %08x\n", "exception bitmap", get(c, VMCS_EXCEPTION_BITMAP));
    PRINT_BITS(out, "VM-exit", get(c, VMCS_EXIT_CTLS), exitc);
    PRINT_BITS(out, "VM-entry", get(c, VMCS_ENTRY_CTLS), entryc);
    fprintf(out, "    cr0 mask=%08x shadow=%08x   cr4 mask=%08x shadow=%08x\n", get(c, VMCS_CR0_MASK),
            get(c, VMCS_CR0_SHADOW), get(c, VMCS_CR4_MASK), get(c, VMCS_CR4_SHADOW));
    char d[200];
    uint32_t info = get(c, VMCS_ENTRY_INTR_INFO);
    if (info >> 31) {
        describe_intr(d, sizeof d, info, get(c, VMCS_ENTRY_EXC_ERROR));
        fprintf(out, "  VM-entry interruption information %08x: inject %s\n", info, d);
    } else {
        fprintf(out, "  VM-entry interruption information %08x: nothing to inject\n", info);
    }
    vmx_exit_t e = { .reason = get(c, VMCS_EXIT_REASON), .qual = get(c, VMCS_EXIT_QUALIFICATION),
                     .insn_info = get(c, VMCS_EXIT_INSN_INFO), .intr_info = get(c, VMCS_EXIT_INTR_INFO),
                     .intr_error = get(c, VMCS_EXIT_INTR_ERROR), .idt_info = get(c, VMCS_IDT_VECTORING_INFO),
                     .idt_error = get(c, VMCS_IDT_VECTORING_ERROR),
                     .why = "the failed check: --trace vmx" };
    /* reason 0 always comes with valid interruption information */
    if (e.reason == 0 && !(e.intr_info >> 31)) {
        fputs("  last VM exit: none yet\n", out);
        return;
    }
    int basic = (int)(e.reason & 0xffff);
    describe_exit(d, sizeof d, &e);
    fprintf(out, "  last VM exit: reason %d%s %s, qualification 0x%x%s%s%s\n", basic,
            (e.reason & VMX_EXIT_ENTRY_FAILURE) ? " (bit 31 set)" : "", vmx_exit_name(basic), e.qual,
            d[0] ? " (" : "", d, d[0] ? ")" : "");
}
