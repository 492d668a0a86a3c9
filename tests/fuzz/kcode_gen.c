/* The generator of random guest kernel code (kcode_gen.h). */
#include <string.h>
#include "tests/fuzz/kcode_gen.h"

/* Where things are, as offsets from KCODE_LOAD (the file is the image). */
#define O_CODE      0x0060u     /* after the ELF and Multiboot headers: the prologue */
#define O_GDT       0x1000u     /* null, code 0x08, data 0x10, data base 0x1000 0x18 */
#define O_GDTR      0x1040u
#define O_IDTR      0x1048u
#define O_IDT       0x1800u
#define O_STUBS     0x2000u     /* 16 bytes a vector */
#define O_HANDLERS  0x3000u     /* the fault path, IRQ0, put32, the end */
#define O_BODY      0x3800u     /* the random blocks, then the subroutines */
#define O_BODY_END  (KCODE_IMAGE_MAX - 0x40u)
#define O_SCRATCH   (KCODE_IMAGE_MAX - 0x40u)   /* patched when a store has no target */
#define O_DATA      0x14000u    /* EBP: 64 bytes the blocks load and store (bss) */
#define O_STACK     0x18000u    /* ESP at the start (bss) */
#define O_MEMSZ     0x19000u
#define COM1        0x3f8

#define MAX_BLOCKS  48
#define MAX_SUBS    4
#define MAX_FIX     256

typedef struct gen {
    const uint8_t *in;
    size_t n, pos;
    uint8_t *img;
    uint32_t at;                /* emit cursor (offset) */
    unsigned flags;
    uint32_t block[MAX_BLOCKS + 1];
    int nblocks;
    uint32_t sub[MAX_SUBS];
    /* fix-ups: a rel32 or abs32 at `at` that names block `to` (or sub), or
     * an abs32 naming the k-th MOV imm32 after `after` */
    struct fix { uint32_t at; int to, kind; } fix[MAX_FIX];
    int nfix;
    uint32_t movimm[512];       /* offsets of MOV imm32 immediates, in order */
    int nmovimm;
} gen_t;

enum { FIX_REL_BLOCK, FIX_ABS_BLOCK, FIX_REL_SUB, FIX_ABS_MOVIMM };

static uint8_t pick(gen_t *g) { return g->pos < g->n ? g->in[g->pos++] : 0; }
static uint32_t pick32(gen_t *g)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++)
        v |= (uint32_t)pick(g) << (8 * k);
    return v;
}

static void b(gen_t *g, uint8_t v) { if (g->at < O_BODY_END) g->img[g->at++] = v; }
static void d(gen_t *g, uint32_t v) { for (int k = 0; k < 4; k++) b(g, (uint8_t)(v >> (8 * k))); }
static void bytes(gen_t *g, const char *s, size_t n) { for (size_t k = 0; k < n; k++) b(g, (uint8_t)s[k]); }
#define EMIT(g, lit) bytes(g, lit, sizeof lit - 1)
static uint32_t addr(uint32_t off) { return KCODE_LOAD + off; }
static void fix(gen_t *g, int kind, int to)
{
    if (g->nfix < MAX_FIX)
        g->fix[g->nfix++] = (struct fix){ g->at, to, kind };
    d(g, 0);
}
static void put32_at(uint8_t *img, uint32_t at, uint32_t v) { memcpy(img + at, &v, 4); }

/* General registers the blocks use: not ESP, not EBP. */
static const uint8_t regs[6] = { 0, 1, 2, 3, 6, 7 };
static uint8_t reg(gen_t *g) { return regs[pick(g) % 6]; }

