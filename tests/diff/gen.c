/* Random instruction sequences for the differential test: at ring 3 on
 * the default machine (what the native reference runs), or, with
 * gen_opts_t.any_ring, at every CPL with random IOPL, IF, CR0/CR4 bits and
 * mostly the standard descriptor tables (app/raw_tables.h), plus the
 * classes only such machines have (IOPL, SYS, SEGLOAD, IRET).
 *
 * A case is a straight-line sequence of random instructions from every class
 * of the i686 integer ISA, with forward branches over small blocks, bounded
 * loops, call/ret patterns and ENTER/LEAVE frames, ending in int3 (or, now
 * and then, in an instruction that must fault at ring 3).  Everything is
 * derived from (seed, index) by a xoshiro256** generator, so a case is
 * replayed by its two numbers alone.
 *
 * Safety without simulation: the generator does not know register values.
 * Every instruction that touches memory is preceded by "setup" instructions
 * (mov reg, imm32) that load its base/index (or ESI/EDI/ECX, EBX for XLAT,
 * the bit offset for BT m,r) with values that make the access land inside
 * the data area (or the stack, or the LOW area for 16-bit addressing).  ESP
 * is only changed by stack instructions, so its value is known exactly; EBP
 * is known (and locked) inside ENTER/LEAVE frames; ECX is locked inside
 * LOOP bodies.
 *
 * Undefined flags: each instruction carries the arithmetic flags it surely
 * defines (kill), may leave undefined (gen) and reads (reads), taken from
 * the SDM (table in README.md).  Before an instruction that reads a flag the
 * generator may have left undefined, it inserts a "definer" (CMP, SAHF,
 * CLC/STC or PUSH/POPF), so that no undefined value ever reaches a register,
 * memory or the control flow.  After generation, gen_flow runs a dataflow
 * pass over the code (forward branches, loops, calls) to get, for every
 * instruction, the flags that may be undefined before it; the comparison
 * masks those at the instruction where the run stopped. */
#include <string.h>
#include <strings.h>
#include "app/raw_tables.h"
#include "tests/diff/diff.h"

/* ------------------------------------------------------------------ */
/* instruction classes (coverage report)                               */

#define CLASSES(X) \
    X(MOV) X(MOVX) X(LEA) X(XCHG) X(CMPXCHG) X(CMPXCHG8B) X(XADD) X(BSWAP) \
    X(ALU) X(TEST) X(INCDEC) X(NEGNOT) X(MUL) X(IMUL) X(DIV) X(SHIFT)     \
    X(SHXD) X(BT) X(BSF) X(SETCC) X(CMOV) X(JCC) X(JMP) X(CONV) X(PUSHPOP) \
    X(PUSHA) X(ENTER) X(CALL) X(LOOP) X(STRING) X(FLAGOP) X(XLAT) X(BCD)  \
    X(BOUND) X(INTO) X(NOP) X(PUSHF) X(ARPL) X(PRIV) X(INTN) X(UD)        \
    X(A16) X(LOCK) X(SEG) X(PREFIX) X(TOOLONG) X(TF) X(SELTEST) X(SREG)    \
    X(SREGFAULT) X(CPUID) X(IOPL) X(SYS) X(SEGLOAD) X(IRET)

enum {
#define X(n) C_##n,
    CLASSES(X)
#undef X
    C_COUNT
};
static const char *const class_names[] = {
#define X(n) #n,
    CLASSES(X)
#undef X
};
int gen_nclasses(void) { return C_COUNT; }
/* Classes generated only at every ring (gen_opts_t.any_ring): a ring-3
 * run cannot cover them, so its coverage line leaves them out. */
int gen_class_any_ring_only(int cls)
{
    return cls == C_IOPL || cls == C_SYS || cls == C_SEGLOAD || cls == C_IRET;
}
const char *gen_class_name(int cls) { return cls >= 0 && cls < C_COUNT ? class_names[cls] : "?"; }
int gen_class_by_name(const char *name)
{
    for (int k = 0; k < C_COUNT; k++)
        if (!strcasecmp(name, class_names[k]))
            return k;
    return -1;
}

const char *const reg_names[NREGS] = { "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp" };

/* ModRM register numbers */
enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

#define ALL6 F_ARITH

/* ------------------------------------------------------------------ */
/* generator state                                                     */

typedef struct g {
    const gen_opts_t *o;
    dcase_t *c;
    uint64_t rs[4];
    uint32_t pos;           /* code cursor */
    uint32_t limit;         /* the current block may not go past this offset */
    uint32_t U;             /* flags that may be undefined now (conservative) */
    uint8_t locked;         /* registers nobody may write (bit per ModRM number) */
    uint8_t pinned;         /* registers setups may not write (hold addresses) */
    uint8_t avoid;          /* registers a memory operand may not use (the
                               instruction's own setups are about to write them) */
    uint32_t esp;           /* ESP, always known */
    int df;                 /* DF: 0, 1, or -1 unknown */
    int df_mods;            /* count of instructions that changed DF */
    int no_stack;           /* > 0: inside a conditional/loop body */
    int depth;              /* block nesting */
    int ebp_known;          /* EBP locked with a known value (ENTER frame) */
    int in_call;            /* inside a called body: no stack-area operands */
    uint32_t ebp;
    int full;
    int io_ok;              /* CLI/STI/IN/OUT allowed: CPL 0, or CPL <= IOPL
                               (outside ring 0 nothing changes IOPL) */
} g_t;

