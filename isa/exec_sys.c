/* System and sensitive instructions (SDM vol. 2 and vol. 3 chapter 2).
 * Privilege and IOPL checks happen before these run (isa/exec.c), so each
 * body is what the instruction does once it is allowed to run; the comments
 * say what differs between ring 0 and the outer rings on x86. */
#include "isa/exec.h"

HANDLER(hlt) { (void)c; (void)i; return ISA_HALT; }

/* CLI/STI: allowed at CPL <= IOPL (checked before). STI opens interrupts
 * only after the next instruction. */
HANDLER(cli) { (void)i; c->eflags &= ~FL_IF; return ISA_OK; }
HANDLER(sti)
{
    (void)i;
    if (!(c->eflags & FL_IF))
        c->irq_shadow = BLOCK_STI;
    c->eflags |= FL_IF;
    return ISA_OK;
}

/* PUSHF: the image of EFLAGS with VM and RF cleared. Unprivileged and
 * behaviour-sensitive: at any ring it shows the real IF and IOPL. */
HANDLER(pushf)
{
    uint32_t fl = c->eflags & ~(FL_VM | FL_RF);
    return stack_push(c, i->opsize == 2 ? fl & 0xffff : fl, i->opsize);
}

/* Which EFLAGS bits POPF and IRET may change at this CPL and IOPL
 * (SDM POPF): IOPL only at CPL 0, IF only at CPL <= IOPL. Outside those,
 * the bits are kept silently: no fault, the source of the Popek-Goldberg
 * violation. */
uint32_t isa_popf_mask(const struct cpu *c, int opsize)
{
    uint32_t m = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_TF | FL_DF | FL_OF | FL_NT;
    if (opsize == 4)
        m |= FL_AC | FL_ID;
    if (c->cpl == 0)
        m |= FL_IOPL;
    if (c->cpl <= IOPL_OF(c->eflags))
        m |= FL_IF;
    return m;
}

HANDLER(popf)
{
    uint32_t v;
    TRY(stack_pop(c, i->opsize, &v));
    uint32_t m = isa_popf_mask(c, i->opsize);
    c->eflags = ((c->eflags & ~m) | (v & m) | FL_1) & ~FL_RF;
    return ISA_OK;
}

/* ---- descriptor-table registers ---- */
static int load_dtr(struct cpu *c, const isa_insn_t *i, dtr_t *t)
{
    uint32_t ea = insn_ea(c, i), lim, base;
    TRY(mem_read(c, i->seg, ea, 2, &lim));
    TRY(mem_read(c, i->seg, ea + 2, 4, &base));
    t->limit = (uint16_t)lim;
    t->base = i->opsize == 2 ? base & 0x00ffffff : base;
    return ISA_OK;
}

/* SGDT/SIDT store limit and base; unprivileged on x86 (not under UMIP), so
 * a deprivileged kernel sees the real table's address. */
static int store_dtr(struct cpu *c, const isa_insn_t *i, const dtr_t *t)
{
    uint32_t ea = insn_ea(c, i);
    TRY(mem_check_write(c, i->seg, ea, 2));
    TRY(mem_check_write(c, i->seg, ea + 2, 4));
    mem_write(c, i->seg, ea, 2, t->limit);
    mem_write(c, i->seg, ea + 2, 4, t->base);   /* all 32 bits, whatever the operand size (SDM) */
    return ISA_OK;
}

HANDLER(lgdt) { return load_dtr(c, i, &c->gdtr); }
HANDLER(lidt) { return load_dtr(c, i, &c->idtr); }
HANDLER(sgdt) { return store_dtr(c, i, &c->gdtr); }
HANDLER(sidt) { return store_dtr(c, i, &c->idtr); }

/* Stores a 16-bit system value; a 32-bit register destination gets it
 * zero-extended (P6 and later). */
static int store_word(struct cpu *c, const isa_insn_t *i, uint32_t v)
{
    if (i->op[0].kind == OPK_REG && i->opsize == 4) {
        c->reg[i->op[0].reg] = v;
        return ISA_OK;
    }
    return opnd_write(c, i, &i->op[0], v & 0xffff);
}

HANDLER(sldt) { return store_word(c, i, c->ldtr.sel); }
HANDLER(str)  { return store_word(c, i, c->tr.sel); }

/* SMSW: the low word of CR0 (all of CR0 into a 32-bit register). */
HANDLER(smsw)
{
    uint32_t cr0 = isa_cr_read(c, 0);
    if (i->op[0].kind == OPK_REG && i->opsize == 4) {
        c->reg[i->op[0].reg] = cr0;
        return ISA_OK;
    }
    return opnd_write(c, i, &i->op[0], cr0 & 0xffff);
}

