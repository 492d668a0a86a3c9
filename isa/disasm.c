/* The disassembler: AT&T syntax exactly as GNU objdump prints it
 * (`objdump -D -b binary -m i386`, binutils 2.40), so that traces and the
 * objdump comparison test (tests/disasm/) read the same.
 *
 * The text is made from the decoded instruction alone: the row (mnemonic,
 * form, flags), operand sizes, the ModRM/SIB fields and the prefixes the
 * decoder recorded. objdump's conventions reproduced here:
 *
 *  - operands in AT&T order (source first), registers %eax, immediates
 *    $0x10 (masked to the operand size), memory disp(base,index,scale) with
 *    signed displacements and unsigned absolute addresses, %eiz where a SIB
 *    byte has no index, segment overrides folded into the memory operand;
 *  - a size suffix (b, w, l) only where no register operand gives the size,
 *    and always on movs/cmps/ins/outs, movzx/movsx, sgdt..lidt, pushw etc.;
 *  - prefixes that change nothing are printed by name before the mnemonic
 *    ("data16", "addr16", "cs", "repz", "bnd", "lock", "notrack",
 *    "xacquire"/"xrelease"), Jcc branch hints as ",pt"/",pn";
 *  - the mnemonic and its prefixes padded to 6 columns, then one space and
 *    the operands separated by ',' with no spaces.
 *
 * Unused prefixes are printed in the order GNU as writes them (segment,
 * addr16, data16, rep, lock): the decoder keeps which prefixes were present,
 * not their order. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "isa/isa.h"
#include "isa/arch.h"

static const char *const reg32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
static const char *const reg16[8] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
static const char *const reg8[8]  = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };
static const char *const sreg[8]  = { "es", "cs", "ss", "ds", "fs", "gs", "?", "?" };

/* A small string builder that never overflows. */
typedef struct sbuf {
    char s[64];
    size_t n;
} sbuf_t;

