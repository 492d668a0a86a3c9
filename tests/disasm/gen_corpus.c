/* gen_corpus: writes a flat binary of IA-32 instructions (32-bit code) for
 * tests/disasm/compare.sh to disassemble with trapsim and with objdump.
 *
 *   gen_corpus [--list] OUT.bin
 *       every row of isa/insn.def at least once in every operand form it
 *       has: register and memory forms, 8/16/32-bit operands, every ModRM
 *       and SIB addressing mode (32- and 16-bit), immediates of both signs,
 *       every opcode of the "+r" and condition-code rows, and the prefixes
 *       that apply (66, 67, the six segment overrides, LOCK, REP/REPNE,
 *       branch hints, HLE hints). With --list, one line per instruction on
 *       stdout: offset, row name, bytes.
 *   gen_corpus --random N [--seed S] OUT.bin
 *       N random instructions (deterministic for a seed): a random row's
 *       opcode under random prefixes, then random ModRM/SIB/displacement/
 *       immediate bytes, cut to the length isa_decode() gives.
 *
 * The systematic corpus is built from the row's fields in isa_rows[] (map,
 * opcode, ModRM digit, form) and from the architecture, never from the
 * decoder, so a decoder that mis-measures or rejects one of them shows up
 * in the comparison. LOCK goes on the instructions the SDM allows it on
 * (not on the table's LK flags).
 *
 * Prefixes are written in the order GNU as writes them (segment, 67, 66,
 * REP, LOCK), which is the order trapsim's disassembler prints the ones
 * objdump cannot fold into the instruction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "isa/isa.h"

static uint8_t *out;
static size_t out_len, out_cap;
static int list;
static const char *cur_row;

static void emit(const uint8_t *b, size_t n)
{
    if (out_len + n > out_cap) {
        out_cap = out_cap ? out_cap * 2 : 1 << 16;
        out = realloc(out, out_cap);
        if (!out) {
            perror("realloc");
            exit(2);
        }
    }
    if (list) {
        printf("%06zx %-16s", out_len, cur_row);
        for (size_t k = 0; k < n; k++)
            printf(" %02x", b[k]);
        printf("\n");
    }
    memcpy(out + out_len, b, n);
    out_len += n;
}

/* ---- one instruction under construction ---- */
typedef struct enc {
    uint8_t b[32];
    int n;
} enc_t;

static void put(enc_t *e, uint32_t v, int bytes)
{
    for (int k = 0; k < bytes; k++)
        e->b[e->n++] = (uint8_t)(v >> (8 * k));
}

/* Prefix sets, each written in GNU as order. */
enum { P_SEG = 1, P_67 = 2, P_66 = 4, P_REP = 8, P_LOCK = 16 };
typedef struct pfx {
    int set;
    uint8_t seg;    /* 26 2e 36 3e 64 65 */
    uint8_t rep;    /* f3 f2 */
} pfx_t;

static void put_prefixes(enc_t *e, const pfx_t *p)
{
    if (p->set & P_SEG) put(e, p->seg, 1);
    if (p->set & P_67) put(e, 0x67, 1);
    if (p->set & P_66) put(e, 0x66, 1);
    if (p->set & P_REP) put(e, p->rep, 1);
    if (p->set & P_LOCK) put(e, 0xf0, 1);
}

/* ---- ModRM addressing modes ---- */
typedef struct amode {
    uint8_t mod, rm;
    int has_sib;
    uint8_t sib;
    int ndisp;
    uint32_t disp;
} amode_t;

/* 32-bit addressing: every mod/rm combination, SIB with and without base
 * and index, every scale, %eiz forms, displacements of both signs. */