/* ---- the fixed parts ---- */
static void headers(gen_t *g, uint32_t filesz)
{
    uint8_t *p = g->img;
    static const uint8_t ident[16] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
    memcpy(p, ident, 16);
    p[16] = 2; p[18] = 3; p[20] = 1;                        /* ET_EXEC, EM_386, version */
    put32_at(p, 24, addr(O_CODE));                          /* e_entry */
    put32_at(p, 28, 52);                                    /* e_phoff */
    p[40] = 52; p[42] = 32; p[44] = 1;                      /* ehsize, phentsize, phnum */
    put32_at(p, 52, 1);                                     /* PT_LOAD */
    put32_at(p, 56, 0);                                     /* p_offset */
    put32_at(p, 60, KCODE_LOAD);
    put32_at(p, 64, KCODE_LOAD);
    put32_at(p, 68, filesz);
    put32_at(p, 72, O_MEMSZ);
    put32_at(p, 76, 7);                                     /* RWX */
    put32_at(p, 84, 0x1BADB002);                            /* Multiboot: magic, flags 0, checksum */
    put32_at(p, 88, 0);
    put32_at(p, 92, (uint32_t)-0x1BADB002);
}

static void tables(gen_t *g)
{
    static const uint32_t gdt[8] = {
        0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300, 0x1000ffff, 0x00cf9300,
    };
    memcpy(g->img + O_GDT, gdt, sizeof gdt);
    g->img[O_GDTR] = sizeof gdt - 1;
    put32_at(g->img, O_GDTR + 2, addr(O_GDT));
    g->img[O_IDTR] = 0xff; g->img[O_IDTR + 1] = 0x07;
    put32_at(g->img, O_IDTR + 2, addr(O_IDT));
    for (uint32_t v = 0; v < 256; v++) {
        uint32_t h = v == 0x20 ? addr(O_HANDLERS + 0x100) : addr(O_STUBS + 16 * v);
        put32_at(g->img, O_IDT + 8 * v, (h & 0xffff) | (0x08u << 16));
        put32_at(g->img, O_IDT + 8 * v + 4, (h & 0xffff0000u) | 0x8e00u);
        /* stub: [push $0] push $v; jmp fault (the CPU pushed an error code for 8, 10-14, 17) */
        g->at = O_STUBS + 16 * v;
        int err = v == 8 || (v >= 10 && v <= 14) || v == 17;
        if (!err)
            EMIT(g, "\x6a\x00");
        b(g, 0x68); d(g, v);
        b(g, 0xe9); d(g, O_HANDLERS - (g->at + 4));
    }
}

/* put32 (O_HANDLERS + 0x180): the 4 bytes of EAX to COM1, low first. */
static void handlers(gen_t *g)
{
    /* the fault path: 'F', the vector, the frame's EIP, CS, then every register; exit 1 */
    g->at = O_HANDLERS;
    EMIT(g, "\x60");                                        /* pusha */
    EMIT(g, "\xb0\x46\x66\xba\xf8\x03\xee");                /* 'F' */
    EMIT(g, "\x8b\x44\x24\x20"); b(g, 0xe8); d(g, O_HANDLERS + 0x180 - (g->at + 4));   /* vector */
    EMIT(g, "\x8b\x44\x24\x28"); b(g, 0xe8); d(g, O_HANDLERS + 0x180 - (g->at + 4));   /* EIP */
    EMIT(g, "\x8b\x44\x24\x2c"); b(g, 0xe8); d(g, O_HANDLERS + 0x180 - (g->at + 4));   /* CS */
    for (int k = 7; k >= 0; k--) {
        if (k == 3)
            continue;                                       /* PUSHA's ESP */
        b(g, 0x8b); b(g, 0x44); b(g, 0x24); b(g, (uint8_t)(4 * k));
        b(g, 0xe8); d(g, O_HANDLERS + 0x180 - (g->at + 4));
    }
    EMIT(g, "\xb0\x01\xe6\xf4\xfa\xf4");                    /* exit status 3; cli; hlt */

    /* IRQ0: count, EOI, IRET (the count is not printed: timing may differ) */
    g->at = O_HANDLERS + 0x100;
    EMIT(g, "\x50\xff\x05"); d(g, addr(O_DATA + 0x100));
    EMIT(g, "\xb0\x20\xe6\x20\x58\xcf");

    /* put32 */
    g->at = O_HANDLERS + 0x180;
    EMIT(g, "\x52\x66\xba\xf8\x03");                        /* push edx; mov $0x3f8, dx */
    for (int k = 0; k < 4; k++)
        EMIT(g, "\xee\xc1\xc8\x08");                        /* out al, dx; ror $8, eax */
    EMIT(g, "\x5a\xc3");

    /* the end (O_HANDLERS + 0x200): 'E', registers, flags, the data area; exit 0 */
    g->at = O_HANDLERS + 0x200;
    EMIT(g, "\x9c\x60");                                    /* pushf; pusha */
    EMIT(g, "\xb0\x45\x66\xba\xf8\x03\xee");                /* 'E' */
    for (int k = 7; k >= 0; k--) {
        if (k == 3)
            continue;
        b(g, 0x8b); b(g, 0x44); b(g, 0x24); b(g, (uint8_t)(4 * k));
        b(g, 0xe8); d(g, O_HANDLERS + 0x180 - (g->at + 4));
    }
    EMIT(g, "\x8b\x44\x24\x20\x25"); d(g, 0x000036d5);      /* IOPL DF IF and the arithmetic flags */
    b(g, 0xe8); d(g, O_HANDLERS + 0x180 - (g->at + 4));
    for (uint32_t k = 0; k < 64; k += 4) {
        b(g, 0xa1); d(g, addr(O_DATA + k));
        b(g, 0xe8); d(g, O_HANDLERS + 0x180 - (g->at + 4));
    }
    EMIT(g, "\xb0\x00\xe6\xf4\xfa\xf4");
}

