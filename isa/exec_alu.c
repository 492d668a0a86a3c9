/* Arithmetic, logic, shifts, rotates, multiply and divide, bit operations,
 * BCD adjustments and flag instructions (SDM vol. 2).
 * Flags the SDM leaves undefined are set by one documented rule (README,
 * "Undefined flags"): AF = 0 after logic, shifts and multiplies; SF/ZF/PF
 * from the low result after MUL/IMUL; OF as for a count of 1 after
 * multi-bit shifts and rotates; unchanged after DIV/IDIV, BT*, BSF/BSR (but
 * ZF) and BCD adjustments except those the SDM defines. */
#include "isa/exec.h"

const uint8_t isa_parity[256] = {
#define P2(n) n, n ^ 1, n ^ 1, n
#define P4(n) P2(n), P2(n ^ 1), P2(n ^ 1), P2(n)
#define P6(n) P4(n), P4(n ^ 1), P4(n ^ 1), P4(n)
    P6(1), P6(0), P6(0), P6(1)
#undef P2
#undef P4
#undef P6
};

/* ---- two-operand arithmetic and logic: dst = dst OP src ---- */
enum { A_ADD, A_OR, A_ADC, A_SBB, A_AND, A_SUB, A_XOR, A_CMP, A_TEST };

static int alu2(struct cpu *c, const isa_insn_t *i, int op)
{
    const isa_operand_t *d = &i->op[0], *s = &i->op[1];
    int size = d->size;
    uint32_t a, b, r, fl, cf = c->eflags & FL_CF;
    TRY(opnd_read(c, i, d, &a));
    TRY(opnd_read(c, i, s, &b));
    if (s->kind == OPK_IMM)
        b = sext(i->imm, s->size) & size_mask(size);
    switch (op) {
    case A_ADD: r = a + b;      fl = flags_add(a, b, 0, r, size); break;
    case A_ADC: r = a + b + cf; fl = flags_add(a, b, cf, r, size); break;
    case A_SUB: case A_CMP:
                r = a - b;      fl = flags_sub(a, b, 0, r, size); break;
    case A_SBB: r = a - b - cf; fl = flags_sub(a, b, cf, r, size); break;
    case A_OR:  r = a | b;      fl = flags_logic(r, size); break;
    case A_XOR: r = a ^ b;      fl = flags_logic(r, size); break;
    default:    r = a & b;      fl = flags_logic(r, size); break;   /* AND, TEST */
    }
    if (op != A_CMP && op != A_TEST)
        TRY(opnd_write(c, i, d, r));
    set_flags(c, FL_ARITH, fl);
    return ISA_OK;
}

HANDLER(add)  { return alu2(c, i, A_ADD); }
HANDLER(or)   { return alu2(c, i, A_OR); }
HANDLER(adc)  { return alu2(c, i, A_ADC); }
HANDLER(sbb)  { return alu2(c, i, A_SBB); }
HANDLER(and)  { return alu2(c, i, A_AND); }
HANDLER(sub)  { return alu2(c, i, A_SUB); }
HANDLER(xor)  { return alu2(c, i, A_XOR); }
HANDLER(cmp)  { return alu2(c, i, A_CMP); }
HANDLER(test) { return alu2(c, i, A_TEST); }

/* INC and DEC leave CF alone. */
static int incdec(struct cpu *c, const isa_insn_t *i, int delta)
{
    uint32_t a, r;
    TRY(opnd_read(c, i, &i->op[0], &a));
    r = a + (uint32_t)delta;
    TRY(opnd_write(c, i, &i->op[0], r));
    uint32_t fl = delta > 0 ? flags_add(a, 1, 0, r, i->op[0].size)
                            : flags_sub(a, 1, 0, r, i->op[0].size);
    set_flags(c, FL_ARITH & ~FL_CF, fl);
    return ISA_OK;
}
HANDLER(inc) { return incdec(c, i, 1); }
HANDLER(dec) { return incdec(c, i, -1); }

HANDLER(neg)
{
    uint32_t a;
    TRY(opnd_read(c, i, &i->op[0], &a));
    uint32_t r = 0 - a;
    TRY(opnd_write(c, i, &i->op[0], r));
    uint32_t fl = flags_sub(0, a, 0, r, i->op[0].size);
    set_flags(c, FL_ARITH, fl);   /* CF = (a != 0), as SUB from 0 gives */
    return ISA_OK;
}

