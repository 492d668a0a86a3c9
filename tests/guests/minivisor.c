/* minivisor: a hypervisor of a hundred lines on the bare machine, with
 * VMX (Intel SDM vol. 3C). It reads the VMX capability MSRs, meets each VMX
 * instruction's #UD, #GP, VMfailInvalid and VMfailValid outcomes, enables
 * VMX, programs a VMCS, survives a VM-entry failure, and runs a small guest
 * (minivisor.S) at ring 0 of VMX non-root operation: its CPUID, I/O,
 * VMCALL and HLT exit to the host, which prints each exit reason and
 * qualification, emulates the instruction, and injects one interrupt.
 *
 * QEMU's TCG has no VMX: this guest runs on trapsim only, and its
 * transcript is compared with minivisor.expected (make test-minivisor). */
#include "rt.h"

const char guest_name[] = "minivisor";

/* VMCS field encodings (SDM vol. 3C appendix B) */
enum {
    GUEST_ES_SEL = 0x0800, HOST_ES_SEL = 0x0c00, HOST_CS_SEL = 0x0c02, HOST_SS_SEL = 0x0c04,
    HOST_DS_SEL = 0x0c06, HOST_FS_SEL = 0x0c08, HOST_GS_SEL = 0x0c0a, HOST_TR_SEL = 0x0c0c,
    LINK_PTR = 0x2800, LINK_PTR_HI = 0x2801,
    PIN_CTLS = 0x4000, PROC_CTLS = 0x4002, EXCEPTION_BITMAP = 0x4004, EXIT_CTLS = 0x400c,
    ENTRY_CTLS = 0x4012, ENTRY_INTR_INFO = 0x4016,
    INSN_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INSN_LEN = 0x440c,
    GUEST_ES_LIMIT = 0x4800, GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
    GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_INTERRUPTIBILITY = 0x4824,
    GUEST_ACTIVITY = 0x4826,
    EXIT_QUALIFICATION = 0x6400, GUEST_LINEAR_ADDR = 0x640a,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_ES_BASE = 0x6806,
    GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681a, GUEST_ESP = 0x681c,
    GUEST_EIP = 0x681e, GUEST_EFLAGS = 0x6820,
    HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_TR_BASE = 0x6c0a,
    HOST_GDTR_BASE = 0x6c0c, HOST_IDTR_BASE = 0x6c0e, HOST_ESP = 0x6c14, HOST_EIP = 0x6c16,
};
#define CR0_NE (1u << 5)
#define CR4_VMXE (1u << 13)
#define PROC_HLT (1u << 7)
#define PROC_UNCOND_IO (1u << 24)

uint64_t vmxon_pa;
static uint64_t vmcs_pa;
static uint32_t vmxon_region[1024] __attribute__((aligned(4096)));
static uint32_t vmcs[1024] __attribute__((aligned(4096)));
static uint8_t guest_stack[1024] __attribute__((aligned(16)));
static uint8_t exit_stack[1024] __attribute__((aligned(16)));

void probe_vmxoff(void), probe_vmcall(void), probe_vmxon(void);
uint32_t vm_run(void);
extern char vm_exit_entry[], guest_entry[], guest_isr30[];
extern uint32_t guest_sig[4], guest_in, guest_irqs;

/* ---- the instructions, each giving EFLAGS after it ---- */
static uint32_t rdmsr(uint32_t msr, uint32_t *hi)
{
    uint32_t lo, h;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(h) : "c"(msr));
    if (hi)
        *hi = h;
    return lo;
}

static void wrmsr(uint32_t msr, uint32_t lo, uint32_t hi)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"(lo), "d"(hi));
}

#define VMX_OP(insn, arg) ({ uint32_t fl_; \
    __asm__ volatile(insn " %1; pushfl; popl %0" : "=r"(fl_) : "m"(arg) : "cc", "memory"); fl_; })
#define VMX_OP0(insn) ({ uint32_t fl_; \
    __asm__ volatile(insn "; pushfl; popl %0" : "=r"(fl_) : : "cc", "memory"); fl_; })

static uint32_t vmread(uint32_t enc, uint32_t *v)
{
    uint32_t fl;
    __asm__ volatile("vmread %2, %0; pushfl; popl %1" : "=r"(*v), "=r"(fl) : "r"(enc) : "cc");
    return fl;
}