static const amode_t mem32[] = {
    { 0, 0, 0, 0, 0, 0 }, { 0, 1, 0, 0, 0, 0 }, { 0, 2, 0, 0, 0, 0 },
    { 0, 3, 0, 0, 0, 0 }, { 0, 6, 0, 0, 0, 0 }, { 0, 7, 0, 0, 0, 0 },
    { 0, 5, 0, 0, 4, 0x12345678 }, { 0, 5, 0, 0, 4, 0xfffffffc },
    { 0, 5, 0, 0, 4, 0x00000010 },
    { 1, 0, 0, 0, 1, 0x08 }, { 1, 1, 0, 0, 1, 0x7f }, { 1, 2, 0, 0, 1, 0x80 },
    { 1, 3, 0, 0, 1, 0xfc }, { 1, 5, 0, 0, 1, 0xfc }, { 1, 5, 0, 0, 1, 0x00 },
    { 1, 6, 0, 0, 1, 0x10 }, { 1, 7, 0, 0, 1, 0xff },
    { 2, 0, 0, 0, 4, 0x12345678 }, { 2, 1, 0, 0, 4, 0xfffffff0 },
    { 2, 2, 0, 0, 4, 0x80000000 }, { 2, 3, 0, 0, 4, 0 }, { 2, 5, 0, 0, 4, 0x100 },
    { 2, 6, 0, 0, 4, 0x7fffffff }, { 2, 7, 0, 0, 4, 0xffff0000 },
    /* SIB: scale<<6 | index<<3 | base */
    { 0, 4, 1, 0x98, 0, 0 },                /* (%eax,%ebx,4) */
    { 0, 4, 1, 0x24, 0, 0 },                /* (%esp) */
    { 0, 4, 1, 0x2c, 0, 0 },                /* (%esp,%ebp,1) */
    { 0, 4, 1, 0x64, 0, 0 },                /* (%esp,%eiz,2) */
    { 0, 4, 1, 0x20, 0, 0 },                /* (%eax,%eiz,1) */
    { 0, 4, 1, 0xf7, 0, 0 },                /* (%edi,%esi,8) */
    { 0, 4, 1, 0x51, 0, 0 },                /* (%ecx,%edx,2) */
    { 0, 4, 1, 0x0a, 0, 0 },                /* (%edx,%ecx,1) */
    { 0, 4, 1, 0xc3, 0, 0 },                /* (%ebx,%eax,8) */
    { 0, 4, 1, 0x3e, 0, 0 },                /* (%esi,%edi,1) */
    { 0, 4, 1, 0x85, 4, 0 },                /* 0x0(,%eax,4) */
    { 0, 4, 1, 0x4d, 4, 0x1000 },           /* 0x1000(,%ecx,2) */
    { 0, 4, 1, 0xfd, 4, 0xfffffff8 },       /* -0x8(,%edi,8) */
    { 0, 4, 1, 0x25, 4, 0x12345678 },       /* 0x12345678(,%eiz,1) */
    { 0, 4, 1, 0x25, 4, 0 },                /* 0x0(,%eiz,1) */
    { 0, 4, 1, 0xe5, 4, 0x40 },             /* 0x40(,%eiz,8) */
    { 0, 4, 1, 0x35, 4, 0x40 },             /* 0x40(,%esi,1) */
    { 1, 4, 1, 0x24, 1, 0xfc },             /* -0x4(%esp) */
    { 1, 4, 1, 0x24, 1, 0x00 },             /* 0x0(%esp) */
    { 1, 4, 1, 0x26, 1, 0x00 },             /* 0x0(%esi,%eiz,1) */
    { 1, 4, 1, 0x45, 1, 0x10 },             /* 0x10(%ebp,%eax,2) */
    { 1, 4, 1, 0x9d, 1, 0x80 },             /* -0x80(%ebp,%ebx,4) */
    { 1, 4, 1, 0xe4, 1, 0x04 },             /* 0x4(%esp,%eiz,8) */
    { 2, 4, 1, 0x1c, 4, 0x12345678 },       /* (%esp,%ebx,1) */
    { 2, 4, 1, 0xcd, 4, 0xffffff00 },       /* (%ebp,%ecx,8) */
    { 2, 4, 1, 0x25, 4, 0x20 },             /* 0x20(%ebp,%eiz,1) */
};
#define N_MEM32 (int)(sizeof mem32 / sizeof mem32[0])

