/* VMX (SDM vol. 3C chapters 24-31): every VMX instruction's outcome (#UD
 * outside VMX operation, #GP(0) at CPL > 0, VMsucceed, VMfailInvalid,
 * VMfailValid with each error number trapsim raises); the main VM-entry
 * checks of each group (controls: VMfailValid 7; host state: 8; guest
 * state: exit reason 33 with bit 31, host state loaded); each exit reason
 * of non-root operation with its qualification and information; event
 * injection; what a VM exit saves and loads. */
#include "tests/unit/fixture.h"
#include "cpu/vmx.h"
#include "tests/vmx/vmcs_good.h"

#define VMXON_PA  0x00040000u
#define VMCS_PA   0x00041000u
#define BITMAP_A  0x00043000u
#define BITMAP_B  0x00044000u
#define MSR_MAP   0x00045000u
#define MSR_AREA  0x00046000u
#define HOST_EIP  0x00021000u
#define HOST_ESP  0x00070000u
#define M64       FX_DATA          /* the memory operand of VMXON, VMPTRLD, ... */

/* The instructions, memory operands at [FX_DATA] (disp32 00 00 03 00). */
#define I_VMXON    "\xf3\x0f\xc7\x35\x00\x00\x03\x00"
#define I_VMPTRLD  "\x0f\xc7\x35\x00\x00\x03\x00"
#define I_VMCLEAR  "\x66\x0f\xc7\x35\x00\x00\x03\x00"
#define I_VMPTRST  "\x0f\xc7\x3d\x00\x00\x03\x00"
#define I_VMREAD   "\x0f\x78\xc8"                   /* vmread %ecx,%eax: field ECX into EAX */
#define I_VMWRITE  "\x0f\x79\xc8"                   /* vmwrite %eax,%ecx: field ECX := EAX */
#define I_VMLAUNCH "\x0f\x01\xc2"
#define I_VMRESUME "\x0f\x01\xc3"
#define I_VMXOFF   "\x0f\x01\xc4"
#define I_VMCALL   "\x0f\x01\xc1"
#define I_INVVPID  "\x66\x0f\x38\x81\x0d\x00\x00\x03\x00"
#define I_INVEPT   "\x66\x0f\x38\x80\x0d\x00\x00\x03\x00"

static struct cpu *c;

static void m64(uint32_t v)
{
    fx_wr32(M64, v);
    fx_wr32(M64 + 4, 0);
}

/* VMsucceed 0, VMfailInvalid -1, VMfailValid: the VM-instruction error. */
static int outcome(isa_result_t r)
{
    ck_assert_int_eq(r, ISA_OK);
    if (c->eflags & FL_CF) {
        ck_assert(!(c->eflags & FL_ZF));
        return -1;
    }
    if (c->eflags & FL_ZF)
        return (int)vmcs_get(c, VMCS_INSN_ERROR);
    return 0;
}

/* A machine at ring 0 ready for VMXON: CR0.NE, CR4.VMXE, the feature
 * control locked with VMX on, VMXON region and VMCS with the revision. */
static void ready(void)
{
    fx_new("x86", 0);
    c = fx_c;
    c->cr0 |= CR0_NE;
    c->cr4 |= CR4_VMXE;
    c->vmx.feature_control = FC_LOCK | FC_VMX_OUTSIDE_SMX;
    fx_wr32(VMXON_PA, VMCS_REVISION);
    fx_wr32(VMCS_PA, VMCS_REVISION);
}

static void set(uint32_t enc, uint64_t v) { vmcs_put(c, enc, v); }

/* A good VMCS (tests/vmx/vmcs_good.h) on the fixture's tables; the guest
 * starts at FX_CODE. */
static void good_vmcs(void)
{
    vmcs_good_t g = { FX_CS(0), FX_DS(0), FX_TSS_SEL, FX_TSS, FX_GDT, 64 * 8 - 1, FX_IDT,
                      HOST_EIP, HOST_ESP, FX_CODE, FX_STACK };
    vmcs_good(c, &g);
}

/* VMX root operation with the VMCS current and good. */
static void root(void)
{
    ready();
    m64(VMXON_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), 0);
    m64(VMCS_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRLD)), 0);
    good_vmcs();
}

/* Non-root operation: VMLAUNCH with the controls given. */
static void guest(uint32_t pin, uint32_t proc, uint32_t proc2)
{
    root();
    set(VMCS_PIN_CTLS, vmx_pin_allowed.must1 | pin);
    set(VMCS_PROC_CTLS, vmx_proc_allowed.must1 | proc | (proc2 ? PROC_SECONDARY : 0));
    set(VMCS_PROC_CTLS2, proc2);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    ck_assert(c->vmx.nonroot);
    ck_assert_uint_eq(c->eip, FX_CODE);
}

/* A VM exit happened: the host runs, the VMCS says why. */
static void ck_exit(uint32_t reason, uint32_t qual)
{
    ck_assert(!c->vmx.nonroot);
    ck_assert_uint_eq(c->eip, HOST_EIP);
    ck_assert_uint_eq(c->reg[ESP], HOST_ESP);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_REASON), reason);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_QUALIFICATION), qual);
}

/* ---- the instructions outside VMX operation and at CPL > 0 ---- */

static const struct { const char *name, *bytes; size_t n; } vmx_insns[] = {
#define I(name, b) { name, b, sizeof(b) - 1 }
    I("vmxoff", I_VMXOFF), I("vmcall", I_VMCALL), I("vmlaunch", I_VMLAUNCH), I("vmresume", I_VMRESUME),
    I("vmptrld", I_VMPTRLD), I("vmclear", I_VMCLEAR), I("vmptrst", I_VMPTRST), I("vmread", I_VMREAD),
    I("vmwrite", I_VMWRITE), I("invvpid", I_INVVPID), I("invept", I_INVEPT),
#undef I
};
#define N_INSNS (int)(sizeof vmx_insns / sizeof vmx_insns[0])

START_TEST(test_ud_outside_vmx_operation)
{
    ready();
    isa_result_t r = fx_exec(vmx_insns[_i].bytes, vmx_insns[_i].n);
    ck_assert_msg(r == ISA_FAULT && c->exc_vector == EXC_UD, "%s: not #UD", vmx_insns[_i].name);
    fx_free();
}
END_TEST

START_TEST(test_gp_at_cpl3)
{
    root();
    fx_ring(3);
    isa_result_t r = fx_exec(vmx_insns[_i].bytes, vmx_insns[_i].n);
    if (_i == N_INSNS - 1)   /* invept: no EPT, #UD before anything */
        ck_assert_msg(r == ISA_FAULT && c->exc_vector == EXC_UD, "invept: not #UD");
    else
        ck_assert_fault(r, EXC_GP, 0);
    fx_free();
}
END_TEST

START_TEST(test_vmxon)
{
    ready();
    m64(VMXON_PA);
    c->cr4 &= ~CR4_VMXE;
    ck_assert_int_eq(FX_EXEC(I_VMXON), ISA_FAULT);
    ck_assert_int_eq(c->exc_vector, EXC_UD);
    c->cr4 |= CR4_VMXE;
    c->vmx.feature_control = FC_VMX_OUTSIDE_SMX;       /* not locked */
    ck_assert_fault(FX_EXEC(I_VMXON), EXC_GP, 0);
    c->vmx.feature_control = FC_LOCK;                  /* locked, VMX off */
    ck_assert_fault(FX_EXEC(I_VMXON), EXC_GP, 0);
    c->vmx.feature_control = FC_LOCK | FC_VMX_OUTSIDE_SMX;
    c->cr0 &= ~CR0_NE;                                 /* CR0 fixed bits */
    ck_assert_fault(FX_EXEC(I_VMXON), EXC_GP, 0);
    c->cr0 |= CR0_NE;
    fx_ring(3);
    ck_assert_fault(FX_EXEC(I_VMXON), EXC_GP, 0);
    fx_ring(0);
    m64(VMXON_PA + 0x10);                              /* not 4 KiB aligned */
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), -1);
    fx_wr32(M64 + 4, 1);                               /* above 4 GiB */
    fx_wr32(M64, VMXON_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), -1);
    m64(VMXON_PA);
    fx_wr32(VMXON_PA, VMCS_REVISION + 1);              /* wrong revision */
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), -1);
    fx_wr32(VMXON_PA, VMCS_REVISION);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), 0);
    ck_assert(c->vmx.on);
    ck_assert(c->vmx.vmcs_ptr == VMCS_NONE);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), -1);   /* in VMX operation, no current VMCS */
    m64(VMCS_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRLD)), 0);
    m64(VMXON_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), VMERR_VMXON_ROOT);
    /* in VMX operation CR4.VMXE stays, and CR0.NE */
    ck_assert_fault(prot_write_cr(c, 4, c->cr4 & ~CR4_VMXE), EXC_GP, 0);
    ck_assert_fault(prot_write_cr(c, 0, c->cr0 & ~CR0_NE), EXC_GP, 0);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXOFF)), 0);
    ck_assert(!c->vmx.on);
    ck_assert_int_eq(prot_write_cr(c, 4, c->cr4 & ~CR4_VMXE), 0);
    fx_free();
}
END_TEST

