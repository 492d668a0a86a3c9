/* The VMX instructions (SDM vol. 3C chapter 31), the VMCS as memory behind
 * VMREAD and VMWRITE, the VMX capability MSRs, and what an instruction does
 * in VMX non-root operation: which VM exit it causes (chapter 25) and with
 * which exit qualification (27.2.1). VM entry and VM exit themselves are
 * the machine's (cpu/vmx.c), reached through the CPU's bus (vm_entry,
 * vm_exit).
 *
 * Each VMX instruction checks, in the SDM's order: #UD outside VMX
 * operation; a VM exit in non-root operation (made before the handler,
 * by isa_vmx_intercept(), since every VMX instruction exits there); #GP(0)
 * at CPL > 0; then VMsucceed or VMfail. The profiles do not change them. */
#include "isa/exec.h"

/* ---- the VMCS region ---- */

static const uint16_t field_enc[] = {
#define X(name, enc) enc,
#include "isa/vmcs.def"
#undef X
};
#define NFIELDS ((int)(sizeof field_enc / sizeof field_enc[0]))

/* Each field's place in the layout: its line in vmcs.def. */
enum vmcs_slot {
#define X(name, enc) SLOT_##name,
#include "isa/vmcs.def"
#undef X
    SLOT_COUNT
};
_Static_assert(SLOT_COUNT < 255, "vmcs_field_index's table holds slot + 1 in a byte");

int vmcs_field_index(uint32_t enc)
{
    if (enc & ~0x6fffu)   /* bits 31:15 and 12 are reserved */
        return -1;
    if ((enc & 1) && VMCS_WIDTH(enc) != VMCS_W64)
        return -1;        /* only a 64-bit field has a high half */
    /* a table, not a search: every VM entry and exit reads and writes
     * dozens of fields. Its key is the encoding without the access type and
     * the reserved bit 12; its entries are slot + 1 (0: no such field). */
#define SLOT_KEY(e) ((((e) >> 1) & 0x1ffu) | (((e) >> 10) & 3u) << 9 | (((e) >> 13) & 3u) << 11)
    static const uint8_t slot_of[1u << 13] = {
#define X(name, enc) [SLOT_KEY(enc)] = SLOT_##name + 1,
#include "isa/vmcs.def"
#undef X
    };
    return (int)slot_of[SLOT_KEY(enc)] - 1;
#undef SLOT_KEY
}

static uint32_t field_addr(const struct cpu *c, uint32_t enc)
{
    return (uint32_t)c->vmx.vmcs_ptr + VMCS_OFF_FIELDS + 8u * (uint32_t)vmcs_field_index(enc);
}

uint64_t vmcs_get(struct cpu *c, uint32_t enc)
{
    uint32_t a = field_addr(c, enc);
    uint64_t v = phys_read(c, a, 4);
    if (VMCS_WIDTH(enc) == VMCS_W64)
        v |= (uint64_t)phys_read(c, a + 4, 4) << 32;
    return v;
}

void vmcs_put(struct cpu *c, uint32_t enc, uint64_t v)
{
    uint32_t a = field_addr(c, enc);
    phys_write(c, a, 4, VMCS_WIDTH(enc) == VMCS_W16 ? (uint32_t)v & 0xffff : (uint32_t)v);
    if (VMCS_WIDTH(enc) == VMCS_W64)
        phys_write(c, a + 4, 4, (uint32_t)(v >> 32));
}

/* ---- VMsucceed, VMfail (SDM 31.2) ---- */

#define VMX_FLAGS (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

int vmx_succeed(struct cpu *c)
{
    c->eflags &= ~VMX_FLAGS;
    return ISA_OK;
}

static int fail_invalid(struct cpu *c)
{
    c->eflags = (c->eflags & ~VMX_FLAGS) | FL_CF;
    return ISA_OK;
}

int vmx_fail(struct cpu *c, int error)
{
    if (c->vmx.vmcs_ptr == VMCS_NONE)
        return fail_invalid(c);
    c->eflags = (c->eflags & ~VMX_FLAGS) | FL_ZF;
    vmcs_put(c, VMCS_INSN_ERROR, (uint32_t)error);
    return ISA_OK;
}