static void sb_printf(sbuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    if (b->n >= sizeof b->s - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        b->n += (size_t)k;
    if (b->n > sizeof b->s - 1)
        b->n = sizeof b->s - 1;
}

/* State of one disassembly: the operands in AT&T order and which prefixes
 * the text has used up (objdump prints the others by name). */
typedef struct dis {
    const isa_insn_t *in;
    sbuf_t mn;             /* mnemonic with suffix */
    sbuf_t op[3];
    int nops;
    int used_seg, used_66, used_67, used_rep;
} dis_t;

static sbuf_t *next_op(dis_t *d)
{
    sbuf_t *b = &d->op[d->nops < 3 ? d->nops++ : 2];
    b->n = 0;
    b->s[0] = 0;
    return b;
}

static const char *regname(int size, int r)
{
    r &= 7;
    return size == 1 ? reg8[r] : size == 2 ? reg16[r] : reg32[r];
}

/* A displacement as objdump's print_displacement: signed hex. */
static void put_disp(sbuf_t *b, int64_t v)
{
    if (v < 0)
        sb_printf(b, "-0x%llx", (unsigned long long)-v);
    else
        sb_printf(b, "0x%llx", (unsigned long long)v);
}

/* ---- operands ---- */

static void o_reg(dis_t *d, int size, int r)
{
    sb_printf(next_op(d), "%%%s", regname(size, r));
}

static void o_str(dis_t *d, const char *s)
{
    sb_printf(next_op(d), "%s", s);
}

static void o_imm(dis_t *d, uint32_t v, int size)
{
    if (size == 1)
        v &= 0xff;
    else if (size == 2)
        v &= 0xffff;
    sb_printf(next_op(d), "$0x%x", v);
}

static void seg_prefix(dis_t *d, sbuf_t *b)
{
    if (d->in->seg_override != SEG_NONE) {
        sb_printf(b, "%%%s:", sreg[d->in->seg_override & 7]);
        d->used_seg = 1;
    }
}

/* The ModRM (or moffs) memory operand. */
static void o_mem(dis_t *d, const char *star)
{
    const isa_insn_t *in = d->in;
    sbuf_t *b = next_op(d);
    sb_printf(b, "%s", star);
    seg_prefix(d, b);
    if (!in->has_modrm) {
        /* moffs: an absolute address; objdump leaves the 67 prefix unused */
        sb_printf(b, "0x%x", in->adsize == 2 ? in->disp & 0xffff : in->disp);
        return;
    }
    d->used_67 = 1;
    if (in->adsize == 2) {
        if (in->mod != 0 || (in->base == ISA_NOREG && in->index == ISA_NOREG))
            put_disp(b, (int16_t)in->disp);
        if (in->base != ISA_NOREG) {
            sb_printf(b, "(%%%s", reg16[in->base & 7]);
            if (in->index != ISA_NOREG)
                sb_printf(b, ",%%%s", reg16[in->index & 7]);
            sb_printf(b, ")");
        } else if (in->index != ISA_NOREG) {
            sb_printf(b, "(%%%s)", reg16[in->index & 7]);
        }
        return;
    }
    int havesib = in->rm == 4;
    int havebase = in->base != ISA_NOREG;
    int haveindex = in->index != ISA_NOREG;
    int needindex = havesib && !havebase && !haveindex;
    int havedisp = havebase || needindex || (havesib && (haveindex || in->scale != 0));
    if (in->mod != 0 || !havebase) {
        if (havedisp)
            put_disp(b, (int32_t)in->disp);
        else
            sb_printf(b, "0x%x", in->disp);
    }
    if (!havedisp)
        return;
    sb_printf(b, "(");
    if (havebase)
        sb_printf(b, "%%%s", reg32[in->base & 7]);
    if (havesib && (in->scale != 0 || needindex || haveindex ||
                    (havebase && in->base != ESP)))
        sb_printf(b, ",%%%s,%d", haveindex ? reg32[in->index & 7] : "eiz",
                  1 << in->scale);
    sb_printf(b, ")");
}

/* The ModRM r/m operand: a register of `size` bytes or memory. */
static void o_e(dis_t *d, int size)
{
    if (d->in->mod == 3)
        o_reg(d, size, d->in->rm);
    else
        o_mem(d, "");
}

/* A string instruction's implicit operand: %ds:(%esi) (segment
 * overridable) or %es:(%edi). */
static void o_si(dis_t *d)
{
    sbuf_t *b = next_op(d);
    if (d->in->seg_override != SEG_NONE)
        d->used_seg = 1;
    sb_printf(b, "%%%s:(%%%s)",
              sreg[d->in->seg_override == SEG_NONE ? SEG_DS : d->in->seg_override & 7],
              d->in->adsize == 2 ? "si" : "esi");
    d->used_67 = 1;
}

static void o_di(dis_t *d)
{
    sb_printf(next_op(d), "%%es:(%%%s)", d->in->adsize == 2 ? "di" : "edi");
    d->used_67 = 1;
}

/* ---- mnemonics ---- */

static void mnem(dis_t *d, const char *m)
{
    sb_printf(&d->mn, "%s", m);
}

/* A suffix from the operand size (marks the 66 prefix used). */
static char vsuffix(dis_t *d)
{
    d->used_66 = 1;
    return d->in->opsize == 2 ? 'w' : 'l';
}

/* Mnemonic plus the size suffix objdump adds when the r/m operand is memory
 * and no register operand gives the size. */
static void mnem_sized(dis_t *d, const char *m, int size)
{
    mnem(d, m);
    if (d->in->mod != 3)
        sb_printf(&d->mn, "%c", size == 1 ? 'b' : size == 2 ? 'w' : 'l');
}

static uint32_t branch_target(const isa_insn_t *in, uint32_t eip, int mask16)
{
    uint32_t t = eip + in->len + in->imm;
    return mask16 ? t & 0xffff : t;
}

int isa_disasm(const isa_insn_t *in, uint32_t eip, char *buf, size_t bufsize)
{
    if (in->row >= ROW_COUNT)
        return snprintf(buf, bufsize, "(bad)");
    const isa_row_info_t *ri = &isa_rows[in->row];
    dis_t D, *d = &D;
    memset(d, 0, sizeof *d);
    d->in = in;
    int v = in->opsize;
    const char *m = isa_mnemonic(in);
    const char *pre = "";    /* a prefix word objdump puts first (notrack) */
    int hinted = 0;          /* Jcc/loop/jecxz: 2E/3E are branch hints */
    int rep_is_z = 0;        /* cmps/scas print repz rather than rep */
    int bnd_ok = 0;          /* F2 on a near branch prints as bnd */

    switch (ri->form) {
    case F_NONE:
        switch (in->row) {
        case ROW_PUSHA: case ROW_POPA: case ROW_PUSHF: case ROW_POPF:
        case ROW_LEAVE: case ROW_RET: case ROW_RETF: case ROW_IRET:
            mnem(d, m);
            if (vsuffix(d) == 'w')
                mnem(d, "w");
            bnd_ok = in->row == ROW_RET;
            break;
        case ROW_CBW:
            mnem(d, vsuffix(d) == 'w' ? "cbtw" : "cwtl");
            break;
        case ROW_CWD:
            mnem(d, vsuffix(d) == 'w' ? "cwtd" : "cltd");
            break;
        case ROW_NOP:
            if (in->rep == 0xf3) {
                mnem(d, "pause");
                d->used_rep = 1;
            } else if (vsuffix(d) == 'w') {
                mnem(d, "xchg");
                o_reg(d, 2, EAX);
                o_reg(d, 2, EAX);
            } else {
                mnem(d, "nop");
            }
            break;
        case ROW_INT1:
            mnem(d, "int1");
            break;
        case ROW_MOVSB: case ROW_MOVSV:
            mnem(d, "movs");
            sb_printf(&d->mn, "%c", ri->flags & B ? 'b' : vsuffix(d));
            o_si(d);
            o_di(d);
            break;
        case ROW_CMPSB: case ROW_CMPSV:
            mnem(d, "cmps");
            sb_printf(&d->mn, "%c", ri->flags & B ? 'b' : vsuffix(d));
            o_di(d);
            o_si(d);
            rep_is_z = 1;
            break;
        case ROW_STOSB: case ROW_STOSV:
            mnem(d, m);
            o_reg(d, ri->flags & B ? 1 : v, EAX);
            if (!(ri->flags & B))
                d->used_66 = 1;
            o_di(d);
            break;
        case ROW_LODSB: case ROW_LODSV:
            mnem(d, m);
            o_si(d);
            o_reg(d, ri->flags & B ? 1 : v, EAX);
            if (!(ri->flags & B))
                d->used_66 = 1;
            break;
        case ROW_SCASB: case ROW_SCASV:
            mnem(d, m);
            o_di(d);
            o_reg(d, ri->flags & B ? 1 : v, EAX);
            if (!(ri->flags & B))
                d->used_66 = 1;
            rep_is_z = 1;
            break;
        case ROW_INSB: case ROW_INSV:
            mnem(d, "ins");
            sb_printf(&d->mn, "%c", ri->flags & B ? 'b' : vsuffix(d));
            o_str(d, "(%dx)");
            o_di(d);
            break;
        case ROW_OUTSB: case ROW_OUTSV:
            mnem(d, "outs");
            sb_printf(&d->mn, "%c", ri->flags & B ? 'b' : vsuffix(d));
            o_si(d);
            o_str(d, "(%dx)");
            break;
        case ROW_XLAT: {
            sbuf_t *b;
            mnem(d, m);
            b = next_op(d);
            if (in->seg_override != SEG_NONE)
                d->used_seg = 1;
            sb_printf(b, "%%%s:(%%%s)",
                      sreg[in->seg_override == SEG_NONE ? SEG_DS : in->seg_override & 7],
                      in->adsize == 2 ? "bx" : "ebx");
            d->used_67 = 1;
            break;
        }
        default:
            mnem(d, m);
            break;
        }
        break;

    case F_SEG:
        mnem(d, m);
        if (vsuffix(d) == 'w')
            mnem(d, "w");
        sb_printf(next_op(d), "%%%s", sreg[in->op[0].reg & 7]);
        break;

    case F_EbGb: case F_EvGv: case F_EwGw:
        mnem(d, m);
        if (ri->form == F_EvGv)
            d->used_66 = 1;
        o_reg(d, in->op[1].size, in->reg);
        o_e(d, in->op[0].size);
        break;
    case F_GbEb: case F_GvEv:
        mnem(d, m);
        if (ri->form == F_GvEv)
            d->used_66 = 1;
        o_e(d, in->op[1].size);
        o_reg(d, in->op[0].size, in->reg);
        break;
    case F_GvM:
        mnem(d, m);
        d->used_66 = 1;
        if (in->row == ROW_BOUND) {   /* objdump prints BOUND's operands Intel-wise */
            o_reg(d, in->op[0].size, in->reg);
            o_e(d, in->op[1].size);
        } else {
            o_e(d, in->op[1].size);
            o_reg(d, in->op[0].size, in->reg);
        }
        break;
    case F_GvEb: case F_GvEw:
        d->used_66 = 1;
        if (in->row == ROW_LAR || in->row == ROW_LSL) {
            /* objdump names a register source by the operand size */
            mnem(d, m);
            o_e(d, in->mod == 3 ? v : in->op[1].size);
        } else {
            /* movzb/movzw/movsb/movsw + the destination size */
            mnem(d, m);
            sb_printf(&d->mn, "%c", in->op[0].size == 2 ? 'w' : 'l');
            o_e(d, in->op[1].size);
        }
        o_reg(d, in->op[0].size, in->reg);
        break;

    case F_ALIb: case F_AXIz: case F_AXIb:
        mnem(d, m);
        if (ri->form != F_ALIb)
            d->used_66 = 1;
        o_imm(d, in->imm, in->op[1].size);
        o_reg(d, in->op[0].size, EAX);
        break;
    case F_IbAL: case F_IbAX:
        mnem(d, m);
        if (ri->form == F_IbAX)
            d->used_66 = 1;
        o_reg(d, in->op[1].size, EAX);
        o_imm(d, in->imm, 1);
        break;
    case F_ALDX: case F_AXDX:
        mnem(d, m);
        if (ri->form == F_AXDX)
            d->used_66 = 1;
        o_str(d, "(%dx)");
        o_reg(d, in->op[0].size, EAX);
        break;
    case F_DXAL: case F_DXAX:
        mnem(d, m);
        if (ri->form == F_DXAX)
            d->used_66 = 1;
        o_reg(d, in->op[1].size, EAX);
        o_str(d, "(%dx)");
        break;

    case F_Zv:
        mnem(d, m);
        d->used_66 = 1;
        o_reg(d, in->op[0].size, in->op[0].reg);
        break;
    case F_AXZv:
        mnem(d, m);
        d->used_66 = 1;
        o_reg(d, in->op[0].size, EAX);
        o_reg(d, in->op[1].size, in->op[1].reg);
        break;
    case F_ZbIb: case F_ZvIv:
        mnem(d, m);
        if (ri->form == F_ZvIv)
            d->used_66 = 1;
        o_imm(d, in->imm, in->op[1].size);
        o_reg(d, in->op[0].size, in->op[0].reg);
        break;

    case F_Iz: case F_Ibs:            /* push imm */
        mnem(d, m);
        if (vsuffix(d) == 'w')
            mnem(d, "w");
        o_imm(d, in->imm, in->op[0].size);
        break;
    case F_Ib:                        /* int, aam, aad */
        mnem(d, m);
        o_imm(d, in->imm, 1);
        break;
    case F_Iw:                        /* ret, lret */
        mnem(d, m);
        if (vsuffix(d) == 'w')
            mnem(d, "w");
        o_imm(d, in->imm, 2);
        bnd_ok = in->row == ROW_RET_Iw;
        break;
    case F_IwIb:                      /* enter */
        mnem(d, m);
        if (vsuffix(d) == 'w')
            mnem(d, "w");
        o_imm(d, in->imm, 2);
        o_imm(d, in->imm2, 1);
        break;

    case F_Jb: {
        /* Jcc, jmp, loop*, jecxz; objdump does not truncate an 8-bit
         * displacement's target under a 66 prefix (and leaves it unused) */
        int cx = in->row == ROW_LOOPNE || in->row == ROW_LOOPE ||
                 in->row == ROW_LOOP || in->row == ROW_JECXZ;
        if (in->row == ROW_JECXZ) {
            mnem(d, in->adsize == 2 ? "jcxz" : "jecxz");
            d->used_67 = 1;
        } else {
            mnem(d, m);
            if (cx && in->adsize == 2)
                mnem(d, "w");
            if (cx)
                d->used_67 = 1;
        }
        hinted = in->row != ROW_JMP_Jb;
        bnd_ok = !cx;
        sb_printf(next_op(d), "0x%x", branch_target(in, eip, 0));
        break;
    }
    case F_Jz:
        mnem(d, m);
        d->used_66 = 1;
        if (in->row == ROW_JCC_Jz)
            hinted = 1;
        else if (v == 2)
            mnem(d, "w");
        bnd_ok = 1;
        sb_printf(next_op(d), "0x%x", branch_target(in, eip, v == 2));
        break;
    case F_Ap:
        mnem(d, m);
        if (vsuffix(d) == 'w')
            mnem(d, "w");
        sb_printf(next_op(d), "$0x%x", in->imm2 & 0xffff);
        sb_printf(next_op(d), "$0x%x", v == 2 ? in->imm & 0xffff : in->imm);
        break;

    case F_GvEvIz: case F_GvEvIbs:
        mnem(d, m);
        d->used_66 = 1;
        o_imm(d, in->imm, in->op[2].size);
        o_e(d, in->op[1].size);
        o_reg(d, in->op[0].size, in->reg);
        break;
    case F_EvGvIb: case F_EvGvCL:
        mnem(d, m);
        d->used_66 = 1;
        if (ri->form == F_EvGvIb)
            o_imm(d, in->imm, 1);
        else
            o_reg(d, 1, ECX);
        o_reg(d, in->op[1].size, in->reg);
        o_e(d, in->op[0].size);
        break;

    case F_EbIb: case F_EvIz: case F_EvIbs: case F_EvIb:
        if (ri->form != F_EbIb)
            d->used_66 = 1;
        mnem_sized(d, m, in->op[0].size);
        o_imm(d, in->imm, in->op[1].size);
        o_e(d, in->op[0].size);
        break;
    case F_Eb1: case F_Ev1:           /* shift by one: objdump omits the 1 */
        if (ri->form == F_Ev1)
            d->used_66 = 1;
        mnem_sized(d, m, in->op[0].size);
        o_e(d, in->op[0].size);
        break;
    case F_EbCL: case F_EvCL:
        if (ri->form == F_EvCL)
            d->used_66 = 1;
        mnem_sized(d, m, in->op[0].size);
        o_reg(d, 1, ECX);
        o_e(d, in->op[0].size);
        break;

    case F_Eb:
        if (in->row == ROW_SETCC)
            mnem(d, m);
        else
            mnem_sized(d, m, 1);
        o_e(d, 1);
        break;
    case F_Ev:
        switch (in->row) {
        case ROW_GFF_CALL: case ROW_GFF_JMP: {
            isa_insn_t plain;
            mnem(d, m);
            d->used_66 = 1;
            if (in->mod != 3 && v == 2)
                mnem(d, "w");
            bnd_ok = 1;
            if (in->seg_override == SEG_DS) {
                /* 3E on an indirect branch is the NOTRACK hint, not DS */
                pre = "notrack ";
                plain = *in;
                plain.seg_override = SEG_NONE;
                d->in = &plain;
            }
            if (in->mod == 3)
                sb_printf(next_op(d), "*%%%s", regname(in->op[0].size, in->rm));
            else
                o_mem(d, "*");
            d->in = in;
            break;
        }
        case ROW_GFF_PUSH: case ROW_POP_Ev:
            mnem(d, m);
            d->used_66 = 1;
            if (in->mod != 3 && v == 2)
                mnem(d, "w");
            o_e(d, in->op[0].size);
            break;
        default:                      /* inc dec not neg mul imul div idiv nop */
            d->used_66 = 1;
            mnem_sized(d, m, in->op[0].size);
            o_e(d, in->op[0].size);
            break;
        }
        break;
    case F_Ew:
        mnem(d, m);
        if (in->mod == 3 && (in->row == ROW_SLDT || in->row == ROW_STR ||
                             in->row == ROW_SMSW)) {
            /* objdump names a register destination by the operand size */
            d->used_66 = 1;
            o_reg(d, v, in->rm);
        } else {
            o_e(d, 2);
        }
        break;
    case F_M:
        mnem(d, m);
        if (in->row != ROW_INVLPG)
            sb_printf(&d->mn, "%c", vsuffix(d));
        o_mem(d, "");
        break;
    case F_Mp:                        /* lcall/ljmp *m16:32 */
        mnem(d, m);
        if (vsuffix(d) == 'w')
            mnem(d, "w");
        o_mem(d, "*");
        break;
    case F_Mq:
        mnem(d, m);
        o_mem(d, "");
        break;

    case F_EwSw:
        mnem(d, m);
        if (in->mod == 3)
            d->used_66 = 1;
        sb_printf(next_op(d), "%%%s", sreg[in->reg & 7]);
        o_e(d, in->op[0].size);
        break;
    case F_SwEw:
        mnem(d, m);
        if (in->mod == 3) {
            /* objdump names a register source by the operand size */
            d->used_66 = 1;
            o_reg(d, v, in->rm);
        } else {
            o_mem(d, "");
        }
        sb_printf(next_op(d), "%%%s", sreg[in->reg & 7]);
        break;

    case F_ALOb: case F_AXOv:
        mnem(d, m);
        if (ri->form == F_AXOv)
            d->used_66 = 1;
        o_mem(d, "");
        o_reg(d, in->op[0].size, EAX);
        break;
    case F_ObAL: case F_OvAX:
        mnem(d, m);
        if (ri->form == F_OvAX)
            d->used_66 = 1;
        o_reg(d, in->op[1].size, EAX);
        o_mem(d, "");
        break;

    case F_RdCd:
        mnem(d, m);
        sb_printf(next_op(d), "%%cr%d", in->reg);
        o_reg(d, 4, in->rm);
        break;
    case F_CdRd:
        mnem(d, m);
        o_reg(d, 4, in->rm);
        sb_printf(next_op(d), "%%cr%d", in->reg);
        break;
    case F_RdDd:
        mnem(d, m);
        sb_printf(next_op(d), "%%db%d", in->reg);
        o_reg(d, 4, in->rm);
        break;
    case F_DdRd:
        mnem(d, m);
        o_reg(d, 4, in->rm);
        sb_printf(next_op(d), "%%db%d", in->reg);
        break;

    case F_EdGd:                      /* vmread %reg,r/m */
        mnem(d, m);
        o_reg(d, 4, in->reg);
        o_e(d, 4);
        break;
    case F_GdEd: case F_GdM:          /* vmwrite r/m,%reg; invept mem,%reg */
        mnem(d, m);
        o_e(d, 4);
        o_reg(d, 4, in->reg);
        break;

    default:
        mnem(d, m);
        break;
    }
    /* a mandatory prefix is part of the opcode (vmclear, vmxon, invept) */
    if (ri->flags & P66)
        d->used_66 = 1;
    if (ri->flags & PF3)
        d->used_rep = 1;

    /* Jcc/loop/jecxz branch hints: 2E not taken, 3E taken */
    const char *hint = "";
    if (hinted && (in->seg_override == SEG_CS || in->seg_override == SEG_DS)) {
        hint = in->seg_override == SEG_CS ? ",pn" : ",pt";
        d->used_seg = 1;
    }

    /* the prefixes objdump could not fold, in GNU as order */
    sbuf_t P = { .n = 0 };
    P.s[0] = 0;
    if (pre[0])
        sb_printf(&P, "%s", pre);
    else if (in->seg_override != SEG_NONE && !d->used_seg)
        sb_printf(&P, "%s ", sreg[in->seg_override & 7]);
    if (in->adsize_prefix && !d->used_67)
        sb_printf(&P, "addr16 ");
    if (in->opsize_prefix && !d->used_66)
        sb_printf(&P, "data16 ");
    /* HLE hints: F2/F3 on a locked read-modify-write of memory, on XCHG
     * with memory, and F3 on a MOV to memory */
    int xchg_mem = (in->row == ROW_XCHG_EbGb || in->row == ROW_XCHG_EvGv) && in->has_mem;
    int mov_mem = (in->row == ROW_MOV_EbGb || in->row == ROW_MOV_EvGv ||
                   in->row == ROW_MOV_EbIb || in->row == ROW_MOV_EvIz) && in->has_mem;
    if (in->rep && !d->used_rep) {
        if ((in->lock && in->has_mem && in->row != ROW_CMP_EbGb &&
             in->row != ROW_CMP_EvGv) || xchg_mem)
            sb_printf(&P, in->rep == 0xf2 ? "xacquire " : "xrelease ");
        else if (mov_mem && in->rep == 0xf3)
            sb_printf(&P, "xrelease ");
        else if (in->rep == 0xf2 && bnd_ok)
            sb_printf(&P, "bnd ");
        else if (in->rep == 0xf2)
            sb_printf(&P, "repnz ");
        else if ((ri->flags & SO) && !rep_is_z)
            sb_printf(&P, "rep ");
        else
            sb_printf(&P, "repz ");
    }
    if (in->lock)
        sb_printf(&P, "lock ");

    /* prefixes + mnemonic + hint, padded to 6 columns, a space, operands */
    char line[sizeof P.s + sizeof d->mn.s + 4 * sizeof d->op[0].s + 16];
    size_t k = 0;
    const char *parts[3] = { P.s, d->mn.s, hint };
    for (int j = 0; j < 3; j++) {
        size_t l = strlen(parts[j]);
        memcpy(line + k, parts[j], l);
        k += l;
    }
    if (d->nops) {
        do
            line[k++] = ' ';
        while (k < 7);
        for (int j = 0; j < d->nops; j++) {
            if (j)
                line[k++] = ',';
            memcpy(line + k, d->op[j].s, d->op[j].n);
            k += d->op[j].n;
        }
    }
    line[k] = 0;
    if (bufsize)
        snprintf(buf, bufsize, "%s", line);
    return (int)k;
}