/* 16-bit addressing (under a 67 prefix): every rm with every mod. */
static const amode_t mem16[] = {
    { 0, 0, 0, 0, 0, 0 }, { 0, 1, 0, 0, 0, 0 }, { 0, 2, 0, 0, 0, 0 },
    { 0, 3, 0, 0, 0, 0 }, { 0, 4, 0, 0, 0, 0 }, { 0, 5, 0, 0, 0, 0 },
    { 0, 6, 0, 0, 2, 0x1234 }, { 0, 6, 0, 0, 2, 0xfffc }, { 0, 7, 0, 0, 0, 0 },
    { 1, 0, 0, 0, 1, 0x10 }, { 1, 1, 0, 0, 1, 0xf0 }, { 1, 2, 0, 0, 1, 0x7f },
    { 1, 3, 0, 0, 1, 0x80 }, { 1, 4, 0, 0, 1, 0x00 }, { 1, 5, 0, 0, 1, 0x01 },
    { 1, 6, 0, 0, 1, 0xfc }, { 1, 6, 0, 0, 1, 0x00 }, { 1, 7, 0, 0, 1, 0x20 },
    { 2, 0, 0, 0, 2, 0x1234 }, { 2, 1, 0, 0, 2, 0xfffe }, { 2, 2, 0, 0, 2, 0x8000 },
    { 2, 3, 0, 0, 2, 0x7fff }, { 2, 4, 0, 0, 2, 0 }, { 2, 5, 0, 0, 2, 0x100 },
    { 2, 6, 0, 0, 2, 0xff00 }, { 2, 7, 0, 0, 2, 0x0200 },
};
#define N_MEM16 (int)(sizeof mem16 / sizeof mem16[0])

static void put_modrm(enc_t *e, int reg, const amode_t *a)
{
    put(e, (uint32_t)(a->mod << 6 | (reg & 7) << 3 | a->rm), 1);
    if (a->has_sib)
        put(e, a->sib, 1);
    put(e, a->disp, a->ndisp);
}

/* ---- rows ---- */
static const isa_row_info_t *R;

/* Immediate sizes and the few values each takes. */
static const uint32_t imm8s[] = { 0x01, 0x7f, 0x80, 0xff, 0x12 };
static const uint32_t imm16s[] = { 0x1234, 0xfffe, 0x8000, 0x0001 };
static const uint32_t imm32s[] = { 0x12345678, 0xfffffff0, 0x80000000, 0x00000001 };

static uint32_t pick(const uint32_t *v, int n, int k) { return v[k % n]; }

/* The immediate bytes the form takes after ModRM, for operand size `v`. */
static void put_imm(enc_t *e, int form, int v, int k)
{
    switch (form) {
    case F_ALIb: case F_AXIb: case F_IbAL: case F_IbAX: case F_ZbIb:
    case F_Ib: case F_Ibs: case F_GvEvIbs: case F_EbIb: case F_EvIbs:
    case F_EvIb: case F_EvGvIb: case F_Jb:
        put(e, pick(imm8s, 5, k), 1);
        break;
    case F_AXIz: case F_ZvIv: case F_Iz: case F_GvEvIz: case F_EvIz: case F_Jz:
        if (v == 4)
            put(e, pick(imm32s, 4, k), 4);
        else
            put(e, pick(imm16s, 4, k), 2);
        break;
    case F_Iw:
        put(e, pick(imm16s, 4, k), 2);
        break;
    case F_IwIb:
        put(e, pick(imm16s, 4, k), 2);
        put(e, pick(imm8s, 5, k), 1);
        break;
    case F_Ap:
        if (v == 4)
            put(e, pick(imm32s, 4, k), 4);
        else
            put(e, pick(imm16s, 4, k), 2);
        put(e, (uint32_t)(0x08 + 8 * (k & 3)), 2);
        break;
    }
}

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
    }
    return 0;
}