/* ---- capabilities (SDM appendix A) ---- */

/* Bits that must be 1 are the "default1" ones of processors without the
 * TRUE capability MSRs; bits that may be 1 are what trapsim implements. */
const vmx_allowed_t vmx_pin_allowed = { 0x00000016u, 0x00000016u | PIN_EXTINT_EXITING | PIN_NMI_EXITING };
const vmx_allowed_t vmx_proc_allowed = {
    0x0401e172u,
    0x0401e172u | PROC_INTR_WINDOW | PROC_TSC_OFFSET | PROC_HLT | PROC_INVLPG | PROC_RDTSC |
        PROC_CR3_LOAD | PROC_CR3_STORE | PROC_MOV_DR | PROC_UNCOND_IO | PROC_IO_BITMAPS |
        PROC_MSR_BITMAPS | PROC_SECONDARY
};
const vmx_allowed_t vmx_proc2_allowed = { 0, PROC2_DESC_TABLE | PROC2_VPID };
const vmx_allowed_t vmx_exit_allowed = { 0x00036dffu, 0x00036dffu | VMX_EXIT_ACK_INTR };
const vmx_allowed_t vmx_entry_allowed = { 0x000011ffu, 0x000011ffu };

static uint64_t allowed_msr(const vmx_allowed_t *a) { return a->must1 | (uint64_t)a->may1 << 32; }

int vmx_rdmsr(const struct cpu *c, uint32_t msr, uint64_t *v)
{
    int highest = 0;
    switch (msr) {
    case MSR_FEATURE_CONTROL: *v = c->vmx.feature_control; return 1;
    /* revision, a 4 KiB region, 32-bit physical addresses (bit 48),
     * write-back (6, bits 53:50), INS/OUTS instruction information (54) */
    case MSR_VMX_BASIC:
        *v = VMCS_REVISION | 0x1000ull << 32 | 1ull << 48 | 6ull << 50 | 1ull << 54;
        return 1;
    case MSR_VMX_PINBASED: *v = allowed_msr(&vmx_pin_allowed); return 1;
    case MSR_VMX_PROCBASED: *v = allowed_msr(&vmx_proc_allowed); return 1;
    case MSR_VMX_PROCBASED2: *v = allowed_msr(&vmx_proc2_allowed); return 1;
    case MSR_VMX_EXIT: *v = allowed_msr(&vmx_exit_allowed); return 1;
    case MSR_VMX_ENTRY: *v = allowed_msr(&vmx_entry_allowed); return 1;
    /* the HLT activity state (bit 6), 4 CR3-target values (bits 24:16) */
    case MSR_VMX_MISC: *v = 1u << 6 | 4u << 16; return 1;
    case MSR_VMX_CR0_FIXED0: *v = VMX_CR0_FIXED0; return 1;
    case MSR_VMX_CR0_FIXED1: *v = VMX_CR0_FIXED1; return 1;
    case MSR_VMX_CR4_FIXED0: *v = VMX_CR4_FIXED0; return 1;
    case MSR_VMX_CR4_FIXED1: *v = VMX_CR4_FIXED1; return 1;
    case MSR_VMX_VMCS_ENUM:   /* the highest index in any field encoding, bits 9:1 */
        for (int k = 0; k < NFIELDS; k++)
            if (((field_enc[k] >> 1) & 0x1ff) > highest)
                highest = (field_enc[k] >> 1) & 0x1ff;
        *v = (uint64_t)highest << 1;
        return 1;
    /* INVVPID (bit 32) of each type: individual address, single context,
     * all contexts, single context keeping globals (bits 43:40); no EPT */
    case MSR_VMX_EPT_VPID_CAP: *v = 1ull << 32 | 0xfull << 40; return 1;
    }
    return 0;
}