START_TEST(test_vmclear_vmptrld_vmptrst)
{
    ready();
    m64(VMXON_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), 0);
    m64(VMCS_PA + 8);                                  /* no current VMCS: VMfailInvalid */
    ck_assert_int_eq(outcome(FX_EXEC(I_VMCLEAR)), -1);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRLD)), -1);
    m64(VMCS_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRLD)), 0);
    m64(VMCS_PA + 8);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMCLEAR)), VMERR_VMCLEAR_ADDR);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRLD)), VMERR_VMPTRLD_ADDR);
    m64(VMXON_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMCLEAR)), VMERR_VMCLEAR_VMXON);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRLD)), VMERR_VMPTRLD_VMXON);
    fx_wr32(0x42000, VMCS_REVISION | 0x80000000u);      /* a shadow VMCS: not supported */
    m64(0x42000);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRLD)), VMERR_VMPTRLD_REVISION);
    ck_assert(c->vmx.vmcs_ptr == VMCS_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRST)), 0);
    ck_assert_uint_eq(fx_rd32(M64), VMCS_PA);
    ck_assert_uint_eq(fx_rd32(M64 + 4), 0);
    m64(VMCS_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMCLEAR)), 0);  /* the current one: no current VMCS */
    ck_assert(c->vmx.vmcs_ptr == VMCS_NONE);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRST)), 0);
    ck_assert_uint_eq(fx_rd32(M64), 0xffffffffu);
    ck_assert_uint_eq(fx_rd32(M64 + 4), 0xffffffffu);
    fx_free();
}
END_TEST

static int vmread(uint32_t enc, uint32_t *v)
{
    c->reg[ECX] = enc;
    c->reg[EAX] = 0xdeadbeef;
    int r = outcome(FX_EXEC(I_VMREAD));
    *v = c->reg[EAX];
    return r;
}

static int vmwrite(uint32_t enc, uint32_t v)
{
    c->reg[ECX] = enc;
    c->reg[EAX] = v;
    return outcome(FX_EXEC(I_VMWRITE));
}

START_TEST(test_vmread_vmwrite)
{
    uint32_t v;
    ready();
    m64(VMXON_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), 0);
    ck_assert_int_eq(vmread(VMCS_GUEST_EIP, &v), -1);          /* no current VMCS */
    ck_assert_int_eq(vmwrite(VMCS_GUEST_EIP, 1), -1);
    m64(VMCS_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRLD)), 0);
    ck_assert_int_eq(vmwrite(VMCS_GUEST_EIP, 0x12345678), 0);
    ck_assert_int_eq(vmread(VMCS_GUEST_EIP, &v), 0);
    ck_assert_uint_eq(v, 0x12345678);
    ck_assert_int_eq(vmwrite(VMCS_GUEST_CS_SEL, 0xabcdef12), 0);   /* 16-bit field */
    ck_assert_int_eq(vmread(VMCS_GUEST_CS_SEL, &v), 0);
    ck_assert_uint_eq(v, 0xef12);
    ck_assert_int_eq(vmwrite(VMCS_TSC_OFFSET + 1, 0x11112222), 0);  /* 64-bit: high half */
    ck_assert_int_eq(vmwrite(VMCS_TSC_OFFSET, 0x33334444), 0);      /* full: high half cleared */
    ck_assert_uint_eq(vmcs_get(c, VMCS_TSC_OFFSET), 0x33334444u);
    ck_assert_int_eq(vmwrite(VMCS_TSC_OFFSET + 1, 0x55556666), 0);
    ck_assert_int_eq(vmread(VMCS_TSC_OFFSET + 1, &v), 0);
    ck_assert_uint_eq(v, 0x55556666);
    ck_assert_int_eq(vmread(VMCS_TSC_OFFSET, &v), 0);
    ck_assert_uint_eq(v, 0x33334444);
    /* fields trapsim does not have, reserved encoding bits, a high half of a 32-bit field */
    static const uint32_t bad[] = { 0x201a /* EPT pointer */, 0x6000 | 0x1000, 0x10000 | VMCS_GUEST_EIP,
                                    VMCS_GUEST_EIP + 1, 0xffff, 0x482e /* preemption timer */ };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_int_eq(vmread(bad[k], &v), VMERR_FIELD_UNSUPPORTED);
        ck_assert_uint_eq(v, 0xdeadbeef);
        ck_assert_int_eq(vmwrite(bad[k], 1), VMERR_FIELD_UNSUPPORTED);
    }
    /* the VM-exit information fields are read-only, and readable */
    ck_assert_int_eq(vmwrite(VMCS_EXIT_REASON, 1), VMERR_FIELD_READ_ONLY);
    ck_assert_int_eq(vmwrite(VMCS_EXIT_QUALIFICATION, 1), VMERR_FIELD_READ_ONLY);
    ck_assert_int_eq(vmread(VMCS_INSN_ERROR, &v), 0);
    ck_assert_uint_eq(v, VMERR_FIELD_READ_ONLY);
    /* a memory destination */
    FX_PUT(FX_CODE + 16, "");
    c->reg[ECX] = VMCS_GUEST_EIP;
    c->reg[EBX] = FX_DATA + 0x100;
    ck_assert_int_eq(outcome(FX_EXEC("\x0f\x78\x0b")), 0);   /* vmread %ecx,(%ebx) */
    ck_assert_uint_eq(fx_rd32(FX_DATA + 0x100), 0x12345678);
    fx_free();
}
END_TEST

START_TEST(test_vmlaunch_vmresume_vmcall)
{
    root();
    ck_assert_int_eq(outcome(FX_EXEC(I_VMRESUME)), VMERR_RESUME_NOT_LAUNCHED);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMCALL)), VMERR_VMCALL_ROOT);
    c->vmx.blocking = BLOCK_MOV_SS;
    ck_assert_int_eq(outcome(FX_EXEC(I_VMLAUNCH)), VMERR_ENTRY_MOV_SS);
    c->vmx.blocking = 0;
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    ck_assert_int_eq(FX_EXEC(I_VMCALL), ISA_VMEXIT);
    ck_exit(VMX_EXIT_VMCALL, 0);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMLAUNCH)), VMERR_LAUNCH_NOT_CLEAR);
    ck_assert_int_eq(FX_EXEC(I_VMRESUME), ISA_VMENTER);
    /* VMCLEAR makes it clear again */
    ck_assert_int_eq(FX_EXEC(I_VMCALL), ISA_VMEXIT);
    m64(VMCS_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMCLEAR)), 0);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMPTRLD)), 0);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMRESUME)), VMERR_RESUME_NOT_LAUNCHED);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    fx_free();
}
END_TEST

START_TEST(test_invvpid_invept)
{
    root();
    static const struct { uint32_t type, vpid, rsvd, addr_hi; int want; } k[] = {
        { 0, 1, 0, 0, 0 }, { 1, 1, 0, 0, 0 }, { 2, 0, 0, 0, 0 }, { 3, 7, 0, 0, 0 },
        { 4, 1, 0, 0, VMERR_INVALID_OPERAND },   /* no such type */
        { 1, 0, 0, 0, VMERR_INVALID_OPERAND },   /* VPID 0 */
        { 0, 0x10001, 0, 0, VMERR_INVALID_OPERAND }, { 2, 1, 1, 0, VMERR_INVALID_OPERAND },   /* bits 63:16 */
        { 0, 1, 0, 1, VMERR_INVALID_OPERAND },   /* an address above 4 GiB */
    };
    for (unsigned n = 0; n < sizeof k / sizeof k[0]; n++) {
        c->reg[ECX] = k[n].type;
        fx_wr32(M64, k[n].vpid);
        fx_wr32(M64 + 4, k[n].rsvd);
        fx_wr32(M64 + 8, 0x1000);
        fx_wr32(M64 + 12, k[n].addr_hi);
        ck_assert_msg(outcome(FX_EXEC(I_INVVPID)) == k[n].want, "invvpid case %u", n);
    }
    ck_assert_int_eq(FX_EXEC(I_INVEPT), ISA_FAULT);
    ck_assert_int_eq(c->exc_vector, EXC_UD);
    fx_free();
}
END_TEST