/* xoshiro256** */
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t rnext(g_t *g)
{
    uint64_t *s = g->rs;
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t r32(g_t *g) { return (uint32_t)(rnext(g) >> 32); }
static uint32_t rn(g_t *g, uint32_t n) { return (uint32_t)(((rnext(g) >> 32) * (uint64_t)n) >> 32); }
static int chance(g_t *g, int pct) { return rn(g, 100) < (uint32_t)pct; }
static int32_t rrange(g_t *g, int32_t lo, int32_t hi) /* inclusive */
{
    return lo + (int32_t)rn(g, (uint32_t)(hi - lo + 1));
}

/* "Interesting" 32-bit values. */
static uint32_t rval(g_t *g)
{
    static const uint32_t edge[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
        0x7fffffff, 0x80000000u, 0x80000001u, 0xfffffffeu, 0xffffffffu,
        0x0f, 0x10, 0x99, 0x09, 0x0a, 0xf0, 0x1f, 0x20, 0x21, 0x3f, 0x40,
    };
    switch (rn(g, 12)) {
    case 0: return edge[rn(g, sizeof edge / sizeof edge[0])];
    case 1: return rn(g, 16);
    case 2: return (uint32_t)-(int32_t)rn(g, 16);
    case 3: return 1u << rn(g, 32);
    case 4: return (1u << rn(g, 32)) - 1;
    case 5: return rn(g, 256);
    case 6: return r32(g) & 0xffff;
    case 7: return (r32(g) & 0xffffff00u) | edge[rn(g, sizeof edge / sizeof edge[0])];
    default: return r32(g);
    }
}

/* ------------------------------------------------------------------ */
/* emission                                                            */

static void e8(g_t *g, uint32_t x)
{
    if (g->pos < CODE_MAX)
        g->c->code[g->pos++] = (uint8_t)x;
    else
        g->full = 1;
}
static void e16(g_t *g, uint32_t x) { e8(g, x); e8(g, x >> 8); }
static void e32(g_t *g, uint32_t x) { e16(g, x); e16(g, x >> 16); }
static void eimm(g_t *g, int size, uint32_t x)
{
    if (size == 1) e8(g, x);
    else if (size == 2) e16(g, x);
    else e32(g, x);
}
static void patch32(g_t *g, uint32_t at, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        g->c->code[at + i] = (uint8_t)(x >> (8 * i));
}

static dinsn_t scratch_insn;
static dinsn_t *ib(g_t *g, const char *what)
{
    dcase_t *c = g->c;
    dinsn_t *in = c->ninsns < MAX_INSNS ? &c->insns[c->ninsns++] : &scratch_insn;
    if (in == &scratch_insn)
        g->full = 1;
    memset(in, 0, sizeof *in);
    in->off = (uint16_t)g->pos;
    in->succ[0] = in->succ[1] = -1;
    in->what = what;
    return in;
}
static void ie(g_t *g, dinsn_t *in, uint32_t kill, uint32_t gen, uint32_t reads)
{
    in->len = (uint16_t)(g->pos - in->off);
    in->kill = kill;
    in->gen = gen;
    in->reads = reads;
    g->U = (g->U & ~kill) | gen;
}
static void cls(g_t *g, int k) { g->c->classes[k / 32] |= 1u << (k % 32); }
static int skipped(const g_t *g, int k) { return (g->o->skip[k / 32] >> (k % 32)) & 1; }

/* room for one more instruction group (setups + definer + instruction) */
static int room(g_t *g, uint32_t n)
{
    return !g->full && g->pos + n <= g->limit && g->c->ninsns + 24 < MAX_INSNS;
}

/* ------------------------------------------------------------------ */
/* registers                                                           */

static int writable(g_t *g, int r) { return r != ESP && !(g->locked & (1u << r)); }
static int setupable(g_t *g, int r) { return writable(g, r) && !(g->pinned & (1u << r)); }
static int addr_ok(g_t *g, int r) { return setupable(g, r) && !(g->avoid & (1u << r)); }

static int pick_from(g_t *g, unsigned mask)
{
    int cand[8], n = 0;
    for (int r = 0; r < 8; r++)
        if (mask & (1u << r))
            cand[n++] = r;
    return n ? cand[rn(g, (uint32_t)n)] : -1;
}
static unsigned writable_mask(g_t *g)
{
    unsigned m = 0;
    for (int r = 0; r < 8; r++)
        if (writable(g, r))
            m |= 1u << r;
    return m;
}
static unsigned setup_mask(g_t *g)
{
    unsigned m = 0;
    for (int r = 0; r < 8; r++)
        if (setupable(g, r))
            m |= 1u << r;
    return m;
}
/* a register of `size` bytes the instruction may write; for size 1 a byte
 * register number (0-3 AL..BL, 4-7 AH..BH) */
static int pick_wreg(g_t *g, int size)
{
    if (size == 1) {
        int cand[8], n = 0;
        for (int b = 0; b < 8; b++)
            if (writable(g, b & 3))
                cand[n++] = b;
        return n ? cand[rn(g, (uint32_t)n)] : -1;
    }
    return pick_from(g, writable_mask(g));
}
static int pick_rreg(g_t *g) { return (int)rn(g, 8); }
static int reg_of(int size, int r) { return size == 1 ? (r & 3) : r; }

/* mov r32, imm32 (a setup instruction: no flags) */
static void setreg(g_t *g, int r, uint32_t v)
{
    dinsn_t *in = ib(g, "setup");
    switch (rn(g, 8)) {
    case 0: e8(g, 0xc7); e8(g, 0xc0 | r); e32(g, v); break;
    case 1: e8(g, 0x8d); e8(g, 0x05 | r << 3); e32(g, v); break; /* lea r,[v] */
    default: e8(g, 0xb8 + r); e32(g, v); break;
    }
    ie(g, in, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* flags                                                               */

static uint32_t cc_reads(int cc)
{
    static const uint32_t t[8] = {
        F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF, F_ZF | F_SF | F_OF
    };
    return t[(cc >> 1) & 7];
}

static int can_push(g_t *g, uint32_t n) { return !g->no_stack && g->esp - n >= STACK_LO + 256; }
static int can_pop(g_t *g, uint32_t n) { return !g->no_stack && g->esp + n <= STACK_TOP; }

static uint32_t popf_value(g_t *g)
{
    /* random arithmetic flags, IF/IOPL/NT/reserved bits (ring 3 with
     * IOPL 0: IF and IOPL must be kept, the reserved bits ignored), but never
     * TF, AC (would trap natively), ID (masked), VIP/VIF. DF as known. */
    uint32_t v = r32(g) & (F_ARITH | F_IF | F_IOPL | F_NT | 0x802a | F_RF | F_VM);
    if (g->df == 1)
        v |= F_DF;
    return v;
}

/* Makes the flags in `need` defined, without writing any register and
 * without making any flag of `reads` undefined. */
static void define_flags(g_t *g, uint32_t need, uint32_t reads)
{
    int k = (int)rn(g, 10);
    dinsn_t *in;
    if (!(need & ~F_CF) && k < 2) {
        in = ib(g, "definer");
        e8(g, chance(g, 50) ? 0xf8 : 0xf9);       /* clc / stc */
        ie(g, in, F_CF, 0, 0);
    } else if (!(need & F_OF) && k == 2) {
        in = ib(g, "definer");
        e8(g, 0x9e);                             /* sahf */
        ie(g, in, F_SF | F_ZF | F_AF | F_PF | F_CF, 0, 0);
    } else if (!(reads & F_AF) && k == 3) {
        in = ib(g, "definer");
        e8(g, 0x85); e8(g, 0xc0 | rn(g, 64));      /* test r32, r32 */
        ie(g, in, ALL6 & ~F_AF, F_AF, 0);
    } else if (k == 4 && g->df >= 0 && can_push(g, 4)) {
        in = ib(g, "definer");
        e8(g, 0x68); e32(g, popf_value(g));        /* push imm32 */
        ie(g, in, 0, 0, 0);
        in = ib(g, "definer");
        e8(g, 0x9d);                             /* popf */
        ie(g, in, ALL6, 0, 0);
    } else {
        in = ib(g, "definer");
        switch (rn(g, 5)) {
        case 0: e8(g, 0x39); e8(g, 0xc0 | rn(g, 64)); break;              /* cmp r32,r32 */
        case 1: e8(g, 0x3d); e32(g, rval(g)); break;                      /* cmp eax,imm */
        case 2: e8(g, 0x81); e8(g, 0xf8 | rn(g, 8)); e32(g, rval(g)); break;
        case 3: e8(g, 0x83); e8(g, 0xf8 | rn(g, 8)); e8(g, rval(g)); break;
        default: e8(g, 0x38); e8(g, 0xc0 | rn(g, 64)); break;             /* cmp r8,r8 */
        }
        ie(g, in, ALL6, 0, 0);
    }
}
static void need_flags(g_t *g, uint32_t reads)
{
    if (reads & g->U)
        define_flags(g, reads & g->U, reads);
}

/* ------------------------------------------------------------------ */
/* operands                                                            */

typedef struct opnd {
    int mem;
    int reg;                /* register form: register (byte number for size 1) */
    int a16;                /* 16-bit addressing (0x67) */
    int mod, rm, has_sib, sib, dsize;
    uint32_t disp;
    int seg;                /* segment override prefix byte, or 0 */
    uint32_t ea;            /* linear address of the access */
    uint32_t alo, ahi;      /* the area it lies in: [alo, ahi) */
} opnd_t;

enum { ACC_R = 1, ACC_W = 2, ACC_RW = 3 };
enum { MO_NO16 = 1, MO_NOSEG = 2 };

static uint32_t inv_odd(uint32_t a)  /* inverse of an odd number mod 2^32 */
{
    uint32_t x = a;
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

/* a target address in the data area: often at its edges or aligned */
static void pick_data(g_t *g, int size, opnd_t *o)
{
    o->alo = DATA_BASE;
    o->ahi = DATA_BASE + DATA_SIZE;
    uint32_t span = DATA_SIZE - (uint32_t)size;
    switch (rn(g, 8)) {
    case 0: o->ea = o->alo; break;
    case 1: o->ea = o->alo + span; break;
    case 2: o->ea = o->alo + (rn(g, span + 1) & ~3u); break;
    default: o->ea = o->alo + rn(g, span + 1); break;
    }
}

static uint32_t rdisp(g_t *g, int dsize)
{
    if (dsize == 1)
        return (uint32_t)(int32_t)(int8_t)r32(g);
    switch (rn(g, 4)) {
    case 0: return (uint32_t)(int32_t)(int16_t)r32(g);
    case 1: return rn(g, 0x1000);
    default: return r32(g);
    }
}

static int seg_prefix(g_t *g, int acc, unsigned mo)
{
    if ((mo & MO_NOSEG) || skipped(g, C_SEG) || !chance(g, 15))
        return 0;
    static const uint8_t segs[] = { 0x26, 0x36, 0x3e, 0x2e };
    int n = (acc & ACC_W) ? 3 : 4;   /* CS is not writable */
    cls(g, C_SEG);
    return segs[rn(g, (uint32_t)n)];
}

/* 16-bit addressing into the LOW area. */
static int mem16(g_t *g, int size, opnd_t *o)
{
    static const int regs_of[8][2] = {
        { EBX, ESI }, { EBX, EDI }, { EBP, ESI }, { EBP, EDI },
        { ESI, -1 }, { EDI, -1 }, { EBP, -1 }, { EBX, -1 } };
    o->a16 = 1;
    o->alo = LOW_BASE;
    o->ahi = LOW_BASE + LOW_SIZE;
    o->ea = o->alo + rn(g, LOW_SIZE - (uint32_t)size + 1);
    for (int tries = 0; tries < 8; tries++) {
        int rm = (int)rn(g, 8), mod = (int)rn(g, 3);
        if (mod == 0 && rm == 6) {
            o->mod = 0; o->rm = 6; o->dsize = 2; o->disp = o->ea;
            g->c->uses_low = 1;
            return 0;
        }
        int a = regs_of[rm][0], b = regs_of[rm][1];
        if (!addr_ok(g, a) || (b >= 0 && !addr_ok(g, b)))
            continue;
        o->mod = mod; o->rm = rm;
        o->dsize = mod == 1 ? 1 : mod == 2 ? 2 : 0;
        uint32_t d = mod == 1 ? (uint32_t)(int32_t)(int8_t)r32(g) : mod == 2 ? r32(g) & 0xffff : 0;
        o->disp = d;
        uint32_t av = rval(g), bv = 0;
        if (b >= 0) {
            bv = (r32(g) & 0xffff0000u) | ((o->ea - av - d) & 0xffff);
        } else {
            av = (av & 0xffff0000u) | ((o->ea - d) & 0xffff);
        }
        setreg(g, a, av);
        if (b >= 0)
            setreg(g, b, bv);
        g->pinned |= (uint8_t)(1u << a);
        if (b >= 0)
            g->pinned |= (uint8_t)(1u << b);
        g->c->uses_low = 1;
        return 0;
    }
    o->mod = 0; o->rm = 6; o->dsize = 2; o->disp = o->ea;
    g->c->uses_low = 1;
    return 0;
}

/* A memory operand of `size` bytes inside an area; emits the setups that
 * load its base/index registers and pins them. */
static void mem_operand(g_t *g, int size, int acc, unsigned mo, opnd_t *o)
{
    memset(o, 0, sizeof *o);
    o->mem = 1;
    o->seg = seg_prefix(g, acc, mo);
    if (g->o->low_ok && !(mo & MO_NO16) && !skipped(g, C_A16) && chance(g, 8)) {
        cls(g, C_A16);
        mem16(g, size, o);
        return;
    }
    unsigned avail = setup_mask(g) & ~(unsigned)g->avoid;
    int form = (int)rn(g, 11);
    int base = -1, index = -1, scale = 0;
    uint32_t basev = 0;
    int stack_base = 0;
    if (g->in_call && form >= 9)             /* keep off the return address */
        form = (int)rn(g, 9);
    if (form == 9 || form == 10) {           /* ESP (or known EBP) as base */
        if (form == 10 && g->ebp_known) {
            base = EBP; basev = g->ebp;
        } else {
            base = ESP; basev = g->esp;
        }
        stack_base = 1;
        if (chance(g, 50))
            index = pick_from(g, avail & ~(1u << ESP));
    } else if (form != 0) {
        base = form == 8 ? -1 : pick_from(g, avail);
        if (form >= 4) {
            unsigned im = avail & ~(1u << ESP);
            if (chance(g, 15) && base >= 0)
                index = base;          /* [r + r*s] */
            else
                index = pick_from(g, im);
            if (form == 8 && index < 0)
                base = -1;
        }
        if (base < 0 && form != 8)
            form = 0;
    }
    if (stack_base) {
        /* somewhere between 256 bytes below the base and the stack top */
        uint32_t lo = basev < STACK_LO + 256 ? STACK_LO : basev - 256;
        o->alo = lo;
        o->ahi = STACK_TOP;
        o->ea = lo + rn(g, STACK_TOP - lo - (uint32_t)size + 1);
    } else {
        pick_data(g, size, o);
    }
    if (index >= 0 || form == 8)
        scale = (int)rn(g, 4);
    uint32_t s = 1u << scale;

    if (form == 0) {                          /* [disp32] */
        o->mod = 0; o->rm = 5; o->dsize = 4; o->disp = o->ea;
        if (chance(g, 20)) {                  /* same through SIB, no base no index */
            o->rm = 4; o->has_sib = 1; o->sib = (int)(rn(g, 4) << 6 | 4 << 3 | 5);
        }
        return;
    }
    int dsize;
    if (form == 8) {                          /* [index*s + disp32] */
        if (index < 0) {
            o->mod = 0; o->rm = 5; o->dsize = 4; o->disp = o->ea;
            return;
        }
        dsize = 4;
    } else {
        int m = (int)rn(g, 3);
        dsize = m == 0 ? 0 : m == 1 ? 1 : 4;
        if (dsize == 0 && base == EBP)
            dsize = 1;                        /* mod 00 with EBP means disp32 */
    }
    uint32_t d = dsize ? rdisp(g, dsize) : 0;
    uint32_t idxv = 0;
    if (index >= 0 && index == base) {        /* v*(1+s) = ea - d (mod 2^32) */
        uint32_t k = 1 + s, v;
        if (k & 1) {
            v = (o->ea - d) * inv_odd(k);
        } else {                              /* s == 1: ea - d must be even */
            if ((o->ea - d) & 1)
                o->ea += o->ea > o->alo ? (uint32_t)-1 : 1;
            v = ((o->ea - d) >> 1) | (chance(g, 50) ? 0x80000000u : 0);
        }
        basev = idxv = v;
    } else if (stack_base) {                  /* base value known: solve for the rest */
        if (index >= 0) {
            uint32_t rem = (o->ea - basev - d) & (s - 1);
            if (rem) {
                o->ea -= rem;
                if (o->ea < o->alo)
                    o->ea += s;
            }
            idxv = ((o->ea - basev - d) >> scale) | (scale ? rn(g, s) << (32 - scale) : 0);
        } else if (dsize == 0) {
            o->ea = basev;
            if (o->ea + (uint32_t)size > STACK_TOP) {
                dsize = 1;
                d = (uint32_t)-(int32_t)size;
                o->ea = basev + d;
            }
        } else {
            d = o->ea - basev;
            if (dsize == 1 && (int32_t)d != (int8_t)d)
                dsize = 4;
        }
    } else {
        if (index >= 0)
            idxv = chance(g, 50) ? rval(g) : rn(g, 64);
        if (form == 8)
            d = o->ea - idxv * s;
        else
            basev = o->ea - d - idxv * s;
    }
    o->disp = d;
    o->dsize = dsize;
    o->mod = dsize == 0 ? 0 : dsize == 1 ? 1 : 2;
    if (form == 8) {
        o->mod = 0; o->rm = 4; o->has_sib = 1;
        o->sib = scale << 6 | index << 3 | 5;
    } else if (index >= 0 || base == ESP || chance(g, 10)) {
        o->rm = 4; o->has_sib = 1;
        int ix = index >= 0 ? index : 4;
        int sc = index >= 0 ? scale : (int)rn(g, 4);   /* no index: scale ignored */
        o->sib = sc << 6 | ix << 3 | base;
    } else {
        o->rm = base;
    }
    if (base >= 0 && base != ESP && !(stack_base && base == EBP))
        setreg(g, base, basev);
    if (index >= 0 && index != base)
        setreg(g, index, idxv);
    if (base >= 0 && base != ESP)
        g->pinned |= (uint8_t)(1u << base);
    if (index >= 0)
        g->pinned |= (uint8_t)(1u << index);
}

/* A random address form with no setup, for LEA and NOP r/m (no access). */
static void rand_addr(g_t *g, opnd_t *o, int allow16)
{
    memset(o, 0, sizeof *o);
    o->mem = 1;
    if (allow16 && !skipped(g, C_A16) && chance(g, 25)) {
        o->a16 = 1;
        o->mod = (int)rn(g, 3);
        o->rm = (int)rn(g, 8);
        o->dsize = o->mod == 1 ? 1 : o->mod == 2 || (o->mod == 0 && o->rm == 6) ? 2 : 0;
        o->disp = r32(g);
        cls(g, C_A16);
        return;
    }
    o->mod = (int)rn(g, 3);
    o->rm = (int)rn(g, 8);
    if (o->rm == 4) {
        o->has_sib = 1;
        o->sib = (int)rn(g, 256);
    }
    o->dsize = o->mod == 1 ? 1 : o->mod == 2 ? 4 : 0;
    if (o->mod == 0 && (o->rm == 5 || (o->has_sib && (o->sib & 7) == 5)))
        o->dsize = 4;
    o->disp = chance(g, 50) ? rval(g) : r32(g);
}

static void reg_operand(opnd_t *o, int r)
{
    memset(o, 0, sizeof *o);
    o->reg = r;
}

/* r/m operand: a register (`wr`: must be writable) or memory */
static int rm_operand(g_t *g, int size, int acc, int mem_pct, opnd_t *o)
{
    if (chance(g, mem_pct)) {
        mem_operand(g, size, acc, 0, o);
        return 0;
    }
    int r = (acc & ACC_W) ? pick_wreg(g, size) : (size == 1 ? (int)rn(g, 8) : pick_rreg(g));
    if (r < 0) {
        mem_operand(g, size, acc, 0, o);
        return 0;
    }
    reg_operand(o, r);
    return 0;
}

static void emit_modrm(g_t *g, int regf, const opnd_t *o)
{
    if (!o->mem) {
        e8(g, 0xc0 | (regf & 7) << 3 | o->reg);
        return;
    }
    e8(g, o->mod << 6 | (regf & 7) << 3 | o->rm);
    if (o->has_sib)
        e8(g, o->sib);
    if (o->dsize)
        eimm(g, o->dsize, o->disp);
}

/* prefixes in random order */
typedef struct pfx { uint8_t b[6]; int n; } pfx_t;
static void pfx_emit(g_t *g, pfx_t *p)
{
    for (int i = p->n - 1; i > 0; i--) {
        int j = (int)rn(g, (uint32_t)i + 1);
        uint8_t t = p->b[i]; p->b[i] = p->b[j]; p->b[j] = t;
    }
    for (int i = 0; i < p->n; i++)
        e8(g, p->b[i]);
}
/* operand-size prefix for `size`, plus the operand's prefixes, plus lock */
static void pre(g_t *g, int size, const opnd_t *o, int lock)
{
    pfx_t p = { .n = 0 };
    if (size == 2) p.b[p.n++] = 0x66;
    if (o && o->mem && o->a16) p.b[p.n++] = 0x67;
    if (o && o->mem && o->seg) p.b[p.n++] = (uint8_t)o->seg;
    if (lock) { p.b[p.n++] = 0xf0; cls(g, C_LOCK); }
    /* now and then a redundant prefix: a repeated one, or a segment
     * override on an instruction without a memory operand (never two
     * different prefixes of one group: the SDM leaves that undefined).
     * At most 4 prefixes: the longest instruction here is then 15 bytes. */
    if (p.n <= 3 && !skipped(g, C_PREFIX) && chance(g, 5)) {
        if (p.n && chance(g, 60))
            p.b[p.n] = p.b[rn(g, (uint32_t)p.n)], p.n++;
        else if (!o || !o->mem)
            p.b[p.n++] = (uint8_t)(0x26 + 8 * rn(g, 4));
        cls(g, C_PREFIX);
    }
    pfx_emit(g, &p);
}
static int lock_maybe(g_t *g, const opnd_t *o) { return o->mem && !skipped(g, C_LOCK) && chance(g, 12); }
static void unpin(g_t *g) { g->pinned = 0; }

static int pick_size(g_t *g) { int k = (int)rn(g, 4); return k == 0 ? 1 : k == 1 ? 2 : 4; }
static int pick_size16_32(g_t *g) { return chance(g, 35) ? 2 : 4; }
static uint32_t size_mask(int size) { return size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffu; }

/* ------------------------------------------------------------------ */
/* instruction classes: each returns 1 if it emitted something         */

static int gen_one(g_t *g);
static void gen_block(g_t *g, int n);

static int c_mov(g_t *g)
{
    int size = pick_size(g), w = size == 1 ? 0 : 1;
    opnd_t o;
    dinsn_t *in;
    switch (rn(g, 6)) {
    case 0: {                                  /* mov r/m, r */
        rm_operand(g, size, ACC_W, 50, &o);
        int r = size == 1 ? (int)rn(g, 8) : pick_rreg(g);
        in = ib(g, "mov r/m,r"); pre(g, size, &o, 0); e8(g, 0x88 | w); emit_modrm(g, r, &o);
        break;
    }
    case 1: {                                  /* mov r, r/m */
        int r = pick_wreg(g, size);
        if (r < 0) return 0;
        rm_operand(g, size, ACC_R, 50, &o);
        in = ib(g, "mov r,r/m"); pre(g, size, &o, 0); e8(g, 0x8a | w); emit_modrm(g, r, &o);
        break;
    }
    case 2: {                                  /* mov r, imm */
        int r = pick_wreg(g, size);
        if (r < 0) return 0;
        in = ib(g, "mov r,imm"); pre(g, size, 0, 0);
        e8(g, (size == 1 ? 0xb0 : 0xb8) + r); eimm(g, size, rval(g));
        break;
    }
    case 3: {                                  /* mov r/m, imm */
        rm_operand(g, size, ACC_W, 70, &o);
        in = ib(g, "mov r/m,imm"); pre(g, size, &o, 0); e8(g, 0xc6 | w); emit_modrm(g, 0, &o);
        eimm(g, size, rval(g));
        break;
    }
    default: {                                 /* moffs forms A0-A3 */
        int store = chance(g, 50);
        if (!store && !writable(g, EAX)) return 0;
        memset(&o, 0, sizeof o);
        o.mem = 1;
        o.seg = seg_prefix(g, store ? ACC_W : ACC_R, 0);
        if (g->o->low_ok && !skipped(g, C_A16) && chance(g, 15)) {
            o.a16 = 1;
            o.ea = LOW_BASE + rn(g, LOW_SIZE - (uint32_t)size + 1);
            g->c->uses_low = 1;
            cls(g, C_A16);
        } else {
            pick_data(g, size, &o);
        }
        in = ib(g, "mov moffs"); pre(g, size, &o, 0);
        e8(g, 0xa0 | (store ? 2 : 0) | w);
        eimm(g, o.a16 ? 2 : 4, o.ea);
        break;
    }
    }
    ie(g, in, 0, 0, 0);
    unpin(g);
    cls(g, C_MOV);
    return 1;
}

static int c_movx(g_t *g)
{
    int ssz = chance(g, 50) ? 1 : 2;
    int dsz = ssz == 1 ? pick_size16_32(g) : (chance(g, 10) ? 2 : 4);
    int r = pick_wreg(g, 4);
    if (r < 0) return 0;
    opnd_t o;
    rm_operand(g, ssz, ACC_R, 50, &o);
    int sx = chance(g, 50);
    dinsn_t *in = ib(g, sx ? "movsx" : "movzx");
    pre(g, dsz, &o, 0);
    e8(g, 0x0f); e8(g, (sx ? 0xbe : 0xb6) | (ssz == 2));
    emit_modrm(g, r, &o);
    ie(g, in, 0, 0, 0);
    unpin(g);
    cls(g, C_MOVX);
    return 1;
}

static int c_lea(g_t *g)
{
    int r = pick_wreg(g, 4);
    if (r < 0) return 0;
    int size = pick_size16_32(g);
    opnd_t o;
    rand_addr(g, &o, 1);
    if (chance(g, 10))
        o.seg = 0x3e;                          /* ignored by LEA */
    dinsn_t *in = ib(g, "lea");
    pre(g, size, &o, 0);
    e8(g, 0x8d);
    emit_modrm(g, r, &o);
    ie(g, in, 0, 0, 0);
    cls(g, C_LEA);
    return 1;
}

static int c_xchg(g_t *g)
{
    int size = pick_size(g);
    dinsn_t *in;
    if (size != 1 && chance(g, 30)) {          /* 90+r */
        int r = pick_wreg(g, 4);
        if (r < 0 || r == EAX || !writable(g, EAX)) return 0;
        in = ib(g, "xchg eax,r"); pre(g, size, 0, 0); e8(g, 0x90 + r);
    } else {
        opnd_t o;
        int r = pick_wreg(g, size);
        if (r < 0) return 0;
        rm_operand(g, size, ACC_RW, 50, &o);
        in = ib(g, "xchg r/m,r"); pre(g, size, &o, lock_maybe(g, &o));
        e8(g, size == 1 ? 0x86 : 0x87); emit_modrm(g, r, &o);
    }
    ie(g, in, 0, 0, 0);
    unpin(g);
    cls(g, C_XCHG);
    return 1;
}

static int c_cmpxchg(g_t *g)
{
    if (!writable(g, EAX)) return 0;
    int size = pick_size(g);
    opnd_t o;
    rm_operand(g, size, ACC_RW, 50, &o);
    int r = size == 1 ? (int)rn(g, 8) : pick_rreg(g);
    if (chance(g, 50) && setupable(g, EAX)) {  /* make the comparison succeed */
        dinsn_t *s = ib(g, "setup");
        pre(g, size, &o, 0);
        e8(g, size == 1 ? 0x8a : 0x8b);
        emit_modrm(g, 0, &o);                  /* mov al/ax/eax, dest */
        ie(g, s, 0, 0, 0);
    }
    if (!o.mem && !writable(g, reg_of(size, o.reg))) { unpin(g); return 0; }
    dinsn_t *in = ib(g, "cmpxchg");
    pre(g, size, &o, lock_maybe(g, &o));
    e8(g, 0x0f); e8(g, size == 1 ? 0xb0 : 0xb1);
    emit_modrm(g, r, &o);
    ie(g, in, ALL6, 0, 0);
    unpin(g);
    cls(g, C_CMPXCHG);
    return 1;
}

static int c_cmpxchg8b(g_t *g)
{
    if (!writable(g, EAX) || !writable(g, EDX)) return 0;
    opnd_t o;
    mem_operand(g, 8, ACC_RW, 0, &o);
    if (chance(g, 50)) {                       /* make it succeed (both halves) */
        if (setupable(g, EAX) && setupable(g, EDX)) {
            dinsn_t *s = ib(g, "setup");
            e8(g, 0xa1); e32(g, o.ea);           /* mov eax,[ea] */
            ie(g, s, 0, 0, 0);
            s = ib(g, "setup");
            e8(g, 0x8b); e8(g, 0x15); e32(g, o.ea + 4);  /* mov edx,[ea+4] */
            ie(g, s, 0, 0, 0);
        }
    }
    dinsn_t *in = ib(g, "cmpxchg8b");
    pre(g, 4, &o, lock_maybe(g, &o));
    e8(g, 0x0f); e8(g, 0xc7);
    emit_modrm(g, 1, &o);
    ie(g, in, F_ZF, 0, 0);
    unpin(g);
    cls(g, C_CMPXCHG8B);
    return 1;
}

static int c_xadd(g_t *g)
{
    int size = pick_size(g);
    int r = pick_wreg(g, size);
    if (r < 0) return 0;
    opnd_t o;
    rm_operand(g, size, ACC_RW, 50, &o);
    dinsn_t *in = ib(g, "xadd");
    pre(g, size, &o, lock_maybe(g, &o));
    e8(g, 0x0f); e8(g, size == 1 ? 0xc0 : 0xc1);
    emit_modrm(g, r, &o);
    ie(g, in, ALL6, 0, 0);
    unpin(g);
    cls(g, C_XADD);
    return 1;
}

static int c_bswap(g_t *g)
{
    int r = pick_wreg(g, 4);
    if (r < 0) return 0;
    dinsn_t *in = ib(g, "bswap");
    e8(g, 0x0f); e8(g, 0xc8 + r);
    ie(g, in, 0, 0, 0);
    cls(g, C_BSWAP);
    return 1;
}

static int c_alu(g_t *g)
{
    static const char *const names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
    int op = (int)rn(g, 8), size = pick_size(g), w = size != 1;
    int cmp = op == 7, acc = cmp ? ACC_R : ACC_RW;
    uint32_t reads = (op == 2 || op == 3) ? F_CF : 0;
    uint32_t kill = (op == 1 || op == 4 || op == 6) ? ALL6 & ~F_AF : ALL6;
    uint32_t gen = (op == 1 || op == 4 || op == 6) ? F_AF : 0;
    opnd_t o;
    dinsn_t *in;
    int form = (int)rn(g, 6);
    if (form == 4 && size == 1) form = 5;
    if (form == 5 && size != 1) form = 3;
    switch (form) {
    case 0: {                                  /* r/m, r */
        rm_operand(g, size, acc, 45, &o);
        int r = size == 1 ? (int)rn(g, 8) : pick_rreg(g);
        need_flags(g, reads);
        in = ib(g, names[op]); pre(g, size, &o, !cmp && lock_maybe(g, &o));
        e8(g, op << 3 | w); emit_modrm(g, r, &o);
        break;
    }
    case 1: {                                  /* r, r/m */
        int r = cmp ? (size == 1 ? (int)rn(g, 8) : pick_rreg(g)) : pick_wreg(g, size);
        if (r < 0) return 0;
        rm_operand(g, size, ACC_R, 45, &o);
        need_flags(g, reads);
        in = ib(g, names[op]); pre(g, size, &o, 0);
        e8(g, op << 3 | 2 | w); emit_modrm(g, r, &o);
        break;
    }
    case 2:                                    /* al/ax/eax, imm */
        if (!cmp && !writable(g, EAX)) return 0;
        need_flags(g, reads);
        in = ib(g, names[op]); pre(g, size, 0, 0);
        e8(g, op << 3 | 4 | w); eimm(g, size, rval(g));
        break;
    case 3:                                    /* 80/81 r/m, imm */
    case 4:                                    /* 83 r/m, imm8 */
    default:                                   /* 82 r/m8, imm8 (alias of 80) */
        rm_operand(g, size, acc, 45, &o);
        need_flags(g, reads);
        in = ib(g, names[op]); pre(g, size, &o, !cmp && lock_maybe(g, &o));
        e8(g, form == 3 ? 0x80 | w : form == 4 ? 0x83 : (chance(g, 30) ? 0x82 : 0x80));
        emit_modrm(g, op, &o);
        eimm(g, form == 3 ? size : 1, rval(g));
        break;
    }
    ie(g, in, kill, gen, reads);
    unpin(g);
    cls(g, C_ALU);
    return 1;
}

static int c_test(g_t *g)
{
    int size = pick_size(g), w = size != 1;
    opnd_t o;
    dinsn_t *in;
    switch (rn(g, 3)) {
    case 0:
        rm_operand(g, size, ACC_R, 40, &o);
        in = ib(g, "test"); pre(g, size, &o, 0);
        e8(g, 0x84 | w); emit_modrm(g, size == 1 ? (int)rn(g, 8) : pick_rreg(g), &o);
        break;
    case 1:
        in = ib(g, "test"); pre(g, size, 0, 0);
        e8(g, 0xa8 | w); eimm(g, size, rval(g));
        break;
    default:
        rm_operand(g, size, ACC_R, 40, &o);
        in = ib(g, "test"); pre(g, size, &o, 0);
        e8(g, 0xf6 | w); emit_modrm(g, 0, &o); eimm(g, size, rval(g));
        break;
    }
    ie(g, in, ALL6 & ~F_AF, F_AF, 0);
    unpin(g);
    cls(g, C_TEST);
    return 1;
}

static int c_incdec(g_t *g)
{
    int size = pick_size(g), dec = chance(g, 50);
    dinsn_t *in;
    if (size != 1 && chance(g, 40)) {
        int r = pick_wreg(g, 4);
        if (r < 0) return 0;
        in = ib(g, dec ? "dec" : "inc"); pre(g, size, 0, 0);
        e8(g, (dec ? 0x48 : 0x40) + r);
    } else {
        opnd_t o;
        rm_operand(g, size, ACC_RW, 40, &o);
        in = ib(g, dec ? "dec" : "inc"); pre(g, size, &o, lock_maybe(g, &o));
        e8(g, size == 1 ? 0xfe : 0xff); emit_modrm(g, dec, &o);
    }
    ie(g, in, ALL6 & ~F_CF, 0, 0);
    unpin(g);
    cls(g, C_INCDEC);
    return 1;
}

static int c_negnot(g_t *g)
{
    int size = pick_size(g), neg = chance(g, 60);
    opnd_t o;
    rm_operand(g, size, ACC_RW, 40, &o);
    dinsn_t *in = ib(g, neg ? "neg" : "not");
    pre(g, size, &o, lock_maybe(g, &o));
    e8(g, size == 1 ? 0xf6 : 0xf7); emit_modrm(g, neg ? 3 : 2, &o);
    ie(g, in, neg ? ALL6 : 0, 0, 0);
    unpin(g);
    cls(g, C_NEGNOT);
    return 1;
}

static int c_mul(g_t *g)
{
    int size = pick_size(g);
    if (!writable(g, EAX) || (size != 1 && !writable(g, EDX))) return 0;
    int imul = chance(g, 50);
    opnd_t o;
    rm_operand(g, size, ACC_R, 40, &o);
    dinsn_t *in = ib(g, imul ? "imul r/m" : "mul");
    pre(g, size, &o, 0);
    e8(g, size == 1 ? 0xf6 : 0xf7); emit_modrm(g, imul ? 5 : 4, &o);
    ie(g, in, F_CF | F_OF, F_SF | F_ZF | F_AF | F_PF, 0);
    unpin(g);
    cls(g, C_MUL);
    return 1;
}

static int c_imul(g_t *g)
{
    int size = pick_size16_32(g);
    int r = pick_wreg(g, size);
    if (r < 0) return 0;
    opnd_t o;
    rm_operand(g, size, ACC_R, 40, &o);
    dinsn_t *in = ib(g, "imul");
    pre(g, size, &o, 0);
    switch (rn(g, 3)) {
    case 0: e8(g, 0x0f); e8(g, 0xaf); emit_modrm(g, r, &o); break;
    case 1: e8(g, 0x69); emit_modrm(g, r, &o); eimm(g, size, rval(g)); break;
    default: e8(g, 0x6b); emit_modrm(g, r, &o); e8(g, rval(g)); break;
    }
    ie(g, in, F_CF | F_OF, F_SF | F_ZF | F_AF | F_PF, 0);
    unpin(g);
    cls(g, C_IMUL);
    return 1;
}

/* DIV/IDIV; "controlled" ones cannot raise #DE (except IDIV INT_MIN/-1) */
static int c_div(g_t *g)
{
    int size = pick_size(g), idiv = chance(g, 50);
    if (!writable(g, EAX) || (size != 1 && !writable(g, EDX))) return 0;
    int controlled = !g->o->allow_div_fault || chance(g, 85);
    opnd_t o;
    /* divisor: not EAX/EDX (their value is about to be set) */
    if (chance(g, 40)) {
        g->avoid = (uint8_t)(1u << EAX | 1u << EDX);
        mem_operand(g, size, ACC_R, 0, &o);
        g->avoid = 0;
    } else {
        int cand[8], n = 0;
        for (int b = 0; b < 8; b++) {
            int p = reg_of(size, b);
            if (p == EAX || (size != 1 && p == EDX) || p == ESP)
                continue;
            if (!controlled || writable(g, p))
                cand[n++] = b;
        }
        if (!n) return 0;
        reg_operand(&o, cand[rn(g, (uint32_t)n)]);
    }
    if (controlled) {
        dinsn_t *s;
        /* divisor != 0: or r/m, imm (nonzero) */
        s = ib(g, "setup");
        pre(g, size, &o, 0);
        e8(g, size == 1 ? 0x80 : 0x81); emit_modrm(g, 1, &o);
        uint32_t bit = (1u << rn(g, (uint32_t)size * 8)) | (rval(g) & size_mask(size));
        eimm(g, size, bit);
        ie(g, s, ALL6 & ~F_AF, F_AF, 0);
        /* dividend high part: zero (DIV) or sign extension (IDIV) */
        s = ib(g, "setup");
        if (size == 1) {
            if (idiv) e8(g, 0x66), e8(g, 0x98);                  /* cbw */
            else e8(g, 0x0f), e8(g, 0xb6), e8(g, 0xc0);          /* movzx eax,al */
        } else {
            if (size == 2) e8(g, 0x66);
            if (idiv) e8(g, 0x99);                               /* cwd/cdq */
            else e8(g, 0x31), e8(g, 0xd2);                       /* xor edx,edx */
        }
        ie(g, s, (!idiv && size != 1) ? ALL6 & ~F_AF : 0, (!idiv && size != 1) ? F_AF : 0, 0);
    }
    dinsn_t *in = ib(g, idiv ? "idiv" : "div");
    pre(g, size, &o, 0);
    e8(g, size == 1 ? 0xf6 : 0xf7); emit_modrm(g, idiv ? 7 : 6, &o);
    ie(g, in, 0, ALL6, 0);
    unpin(g);
    cls(g, C_DIV);
    return 1;
}

/* flag effect of a shift/rotate with a known masked count */
static void shift_flags(int op, int bits, int known, uint32_t count, uint32_t *kill, uint32_t *gen)
{
    *kill = *gen = 0;
    if (!known) {
        *gen = F_OF;
        if (op >= 4) {
            *gen |= F_AF;
            if (op != 7 && bits < 32) *gen |= F_CF;
        }
        return;
    }
    uint32_t c = count & 31;
    if (c == 0)
        return;
    if (op <= 1) {                            /* ROL ROR */
        *kill = F_CF;
    } else if (op <= 3) {                     /* RCL RCR */
        uint32_t t = bits < 32 ? c % (uint32_t)(bits + 1) : c;
        *kill = t ? F_CF : 0;
    } else {                                  /* SHL SHR SAR */
        *kill = F_CF | F_SF | F_ZF | F_PF;
        *gen = F_AF;
        if (op != 7 && c >= (uint32_t)bits) {
            *kill &= ~F_CF;
            *gen |= F_CF;
        }
    }
    if (c == 1) *kill |= F_OF;
    else *gen |= F_OF;
}

static int c_shift(g_t *g)
{
    static const int ops[7] = { 0, 1, 2, 3, 4, 5, 7 };
    static const char *const names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal?", "sar" };
    int op = ops[rn(g, 7)], size = pick_size(g), w = size != 1;
    opnd_t o;
    rm_operand(g, size, ACC_RW, 35, &o);
    int form = (int)rn(g, 3), known = 1;
    uint32_t count = 1;
    if (form == 1) {                           /* CL */
        known = 0;
        if (setupable(g, ECX) && chance(g, 60)) {
            count = chance(g, 80) ? rn(g, 33) : r32(g) & 0xff;
            dinsn_t *s = ib(g, "setup");
            e8(g, 0xb1); e8(g, count);           /* mov cl, imm8 */
            ie(g, s, 0, 0, 0);
            known = 1;                         /* (dest may be ECX itself: fine) */
        }
    } else if (form == 2) {
        count = chance(g, 80) ? rn(g, 33) : r32(g) & 0xff;
    }
    uint32_t kill, gen;
    shift_flags(op, size * 8, known, count, &kill, &gen);
    uint32_t reads = (op == 2 || op == 3) ? F_CF : 0;
    need_flags(g, reads);
    dinsn_t *in = ib(g, names[op]);
    pre(g, size, &o, 0);
    e8(g, form == 0 ? 0xd0 | w : form == 1 ? 0xd2 | w : 0xc0 | w);
    emit_modrm(g, op, &o);
    if (form == 2) e8(g, count);
    ie(g, in, kill, gen, reads);
    unpin(g);
    cls(g, C_SHIFT);
    return 1;
}

static int c_shxd(g_t *g)
{
    int size = pick_size16_32(g), right = chance(g, 50);
    opnd_t o;
    rm_operand(g, size, ACC_RW, 35, &o);
    int r = pick_rreg(g);
    int bycl = chance(g, 50);
    uint32_t count;
    int known = 1;
    /* a count above the operand size leaves the result undefined: 16-bit
     * forms only with a known count <= 16 */
    if (bycl) {
        if (setupable(g, ECX) && (size == 4 ? chance(g, 60) : 1)) {
            count = size == 2 ? rn(g, 17) | (rn(g, 8) << 5) : rn(g, 256);
            dinsn_t *s = ib(g, "setup");
            e8(g, 0xb1); e8(g, count);
            ie(g, s, 0, 0, 0);
        } else if (size == 4) {
            known = 0; count = 0;
        } else {
            bycl = 0;
            count = rn(g, 17);
        }
    } else {
        count = size == 2 ? rn(g, 17) | (rn(g, 8) << 5) : rn(g, 256);
    }
    uint32_t kill = 0, gen = 0, c = count & 31;
    if (!known) {
        gen = F_AF | F_OF;
    } else if (c) {
        kill = F_CF | F_SF | F_ZF | F_PF;
        gen = F_AF;
        if (c == 1) kill |= F_OF; else gen |= F_OF;
    }
    dinsn_t *in = ib(g, right ? "shrd" : "shld");
    pre(g, size, &o, 0);
    e8(g, 0x0f); e8(g, (right ? 0xac : 0xa4) | bycl);
    emit_modrm(g, r, &o);
    if (!bycl) e8(g, count);
    ie(g, in, kill, gen, 0);
    unpin(g);
    cls(g, C_SHXD);
    return 1;
}

static int c_bt(g_t *g)
{
    static const char *const names[4] = { "bt", "bts", "btr", "btc" };
    int op = (int)rn(g, 4), size = pick_size16_32(g);
    int acc = op ? ACC_RW : ACC_R;
    int immf = chance(g, 40);
    opnd_t o;
    int offreg = -1;
    if (chance(g, 50)) {
        mem_operand(g, 4, acc, 0, &o);   /* 4: a 16-bit access may be done as 32 */
        if (!immf) {
            offreg = pick_from(g, setup_mask(g));
            if (offreg < 0) {
                immf = 1;
            } else {
                /* bit offset: word k away from ea, inside the area */
                int32_t wb = size;                 /* bytes per step */
                int32_t kmin = -(int32_t)((o.ea - o.alo) / (uint32_t)wb);
                int32_t kmax = (int32_t)((o.ahi - 4 - o.ea) / (uint32_t)wb);
                if (size == 2) {
                    if (kmin < -2048) kmin = -2048;
                    if (kmax > 2047) kmax = 2047;
                }
                int32_t k = chance(g, 30) ? 0 : rrange(g, kmin, kmax);
                uint32_t off = (uint32_t)(k * size * 8) + rn(g, (uint32_t)size * 8);
                if (size == 2)
                    off = (r32(g) & 0xffff0000u) | (off & 0xffff);
                setreg(g, offreg, off);
            }
        }
    } else {
        int r = op ? pick_wreg(g, size) : pick_rreg(g);
        if (r < 0) return 0;
        reg_operand(&o, r);
        if (!immf)
            offreg = pick_rreg(g);
    }
    dinsn_t *in = ib(g, names[op]);
    pre(g, size, &o, op && lock_maybe(g, &o));
    e8(g, 0x0f);
    if (immf) {
        e8(g, 0xba); emit_modrm(g, 4 + op, &o); e8(g, rval(g));
    } else {
        e8(g, 0xa3 | op << 3); emit_modrm(g, offreg, &o);
    }
    ie(g, in, F_CF, F_OF | F_SF | F_AF | F_PF, 0);
    unpin(g);
    cls(g, C_BT);
    return 1;
}

static int c_bsf(g_t *g)
{
    int size = pick_size16_32(g), rev = chance(g, 50);
    int r = pick_wreg(g, size);
    if (r < 0) return 0;
    opnd_t o;
    rm_operand(g, size, ACC_R, 40, &o);
    dinsn_t *in = ib(g, rev ? "bsr" : "bsf");
    pre(g, size, &o, 0);
    e8(g, 0x0f); e8(g, rev ? 0xbd : 0xbc);
    emit_modrm(g, r, &o);
    ie(g, in, F_ZF, F_CF | F_OF | F_SF | F_AF | F_PF, 0);
    unpin(g);
    cls(g, C_BSF);
    return 1;
}

static int c_setcc(g_t *g)
{
    int cc = (int)rn(g, 16);
    opnd_t o;
    rm_operand(g, 1, ACC_W, 30, &o);
    need_flags(g, cc_reads(cc));
    dinsn_t *in = ib(g, "setcc");
    pre(g, 1, &o, 0);
    e8(g, 0x0f); e8(g, 0x90 + cc); emit_modrm(g, 0, &o);
    ie(g, in, 0, 0, cc_reads(cc));
    unpin(g);
    cls(g, C_SETCC);
    return 1;
}

static int c_cmov(g_t *g)
{
    int cc = (int)rn(g, 16), size = pick_size16_32(g);
    int r = pick_wreg(g, size);
    if (r < 0) return 0;
    opnd_t o;
    rm_operand(g, size, ACC_R, 40, &o);
    need_flags(g, cc_reads(cc));
    dinsn_t *in = ib(g, "cmovcc");
    pre(g, size, &o, 0);
    e8(g, 0x0f); e8(g, 0x40 + cc); emit_modrm(g, r, &o);
    ie(g, in, 0, 0, cc_reads(cc));
    unpin(g);
    cls(g, C_CMOV);
    return 1;
}

/* A forward block: the body's effects are joined with the path around it. */
typedef struct blk { uint32_t U; int df, df_mods; uint32_t limit; } blk_t;
static void blk_enter(g_t *g, blk_t *b, uint32_t limit)
{
    b->U = g->U; b->df = g->df; b->df_mods = g->df_mods; b->limit = g->limit;
    if (limit < g->limit) g->limit = limit;
    g->no_stack++;
    g->depth++;
}
static void blk_leave_cond(g_t *g, blk_t *b)   /* the body may be skipped */
{
    g->U |= b->U;
    if (g->df_mods != b->df_mods && g->df != b->df)
        g->df = -1;
    g->limit = b->limit;
    g->no_stack--;
    g->depth--;
}

static void body(g_t *g, int maxn)
{
    int n = 1 + (int)rn(g, (uint32_t)maxn);
    gen_block(g, n);
}

static int c_jcc(g_t *g)
{
    if (g->depth >= 3 || !room(g, 80)) return 0;
    int cc = (int)rn(g, 16), near = chance(g, 25);
    need_flags(g, cc_reads(cc));
    dinsn_t *in = ib(g, "jcc");
    uint32_t at;
    if (near) { e8(g, 0x0f); e8(g, 0x80 + cc); at = g->pos; e32(g, 0); }
    else { if (chance(g, 10)) e8(g, chance(g, 50) ? 0x2e : 0x3e); /* branch hints */
           e8(g, 0x70 + cc); at = g->pos; e8(g, 0); }
    ie(g, in, 0, 0, cc_reads(cc));
    uint32_t from = g->pos;
    blk_t b;
    blk_enter(g, &b, near ? g->limit : from + 127);
    body(g, 4);
    blk_leave_cond(g, &b);
    uint32_t rel = g->pos - from;
    if (near) patch32(g, at, rel);
    else g->c->code[at] = (uint8_t)rel;
    in->succ[0] = (int32_t)g->pos;
    cls(g, C_JCC);
    return 1;
}

/* jmp over dead bytes: short, near, via register or memory */
static int c_jmp(g_t *g)
{
    if (!room(g, 48)) return 0;
    int form = (int)rn(g, 4);
    int r = -1;
    opnd_t o;
    uint32_t at = 0;
    if (form == 2) {
        r = pick_from(g, setup_mask(g));
        if (r < 0) form = 0;
        else { dinsn_t *s = ib(g, "setup"); e8(g, 0xb8 + r); at = g->pos; e32(g, 0); ie(g, s, 0, 0, 0); }
    } else if (form == 3) {
        mem_operand(g, 4, ACC_RW, MO_NO16, &o);
        dinsn_t *s = ib(g, "setup");             /* mov dword [m], target */
        pre(g, 4, &o, 0); e8(g, 0xc7); emit_modrm(g, 0, &o); at = g->pos; e32(g, 0);
        ie(g, s, 0, 0, 0);
    }
    dinsn_t *in = ib(g, "jmp");
    uint32_t relat = 0;
    switch (form) {
    case 0: e8(g, 0xeb); relat = g->pos; e8(g, 0); break;
    case 1: e8(g, 0xe9); relat = g->pos; e32(g, 0); break;
    case 2: e8(g, 0xff); e8(g, 0xe0 | r); break;
    default: pre(g, 4, &o, 0); e8(g, 0xff); emit_modrm(g, 4, &o); break;
    }
    ie(g, in, 0, 0, 0);
    in->nofall = 1;
    uint32_t from = g->pos;
    int dead = 1 + (int)rn(g, 8);
    for (int i = 0; i < dead; i++)
        e8(g, 0xcc);
    uint32_t target = g->pos;
    if (form == 0) g->c->code[relat] = (uint8_t)(target - from);
    else if (form == 1) patch32(g, relat, target - from);
    else patch32(g, at, CODE_BASE + target);
    in->succ[0] = (int32_t)target;
    unpin(g);
    cls(g, C_JMP);
    return 1;
}

static int c_conv(g_t *g)
{
    int k = (int)rn(g, 4);
    if (!writable(g, k < 2 ? EAX : EDX)) return 0;
    dinsn_t *in = ib(g, k < 2 ? "cbw/cwde" : "cwd/cdq");
    if (k & 1) e8(g, 0x66);
    e8(g, k < 2 ? 0x98 : 0x99);
    ie(g, in, 0, 0, 0);
    cls(g, C_CONV);
    return 1;
}

static int c_pushpop(g_t *g)
{
    int size = chance(g, 15) ? 2 : 4;
    dinsn_t *in;
    opnd_t o;
    int k = (int)rn(g, 9);
    if (k < 5) {                               /* push */
        if (!can_push(g, 4)) return 0;
        switch (k) {
        case 0: case 1:
            in = ib(g, "push r"); pre(g, size, 0, 0); e8(g, 0x50 + pick_rreg(g)); break;
        case 2:
            in = ib(g, "push imm"); pre(g, size, 0, 0);
            if (chance(g, 50)) { e8(g, 0x6a); e8(g, rval(g)); }
            else { e8(g, 0x68); eimm(g, size, rval(g)); }
            break;
        default:
            mem_operand(g, size, ACC_R, 0, &o);
            in = ib(g, "push m"); pre(g, size, &o, 0); e8(g, 0xff); emit_modrm(g, 6, &o);
            break;
        }
        g->esp -= (uint32_t)size;
    } else {                                   /* pop */
        if (!can_pop(g, (uint32_t)size)) return 0;
        if (k == 5 && g->esp - 4 >= STACK_LO + 256) {   /* push imm; pop esp */
            uint32_t nesp = g->esp - 256 + rn(g, 256 + 1) * 1;
            nesp = nesp & ~3u;
            if (chance(g, 10)) nesp |= 1;
            if (nesp + 4 > STACK_TOP) nesp = STACK_TOP - 4;
            in = ib(g, "push imm"); e8(g, 0x68); e32(g, nesp); ie(g, in, 0, 0, 0);
            in = ib(g, "pop esp"); e8(g, 0x5c);
            g->esp = nesp;
        } else if (k == 6 || k == 5) {
            int r = pick_wreg(g, 4);
            if (r < 0) return 0;
            in = ib(g, "pop r"); pre(g, size, 0, 0); e8(g, 0x58 + r);
            g->esp += (uint32_t)size;
        } else {
            /* pop m: with ESP as base, EA is computed after the increment */
            g->esp += (uint32_t)size;
            mem_operand(g, size, ACC_W, 0, &o);
            in = ib(g, "pop m"); pre(g, size, &o, 0); e8(g, 0x8f); emit_modrm(g, 0, &o);
        }
    }
    ie(g, in, 0, 0, 0);
    unpin(g);
    cls(g, C_PUSHPOP);
    return 1;
}

static int c_pusha(g_t *g)
{
    int size = chance(g, 20) ? 2 : 4;
    dinsn_t *in;
    if (chance(g, 50)) {
        if (!can_push(g, 8u * (uint32_t)size)) return 0;
        in = ib(g, "pusha"); pre(g, size, 0, 0); e8(g, 0x60);
        g->esp -= 8u * (uint32_t)size;
    } else {
        if (!can_pop(g, 8u * (uint32_t)size)) return 0;
        if ((writable_mask(g) | 1u << ESP) != 0xff) return 0;
        in = ib(g, "popa"); pre(g, size, 0, 0); e8(g, 0x61);
        g->esp += 8u * (uint32_t)size;
    }
    ie(g, in, 0, 0, 0);
    cls(g, C_PUSHA);
    return 1;
}

/* ENTER size, level ... LEAVE (EBP locked and known in between) */
static int c_enter(g_t *g)
{
    if (g->no_stack || g->ebp_known || !writable(g, EBP) || !room(g, 120)) return 0;
    int size16 = chance(g, 15);
    uint32_t os = size16 ? 2 : 4;
    uint32_t level = chance(g, 70) ? rn(g, 4) : rn(g, 32);
    if (size16 && level > 1) level = 1;
    uint32_t lvl_byte = level | (chance(g, 15) ? rn(g, 8) << 5 : 0);  /* masked to 5 bits */
    uint32_t fsize = chance(g, 50) ? rn(g, 64) : rn(g, 600);
    uint32_t need = os * (level + 1) + fsize + 64;
    if (!can_push(g, need)) return 0;
    /* EBP must point into the stack for the level copies (and to be known) */
    uint32_t ebp0 = g->esp + rn(g, 64) * 4;
    if (ebp0 > STACK_TOP) ebp0 = STACK_TOP;
    if (ebp0 < STACK_LO + 4 * level + 8) ebp0 = g->esp;
    /* 16-bit ENTER (level <= 1) sets only BP: EBP's high half must be the
     * stack's for LEAVE (ESP <- EBP) */
    if (size16) ebp0 = ((g->esp - os) & 0xffff0000u) | (r32(g) & 0xffff);
    setreg(g, EBP, ebp0);
    dinsn_t *in = ib(g, "enter");
    if (size16) e8(g, 0x66);
    e8(g, 0xc8); e16(g, fsize); e8(g, lvl_byte);
    ie(g, in, 0, 0, 0);
    uint32_t frame = g->esp - os;
    g->esp = frame - os * level - fsize;
    uint32_t ebp = size16 ? (ebp0 & 0xffff0000u) | (frame & 0xffff) : frame;
    uint8_t saved = g->locked;
    g->locked |= 1u << EBP;
    g->ebp_known = 1;
    g->ebp = ebp;
    int n = 1 + (int)rn(g, 5);
    gen_block(g, n);
    /* LEAVE: ESP = EBP; pop EBP */
    in = ib(g, "leave");
    int leave16 = chance(g, 15) || g->ebp + 4 > STACK_TOP;
    if (leave16) e8(g, 0x66);
    e8(g, 0xc9);
    ie(g, in, 0, 0, 0);
    g->esp = g->ebp + (leave16 ? 2 : 4);
    g->ebp_known = 0;
    g->locked = saved;
    cls(g, C_ENTER);
    return 1;
}

/* call patterns */
static int c_call(g_t *g)
{
    if (g->no_stack || !room(g, 120) || !can_push(g, 64)) return 0;
    int k = (int)rn(g, 4);
    dinsn_t *in;
    if (k == 0) {                              /* call next; pop r */
        int r = pick_wreg(g, 4);
        if (r < 0) return 0;
        in = ib(g, "call"); e8(g, 0xe8); e32(g, 0); ie(g, in, 0, 0, 0);
        in->nofall = 1; in->succ[0] = (int32_t)g->pos;
        in = ib(g, "pop r"); e8(g, 0x58 + r); ie(g, in, 0, 0, 0);
        cls(g, C_CALL);
        return 1;
    }
    /* [push args] call f; jmp over; f: body; ret [n]; over: */
    uint32_t nargs = chance(g, 30) ? rn(g, 3) + 1 : 0;
    for (uint32_t i = 0; i < nargs; i++) {
        in = ib(g, "push imm"); e8(g, 0x68); e32(g, rval(g)); ie(g, in, 0, 0, 0);
        g->esp -= 4;
    }
    int r = -1;
    uint32_t at = 0;
    opnd_t o;
    int form = (int)rn(g, 3);                  /* 0 rel32, 1 reg, 2 mem */
    if (form == 1) {
        r = pick_from(g, setup_mask(g));
        if (r < 0) form = 0;
        else { dinsn_t *s = ib(g, "setup"); e8(g, 0xb8 + r); at = g->pos; e32(g, 0); ie(g, s, 0, 0, 0); }
    }
    if (form == 2) {
        mem_operand(g, 4, ACC_RW, MO_NO16, &o);
        dinsn_t *s = ib(g, "setup");
        pre(g, 4, &o, 0); e8(g, 0xc7); emit_modrm(g, 0, &o); at = g->pos; e32(g, 0);
        ie(g, s, 0, 0, 0);
    }
    dinsn_t *call = ib(g, "call");
    uint32_t relat = 0;
    if (form == 0) { e8(g, 0xe8); relat = g->pos; e32(g, 0); }
    else if (form == 1) { e8(g, 0xff); e8(g, 0xd0 | r); }
    else { pre(g, 4, &o, 0); e8(g, 0xff); emit_modrm(g, 2, &o); }
    ie(g, call, 0, 0, 0);
    unpin(g);
    call->nofall = 1;
    uint32_t retaddr = g->pos;
    g->esp -= 4;
    dinsn_t *jmp = ib(g, "jmp");
    int jshort = chance(g, 70);
    uint32_t jat;
    if (jshort) { e8(g, 0xeb); jat = g->pos; e8(g, 0); }
    else { e8(g, 0xe9); jat = g->pos; e32(g, 0); }
    ie(g, jmp, 0, 0, 0);
    jmp->nofall = 1;
    uint32_t jfrom = g->pos;
    uint32_t f = g->pos;
    call->succ[0] = (int32_t)f;
    if (form == 0) patch32(g, relat, f - retaddr);
    else patch32(g, at, CODE_BASE + f);
    /* the body runs once, right after the call */
    uint32_t lim = g->limit;
    if (jshort && jfrom + 120 < g->limit) g->limit = jfrom + 120;
    g->no_stack++;
    g->depth++;
    g->in_call++;
    body(g, 4);
    g->in_call--;
    g->depth--;
    g->no_stack--;
    g->limit = lim;
    dinsn_t *ret = ib(g, "ret");
    if (nargs && chance(g, 80)) { e8(g, 0xc2); e16(g, nargs * 4); g->esp += nargs * 4; }
    else e8(g, 0xc3);
    ie(g, ret, 0, 0, 0);
    ret->nofall = 1;
    ret->succ[0] = (int32_t)retaddr;
    g->esp += 4;
    uint32_t over = g->pos;
    if (jshort) g->c->code[jat] = (uint8_t)(over - jfrom);
    else patch32(g, jat, over - jfrom);
    jmp->succ[0] = (int32_t)over;
    cls(g, C_CALL);
    return 1;
}

/* LOOP/LOOPE/LOOPNE backward with a known count, or forward; JECXZ forward */
static int c_loop(g_t *g)
{
    if (!room(g, 140) || g->depth >= 3) return 0;
    int a16 = !skipped(g, C_A16) && chance(g, 20);   /* CX instead of ECX */
    int kind = (int)rn(g, 4);                  /* 0 loopne 1 loope 2 loop 3 jecxz */
    static const char *const names[4] = { "loopne", "loope", "loop", "jecxz" };
    if (!writable(g, ECX)) return 0;
    dinsn_t *in;
    if (kind != 3 && chance(g, 60)) {           /* backward, bounded */
        uint32_t n = 1 + rn(g, 6);
        dinsn_t *s = ib(g, "setup");
        if (a16) { e8(g, 0x66); e8(g, 0xb9); e16(g, n); }
        else { e8(g, 0xb9); e32(g, n); }
        ie(g, s, 0, 0, 0);
        uint32_t top = g->pos;
        uint8_t saved = g->locked;
        g->locked |= 1u << ECX;
        blk_t b;
        blk_enter(g, &b, top + 110);
        int df0 = g->df;
        g->df = -1;                            /* unknown in later iterations */
        g->U = ALL6;                           /* pessimistic: all iterations */
        body(g, 3);
        if (kind < 2) need_flags(g, F_ZF);
        int dfmods = g->df_mods != b.df_mods;
        g->limit = b.limit;
        g->no_stack--;
        g->depth--;
        if (!dfmods) g->df = df0;
        g->locked = saved;
        in = ib(g, names[kind]);
        if (a16) e8(g, 0x67);
        e8(g, 0xe0 + kind); e8(g, (uint32_t)(top - (g->pos + 1)));
        ie(g, in, 0, 0, kind < 2 ? F_ZF : 0);
        in->succ[0] = (int32_t)top;
    } else {                                   /* forward over a block */
        if (kind < 2) need_flags(g, F_ZF);
        in = ib(g, names[kind]);
        if (a16) e8(g, 0x67);
        e8(g, 0xe0 + kind);
        uint32_t at = g->pos;
        e8(g, 0);
        ie(g, in, 0, 0, kind < 2 ? F_ZF : 0);
        uint32_t from = g->pos;
        blk_t b;
        blk_enter(g, &b, from + 127);
        body(g, 3);
        blk_leave_cond(g, &b);
        g->c->code[at] = (uint8_t)(g->pos - from);
        in->succ[0] = (int32_t)g->pos;
    }
    if (a16) cls(g, C_A16);
    cls(g, C_LOOP);
    return 1;
}

/* string instructions with ESI/EDI/ECX set to stay inside an area */
static int c_string(g_t *g)
{
    static const uint8_t opc[5] = { 0xa4, 0xaa, 0xac, 0xa6, 0xae };
    static const char *const names[5] = { "movs", "stos", "lods", "cmps", "scas" };
    int op = (int)rn(g, 5), size = pick_size(g);
    int uses_si = op == 0 || op == 2 || op == 3, uses_di = op != 2;
    int rep = chance(g, 65);
    int a16 = g->o->low_ok && !skipped(g, C_A16) && chance(g, 12);
    if (rep && !setupable(g, ECX)) return 0;
    if (uses_si && !setupable(g, ESI)) return 0;
    if (uses_di && !setupable(g, EDI)) return 0;
    if (op == 2 && !writable(g, EAX)) return 0;
    uint32_t n = rep ? (chance(g, 10) ? 0 : 1 + rn(g, chance(g, 20) ? 200 : 24)) : 1;
    /* direction: set it, or keep it when known */
    int df = g->df;
    if (df < 0 || chance(g, 30)) {
        df = (int)rn(g, 2);
        dinsn_t *s = ib(g, df ? "std" : "cld");
        e8(g, df ? 0xfd : 0xfc);
        ie(g, s, 0, 0, 0);
        g->df = df;
        g->df_mods++;
    }
    uint32_t span = n * (uint32_t)size;
    uint32_t lo, hi;
    if (a16) { lo = LOW_BASE; hi = LOW_BASE + LOW_SIZE; }
    else { lo = DATA_BASE; hi = DATA_BASE + DATA_SIZE; }
    if (span + (uint32_t)size > hi - lo) return 0;
    /* start p so that [p, p+span) (DF=0) or (p-span, p+size] (DF=1) fits */
    uint32_t si = 0, di = 0;
    for (int k = 0; k < 2; k++) {
        uint32_t p;
        if (!df) p = lo + rn(g, hi - lo - span - (uint32_t)size + 1);
        else p = lo + span + rn(g, hi - lo - span - (uint32_t)size + 1);
        if (k == 0) si = p; else di = p;
    }
    if (chance(g, 20)) di = si;                /* overlapping */
    if (a16) {
        /* random high halves (unused with 16-bit addressing), except EDI's
         * for MOVS: this AMD host's REP MOVS with a 0x67 prefix copies
         * overlapping operands like memmove (not x86 semantics) when EDI's
         * high half is not zero -- a host quirk, see README.md */
        si = (rval(g) & 0xffff0000u) | (si & 0xffff);
        di = (op == 0 ? 0 : rval(g) & 0xffff0000u) | (di & 0xffff);
        g->c->uses_low = 1;
        cls(g, C_A16);
    }
    if (uses_si) setreg(g, ESI, si);
    if (uses_di) setreg(g, EDI, di);
    if (rep) {
        uint32_t cv = a16 ? (rval(g) & 0xffff0000u) | n : n;
        setreg(g, ECX, cv);
    }
    pfx_t p = { .n = 0 };
    if (size == 2) p.b[p.n++] = 0x66;
    if (a16) p.b[p.n++] = 0x67;
    /* REPE/REPNE for CMPS/SCAS; only REP (F3) for the others: F2 there is
     * not defined by the SDM */
    if (rep) p.b[p.n++] = (op >= 3 && chance(g, 50)) ? 0xf2 : 0xf3;
    if (uses_si && chance(g, 15)) { p.b[p.n++] = (uint8_t)(0x26 + 8 * rn(g, 4)); cls(g, C_SEG); }
    dinsn_t *in = ib(g, names[op]);
    pfx_emit(g, &p);
    e8(g, opc[op] | (size != 1));
    uint32_t kill = (op >= 3 && n) ? ALL6 : 0;
    ie(g, in, kill, 0, 0);
    unpin(g);
    cls(g, C_STRING);
    return 1;
}

static int c_flagop(g_t *g)
{
    int k = (int)rn(g, 7);
    dinsn_t *in;
    switch (k) {
    case 0:                                    /* lahf */
        if (!writable(g, EAX)) return 0;
        need_flags(g, F_SF | F_ZF | F_AF | F_PF | F_CF);
        in = ib(g, "lahf"); e8(g, 0x9f);
        ie(g, in, 0, 0, F_SF | F_ZF | F_AF | F_PF | F_CF);
        break;
    case 1: in = ib(g, "sahf"); e8(g, 0x9e); ie(g, in, F_SF | F_ZF | F_AF | F_PF | F_CF, 0, 0); break;
    case 2: in = ib(g, "clc"); e8(g, 0xf8); ie(g, in, F_CF, 0, 0); break;
    case 3: in = ib(g, "stc"); e8(g, 0xf9); ie(g, in, F_CF, 0, 0); break;
    case 4:
        need_flags(g, F_CF);
        in = ib(g, "cmc"); e8(g, 0xf5); ie(g, in, F_CF, 0, F_CF);
        break;
    default: {
        int d = k == 5;
        in = ib(g, d ? "std" : "cld"); e8(g, d ? 0xfd : 0xfc); ie(g, in, 0, 0, 0);
        g->df = d;
        g->df_mods++;
        break;
    }
    }
    cls(g, C_FLAGOP);
    return 1;
}

static int c_xlat(g_t *g)
{
    if (!writable(g, EAX) || !setupable(g, EBX)) return 0;
    int a16 = g->o->low_ok && !skipped(g, C_A16) && chance(g, 15);
    uint32_t lo = a16 ? LOW_BASE : DATA_BASE, sz = a16 ? LOW_SIZE : DATA_SIZE;
    uint32_t t = lo + rn(g, sz - 256 + 1);
    if (a16) { t = (rval(g) & 0xffff0000u) | (t & 0xffff); g->c->uses_low = 1; cls(g, C_A16); }
    setreg(g, EBX, t);
    dinsn_t *in = ib(g, "xlat");
    pfx_t p = { .n = 0 };
    if (a16) p.b[p.n++] = 0x67;
    if (chance(g, 15)) { p.b[p.n++] = (uint8_t)(0x26 + 8 * rn(g, 4)); cls(g, C_SEG); }
    pfx_emit(g, &p);
    e8(g, 0xd7);
    ie(g, in, 0, 0, 0);
    unpin(g);
    cls(g, C_XLAT);
    return 1;
}

static int c_bcd(g_t *g)
{
    if (!writable(g, EAX)) return 0;
    int k = (int)rn(g, 6);
    dinsn_t *in;
    switch (k) {
    case 0: case 1:                            /* daa das */
        need_flags(g, F_AF | F_CF);
        in = ib(g, k ? "das" : "daa"); e8(g, k ? 0x2f : 0x27);
        ie(g, in, F_CF | F_AF | F_SF | F_ZF | F_PF, F_OF, F_AF | F_CF);
        break;
    case 2: case 3:                            /* aaa aas */
        need_flags(g, F_AF);
        in = ib(g, k == 3 ? "aas" : "aaa"); e8(g, k == 3 ? 0x3f : 0x37);
        ie(g, in, F_AF | F_CF, F_OF | F_SF | F_ZF | F_PF, F_AF);
        break;
    default: {                                 /* aam aad */
        int aam = k == 4;
        uint32_t imm = chance(g, 50) ? 10 : rn(g, 256);
        if (aam && imm == 0) imm = g->o->allow_div_fault && chance(g, 30) ? 0 : 7;
        in = ib(g, aam ? "aam" : "aad"); e8(g, aam ? 0xd4 : 0xd5); e8(g, imm);
        ie(g, in, F_SF | F_ZF | F_PF, F_OF | F_AF | F_CF, 0);
        break;
    }
    }
    cls(g, C_BCD);
    return 1;
}

static int c_bound(g_t *g)
{
    int size = pick_size16_32(g);
    int r = pick_rreg(g);
    if (r == ESP) r = EAX;
    opnd_t o;
    mem_operand(g, 2 * size, ACC_R, 0, &o);
    int free_r = pick_from(g, setup_mask(g));
    if (free_r >= 0 && chance(g, 85))
        r = free_r;                            /* not the operand's base/index */
    int k = (int)rn(g, 10);
    if (k < 6 && setupable(g, r)) {
        /* write the bounds (by absolute address) and an index that is
         * inside them 80% of the time: most BOUNDs should not fault */
        uint32_t m = size_mask(size), sh = 32 - 8 * (uint32_t)size;
        int32_t lo = (int32_t)(rval(g) << sh) >> sh, hi = (int32_t)(rval(g) << sh) >> sh;
        if (lo > hi) { int32_t t = lo; lo = hi; hi = t; }
        /* (unsigned arithmetic: wraps instead of overflowing) */
        uint32_t v = chance(g, 80) ? (uint32_t)lo + rn(g, (uint32_t)hi - (uint32_t)lo + 1)
                   : chance(g, 50) ? (uint32_t)lo - 1 - rn(g, 8) : (uint32_t)hi + 1 + rn(g, 8);
        for (int i = 0; i < 2; i++) {
            dinsn_t *s = ib(g, "setup");
            if (size == 2) e8(g, 0x66);
            e8(g, 0xc7); e8(g, 0x05); e32(g, o.ea + (uint32_t)(i * size));
            eimm(g, size, (uint32_t)(i ? hi : lo) & m);
            ie(g, s, 0, 0, 0);
        }
        setreg(g, r, (r32(g) & ~m) | (v & m));
    } else if (k < 9 && writable(g, r) && !(g->pinned & (1u << r))) {
        dinsn_t *s = ib(g, "setup");           /* r = lower bound */
        pre(g, size, &o, 0); e8(g, 0x8b); emit_modrm(g, r, &o);
        ie(g, s, 0, 0, 0);
    }
    dinsn_t *in = ib(g, "bound");
    pre(g, size, &o, 0);
    e8(g, 0x62); emit_modrm(g, r, &o);
    ie(g, in, 0, 0, 0);
    unpin(g);
    cls(g, C_BOUND);
    return 1;
}

static int c_into(g_t *g)
{
    need_flags(g, F_OF);
    dinsn_t *in = ib(g, "into");
    e8(g, 0xce);
    ie(g, in, 0, 0, F_OF);
    cls(g, C_INTO);
    return 1;
}

static int c_nop(g_t *g)
{
    dinsn_t *in = ib(g, "nop");
    switch (rn(g, 4)) {
    case 0: e8(g, 0x90); break;
    case 1: e8(g, chance(g, 50) ? 0x66 : 0xf3); e8(g, 0x90); break;   /* xchg ax,ax / pause */
    default: {
        opnd_t o;
        int size = pick_size16_32(g);
        if (chance(g, 25)) reg_operand(&o, (int)rn(g, 8));
        else rand_addr(g, &o, 1);
        pre(g, size, &o, 0);
        e8(g, 0x0f); e8(g, 0x1f); emit_modrm(g, 0, &o);
        break;
    }
    }
    ie(g, in, 0, 0, 0);
    cls(g, C_NOP);
    return 1;
}

static int c_pushf(g_t *g)
{
    if (!can_push(g, 8)) return 0;
    int size16 = chance(g, 15);
    dinsn_t *in;
    switch (rn(g, 3)) {
    case 0:                                    /* pushf; pop r */
    {
        int r = pick_wreg(g, 4);
        if (r < 0) return 0;
        need_flags(g, ALL6);
        in = ib(g, "pushf"); if (size16) e8(g, 0x66); e8(g, 0x9c); ie(g, in, 0, 0, ALL6);
        in = ib(g, "pop r"); if (size16) e8(g, 0x66); e8(g, 0x58 + r); ie(g, in, 0, 0, 0);
        break;
    }
    case 1:                                    /* push imm; popf */
        in = ib(g, "push imm"); e8(g, 0x68); e32(g, popf_value(g)); ie(g, in, 0, 0, 0);
        {
            uint32_t v;
            memcpy(&v, &g->c->code[g->pos - 4], 4);
            g->df = (v & F_DF) ? 1 : 0;
            g->df_mods++;
        }
        in = ib(g, "popf"); if (size16) e8(g, 0x66); e8(g, 0x9d); ie(g, in, ALL6, 0, 0);
        if (size16) g->esp -= 2;               /* 4 pushed, 2 popped */
        break;
    default:                                   /* pushf; xor [esp], imm; popf */
    {
        need_flags(g, ALL6);
        in = ib(g, "pushf"); e8(g, 0x9c); ie(g, in, 0, 0, ALL6);
        uint32_t x = r32(g) & (F_ARITH | F_IF | F_IOPL | F_NT | F_DF | 0x802a);
        in = ib(g, "xor [esp]"); e8(g, 0x81); e8(g, 0x34); e8(g, 0x24); e32(g, x);
        ie(g, in, ALL6 & ~F_AF, F_AF, 0);
        in = ib(g, "popf"); e8(g, 0x9d); ie(g, in, ALL6, 0, 0);
        if (x & F_DF) { if (g->df >= 0) g->df ^= 1; g->df_mods++; }
        break;
    }
    }
    cls(g, C_PUSHF);
    return 1;
}

static int c_arpl(g_t *g)
{
    opnd_t o;
    rm_operand(g, 2, ACC_RW, 40, &o);
    dinsn_t *in = ib(g, "arpl");
    pre(g, 4, &o, 0);
    e8(g, 0x63); emit_modrm(g, pick_rreg(g), &o);
    ie(g, in, F_ZF, 0, 0);
    unpin(g);
    cls(g, C_ARPL);
    return 1;
}

/* A selector for the standard tables (app/raw_tables.h): every kind of
 * descriptor they hold, the LDT's, null; the table's RPL or another.  Never
 * an index at or above RAW_STD_GDT_ENTRIES: the reference kernel keeps its
 * own descriptors there, and raw mode has none. */
static uint32_t std_selector(g_t *g)
{
    static const uint16_t sels[] = {
        0x08, 0x10, 0x19, 0x21, 0x2a, 0x32, 0x3b, 0x43, RAW_SEL_TSS, RAW_SEL_LDT,
        RAW_SEL_NP_DATA0, RAW_SEL_NP_DATA3, RAW_SEL_XO_CODE3, RAW_SEL_CONF_CODE0,
        RAW_SEL_CONF_CODE3, RAW_SEL_RO_DATA3, RAW_SEL_EXPDN_DATA3, RAW_SEL_SMALL_DATA3,
        RAW_SEL_DATA16_3, RAW_SEL_TSS_AVAIL, RAW_SEL_TSS_BUSY, RAW_SEL_CALL_GATE,
        RAW_SEL_TASK_GATE, RAW_SEL_INT_GATE, RAW_SEL_RESERVED,
        RAW_LSEL_DATA3, RAW_LSEL_CODE3, RAW_LSEL_DATA0, RAW_LSEL_NP_DATA3,
    };
    switch (rn(g, 10)) {
    case 0: return rn(g, 4);                                        /* null */
    case 1: return rn(g, RAW_STD_GDT_ENTRIES) << 3 | rn(g, 8);      /* any index, GDT or LDT */
    case 2: return RAW_SEL_DATA(g->c->cpl);
    default: {
        uint32_t sel = sels[rn(g, sizeof sels / sizeof sels[0])];
        return chance(g, 30) ? (sel & ~3u) | rn(g, 4) : sel;
    }
    }
}

/* a selector that neither world has in its GDT or LDT: null, TI=1 (no
 * LDT in either), or an index past both GDTs.  With the standard tables,
 * any of theirs; outside ring 3 without them only null or TI=1 (the
 * reference kernel's own GDT entries would be visible at ring 0). */
static uint32_t bad_selector(g_t *g)
{
    if (g->c->std_tables)
        return std_selector(g);
    if (g->c->cpl < 3)
        return chance(g, 50) ? rn(g, 4) : (r32(g) & 0xffff) | 4;
    switch (rn(g, 3)) {
    case 0: return rn(g, 4);
    case 1: return (r32(g) & 0xffff) | 4;
    default: return (0x100 + rn(g, 0xff00)) & 0xffff & ~4u;
    }
}

static void store_abs(g_t *g, uint32_t ea, int size, uint32_t v, const char *what);

/* LAR, LSL, VERR, VERW on selectors both worlds reject: ZF=0, no change;
 * with the standard tables, on any of theirs, from a register or memory */
static int c_seltest(g_t *g)
{
    opnd_t o;
    uint32_t sel = bad_selector(g);
    if (g->c->std_tables && chance(g, 30)) {
        mem_operand(g, 2, ACC_R, 0, &o);
        store_abs(g, o.ea, 2, sel, "setup");
    } else {
        int src = pick_from(g, setup_mask(g));
        if (src < 0) return 0;
        setreg(g, src, (r32(g) & 0xffff0000u) | sel);
        reg_operand(&o, src);
    }
    int k = (int)rn(g, 4);
    dinsn_t *in;
    if (k < 2) {
        int size = pick_size16_32(g), r = pick_wreg(g, size);
        if (r < 0) { unpin(g); return 0; }
        in = ib(g, k ? "lsl" : "lar");
        pre(g, size, &o, 0);
        e8(g, 0x0f); e8(g, k ? 0x03 : 0x02); emit_modrm(g, r, &o);
    } else {
        in = ib(g, k == 2 ? "verr" : "verw");
        pre(g, 4, &o, 0);
        e8(g, 0x0f); e8(g, 0x00); emit_modrm(g, k == 2 ? 4 : 5, &o);
    }
    ie(g, in, F_ZF, 0, 0);
    unpin(g);
    cls(g, C_SELTEST);
    return 1;
}

/* Segment registers at ring 3, without letting the (different) selector
 * values be seen: mov r,sreg; mov sreg,r; mov r,imm -- or push sreg;
 * pop sreg'; push imm; pop r (the stack slot is overwritten). */
static int c_sreg(g_t *g)
{
    static const int sregs[3] = { 0, 2, 3 };          /* ES SS DS */
    int sr = sregs[rn(g, 3)], sr2 = chance(g, 60) ? sr : sregs[rn(g, 3)];
    int r = pick_from(g, setup_mask(g));
    if (r < 0) return 0;
    int size16 = chance(g, 20);
    dinsn_t *in;
    if (chance(g, 50) || !can_push(g, 8)) {
        in = ib(g, "mov r,sreg"); if (size16) e8(g, 0x66); e8(g, 0x8c); e8(g, 0xc0 | sr << 3 | r);
        ie(g, in, 0, 0, 0);
        in = ib(g, "mov sreg,r"); if (chance(g, 20)) e8(g, 0x66); e8(g, 0x8e); e8(g, 0xc0 | sr2 << 3 | r);
        ie(g, in, 0, 0, 0);
        setreg(g, r, rval(g));
    } else {
        static const uint8_t push[4] = { 0x06, 0, 0x16, 0x1e }, pop[4] = { 0x07, 0, 0x17, 0x1f };
        in = ib(g, "push sreg"); if (size16) e8(g, 0x66); e8(g, push[sr]); ie(g, in, 0, 0, 0);
        in = ib(g, "pop sreg"); if (size16) e8(g, 0x66); e8(g, pop[sr2]); ie(g, in, 0, 0, 0);
        in = ib(g, "push imm"); if (size16) e8(g, 0x66);
        e8(g, 0x6a); e8(g, rval(g)); ie(g, in, 0, 0, 0);       /* overwrite the slot */
        in = ib(g, "pop r"); if (size16) e8(g, 0x66); e8(g, 0x58 + r); ie(g, in, 0, 0, 0);
    }
    cls(g, C_SREG);
    return 1;
}

/* CPUID and RDTSC at ring 3 (allowed in both worlds); the results differ,
 * so the registers are overwritten right after */
static int c_cpuid(g_t *g)
{
    int cpuid = chance(g, 50);
    if (!setupable(g, EAX) || !setupable(g, EDX) ||
        (cpuid && (!setupable(g, EBX) || !setupable(g, ECX))))
        return 0;
    dinsn_t *in;
    if (cpuid) {
        setreg(g, EAX, chance(g, 50) ? rn(g, 2) : rval(g));
        setreg(g, ECX, rval(g));
        in = ib(g, "cpuid"); e8(g, 0x0f); e8(g, 0xa2); ie(g, in, 0, 0, 0);
        setreg(g, EBX, rval(g));
        setreg(g, ECX, rval(g));
    } else {
        in = ib(g, "rdtsc"); e8(g, 0x0f); e8(g, 0x31); ie(g, in, 0, 0, 0);
    }
    setreg(g, EAX, rval(g));
    setreg(g, EDX, rval(g));
    cls(g, C_CPUID);
    return 1;
}

/* ------------------------------------------------------------------ */
/* classes of every ring (gen_opts_t.any_ring): the machine matters    */

/* Ports that both worlds leave unconnected (reads all ones, writes
 * ignored): 0x80 (QEMU's ioport80; 0x81 is its DMA page register, so
 * bytes only), 0x84-0x85 and 0x240-0x247 (nothing there in QEMU's pc
 * machine with -nodefaults; trapsim has devices only at the PIC, PIT,
 * 0xe9, 0xf4 and COM1).  Word and dword accesses aligned: QEMU reads 0
 * from an unaligned unassigned port. */
#define IO_PORT_DX 0x240u
static uint32_t io_port_dx(g_t *g, int size)
{
    return (r32(g) & 0xffff0000u) | ((IO_PORT_DX + rn(g, 8)) & ~(uint32_t)(size - 1));
}

/* the CR0 bits every-ring cases vary: MP EM TS NE WP AM (AM is safe:
 * nothing sets EFLAGS.AC) */
static const uint32_t cr0b[6] = { 0x2, 0x4, 0x8, 0x20, 0x10000, 0x40000 };

/* A memory operand of `size` bytes for a system instruction, and its
 * linear address (for setups that fill it or results overwritten after). */
static uint32_t sys_mem(g_t *g, int size, int acc, opnd_t *o)
{
    mem_operand(g, size, acc, 0, o);
    return o->ea;
}

/* mov dword/word [abs], imm: fills or overwrites memory (no flags) */
static void store_abs(g_t *g, uint32_t ea, int size, uint32_t v, const char *what)
{
    dinsn_t *in = ib(g, what);
    if (size == 2) e8(g, 0x66);
    e8(g, 0xc7); e8(g, 0x05); e32(g, ea);
    eimm(g, size, v);
    ie(g, in, 0, 0, 0);
}

/* CLI, STI, IN, OUT, INS, OUTS where IOPL lets them run (where it does not,
 * c_terminal ends cases with them: #GP(0)). */
static int c_iopl(g_t *g)
{
    if (!g->o->any_ring || !g->io_ok) return 0;
    dinsn_t *in;
    int out = chance(g, 50), size = pick_size(g);
    switch (rn(g, 6)) {
    case 0: in = ib(g, "cli"); e8(g, 0xfa); break;
    case 1: in = ib(g, "sti"); e8(g, 0xfb); break;
    case 2: case 3:                            /* in/out al/ax, imm8 */
        if (size == 4) size = 2;
        if (!out && !writable(g, EAX)) return 0;
        in = ib(g, out ? "out imm8" : "in imm8"); pre(g, size, 0, 0);
        e8(g, (out ? 0xe6 : 0xe4) | (size != 1));
        e8(g, size == 1 && chance(g, 60) ? 0x80 : 0x84);
        break;
    case 4:                                    /* in/out dx */
        if ((!out && !writable(g, EAX)) || !setupable(g, EDX)) return 0;
        setreg(g, EDX, io_port_dx(g, size));
        in = ib(g, out ? "out dx" : "in dx"); pre(g, size, 0, 0);
        e8(g, (out ? 0xee : 0xec) | (size != 1));
        break;
    default: {                                 /* ins/outs, maybe rep */
        int si = out ? ESI : EDI, rep = chance(g, 50);
        if (!setupable(g, EDX) || !setupable(g, si) || (rep && !setupable(g, ECX))) return 0;
        uint32_t n = rep ? rn(g, 9) : 1, span = n * (uint32_t)size;
        if (g->df < 0) {
            g->df = (int)rn(g, 2);
            in = ib(g, g->df ? "std" : "cld"); e8(g, g->df ? 0xfd : 0xfc); ie(g, in, 0, 0, 0);
            g->df_mods++;
        }
        uint32_t p = DATA_BASE + (g->df ? span : 0) + rn(g, DATA_SIZE - span - (uint32_t)size + 1);
        setreg(g, EDX, io_port_dx(g, size));
        setreg(g, si, p);
        if (rep) setreg(g, ECX, n);
        pfx_t pf = { .n = 0 };
        if (size == 2) pf.b[pf.n++] = 0x66;
        if (rep) pf.b[pf.n++] = 0xf3;
        if (out && chance(g, 15)) pf.b[pf.n++] = (uint8_t)(0x26 + 8 * rn(g, 4));
        in = ib(g, out ? "outs" : "ins");
        pfx_emit(g, &pf);
        e8(g, 0x6c | (out ? 2 : 0) | (size != 1));
        break;
    }
    }
    ie(g, in, 0, 0, 0);
    unpin(g);
    cls(g, C_IOPL);
    return 1;
}

/* LTR/LLDT operand: a register or a word in memory holding sel */
static void sel_operand(g_t *g, uint32_t sel, opnd_t *o)
{
    int r = pick_from(g, setup_mask(g));
    if (r >= 0 && chance(g, 70)) {
        setreg(g, r, (r32(g) & 0xffff0000u) | sel);
        reg_operand(o, r);
        return;
    }
    store_abs(g, sys_mem(g, 2, ACC_R, o), 2, sel, "setup");
}

/* System instructions: at CPL 0 the privileged ones, with operands that
 * keep the machine usable (CR0 keeps PE, the GDTR and IDTR their bases and
 * at least the reference kernel's limits); at every CPL the unprivileged
 * stores (SMSW, and with the standard tables SGDT, SIDT, SLDT, STR: the
 * worlds' tables agree there, except the GDTR limit word, overwritten). */
static int c_sys(g_t *g)
{
    if (!g->o->any_ring) return 0;
    int cpl0 = g->c->cpl == 0, std = g->c->std_tables;
    int k = (int)rn(g, 12);
    if (!cpl0 && k < 8) k = 8 + (int)rn(g, 4);
    if (!std && (k == 5 || k == 6 || k == 7 || k == 9 || k == 10)) k = cpl0 && chance(g, 50) ? (int)rn(g, 5) : 8;
    dinsn_t *in;
    opnd_t o;
    switch (k) {
    case 0: case 1: {                          /* mov r,crN; xor r,bits; mov crN,r */
        int r = pick_from(g, setup_mask(g));
        if (r < 0) return 0;
        uint32_t bits = 0;
        if (k == 0) {
            while (!bits)
                for (int b = 0; b < 6; b++)
                    if (chance(g, 30))
                        bits |= cr0b[b];
        } else {
            bits = chance(g, 50) ? 0x4 : chance(g, 50) ? 0x8 : 0xc;    /* TSD DE */
        }
        int crn = k == 0 ? 0 : 4;
        in = ib(g, "mov r,cr"); e8(g, 0x0f); e8(g, 0x20); e8(g, 0xc0 | crn << 3 | r); ie(g, in, 0, ALL6, 0);
        in = ib(g, "xor r,imm"); e8(g, 0x81); e8(g, 0xf0 | r); e32(g, bits); ie(g, in, ALL6 & ~F_AF, F_AF, 0);
        in = ib(g, "mov cr,r"); e8(g, 0x0f); e8(g, 0x22); e8(g, 0xc0 | crn << 3 | r);
        break;
    }
    case 2: {                                  /* mov cr2/cr3, r; mov r', cr2/cr3 */
        int r = pick_from(g, setup_mask(g)), crn = chance(g, 50) ? 2 : 3;
        if (r < 0) return 0;
        uint32_t v = rval(g);
        setreg(g, r, crn == 3 ? v & 0xfffff018u : v);   /* CR3: base, PWT, PCD */
        in = ib(g, "mov cr,r"); e8(g, 0x0f); e8(g, 0x22); e8(g, 0xc0 | crn << 3 | r); ie(g, in, 0, ALL6, 0);
        int w = pick_wreg(g, 4);
        if (w < 0) { unpin(g); cls(g, C_SYS); return 1; }
        in = ib(g, "mov r,cr"); e8(g, 0x0f); e8(g, 0x20); e8(g, 0xc0 | crn << 3 | w);
        break;
    }
    case 3: {                                  /* clts invd wbinvd invlpg */
        int j = (int)rn(g, 4);
        if (j == 3) {
            rand_addr(g, &o, 1);
            in = ib(g, "invlpg"); pre(g, 4, &o, 0); e8(g, 0x0f); e8(g, 0x01); emit_modrm(g, 7, &o);
        } else {
            static const uint8_t op[3] = { 0x06, 0x08, 0x09 };
            in = ib(g, j == 0 ? "clts" : j == 1 ? "invd" : "wbinvd"); e8(g, 0x0f); e8(g, op[j]);
        }
        ie(g, in, 0, 0, 0);
        cls(g, C_SYS);
        return 1;
    }
    case 4:                                    /* lmsw: sets PE MP EM TS, never clears PE */
        sel_operand(g, rval(g) & 0xffff, &o);
        in = ib(g, "lmsw"); pre(g, 4, &o, 0); e8(g, 0x0f); e8(g, 0x01); emit_modrm(g, 6, &o);
        break;
    case 5: case 6: {                          /* sgdt/sidt m; lgdt/lidt m */
        int idt = k == 6;
        uint32_t ea = sys_mem(g, 6, ACC_RW, &o);
        if (chance(g, 50)) {                   /* each world its own table back */
            in = ib(g, idt ? "sidt" : "sgdt"); pre(g, 4, &o, 0); e8(g, 0x0f); e8(g, 0x01);
            emit_modrm(g, idt ? 1 : 0, &o); ie(g, in, 0, 0, 0);
        } else {                               /* the base, and a limit both worlds can live with */
            uint32_t base = idt ? RAW_STD_IDT_BASE : RAW_STD_GDT_BASE;
            uint32_t limit = idt && chance(g, 50) ? RAW_STD_IDT_LIMIT : 0xffff;
            store_abs(g, ea, 4, limit | base << 16, "setup");
            store_abs(g, ea + 4, 2, base >> 16, "setup");
        }
        in = ib(g, idt ? "lidt" : "lgdt"); pre(g, pick_size16_32(g), &o, 0);   /* the bases fit in 24 bits */
        e8(g, 0x0f); e8(g, 0x01); emit_modrm(g, idt ? 3 : 2, &o); ie(g, in, 0, 0, 0);
        if (!idt)                              /* the limits differ: the reference kernel has more */
            store_abs(g, ea, 2, rval(g) & 0xffff, "overwrite");
        unpin(g);
        cls(g, C_SYS);
        return 1;
    }
    case 7: {                                  /* ltr / lldt */
        int ltr = chance(g, 50);
        uint32_t sel = chance(g, 50) ? (ltr ? RAW_SEL_TSS_AVAIL : chance(g, 70) ? RAW_SEL_LDT : rn(g, 4))
                                     : std_selector(g);
        if (ltr && !(sel & ~3u))               /* QEMU takes it without #GP(0) and loses TR */
            sel = RAW_SEL_TSS_BUSY;
        sel_operand(g, sel, &o);
        in = ib(g, ltr ? "ltr" : "lldt"); pre(g, 4, &o, 0); e8(g, 0x0f); e8(g, 0x00);
        emit_modrm(g, ltr ? 3 : 2, &o);
        break;
    }
    case 9: {                                  /* sgdt/sidt m at any CPL */
        int idt = chance(g, 50);
        uint32_t ea = sys_mem(g, 6, ACC_W, &o);
        in = ib(g, idt ? "sidt" : "sgdt"); pre(g, pick_size16_32(g), &o, 0); e8(g, 0x0f); e8(g, 0x01);
        emit_modrm(g, idt ? 1 : 0, &o); ie(g, in, 0, 0, 0);
        if (!idt)
            store_abs(g, ea, 2, rval(g) & 0xffff, "overwrite");
        unpin(g);
        cls(g, C_SYS);
        return 1;
    }
    case 10: {                                 /* sldt/str r/m */
        int str = chance(g, 50), size = pick_size16_32(g);
        rm_operand(g, size, ACC_W, 40, &o);
        in = ib(g, str ? "str" : "sldt"); pre(g, size, &o, 0); e8(g, 0x0f); e8(g, 0x00);
        emit_modrm(g, str ? 1 : 0, &o);
        break;
    }
    default: {                                 /* smsw r/m */
        int size = pick_size16_32(g);
        rm_operand(g, size, ACC_W, 40, &o);
        in = ib(g, "smsw"); pre(g, size, &o, 0); e8(g, 0x0f); e8(g, 0x01); emit_modrm(g, 4, &o);
        break;
    }
    }
    ie(g, in, 0, (k == 0 || k == 1 || k == 2) ? ALL6 : 0, 0);   /* MOV CR: flags undefined */
    unpin(g);
    cls(g, C_SYS);
    return 1;
}

/* Segment register loads (MOV, POP) with selectors of every kind: valid,
 * null, not present, wrong DPL or RPL, wrong type.  A load that works is
 * shown (MOV r,sreg; LAR sees the accessed bit it set) and undone at once
 * with the ring's flat selector: the generator's memory operands assume
 * flat segments, and no access goes through the loaded one (QEMU does not
 * check segment limits). */
/* far JMP or CALL to sel:next instruction (a CALL's frame dropped at once:
 * the CS slot's high half is the implementation's choice) */
static void far_to_next(g_t *g, uint32_t sel, int call)
{
    dinsn_t *in = ib(g, call ? "call far" : "jmp far");
    e8(g, call ? 0x9a : 0xea);
    uint32_t at = g->pos;
    e32(g, 0); e16(g, sel);
    ie(g, in, 0, 0, 0);
    if (!g->full)
        patch32(g, at, CODE_BASE + g->pos);
    if (call) {
        in = ib(g, "mov [esp+4],imm"); e8(g, 0xc7); e8(g, 0x44); e8(g, 0x24); e8(g, 0x04); e32(g, rval(g));
        ie(g, in, 0, 0, 0);
        in = ib(g, "lea esp,[esp+8]"); e8(g, 0x8d); e8(g, 0x64); e8(g, 0x24); e8(g, 0x08);
        ie(g, in, 0, 0, 0);
    }
}

/* CS loads: far JMP/CALL to code segments of every kind (conforming,
 * execute-only, other rings, the LDT's) and to selectors that are not code
 * (#GP/#NP), then straight back to the ring's flat code.  Never to a TSS or
 * a gate: task switches and gate calls are beyond raw mode's tables. */
static int c_csload(g_t *g)
{
    static const uint16_t sels[] = {
        0x08, 0x19, 0x2a, 0x3b, 0x10, 0x43, RAW_SEL_NP_DATA3, RAW_SEL_XO_CODE3, RAW_SEL_CONF_CODE0,
        RAW_SEL_CONF_CODE3, RAW_SEL_RO_DATA3, RAW_SEL_LDT, RAW_SEL_RESERVED, RAW_LSEL_CODE3, 0,
    };
    if (!can_push(g, 16)) return 0;
    uint32_t sel = sels[rn(g, sizeof sels / sizeof sels[0])];
    if (chance(g, 40)) sel = (sel & ~3u) | rn(g, 4);
    far_to_next(g, sel, chance(g, 40));
    int w = pick_wreg(g, 4);
    if (w >= 0) {
        dinsn_t *in = ib(g, "mov r,cs"); e8(g, 0x8c); e8(g, 0xc8 | w); ie(g, in, 0, 0, 0);
    }
    far_to_next(g, RAW_SEL_CODE(g->c->cpl), chance(g, 40));
    cls(g, C_SEGLOAD);
    return 1;
}

static int c_segload(g_t *g)
{
    if (!g->o->any_ring) return 0;
    if (g->c->std_tables && chance(g, 15))
        return c_csload(g);
    static const int sregs[5] = { 0, 2, 3, 4, 5 };     /* ES SS DS FS GS */
    int sr = sregs[rn(g, 5)];
    int keep = pick_from(g, setup_mask(g));
    if (keep < 0) return 0;
    uint32_t flat = RAW_SEL_DATA(g->c->cpl);
    setreg(g, keep, (r32(g) & 0xffff0000u) | flat);
    g->pinned |= (uint8_t)(1u << keep);
    uint32_t sel;
    if (g->c->std_tables)
        sel = std_selector(g);
    else if (chance(g, 60))                    /* the flat table: indexes 1-8, any RPL */
        sel = (1 + rn(g, 8)) << 3 | rn(g, 4);
    else
        sel = bad_selector(g);
    int r = pick_from(g, setup_mask(g));
    if (r < 0) { unpin(g); return 0; }
    dinsn_t *in;
    int w;
    if (chance(g, 20) && (w = pick_from(g, writable_mask(g) & ~(1u << keep))) >= 0) {
        /* LES LSS LDS LFS LGS r, m16:32 (or m16:16): the register too */
        static const uint8_t lxs[6] = { 0xc4, 0, 0xb2, 0xc5, 0xb4, 0xb5 };
        int size = pick_size16_32(g);
        opnd_t o;
        mem_operand(g, size + 2, ACC_R, 0, &o);
        store_abs(g, o.ea, size, rval(g), "setup");
        store_abs(g, o.ea + (uint32_t)size, 2, sel, "setup");
        in = ib(g, "lxs"); pre(g, size, &o, 0);
        if (sr == 2 || sr >= 4) e8(g, 0x0f);
        e8(g, lxs[sr]); emit_modrm(g, w, &o); ie(g, in, 0, 0, 0);
        setreg(g, r, (r32(g) & 0xffff0000u) | sel);   /* for the LAR below */
    } else if (chance(g, 30) && can_push(g, 8)) {
        static const uint8_t pop1[6] = { 0x07, 0, 0x17, 0x1f, 0xa1, 0xa9 };
        in = ib(g, "push imm"); e8(g, 0x68); e32(g, (r32(g) & 0xffff0000u) | sel); ie(g, in, 0, 0, 0);
        in = ib(g, "pop sreg"); if (sr >= 4) e8(g, 0x0f); e8(g, pop1[sr]); ie(g, in, 0, 0, 0);
        setreg(g, r, (r32(g) & 0xffff0000u) | sel);
    } else {
        setreg(g, r, (r32(g) & 0xffff0000u) | sel);
        in = ib(g, "mov sreg,r"); if (chance(g, 20)) e8(g, 0x66); e8(g, 0x8e); e8(g, 0xc0 | sr << 3 | r);
        ie(g, in, 0, 0, 0);
    }
    unsigned wm = writable_mask(g) & ~(1u << keep);   /* keep holds the way back */
    if (g->c->std_tables && chance(g, 40)) {   /* the accessed bit the load set */
        int d = pick_from(g, wm);
        if (d >= 0) {
            in = ib(g, "lar"); e8(g, 0x0f); e8(g, 0x02); e8(g, 0xc0 | d << 3 | r); ie(g, in, F_ZF, 0, 0);
        }
    }
    w = pick_from(g, wm);
    if (w >= 0 && chance(g, 60)) {
        in = ib(g, "mov r,sreg"); if (chance(g, 20)) e8(g, 0x66); e8(g, 0x8c); e8(g, 0xc0 | sr << 3 | w);
        ie(g, in, 0, 0, 0);
    }
    in = ib(g, "mov sreg,flat"); e8(g, 0x8e); e8(g, 0xc0 | sr << 3 | keep); ie(g, in, 0, 0, 0);
    unpin(g);
    cls(g, C_SEGLOAD);
    return 1;
}

/* IRET to the same privilege level (NT cleared first: else a task
 * return): EFLAGS from the frame, IF and IOPL only where CPL and IOPL let
 * them change, as POPF. */
static int c_iret(g_t *g)
{
    if (!g->o->any_ring || !can_push(g, 16)) return 0;
    dinsn_t *in;
    uint32_t v = popf_value(g) & ~F_NT;
    in = ib(g, "push imm"); e8(g, 0x68); e32(g, v); ie(g, in, 0, 0, 0);
    in = ib(g, "popf"); e8(g, 0x9d); ie(g, in, ALL6, 0, 0);
    g->df = (v & F_DF) ? 1 : 0;
    if (chance(g, 30)) {                       /* the current EFLAGS */
        in = ib(g, "pushf"); e8(g, 0x9c); ie(g, in, 0, 0, ALL6);
    } else {                                   /* no VM (virtual-8086 mode at CPL 0), no RF */
        v = popf_value(g) & ~(F_VM | F_RF);
        in = ib(g, "push imm"); e8(g, 0x68); e32(g, v); ie(g, in, 0, 0, 0);
        g->df = (v & F_DF) ? 1 : 0;
    }
    g->df_mods++;
    /* CS as an immediate: PUSH CS may write only 16 bits of the slot */
    in = ib(g, "push imm"); e8(g, 0x68); e32(g, (r32(g) & 0xffff0000u) | RAW_SEL_CODE(g->c->cpl));
    ie(g, in, 0, 0, 0);
    in = ib(g, "push imm"); e8(g, 0x68); e32(g, 0);
    ie(g, in, 0, 0, 0);
    uint32_t at = g->pos - 4;
    in = ib(g, "iret"); e8(g, 0xcf); ie(g, in, ALL6, 0, 0);
    if (!g->full)
        patch32(g, at, CODE_BASE + g->pos);    /* back to the next instruction */
    cls(g, C_IRET);
    return 1;
}

/* Every-ring endings: HLT (stop=hlt at CPL 0, #GP(0) elsewhere), and
 * IRET or RETF to an outer ring, where the data segment registers the new
 * CPL may not use become null (shown before the int3 that ends the case). */
static dinsn_t *c_terminal_ring(g_t *g)
{
    dinsn_t *in;
    int cpl = g->c->cpl;
    if (cpl == 3 || chance(g, 40) || !can_push(g, 32)) {
        in = ib(g, "hlt"); e8(g, 0xf4);
        cls(g, C_SYS);
        return in;
    }
    int iret = chance(g, 60), ncpl = cpl + 1 + (int)rn(g, (uint32_t)(3 - cpl));
    if (iret) {                                /* NT = 0 first: else a task return */
        in = ib(g, "push imm"); e8(g, 0x68); e32(g, popf_value(g) & ~F_NT); ie(g, in, 0, 0, 0);
        in = ib(g, "popf"); e8(g, 0x9d); ie(g, in, ALL6, 0, 0);
    }
    uint32_t nesp = (g->esp - 64 - 4 * rn(g, 32)) | (chance(g, 10) ? 2 : 0);
    uint32_t frame[5] = { 0, (r32(g) & 0xffff0000u) | RAW_SEL_CODE(ncpl),
                          popf_value(g) & ~(F_VM | F_RF), nesp,
                          (r32(g) & 0xffff0000u) | RAW_SEL_DATA(ncpl) };
    if (g->c->std_tables && chance(g, 35))     /* the return's checks: CS or SS of any kind */
        frame[chance(g, 50) ? 1 : 4] = (r32(g) & 0xffff0000u) | std_selector(g);
    if (!iret)                                 /* RETF: no EFLAGS */
        frame[2] = frame[3], frame[3] = frame[4];
    for (int k = iret ? 4 : 3; k >= 1; k--) {
        in = ib(g, "push imm"); e8(g, 0x68); e32(g, frame[k]); ie(g, in, 0, 0, 0);
    }
    in = ib(g, "push imm"); e8(g, 0x68); e32(g, 0); ie(g, in, 0, 0, 0);
    uint32_t at = g->pos - 4;
    in = ib(g, iret ? "iret outward" : "retf outward"); e8(g, iret ? 0xcf : 0xcb);
    ie(g, in, iret ? ALL6 : 0, 0, 0);
    if (!g->full)
        patch32(g, at, CODE_BASE + g->pos);
    static const int sregs[5] = { 0, 1, 3, 4, 5 };   /* ES CS DS FS GS */
    for (int k = 0; k < 5; k++) {
        int w = pick_wreg(g, 4);
        if (w < 0 || chance(g, 30)) continue;
        in = ib(g, "mov r,sreg"); e8(g, 0x8c); e8(g, 0xc0 | sregs[k] << 3 | w); ie(g, in, 0, 0, 0);
    }
    cls(g, C_IRET);
    in = ib(g, "int3"); e8(g, 0xcc);
    return in;
}

/* ------------------------------------------------------------------ */
/* terminal instructions: privileged at ring 3, int n, #UD             */

static void c_terminal(g_t *g)
{
    dinsn_t *in;
    opnd_t o;
    if (g->o->any_ring && chance(g, 30)) {
        in = c_terminal_ring(g);
        ie(g, in, 0, 0, 0);
        in->terminal = 1;
        unpin(g);
        return;
    }
    int k = (int)rn(g, 24);
    static const int kcls[24] = {
        C_PRIV, C_PRIV, C_PRIV, C_PRIV, C_PRIV, C_PRIV, C_PRIV, C_PRIV, C_PRIV,
        C_INTN, C_INTN, C_INTN, C_UD, C_UD, C_UD, C_SEG, C_BCD, -1, -1, -1,
        C_TOOLONG, C_TF, C_SREGFAULT, C_SREGFAULT };
    if (kcls[k] >= 0 && skipped(g, kcls[k]))
        k = 19;                                /* plain int3 */
    /* Where they would run (ring 0, or I/O that IOPL allows), random
     * operands are not safe: c_sys and c_iopl generate those cases. */
    if ((g->c->cpl == 0 && k >= 5 && k <= 8) || (g->io_ok && (k == 3 || k == 4)))
        k = 19;
    switch (k) {
    case 20:                                   /* 16 bytes: #GP(0) */
    {
        uint8_t pf = (uint8_t)(chance(g, 50) ? 0x66 : 0x26 + 8 * rn(g, 4));
        in = ib(g, "too long");
        for (int i = 0; i < 15; i++)
            e8(g, chance(g, 80) ? pf : 0x3e);
        e8(g, 0x90);
        cls(g, C_TOOLONG);
        break;
    }
    case 21:                                   /* EFLAGS.TF: #DB after one instruction */
        if (can_push(g, 12)) {
            /* every ring: after MOV SS or POP SS the #DB waits one more
             * instruction (SDM vol. 3 6.8.3) */
            int ssr = g->o->any_ring && chance(g, 40) ? pick_from(g, setup_mask(g)) : -1;
            int popss = ssr >= 0 && chance(g, 50);
            uint32_t flat = (r32(g) & 0xffff0000u) | RAW_SEL_DATA(g->c->cpl);
            if (popss) {
                dinsn_t *p = ib(g, "push imm"); e8(g, 0x68); e32(g, flat); ie(g, p, 0, 0, 0);
            } else if (ssr >= 0) {
                setreg(g, ssr, flat);
            }
            dinsn_t *p = ib(g, "push imm");
            e8(g, 0x68); e32(g, popf_value(g) | F_TF);
            ie(g, p, 0, 0, 0);
            p = ib(g, "popf (TF)");
            e8(g, 0x9d);
            ie(g, p, ALL6, 0, 0);
            if (ssr >= 0) {
                p = ib(g, popss ? "pop ss (TF)" : "mov ss,r (TF)");
                if (popss) e8(g, 0x17);
                else { e8(g, 0x8e); e8(g, 0xd0 | ssr); }
                ie(g, p, 0, 0, 0);
            }
            int r = pick_wreg(g, 4);
            in = ib(g, "traced");
            switch (r < 0 ? 3 : (int)rn(g, 4)) {
            case 0: e8(g, 0x40 + r); ie(g, in, ALL6 & ~F_CF, 0, 0); break;           /* inc */
            case 1: e8(g, 0x83); e8(g, 0xc0 | r); e8(g, rval(g)); ie(g, in, ALL6, 0, 0); break;
            case 2: e8(g, 0xb8 + r); e32(g, rval(g)); ie(g, in, 0, 0, 0); break;
            default: e8(g, 0x90); ie(g, in, 0, 0, 0); break;
            }
            cls(g, C_TF);
            in = ib(g, "int3");
            e8(g, 0xcc);
            break;
        }
        in = ib(g, "int3"); e8(g, 0xcc);
        break;
    case 22: case 23:                          /* null or invalid selector */
    {
        static const int sregs[3] = { 0, 2, 3 };  /* ES SS DS */
        int sr = sregs[rn(g, 3)];
        int use = sr != 2 && chance(g, 50);    /* null ES/DS, then use it */
        uint32_t sel = use ? rn(g, 4) : bad_selector(g);
        if (use)
            mem_operand(g, 4, ACC_R, MO_NOSEG | MO_NO16, &o);
        int r = pick_from(g, setup_mask(g));
        if (r < 0) { in = ib(g, "int3"); e8(g, 0xcc); break; }
        if (chance(g, 30) && can_push(g, 8)) {
            dinsn_t *p = ib(g, "push imm"); e8(g, 0x68); e32(g, sel | (r32(g) & 0xffff0000u));
            ie(g, p, 0, 0, 0);
            static const uint8_t pop[4] = { 0x07, 0, 0x17, 0x1f };
            in = ib(g, "pop sreg"); e8(g, pop[sr]);
            if (use) ie(g, in, 0, 0, 0);
        } else {
            setreg(g, r, (r32(g) & 0xffff0000u) | sel);
            in = ib(g, "mov sreg,r"); e8(g, 0x8e); e8(g, 0xc0 | sr << 3 | r);
            if (use) ie(g, in, 0, 0, 0);
        }
        if (use) {                             /* the load works; the access faults */
            o.seg = sr == 0 ? 0x26 : 0x3e;
            int w = pick_rreg(g);
            in = ib(g, "mov r,nullseg:m"); pre(g, 4, &o, 0); e8(g, 0x8b); emit_modrm(g, w, &o);
        }
        cls(g, C_SREGFAULT);
        break;
    }
    case 0: in = ib(g, "cli"); e8(g, 0xfa); cls(g, C_PRIV); break;
    case 1: in = ib(g, "sti"); e8(g, 0xfb); cls(g, C_PRIV); break;
    case 2: in = ib(g, "hlt"); e8(g, 0xf4); cls(g, C_PRIV); break;
    case 3:                                    /* in/out */
    {
        static const uint8_t io[8] = { 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef };
        uint8_t op = io[rn(g, 8)];
        in = ib(g, "in/out");
        if ((op & 1) && chance(g, 30)) e8(g, 0x66);
        e8(g, op);
        if (op < 0xe8) e8(g, rn(g, 256));
        cls(g, C_PRIV);
        break;
    }
    case 4:                                    /* ins/outs */
        in = ib(g, "ins/outs");
        e8(g, 0x6c + rn(g, 4));
        cls(g, C_PRIV);
        break;
    case 5:
    {
        static const uint8_t t[5] = { 0x06, 0x08, 0x09, 0x30, 0x32 };  /* clts invd wbinvd wrmsr rdmsr */
        in = ib(g, "priv 0f");
        e8(g, 0x0f); e8(g, t[rn(g, 5)]);
        cls(g, C_PRIV);
        break;
    }
    case 6:                                    /* mov crN / drN */
    {
        static const uint8_t crs[4] = { 0, 2, 3, 4 }, drs[6] = { 0, 1, 2, 3, 6, 7 };
        int dr = chance(g, 40), to = chance(g, 50);
        int n = dr ? drs[rn(g, 6)] : crs[rn(g, 4)];
        in = ib(g, dr ? "mov dr" : "mov cr");
        e8(g, 0x0f); e8(g, 0x20 | (to ? 2 : 0) | dr);
        e8(g, (rn(g, 4) << 6) | n << 3 | rn(g, 8));  /* mod is ignored */
        cls(g, C_PRIV);
        break;
    }
    case 7:                                    /* lgdt lidt invlpg m; lmsw */
    {
        static const int sub[4] = { 2, 3, 7, 6 };
        int s = sub[rn(g, 4)];
        if (s == 6 && chance(g, 50)) reg_operand(&o, (int)rn(g, 8));
        else mem_operand(g, 6, ACC_R, 0, &o);
        in = ib(g, s == 2 ? "lgdt" : s == 3 ? "lidt" : s == 7 ? "invlpg" : "lmsw");
        pre(g, 4, &o, 0);
        e8(g, 0x0f); e8(g, 0x01); emit_modrm(g, s, &o);
        cls(g, C_PRIV);
        break;
    }
    case 8:                                    /* lldt ltr */
        if (chance(g, 50)) reg_operand(&o, (int)rn(g, 8));
        else mem_operand(g, 2, ACC_R, 0, &o);
        in = ib(g, "lldt/ltr");
        pre(g, 4, &o, 0);
        e8(g, 0x0f); e8(g, 0x00); emit_modrm(g, 2 + (int)rn(g, 2), &o);
        cls(g, C_PRIV);
        break;
    case 9: case 10: case 11:                  /* int n */
    {
        uint32_t n;
        do n = rn(g, 256); while (n == 0x80 || n == 3 || n == 4);
        if (chance(g, 10)) n = 3 + rn(g, 2);
        in = ib(g, "int n"); e8(g, 0xcd); e8(g, n);
        cls(g, C_INTN);
        break;
    }
    case 12:
    {
        static const uint8_t ud[4] = { 0x0b, 0xff, 0x04, 0x0a };
        in = ib(g, "ud");
        e8(g, 0x0f); e8(g, ud[rn(g, 4)]);
        if (g->c->code[g->pos - 1] == 0xff) e8(g, 0xc0);
        cls(g, C_UD);
        break;
    }
    case 13:                                   /* lock on a non-lockable form */
        in = ib(g, "lock bad");
        e8(g, 0xf0);
        switch (rn(g, 3)) {
        case 0: e8(g, 0x01); e8(g, 0xc0 | rn(g, 64)); break;     /* add r,r */
        case 1: e8(g, 0x90); break;
        default: e8(g, 0x8b); e8(g, 0xc0 | rn(g, 64)); break;   /* mov */
        }
        cls(g, C_UD);
        break;
    case 14:                                   /* reg forms that need memory */
        in = ib(g, "bad modrm");
        /* (not BOUND r,r: 62 with mod 11 is an EVEX prefix on AVX-512 hosts) */
        if (chance(g, 50)) { e8(g, 0x8d); e8(g, 0xc0 | rn(g, 64)); }      /* lea r,r */
        else { e8(g, 0x0f); e8(g, 0xc7); e8(g, 0xc8 | rn(g, 8)); }        /* cmpxchg8b r */
        cls(g, C_UD);
        break;
    case 15:                                   /* write through CS */
        mem_operand(g, 4, ACC_R, MO_NOSEG, &o);
        o.seg = 0x2e;
        in = ib(g, "mov cs:m");
        pre(g, 4, &o, 0);
        e8(g, 0x89); emit_modrm(g, (int)rn(g, 8), &o);
        cls(g, C_SEG);
        break;
    case 16:
        if (g->o->allow_div_fault) {           /* aam 0 */
            in = ib(g, "aam 0"); e8(g, 0xd4); e8(g, 0);
            cls(g, C_BCD);
            break;
        }
        /* fall through */
    default:                                   /* int3 */
        in = ib(g, "int3"); e8(g, 0xcc);
        break;
    }
    ie(g, in, 0, 0, 0);
    in->terminal = 1;
    unpin(g);
}

/* ------------------------------------------------------------------ */

typedef struct cdef { int (*fn)(g_t *); int weight, cls; } cdef_t;
static const cdef_t classes[] = {
    { c_mov, 8, C_MOV }, { c_movx, 4, C_MOVX }, { c_lea, 4, C_LEA }, { c_xchg, 3, C_XCHG }, { c_cmpxchg, 3, C_CMPXCHG },
    { c_cmpxchg8b, 2, C_CMPXCHG8B }, { c_xadd, 2, C_XADD }, { c_bswap, 1, C_BSWAP }, { c_alu, 16, C_ALU }, { c_test, 3, C_TEST },
    { c_incdec, 4, C_INCDEC }, { c_negnot, 3, C_NEGNOT }, { c_mul, 3, C_MUL }, { c_imul, 3, C_IMUL }, { c_div, 3, C_DIV },
    { c_shift, 10, C_SHIFT }, { c_shxd, 4, C_SHXD }, { c_bt, 5, C_BT }, { c_bsf, 3, C_BSF }, { c_setcc, 3, C_SETCC },
    { c_cmov, 3, C_CMOV }, { c_jcc, 4, C_JCC }, { c_jmp, 1, C_JMP }, { c_conv, 2, C_CONV }, { c_pushpop, 5, C_PUSHPOP },
    { c_pusha, 1, C_PUSHA }, { c_enter, 1, C_ENTER }, { c_call, 2, C_CALL }, { c_loop, 2, C_LOOP }, { c_string, 5, C_STRING },
    { c_flagop, 3, C_FLAGOP }, { c_xlat, 1, C_XLAT }, { c_bcd, 4, C_BCD }, { c_bound, 1, C_BOUND }, { c_into, 1, C_INTO },
    { c_nop, 2, C_NOP }, { c_pushf, 3, C_PUSHF }, { c_arpl, 1, C_ARPL }, { c_seltest, 1, C_SELTEST }, { c_sreg, 1, C_SREG },
    { c_cpuid, 1, C_CPUID }, { c_iopl, 2, C_IOPL }, { c_sys, 4, C_SYS }, { c_segload, 3, C_SEGLOAD },
    { c_iret, 1, C_IRET },
};
#define NCLASSES (int)(sizeof classes / sizeof classes[0])

static int gen_one(g_t *g)
{
    static int total;
    if (!total)
        for (int i = 0; i < NCLASSES; i++)
            total += classes[i].weight;
    for (int tries = 0; tries < 20; tries++) {
        if (!room(g, 64))
            return 0;
        int w = (int)rn(g, (uint32_t)total), i = 0;
        while (w >= classes[i].weight) {
            w -= classes[i].weight;
            i++;
        }
        if (!skipped(g, classes[i].cls) && classes[i].fn(g))
            return 1;
    }
    return 0;
}

static void gen_block(g_t *g, int n)
{
    for (int i = 0; i < n; i++)
        if (!gen_one(g))
            break;
}

void gen_default_opts(gen_opts_t *o)
{
    o->low_ok = 0;
    o->max_len = 12;
    o->allow_div_fault = 1;
    o->allow_priv = 1;
}

/* The machine around an every-ring case: CPL, IOPL, IF, the standard
 * tables mostly, some CR0 bits (never CD/NW/PG; AM is safe: nothing sets
 * AC) and CR4.TSD/DE. */
static void gen_machine(g_t *g)
{
    dcase_t *c = g->c;
    c->cpl = (uint8_t)rn(g, 4);
    c->eflags = (c->eflags & ~(F_IF | F_IOPL)) | (chance(g, 50) ? F_IF : 0) | rn(g, 4) << 12;
    c->std_tables = (uint8_t)chance(g, 85);
    for (int b = 0; b < 6; b++)
        if (chance(g, 15))
            c->cr0 |= cr0b[b];
    if (chance(g, 20)) c->cr4 |= 0x4;          /* TSD */
    if (chance(g, 20)) c->cr4 |= 0x8;          /* DE */
}

void gen_case(const gen_opts_t *o, uint64_t seed, uint64_t index, dcase_t *c)
{
    memset(c, 0, sizeof *c);
    c->seed = seed;
    c->index = index;
    c->cpl = 3;
    c->cr0 = 0x00000011;    /* PE|ET, as trapsim raw and Multiboot leave it */
    g_t gs, *g = &gs;
    memset(g, 0, sizeof *g);
    g->o = o;
    g->c = c;
    uint64_t x = seed ^ (index * 0xd1342543de82ef95ull) ^ 0x7472617073696dull;
    for (int i = 0; i < 4; i++)
        g->rs[i] = splitmix(&x);
    g->limit = CODE_MAX - 64;

    for (int r = 0; r < NREGS; r++)
        c->regs[r] = rval(g);
    g->esp = chance(g, 50) ? STACK_TOP : STACK_TOP - 4 * rn(g, 64);
    c->regs[R_ESP] = g->esp;
    g->df = (int)rn(g, 2);
    c->eflags = 0x202 | (r32(g) & F_ARITH) | (g->df ? F_DF : 0);
    g->U = 0;
    if (o->any_ring)
        gen_machine(g);
    g->io_ok = c->cpl == 0 || c->cpl <= (c->eflags & F_IOPL) >> 12;

    for (uint32_t i = 0; i < DATA_SIZE; i += 4) {
        uint32_t v = chance(g, 70) ? r32(g) : rval(g);
        memcpy(&c->data[i], &v, 4);
    }
    for (uint32_t i = 0; i < LOW_SIZE; i += 4) {
        uint32_t v = r32(g);
        memcpy(&c->low[i], &v, 4);
    }
    /* random stack contents around the initial ESP */
    uint32_t slo = g->esp - 256, shi = g->esp + 256 > STACK_TOP ? STACK_TOP : g->esp + 256;
    for (uint32_t a = slo; a < shi; a += 4) {
        uint32_t v = rval(g);
        memcpy(&c->stack[a - STACK_LO], &v, 4);
    }
    c->stack_init_lo = slo;
    c->stack_init_hi = shi;

    int n = o->max_len > 0 ? 1 + (int)rn(g, (uint32_t)o->max_len) : 1;
    gen_block(g, n);
    if (o->allow_priv && chance(g, 12))
        c_terminal(g);
    dinsn_t *in = ib(g, "int3");
    e8(g, 0xcc);
    ie(g, in, 0, 0, 0);
    in->nofall = 1;
    in->terminal = 1;
    c->code_len = g->pos;
    if (!c->uses_low) {
        /* keep the LOW area zero-filled when unused: smaller command line */
        memset(c->low, 0, sizeof c->low);
    }
    gen_flow(c, 0, 0);
}

/* ------------------------------------------------------------------ */
/* dataflow: flags that may be undefined before each instruction       */

static int insn_index_at(const dcase_t *c, int32_t off)
{
    for (int i = 0; i < c->ninsns; i++)
        if (c->insns[i].off == off)
            return i;
    return -1;
}

int gen_flow(dcase_t *c, char *msg, size_t msglen)
{
    static uint8_t reached[MAX_INSNS];
    static int byoff[CODE_MAX + 1];
    for (uint32_t i = 0; i <= CODE_MAX; i++) byoff[i] = -1;
    for (int i = 0; i < c->ninsns; i++) {
        byoff[c->insns[i].off] = i;
        c->insns[i].undef = 0;
        reached[i] = 0;
    }
    if (!c->ninsns) return 0;
    reached[insn_index_at(c, 0)] = 1;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (int i = 0; i < c->ninsns; i++) {
            if (!reached[i]) continue;
            dinsn_t *in = &c->insns[i];
            uint32_t out = (in->undef & ~in->kill) | in->gen;
            int32_t succ[3] = { in->succ[0], in->succ[1],
                                in->nofall ? -1 : (int32_t)(in->off + in->len) };
            for (int k = 0; k < 3; k++) {
                if (succ[k] < 0 || succ[k] > (int32_t)CODE_MAX) continue;
                int j = byoff[succ[k]];
                if (j < 0) continue;
                if (!reached[j] || (c->insns[j].undef | out) != c->insns[j].undef) {
                    reached[j] = 1;
                    c->insns[j].undef |= out;
                    changed = 1;
                }
            }
        }
    }
    int bad = 0;
    for (int i = 0; i < c->ninsns; i++) {
        const dinsn_t *in = &c->insns[i];
        if (reached[i] && (in->reads & in->undef)) {
            if (!bad && msg)
                snprintf(msg, msglen, "instruction %d (%s at +%u) reads flags %03x that may be undefined",
                         i, in->what, in->off, in->reads & in->undef);
            bad++;
        }
    }
    return bad;
}

uint32_t gen_undef_at_stop(const dcase_t *c, const dresult_t *r)
{
    uint32_t off = r->eip - CODE_BASE;
    /* traps (int3, int n, INTO, single step) stop after the instruction */
    int after = r->stop == STOP_INT3 || r->stop == STOP_INT ||
                (r->stop == STOP_EXC && (r->vector == 4 || r->vector == 1));
    for (int i = 0; i < c->ninsns; i++) {
        const dinsn_t *in = &c->insns[i];
        if (after && (uint32_t)in->off + in->len == off)
            return (in->undef & ~in->kill) | in->gen;
        if (!after && in->off == off)
            return in->undef;
    }
    return ALL6;
}