static uint32_t vmwrite(uint32_t enc, uint32_t v)
{
    uint32_t fl;
    __asm__ volatile("vmwrite %1, %2; pushfl; popl %0" : "=r"(fl) : "r"(v), "r"(enc) : "cc");
    return fl;
}

static uint32_t rd(uint32_t enc)
{
    uint32_t v = 0;
    vmread(enc, &v);
    return v;
}

static void wr(uint32_t enc, uint32_t v)
{
    if (vmwrite(enc, v) & (FL_CF | FL_ZF))
        kprintf("  FAIL: vmwrite %04x\n", enc);
}

/* Prints what a VMX instruction did: VMsucceed, VMfailInvalid (CF) or
 * VMfailValid (ZF) with the VM-instruction error; checks it was `want`
 * (-1 VMfailInvalid, 0 VMsucceed, N VMfailValid(N)). */
static void outcome(const char *what, uint32_t fl, int want)
{
    int got = (fl & FL_CF) ? -1 : (fl & FL_ZF) ? (int)rd(INSN_ERROR) : 0;
    kprintf("  %s: ", what);
    if (got < 0)
        puts_("VMfailInvalid");
    else if (got)
        kprintf("VMfailValid, VM-instruction error %u", (uint32_t)got);
    else
        puts_("VMsucceed");
    verdict(got == want);
}

static uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("movl %%cr0, %0" : "=r"(v)); return v; }
static uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("movl %%cr4, %0" : "=r"(v)); return v; }
static void write_cr0(uint32_t v) { __asm__ volatile("movl %0, %%cr0" : : "r"(v)); }
static void write_cr4(uint32_t v) { __asm__ volatile("movl %0, %%cr4" : : "r"(v)); }

/* A control with its reserved bits as the capability MSR says: the bits
 * that must be 1 (low half) set, those that may not be (high half) clear. */
static uint32_t adjust(uint32_t want, uint32_t msr)
{
    uint32_t hi, lo = rdmsr(msr, &hi);
    return (want | lo) & hi;
}

/* ---- the VMCS ---- */
static void host_state(uint16_t cs)
{
    static const uint16_t sels[] = { HOST_ES_SEL, HOST_SS_SEL, HOST_DS_SEL, HOST_FS_SEL, HOST_GS_SEL };
    wr(HOST_CR0, read_cr0());
    wr(HOST_CR3, 0);
    wr(HOST_CR4, read_cr4());
    wr(HOST_CS_SEL, cs);
    for (unsigned k = 0; k < sizeof sels / sizeof sels[0]; k++)
        wr(sels[k], SEL_KDATA);
    wr(HOST_TR_SEL, SEL_TSS);
    wr(HOST_TR_BASE, (uint32_t)&tss);
    wr(HOST_GDTR_BASE, (uint32_t)gdt);
    wr(HOST_IDTR_BASE, (uint32_t)idt);
    wr(HOST_ESP, (uint32_t)(exit_stack + sizeof exit_stack));
    wr(HOST_EIP, (uint32_t)vm_exit_entry);
}

/* The guest: the host's flat ring-0 segments, tables and TSS (no paging,
 * so guest-physical is host-physical), its own stack and code. */
static void guest_state(uint32_t cs_ar)
{
    /* ES CS SS DS FS GS LDTR TR */
    static const uint16_t sel[8] = { SEL_KDATA, SEL_KCODE, SEL_KDATA, SEL_KDATA, SEL_KDATA, SEL_KDATA, 0, SEL_TSS };
    for (int k = 0; k < 8; k++) {
        uint32_t ar = k == 1 ? cs_ar : k == 6 ? 0x10000 : k == 7 ? 0x008b : 0xc093;
        wr(GUEST_ES_SEL + 2 * k, sel[k]);
        wr(GUEST_ES_BASE + 2 * k, k == 7 ? (uint32_t)&tss : 0);
        wr(GUEST_ES_LIMIT + 2 * k, k == 7 ? sizeof tss - 1 : k == 6 ? 0 : 0xffffffff);
        wr(GUEST_ES_AR + 2 * k, ar);
    }
    wr(GUEST_GDTR_BASE, (uint32_t)gdt);
    wr(GUEST_GDTR_LIMIT, GDT_ENTRIES * 8 - 1);
    wr(GUEST_IDTR_BASE, (uint32_t)idt);
    wr(GUEST_IDTR_LIMIT, 256 * 8 - 1);
    wr(GUEST_CR0, read_cr0());
    wr(GUEST_CR3, 0);
    wr(GUEST_CR4, read_cr4());
    wr(GUEST_DR7, 0x400);
    wr(GUEST_ESP, (uint32_t)(guest_stack + sizeof guest_stack));
    wr(GUEST_EIP, (uint32_t)guest_entry);
    wr(GUEST_EFLAGS, FL_1);
    wr(GUEST_INTERRUPTIBILITY, 0);
    wr(GUEST_ACTIVITY, 0);
    wr(LINK_PTR, 0xffffffff);
    wr(LINK_PTR_HI, 0xffffffff);
}