START_TEST(test_capability_msrs)
{
    uint64_t v;
    ready();
    ck_assert(vmx_rdmsr(c, MSR_VMX_CR0_FIXED0, &v));
    ck_assert_uint_eq(v, 0x21);                  /* PE, NE; not PG: trapsim's departure */
    ck_assert(vmx_rdmsr(c, MSR_VMX_CR0_FIXED1, &v));
    ck_assert(!(v & CR0_PG));
    ck_assert(vmx_rdmsr(c, MSR_VMX_CR4_FIXED0, &v));
    ck_assert_uint_eq(v, CR4_VMXE);
    ck_assert(vmx_rdmsr(c, MSR_VMX_BASIC, &v));
    ck_assert_uint_eq(v & 0x7fffffff, VMCS_REVISION);
    ck_assert_uint_eq((v >> 32) & 0x1fff, 4096);
    ck_assert(vmx_rdmsr(c, MSR_VMX_VMCS_ENUM, &v));
    ck_assert_uint_eq(v, 0x15 << 1);             /* GUEST_SYSENTER_CS, index 21 */
    ck_assert(vmx_rdmsr(c, MSR_VMX_PROCBASED, &v));
    ck_assert_uint_eq((uint32_t)v, vmx_proc_allowed.must1);
    ck_assert(!vmx_rdmsr(c, 0x491, &v));
    /* RDMSR and WRMSR: the feature control locks once */
    c->vmx.feature_control = 0;
    c->reg[ECX] = MSR_FEATURE_CONTROL;
    c->reg[EDX] = 0;
    c->reg[EAX] = 2;                             /* VMX inside SMX: no SMX */
    ck_assert_fault(FX_EXEC("\x0f\x30"), EXC_GP, 0);
    c->reg[EAX] = 5;
    ck_assert_int_eq(FX_EXEC("\x0f\x30"), ISA_OK);
    ck_assert_fault(FX_EXEC("\x0f\x30"), EXC_GP, 0);
    c->reg[EAX] = 0;
    ck_assert_int_eq(FX_EXEC("\x0f\x32"), ISA_OK);
    ck_assert_uint_eq(c->reg[EAX], 5);
    c->reg[ECX] = MSR_VMX_BASIC;                 /* read-only */
    ck_assert_fault(FX_EXEC("\x0f\x30"), EXC_GP, 0);
    /* CPUID.1:ECX.VMX */
    c->reg[EAX] = 1;
    ck_assert_int_eq(FX_EXEC("\x0f\xa2"), ISA_OK);
    ck_assert_uint_eq(c->reg[ECX] & (1u << 5), 1u << 5);
    fx_free();
}
END_TEST

/* ---- VM-entry checks ---- */

enum { CTL = VMERR_BAD_CONTROLS, HOST = VMERR_BAD_HOST, GUEST = -33, LINK = -4 };
static const struct echeck {
    const char *what;
    uint32_t enc;
    uint64_t value;
    int want;          /* VMfailValid 7 or 8; GUEST: exit reason 33, LINK: and qualification 4 */
} echecks[] = {
    /* controls (26.2.1) */
    { "pin-based: required bit clear", VMCS_PIN_CTLS, 0, CTL },
    { "pin-based: unsupported bit (virtual NMIs)", VMCS_PIN_CTLS, 0x16 | 0x20, CTL },
    { "primary: required bit clear", VMCS_PROC_CTLS, 0, CTL },
    { "primary: unsupported bit (TPR shadow)", VMCS_PROC_CTLS, 0x0401e172u | (1u << 21), CTL },
    { "secondary: EPT", VMCS_PROC_CTLS2, 2, CTL },
    { "CR3-target count 5", VMCS_CR3_TARGET_COUNT, 5, CTL },
    { "I/O bitmap A unaligned", VMCS_IO_BITMAP_A, BITMAP_A + 4, CTL },
    { "MSR bitmap above 4 GiB", VMCS_MSR_BITMAP, 0x100000000ull, CTL },
    { "VPID 0", VMCS_VPID, 0, CTL },
    { "exit: host address-space size", VMCS_EXIT_CTLS, 0x36dff | (1u << 9), CTL },
    { "exit: MSR-store area unaligned", VMCS_EXIT_MSR_STORE_ADDR, MSR_AREA + 8, CTL },
    { "entry: IA-32e mode guest", VMCS_ENTRY_CTLS, 0x11ff | (1u << 9), CTL },
    { "entry: MSR-load area unaligned", VMCS_ENTRY_MSR_LOAD_ADDR, MSR_AREA + 4, CTL },
    { "injection: type 1", VMCS_ENTRY_INTR_INFO, 0x80000120u, CTL },
    { "injection: type 7", VMCS_ENTRY_INTR_INFO, 0x80000700u, CTL },
    { "injection: NMI with vector 3", VMCS_ENTRY_INTR_INFO, 0x80000203u, CTL },
    { "injection: exception vector 32", VMCS_ENTRY_INTR_INFO, 0x80000320u, CTL },
    { "injection: #GP without its error code", VMCS_ENTRY_INTR_INFO, 0x8000030du, CTL },
    { "injection: #UD with an error code", VMCS_ENTRY_INTR_INFO, 0x80000b06u, CTL },
    { "injection: reserved bit 12", VMCS_ENTRY_INTR_INFO, 0x80001030u, CTL },
    { "injection: error code bit 15", VMCS_ENTRY_EXC_ERROR, 0x8000, CTL },
    { "injection: INT n of length 0", VMCS_ENTRY_INSN_LEN, 0, CTL },
    /* host state (26.2.2-26.2.4) */
    { "host CR0.NE clear", VMCS_HOST_CR0, CR0_PE | CR0_ET, HOST },
    { "host CR0.PG set", VMCS_HOST_CR0, CR0_PE | CR0_ET | CR0_NE | CR0_PG, HOST },
    { "host CR4.VMXE clear", VMCS_HOST_CR4, 0, HOST },
    { "host DS with RPL 3", VMCS_HOST_DS_SEL, FX_DS(0) | 3, HOST },
    { "host TR with TI", VMCS_HOST_TR_SEL, FX_TSS_SEL | 4, HOST },
    { "host CS null", VMCS_HOST_CS_SEL, 0, HOST },
    { "host SS null", VMCS_HOST_SS_SEL, 0, HOST },
    { "host TR null", VMCS_HOST_TR_SEL, 0, HOST },
    /* guest state (26.3.1) */
    { "CR0.NE clear", VMCS_GUEST_CR0, CR0_PE | CR0_ET, GUEST },
    { "CR0.PE clear", VMCS_GUEST_CR0, CR0_NE | CR0_ET, GUEST },
    { "CR4.VMXE clear", VMCS_GUEST_CR4, 0, GUEST },
    { "TR selector TI", VMCS_GUEST_TR_SEL, FX_TSS_SEL | 4, GUEST },
    { "LDTR usable with TI", VMCS_GUEST_LDTR_SEL, FX_LDT_SEL | 4, GUEST },
    { "SS RPL 3, CS RPL 0", VMCS_GUEST_SS_SEL, FX_DS(3), GUEST },
    { "CS a data segment", VMCS_GUEST_CS_AR, 0xc093, GUEST },
    { "CS not accessed", VMCS_GUEST_CS_AR, 0xc09a, GUEST },
    { "CS DPL 3, SS DPL 0", VMCS_GUEST_CS_AR, 0xc0fb, GUEST },
    { "CS not present", VMCS_GUEST_CS_AR, 0xc01b, GUEST },
    { "CS S clear", VMCS_GUEST_CS_AR, 0xc08b, GUEST },
    { "CS reserved bit 8", VMCS_GUEST_CS_AR, 0xc19b, GUEST },
    { "CS L set", VMCS_GUEST_CS_AR, 0xe09b, GUEST },
    { "CS G clear with a 4 GiB limit", VMCS_GUEST_CS_AR, 0x409b, GUEST },
    { "CS reserved bit 17", VMCS_GUEST_CS_AR, 0x2c09b, GUEST },
    { "SS a code segment", VMCS_GUEST_SS_AR, 0xc09b, GUEST },
    { "SS DPL 3 with RPL 0", VMCS_GUEST_SS_AR, 0xc0f3, GUEST },
    { "DS not accessed", VMCS_GUEST_DS_AR, 0xc092, GUEST },
    { "DS unreadable code", VMCS_GUEST_DS_AR, 0xc099, GUEST },
    { "ES not present", VMCS_GUEST_ES_AR, 0xc013, GUEST },
    { "FS DPL below RPL", VMCS_GUEST_FS_SEL, FX_DS(0) | 3, GUEST },
    { "TR not busy", VMCS_GUEST_TR_AR, 0x89, GUEST },
    { "TR unusable", VMCS_GUEST_TR_AR, 0x1008b, GUEST },
    { "TR G set with a small limit", VMCS_GUEST_TR_AR, 0x808b, GUEST },
    { "LDTR usable, not an LDT", VMCS_GUEST_LDTR_AR, 0x89, GUEST },
    { "GDTR limit 0x10000", VMCS_GUEST_GDTR_LIMIT, 0x10000, GUEST },
    { "IDTR limit 0x10000", VMCS_GUEST_IDTR_LIMIT, 0x10000, GUEST },
    { "RFLAGS bit 1 clear", VMCS_GUEST_EFLAGS, 0, GUEST },
    { "RFLAGS bit 3 set", VMCS_GUEST_EFLAGS, FL_1 | 8, GUEST },
    { "RFLAGS bit 22 set", VMCS_GUEST_EFLAGS, FL_1 | (1u << 22), GUEST },
    { "activity state shutdown", VMCS_GUEST_ACTIVITY, 2, GUEST },
    { "interruptibility: STI and MOV SS", VMCS_GUEST_INTERRUPTIBILITY, 3, GUEST },
    { "interruptibility: STI with IF 0", VMCS_GUEST_INTERRUPTIBILITY, BLOCK_STI, GUEST },
    { "interruptibility: SMI", VMCS_GUEST_INTERRUPTIBILITY, 4, GUEST },
    { "interruptibility: reserved bit 4", VMCS_GUEST_INTERRUPTIBILITY, 16, GUEST },
    { "pending debug: reserved bit 4", VMCS_GUEST_PENDING_DBG, 16, GUEST },
    { "VMCS link pointer", VMCS_VMCS_LINK_PTR, VMCS_PA, LINK },
};
#define N_ECHECKS (int)(sizeof echecks / sizeof echecks[0])

