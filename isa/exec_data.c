/* Data movement: MOV and friends, the stack, string instructions, port I/O,
 * segment-register moves (SDM vol. 2). */
#include "isa/exec.h"

HANDLER(nop) { (void)c; (void)i; return ISA_OK; }
HANDLER(ud)  { (void)i; return RAISE_UD(c); }

HANDLER(mov)
{
    uint32_t v;
    TRY(opnd_read(c, i, &i->op[1], &v));
    return opnd_write(c, i, &i->op[0], v);
}

HANDLER(lea)
{
    reg_set(c, i->op[0].reg, i->op[0].size, insn_ea(c, i));
    return ISA_OK;
}

HANDLER(movzx)
{
    uint32_t v;
    TRY(opnd_read(c, i, &i->op[1], &v));
    reg_set(c, i->op[0].reg, i->op[0].size, v);
    return ISA_OK;
}

HANDLER(movsx)
{
    uint32_t v;
    TRY(opnd_read(c, i, &i->op[1], &v));
    reg_set(c, i->op[0].reg, i->op[0].size, sext(v, i->op[1].size));
    return ISA_OK;
}

HANDLER(xchg)
{
    uint32_t a, b;
    TRY(opnd_read(c, i, &i->op[0], &a));
    TRY(opnd_read(c, i, &i->op[1], &b));
    TRY(opnd_write(c, i, &i->op[0], b));   /* memory (if any) first: it may fault */
    return opnd_write(c, i, &i->op[1], a);
}

HANDLER(xlat)
{
    uint32_t base = i->adsize == 2 ? c->reg[EBX] & 0xffff : c->reg[EBX];
    uint32_t off = base + reg_get(c, EAX, 1), v;
    if (i->adsize == 2)
        off &= 0xffff;
    TRY(mem_read(c, i->seg, off, 1, &v));
    reg_set(c, EAX, 1, v);
    return ISA_OK;
}

/* ---- the stack ---- */
HANDLER(push)
{
    uint32_t v;
    TRY(opnd_read(c, i, &i->op[0], &v));
    return stack_push(c, v, i->opsize);
}

HANDLER(pop)
{
    uint32_t v;
    TRY(stack_pop(c, i->opsize, &v));
    /* POP r/m computes its address after ESP was incremented (SDM POP). */
    return opnd_write(c, i, &i->op[0], v);
}

HANDLER(pusha)
{
    int size = i->opsize;
    uint32_t sp = stack_ptr(c), orig = c->reg[ESP];
    for (int r = EAX; r <= EDI; r++) {
        uint32_t v = r == ESP ? orig : c->reg[r];
        sp -= (uint32_t)size;
        if (!stack_is32(c)) sp &= 0xffff;
        TRY(mem_write(c, SEG_SS, sp, size, v & size_mask(size)));
    }
    stack_set_ptr(c, sp);
    return ISA_OK;
}

HANDLER(popa)
{
    int size = i->opsize;
    uint32_t v[8];
    for (int r = EDI, k = 0; r >= EAX; r--, k++)
        TRY(stack_peek(c, (uint32_t)(k * size), size, &v[r]));
    for (int r = EAX; r <= EDI; r++)
        if (r != ESP)
            reg_set(c, r, size, v[r]);
    uint32_t sp = stack_ptr(c) + (uint32_t)(8 * size);
    stack_set_ptr(c, stack_is32(c) ? sp : sp & 0xffff);
    return ISA_OK;
}

HANDLER(enter)
{
    int size = i->opsize;
    uint32_t alloc = i->imm & 0xffff, level = i->imm2 & 31;
    uint32_t mask = stack_is32(c) ? 0xffffffffu : 0xffff;
    uint32_t sp = stack_ptr(c), bp = stack_is32(c) ? c->reg[EBP] : c->reg[EBP] & 0xffff;
    sp = (sp - (uint32_t)size) & mask;
    TRY(mem_write(c, SEG_SS, sp, size, reg_get(c, EBP, size)));
    uint32_t frame = sp;
    if (level > 0) {
        for (uint32_t k = 1; k < level; k++) {
            uint32_t v;
            bp = (bp - (uint32_t)size) & mask;
            TRY(mem_read(c, SEG_SS, bp, size, &v));
            sp = (sp - (uint32_t)size) & mask;
            TRY(mem_write(c, SEG_SS, sp, size, v));
        }
        sp = (sp - (uint32_t)size) & mask;
        TRY(mem_write(c, SEG_SS, sp, size, frame));
    }
    sp = (sp - alloc) & mask;
    reg_set(c, EBP, size, frame);
    stack_set_ptr(c, sp);
    return ISA_OK;
}