static int form_memory_only(int f)
{
    return f == F_M || f == F_Mp || f == F_Mq || f == F_GvM || f == F_GdM;
}

/* Which ModRM.reg values are legal operands (for rows with digit < 0). */
static int reg_ok(int form, int reg)
{
    switch (form) {
    case F_EwSw: return reg <= 5;
    case F_SwEw: return reg <= 5 && reg != 1;            /* not CS */
    case F_RdCd: case F_CdRd: return reg == 0 || (reg >= 2 && reg <= 4);
    }
    return 1;
}

static int pick_reg(int form, int k)
{
    for (int t = 0; t < 8; t++) {
        int r = (k + t) & 7;
        if (reg_ok(form, r))
            return r;
    }
    return 0;
}

/* Valid encodings that objdump 2.40 reads as something else; left out of
 * the corpus (and listed in tests/disasm/README.md). */
static int objdump_reads_otherwise(const pfx_t *p)
{
    /* 66 0F 09: objdump's table has no entry for WBINVD under 66: "(bad)" */
    if (R->map == 2 && R->op == 0x09 && (p->set & P_66))
        return 1;
    return 0;
}

/* One instruction: prefixes, opcode (the row's opcode + `plus`), ModRM
 * (when `a` or `rm_reg` >= 0), immediates. */
static void one(const pfx_t *p, int plus, int reg, const amode_t *a, int rm_reg, int k)
{
    enc_t e = { .n = 0 };
    int v = (p->set & P_66) ? 2 : 4;
    if (objdump_reads_otherwise(p))
        return;
    put_prefixes(&e, p);
    if (R->flags & P66)            /* a mandatory prefix, after the others */
        put(&e, 0x66, 1);
    if (R->flags & PF3)
        put(&e, 0xf3, 1);
    if (R->map >= 2)
        put(&e, 0x0f, 1);
    if (R->map == 3)
        put(&e, 0x38, 1);
    put(&e, (uint8_t)(R->op + plus), 1);
    if (R->digit >= 0xc0) {        /* a whole ModRM byte: vmcall, vmlaunch... */
        put(&e, (uint32_t)R->digit, 1);
    } else if (form_has_modrm(R->form)) {
        if (R->digit >= 0)
            reg = R->digit;
        if (a)
            put_modrm(&e, reg, a);
        else
            put(&e, (uint32_t)(0xc0 | (reg & 7) << 3 | (rm_reg & 7)), 1);
    }
    if (R->form == F_ALOb || R->form == F_AXOv || R->form == F_ObAL || R->form == F_OvAX) {
        if (p->set & P_67)
            put(&e, pick(imm16s, 4, k), 2);
        else
            put(&e, pick(imm32s, 4, k), 4);
    }
    put_imm(&e, R->form, v, k);
    emit(e.b, (size_t)e.n);
}

static const uint8_t segs[6] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

/* Whether LOCK may prefix the row (with a memory destination): the SDM's
 * list, by mnemonic, independent of the table's LK flags so that a wrong
 * flag shows up. */
static int lockable(void)
{
    static const char *const ok[] = {
        "add", "or", "adc", "sbb", "and", "sub", "xor", "inc", "dec", "not",
        "neg", "bts", "btr", "btc", "xchg", "cmpxchg", "cmpxchg8b", "xadd",
    };
    int f = R->form;
    if (!(f == F_EbGb || f == F_EvGv || f == F_EbIb || f == F_EvIz || f == F_EvIbs ||
          f == F_EvIb || f == F_Eb || f == F_Ev || f == F_Mq))
        return 0;
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
        if (!strcmp(R->mnem, ok[k]))
            return 1;
    return 0;
}