START_TEST(test_entry_check)
{
    const struct echeck *k = &echecks[_i];
    root();
    /* the context a check needs to matter */
    if (k->enc == VMCS_PROC_CTLS2)
        set(VMCS_PROC_CTLS, vmx_proc_allowed.must1 | PROC_SECONDARY);
    if (k->enc == VMCS_VPID) {
        set(VMCS_PROC_CTLS, vmx_proc_allowed.must1 | PROC_SECONDARY);
        set(VMCS_PROC_CTLS2, PROC2_VPID);
    }
    if (k->enc == VMCS_IO_BITMAP_A)
        set(VMCS_PROC_CTLS, vmx_proc_allowed.must1 | PROC_IO_BITMAPS);
    if (k->enc == VMCS_MSR_BITMAP)
        set(VMCS_PROC_CTLS, vmx_proc_allowed.must1 | PROC_MSR_BITMAPS);
    if (k->enc == VMCS_EXIT_MSR_STORE_ADDR)
        set(VMCS_EXIT_MSR_STORE_COUNT, 1);
    if (k->enc == VMCS_ENTRY_MSR_LOAD_ADDR)
        set(VMCS_ENTRY_MSR_LOAD_COUNT, 1);
    if (k->enc == VMCS_GUEST_LDTR_SEL)
        set(VMCS_GUEST_LDTR_AR, 0x82);            /* usable */
    if (k->enc == VMCS_ENTRY_EXC_ERROR)
        set(VMCS_ENTRY_INTR_INFO, 0x80000b0du);   /* #GP with its error code */
    if (k->enc == VMCS_ENTRY_INSN_LEN)
        set(VMCS_ENTRY_INTR_INFO, 0x80000480u);   /* INT 0x80 */
    set(k->enc, k->value);
    uint32_t eip = c->eip;
    isa_result_t r = FX_EXEC(I_VMLAUNCH);
    if (k->want > 0) {
        ck_assert_msg(outcome(r) == k->want, "%s: not VMfailValid(%d)", k->what, k->want);
        ck_assert(!c->vmx.nonroot);
    } else {
        ck_assert_msg(r == ISA_VMEXIT, "%s: not a VM-entry failure (%d)", k->what, r);
        ck_exit(VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_BAD_GUEST, k->want == LINK ? 4 : 0);
        ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(0));
        ck_assert_uint_eq(c->eflags, FL_1);
        /* the VMCS stays clear: VMLAUNCH again is allowed */
        ck_assert_uint_eq(fx_rd32(VMCS_PA + VMCS_OFF_LAUNCHED), 0);
    }
    (void)eip;
    fx_free();
}
END_TEST

/* Entry needs context the table cannot give. */
START_TEST(test_entry_checks_in_context)
{
    /* an external interrupt to inject needs IF = 1 and no STI/MOV SS blocking */
    root();
    set(VMCS_ENTRY_INTR_INFO, INTR_INFO(0x30, INTR_EXT));
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMEXIT);
    ck_exit(VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_BAD_GUEST, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_ENTRY_INTR_INFO) >> 31, 0);   /* the failure's exit cleared it */
    set(VMCS_ENTRY_INTR_INFO, INTR_INFO(0x30, INTR_EXT));
    set(VMCS_GUEST_EFLAGS, FL_1 | FL_IF);
    set(VMCS_GUEST_INTERRUPTIBILITY, BLOCK_MOV_SS);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMEXIT);
    ck_exit(VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_BAD_GUEST, 0);
    fx_free();
    /* HLT activity with SS.DPL 3 */
    root();
    set(VMCS_GUEST_ACTIVITY, ACTIVITY_HLT);
    set(VMCS_GUEST_SS_AR, 0xc0f3);
    set(VMCS_GUEST_SS_SEL, FX_DS(3));
    set(VMCS_GUEST_CS_SEL, FX_CS(3));
    set(VMCS_GUEST_CS_AR, 0xc0fb);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMEXIT);
    ck_exit(VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_BAD_GUEST, 0);
    /* the same at ring 3, active: enters */
    set(VMCS_GUEST_ACTIVITY, ACTIVITY_ACTIVE);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    ck_assert_int_eq(c->cpl, 3);
    fx_free();
    /* MSR loading: an MSR trapsim does not have is entry 2 of the area */
    root();
    set(VMCS_ENTRY_MSR_LOAD_ADDR, MSR_AREA);
    set(VMCS_ENTRY_MSR_LOAD_COUNT, 2);
    fx_wr32(MSR_AREA, MSR_FEATURE_CONTROL);   /* locked: loading it fails... */
    fx_wr32(MSR_AREA + 16, 0x1234);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMEXIT);
    ck_exit(VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_MSR_LOADING, 1);
    c->vmx.feature_control = 0;               /* ...unlocked it loads; 0x1234 does not */
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMEXIT);
    ck_exit(VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_MSR_LOADING, 2);
    fx_free();
    /* RFLAGS.VM: virtual-8086 mode is not modelled */
    root();
    set(VMCS_GUEST_EFLAGS, FL_1 | FL_VM);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_STOP);
    fx_free();
}
END_TEST

/* Activity, interruptibility, pending debug exceptions and the event to
 * inject, checked against each other (26.3.1.5): each case fails as a
 * VM-entry failure, then the one field that fixes it lets the guest in. */
static const struct scheck {
    const char *what;
    uint32_t activity, intr, eflags, pending, inject;
    uint32_t fix_enc, fix_value;
} schecks[] = {
    { "HLT with blocking by MOV SS", ACTIVITY_HLT, BLOCK_MOV_SS, FL_1, 0, 0, VMCS_GUEST_INTERRUPTIBILITY, 0 },
    { "HLT with a #GP to inject", ACTIVITY_HLT, 0, FL_1, 0, INTR_INFO(EXC_GP, INTR_HW_EXC) | INTR_HAS_ERROR,
      VMCS_GUEST_ACTIVITY, ACTIVITY_ACTIVE },
    { "an NMI to inject under blocking by MOV SS", ACTIVITY_ACTIVE, BLOCK_MOV_SS, FL_1, 0, INTR_INFO(EXC_NMI, INTR_NMI),
      VMCS_GUEST_INTERRUPTIBILITY, 0 },
    { "blocking by MOV SS, TF set, BS clear", ACTIVITY_ACTIVE, BLOCK_MOV_SS, FL_1 | FL_TF, 0, 0,
      VMCS_GUEST_PENDING_DBG, DR6_BS },
    { "HLT, BS set, TF clear", ACTIVITY_HLT, 0, FL_1, DR6_BS, 0, VMCS_GUEST_PENDING_DBG, 0 },
};
#define N_SCHECKS (int)(sizeof schecks / sizeof schecks[0])

START_TEST(test_entry_check_states)
{
    const struct scheck *k = &schecks[_i];
    root();
    fx_idt_gate(EXC_GP, FX_CS(0), 0x2100, ACC_TRAPGATE(0));   /* where the injected events go */
    fx_idt_gate(EXC_NMI, FX_CS(0), 0x2200, ACC_INTGATE(0));
    set(VMCS_GUEST_ACTIVITY, k->activity);
    set(VMCS_GUEST_INTERRUPTIBILITY, k->intr);
    set(VMCS_GUEST_EFLAGS, k->eflags);
    set(VMCS_GUEST_PENDING_DBG, k->pending);
    set(VMCS_ENTRY_INTR_INFO, k->inject);
    ck_assert_msg(FX_EXEC(I_VMLAUNCH) == ISA_VMEXIT, "%s: entered", k->what);
    ck_exit(VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_BAD_GUEST, 0);
    set(VMCS_ENTRY_INTR_INFO, k->inject);   /* the failure's exit cleared its valid bit */
    set(k->fix_enc, k->fix_value);
    ck_assert_msg(FX_EXEC(I_VMLAUNCH) == ISA_VMENTER && c->vmx.nonroot, "%s: fixed, still refused", k->what);
    fx_free();
}
END_TEST