/* ---- VM exits ---- */
static const char *reason_name(uint32_t r)
{
    switch (r & 0xffff) {
    case 10: return "CPUID";
    case 12: return "HLT";
    case 18: return "VMCALL";
    case 30: return "I/O instruction";
    case 33: return "VM-entry failure due to invalid guest state";
    default: return "unexpected";
    }
}

struct regs { uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax; };
uint32_t on_exit(struct regs *r);
__attribute__((noreturn)) void on_vmfail(uint32_t eflags);

/* One VM exit: 0 resume, 1 launch again, 2 the guest is done. */
uint32_t on_exit(struct regs *r)
{
    uint32_t reason = rd(EXIT_REASON), qual = rd(EXIT_QUALIFICATION);
    kprintf("  exit %08x (%u, %s), qualification %08x\n", reason, reason & 0xffff, reason_name(reason), qual);
    if (reason & 0x80000000u) {
        kprintf("    guest CS access rights %08x: a data segment; 0000c09b, and launch again\n", rd(GUEST_CS_AR));
        wr(GUEST_CS_AR, 0xc09b);
        return 1;
    }
    switch (reason) {
    case 10:
        kprintf("    cpuid leaf %08x: the hypervisor's signature\n", r->eax);
        r->ebx = 0x696e694d;   /* "MiniVisorVMX" */
        r->ecx = 0x6f736956;
        r->edx = 0x584d5672;
        r->eax = 0;
        break;
    case 30: {
        uint32_t size = (qual & 7) + 1, port = qual >> 16;
        kprintf("    %s%s%s, port %04x (%s), %u byte%s\n", (qual & 32) ? "rep " : "", (qual & 8) ? "in" : "out",
                (qual & 16) ? "s" : "", port, (qual & 64) ? "immediate" : "dx", size, size > 1 ? "s" : "");
        if (qual & 16) {   /* a string from guest memory: guest-linear is host-physical here */
            const char *p = (const char *)rd(GUEST_LINEAR_ADDR);
            puts_("    the guest wrote: ");
            for (uint32_t k = 0; k < r->ecx; k++)
                putch(p[k]);
            r->esi += r->ecx;
            r->ecx = 0;
        } else if (qual & 8) {
            r->eax = (r->eax & 0xffff0000u) | 0xbeef;
            puts_("    the device answers beef\n");
        } else {
            kprintf("    the guest wrote %02x\n", r->eax & 0xff);
        }
        break;
    }
    case 18:
        if (r->eax == 2) {
            kprintf("    hypercall 2: done, after %u interrupt\n", r->ebx);
            return 2;
        }
        kprintf("    hypercall %u: \"%s\"\n", r->eax, (const char *)r->ebx);
        break;
    case 12:
        kprintf("    interruptibility %08x (blocking by STI: hlt came right after sti)\n",
                rd(GUEST_INTERRUPTIBILITY));
        puts_("    inject vector 0x30 (external interrupt) at the next VM entry\n");
        wr(ENTRY_INTR_INFO, 0x80000030);
        break;
    default:
        puts_("    FAIL: unexpected\n");
        guest_exit(0x7f);
    }
    /* the instruction is done: skip it; its STI or MOV SS blocking ends */
    wr(GUEST_EIP, rd(GUEST_EIP) + rd(EXIT_INSN_LEN));
    wr(GUEST_INTERRUPTIBILITY, rd(GUEST_INTERRUPTIBILITY) & ~3u);
    return 0;
}

void on_vmfail(uint32_t eflags)
{
    outcome("VM entry", eflags, 0);
    guest_exit(0x7f);
}