HANDLER(leave)
{
    uint32_t saved_esp = c->reg[ESP], v;
    stack_set_ptr(c, c->reg[EBP]);
    if (stack_pop(c, i->opsize, &v)) {
        c->reg[ESP] = saved_esp;
        return ISA_FAULT;
    }
    reg_set(c, EBP, i->opsize, v);
    return ISA_OK;
}

HANDLER(bound)
{
    int size = i->opsize;
    uint32_t lo, hi, ea = insn_ea(c, i);
    TRY(mem_read(c, i->seg, ea, size, &lo));
    TRY(mem_read(c, i->seg, ea + (uint32_t)size, size, &hi));
    int32_t idx = (int32_t)sext(reg_get(c, i->op[0].reg, size), size);
    if (idx < (int32_t)sext(lo, size) || idx > (int32_t)sext(hi, size))
        return raise_exc(c, EXC_BR, 0, 0);
    return ISA_OK;
}

HANDLER(arpl)
{
    uint32_t d, s = reg_get(c, i->op[1].reg, 2);
    TRY(opnd_read(c, i, &i->op[0], &d));
    if ((d & 3) < (s & 3)) {
        TRY(opnd_write(c, i, &i->op[0], (d & ~3u) | (s & 3)));
        set_flags(c, FL_ZF, FL_ZF);
    } else {
        set_flags(c, FL_ZF, 0);
    }
    return ISA_OK;
}

/* CPUID: trapsim's documented identity ("TrapsimIA-32", family 6, with
 * TSC, CX8 and CMOV, and nothing the model does not implement). */
HANDLER(cpuid)
{
    (void)i;
    uint32_t leaf = c->reg[EAX];
    uint32_t a = 0, b = 0, cc = 0, d = 0;
    if (leaf == 0) {
        a = 1;
        b = 0x70617254;   /* "Trap" */
        d = 0x496d6973;   /* "simI" */
        cc = 0x32332d41;  /* "A-32" */
    } else if (leaf == 1) {
        a = 0x00000610;   /* family 6, model 1, stepping 0 */
        cc = 1u << 5;     /* VMX */
        d = (1u << 4) | (1u << 8) | (1u << 15);   /* TSC, CX8, CMOV */
    }
    c->reg[EAX] = a; c->reg[EBX] = b; c->reg[ECX] = cc; c->reg[EDX] = d;
    return ISA_OK;
}

HANDLER(rdtsc)
{
    (void)i;
    if ((c->cr4 & CR4_TSD) && c->cpl > 0)
        return RAISE_GP(c, 0);
    uint64_t t = bus_tsc(c);
    c->reg[EAX] = (uint32_t)t;
    c->reg[EDX] = (uint32_t)(t >> 32);
    return ISA_OK;
}

/* ---- segment registers ---- */
HANDLER(mov_from_sreg)
{
    uint32_t sel = c->seg[i->reg].sel;
    if (i->op[0].kind == OPK_REG && i->op[0].size == 4)
        c->reg[i->op[0].reg] = sel;          /* zero-extended (P6 and later) */
    else
        TRY(opnd_write(c, i, &i->op[0], sel));
    return ISA_OK;
}

HANDLER(mov_to_sreg)
{
    uint32_t sel;
    TRY(opnd_read(c, i, &i->op[1], &sel));
    TRY(prot_load_seg(c, i->reg, (uint16_t)sel));
    if (i->reg == SEG_SS)
        c->irq_shadow = BLOCK_MOV_SS;
    return ISA_OK;
}

HANDLER(push_sreg)
{
    return stack_push(c, c->seg[i->op[0].reg].sel, i->opsize);
}