/* ---- VM entry loads, VM exit saves and loads ---- */

START_TEST(test_entry_exit_state)
{
    root();
    set(VMCS_GUEST_EFLAGS, FL_1 | FL_IF | FL_CF);
    set(VMCS_GUEST_INTERRUPTIBILITY, BLOCK_STI);
    set(VMCS_GUEST_ESP, 0x5555);
    set(VMCS_GUEST_DR7, 0x455);
    set(VMCS_TSC_OFFSET, 1000);
    set(VMCS_PROC_CTLS, vmx_proc_allowed.must1 | PROC_TSC_OFFSET);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    ck_assert_uint_eq(c->eflags, FL_1 | FL_IF | FL_CF);
    ck_assert_uint_eq(c->irq_shadow, BLOCK_STI);
    ck_assert_uint_eq(c->reg[ESP], 0x5555);
    ck_assert_uint_eq(c->dr[7], 0x455);
    ck_assert_uint_eq(c->tr.base, FX_TSS);
    ck_assert_uint_eq(c->gdtr.limit, 64 * 8 - 1);
    ck_assert(!c->ldtr.usable);
    ck_assert_uint_eq(bus_tsc(c), fx_m->now + 1000);
    /* RDTSC does not exit here, and reads the offset time */
    ck_assert_int_eq(FX_EXEC("\x0f\x31"), ISA_OK);
    ck_assert_uint_eq(c->reg[EAX], (uint32_t)(fx_m->now + 1000));
    /* an exit from under STI blocking: saved */
    c->reg[ESP] = 0x6666;
    c->vmx.blocking = BLOCK_STI;
    c->reg[EAX] = 0;
    ck_assert_int_eq(FX_EXEC("\x0f\xa2"), ISA_VMEXIT);
    c->vmx.blocking = 0;
    ck_exit(VMX_EXIT_CPUID, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INSN_LEN), 2);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_EIP), FX_CODE);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_ESP), 0x6666);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_EFLAGS), FL_1 | FL_IF | FL_CF);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_INTERRUPTIBILITY), BLOCK_STI);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_CS_SEL), FX_CS(0));
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_CS_AR), 0xc09b);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_LDTR_AR), 0x10000);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_DR7), 0x455);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_ACTIVITY), ACTIVITY_ACTIVE);
    /* the host, as 27.5 loads it */
    ck_assert_uint_eq(c->eflags, FL_1);
    ck_assert_uint_eq(c->dr[7], 0x400);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(0));
    ck_assert_uint_eq(c->seg[SEG_CS].access, 0x9b);
    ck_assert_uint_eq(c->gdtr.limit, 0xffff);
    ck_assert_uint_eq(c->idtr.base, FX_IDT);
    ck_assert_uint_eq(c->tr.limit, 0x67);
    ck_assert_uint_eq(c->tr.access, 0x8b);
    ck_assert_uint_eq(bus_tsc(c), fx_m->now);
    fx_free();
}
END_TEST

/* ---- exits caused by instructions (25.1.2, 25.1.3, 27.2.1) ---- */

static void prep_none(void) {}
static void prep_cr0_owned(void)
{
    vmcs_put(c, VMCS_CR0_MASK, CR0_TS);
    vmcs_put(c, VMCS_CR0_SHADOW, CR0_TS);
}
static void prep_cr4_owned(void)   /* TSD owned by the host, 0 in the shadow */
{
    c->vmx.cr4_mask = CR4_TSD;
    c->vmx.cr4_shadow = 0;
}
static void prep_lmsw(void)
{
    vmcs_put(c, VMCS_CR0_MASK, CR0_MP);
    c->reg[EDX] = 0x1234 | CR0_PE;                 /* MP clear, shadow MP set: differs */
    vmcs_put(c, VMCS_CR0_SHADOW, CR0_MP);
}
static void prep_cr3_targets(void)
{
    vmcs_put(c, VMCS_CR3_TARGET_COUNT, 2);
    vmcs_put(c, VMCS_CR3_TARGET0, 0x1000);
    vmcs_put(c, VMCS_CR3_TARGET1, 0x2000);
    c->reg[EAX] = 0x3000;
}
static void prep_io_bitmaps(void)
{
    vmcs_put(c, VMCS_IO_BITMAP_A, BITMAP_A);
    vmcs_put(c, VMCS_IO_BITMAP_B, BITMAP_B);
    fx_wr(BITMAP_A + 0x80 / 8, 1, 1);              /* port 0x80 */
    fx_wr(BITMAP_B + (0x8001 & 0x7fff) / 8, 1, 2); /* port 0x8001 */
}
static void prep_msr_bitmap(void)
{
    vmcs_put(c, VMCS_MSR_BITMAP, MSR_MAP);
    fx_wr(MSR_MAP + 0x800 + 0x3a / 8, 1, 1u << (0x3a % 8));   /* write of 0x3a */
}

