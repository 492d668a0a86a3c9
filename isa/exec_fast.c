/* Fast handlers (isa/exec_fast.h): the hot forms of the common innocuous
 * instructions, specialised by operand kind when the decoded-instruction
 * cache stores them, with lazy arithmetic flags. Each does what the general
 * handler of its row does for that form (same order of reads, writes and
 * faults); the flags are the general handler's, computed by the same
 * functions from the same operands, only later. Every other innocuous
 * instruction runs its general handler after the flags are written back. */
#include "isa/exec.h"
#include "isa/exec_fast.h"

/* ---- lazy flags: op = kind << 3 | operand size ---- */
enum { LF_ADD = 1, LF_SUB, LF_LOGIC, LF_INC, LF_DEC, LF_MUL };
#define LF(kind, size) ((uint32_t)(kind) << 3 | (size))
/* For LF_INC and LF_DEC, `b` holds the CF they keep; for LF_MUL, whether the
 * product overflowed (CF = OF = b). */

static inline void lazy_set(isa_lazy_t *lf, uint32_t op, uint32_t a, uint32_t b, uint32_t r)
{
    lf->op = op;
    lf->a = a;
    lf->b = b;
    lf->r = r;
}

void isa_flags_materialize_slow(struct cpu *c, isa_lazy_t *lf)
{
    int size = (int)(lf->op & 7);
    uint32_t a = lf->a, b = lf->b, r = lf->r, fl;
    switch (lf->op >> 3) {
    case LF_ADD: fl = flags_add(a, b, 0, r, size); break;
    case LF_SUB: fl = flags_sub(a, b, 0, r, size); break;
    case LF_INC: fl = (flags_add(a, 1, 0, r, size) & ~FL_CF) | (b ? FL_CF : 0); break;
    case LF_DEC: fl = (flags_sub(a, 1, 0, r, size) & ~FL_CF) | (b ? FL_CF : 0); break;
    case LF_MUL: fl = flags_szp(r, size) | (b ? FL_CF | FL_OF : 0); break;
    default:     fl = flags_logic(r, size); break;
    }
    set_flags(c, FL_ARITH, fl);
    lf->op = LF_NONE;
}

/* CF alone, without writing anything back (INC and DEC keep it). */
static inline uint32_t lazy_cf(const struct cpu *c, const isa_lazy_t *lf)
{
    switch (lf->op) {   /* the 32-bit cases first, without masks */
    case LF_NONE:         return c->eflags & FL_CF;
    case LF(LF_ADD, 4):   return lf->r < lf->a;
    case LF(LF_SUB, 4):   return lf->a < lf->b;
    case LF(LF_LOGIC, 4): return 0;
    }
    uint32_t m = size_mask((int)(lf->op & 7));
    switch (lf->op >> 3) {
    case LF_ADD:   return (lf->r & m) < (lf->a & m);
    case LF_SUB:   return (lf->a & m) < (lf->b & m);
    case LF_LOGIC: return 0;
    default:       return lf->b != 0;   /* INC, DEC, MUL */
    }
}

/* cond_true() on the lazy flags when it needs no EFLAGS: the common pairs
 * (CMP or SUB, TEST or a logic operation, then Jcc) straight from the
 * operands, ZF and SF from the result after any 32-bit operation; -1
 * otherwise. */