HANDLER(pop_sreg)
{
    uint32_t v;
    int sreg = i->op[0].reg, was32 = stack_is32(c);
    TRY(stack_peek(c, 0, i->opsize, &v));
    uint32_t sp = stack_ptr(c) + i->opsize;
    TRY(prot_load_seg(c, sreg, (uint16_t)v));
    /* The increment uses the stack size in force before the load. */
    c->reg[ESP] = was32 ? sp : (c->reg[ESP] & 0xffff0000u) | (sp & 0xffff);
    if (sreg == SEG_SS)
        c->irq_shadow = BLOCK_MOV_SS;
    return ISA_OK;
}

HANDLER(load_far_ptr)
{
    static const uint8_t sreg_of[] = { [ROW_LES] = SEG_ES, [ROW_LDS] = SEG_DS, [ROW_LSS] = SEG_SS,
                                       [ROW_LFS] = SEG_FS, [ROW_LGS] = SEG_GS };
    int size = i->opsize;
    uint32_t off, sel, ea = insn_ea(c, i);
    TRY(mem_read(c, i->seg, ea, size, &off));
    TRY(mem_read(c, i->seg, ea + (uint32_t)size, 2, &sel));
    int sreg = sreg_of[i->row];
    TRY(prot_load_seg(c, sreg, (uint16_t)sel));
    reg_set(c, i->op[0].reg, size, off);
    if (sreg == SEG_SS)
        c->irq_shadow = BLOCK_MOV_SS;
    return ISA_OK;
}

/* ---- string instructions ---- */
/* The index and count registers honour the address size. */
static uint32_t idx_get(const struct cpu *c, const isa_insn_t *i, int r)
{
    return i->adsize == 2 ? c->reg[r] & 0xffff : c->reg[r];
}

static void idx_step(struct cpu *c, const isa_insn_t *i, int r, int size)
{
    uint32_t d = (c->eflags & FL_DF) ? (uint32_t)-size : (uint32_t)size;
    if (i->adsize == 2)
        c->reg[r] = (c->reg[r] & 0xffff0000u) | ((c->reg[r] + d) & 0xffff);
    else
        c->reg[r] += d;
}

static uint32_t count_get(const struct cpu *c, const isa_insn_t *i) { return idx_get(c, i, ECX); }

static void count_dec(struct cpu *c, const isa_insn_t *i)
{
    if (i->adsize == 2)
        c->reg[ECX] = (c->reg[ECX] & 0xffff0000u) | ((c->reg[ECX] - 1) & 0xffff);
    else
        c->reg[ECX]--;
}

static int str_size(const isa_insn_t *i)
{
    return (isa_rows[i->row].flags & B) ? 1 : i->opsize;
}

/* One iteration of a string instruction; for CMPS/SCAS returns through
 * *stop whether REPE/REPNE should end the loop. */
typedef int (*str_step_fn)(struct cpu *c, const isa_insn_t *i, int size, int *stop);

#define REP_CHUNK 65536u   /* iterations of a REP string instruction per step */

static int repeat(struct cpu *c, const isa_insn_t *i, str_step_fn step, int compares)
{
    int size = str_size(i), stop = 0;
    if (!i->rep)
        return step(c, i, size, &stop);
    uint32_t n = 0;
    while (count_get(c, i) != 0) {
        if (n++ == REP_CHUNK) {
            /* Not done: the instruction stays at EIP and is not retired, so
             * interrupts and the budget get a look-in between chunks, as
             * hardware takes interrupts between iterations. A result, not
             * a flag: nothing is left set for the next instruction. */
            uint32_t start = c->eip - i->len;
            c->eip = DESC_DB(c->seg[SEG_CS].flags) ? start : start & 0xffff;
            return ISA_PAUSE;
        }
        TRY(step(c, i, size, &stop));
        count_dec(c, i);
        if (compares && ((i->rep == 0xf3) ? !(c->eflags & FL_ZF) : (c->eflags & FL_ZF)))
            break;
    }
    return ISA_OK;
}