int vmx_wrmsr(struct cpu *c, uint32_t msr, uint64_t v, int *fault)
{
    if (msr != MSR_FEATURE_CONTROL)
        return 0;
    /* locked, or a bit beyond lock and VMX outside SMX (no SMX here) */
    *fault = (c->vmx.feature_control & FC_LOCK) || (v & ~(uint64_t)(FC_LOCK | FC_VMX_OUTSIDE_SMX));
    if (!*fault)
        c->vmx.feature_control = v;
    return 1;
}

/* ---- operands ---- */

static int read_m64(struct cpu *c, const isa_insn_t *i, uint64_t *v)
{
    uint32_t ea = insn_ea(c, i), lo, hi;
    TRY(mem_read(c, i->seg, ea, 4, &lo));
    TRY(mem_read(c, i->seg, ea + 4, 4, &hi));
    *v = lo | (uint64_t)hi << 32;
    return 0;
}

/* A VMXON-region or VMCS address: 4 KiB aligned, within the physical
 * address width (32 bits: IA32_VMX_BASIC bit 48). */
static int bad_region(uint64_t a) { return (a & 0xfff) || (a >> 32); }

/* The checks of every VMX instruction but VMXON, once the non-root exit is
 * past: #UD outside VMX operation, #GP(0) at CPL > 0. */
static int vmx_operation(struct cpu *c)
{
    if (!c->vmx.on)
        return RAISE_UD(c);
    if (c->cpl > 0)
        return RAISE_GP(c, 0);
    return 0;
}

static int cr_in_vmx_range(uint32_t v, uint32_t fixed0, uint32_t fixed1)
{
    return (v & fixed0) == fixed0 && !(v & ~fixed1);
}

uint32_t isa_cr_read(const struct cpu *c, int n)
{
    const vmx_cpu_t *v = &c->vmx;
    switch (n) {
    case 0: return v->nonroot ? (c->cr0 & ~v->cr0_mask) | (v->cr0_shadow & v->cr0_mask) : c->cr0;
    case 2: return c->cr2;
    case 3: return c->cr3;
    default: return v->nonroot ? (c->cr4 & ~v->cr4_mask) | (v->cr4_shadow & v->cr4_mask) : c->cr4;
    }
}

int vmx_cr_write(struct cpu *c, int cr, uint32_t *v)
{
    const vmx_cpu_t *x = &c->vmx;
    if (cr != 0 && cr != 4)
        return 0;
    uint32_t mask = cr ? x->cr4_mask : x->cr0_mask, cur = cr ? c->cr4 : c->cr0;
    if (x->nonroot)
        *v = (*v & ~mask) | (cur & mask);
    if (!(cr ? cr_in_vmx_range(*v, VMX_CR4_FIXED0, VMX_CR4_FIXED1)
             : cr_in_vmx_range(*v | CR0_ET, VMX_CR0_FIXED0, VMX_CR0_FIXED1)))
        return RAISE_GP(c, 0);
    return 0;
}

/* ---- the instructions ---- */

/* VMXON: enter VMX operation with the VMXON region at m64. */
HANDLER(vmxon)
{
    if (!(c->cr4 & CR4_VMXE))
        return RAISE_UD(c);
    if (c->vmx.on)
        return c->cpl > 0 ? RAISE_GP(c, 0) : vmx_fail(c, VMERR_VMXON_ROOT);
    uint64_t fc = c->vmx.feature_control;
    if (c->cpl > 0 || !cr_in_vmx_range(c->cr0, VMX_CR0_FIXED0, VMX_CR0_FIXED1) ||
        !cr_in_vmx_range(c->cr4, VMX_CR4_FIXED0, VMX_CR4_FIXED1) ||
        !(fc & FC_LOCK) || !(fc & FC_VMX_OUTSIDE_SMX))
        return RAISE_GP(c, 0);
    uint64_t addr;
    TRY(read_m64(c, i, &addr));
    if (bad_region(addr) || phys_read(c, (uint32_t)addr, 4) != VMCS_REVISION)
        return fail_invalid(c);
    c->vmx.on = 1;
    c->vmx.vmxon_ptr = (uint32_t)addr;
    c->vmx.vmcs_ptr = VMCS_NONE;
    return vmx_succeed(c);
}