static inline __attribute__((always_inline)) int lazy_cond(const isa_lazy_t *lf, int cc)
{
    uint32_t a = lf->a, b = lf->b, r = lf->r;
    int t;
    if (lf->op == LF(LF_SUB, 4)) {
        switch (cc >> 1) {
        case 0:  t = (int)(((a ^ b) & (a ^ r)) >> 31); break;   /* OF */
        case 1:  t = a < b; break;                              /* CF */
        case 2:  t = a == b; break;                             /* ZF */
        case 3:  t = a <= b; break;                             /* CF | ZF */
        case 4:  t = (int)(r >> 31); break;                     /* SF */
        case 5:  t = isa_parity[r & 0xff]; break;               /* PF */
        case 6:  t = (int32_t)a < (int32_t)b; break;            /* SF != OF */
        default: t = (int32_t)a <= (int32_t)b; break;           /* ZF | SF != OF */
        }
        return (cc & 1) ? !t : t;
    }
    if (lf->op == LF(LF_LOGIC, 4)) {   /* CF = OF = 0 */
        switch (cc >> 1) {
        case 0: case 1: t = 0; break;
        case 2: case 3: t = r == 0; break;
        case 4: case 6: t = (int)(r >> 31); break;
        case 5:  t = isa_parity[r & 0xff]; break;
        default: t = (int32_t)r <= 0; break;
        }
        return (cc & 1) ? !t : t;
    }
    if ((lf->op & 7) == 4 && ((cc >> 1) == 2 || (cc >> 1) == 4)) {
        t = (cc >> 1) == 2 ? r == 0 : (int)(r >> 31);
        return (cc & 1) ? !t : t;
    }
    return -1;
}

/* Each fast handler starts on a cache line: the speed then no longer
 * depends on where the linker puts this file (up to 10% otherwise). */
#define FAST(name) \
    static __attribute__((aligned(64))) int f_##name(struct cpu *c, const isa_insn_t *i, isa_lazy_t *lf)
#define RD(n) (i->op[n].reg)   /* register number of operand n */

/* A near jump from a fast handler: ISA_FAST_JUMP, or the fault. */
static inline int jump_fast(struct cpu *c, const isa_insn_t *i, uint32_t target)
{
    return jump_near(c, i, target) ? ISA_FAULT : ISA_FAST_JUMP;
}

/* Any innocuous instruction: its general handler, on written-back flags.
 * ESP is put back on a fault as isa_execute() does (the specialised
 * handlers below change it only once nothing can fault). */
FAST(general)
{
    isa_flags_materialize(c, lf);
    uint32_t esp = c->reg[ESP], next = c->eip;
    int r = isa_handlers[i->row](c, i);
    if (r == ISA_FAULT)
        c->reg[ESP] = esp;
    else if (r == ISA_OK && c->eip != next)
        return ISA_FAST_JUMP;
    return r;
}