static void prologue(gen_t *g)
{
    g->at = O_CODE;
    EMIT(g, "\x0f\x01\x15"); d(g, addr(O_GDTR));            /* lgdt */
    EMIT(g, "\x0f\x01\x1d"); d(g, addr(O_IDTR));            /* lidt */
    EMIT(g, "\xea"); d(g, addr(g->at + 6)); EMIT(g, "\x08\x00");   /* ljmp $8, next */
    EMIT(g, "\xb8\x10\x00\x00\x00\x8e\xd8\x8e\xc0\x8e\xd0\x8e\xe0\x8e\xe8");   /* ds es ss fs gs */
    b(g, 0xbc); d(g, addr(O_STACK));                        /* esp */
    b(g, 0xbd); d(g, addr(O_DATA));                         /* ebp */
    /* 8259A pair at 0x20/0x28, all masked but (with KCODE_TIMER) IRQ0 */
    EMIT(g, "\xb0\x11\xe6\x20\xe6\xa0\xb0\x20\xe6\x21\xb0\x28\xe6\xa1"
            "\xb0\x04\xe6\x21\xb0\x02\xe6\xa1\xb0\x01\xe6\x21\xe6\xa1\xb0\xff\xe6\xa1");
    if (g->flags & KCODE_TIMER) {
        EMIT(g, "\xb0\x34\xe6\x43\xb0\xc8\xe6\x40\xb0\x00\xe6\x40");   /* PIT mode 2, reload 200 */
        EMIT(g, "\xb0\xfe\xe6\x21\xfb");                    /* unmask IRQ0; sti */
    } else {
        EMIT(g, "\xb0\xff\xe6\x21");
    }
    for (int r = 0; r < 8; r++)                             /* the registers from the input */
        if (r != 4 && r != 5) {
            b(g, (uint8_t)(0xb8 + r)); d(g, pick32(g));
        }
    b(g, 0xe9); fix(g, FIX_REL_BLOCK, 0);                   /* jmp block 0 */
}

/* ---- the random items ---- */
/* A dword of the data area (0..56; 60 is a loop's counter); `room`
 * more bytes (SGDT, SIDT store 6) stay below 60 too. */
static uint8_t data_disp(gen_t *g, int room) { return (uint8_t)(4 * (pick(g) % (15 - room))); }

/* One item. `where`: 0 main body (any transfer), 1 loop body or
 * subroutine (straight-line code only). */