/* LMSW: PE, MP, EM, TS from the source; it can set PE but never clear it. */
HANDLER(lmsw)
{
    uint32_t v;
    TRY(opnd_read(c, i, &i->op[0], &v));
    uint32_t cr0 = (c->cr0 & ~0xeu) | (v & 0xf) | (c->cr0 & CR0_PE);
    return prot_write_cr(c, 0, cr0);
}

/* WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set, whatever CR0.EM
 * (SDM vol. 3 table 2-2); otherwise it checks for pending x87 exceptions,
 * and without an FPU there are none. */
HANDLER(fwait)
{
    (void)i;
    if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        return raise_exc(c, EXC_NM, 0, 0);
    return ISA_OK;
}

/* CLTS: TS := 0; in VMX non-root operation TS stays when the host owns it. */
HANDLER(clts)
{
    (void)i;
    uint32_t v = c->cr0 & ~CR0_TS;
    if (c->vmx.on)
        TRY(vmx_cr_write(c, 0, &v));
    c->cr0 = v;
    return ISA_OK;
}
HANDLER(invd) { (void)c; (void)i; return ISA_OK; }   /* no caches modelled */
HANDLER(invlpg) { (void)c; (void)i; return ISA_OK; } /* no TLB: paging is not modelled */

HANDLER(lldt)
{
    uint32_t sel;
    TRY(opnd_read(c, i, &i->op[0], &sel));
    return prot_lldt(c, (uint16_t)sel);
}

HANDLER(ltr)
{
    uint32_t sel;
    TRY(opnd_read(c, i, &i->op[0], &sel));
    return prot_ltr(c, (uint16_t)sel);
}

/* LAR, LSL, VERR, VERW: ask about a selector, answer in ZF. */
HANDLER(lar)
{
    uint32_t sel, v;
    TRY(opnd_read(c, i, &i->op[1], &sel));
    if (prot_lar(c, (uint16_t)sel, &v))
        reg_set(c, i->op[0].reg, i->op[0].size, i->op[0].size == 2 ? v & 0xff00 : v);
    return ISA_OK;
}

HANDLER(lsl)
{
    uint32_t sel, v;
    TRY(opnd_read(c, i, &i->op[1], &sel));
    if (prot_lsl(c, (uint16_t)sel, &v))
        reg_set(c, i->op[0].reg, i->op[0].size, v);
    return ISA_OK;
}

HANDLER(verr)
{
    uint32_t sel;
    TRY(opnd_read(c, i, &i->op[0], &sel));
    prot_verr(c, (uint16_t)sel);
    return ISA_OK;
}

HANDLER(verw)
{
    uint32_t sel;
    TRY(opnd_read(c, i, &i->op[0], &sel));
    prot_verw(c, (uint16_t)sel);
    return ISA_OK;
}

/* ---- control and debug registers ---- */
HANDLER(mov_from_cr)
{
    c->reg[i->op[0].reg] = isa_cr_read(c, i->reg);
    return ISA_OK;
}

HANDLER(mov_to_cr)
{
    return prot_write_cr(c, i->reg, c->reg[i->op[0].reg]);
}

/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them #UD. Breakpoints are
 * stored, not acted on. */
static int dr_index(struct cpu *c, int r, int *out)
{
    if (r == 4 || r == 5) {
        if (c->cr4 & CR4_DE)
            return RAISE_UD(c);
        r += 2;
    }
    *out = r;
    return 0;
}

HANDLER(mov_from_dr)
{
    int r;
    TRY(dr_index(c, i->reg, &r));
    c->reg[i->op[0].reg] = c->dr[r];
    return ISA_OK;
}

HANDLER(mov_to_dr)
{
    int r;
    TRY(dr_index(c, i->reg, &r));
    c->dr[r] = c->reg[i->op[0].reg];
    return ISA_OK;
}

/* MSRs: the time-stamp counter (0x10) and the VMX ones (isa/exec_vmx.c);
 * any other #GP(0). */
int isa_msr_read(struct cpu *c, uint32_t msr, uint64_t *v)
{
    if (msr == 0x10) {
        *v = bus_tsc(c);
        return 0;
    }
    return vmx_rdmsr(c, msr, v) ? 0 : -1;
}

int isa_msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
    int fault = 1;
    vmx_wrmsr(c, msr, v, &fault);
    return fault ? -1 : 0;
}

HANDLER(rdmsr)
{
    (void)i;
    uint64_t v;
    if (isa_msr_read(c, c->reg[ECX], &v))
        return RAISE_GP(c, 0);
    c->reg[EAX] = (uint32_t)v;
    c->reg[EDX] = (uint32_t)(v >> 32);
    return ISA_OK;
}

HANDLER(wrmsr)
{
    (void)i;
    if (isa_msr_write(c, c->reg[ECX], (uint64_t)c->reg[EDX] << 32 | c->reg[EAX]))
        return RAISE_GP(c, 0);
    return ISA_OK;
}