/* VMXOFF: leave VMX operation. */
HANDLER(vmxoff)
{
    TRY(vmx_operation(c));
    c->vmx.on = 0;
    return vmx_succeed(c);
}

/* The VMCS operand of VMCLEAR and VMPTRLD: not a region (error `bad`), or
 * the VMXON region (error bad + 1: VMCLEAR's 2 and 3, VMPTRLD's 9 and 10);
 * 0 when it may be a VMCS. */
static int vmcs_operand_error(const struct cpu *c, uint64_t addr, int bad)
{
    return bad_region(addr) ? bad : addr == c->vmx.vmxon_ptr ? bad + 1 : 0;
}

/* VMCLEAR m64: the VMCS there is "clear" (not launched); no longer current. */
HANDLER(vmclear)
{
    uint64_t addr;
    TRY(vmx_operation(c));
    TRY(read_m64(c, i, &addr));
    int error = vmcs_operand_error(c, addr, VMERR_VMCLEAR_ADDR);
    if (error)
        return vmx_fail(c, error);
    phys_write(c, (uint32_t)addr + VMCS_OFF_LAUNCHED, 4, 0);
    if (addr == c->vmx.vmcs_ptr)
        c->vmx.vmcs_ptr = VMCS_NONE;
    return vmx_succeed(c);
}

/* VMPTRLD m64: make the VMCS there current. */
HANDLER(vmptrld)
{
    uint64_t addr;
    TRY(vmx_operation(c));
    TRY(read_m64(c, i, &addr));
    int error = vmcs_operand_error(c, addr, VMERR_VMPTRLD_ADDR);
    if (error)
        return vmx_fail(c, error);
    if (phys_read(c, (uint32_t)addr, 4) != VMCS_REVISION)   /* bit 31: no VMCS shadowing */
        return vmx_fail(c, VMERR_VMPTRLD_REVISION);
    c->vmx.vmcs_ptr = addr;
    return vmx_succeed(c);
}

/* VMPTRST m64: store the current-VMCS pointer (all ones when there is none). */
HANDLER(vmptrst)
{
    TRY(vmx_operation(c));
    uint32_t ea = insn_ea(c, i);
    TRY(mem_check_write(c, i->seg, ea, 4));
    TRY(mem_check_write(c, i->seg, ea + 4, 4));
    mem_write(c, i->seg, ea, 4, (uint32_t)c->vmx.vmcs_ptr);
    mem_write(c, i->seg, ea + 4, 4, (uint32_t)(c->vmx.vmcs_ptr >> 32));
    return vmx_succeed(c);
}

/* VMREAD r/m32, r32: the field whose encoding is in r32. Outside 64-bit
 * mode a 64-bit field's full encoding reads bits 31:0, its high one 63:32. */
HANDLER(vmread)
{
    TRY(vmx_operation(c));
    if (c->vmx.vmcs_ptr == VMCS_NONE)
        return fail_invalid(c);
    uint32_t enc = c->reg[i->reg];
    if (vmcs_field_index(enc) < 0)
        return vmx_fail(c, VMERR_FIELD_UNSUPPORTED);
    uint64_t v = vmcs_get(c, enc);
    TRY(opnd_write(c, i, &i->op[0], (enc & 1) ? (uint32_t)(v >> 32) : (uint32_t)v));
    return vmx_succeed(c);
}

/* VMWRITE r32, r/m32: the field whose encoding is in r32 := r/m32. The
 * VM-exit information fields are read-only (IA32_VMX_MISC bit 29 = 0).
 * A full 64-bit field gets bits 63:32 cleared; its high half keeps 31:0. */