static const struct iexit {
    const char *what, *bytes;
    size_t n;
    uint32_t proc, proc2;
    void (*prep)(void);
    uint32_t eax, ecx, edx;
    int exits;              /* 0: runs, no exit */
    uint32_t reason, qual, info;
} iexits[] = {
#define B(s) s, sizeof(s) - 1
    { "cpuid", B("\x0f\xa2"), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_CPUID, 0, 0 },
    { "invd", B("\x0f\x08"), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_INVD, 0, 0 },
    { "hlt with HLT exiting", B("\xf4"), PROC_HLT, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_HLT, 0, 0 },
    { "hlt without", B("\xf4"), 0, 0, prep_none, 0, 0, 0, 0, 0, 0, 0 },
    { "invlpg 0x10(%eax)", B("\x0f\x01\x78\x10"), PROC_INVLPG, 0, prep_none, 0x5000, 0, 0, 1,
      VMX_EXIT_INVLPG, 0x5010, 0 },
    { "rdtsc with RDTSC exiting", B("\x0f\x31"), PROC_RDTSC, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_RDTSC, 0, 0 },
    { "rdtsc without", B("\x0f\x31"), 0, 0, prep_none, 0, 0, 0, 0, 0, 0, 0 },
    { "vmcall", B(I_VMCALL), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMCALL, 0, 0 },
    { "vmlaunch", B(I_VMLAUNCH), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMLAUNCH, 0, 0 },
    { "vmresume", B(I_VMRESUME), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMRESUME, 0, 0 },
    { "vmxoff", B(I_VMXOFF), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMXOFF, 0, 0 },
    /* memory operands: the displacement, and the instruction information:
     * address size 32 (bit 7), DS (3 << 15), no index (bit 22), no base (bit 27) */
    { "vmxon", B(I_VMXON), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMXON, 0x30000, 0x08418080u },
    { "vmclear", B(I_VMCLEAR), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMCLEAR, 0x30000, 0x08418080u },
    { "vmptrld", B(I_VMPTRLD), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMPTRLD, 0x30000, 0x08418080u },
    { "vmptrst", B(I_VMPTRST), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMPTRST, 0x30000, 0x08418080u },
    /* register operands: reg1 in 6:3, bit 10, reg2 in 31:28 */
    { "vmread %ecx,%eax", B(I_VMREAD), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMREAD, 0, 0x10000480u },
    { "vmwrite %eax,%ecx", B(I_VMWRITE), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_VMWRITE, 0, 0x10000480u },
    { "invvpid", B(I_INVVPID), 0, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_INVVPID, 0x30000, 0x18418080u },
    /* control registers: CR number, access type, register */
    { "mov %eax,%cr0 changing an owned bit", B("\x0f\x22\xc0"), 0, 0, prep_cr0_owned, CR0_PE | CR0_NE | CR0_ET, 0, 0,
      1, VMX_EXIT_CR, 0x000, 0 },
    { "mov %ebx,%cr4, no bit owned", B("\x0f\x22\xe3"), 0, 0, prep_none, 0, 0, 0, 0, 0, 0, 0 },
    { "mov %eax,%cr4 changing an owned bit", B("\x0f\x22\xe0"), 0, 0, prep_cr4_owned, CR4_VMXE | CR4_TSD, 0, 0,
      1, VMX_EXIT_CR, 0x004, 0 },
    { "mov %eax,%cr4 keeping the owned bit", B("\x0f\x22\xe0"), 0, 0, prep_cr4_owned, CR4_VMXE, 0, 0, 0, 0, 0, 0 },
    { "mov %cr3,%esi with CR3-store exiting", B("\x0f\x20\xde"), PROC_CR3_STORE, 0, prep_none, 0, 0, 0, 1,
      VMX_EXIT_CR, 0x613, 0 },
    { "mov %eax,%cr3 with CR3-load exiting", B("\x0f\x22\xd8"), PROC_CR3_LOAD, 0, prep_cr3_targets, 0x3000, 0, 0,
      1, VMX_EXIT_CR, 0x003, 0 },
    { "clts, TS owned and set in the shadow", B("\x0f\x06"), 0, 0, prep_cr0_owned, 0, 0, 0, 1, VMX_EXIT_CR, 0x020, 0 },
    { "lmsw %dx, MP owned and different", B("\x0f\x01\xf2"), 0, 0, prep_lmsw, 0, 0, 0x1234 | CR0_PE, 1, VMX_EXIT_CR,
      0x12350030u, 0 },
    /* debug registers: number, direction (1 = from DR), register */
    { "mov %eax,%dr7", B("\x0f\x23\xf8"), PROC_MOV_DR, 0, prep_none, 0x400, 0, 0, 1, VMX_EXIT_DR, 0x007, 0 },
    { "mov %dr3,%ecx", B("\x0f\x21\xd9"), PROC_MOV_DR, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_DR, 0x113, 0 },
    { "mov %dr3,%ecx without MOV-DR exiting", B("\x0f\x21\xd9"), 0, 0, prep_none, 0, 0, 0, 0, 0, 0, 0 },
    /* I/O: size - 1, IN (bit 3), string (4), REP (5), immediate (6), port (31:16) */
    { "out %al,$0x80", B("\xe6\x80"), PROC_UNCOND_IO, 0, prep_none, 0, 0, 0, 1, VMX_EXIT_IO, 0x00800040u, 0 },
    { "in (%dx),%ax", B("\x66\xed"), PROC_UNCOND_IO, 0, prep_none, 0, 0, 0x3f8, 1, VMX_EXIT_IO, 0x03f80009u, 0 },
    { "in (%dx),%eax", B("\xed"), PROC_UNCOND_IO, 0, prep_none, 0, 0, 0x71, 1, VMX_EXIT_IO, 0x0071000bu, 0 },
    { "rep outsb", B("\xf3\x6e"), PROC_UNCOND_IO, 0, prep_none, 0, 3, 0xe9, 1, VMX_EXIT_IO, 0x00e90030u,
      0x00018080u },
    { "insl", B("\x6d"), PROC_UNCOND_IO, 0, prep_none, 0, 0, 0x60, 1, VMX_EXIT_IO, 0x0060001bu, 0x00000080u },
    { "out without I/O exiting", B("\xe6\x80"), 0, 0, prep_none, 0, 0, 0, 0, 0, 0, 0 },
    { "out $0x80, bitmap A bit set", B("\xe6\x80"), PROC_IO_BITMAPS, 0, prep_io_bitmaps, 0, 0, 0, 1, VMX_EXIT_IO,
      0x00800040u, 0 },
    { "out $0x81, bitmap A bit clear", B("\xe6\x81"), PROC_IO_BITMAPS, 0, prep_io_bitmaps, 0, 0, 0, 0, 0, 0, 0 },
    { "out %ax,(%dx) at 0x8000, bitmap B's 0x8001", B("\x66\xef"), PROC_IO_BITMAPS, 0, prep_io_bitmaps, 0, 0,
      0x8000, 1, VMX_EXIT_IO, 0x80000001u, 0 },
    { "out %eax,(%dx) at 0xfffe, wrapping", B("\xef"), PROC_IO_BITMAPS, 0, prep_io_bitmaps, 0, 0, 0xfffe, 1,
      VMX_EXIT_IO, 0xfffe0003u, 0 },
    /* MSRs */
    { "rdmsr", B("\x0f\x32"), 0, 0, prep_none, 0, 0x10, 0, 1, VMX_EXIT_RDMSR, 0, 0 },
    { "wrmsr", B("\x0f\x30"), 0, 0, prep_none, 0, 0x10, 0, 1, VMX_EXIT_WRMSR, 0, 0 },
    { "rdmsr 0x10, bitmap bit clear", B("\x0f\x32"), PROC_MSR_BITMAPS, 0, prep_msr_bitmap, 0, 0x10, 0, 0, 0, 0, 0 },
    { "wrmsr 0x3a, bitmap bit set", B("\x0f\x30"), PROC_MSR_BITMAPS, 0, prep_msr_bitmap, 5, 0x3a, 0, 1,
      VMX_EXIT_WRMSR, 0, 0 },
    { "rdmsr 0x40000000, outside the bitmaps", B("\x0f\x32"), PROC_MSR_BITMAPS, 0, prep_msr_bitmap, 0, 0x40000000, 0,
      1, VMX_EXIT_RDMSR, 0, 0 },
    /* descriptor tables: identity in 29:28, operand size 32 (bit 11) */
    { "sgdt 0x10(%eax)", B("\x0f\x01\x40\x10"), 0, PROC2_DESC_TABLE, prep_none, 0x5000, 0, 0, 1,
      VMX_EXIT_GDTR_IDTR, 0x10, 0x00418880u },
    { "lidt 0x10(%eax)", B("\x0f\x01\x58\x10"), 0, PROC2_DESC_TABLE, prep_none, 0x5000, 0, 0, 1,
      VMX_EXIT_GDTR_IDTR, 0x10, 0x30418880u },
    { "str %ecx", B("\x0f\x00\xc9"), 0, PROC2_DESC_TABLE, prep_none, 0, 0, 0, 1, VMX_EXIT_LDTR_TR, 0,
      0x10000488u },
    { "lldt (%ebx)", B("\x0f\x00\x13"), 0, PROC2_DESC_TABLE, prep_none, 0, 0, 0, 1, VMX_EXIT_LDTR_TR, 0,
      0x21c18080u },
    { "sgdt without descriptor-table exiting", B("\x0f\x01\x40\x10"), 0, 0, prep_none, 0x5000, 0, 0, 0, 0, 0, 0 },
#undef B
};
#define N_IEXITS (int)(sizeof iexits / sizeof iexits[0])

START_TEST(test_instruction_exit)
{
    const struct iexit *k = &iexits[_i];
    guest(0, k->proc, k->proc2);
    k->prep();
    c->vmx.cr0_mask = (uint32_t)vmcs_get(c, VMCS_CR0_MASK);   /* as VM entry caches them */
    c->vmx.cr0_shadow = (uint32_t)vmcs_get(c, VMCS_CR0_SHADOW);
    c->vmx.cr3_count = (uint32_t)vmcs_get(c, VMCS_CR3_TARGET_COUNT);
    c->vmx.cr3_target[0] = (uint32_t)vmcs_get(c, VMCS_CR3_TARGET0);
    c->vmx.cr3_target[1] = (uint32_t)vmcs_get(c, VMCS_CR3_TARGET1);
    c->vmx.io_bitmap[0] = (uint32_t)vmcs_get(c, VMCS_IO_BITMAP_A);
    c->vmx.io_bitmap[1] = (uint32_t)vmcs_get(c, VMCS_IO_BITMAP_B);
    c->vmx.msr_bitmap = (uint32_t)vmcs_get(c, VMCS_MSR_BITMAP);
    if (k->eax) c->reg[EAX] = k->eax;
    if (k->ecx) c->reg[ECX] = k->ecx;
    if (k->edx) c->reg[EDX] = k->edx;
    c->reg[EBX] = FX_DATA + 0x200;
    c->reg[ESI] = FX_DATA;
    c->reg[EDI] = FX_DATA + 0x400;
    isa_result_t r = fx_exec(k->bytes, k->n);
    if (!k->exits) {
        ck_assert_msg(r != ISA_VMEXIT && c->vmx.nonroot, "%s: exited", k->what);
    } else {
        ck_assert_msg(r == ISA_VMEXIT, "%s: no exit (%d)", k->what, r);
        ck_assert_msg(vmcs_get(c, VMCS_EXIT_REASON) == k->reason, "%s: reason %u", k->what,
                      (uint32_t)vmcs_get(c, VMCS_EXIT_REASON));
        ck_assert_msg(vmcs_get(c, VMCS_EXIT_QUALIFICATION) == k->qual, "%s: qualification %08x", k->what,
                      (uint32_t)vmcs_get(c, VMCS_EXIT_QUALIFICATION));
        ck_assert_msg(vmcs_get(c, VMCS_EXIT_INSN_LEN) == k->n, "%s: length", k->what);
        if (k->info)
            ck_assert_msg(vmcs_get(c, VMCS_EXIT_INSN_INFO) == k->info, "%s: information %08x", k->what,
                          (uint32_t)vmcs_get(c, VMCS_EXIT_INSN_INFO));
        ck_exit(k->reason, k->qual);
        ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_EIP), FX_CODE);
    }
    fx_free();
}
END_TEST