/* Rows with a ModRM byte. */
static void gen_modrm_row(int plus)
{
    int f = R->form;
    pfx_t none = { 0, 0, 0 }, p66 = { P_66, 0, 0 }, p67 = { P_67, 0, 0 };
    pfx_t p6667 = { P_67 | P_66, 0, 0 };
    int k = 0;

    /* register forms: every r/m register, reg field varied, both sizes */
    if (!form_memory_only(f)) {
        for (int rm = 0; rm < 8; rm++) {
            one(&none, plus, pick_reg(f, 7 - rm), NULL, rm, k++);
            one(&p66, plus, pick_reg(f, rm + 3), NULL, rm, k++);
        }
        /* a register form under the other prefixes (an unused segment
         * prefix; 3E before an indirect branch is NOTRACK) */
        one(&p67, plus, pick_reg(f, 2), NULL, 3, k++);
        for (int s = 0; s < 3; s++) {
            pfx_t ps = { P_SEG, (uint8_t)(s == 0 ? 0x2e : s == 1 ? 0x3e : 0x64), 0 };
            one(&ps, plus, pick_reg(f, 1 + s), NULL, 6 - s, k++);
        }
        if (R->map == 1) {             /* repz/repnz; F2 on a branch is BND */
            pfx_t pr = { P_REP, 0, 0xf3 }, pn = { P_REP, 0, 0xf2 };
            one(&pr, plus, pick_reg(f, 5), NULL, 2, k++);
            one(&pn, plus, pick_reg(f, 4), NULL, 1, k++);
        }
    }
    /* MOV to/from CR/DR ignore mod: the CPU (and objdump) take the r/m
     * register and read no SIB or displacement */
    if (f == F_RdCd || f == F_CdRd || f == F_RdDd || f == F_DdRd) {
        static const amode_t nomem[3] = { { 0, 0, 0, 0, 0, 0 }, { 1, 4, 0, 0, 0, 0 },
                                          { 2, 5, 0, 0, 0, 0 } };
        for (int m = 0; m < 3; m++)
            one(&none, plus, pick_reg(f, m + 3), &nomem[m], 0, k++);
        return;
    }
    /* memory forms: every 32-bit addressing mode */
    for (int m = 0; m < N_MEM32; m++)
        one(&none, plus, pick_reg(f, m), &mem32[m], 0, k++);
    /* every 16-bit addressing mode */
    for (int m = 0; m < N_MEM16; m++)
        one(&p67, plus, pick_reg(f, m + 5), &mem16[m], 0, k++);
    /* operand size 16 */
    for (int m = 0; m < 6; m++)
        one(&p66, plus, pick_reg(f, m + 1), &mem32[m * 7 % N_MEM32], 0, k++);
    one(&p6667, plus, pick_reg(f, 2), &mem16[3], 0, k++);
    one(&p6667, plus, pick_reg(f, 6), &mem16[15], 0, k++);
    /* every segment override, with 32- and 16-bit addressing */
    for (int s = 0; s < 6; s++) {
        pfx_t ps = { P_SEG, segs[s], 0 };
        one(&ps, plus, pick_reg(f, s), &mem32[(s * 5) % N_MEM32], 0, k++);
        ps.set |= P_67;
        one(&ps, plus, pick_reg(f, s + 2), &mem16[(s * 3) % N_MEM16], 0, k++);
        ps.set |= P_66;
        one(&ps, plus, pick_reg(f, s + 4), &mem16[(s * 4 + 1) % N_MEM16], 0, k++);
    }
    /* REP/REPNE on a memory form: objdump names them repz/repnz, or the
     * HLE hints xacquire/xrelease on XCHG and MOV to memory */
    if (R->map == 1) {
        pfx_t pr = { P_REP, 0, 0xf3 }, pn = { P_REP, 0, 0xf2 };
        one(&pr, plus, pick_reg(f, 3), &mem32[3], 0, k++);
        one(&pn, plus, pick_reg(f, 4), &mem32[9], 0, k++);
    }
    /* LOCK on the instructions the SDM allows it on (memory destination) */
    if (lockable()) {
        pfx_t pl = { P_LOCK, 0, 0 };
        for (int m = 0; m < 4; m++)
            one(&pl, plus, pick_reg(f, m), &mem32[m * 9 % N_MEM32], 0, k++);
        pl.set |= P_66;
        one(&pl, plus, pick_reg(f, 3), &mem32[28], 0, k++);
        pl.set = P_LOCK | P_SEG;
        pl.seg = 0x64;
        one(&pl, plus, pick_reg(f, 5), &mem32[1], 0, k++);
        pl.set = P_LOCK | P_67;
        one(&pl, plus, pick_reg(f, 6), &mem16[2], 0, k++);
        pl.set = P_LOCK | P_REP;      /* xacquire lock / xrelease lock */
        pl.rep = 0xf2;
        one(&pl, plus, pick_reg(f, 2), &mem32[5], 0, k++);
        pl.rep = 0xf3;
        one(&pl, plus, pick_reg(f, 7), &mem32[30], 0, k++);
    }
}