HANDLER(vmwrite)
{
    TRY(vmx_operation(c));
    if (c->vmx.vmcs_ptr == VMCS_NONE)
        return fail_invalid(c);
    uint32_t val, enc = c->reg[i->reg];
    TRY(opnd_read(c, i, &i->op[1], &val));
    if (vmcs_field_index(enc) < 0)
        return vmx_fail(c, VMERR_FIELD_UNSUPPORTED);
    if (VMCS_TYPE(enc) == 1)
        return vmx_fail(c, VMERR_FIELD_READ_ONLY);
    uint64_t v = val;
    if (enc & 1)
        v = (vmcs_get(c, enc) & 0xffffffffu) | (uint64_t)val << 32;
    vmcs_put(c, enc, v);
    return vmx_succeed(c);
}

/* The two ways out of the CPU's VMX, through its bus (isa/arch.h). */
int vmx_exit_insn(struct cpu *c, const isa_insn_t *i, uint32_t reason, uint32_t qual, uint32_t info,
                  uint32_t linear)
{
    if (!c->bus.ops->vm_exit) {
        c->stop_reason = "a VM exit on a CPU whose bus has no VMX";
        return ISA_STOP;
    }
    c->bus.ops->vm_exit(c->bus.ctx, reason, qual, i->len, info, linear);
    return ISA_VMEXIT;
}

int vmx_vmentry(struct cpu *c, int launch)
{
    if (!c->bus.ops->vm_entry) {
        c->stop_reason = "VM entry on a CPU whose bus has no VMX (a monitor's virtual CPU) is not modelled";
        return ISA_STOP;
    }
    return c->bus.ops->vm_entry(c->bus.ctx, launch);
}

/* VMLAUNCH and VMRESUME: the instruction's own checks, then VM entry. */
static int vmenter(struct cpu *c, int launch)
{
    TRY(vmx_operation(c));
    if (c->vmx.vmcs_ptr == VMCS_NONE)
        return fail_invalid(c);
    if (c->vmx.blocking & BLOCK_MOV_SS)
        return vmx_fail(c, VMERR_ENTRY_MOV_SS);
    int launched = phys_read(c, (uint32_t)c->vmx.vmcs_ptr + VMCS_OFF_LAUNCHED, 4) != 0;
    if (launch && launched)
        return vmx_fail(c, VMERR_LAUNCH_NOT_CLEAR);
    if (!launch && !launched)
        return vmx_fail(c, VMERR_RESUME_NOT_LAUNCHED);
    return vmx_vmentry(c, launch);
}

HANDLER(vmlaunch) { return vmenter(c, 1); }
HANDLER(vmresume) { return vmenter(c, 0); }

/* VMCALL: in non-root operation a VM exit (the hypercall); in root
 * operation, without the dual-monitor treatment of SMM, a VMfail. */
HANDLER(vmcall)
{
    TRY(vmx_operation(c));
    return vmx_fail(c, VMERR_VMCALL_ROOT);
}

/* INVEPT: trapsim has no EPT (IA32_VMX_PROCBASED_CTLS2 bit 33 is 0), so
 * the instruction is #UD, before any VM exit. */
HANDLER(invept) { return RAISE_UD(c); }

/* INVVPID r32, m128: the type in r32 (0-3, all supported), the VPID in
 * bits 15:0 of the descriptor, bits 63:16 zero. No TLB is modelled, so a
 * valid invalidation does nothing else. */
HANDLER(invvpid)
{
    TRY(vmx_operation(c));
    uint32_t type = c->reg[i->reg], vpid, rsvd;
    if (type > 3)
        return vmx_fail(c, VMERR_INVALID_OPERAND);
    uint32_t ea = insn_ea(c, i), lin_lo, lin_hi;
    TRY(mem_read(c, i->seg, ea, 4, &vpid));
    TRY(mem_read(c, i->seg, ea + 4, 4, &rsvd));
    TRY(mem_read(c, i->seg, ea + 8, 4, &lin_lo));
    TRY(mem_read(c, i->seg, ea + 12, 4, &lin_hi));
    if ((vpid >> 16) || rsvd || (type != 2 && (vpid & 0xffff) == 0) || (type == 0 && lin_hi))
        return vmx_fail(c, VMERR_INVALID_OPERAND);
    return vmx_succeed(c);
}

/* ---- VMX non-root operation: which instructions exit (SDM 25.1-25.3) ---- */