static int step_movs(struct cpu *c, const isa_insn_t *i, int size, int *stop)
{
    (void)stop;
    uint32_t v;
    TRY(mem_read(c, i->seg, idx_get(c, i, ESI), size, &v));
    TRY(mem_write(c, SEG_ES, idx_get(c, i, EDI), size, v));
    idx_step(c, i, ESI, size);
    idx_step(c, i, EDI, size);
    return 0;
}

static int step_stos(struct cpu *c, const isa_insn_t *i, int size, int *stop)
{
    (void)stop;
    TRY(mem_write(c, SEG_ES, idx_get(c, i, EDI), size, reg_get(c, EAX, size)));
    idx_step(c, i, EDI, size);
    return 0;
}

static int step_lods(struct cpu *c, const isa_insn_t *i, int size, int *stop)
{
    (void)stop;
    uint32_t v;
    TRY(mem_read(c, i->seg, idx_get(c, i, ESI), size, &v));
    reg_set(c, EAX, size, v);
    idx_step(c, i, ESI, size);
    return 0;
}

static int step_cmps(struct cpu *c, const isa_insn_t *i, int size, int *stop)
{
    (void)stop;
    uint32_t a, b;
    TRY(mem_read(c, i->seg, idx_get(c, i, ESI), size, &a));
    TRY(mem_read(c, SEG_ES, idx_get(c, i, EDI), size, &b));
    set_flags(c, FL_ARITH, flags_sub(a, b, 0, a - b, size));
    idx_step(c, i, ESI, size);
    idx_step(c, i, EDI, size);
    return 0;
}

static int step_scas(struct cpu *c, const isa_insn_t *i, int size, int *stop)
{
    (void)stop;
    uint32_t a = reg_get(c, EAX, size), b;
    TRY(mem_read(c, SEG_ES, idx_get(c, i, EDI), size, &b));
    set_flags(c, FL_ARITH, flags_sub(a, b, 0, a - b, size));
    idx_step(c, i, EDI, size);
    return 0;
}

static int step_ins(struct cpu *c, const isa_insn_t *i, int size, int *stop)
{
    (void)stop;
    uint32_t off = idx_get(c, i, EDI);
    TRY(mem_check_write(c, SEG_ES, off, size));
    uint32_t v = bus_port_in(c, (uint16_t)c->reg[EDX], size);
    TRY(mem_write(c, SEG_ES, off, size, v));
    idx_step(c, i, EDI, size);
    return 0;
}

static int step_outs(struct cpu *c, const isa_insn_t *i, int size, int *stop)
{
    (void)stop;
    uint32_t v;
    TRY(mem_read(c, i->seg, idx_get(c, i, ESI), size, &v));
    bus_port_out(c, (uint16_t)c->reg[EDX], size, v);
    idx_step(c, i, ESI, size);
    return 0;
}

HANDLER(movs) { return repeat(c, i, step_movs, 0); }
HANDLER(stos) { return repeat(c, i, step_stos, 0); }
HANDLER(lods) { return repeat(c, i, step_lods, 0); }
HANDLER(cmps) { return repeat(c, i, step_cmps, 1); }
HANDLER(scas) { return repeat(c, i, step_scas, 1); }
HANDLER(ins)  { return repeat(c, i, step_ins, 0); }
HANDLER(outs) { return repeat(c, i, step_outs, 0); }

/* ---- port I/O (permission checked before execution, isa/exec.c) ---- */
HANDLER(in)
{
    int size = (isa_rows[i->row].flags & B) ? 1 : i->opsize;
    uint16_t port = i->op[1].kind == OPK_IMM ? (uint16_t)(i->imm & 0xff) : (uint16_t)c->reg[EDX];
    reg_set(c, EAX, size, bus_port_in(c, port, size));
    return ISA_OK;
}

HANDLER(out)
{
    int size = (isa_rows[i->row].flags & B) ? 1 : i->opsize;
    uint16_t port = i->op[0].kind == OPK_IMM ? (uint16_t)(i->imm & 0xff) : (uint16_t)c->reg[EDX];
    bus_port_out(c, port, size, reg_get(c, EAX, size));
    return ISA_OK;
}