static void item(gen_t *g, int where, int blk)
{
    uint8_t r = reg(g), r2 = reg(g), k = pick(g);
    switch (k % 24) {
    case 0: case 1: case 2: {
        static const uint8_t alu[9] = { 0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39, 0x85 };
        b(g, alu[pick(g) % 9]); b(g, (uint8_t)(0xc0 | r2 << 3 | r));
        break;
    }
    case 3:
        if (g->nmovimm < 512)
            g->movimm[g->nmovimm++] = g->at + 1;
        b(g, (uint8_t)(0xb8 + r)); d(g, pick32(g));
        break;
    case 4: {
        static const uint8_t sh[5] = { 0, 1, 4, 5, 7 };
        b(g, 0xc1); b(g, (uint8_t)(0xc0 | sh[pick(g) % 5] << 3 | r)); b(g, pick(g) & 31);
        break;
    }
    case 5: b(g, (uint8_t)((pick(g) & 1 ? 0x40 : 0x48) + r)); break;             /* inc, dec */
    case 6: b(g, 0xf7); b(g, (uint8_t)((pick(g) & 1 ? 0xd8 : 0xd0) | r)); break; /* neg, not */
    case 7: case 8:                                   /* load, store; through %gs: (flat) at times */
        if (pick(g) % 4 == 0)
            b(g, 0x65);
        b(g, k % 24 == 7 ? 0x8b : 0x89); b(g, (uint8_t)(0x45 | r << 3)); b(g, data_disp(g, 0));
        break;
    case 9: b(g, (uint8_t)(0x50 + r)); b(g, (uint8_t)(0x58 + r2)); break;        /* push; pop */
    case 10:                                                                      /* pushf; pop */
        if (pick(g) % 4 == 0) {
            b(g, 0x66); b(g, 0x9c); b(g, 0x66); b(g, (uint8_t)(0x58 + r));
        } else {
            b(g, 0x9c); b(g, (uint8_t)(0x58 + r));
        }
        break;
    case 11: {                                                                    /* push imm; popf */
        uint32_t f = 0x2 | (pick32(g) & 0x36d5);
        b(g, 0x68); d(g, f); b(g, 0x9d);
        break;
    }
    case 12: b(g, pick(g) & 1 ? 0xfa : 0xfb); break;                             /* cli, sti */
    case 13: b(g, 0x8c); b(g, (uint8_t)(0xc0 | (1 + pick(g) % 5) << 3 | r)); break;   /* mov cs/ss/ds/fs/gs */
    case 14: b(g, 0x0f); b(g, 0x01); b(g, (uint8_t)(0x45 | (pick(g) & 1) << 3)); b(g, data_disp(g, 1)); break;
    case 15: {                                                                    /* smsw, str, sldt */
        static const uint8_t op[3][2] = { { 0x01, 0xe0 }, { 0x00, 0xc8 }, { 0x00, 0xc0 } };
        int w = pick(g) % 3;
        b(g, 0x0f); b(g, op[w][0]); b(g, (uint8_t)(op[w][1] | r));
        break;
    }
    case 16: {                                                                    /* lar, lsl, verr, verw */
        static const uint32_t sels[4] = { 0x08, 0x10, 0x18, 0x20 };
        b(g, (uint8_t)(0xb8 + r2)); d(g, pick(g) & 1 ? sels[pick(g) % 4] : pick(g));
        int w = pick(g) % 4;
        if (w < 2) {
            b(g, 0x0f); b(g, (uint8_t)(0x02 + w)); b(g, (uint8_t)(0xc0 | r << 3 | r2));
        } else {
            b(g, 0x0f); b(g, 0x00); b(g, (uint8_t)(0xc0 | (w + 2) << 3 | r2));
        }
        break;
    }
    case 17: EMIT(g, "\x66\xba\xf8\x03\xee"); break;                             /* out al to COM1 */
    case 18: EMIT(g, "\xe4\x21"); break;                                         /* in al, 0x21 (IMR) */
    case 19:
        if (pick(g) % 16 == 0) {                                                  /* div: maybe #DE */
            b(g, 0xf7); b(g, (uint8_t)(0xf0 | r));
        } else if (pick(g) % 4 == 0) {
            b(g, 0xf4);                                                           /* hlt */
        } else if (pick(g) % 2 == 0) {
            b(g, 0xcd); b(g, pick(g));                                            /* int n */
        }
        break;
    case 20:                                                                      /* a store into later code */
        b(g, 0xc6); b(g, 0x05); fix(g, FIX_ABS_MOVIMM, g->nmovimm + pick(g) % 4); b(g, pick(g));
        break;
    case 21: case 22: case 23:
        if (where || blk + 1 >= g->nblocks)
            break;
        int to = blk + 1 + pick(g) % (g->nblocks - blk - 1);
        switch (k % 3) {
        case 0: b(g, 0x0f); b(g, (uint8_t)(0x80 | (pick(g) & 15))); fix(g, FIX_REL_BLOCK, to); break;
        case 1: b(g, (uint8_t)(0xb8 + r)); fix(g, FIX_ABS_BLOCK, to); b(g, 0xff); b(g, (uint8_t)(0xe0 | r)); break;
        default: b(g, 0xe8); fix(g, FIX_REL_SUB, pick(g) % MAX_SUBS); break;
        }
        break;
    }
    if (g->flags & KCODE_RAW && pick(g) % 8 == 0)
        for (int n = 1 + pick(g) % 6; n > 0; n--)
            b(g, pick(g));
}