/* The VM-exit instruction-information field for an instruction with a
 * ModRM operand (SDM 27.2.4, tables 27-9 to 27-14): address size, the
 * register operand or the memory operand's scale, segment, index and base. */
static uint32_t insn_info(const isa_insn_t *i)
{
    uint32_t info = (i->adsize == 4 ? 1u : 0u) << 7;
    if (!i->has_mem)
        return info | 1u << 10 | (uint32_t)i->rm << 3;
    info |= i->scale | (uint32_t)i->seg << 15;
    info |= i->index == ISA_NOREG ? 1u << 22 : (uint32_t)i->index << 18;
    info |= i->base == ISA_NOREG ? 1u << 27 : (uint32_t)i->base << 23;
    return info;
}

/* The exit of an instruction with a ModRM operand: the qualification is
 * the displacement (27.2.1), the information as above plus `extra`. */
static int exit_modrm(struct cpu *c, const isa_insn_t *i, uint32_t reason, uint32_t extra)
{
    return vmx_exit_insn(c, i, reason, i->has_mem ? i->disp : 0, insn_info(i) | extra, 0);
}

static int bit_set(struct cpu *c, uint32_t bitmap, uint32_t bit)
{
    return (phys_read(c, bitmap + bit / 8, 1) >> (bit % 8)) & 1;
}

/* I/O instructions: unconditional I/O exiting, or the I/O bitmaps (A for
 * ports 0-7FFF, B for 8000-FFFF; an access that wraps past FFFF exits). */
static int io_exits(struct cpu *c, uint16_t port, int size)
{
    const vmx_cpu_t *v = &c->vmx;
    if (!(v->proc & PROC_IO_BITMAPS))
        return (v->proc & PROC_UNCOND_IO) != 0;
    for (uint32_t p = port; p < (uint32_t)port + (uint32_t)size; p++)
        if (p > 0xffff || bit_set(c, v->io_bitmap[p >> 15], p & 0x7fff))
            return 1;
    return 0;
}

static int io_exit(struct cpu *c, const isa_insn_t *i)
{
    const isa_row_info_t *ri = &isa_rows[i->row];
    uint16_t port;
    int size;
    isa_io_operands(c, i, &port, &size);
    if (!io_exits(c, port, size))
        return 0;
    int in = ri->form == F_ALIb || ri->form == F_AXIb || ri->form == F_ALDX ||
             ri->form == F_AXDX || i->row == ROW_INSB || i->row == ROW_INSV;
    int string = (ri->flags & SO) != 0;
    int imm = ri->form == F_ALIb || ri->form == F_AXIb || ri->form == F_IbAL || ri->form == F_IbAX;
    uint32_t qual = (uint32_t)(size - 1) | (uint32_t)in << 3 | (uint32_t)string << 4 |
                    (uint32_t)(string && i->rep) << 5 | (uint32_t)imm << 6 | (uint32_t)port << 16;
    uint32_t info = 0, linear = 0;
    if (string) {   /* INS writes ES:(E)DI, OUTS reads seg:(E)SI */
        int seg = in ? SEG_ES : i->seg;
        uint32_t off = c->reg[in ? EDI : ESI];
        linear = c->seg[seg].base + (i->adsize == 2 ? off & 0xffff : off);
        info = (i->adsize == 4 ? 1u : 0u) << 7 | (uint32_t)seg << 15;
    }
    return vmx_exit_insn(c, i, VMX_EXIT_IO, qual, info, linear);
}

/* RDMSR and WRMSR: always without MSR bitmaps; with them, the bit for ECX
 * (read bitmaps at 0 and 400H, write bitmaps at 800H and C00H, for MSRs
 * 0-1FFF and C0000000-C0001FFF; any other MSR exits). */
