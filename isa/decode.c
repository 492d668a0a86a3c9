/* The decoder: prefixes, one- and two-byte opcode maps, ModRM, SIB,
 * displacements and immediates (SDM vol. 2, chapter 2 and appendix A).
 * The opcode maps are built once from insn.def, so the table is the only
 * place an encoding is written down. */
#include <string.h>
#include "isa/isa.h"
#include "isa/arch.h"

const isa_row_info_t isa_rows[ROW_COUNT] = {
#define X(id, map, op, digit, nops, form, mnem, h, cls, fl) \
    [ROW_##id] = { #id, mnem, map, op, nops, digit, form, cls, fl },
#include "isa/insn.def"
#undef X
};

/* A map entry is a row, or (GROUP | g) for an opcode whose ModRM.reg picks
 * the row from groups[g][reg]. Rows that share a slot and differ by their
 * mandatory prefix (NP, P66, PF3) are chained through variant[]; a group's
 * register forms that are instructions of their own (DIGIT 0xc0..0xff) are
 * in exact[g][rm][reg], where one exists. */
#define GROUP 0x8000u
#define NMAPS 3
static uint16_t opmap[NMAPS][256];
static uint16_t groups[32][8];
static uint16_t exact[4][8][8];
static int8_t group_exact[32];       /* index into exact[], or -1 */
static uint16_t variant[ROW_COUNT];
static int tables_ready;

/* Puts `row` in a slot; a second row there is a prefix variant. */
static void place(uint16_t *slot, int row)
{
    if (*slot != ROW_INVALID)
        variant[row] = *slot;
    *slot = (uint16_t)row;
}

static void build_tables(void)
{
    int ngroups = 0, nexact = 0;
    memset(opmap, 0xff, sizeof opmap);
    memset(groups, 0xff, sizeof groups);
    memset(exact, 0xff, sizeof exact);
    memset(variant, 0xff, sizeof variant);
    memset(group_exact, -1, sizeof group_exact);
    for (int row = 0; row < ROW_COUNT; row++) {
        const isa_row_info_t *ri = &isa_rows[row];
        for (int k = 0; k < ri->nops; k++) {
            uint16_t *slot = &opmap[ri->map - 1][(uint8_t)(ri->op + k)];
            if (ri->digit < 0) {
                place(slot, row);
                continue;
            }
            if (*slot == ROW_INVALID)
                *slot = (uint16_t)(GROUP | ngroups++);
            int g = *slot & ~GROUP;
            if (ri->digit < 8) {
                place(&groups[g][ri->digit], row);
            } else {
                if (group_exact[g] < 0)
                    group_exact[g] = (int8_t)nexact++;
                exact[group_exact[g]][ri->digit & 7][(ri->digit >> 3) & 7] = (uint16_t)row;
            }
        }
    }
    tables_ready = 1;
}

/* The row among a slot's prefix variants whose mandatory prefix the
 * instruction has, or ROW_INVALID. A mandatory 66 is part of the opcode:
 * the operand size stays the default. */
static uint16_t pick_variant(isa_insn_t *in, uint16_t e, int code32)
{
    for (; e != ROW_INVALID; e = variant[e]) {
        int f = isa_rows[e].flags;
        if (f & NP) {
            if (!in->opsize_prefix && !in->rep)
                return e;
        } else if (f & P66) {
            if (in->opsize_prefix && !in->rep) {
                in->opsize = code32 ? 4 : 2;
                return e;
            }
        } else if (f & PF3) {
            if (in->rep == 0xf3 && !in->opsize_prefix)
                return e;
        } else {
            return e;
        }
    }
    return ROW_INVALID;
}

/* Which forms carry a ModRM byte. */
static int form_has_modrm(int f)
{
    switch (f) {
    case F_EbGb: case F_EvGv: case F_GbEb: case F_GvEv: case F_EwGw:
    case F_GvEvIz: case F_GvEvIbs: case F_EbIb: case F_EvIz: case F_EvIbs:
    case F_EvIb: case F_Eb1: case F_Ev1: case F_EbCL: case F_EvCL:
    case F_EvGvIb: case F_EvGvCL: case F_Eb: case F_Ev: case F_Ew: case F_M:
    case F_Mp: case F_Mq: case F_GvM: case F_GvEb: case F_GvEw: case F_EwSw:
    case F_SwEw: case F_RdCd: case F_CdRd: case F_RdDd: case F_DdRd:
    case F_EdGd: case F_GdEd: case F_GdM:
        return 1;
    default:
        return 0;
    }
}

static int form_memory_only(int f)
{
    return f == F_M || f == F_Mp || f == F_Mq || f == F_GvM || f == F_GdM;
}

typedef struct reader {
    const uint8_t *p;
    size_t avail, pos;
    int short_read;
} reader_t;

static uint32_t take(reader_t *r, int n)
{
    uint32_t v = 0;
    for (int k = 0; k < n; k++) {
        if (r->pos >= r->avail) {
            r->short_read = 1;
            return v;
        }
        v |= (uint32_t)r->p[r->pos++] << (8 * k);
    }
    return v;
}

static uint32_t sext8(uint32_t v) { return (uint32_t)(int32_t)(int8_t)v; }
static uint32_t sext16(uint32_t v) { return (uint32_t)(int32_t)(int16_t)v; }

static void set_op(isa_operand_t *o, int kind, int size, int reg)
{
    o->kind = (uint8_t)kind;
    o->size = (uint8_t)size;
    o->reg = (uint8_t)reg;
}

/* ModRM r/m as an operand of `size` bytes (register when mod == 3). */
static void set_e(isa_insn_t *in, isa_operand_t *o, int size)
{
    if (in->mod == 3)
        set_op(o, OPK_REG, size, in->rm);
    else
        set_op(o, OPK_MEM, size, 0);
}

static void decode_modrm(reader_t *r, isa_insn_t *in)
{
    uint8_t m = (uint8_t)take(r, 1);
    in->has_modrm = 1;
    in->mod = m >> 6;
    in->reg = (m >> 3) & 7;
    in->rm = m & 7;
    in->base = in->index = ISA_NOREG;
    in->scale = 0;
    in->disp = 0;
    if (in->mod == 3)
        return;
    in->has_mem = 1;
    int dflt_ss = 0;
    if (in->adsize == 4) {
        if (in->rm == 4) {
            uint8_t sib = (uint8_t)take(r, 1);
            in->scale = sib >> 6;
            in->index = ((sib >> 3) & 7) == 4 ? ISA_NOREG : (sib >> 3) & 7;
            uint8_t b = sib & 7;
            if (b == 5 && in->mod == 0) {
                in->disp = take(r, 4);
            } else {
                in->base = b;
                dflt_ss = (b == ESP || b == EBP);
            }
        } else if (in->rm == 5 && in->mod == 0) {
            in->disp = take(r, 4);
        } else {
            in->base = in->rm;
            dflt_ss = (in->rm == EBP);
        }
        if (in->mod == 1)
            in->disp = sext8(take(r, 1));
        else if (in->mod == 2)
            in->disp = take(r, 4);
    } else {
        /* 16-bit addressing: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP, BX */
        static const uint8_t b16[8] = { EBX, EBX, EBP, EBP, ISA_NOREG, ISA_NOREG, EBP, EBX };
        static const uint8_t i16[8] = { ESI, EDI, ESI, EDI, ESI, EDI, ISA_NOREG, ISA_NOREG };
        if (in->mod == 0 && in->rm == 6) {
            in->disp = take(r, 2);
        } else {
            in->base = b16[in->rm];
            in->index = i16[in->rm];
            dflt_ss = (in->base == EBP);
        }
        if (in->mod == 1)
            in->disp = sext8(take(r, 1));
        else if (in->mod == 2)
            in->disp = sext16(take(r, 2));
    }
    if (in->seg_override == SEG_NONE)
        in->seg = dflt_ss ? SEG_SS : SEG_DS;
}

static uint8_t sreg_of_push_pop(int map, uint8_t op)
{
    if (map == 2)
        return op < 0xa8 ? SEG_FS : SEG_GS;
    return (uint8_t)((op >> 3) & 3);   /* 06/07 ES, 0E CS, 16/17 SS, 1E/1F DS */
}

int isa_decode(const uint8_t *bytes, size_t avail, int code32, isa_insn_t *in)
{
    if (!tables_ready)
        build_tables();
    memset(in, 0, sizeof *in);
    reader_t r = { bytes, avail < ISA_MAX_LEN ? avail : ISA_MAX_LEN, 0, 0 };
    int opsize = code32 ? 4 : 2, adsize = code32 ? 4 : 2;
    in->seg_override = SEG_NONE;
    in->seg = SEG_DS;
    in->row = ROW_INVALID;
    in->base = in->index = ISA_NOREG;

    uint8_t b;
    for (;;) {
        if (r.pos >= r.avail) {
            in->len = (uint8_t)r.pos;
            return r.pos >= ISA_MAX_LEN ? ISA_DECODE_TOOLONG : ISA_DECODE_UD;
        }
        b = bytes[r.pos++];
        switch (b) {
        case 0xf0: in->lock = 1; continue;
        case 0xf2: case 0xf3: in->rep = b; continue;
        case 0x26: in->seg_override = SEG_ES; continue;
        case 0x2e: in->seg_override = SEG_CS; continue;
        case 0x36: in->seg_override = SEG_SS; continue;
        case 0x3e: in->seg_override = SEG_DS; continue;
        case 0x64: in->seg_override = SEG_FS; continue;
        case 0x65: in->seg_override = SEG_GS; continue;
        case 0x66: in->opsize_prefix = 1; opsize = code32 ? 2 : 4; continue;
        case 0x67: in->adsize_prefix = 1; adsize = code32 ? 2 : 4; continue;
        }
        break;
    }
    in->opsize = (uint8_t)opsize;
    in->adsize = (uint8_t)adsize;
    if (in->seg_override != SEG_NONE)
        in->seg = in->seg_override;

    int map = 1;
    if (b == 0x0f) {
        map = 2;
        b = (uint8_t)take(&r, 1);
        if (b == 0x38) {
            map = 3;
            b = (uint8_t)take(&r, 1);
        }
    }
    in->opcode = b;
    if (map == 1 && b >= 0xd8 && b <= 0xdf) {
        /* x87: no FPU is modelled, but CR0.EM and TS still decide between
         * #NM and #UD (isa_execute); ModRM gives the length */
        in->x87 = 1;
        decode_modrm(&r, in);
        goto undefined;
    }
    uint16_t e = opmap[map - 1][b];
    if (e != ROW_INVALID && (e & GROUP)) {
        int g = e & ~GROUP;
        decode_modrm(&r, in);
        e = groups[g][in->reg];
        if (in->mod == 3 && group_exact[g] >= 0 && exact[group_exact[g]][in->rm][in->reg] != ROW_INVALID)
            e = exact[group_exact[g]][in->rm][in->reg];
    }
    e = pick_variant(in, e, code32);
    if (e == ROW_INVALID)
        goto undefined;
    in->row = e;
    const isa_row_info_t *ri = &isa_rows[e];
    int f = ri->form;
    if (!in->has_modrm && (f == F_RdCd || f == F_CdRd || f == F_RdDd || f == F_DdRd)) {
        /* MOV to/from CRn/DRn: mod is ignored, always a register: no SIB, no displacement */
        uint8_t mb = (uint8_t)take(&r, 1);
        in->has_modrm = 1;
        in->mod = 3;
        in->reg = (mb >> 3) & 7;
        in->rm = mb & 7;
    } else if (!in->has_modrm && form_has_modrm(f)) {
        decode_modrm(&r, in);
    }
    if (in->has_modrm && in->mod == 3 && form_memory_only(f))
        goto undefined;

    int v = in->opsize;   /* a mandatory 66 left it at the default */
    isa_operand_t *o = in->op;
    switch (f) {
    case F_NONE: break;
    case F_SEG: set_op(&o[0], OPK_NONE, v, sreg_of_push_pop(map, b)); break;
    case F_EbGb: set_e(in, &o[0], 1); set_op(&o[1], OPK_REG, 1, in->reg); break;
    case F_EvGv: set_e(in, &o[0], v); set_op(&o[1], OPK_REG, v, in->reg); break;
    case F_EwGw: set_e(in, &o[0], 2); set_op(&o[1], OPK_REG, 2, in->reg); break;
    case F_GbEb: set_op(&o[0], OPK_REG, 1, in->reg); set_e(in, &o[1], 1); break;
    case F_GvEv: set_op(&o[0], OPK_REG, v, in->reg); set_e(in, &o[1], v); break;
    case F_GvEb: set_op(&o[0], OPK_REG, v, in->reg); set_e(in, &o[1], 1); break;
    case F_GvEw: set_op(&o[0], OPK_REG, v, in->reg); set_e(in, &o[1], 2); break;
    case F_GvM:  set_op(&o[0], OPK_REG, v, in->reg); set_e(in, &o[1], v); break;
    case F_ALIb: set_op(&o[0], OPK_REG, 1, EAX); set_op(&o[1], OPK_IMM, 1, 0); in->imm = take(&r, 1); break;
    case F_AXIz: set_op(&o[0], OPK_REG, v, EAX); set_op(&o[1], OPK_IMM, v, 0); in->imm = take(&r, v); break;
    case F_AXIb: set_op(&o[0], OPK_REG, v, EAX); set_op(&o[1], OPK_IMM, 1, 0); in->imm = take(&r, 1); break;
    case F_IbAL: set_op(&o[0], OPK_IMM, 1, 0); set_op(&o[1], OPK_REG, 1, EAX); in->imm = take(&r, 1); break;
    case F_IbAX: set_op(&o[0], OPK_IMM, 1, 0); set_op(&o[1], OPK_REG, v, EAX); in->imm = take(&r, 1); break;
    case F_ALDX: set_op(&o[0], OPK_REG, 1, EAX); set_op(&o[1], OPK_REG, 2, EDX); break;
    case F_AXDX: set_op(&o[0], OPK_REG, v, EAX); set_op(&o[1], OPK_REG, 2, EDX); break;
    case F_DXAL: set_op(&o[0], OPK_REG, 2, EDX); set_op(&o[1], OPK_REG, 1, EAX); break;
    case F_DXAX: set_op(&o[0], OPK_REG, 2, EDX); set_op(&o[1], OPK_REG, v, EAX); break;
    case F_Zv:   set_op(&o[0], OPK_REG, v, b & 7); break;
    case F_AXZv: set_op(&o[0], OPK_REG, v, EAX); set_op(&o[1], OPK_REG, v, b & 7); break;
    case F_ZbIb: set_op(&o[0], OPK_REG, 1, b & 7); set_op(&o[1], OPK_IMM, 1, 0); in->imm = take(&r, 1); break;
    case F_ZvIv: set_op(&o[0], OPK_REG, v, b & 7); set_op(&o[1], OPK_IMM, v, 0); in->imm = take(&r, v); break;
    case F_Iz:   set_op(&o[0], OPK_IMM, v, 0); in->imm = take(&r, v); break;
    case F_Ib:   set_op(&o[0], OPK_IMM, 1, 0); in->imm = take(&r, 1); break;
    case F_Ibs:  set_op(&o[0], OPK_IMM, v, 0); in->imm = sext8(take(&r, 1)); break;
    case F_Iw:   set_op(&o[0], OPK_IMM, 2, 0); in->imm = take(&r, 2); break;
    case F_IwIb: in->imm = take(&r, 2); in->imm2 = take(&r, 1); break;
    case F_Jb:   in->imm = sext8(take(&r, 1)); break;
    case F_Jz:   in->imm = v == 4 ? take(&r, 4) : sext16(take(&r, 2)); break;
    case F_Ap:   in->imm = take(&r, v); in->imm2 = take(&r, 2); break;
    case F_GvEvIz:
        set_op(&o[0], OPK_REG, v, in->reg); set_e(in, &o[1], v);
        set_op(&o[2], OPK_IMM, v, 0); in->imm = take(&r, v); break;
    case F_GvEvIbs:
        set_op(&o[0], OPK_REG, v, in->reg); set_e(in, &o[1], v);
        set_op(&o[2], OPK_IMM, v, 0); in->imm = sext8(take(&r, 1)); break;
    case F_EbIb: set_e(in, &o[0], 1); set_op(&o[1], OPK_IMM, 1, 0); in->imm = take(&r, 1); break;
    case F_EvIz: set_e(in, &o[0], v); set_op(&o[1], OPK_IMM, v, 0); in->imm = take(&r, v); break;
    case F_EvIbs: set_e(in, &o[0], v); set_op(&o[1], OPK_IMM, v, 0); in->imm = sext8(take(&r, 1)); break;
    case F_EvIb: set_e(in, &o[0], v); set_op(&o[1], OPK_IMM, 1, 0); in->imm = take(&r, 1); break;
    case F_Eb1:  set_e(in, &o[0], 1); set_op(&o[1], OPK_IMM, 1, 0); in->imm = 1; break;
    case F_Ev1:  set_e(in, &o[0], v); set_op(&o[1], OPK_IMM, 1, 0); in->imm = 1; break;
    case F_EbCL: set_e(in, &o[0], 1); set_op(&o[1], OPK_REG, 1, ECX); break;
    case F_EvCL: set_e(in, &o[0], v); set_op(&o[1], OPK_REG, 1, ECX); break;
    case F_EvGvIb:
        set_e(in, &o[0], v); set_op(&o[1], OPK_REG, v, in->reg);
        set_op(&o[2], OPK_IMM, 1, 0); in->imm = take(&r, 1); break;
    case F_EvGvCL:
        set_e(in, &o[0], v); set_op(&o[1], OPK_REG, v, in->reg);
        set_op(&o[2], OPK_REG, 1, ECX); break;
    case F_Eb: set_e(in, &o[0], 1); break;
    case F_Ev: set_e(in, &o[0], v); break;
    case F_Ew: set_e(in, &o[0], 2); break;
    case F_M: case F_Mp: case F_Mq: set_e(in, &o[0], v); break;
    case F_EwSw:
        if (in->reg > 5) goto undefined;
        set_e(in, &o[0], in->mod == 3 ? v : 2); break;
    case F_SwEw:
        if (in->reg > 5 || in->reg == SEG_CS) goto undefined;
        set_e(in, &o[1], 2); break;
    case F_ALOb: case F_AXOv: case F_ObAL: case F_OvAX: {
        int sz = (f == F_ALOb || f == F_ObAL) ? 1 : v;
        in->has_mem = 1;
        in->disp = take(&r, adsize);
        int mem = (f == F_ObAL || f == F_OvAX) ? 0 : 1;
        set_op(&o[mem], OPK_MEM, sz, 0);
        set_op(&o[1 - mem], OPK_REG, sz, EAX);
        break;
    }
    case F_RdCd: case F_CdRd:
        /* MOV to/from CRn: mod is ignored, the operand is always a register */
        if (in->reg == 1 || in->reg > 4) goto undefined;
        in->has_mem = 0; in->mod = 3;
        set_op(&o[0], OPK_REG, 4, in->rm); break;
    case F_RdDd: case F_DdRd:
        in->has_mem = 0; in->mod = 3;
        set_op(&o[0], OPK_REG, 4, in->rm); break;
    case F_EdGd: set_e(in, &o[0], 4); set_op(&o[1], OPK_REG, 4, in->reg); break;
    case F_GdEd: set_op(&o[0], OPK_REG, 4, in->reg); set_e(in, &o[1], 4); break;
    case F_GdM:  set_op(&o[0], OPK_REG, 4, in->reg); set_e(in, &o[1], 4); break;
    }
    if (r.short_read)
        goto undefined;   /* the bytes ran out: not an instruction */
    in->len = (uint8_t)r.pos;
    /* LOCK only on read-modify-write instructions with a memory destination */
    if (in->lock && !((ri->flags & LK) && in->has_mem && in->op[0].kind == OPK_MEM))
        goto undefined;
    return ISA_DECODE_OK;

undefined:
    in->row = ROW_INVALID;
    in->len = (uint8_t)(r.pos ? r.pos : 1);
    /* running out of bytes at the 15-byte limit is #GP(0), whatever the
     * missing bytes would have said */
    return r.short_read && r.pos >= ISA_MAX_LEN ? ISA_DECODE_TOOLONG : ISA_DECODE_UD;
}

const char *isa_mnemonic(const isa_insn_t *in)
{
    static const char *const cc[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                        "s", "ns", "p", "np", "l", "ge", "le", "g" };
    static char names[3][16][8];
    if (in->row == ROW_INVALID)
        return "(bad)";
    int kind = -1;
    switch (in->row) {
    case ROW_JCC_Jb: case ROW_JCC_Jz: kind = 0; break;
    case ROW_SETCC: kind = 1; break;
    case ROW_CMOVCC: kind = 2; break;
    }
    if (kind < 0)
        return isa_rows[in->row].mnem;
    char *s = names[kind][in->opcode & 15];
    if (!s[0]) {
        static const char *const pre[3] = { "j", "set", "cmov" };
        strcpy(s, pre[kind]);
        strcat(s, cc[in->opcode & 15]);
    }
    return s;
}