/* Rows without ModRM. */
static void gen_plain_row(int plus)
{
    pfx_t none = { 0, 0, 0 }, p66 = { P_66, 0, 0 }, p67 = { P_67, 0, 0 };
    pfx_t p6667 = { P_67 | P_66, 0, 0 };
    int f = R->form, k = plus;
    for (int t = 0; t < 3; t++)
        one(&none, plus, 0, NULL, 0, k++);
    /* objdump reads 9B followed by prefixes as one "fwait" with prefixes */
    if (R->map == 1 && R->op == 0x9b)
        return;
    one(&p66, plus, 0, NULL, 0, k++);
    one(&p66, plus, 0, NULL, 0, k++);
    one(&p67, plus, 0, NULL, 0, k++);
    one(&p6667, plus, 0, NULL, 0, k++);
    /* segment overrides: moffs and string operands use them; elsewhere
     * objdump prints them as prefixes (and Jcc hints) */
    int nseg = (f == F_ALOb || f == F_AXOv || f == F_ObAL || f == F_OvAX ||
                (R->flags & SO) || R->op == 0xd7 || f == F_Jb || f == F_Jz) ? 6 : 2;
    for (int s = 0; s < nseg; s++) {
        pfx_t ps = { P_SEG, segs[(s * 5 + plus) % 6], 0 };
        if (nseg == 6)
            ps.seg = segs[s];
        one(&ps, plus, 0, NULL, 0, k++);
        if (nseg == 6) {
            ps.set |= P_67;
            one(&ps, plus, 0, NULL, 0, k++);
        }
    }
    if (R->map == 1) {
        /* REP / REPNE: string instructions (with every operand and address
         * size), PAUSE, "repz ret", "bnd jmp" and the unused cases */
        for (int t = 0; t < 2; t++) {
            pfx_t pr = { P_REP, 0, t ? 0xf2 : 0xf3 };
            one(&pr, plus, 0, NULL, 0, k++);
            if (R->flags & SO) {
                pr.set |= P_66;
                one(&pr, plus, 0, NULL, 0, k++);
                pr.set |= P_67;
                one(&pr, plus, 0, NULL, 0, k++);
                pr.set = P_REP | P_SEG | P_67;
                pr.seg = 0x64;
                one(&pr, plus, 0, NULL, 0, k++);
            }
        }
    }
}

/* The VMX rows: a mandatory prefix (66 0F C7 /6 is vmclear) or none
 * (NP), the 0F 38 map, a whole ModRM byte (0F 01 C1 is vmcall). Register
 * and memory forms as the form allows, every 32- and 16-bit addressing
 * mode and segment override; no 66 or F2/F3 beyond the mandatory one,
 * which would make another instruction or #UD. */
static int vmx_row(void)
{
    return R->map == 3 || R->digit >= 0xc0 || (R->flags & (NP | P66 | PF3));
}