void guest_main(void)
{
    uint32_t a = 1, b, c, d, hi;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    puts_("VMX capability\n");
    check("cpuid.1:ecx.vmx", (c >> 5) & 1, 1);
    uint32_t basic = rdmsr(0x480, &hi);
    kprintf("  IA32_VMX_BASIC: %08x%08x (revision %u, %u-byte VMCS)\n", hi, basic, basic, hi & 0x1fff);
    kprintf("  IA32_VMX_CR0_FIXED0: %08x (PE, NE: not PG, trapsim has no paging)\n", rdmsr(0x486, 0));
    kprintf("  IA32_VMX_CR4_FIXED0: %08x (VMXE)\n", rdmsr(0x488, 0));

    puts_("outside VMX operation\n");
    reset_faults();
    probe_vmxoff();
    check_fault("vmxoff", 0, 6, NOERR, AT, FL_1);
    reset_faults();
    probe_vmcall();
    check_fault("vmcall", 0, 6, NOERR, AT, FL_1);
    vmxon_region[0] = basic;
    vmxon_pa = (uint32_t)vmxon_region;
    reset_faults();
    probe_vmxon();
    check_fault("vmxon with CR4.VMXE = 0", 0, 6, NOERR, AT, FL_1);
    write_cr0(read_cr0() | CR0_NE);
    write_cr4(read_cr4() | CR4_VMXE);
    reset_faults();
    probe_vmxon();
    check_fault("vmxon with IA32_FEATURE_CONTROL unlocked", 0, 13, 0, AT, FL_1);
    wrmsr(0x3a, 5, 0);   /* lock, VMX outside SMX: what firmware does */
    check("IA32_FEATURE_CONTROL", rdmsr(0x3a, 0), 5);

    puts_("VMX instructions\n");
    outcome("vmxon", VMX_OP("vmxon", vmxon_pa), 0);
    outcome("vmxon again, no current VMCS", VMX_OP("vmxon", vmxon_pa), -1);
    outcome("vmptrld of the VMXON region", VMX_OP("vmptrld", vmxon_pa), -1);
    vmcs_pa = (uint32_t)vmcs;
    vmcs[0] = 0x7fff;
    outcome("vmptrld, wrong revision", VMX_OP("vmptrld", vmcs_pa), -1);
    vmcs[0] = basic;
    outcome("vmclear", VMX_OP("vmclear", vmcs_pa), 0);
    outcome("vmptrld", VMX_OP("vmptrld", vmcs_pa), 0);
    uint64_t cur = 0;
    outcome("vmptrst", VMX_OP("vmptrst", cur), 0);
    check("current-VMCS pointer", (uint32_t)cur, (uint32_t)vmcs);
    uint32_t v;
    outcome("vmread of no field (ffff)", vmread(0xffff, &v), 12);
    outcome("vmwrite of the exit reason", vmwrite(EXIT_REASON, 1), 13);
    outcome("vmxon in VMX root operation", VMX_OP("vmxon", vmxon_pa), 15);
    outcome("vmresume, not launched", VMX_OP0("vmresume"), 5);
    outcome("vmcall in VMX root operation", VMX_OP0("vmcall"), 1);
    outcome("vmlaunch, controls all 0", vm_run(), 7);
    wr(PIN_CTLS, adjust(0, 0x481));
    wr(PROC_CTLS, adjust(PROC_HLT | PROC_UNCOND_IO, 0x482));
    wr(EXCEPTION_BITMAP, 0);
    wr(EXIT_CTLS, adjust(0, 0x483));
    wr(ENTRY_CTLS, adjust(0, 0x484));
    host_state(0);
    outcome("vmlaunch, host CS selector 0", vm_run(), 8);
    host_state(SEL_KCODE);

    puts_("the guest, in VMX non-root operation\n");
    idt_set(0x30, (uint32_t)guest_isr30, SEL_KCODE, 0x8e);
    guest_state(0xc093);
    outcome("vmlaunch, then the guest's exits", vm_run(), 0);
    check("guest's cpuid ebx", guest_sig[0], 0x696e694d);
    check("guest's in from port 1234", guest_in, 0xbeef);
    check("interrupts the guest took", guest_irqs, 1);
    outcome("vmxoff", VMX_OP0("vmxoff"), 0);
    reset_faults();
    probe_vmxoff();
    check_fault("vmxoff after vmxoff", 0, 6, NOERR, AT, FL_1);
}
