/* Control transfer: jumps, calls, returns, loops, software interrupts
 * (SDM vol. 2). Far transfers and IRET go through isa/protect.c, where the
 * descriptor and privilege checks live. */
#include "isa/exec.h"

HANDLER(jcc)
{
    if (!cond_true(c->eflags, i->opcode & 15))
        return ISA_OK;
    return jump_near(c, i, c->eip + i->imm);
}

HANDLER(jmp_near)
{
    uint32_t target;
    if (i->op[0].kind == OPK_NONE) {
        target = c->eip + i->imm;
    } else {
        TRY(opnd_read(c, i, &i->op[0], &target));
    }
    return jump_near(c, i, target);
}

HANDLER(call_near)
{
    uint32_t target, ret = c->eip;
    if (i->op[0].kind == OPK_NONE)
        target = c->eip + i->imm;
    else
        TRY(opnd_read(c, i, &i->op[0], &target));
    if (i->opsize == 2)
        target &= 0xffff;
    if (target > c->seg[SEG_CS].limit)
        return RAISE_GP(c, 0);
    TRY(stack_push(c, ret, i->opsize));
    c->eip = target;
    return ISA_OK;
}

HANDLER(ret_near)
{
    uint32_t target;
    TRY(stack_peek(c, 0, i->opsize, &target));
    if (target > c->seg[SEG_CS].limit)
        return RAISE_GP(c, 0);
    uint32_t sp = stack_ptr(c) + (uint32_t)i->opsize + (i->op[0].kind == OPK_IMM ? (i->imm & 0xffff) : 0);
    stack_set_ptr(c, stack_is32(c) ? sp : sp & 0xffff);
    c->eip = target;
    return ISA_OK;
}

/* LOOP, LOOPE, LOOPNE and JECXZ count with ECX or CX, by address size. */
HANDLER(loop)
{
    uint32_t count = i->adsize == 2 ? c->reg[ECX] & 0xffff : c->reg[ECX];
    int taken;
    if (i->row == ROW_JECXZ) {
        taken = count == 0;
    } else {
        count = i->adsize == 2 ? (count - 1) & 0xffff : count - 1;
        taken = count != 0;
        if (i->row == ROW_LOOPE) taken = taken && (c->eflags & FL_ZF);
        if (i->row == ROW_LOOPNE) taken = taken && !(c->eflags & FL_ZF);
    }
    if (taken) {
        uint32_t target = c->eip + i->imm;
        if (i->opsize == 2)
            target &= 0xffff;
        if (target > c->seg[SEG_CS].limit)
            return RAISE_GP(c, 0);
        c->eip = target;
    }
    if (i->row != ROW_JECXZ) {
        if (i->adsize == 2)
            c->reg[ECX] = (c->reg[ECX] & 0xffff0000u) | count;
        else
            c->reg[ECX] = count;
    }
    return ISA_OK;
}

/* The far pointer of JMP/CALL far: immediate (Ap) or in memory (Mp). */
static int far_pointer(struct cpu *c, const isa_insn_t *i, uint16_t *sel, uint32_t *off)
{
    if (i->op[0].kind != OPK_MEM) {
        *sel = (uint16_t)i->imm2;
        *off = i->imm;
        return 0;
    }
    uint32_t ea = insn_ea(c, i), s;
    TRY(mem_read(c, i->seg, ea, i->opsize, off));
    TRY(mem_read(c, i->seg, ea + i->opsize, 2, &s));
    *sel = (uint16_t)s;
    return 0;
}

HANDLER(jmp_far)
{
    uint16_t sel;
    uint32_t off;
    TRY(far_pointer(c, i, &sel, &off));
    return prot_far_jmp(c, sel, off, c->eip, i->opsize);
}

HANDLER(call_far)
{
    uint16_t sel;
    uint32_t off;
    TRY(far_pointer(c, i, &sel, &off));
    return prot_far_call(c, sel, off, c->eip, i->opsize);
}

HANDLER(ret_far)
{
    return prot_far_ret(c, i->opsize, i->op[0].kind == OPK_IMM ? (uint16_t)i->imm : 0);
}

HANDLER(iret)
{
    return prot_iret(c, i->opsize);
}

/* Software interrupts retire first (EIP after them); the machine then
 * delivers the vector through the IDT with the gate DPL check. */
static int soft_interrupt(struct cpu *c, int vector, int kind)
{
    c->exc_vector = (uint8_t)vector;
    c->exc_has_error = 0;
    c->exc_error = 0;
    c->soft_kind = (uint8_t)kind;
    return ISA_SOFTINT;
}

HANDLER(int3)  { (void)i; return soft_interrupt(c, EXC_BP, SOFT_INT3); }
HANDLER(int_n) { return soft_interrupt(c, (int)(i->imm & 0xff), SOFT_INTN); }
HANDLER(int1)  { (void)i; return soft_interrupt(c, EXC_DB, SOFT_INT1); }

HANDLER(into)
{
    (void)i;
    if (!(c->eflags & FL_OF))
        return ISA_OK;
    return soft_interrupt(c, EXC_OF, SOFT_INTO);
}