/* ---- two-operand ALU on 32-bit operands: reg,reg reg,imm reg,mem mem,reg mem,imm ---- */
#define ALU32(name, kind, expr, writes)                                              \
FAST(name##_rr)                                                                      \
{                                                                                    \
    uint32_t a = c->reg[RD(0)], b = c->reg[RD(1)], r = (expr);                       \
    if (writes) c->reg[RD(0)] = r;                                                   \
    lazy_set(lf, LF(kind, 4), a, b, r);                                              \
    return ISA_OK;                                                                   \
}                                                                                    \
FAST(name##_ri)                                                                      \
{                                                                                    \
    uint32_t a = c->reg[RD(0)], b = i->imm, r = (expr);                              \
    if (writes) c->reg[RD(0)] = r;                                                   \
    lazy_set(lf, LF(kind, 4), a, b, r);                                              \
    return ISA_OK;                                                                   \
}                                                                                    \
FAST(name##_rm)                                                                      \
{                                                                                    \
    uint32_t a = c->reg[RD(0)], b;                                                   \
    TRY(mem_read(c, i->seg, insn_ea(c, i), 4, &b));                                  \
    uint32_t r = (expr);                                                             \
    if (writes) c->reg[RD(0)] = r;                                                   \
    lazy_set(lf, LF(kind, 4), a, b, r);                                              \
    return ISA_OK;                                                                   \
}                                                                                    \
FAST(name##_mr)                                                                      \
{                                                                                    \
    uint32_t ea = insn_ea(c, i), a, b = c->reg[RD(1)];                               \
    TRY(mem_read(c, i->seg, ea, 4, &a));                                             \
    uint32_t r = (expr);                                                             \
    if (writes) TRY(mem_write(c, i->seg, ea, 4, r));                                 \
    lazy_set(lf, LF(kind, 4), a, b, r);                                              \
    return ISA_OK;                                                                   \
}                                                                                    \
FAST(name##_mi)                                                                      \
{                                                                                    \
    uint32_t ea = insn_ea(c, i), a, b = i->imm;                                      \
    TRY(mem_read(c, i->seg, ea, 4, &a));                                             \
    uint32_t r = (expr);                                                             \
    if (writes) TRY(mem_write(c, i->seg, ea, 4, r));                                 \
    lazy_set(lf, LF(kind, 4), a, b, r);                                              \
    return ISA_OK;                                                                   \
}
ALU32(add, LF_ADD, a + b, 1)
ALU32(or, LF_LOGIC, a | b, 1)
ALU32(and, LF_LOGIC, a & b, 1)
ALU32(sub, LF_SUB, a - b, 1)
ALU32(xor, LF_LOGIC, a ^ b, 1)
ALU32(cmp, LF_SUB, a - b, 0)
ALU32(test, LF_LOGIC, a & b, 0)
#undef ALU32

/* ---- MOV on 32-bit operands ---- */
FAST(mov_rr) { (void)lf; c->reg[RD(0)] = c->reg[RD(1)]; return ISA_OK; }
FAST(mov_ri) { (void)lf; c->reg[RD(0)] = i->imm; return ISA_OK; }
FAST(mov_rm)
{
    (void)lf;
    uint32_t v;
    TRY(mem_read(c, i->seg, insn_ea(c, i), 4, &v));
    c->reg[RD(0)] = v;
    return ISA_OK;
}
FAST(mov_mr) { (void)lf; return mem_write(c, i->seg, insn_ea(c, i), 4, c->reg[RD(1)]); }
FAST(mov_mi) { (void)lf; return mem_write(c, i->seg, insn_ea(c, i), 4, i->imm); }

enum { RR, RI, RM, MR, MI };
#define FORMS(name) { f_##name##_rr, f_##name##_ri, f_##name##_rm, f_##name##_mr, f_##name##_mi }
static const struct { isa_handler_fn general; isa_fast_fn form[5]; } two_operand[] = {
    { h_add, FORMS(add) }, { h_or, FORMS(or) }, { h_and, FORMS(and) }, { h_sub, FORMS(sub) },
    { h_xor, FORMS(xor) }, { h_cmp, FORMS(cmp) }, { h_test, FORMS(test) }, { h_mov, FORMS(mov) },
};
#undef FORMS

/* ---- INC, DEC (CF kept), LEA, MOVZX, MOVSX ---- */
FAST(inc_r)
{
    uint32_t a = c->reg[RD(0)], r = a + 1;
    lazy_set(lf, LF(LF_INC, 4), a, lazy_cf(c, lf), r);
    c->reg[RD(0)] = r;
    return ISA_OK;
}
FAST(dec_r)
{
    uint32_t a = c->reg[RD(0)], r = a - 1;
    lazy_set(lf, LF(LF_DEC, 4), a, lazy_cf(c, lf), r);
    c->reg[RD(0)] = r;
    return ISA_OK;
}
FAST(lea) { (void)lf; c->reg[RD(0)] = insn_ea(c, i); return ISA_OK; }
FAST(movzx)
{
    (void)lf;
    uint32_t v;
    TRY(opnd_read(c, i, &i->op[1], &v));
    c->reg[RD(0)] = v;
    return ISA_OK;
}
FAST(movsx)
{
    (void)lf;
    uint32_t v;
    TRY(opnd_read(c, i, &i->op[1], &v));
    c->reg[RD(0)] = sext(v, i->op[1].size);
    return ISA_OK;
}
FAST(nop) { (void)c; (void)i; (void)lf; return ISA_OK; }

/* ---- multiply and divide, 32-bit ---- */
static inline void imul32(struct cpu *c, isa_lazy_t *lf, int dst, uint32_t a, uint32_t b)
{
    int64_t p = (int64_t)(int32_t)a * (int32_t)b;
    uint32_t r = (uint32_t)p;
    c->reg[dst] = r;
    lazy_set(lf, LF(LF_MUL, 4), 0, p != (int32_t)r, r);
}
FAST(imul_r) { imul32(c, lf, RD(0), c->reg[RD(0)], c->reg[RD(1)]); return ISA_OK; }
FAST(imul_m)
{
    uint32_t b;
    TRY(mem_read(c, i->seg, insn_ea(c, i), 4, &b));
    imul32(c, lf, RD(0), c->reg[RD(0)], b);
    return ISA_OK;
}
FAST(imul3)
{
    uint32_t a;
    TRY(opnd_read(c, i, &i->op[1], &a));
    imul32(c, lf, RD(0), a, i->imm);
    return ISA_OK;
}

/* CDQ (cltd) */
FAST(cltd) { (void)i; (void)lf; c->reg[EDX] = (uint32_t)((int32_t)c->reg[EAX] >> 31); return ISA_OK; }

/* DIV and IDIV by a register: a 32-bit host division when the dividend
 * fits in 32 bits (EDX is 0, or EAX's sign for IDIV), else the general
 * handler. Flags are unchanged either way. */
FAST(div_r)
{
    uint32_t d = c->reg[RD(0)];
    if (c->reg[EDX] != 0 || d == 0)
        return f_general(c, i, lf);
    uint32_t n = c->reg[EAX];
    c->reg[EAX] = n / d;
    c->reg[EDX] = n % d;
    return ISA_OK;
}
FAST(idiv_r)
{
    int32_t d = (int32_t)c->reg[RD(0)], n = (int32_t)c->reg[EAX];
    if (c->reg[EDX] != (uint32_t)(n >> 31) || d == 0 || (d == -1 && n == INT32_MIN))
        return f_general(c, i, lf);   /* #DE, or a wider dividend */
    c->reg[EAX] = (uint32_t)(n / d);
    c->reg[EDX] = (uint32_t)(n % d);
    return ISA_OK;
}

/* ---- the stack and near control transfer ---- */
FAST(push_r) { (void)lf; return stack_push(c, c->reg[RD(0)], 4); }
FAST(push_i) { (void)lf; return stack_push(c, i->imm, 4); }
FAST(pop_r)
{
    (void)lf;
    uint32_t v;
    TRY(stack_pop(c, 4, &v));
    c->reg[RD(0)] = v;
    return ISA_OK;
}

/* Jcc, one handler per condition: lazy_cond() then folds to a compare or
 * two, and the cases it leaves, which need EFLAGS, stay out of line. */
static __attribute__((noinline)) int jcc_eflags(struct cpu *c, const isa_insn_t *i, isa_lazy_t *lf)
{
    isa_flags_materialize(c, lf);
    if (!cond_true(c->eflags, i->opcode & 15))
        return ISA_OK;
    return jump_fast(c, i, c->eip + i->imm);
}
#define JCC(cc)                                        \
FAST(jcc##cc)                                          \
{                                                      \
    int t = lazy_cond(lf, cc);                         \
    if (t < 0)                                         \
        return jcc_eflags(c, i, lf);                   \
    if (!t)                                            \
        return ISA_OK;                                 \
    return jump_fast(c, i, c->eip + i->imm);           \
}
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)
#undef JCC
static const isa_fast_fn jcc_fast[16] = {
    f_jcc0, f_jcc1, f_jcc2, f_jcc3, f_jcc4, f_jcc5, f_jcc6, f_jcc7,
    f_jcc8, f_jcc9, f_jcc10, f_jcc11, f_jcc12, f_jcc13, f_jcc14, f_jcc15,
};
FAST(jmp_rel) { (void)lf; return jump_fast(c, i, c->eip + i->imm); }

FAST(call_rel)
{
    (void)lf;
    uint32_t target = c->eip + i->imm;
    if (i->opsize == 2)
        target &= 0xffff;
    if (target > c->seg[SEG_CS].limit)
        return RAISE_GP(c, 0);
    TRY(stack_push(c, c->eip, i->opsize));
    c->eip = target;
    return ISA_FAST_JUMP;
}

FAST(ret)
{
    (void)lf;
    TRY(h_ret_near(c, i));
    return ISA_FAST_JUMP;
}

/* ---- the choice, made once per decoded instruction ---- */
/* Which of the five two-operand forms, all 32-bit; -1 for any other. */
static int form_of(const isa_insn_t *i)
{
    const isa_operand_t *d = &i->op[0], *s = &i->op[1];
    if (d->size != 4 || s->size != 4)
        return -1;
    if (d->kind == OPK_REG)
        return s->kind == OPK_REG ? RR : s->kind == OPK_IMM ? RI : s->kind == OPK_MEM ? RM : -1;
    if (d->kind == OPK_MEM)
        return s->kind == OPK_REG ? MR : s->kind == OPK_IMM ? MI : -1;
    return -1;
}

static isa_fast_fn specialised(const isa_insn_t *i)
{
    isa_handler_fn h = isa_handlers[i->row];
    const isa_operand_t *d = &i->op[0];
    int reg32 = d->kind == OPK_REG && d->size == 4;
    int form = form_of(i);
    for (size_t k = 0; k < sizeof two_operand / sizeof two_operand[0]; k++)
        if (h == two_operand[k].general)
            return form >= 0 ? two_operand[k].form[form] : NULL;
    if (h == h_inc && reg32) return f_inc_r;
    if (h == h_dec && reg32) return f_dec_r;
    if (h == h_lea && reg32) return f_lea;
    if (h == h_movzx && reg32) return f_movzx;
    if (h == h_movsx && reg32) return f_movsx;
    if (h == h_nop) return f_nop;
    if (h == h_imul2 && form == RR) return f_imul_r;
    if (h == h_imul2 && form == RM) return f_imul_m;
    if (h == h_imul3 && reg32) return f_imul3;
    if (h == h_cwd && i->opsize == 4) return f_cltd;
    if (h == h_div && reg32) return f_div_r;
    if (h == h_idiv && reg32) return f_idiv_r;
    if (h == h_push && i->opsize == 4 && reg32) return f_push_r;
    if (h == h_push && i->opsize == 4 && d->kind == OPK_IMM) return f_push_i;
    if (h == h_pop && i->opsize == 4 && reg32) return f_pop_r;
    if (h == h_jcc) return jcc_fast[i->opcode & 15];
    if (h == h_jmp_near && d->kind == OPK_NONE) return f_jmp_rel;
    if (h == h_call_near && d->kind == OPK_NONE) return f_call_rel;
    if (h == h_ret_near) return f_ret;
    return NULL;
}

int isa_fast_none(struct cpu *c, const isa_insn_t *i, isa_lazy_t *lf)
{
    (void)c; (void)i; (void)lf;
    return ISA_FAST_NONE;
}

isa_fast_fn isa_fast_handler(const isa_insn_t *i)
{
    if (i->row == ROW_INVALID || isa_rows[i->row].cls != INNOC)
        return isa_fast_none;   /* checks first, or the VMM may need to see it */
    if (i->row == ROW_RDTSC || i->row == ROW_INT1 || i->row == ROW_CPUID)
        return isa_fast_none;   /* reads virtual time; ends in a delivery; exits in VMX non-root */
    if ((isa_rows[i->row].flags & SO) && i->rep)
        return isa_fast_none;   /* may stop after a chunk, unretired */
    isa_fast_fn f = specialised(i);
    return f ? f : f_general;
}