static int msr_exit(struct cpu *c, const isa_insn_t *i, int write)
{
    const vmx_cpu_t *v = &c->vmx;
    uint32_t msr = c->reg[ECX], base = v->msr_bitmap + (write ? 0x800u : 0);
    int exits = 1;
    if (v->proc & PROC_MSR_BITMAPS) {
        if (msr <= 0x1fff)
            exits = bit_set(c, base, msr);
        else if (msr - 0xc0000000u <= 0x1fff)
            exits = bit_set(c, base + 0x400, msr - 0xc0000000u);
    }
    return exits ? vmx_exit_insn(c, i, write ? VMX_EXIT_WRMSR : VMX_EXIT_RDMSR, 0, 0, 0) : 0;
}

/* Control-register accesses (25.1.3): MOV to CR0/CR4 exits when it would
 * change a bit the host owns (set in the guest/host mask) from its value in
 * the read shadow; MOV to CR3 with CR3-load exiting unless the value is one
 * of the CR3-target values; MOV from CR3 with CR3-store exiting; CLTS when
 * the host owns TS and the shadow has it set; LMSW by the mask and shadow
 * of PE, MP, EM, TS. The qualification (table 27-3): the CR number, the
 * access type (0 MOV to, 1 MOV from, 2 CLTS, 3 LMSW), the LMSW operand
 * type, the general register, the LMSW source data. */
static int cr_exit(struct cpu *c, const isa_insn_t *i)
{
    const vmx_cpu_t *v = &c->vmx;
    int cr = i->reg, gpr = i->has_modrm ? i->rm : 0, exits = 0;
    uint32_t val, type = 0, linear = 0;
    switch (i->row) {
    case ROW_MOV_CdRd:
        val = c->reg[gpr];
        if (cr == 0)
            exits = ((val ^ v->cr0_shadow) & v->cr0_mask) != 0;
        else if (cr == 4)
            exits = ((val ^ v->cr4_shadow) & v->cr4_mask) != 0;
        else if (cr == 3 && (v->proc & PROC_CR3_LOAD)) {
            exits = 1;
            for (uint32_t k = 0; k < v->cr3_count && k < 4; k++)
                exits &= v->cr3_target[k] != val;
        }
        break;
    case ROW_MOV_RdCd:
        type = 1;
        exits = cr == 3 && (v->proc & PROC_CR3_STORE);
        break;
    case ROW_CLTS:
        cr = 0, gpr = 0, type = 2;
        exits = (v->cr0_mask & v->cr0_shadow & CR0_TS) != 0;
        break;
    default: {   /* LMSW */
        TRY(opnd_read(c, i, &i->op[0], &val));
        cr = 0, gpr = 0, type = 3 | (uint32_t)i->has_mem << 2 | (val & 0xffff) << 12;
        exits = ((v->cr0_mask & CR0_PE) && !(v->cr0_shadow & CR0_PE) && (val & CR0_PE)) ||
                ((val ^ v->cr0_shadow) & v->cr0_mask & 0xe);
        if (i->has_mem)
            linear = c->seg[i->seg].base + insn_ea(c, i);
        break;
    }
    }
    if (!exits)
        return 0;
    return vmx_exit_insn(c, i, VMX_EXIT_CR, (uint32_t)cr | type << 4 | (uint32_t)gpr << 8, 0, linear);
}