/* What a non-exiting MOV CR does with the bits the host owns. */
START_TEST(test_cr_masks_and_shadows)
{
    guest(0, 0, 0);
    c->vmx.cr0_mask = CR0_TS | CR0_MP;
    c->vmx.cr0_shadow = CR0_MP;
    c->cr0 |= CR0_TS;
    ck_assert_int_eq(FX_EXEC("\x0f\x20\xc0"), ISA_OK);          /* mov %cr0,%eax: the shadow's bits */
    ck_assert_uint_eq(c->reg[EAX], (c->cr0 & ~(CR0_TS | CR0_MP)) | CR0_MP);
    ck_assert_int_eq(FX_EXEC("\x0f\x01\xe0"), ISA_OK);          /* smsw %eax */
    ck_assert_uint_eq(c->reg[EAX] & (CR0_TS | CR0_MP), CR0_MP);
    ck_assert_int_eq(FX_EXEC("\x0f\x22\xc0"), ISA_OK);          /* written back: TS stays 1 */
    ck_assert_uint_eq(c->cr0 & (CR0_TS | CR0_MP), CR0_TS);
    ck_assert_int_eq(FX_EXEC("\x0f\x06"), ISA_OK);              /* clts, shadow TS 0: no exit, TS kept */
    ck_assert_uint_eq(c->cr0 & CR0_TS, CR0_TS);
    /* a guest write clearing NE, a bit the host does not own: #GP (fixed) */
    c->reg[EAX] = (c->cr0 & ~(CR0_NE | CR0_TS)) | CR0_MP;   /* the owned bits as in the shadow */
    ck_assert_fault(FX_EXEC("\x0f\x22\xc0"), EXC_GP, 0);
    fx_free();
}
END_TEST

/* Privilege checks come before the exit (25.1.1): HLT at CPL 3 is #GP. */
START_TEST(test_faults_before_exits)
{
    root();
    set(VMCS_PROC_CTLS, vmx_proc_allowed.must1 | PROC_HLT | PROC_UNCOND_IO);
    set(VMCS_GUEST_CS_SEL, FX_CS(3));
    set(VMCS_GUEST_CS_AR, 0xc0fb);
    set(VMCS_GUEST_SS_SEL, FX_DS(3));
    set(VMCS_GUEST_SS_AR, 0xc0f3);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    ck_assert_fault(FX_EXEC("\xf4"), EXC_GP, 0);
    ck_assert_fault(FX_EXEC("\xe6\x80"), EXC_GP, 0);            /* IOPL 0 at CPL 3, no TSS bitmap */
    ck_assert(c->vmx.nonroot);
    /* CPUID exits at any CPL, VMCALL too (the hypervisor checks the CPL) */
    ck_assert_int_eq(FX_EXEC("\x0f\xa2"), ISA_VMEXIT);
    ck_assert_int_eq(FX_EXEC(I_VMRESUME), ISA_VMENTER);
    ck_assert_int_eq(FX_EXEC(I_VMCALL), ISA_VMEXIT);
    ck_exit(VMX_EXIT_VMCALL, 0);
    fx_free();
}
END_TEST

/* ---- exits caused by events, stepping the machine ---- */

/* The exception bitmap, in the VMCS and as entry cached it. */
static void exc_bitmap(uint32_t v)
{
    set(VMCS_EXCEPTION_BITMAP, v);
    c->vmx.exc_bitmap = v;
}

static void step_at(const char *bytes, size_t n)
{
    fx_put(FX_CODE, bytes, n);
    c->eip = FX_CODE;
    machine_step(fx_m);
}
#define STEP(s) step_at((s), sizeof(s) - 1)

START_TEST(test_exception_exits)
{
    guest(0, 0, 0);
    exc_bitmap(1u << EXC_UD | 1u << EXC_GP | 1u << EXC_BP);
    STEP("\x0f\x0b");                                           /* ud2 */
    ck_exit(VMX_EXIT_EXCEPTION, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_INFO), 0x80000306u);
    ck_assert_uint_eq(vmcs_get(c, VMCS_IDT_VECTORING_INFO), 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_EIP), FX_CODE);
    ck_assert_int_eq(FX_EXEC(I_VMRESUME), ISA_VMENTER);
    c->reg[EAX] = 0x7777;
    STEP("\x8e\xd8");                                           /* mov %eax,%ds: #GP(0x7774) */
    ck_exit(VMX_EXIT_EXCEPTION, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_INFO), 0x80000b0du);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_ERROR), 0x7774);
    ck_assert_int_eq(FX_EXEC(I_VMRESUME), ISA_VMENTER);
    STEP("\xcc");                                               /* int3: a software exception */
    ck_exit(VMX_EXIT_EXCEPTION, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_INFO), 0x80000603u);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INSN_LEN), 1);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_EIP), FX_CODE);
    fx_free();
    /* not in the bitmap, and INT n: delivered through the guest's IDT */
    guest(0, 0, 0);
    exc_bitmap(~(1u << EXC_UD));
    fx_idt_gate(EXC_UD, FX_CS(0), 0x2000, ACC_INTGATE(0));
    fx_idt_gate(0x80, FX_CS(0), 0x3000, ACC_INTGATE(0));
    STEP("\x0f\x0b");
    ck_assert(c->vmx.nonroot);
    ck_assert_uint_eq(c->eip, 0x2000);
    STEP("\xcd\x80");
    ck_assert(c->vmx.nonroot);
    ck_assert_uint_eq(c->eip, 0x3000);
    fx_free();
}
END_TEST

START_TEST(test_idt_vectoring_and_triple_fault)
{
    /* #UD delivered through a gate not present: #NP, which exits, with the #UD as IDT-vectoring */
    guest(0, 0, 0);
    exc_bitmap(1u << EXC_NP);
    fx_idt_gate(EXC_UD, FX_CS(0), 0x2000, 0x0e);                /* not present */
    STEP("\x0f\x0b");
    ck_exit(VMX_EXIT_EXCEPTION, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_INFO), 0x80000b0bu);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_ERROR), EXC_UD * 8 + 2 + 1);
    ck_assert_uint_eq(vmcs_get(c, VMCS_IDT_VECTORING_INFO), 0x80000306u);
    fx_free();
    /* no IDT at all: #UD, #GP, #DF, then a triple fault: exit 2, not a shutdown */
    guest(0, 0, 0);
    c->idtr.limit = 0;
    STEP("\x0f\x0b");
    ck_exit(VMX_EXIT_TRIPLE, 0);
    ck_assert_int_eq(fx_m->stop, STOP_NONE);
    fx_free();
}
END_TEST

static void pic_on(void)
{
    machine_pic_write(fx_m, 0x20, 0x11);
    machine_pic_write(fx_m, 0x21, 0x20);
    machine_pic_write(fx_m, 0x21, 0x04);
    machine_pic_write(fx_m, 0x21, 0x01);
    machine_pic_write(fx_m, 0x21, 0xfe);                        /* IRQ0 only */
    pic_pulse_irq(&fx_m->pic, 0);
    machine_pic_changed(fx_m);
    ck_assert(fx_m->intr_line);
}

START_TEST(test_external_interrupt_exits)
{
    /* with "acknowledge interrupt on exit": the vector in the interruption information */
    root();
    set(VMCS_PIN_CTLS, vmx_pin_allowed.must1 | PIN_EXTINT_EXITING);
    set(VMCS_EXIT_CTLS, vmx_exit_allowed.must1 | VMX_EXIT_ACK_INTR);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    pic_on();                                                   /* IF = 0 in the guest: exits anyway */
    STEP("\x90");
    ck_exit(VMX_EXIT_EXTINT, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_INFO), 0x80000020u);
    ck_assert(!fx_m->intr_line);
    fx_free();
    /* without: not acknowledged, still pending at the PIC */
    root();
    set(VMCS_PIN_CTLS, vmx_pin_allowed.must1 | PIN_EXTINT_EXITING);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    pic_on();
    c->irq_shadow = BLOCK_STI;                                  /* blocked for one instruction */
    STEP("\x90");
    ck_assert(c->vmx.nonroot);
    STEP("\x90");
    ck_exit(VMX_EXIT_EXTINT, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_INFO), 0);
    ck_assert(fx_m->intr_line);
    fx_free();
    /* HLT with IF = 0 and external-interrupt exiting: waits, then exits */
    root();
    set(VMCS_PIN_CTLS, vmx_pin_allowed.must1 | PIN_EXTINT_EXITING);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    STEP("\xf4");
    ck_assert(fx_m->halted);
    ck_assert_int_eq(fx_m->stop, STOP_NONE);
    pic_on();
    machine_step(fx_m);
    ck_exit(VMX_EXIT_EXTINT, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_ACTIVITY), ACTIVITY_HLT);
    ck_assert(!fx_m->halted);
    fx_free();
}
END_TEST

START_TEST(test_interrupt_window_exit)
{
    root();
    set(VMCS_PROC_CTLS, vmx_proc_allowed.must1 | PROC_INTR_WINDOW);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    STEP("\xfb");                                               /* IF 0: runs; sti */
    ck_assert(c->vmx.nonroot);
    STEP("\x90");                                               /* the STI shadow: runs */
    ck_assert(c->vmx.nonroot);
    STEP("\x90");                                               /* the window is open */
    ck_exit(VMX_EXIT_INTR_WINDOW, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_GUEST_EIP), FX_CODE);
    fx_free();
}
END_TEST