static void gen_vmx_row(void)
{
    pfx_t none = { 0, 0, 0 }, p67 = { P_67, 0, 0 };
    int f = R->form, k = 0;
    if (!form_has_modrm(f)) {
        one(&none, 0, 0, NULL, 0, k++);
        return;
    }
    if (!form_memory_only(f))
        for (int rm = 0; rm < 8; rm++)
            one(&none, 0, pick_reg(f, 7 - rm), NULL, rm, k++);
    for (int m = 0; m < N_MEM32; m++)
        one(&none, 0, pick_reg(f, m), &mem32[m], 0, k++);
    for (int m = 0; m < N_MEM16; m++)
        one(&p67, 0, pick_reg(f, m + 5), &mem16[m], 0, k++);
    for (int s = 0; s < 6; s++) {
        pfx_t ps = { P_SEG, segs[s], 0 };
        one(&ps, 0, pick_reg(f, s), &mem32[(s * 5) % N_MEM32], 0, k++);
    }
}

/* ---- the random corpus ---- */

static uint32_t rng_state;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* `n` instructions, each a random row's opcode under up to three distinct
 * prefixes (GNU as order) followed by random bytes, cut to the length the
 * decoder gives; encodings the decoder rejects are dropped. objdump then
 * checks every length and text. Left out: what objdump reads otherwise
 * (F2/F3 on two-byte opcodes: TZCNT, POPCNT...; prefixes after FWAIT). */
static void gen_random(long n, uint32_t seed)
{
    static const uint8_t order[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x67, 0x66,
                                     0xf2, 0xf3, 0xf0 };
    static const int cls[] = { 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 4 };
    rng_state = seed;
    cur_row = "random";
    for (long made = 0; made < n;) {
        R = &isa_rows[rng() % ROW_COUNT];
        int used[5] = { 0 }, pick[sizeof order] = { 0 };
        int np = (int)(rng() % 4);
        for (int t = 0; t < np; t++) {
            int o = (int)(rng() % sizeof order);
            if (used[cls[o]])
                continue;
            if (R->map >= 2 && (order[o] == 0xf2 || order[o] == 0xf3))
                continue;
            used[cls[o]] = 1;
            pick[o] = 1;
        }
        if (R->map == 1 && R->op == 0x9b && np)
            continue;
        pfx_t p66 = { P_66, 0, 0 };
        if (pick[7] && objdump_reads_otherwise(&p66))
            continue;
        enc_t e = { .n = 0 };
        for (size_t o = 0; o < sizeof order; o++)
            if (pick[o])
                put(&e, order[o], 1);
        if (R->map >= 2)
            put(&e, 0x0f, 1);
        if (R->map == 3)
            put(&e, 0x38, 1);
        put(&e, (uint8_t)(R->op + rng() % R->nops), 1);
        for (int t = 0; t < 16; t++)
            put(&e, rng() & 0xff, 1);
        isa_insn_t in;
        if (isa_decode(e.b, (size_t)e.n, 1, &in) != ISA_DECODE_OK)
            continue;
        emit(e.b, in.len);
        made++;
    }
}

int main(int argc, char **argv)
{
    long nrandom = -1;
    uint32_t seed = 1;
    const char *path = NULL;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--list"))
            list = 1;
        else if (!strcmp(argv[a], "--random") && a + 1 < argc)
            nrandom = strtol(argv[++a], NULL, 0);
        else if (!strcmp(argv[a], "--seed") && a + 1 < argc)
            seed = (uint32_t)strtoul(argv[++a], NULL, 0);
        else
            path = argv[a];
    }
    if (!path) {
        fprintf(stderr, "usage: %s [--list] [--random N [--seed S]] OUT.bin\n", argv[0]);
        return 2;
    }
    if (nrandom >= 0) {
        gen_random(nrandom, seed);
    } else {
        for (int row = 0; row < ROW_COUNT; row++) {
            R = &isa_rows[row];
            cur_row = R->id;
            for (int plus = 0; plus < R->nops; plus++) {
                if (vmx_row())
                    gen_vmx_row();
                else if (form_has_modrm(R->form))
                    gen_modrm_row(plus);
                else
                    gen_plain_row(plus);
            }
        }
    }
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(out, 1, out_len, fp) != out_len || fclose(fp)) {
        perror(path);
        return 1;
    }
    free(out);
    return 0;
}