HANDLER(not)
{
    uint32_t a;
    TRY(opnd_read(c, i, &i->op[0], &a));
    return opnd_write(c, i, &i->op[0], ~a);
}

/* ---- multiply and divide ---- */
/* Stores a double-width product into AX, DX:AX or EDX:EAX. */
static void store_wide(struct cpu *c, int size, uint64_t v)
{
    if (size == 1) {
        reg_set(c, EAX, 2, (uint32_t)v);
    } else {
        reg_set(c, EAX, size, (uint32_t)v);
        reg_set(c, EDX, size, (uint32_t)(v >> (8 * size)));
    }
}

HANDLER(mul)
{
    int size = i->op[0].size;
    uint32_t b;
    TRY(opnd_read(c, i, &i->op[0], &b));
    uint64_t r = (uint64_t)reg_get(c, EAX, size) * b;
    store_wide(c, size, r);
    uint32_t high = (uint32_t)(r >> (8 * size));
    uint32_t fl = flags_szp((uint32_t)r, size) | (high ? FL_CF | FL_OF : 0);
    set_flags(c, FL_ARITH, fl);
    return ISA_OK;
}

HANDLER(imul1)
{
    int size = i->op[0].size;
    uint32_t b;
    TRY(opnd_read(c, i, &i->op[0], &b));
    int64_t r = (int64_t)(int32_t)sext(reg_get(c, EAX, size), size) * (int32_t)sext(b, size);
    store_wide(c, size, (uint64_t)r);
    int overflow = (int64_t)(int32_t)sext((uint32_t)r, size) != r;
    set_flags(c, FL_ARITH, flags_szp((uint32_t)r, size) | (overflow ? FL_CF | FL_OF : 0));
    return ISA_OK;
}

/* IMUL r, r/m (two operands) and IMUL r, r/m, imm (three). */
static int imul_trunc(struct cpu *c, const isa_insn_t *i, uint32_t a, uint32_t b)
{
    int size = i->op[0].size;
    int64_t r = (int64_t)(int32_t)sext(a, size) * (int32_t)sext(b, size);
    int overflow = (int64_t)(int32_t)sext((uint32_t)r, size) != r;
    reg_set(c, i->op[0].reg, size, (uint32_t)r);
    set_flags(c, FL_ARITH, flags_szp((uint32_t)r, size) | (overflow ? FL_CF | FL_OF : 0));
    return ISA_OK;
}

HANDLER(imul2)
{
    uint32_t b;
    TRY(opnd_read(c, i, &i->op[1], &b));
    return imul_trunc(c, i, reg_get(c, i->op[0].reg, i->op[0].size), b);
}

HANDLER(imul3)
{
    uint32_t a;
    TRY(opnd_read(c, i, &i->op[1], &a));
    return imul_trunc(c, i, a, i->imm);
}

#define RAISE_DE(c) raise_exc((c), EXC_DE, 0, 0)

HANDLER(div)
{
    int size = i->op[0].size;
    uint32_t d;
    TRY(opnd_read(c, i, &i->op[0], &d));
    if (d == 0)
        return RAISE_DE(c);
    uint64_t n = size == 1 ? reg_get(c, EAX, 2)
               : ((uint64_t)reg_get(c, EDX, size) << (8 * size)) | reg_get(c, EAX, size);
    uint64_t q = n / d, r = n % d;
    if (q > size_mask(size))
        return RAISE_DE(c);
    if (size == 1) {
        reg_set(c, EAX, 2, (uint32_t)(q | (r << 8)));
    } else {
        reg_set(c, EAX, size, (uint32_t)q);
        reg_set(c, EDX, size, (uint32_t)r);
    }
    return ISA_OK;
}

HANDLER(idiv)
{
    int size = i->op[0].size;
    uint32_t dv;
    TRY(opnd_read(c, i, &i->op[0], &dv));
    int64_t d = (int32_t)sext(dv, size);
    if (d == 0)
        return RAISE_DE(c);
    int64_t n;
    if (size == 1)
        n = (int16_t)reg_get(c, EAX, 2);
    else if (size == 2)
        n = (int32_t)((reg_get(c, EDX, 2) << 16) | reg_get(c, EAX, 2));
    else
        n = (int64_t)(((uint64_t)c->reg[EDX] << 32) | c->reg[EAX]);
    if (n == INT64_MIN && d == -1)
        return RAISE_DE(c);
    int64_t q = n / d, r = n % d;
    int64_t qmax = (int64_t)(size_mask(size) >> 1);
    if (q > qmax || q < -qmax - 1)
        return RAISE_DE(c);
    if (size == 1) {
        reg_set(c, EAX, 2, ((uint32_t)q & 0xff) | (((uint32_t)r & 0xff) << 8));
    } else {
        reg_set(c, EAX, size, (uint32_t)q);
        reg_set(c, EDX, size, (uint32_t)r);
    }
    return ISA_OK;
}