int isa_vmx_intercept(struct cpu *c, const isa_insn_t *i)
{
    const vmx_cpu_t *v = &c->vmx;
    switch (i->row) {
    case ROW_CPUID: return vmx_exit_insn(c, i, VMX_EXIT_CPUID, 0, 0, 0);
    case ROW_INVD: return vmx_exit_insn(c, i, VMX_EXIT_INVD, 0, 0, 0);
    case ROW_HLT: return (v->proc & PROC_HLT) ? vmx_exit_insn(c, i, VMX_EXIT_HLT, 0, 0, 0) : 0;
    case ROW_RDTSC: return (v->proc & PROC_RDTSC) ? vmx_exit_insn(c, i, VMX_EXIT_RDTSC, 0, 0, 0) : 0;
    case ROW_INVLPG:   /* the qualification is the linear address */
        if (!(v->proc & PROC_INVLPG))
            return 0;
        return vmx_exit_insn(c, i, VMX_EXIT_INVLPG, c->seg[i->seg].base + insn_ea(c, i), 0, 0);
    case ROW_RDMSR: return msr_exit(c, i, 0);
    case ROW_WRMSR: return msr_exit(c, i, 1);
    case ROW_MOV_CdRd: case ROW_MOV_RdCd: case ROW_CLTS: case ROW_LMSW:
        return cr_exit(c, i);
    case ROW_MOV_DdRd: case ROW_MOV_RdDd:
        /* DR4/DR5 with CR4.DE is #UD, which comes before the exit; the
         * qualification: DR number, direction (1 = MOV from DR), register */
        if (!(v->proc & PROC_MOV_DR) || ((i->reg & 6) == 4 && (c->cr4 & CR4_DE)))
            return 0;
        return vmx_exit_insn(c, i, VMX_EXIT_DR, (uint32_t)i->reg | (uint32_t)(i->row == ROW_MOV_RdDd) << 4 |
                             (uint32_t)i->rm << 8, 0, 0);
    case ROW_IN_ALIb: case ROW_IN_AXIb: case ROW_OUT_IbAL: case ROW_OUT_IbAX: case ROW_IN_ALDX:
    case ROW_IN_AXDX: case ROW_OUT_DXAL: case ROW_OUT_DXAX: case ROW_INSB: case ROW_INSV:
    case ROW_OUTSB: case ROW_OUTSV:
        return io_exit(c, i);
    /* descriptor-table exiting: the identity in bits 29:28, the operand size in 11 */
    case ROW_SGDT: case ROW_SIDT: case ROW_LGDT: case ROW_LIDT:
        if (!(v->proc2 & PROC2_DESC_TABLE))
            return 0;
        return exit_modrm(c, i, VMX_EXIT_GDTR_IDTR, (uint32_t)(i->row == ROW_SIDT || i->row == ROW_LIDT) << 28 |
                          (uint32_t)(i->row == ROW_LGDT || i->row == ROW_LIDT) << 29 |
                          (uint32_t)(i->opsize == 4) << 11);
    case ROW_SLDT: case ROW_STR: case ROW_LLDT: case ROW_LTR:
        if (!(v->proc2 & PROC2_DESC_TABLE))
            return 0;
        return exit_modrm(c, i, VMX_EXIT_LDTR_TR, (uint32_t)(i->row == ROW_STR || i->row == ROW_LTR) << 28 |
                          (uint32_t)(i->row == ROW_LLDT || i->row == ROW_LTR) << 29);
    /* every VMX instruction exits (INVEPT is #UD first: no EPT) */
    case ROW_VMCALL: return vmx_exit_insn(c, i, VMX_EXIT_VMCALL, 0, 0, 0);
    case ROW_VMLAUNCH: return vmx_exit_insn(c, i, VMX_EXIT_VMLAUNCH, 0, 0, 0);
    case ROW_VMRESUME: return vmx_exit_insn(c, i, VMX_EXIT_VMRESUME, 0, 0, 0);
    case ROW_VMXOFF: return vmx_exit_insn(c, i, VMX_EXIT_VMXOFF, 0, 0, 0);
    case ROW_VMCLEAR: return exit_modrm(c, i, VMX_EXIT_VMCLEAR, 0);
    case ROW_VMPTRLD: return exit_modrm(c, i, VMX_EXIT_VMPTRLD, 0);
    case ROW_VMPTRST: return exit_modrm(c, i, VMX_EXIT_VMPTRST, 0);
    case ROW_VMXON: return exit_modrm(c, i, VMX_EXIT_VMXON, 0);
    case ROW_VMREAD: return exit_modrm(c, i, VMX_EXIT_VMREAD, (uint32_t)i->reg << 28);
    case ROW_VMWRITE: return exit_modrm(c, i, VMX_EXIT_VMWRITE, (uint32_t)i->reg << 28);
    case ROW_INVVPID: return exit_modrm(c, i, VMX_EXIT_INVVPID, (uint32_t)i->reg << 28);
    default: return 0;
    }
}