/* ---- event injection (26.5) ---- */

START_TEST(test_injection)
{
    /* an external interrupt: through the guest's gate, the frame at the guest's EIP */
    root();
    set(VMCS_GUEST_EFLAGS, FL_1 | FL_IF);
    set(VMCS_ENTRY_INTR_INFO, INTR_INFO(0x30, INTR_EXT));
    fx_idt_gate(0x30, FX_CS(0), 0x2000, ACC_INTGATE(0));
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    ck_assert_uint_eq(c->eip, 0x2000);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 12), FX_CODE);
    ck_assert(!(c->eflags & FL_IF));
    ck_assert_int_eq(c->irq_shadow, 0);
    fx_free();
    /* a hardware exception with its error code, not subject to the bitmap */
    root();
    set(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
    set(VMCS_ENTRY_INTR_INFO, INTR_INFO(EXC_GP, INTR_HW_EXC) | INTR_HAS_ERROR);
    set(VMCS_ENTRY_EXC_ERROR, 0x18);
    fx_idt_gate(EXC_GP, FX_CS(0), 0x2100, ACC_TRAPGATE(0));
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    ck_assert_uint_eq(c->eip, 0x2100);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 16), 0x18);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 12), FX_CODE);
    fx_free();
    /* a software interrupt: the return address after the instruction's length */
    root();
    set(VMCS_ENTRY_INTR_INFO, INTR_INFO(0x80, INTR_SW_INT));
    set(VMCS_ENTRY_INSN_LEN, 2);
    fx_idt_gate(0x80, FX_CS(0), 0x2200, ACC_TRAPGATE(0));
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    ck_assert_uint_eq(c->eip, 0x2200);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 12), FX_CODE + 2);
    fx_free();
    /* delivery that faults, and the fault exits: IDT-vectoring names the injected event */
    root();
    set(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
    set(VMCS_ENTRY_INTR_INFO, INTR_INFO(0x31, INTR_SW_INT));
    set(VMCS_ENTRY_INSN_LEN, 2);
    fx_idt_gate(0x31, FX_CS(0), 0x2200, ACC_TRAPGATE(0));
    set(VMCS_GUEST_IDTR_LIMIT, 0x31 * 8 - 1);                   /* the gate is past the limit */
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMEXIT);
    ck_exit(VMX_EXIT_EXCEPTION, 0);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_INFO), 0x80000b0du);
    ck_assert_uint_eq(vmcs_get(c, VMCS_EXIT_INTR_ERROR), 0x31 * 8 + 2);
    ck_assert_uint_eq(vmcs_get(c, VMCS_IDT_VECTORING_INFO), 0x80000431u);
    ck_assert_uint_eq(vmcs_get(c, VMCS_ENTRY_INTR_INFO) >> 31, 0);
    fx_free();
}
END_TEST

/* VM-exit MSR areas: stored, loaded; a failure to load is a VMX abort. */
START_TEST(test_exit_msr_areas)
{
    root();
    set(VMCS_EXIT_MSR_STORE_ADDR, MSR_AREA);
    set(VMCS_EXIT_MSR_STORE_COUNT, 1);
    fx_wr32(MSR_AREA, MSR_VMX_CR0_FIXED0);
    ck_assert_int_eq(FX_EXEC(I_VMLAUNCH), ISA_VMENTER);
    ck_assert_int_eq(FX_EXEC("\x0f\xa2"), ISA_VMEXIT);
    ck_assert_uint_eq(fx_rd32(MSR_AREA + 8), VMX_CR0_FIXED0);
    set(VMCS_EXIT_MSR_LOAD_ADDR, MSR_AREA + 0x100);
    set(VMCS_EXIT_MSR_LOAD_COUNT, 1);
    fx_wr32(MSR_AREA + 0x100, MSR_VMX_BASIC);                   /* read-only: cannot be loaded */
    ck_assert_int_eq(FX_EXEC(I_VMRESUME), ISA_VMENTER);
    ck_assert_int_eq(FX_EXEC("\x0f\xa2"), ISA_VMEXIT);
    ck_assert_int_eq(fx_m->stop, STOP_TRIPLE);
    ck_assert_uint_eq(fx_rd32(VMCS_PA + VMCS_OFF_ABORT), 4);
    fx_free();
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(vmx_exit_name(VMX_EXIT_IO), "I/O instruction");
    ck_assert_str_eq(vmx_exit_key(VMX_EXIT_IO), "io");
    ck_assert_str_eq(vmx_exit_name(VMX_EXIT_BAD_GUEST), "VM-entry failure due to invalid guest state");
    ck_assert_str_eq(vmx_exit_name(35), "reserved");
    ck_assert_str_eq(vmx_exit_key(1000), "reserved");
    /* every field has a slot, in encoding order, inside the 4 KiB region */
    ck_assert_int_eq(vmcs_field_index(0x0000), 0);
    ck_assert_int_lt(vmcs_field_index(VMCS_HOST_EIP), (4096 - VMCS_OFF_FIELDS) / 8);
    ck_assert_int_eq(vmcs_field_index(VMCS_HOST_EIP + 2), -1);
}
END_TEST

/* Step mode's view (vmx_print_vmcs): the operation, the controls by name,
 * the last exit decoded. */
static char *print_vmcs(void)
{
    static char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ck_assert_ptr_nonnull(f);
    vmx_print_vmcs(c, f);
    fclose(f);
    return buf;
}

START_TEST(test_print_vmcs)
{
    fx_new("x86", 0);
    c = fx_c;
    ck_assert_ptr_nonnull(strstr(print_vmcs(), "not in VMX operation"));
    fx_free();
    ready();
    m64(VMXON_PA);
    ck_assert_int_eq(outcome(FX_EXEC(I_VMXON)), 0);
    ck_assert_ptr_nonnull(strstr(print_vmcs(), "no current VMCS"));
    fx_free();
    guest(PIN_EXTINT_EXITING, PROC_HLT | PROC_UNCOND_IO, 0);
    const char *t = print_vmcs();
    ck_assert_msg(strstr(t, "VMX non-root operation") && strstr(t, "launched (VMRESUME enters it)") &&
                  strstr(t, "00000017 [external-interrupt exiting]") &&
                  strstr(t, "[HLT exiting, CR3-load exiting, CR3-store exiting, unconditional I/O exiting]") && strstr(t, "last VM exit: none yet") &&
                  strstr(t, "nothing to inject"), "%s", t);
    ck_assert_int_eq(FX_EXEC("\xe6\x80"), ISA_VMEXIT);   /* out %al,$0x80 */
    set(VMCS_ENTRY_INTR_INFO, INTR_INFO(0x20, INTR_EXT));
    t = print_vmcs();
    ck_assert_msg(strstr(t, "VMX root operation") &&
                  strstr(t, "last VM exit: reason 30 I/O instruction, qualification 0x800040 "
                            "(out port 0x0080, 1 byte, port immediate)") &&
                  strstr(t, "cs:eip=0008:00020000") && strstr(t, "inject external interrupt, vector 0x20"), "%s", t);
    fx_free();
}
END_TEST

static Suite *vmx_suite(void)
{
    Suite *s = suite_create("vmx");
    TCase *ti = tcase_create("instructions");
    tcase_add_loop_test(ti, test_ud_outside_vmx_operation, 0, N_INSNS);
    tcase_add_loop_test(ti, test_gp_at_cpl3, 0, N_INSNS);
    tcase_add_test(ti, test_vmxon);
    tcase_add_test(ti, test_vmclear_vmptrld_vmptrst);
    tcase_add_test(ti, test_vmread_vmwrite);
    tcase_add_test(ti, test_vmlaunch_vmresume_vmcall);
    tcase_add_test(ti, test_invvpid_invept);
    tcase_add_test(ti, test_capability_msrs);
    tcase_add_test(ti, test_names);
    tcase_add_test(ti, test_print_vmcs);
    suite_add_tcase(s, ti);
    TCase *te = tcase_create("entry");
    tcase_add_loop_test(te, test_entry_check, 0, N_ECHECKS);
    tcase_add_test(te, test_entry_checks_in_context);
    tcase_add_loop_test(te, test_entry_check_states, 0, N_SCHECKS);
    tcase_add_test(te, test_entry_exit_state);
    tcase_add_test(te, test_injection);
    tcase_add_test(te, test_exit_msr_areas);
    suite_add_tcase(s, te);
    TCase *tx = tcase_create("exits");
    tcase_add_loop_test(tx, test_instruction_exit, 0, N_IEXITS);
    tcase_add_test(tx, test_cr_masks_and_shadows);
    tcase_add_test(tx, test_faults_before_exits);
    tcase_add_test(tx, test_exception_exits);
    tcase_add_test(tx, test_idt_vectoring_and_triple_fault);
    tcase_add_test(tx, test_external_interrupt_exits);
    tcase_add_test(tx, test_interrupt_window_exit);
    suite_add_tcase(s, tx);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(vmx_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