/* ---- shifts and rotates (group 2) ---- */
static int shift_count(struct cpu *c, const isa_insn_t *i)
{
    uint32_t n;
    opnd_read(c, i, &i->op[1], &n);   /* an immediate or CL: cannot fault */
    return (int)(n & 0x1f);
}

enum { S_ROL, S_ROR, S_RCL, S_RCR, S_SHL, S_SHR, S_SAR };

static int shift_rotate(struct cpu *c, const isa_insn_t *i, int op)
{
    const isa_operand_t *d = &i->op[0];
    int size = d->size, bits = 8 * size;
    int n = shift_count(c, i);
    uint32_t a;
    TRY(opnd_read(c, i, d, &a));
    if (n == 0)
        return ISA_OK;                 /* no flags change for a count of 0 */
    uint32_t m = size_mask(size), sb = sign_bit(size);
    uint32_t r, cf = c->eflags & FL_CF ? 1 : 0, of, fl = c->eflags;
    switch (op) {
    case S_ROL: {
        int k = n % bits;
        r = k ? ((a << k) | (a >> (bits - k))) & m : a;
        cf = r & 1;
        of = (!!(r & sb)) ^ cf;
        fl = (fl & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    }
    case S_ROR: {
        int k = n % bits;
        r = k ? ((a >> k) | (a << (bits - k))) & m : a;
        cf = !!(r & sb);
        of = cf ^ !!(r & (sb >> 1));
        fl = (fl & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    }
    case S_RCL: {
        int k = n % (bits + 1);
        if (k == 0)
            return ISA_OK;
        uint64_t w = ((uint64_t)cf << bits) | a;           /* bits+1 wide */
        w = ((w << k) | (w >> (bits + 1 - k))) & ((2ull << (bits)) - 1);
        r = (uint32_t)w & m;
        cf = (uint32_t)(w >> bits) & 1;
        of = (!!(r & sb)) ^ cf;
        fl = (fl & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    }
    case S_RCR: {
        int k = n % (bits + 1);
        if (k == 0)
            return ISA_OK;
        of = (!!(a & sb)) ^ cf;                              /* before rotating */
        uint64_t w = ((uint64_t)cf << bits) | a;
        w = ((w >> k) | (w << (bits + 1 - k))) & ((2ull << (bits)) - 1);
        r = (uint32_t)w & m;
        cf = (uint32_t)(w >> bits) & 1;
        fl = (fl & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    }
    case S_SHL:
        r = n < bits ? (a << n) & m : 0;
        cf = n <= bits ? (a >> (bits - n)) & 1 : 0;
        of = (!!(r & sb)) ^ cf;
        fl = (fl & ~FL_ARITH) | flags_szp(r, size) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    case S_SHR:
        r = n < bits ? a >> n : 0;
        cf = n <= bits ? (a >> (n - 1)) & 1 : 0;
        of = !!(a & sb);
        fl = (fl & ~FL_ARITH) | flags_szp(r, size) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    default: { /* SAR */
        int32_t sa = (int32_t)sext(a, size);
        r = (uint32_t)(sa >> (n < bits ? n : bits - 1)) & m;
        cf = (uint32_t)(sa >> (n <= bits ? n - 1 : bits - 1)) & 1;
        fl = (fl & ~FL_ARITH) | flags_szp(r, size) | (cf ? FL_CF : 0);
        break;
    }
    }
    TRY(opnd_write(c, i, d, r));
    c->eflags = fl;
    return ISA_OK;
}

HANDLER(rol) { return shift_rotate(c, i, S_ROL); }
HANDLER(ror) { return shift_rotate(c, i, S_ROR); }
HANDLER(rcl) { return shift_rotate(c, i, S_RCL); }
HANDLER(rcr) { return shift_rotate(c, i, S_RCR); }
HANDLER(shl) { return shift_rotate(c, i, S_SHL); }
HANDLER(shr) { return shift_rotate(c, i, S_SHR); }
HANDLER(sar) { return shift_rotate(c, i, S_SAR); }

/* SHLD/SHRD: dst shifted with bits coming in from src. */
static int double_shift(struct cpu *c, const isa_insn_t *i, int left)
{
    const isa_operand_t *d = &i->op[0];
    int size = d->size, bits = 8 * size;
    uint32_t a, b, n;
    TRY(opnd_read(c, i, d, &a));
    b = reg_get(c, i->op[1].reg, size);
    opnd_read(c, i, &i->op[2], &n);
    n &= 0x1f;
    if (n == 0)
        return ISA_OK;
    uint32_t m = size_mask(size), sb = sign_bit(size), r, cf;
    /* Work on a 64-bit (dst:src) or (src:dst) pair so counts up to 31 are defined. */
    if (left) {
        uint64_t w = ((uint64_t)a << bits) | b;
        if (size == 2)
            w = (w << 32) | ((uint64_t)a << 0);     /* a 16-bit count > 16 brings dst bits back, as hardware does */
        uint64_t top = w << n;
        int width = size == 2 ? 64 : 2 * bits;
        r = (uint32_t)(top >> (width - bits)) & m;
        cf = (uint32_t)(w >> (width - n)) & 1;
    } else {
        uint64_t w = ((uint64_t)b << bits) | a;
        if (size == 2)
            w |= (uint64_t)a << 32;
        r = (uint32_t)(w >> n) & m;
        cf = (uint32_t)(w >> (n - 1)) & 1;
    }
    TRY(opnd_write(c, i, d, r));
    uint32_t of = ((r ^ a) & sb) ? FL_OF : 0;
    c->eflags = (c->eflags & ~FL_ARITH) | flags_szp(r, size) | (cf ? FL_CF : 0) | of;
    return ISA_OK;
}
HANDLER(shld) { return double_shift(c, i, 1); }
HANDLER(shrd) { return double_shift(c, i, 0); }

/* ---- bit test and scan ---- */
enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

static int bit_op(struct cpu *c, const isa_insn_t *i, int op)
{
    const isa_operand_t *d = &i->op[0];
    int size = d->size, bits = 8 * size;
    uint32_t off_raw, a, bit;
    opnd_read(c, i, &i->op[1], &off_raw);
    if (d->kind == OPK_REG || i->op[1].kind == OPK_IMM) {
        bit = off_raw & (uint32_t)(bits - 1);
        TRY(opnd_read(c, i, d, &a));
        uint32_t r = a;
        if (op == BT_SET) r |= 1u << bit;
        else if (op == BT_RESET) r &= ~(1u << bit);
        else if (op == BT_COMPLEMENT) r ^= 1u << bit;
        if (op != BT_TEST)
            TRY(opnd_write(c, i, d, r));
        set_flags(c, FL_CF, (a >> bit) & 1 ? FL_CF : 0);
        return ISA_OK;
    }
    /* Memory with a register offset: the offset is signed and may reach
     * outside the operand (SDM BT: "bit string" addressing). */
    int32_t off = (int32_t)sext(off_raw, size);
    int32_t unit = off >= 0 ? off / bits : -((-(off + 1)) / bits) - 1;
    uint32_t ea = insn_ea(c, i) + (uint32_t)(unit * size);
    if (i->adsize == 2)
        ea &= 0xffff;
    bit = (uint32_t)(off - unit * bits);
    TRY(mem_read(c, i->seg, ea, size, &a));
    uint32_t r = a;
    if (op == BT_SET) r |= 1u << bit;
    else if (op == BT_RESET) r &= ~(1u << bit);
    else if (op == BT_COMPLEMENT) r ^= 1u << bit;
    if (op != BT_TEST)
        TRY(mem_write(c, i->seg, ea, size, r));
    set_flags(c, FL_CF, (a >> bit) & 1 ? FL_CF : 0);
    return ISA_OK;
}
HANDLER(bt)  { return bit_op(c, i, BT_TEST); }
HANDLER(bts) { return bit_op(c, i, BT_SET); }
HANDLER(btr) { return bit_op(c, i, BT_RESET); }
HANDLER(btc) { return bit_op(c, i, BT_COMPLEMENT); }

/* BSF/BSR: a zero source sets ZF and leaves the destination unchanged. */
static int bit_scan(struct cpu *c, const isa_insn_t *i, int reverse)
{
    uint32_t s;
    TRY(opnd_read(c, i, &i->op[1], &s));
    if (s == 0) {
        set_flags(c, FL_ZF, FL_ZF);
        return ISA_OK;
    }
    int k = reverse ? 31 - __builtin_clz(s) : __builtin_ctz(s);
    reg_set(c, i->op[0].reg, i->op[0].size, (uint32_t)k);
    set_flags(c, FL_ZF, 0);
    return ISA_OK;
}
HANDLER(bsf) { return bit_scan(c, i, 0); }
HANDLER(bsr) { return bit_scan(c, i, 1); }

/* ---- exchange-and-operate ---- */
HANDLER(xadd)
{
    const isa_operand_t *d = &i->op[0];
    uint32_t a, b;
    TRY(opnd_read(c, i, d, &a));
    b = reg_get(c, i->op[1].reg, d->size);
    uint32_t r = a + b;
    /* TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. A memory destination is
     * written first (it may fault, and its address may use SRC); with one
     * register as both operands, the sum is what stays. */
    if (d->kind == OPK_MEM) {
        TRY(opnd_write(c, i, d, r));
        reg_set(c, i->op[1].reg, d->size, a);
    } else {
        reg_set(c, i->op[1].reg, d->size, a);
        reg_set(c, d->reg, d->size, r);
    }
    set_flags(c, FL_ARITH, flags_add(a, b, 0, r, d->size));
    return ISA_OK;
}

HANDLER(cmpxchg)
{
    const isa_operand_t *d = &i->op[0];
    int size = d->size;
    uint32_t a, acc = reg_get(c, EAX, size);
    TRY(opnd_read(c, i, d, &a));
    TRY(opnd_check_write(c, i, d));
    uint32_t fl = flags_sub(acc, a, 0, acc - a, size);
    if ((acc & size_mask(size)) == a) {
        opnd_write(c, i, d, reg_get(c, i->op[1].reg, size));
    } else {
        opnd_write(c, i, d, a);        /* the destination is always written */
        reg_set(c, EAX, size, a);
    }
    set_flags(c, FL_ARITH, fl);
    return ISA_OK;
}

HANDLER(cmpxchg8b)
{
    uint32_t ea = insn_ea(c, i), lo, hi;
    TRY(mem_read(c, i->seg, ea, 4, &lo));
    TRY(mem_read(c, i->seg, ea + 4, 4, &hi));
    TRY(mem_check_write(c, i->seg, ea, 4));
    TRY(mem_check_write(c, i->seg, ea + 4, 4));
    if (lo == c->reg[EAX] && hi == c->reg[EDX]) {
        mem_write(c, i->seg, ea, 4, c->reg[EBX]);
        mem_write(c, i->seg, ea + 4, 4, c->reg[ECX]);
        set_flags(c, FL_ZF, FL_ZF);
    } else {
        mem_write(c, i->seg, ea, 4, lo);
        mem_write(c, i->seg, ea + 4, 4, hi);
        c->reg[EAX] = lo;
        c->reg[EDX] = hi;
        set_flags(c, FL_ZF, 0);
    }
    return ISA_OK;
}

HANDLER(bswap)
{
    int r = i->op[0].reg;
    if (i->opsize == 2)   /* undefined in the SDM; hardware clears the low word */
        c->reg[r] &= 0xffff0000u;
    else
        c->reg[r] = __builtin_bswap32(c->reg[r]);
    return ISA_OK;
}

/* ---- BCD adjustments (AL, AH) ---- */
HANDLER(daa)
{
    uint32_t al = reg_get(c, EAX, 1), old_al = al, old_cf = c->eflags & FL_CF;
    uint32_t fl = c->eflags & ~(FL_CF | FL_AF);
    if ((al & 0xf) > 9 || (c->eflags & FL_AF)) {
        al += 6;
        fl |= FL_AF | ((old_cf || al > 0xff) ? FL_CF : 0);
    }
    if (old_al > 0x99 || old_cf) {
        al += 0x60;
        fl |= FL_CF;
    } else {
        fl &= ~FL_CF;
    }
    reg_set(c, EAX, 1, al);
    c->eflags = (fl & ~(FL_SF | FL_ZF | FL_PF | FL_OF)) | flags_szp(al, 1);
    return ISA_OK;
}

HANDLER(das)
{
    uint32_t al = reg_get(c, EAX, 1), old_al = al, old_cf = c->eflags & FL_CF;
    uint32_t fl = c->eflags & ~(FL_CF | FL_AF);
    if ((al & 0xf) > 9 || (c->eflags & FL_AF)) {
        fl |= FL_AF | ((old_cf || al < 6) ? FL_CF : 0);
        al -= 6;
    }
    if (old_al > 0x99 || old_cf) {
        al -= 0x60;
        fl |= FL_CF;
    }
    reg_set(c, EAX, 1, al);
    c->eflags = (fl & ~(FL_SF | FL_ZF | FL_PF | FL_OF)) | flags_szp(al, 1);
    return ISA_OK;
}

static int ascii_adjust(struct cpu *c, int add)
{
    uint32_t ax = reg_get(c, EAX, 2);
    uint32_t fl = c->eflags & ~(FL_CF | FL_AF);
    if ((ax & 0xf) > 9 || (c->eflags & FL_AF)) {
        /* AAA: AX = AX + 106H; AAS: AX = AX - 6, AH = AH - 1 (the borrow
         * of the first subtraction reaches AH too) */
        ax = (add ? ax + 0x106 : ax - 6 - 0x100) & 0xffff;
        fl |= FL_AF | FL_CF;
    }
    ax = (ax & 0xff00) | (ax & 0x0f);
    reg_set(c, EAX, 2, ax);
    c->eflags = (fl & ~(FL_SF | FL_ZF | FL_PF | FL_OF)) | flags_szp(ax & 0xff, 1);
    return ISA_OK;
}
HANDLER(aaa) { (void)i; return ascii_adjust(c, 1); }
HANDLER(aas) { (void)i; return ascii_adjust(c, 0); }

HANDLER(aam)
{
    uint32_t base = i->imm & 0xff, al = reg_get(c, EAX, 1);
    if (base == 0)
        return RAISE_DE(c);
    uint32_t ah = al / base;
    al %= base;
    reg_set(c, EAX, 2, (ah << 8) | al);
    set_flags(c, FL_ARITH, flags_szp(al, 1));
    return ISA_OK;
}

HANDLER(aad)
{
    uint32_t base = i->imm & 0xff;
    uint32_t al = (reg_get(c, EAX, 1) + reg_get(c, EAX + 4, 1) * base) & 0xff;
    reg_set(c, EAX, 2, al);
    set_flags(c, FL_ARITH, flags_szp(al, 1));
    return ISA_OK;
}

/* ---- conversions ---- */
HANDLER(cbw)
{
    if (i->opsize == 2)
        reg_set(c, EAX, 2, sext(reg_get(c, EAX, 1), 1));
    else
        c->reg[EAX] = sext(c->reg[EAX], 2);
    return ISA_OK;
}

HANDLER(cwd)
{
    int size = i->opsize;
    reg_set(c, EDX, size, (reg_get(c, EAX, size) & sign_bit(size)) ? 0xffffffffu : 0);
    return ISA_OK;
}

/* ---- conditional set and move ---- */
HANDLER(setcc)
{
    return opnd_write(c, i, &i->op[0], (uint32_t)cond_true(c->eflags, i->opcode & 15));
}

HANDLER(cmov)
{
    uint32_t v;
    TRY(opnd_read(c, i, &i->op[1], &v));   /* the source is read (and may fault) either way */
    if (cond_true(c->eflags, i->opcode & 15))
        reg_set(c, i->op[0].reg, i->op[0].size, v);
    return ISA_OK;
}

/* ---- flag instructions ---- */
HANDLER(clc) { (void)i; c->eflags &= ~FL_CF; return ISA_OK; }
HANDLER(stc) { (void)i; c->eflags |= FL_CF; return ISA_OK; }
HANDLER(cmc) { (void)i; c->eflags ^= FL_CF; return ISA_OK; }
HANDLER(cld) { (void)i; c->eflags &= ~FL_DF; return ISA_OK; }
HANDLER(std) { (void)i; c->eflags |= FL_DF; return ISA_OK; }

HANDLER(sahf)
{
    (void)i;
    uint32_t ah = reg_get(c, 4, 1);
    set_flags(c, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, ah);
    return ISA_OK;
}

HANDLER(lahf)
{
    (void)i;
    reg_set(c, 4, 1, (c->eflags & (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)) | FL_1);
    return ISA_OK;
}