static void body(gen_t *g)
{
    g->at = O_BODY;
    g->nblocks = 1 + pick(g) % MAX_BLOCKS;
    for (int k = 0; k < g->nblocks; k++) {
        g->block[k] = g->at;
        int loop = pick(g) % 6 == 0;
        uint32_t start = 0;
        if (loop) {                                         /* movl $count, 60(%ebp) */
            EMIT(g, "\xc7\x45\x3c"); d(g, 1 + pick(g) % 5);
            start = g->at;
        }
        for (int n = 1 + pick(g) % 8; n > 0; n--)
            item(g, loop, k);
        if (loop) {                                         /* decl 60(%ebp); jnz start */
            EMIT(g, "\xff\x4d\x3c\x0f\x85"); d(g, start - (g->at + 4));
        }
    }
    g->block[g->nblocks] = g->at;                           /* the end */
    b(g, 0xe9); d(g, O_HANDLERS + 0x200 - (g->at + 4));
    for (int s = 0; s < MAX_SUBS; s++) {
        g->sub[s] = g->at;
        for (int n = pick(g) % 6; n > 0; n--)
            item(g, 1, 0);
        b(g, 0xc3);
    }
}

static void resolve(gen_t *g)
{
    for (int k = 0; k < g->nfix; k++) {
        struct fix *f = &g->fix[k];
        if (f->at + 4 > O_BODY_END)
            continue;
        uint32_t v;
        switch (f->kind) {
        case FIX_REL_BLOCK: v = g->block[f->to] - (f->at + 4); break;
        case FIX_ABS_BLOCK: v = addr(g->block[f->to]); break;
        case FIX_REL_SUB: v = g->sub[f->to] - (f->at + 4); break;
        default: v = addr(f->to < g->nmovimm ? g->movimm[f->to] : O_SCRATCH); break;
        }
        put32_at(g->img, f->at, v);
    }
}

size_t kcode_image(const uint8_t *in, size_t n, uint8_t *img, unsigned *flags)
{
    static gen_t g;
    memset(&g, 0, sizeof g);
    g.in = in;
    g.n = n;
    g.img = img;
    memset(img, 0, KCODE_IMAGE_MAX);
    memset(img + O_BODY, 0xf4, O_BODY_END - O_BODY);        /* past the code: HLT */
    g.flags = pick(&g) & (KCODE_TIMER | KCODE_RAW);
    tables(&g);
    handlers(&g);
    prologue(&g);
    body(&g);
    resolve(&g);
    headers(&g, KCODE_IMAGE_MAX);
    *flags = g.flags;
    return KCODE_IMAGE_MAX;
}
