/* A small machine for the instruction-level unit tests (test_flags,
 * test_protect, test_intr, test_sensitive): RAM, a GDT laid out as in raw
 * mode (RAW-MODE.md: flat code and data for each ring at 0x08..0x43), a
 * 32-bit TSS and an IDT, and helpers to write descriptors and gates and to
 * run one instruction (decode + isa_execute) or one machine step.
 * Header-only: each test is its own program (tests/tests.mk). */
#ifndef TRAPSIM_TEST_FIXTURE_H
#define TRAPSIM_TEST_FIXTURE_H
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "isa/access.h"

#define FX_RAM     (4u << 20)
#define FX_GDT     0x00010000u   /* 64 entries */
#define FX_IDT     0x00011000u   /* 256 gates, none present unless a test writes one */
#define FX_TSS     0x00012000u
#define FX_LDT     0x00013000u   /* 8 entries, described by GDT entry FX_LDT_IDX */
#define FX_CODE    0x00020000u   /* where fx_exec() puts the instruction */
#define FX_DATA    0x00030000u   /* scratch memory for operands */
#define FX_STACK   0x00080000u   /* initial ESP at every ring */
#define FX_ESP0    0x00070000u   /* TSS ring stacks */
#define FX_ESP1    0x00060000u
#define FX_ESP2    0x00050000u

/* Selectors (RAW-MODE.md): code and data of ring r, RPL r. */
#define FX_CS(r) ((uint16_t)((1 + 2 * (r)) * 8 + (r)))
#define FX_DS(r) ((uint16_t)((2 + 2 * (r)) * 8 + (r)))
enum { FX_TSS_IDX = 9, FX_LDT_IDX = 10, FX_FREE_IDX = 11 };
#define FX_TSS_SEL ((uint16_t)(FX_TSS_IDX * 8))
#define FX_LDT_SEL ((uint16_t)(FX_LDT_IDX * 8))
#define FX_SEL(idx, rpl) ((uint16_t)((idx) * 8 + (rpl)))

/* Access bytes. */
#define ACC_CODE(dpl)   ((uint8_t)(0x9a | ((dpl) << 5)))   /* present, execute/read */
#define ACC_DATA(dpl)   ((uint8_t)(0x92 | ((dpl) << 5)))   /* present, read/write */
#define ACC_INTGATE(dpl)  ((uint8_t)(0x8e | ((dpl) << 5)))
#define ACC_TRAPGATE(dpl) ((uint8_t)(0x8f | ((dpl) << 5)))
#define ACC_CALLGATE(dpl) ((uint8_t)(0x8c | ((dpl) << 5)))

static machine_t *fx_m;
static struct cpu *fx_c;

static inline uint32_t fx_rd(uint32_t pa, int size) { return phys_read(fx_c, pa, size); }
static inline void fx_wr(uint32_t pa, int size, uint32_t v) { phys_write(fx_c, pa, size, v); }
static inline uint32_t fx_rd32(uint32_t pa) { return fx_rd(pa, 4); }
static inline void fx_wr32(uint32_t pa, uint32_t v) { fx_wr(pa, 4, v); }

/* A code/data or system segment descriptor: `gd` is the G and D/B flags as
 * the high nibble of byte 6 (0xc = 4 KiB granularity, 32-bit; 0x4 = bytes, 32-bit). */
static inline void fx_desc_at(uint32_t table, int idx, uint32_t base, uint32_t limit, uint8_t access, uint8_t gd)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | ((uint32_t)access << 8) | (limit & 0xf0000) |
                  ((uint32_t)(gd & 0xf) << 20) | (base & 0xff000000u);
    fx_wr32(table + (uint32_t)idx * 8, lo);
    fx_wr32(table + (uint32_t)idx * 8 + 4, hi);
}
static inline void fx_desc(int idx, uint32_t base, uint32_t limit, uint8_t access, uint8_t gd)
{
    fx_desc_at(FX_GDT, idx, base, limit, access, gd);
}
/* Flat 4 GiB code or data of a DPL, in the GDT. */
static inline void fx_flat(int idx, uint8_t access) { fx_desc(idx, 0, 0xfffff, access, 0xc); }

/* A gate (interrupt, trap or call) in a table. */
static inline void fx_gate_at(uint32_t table, int idx, uint16_t sel, uint32_t off, uint8_t access, int params)
{
    fx_wr32(table + (uint32_t)idx * 8, (off & 0xffff) | ((uint32_t)sel << 16));
    fx_wr32(table + (uint32_t)idx * 8 + 4, (off & 0xffff0000u) | ((uint32_t)access << 8) | ((uint32_t)params & 0x1f));
}
static inline void fx_idt_gate(int vector, uint16_t sel, uint32_t off, uint8_t access)
{
    fx_gate_at(FX_IDT, vector, sel, off, access, 0);
}

/* Loads a segment register's cache from the GDT/LDT as a successful load would. */
static inline void fx_load(int sreg, uint16_t sel)
{
    uint32_t lo, hi;
    ck_assert_int_eq(desc_read(fx_c, sel, &lo, &hi), 0);
    desc_to_cache(&fx_c->seg[sreg], sel, lo, hi);
    if (sreg == SEG_CS)
        fx_c->cpl = (uint8_t)(sel & 3);
}

/* Puts the CPU at `ring` with flat segments of that ring, ESP = FX_STACK. */
static inline void fx_ring(int ring)
{
    struct cpu *c = fx_c;
    fx_load(SEG_CS, FX_CS(ring));
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            fx_load(s, FX_DS(ring));
    c->cpl = (uint8_t)ring;
    c->reg[ESP] = FX_STACK;
}

/* A fresh machine under `profile` (x86, pg, umip) at `ring`, IOPL 0, IF 0. */
static inline void fx_new(const char *profile, int ring)
{
    const isa_profile_t *p = isa_profile_find(profile);
    ck_assert_ptr_nonnull(p);
    fx_m = machine_new(FX_RAM, p);
    ck_assert_ptr_nonnull(fx_m);
    fx_m->console = stderr;
    fx_c = &fx_m->cpu;
    struct cpu *c = fx_c;
    for (int r = 0; r < 4; r++) {
        fx_flat(1 + 2 * r, ACC_CODE(r));
        fx_flat(2 + 2 * r, ACC_DATA(r));
    }
    c->gdtr.base = FX_GDT;
    c->gdtr.limit = 64 * 8 - 1;
    c->idtr.base = FX_IDT;
    c->idtr.limit = 256 * 8 - 1;
    /* 32-bit TSS without an I/O bitmap (the map offset lies past the limit) */
    fx_wr32(FX_TSS + 4, FX_ESP0);  fx_wr32(FX_TSS + 8, FX_DS(0));
    fx_wr32(FX_TSS + 12, FX_ESP1); fx_wr32(FX_TSS + 16, FX_DS(1));
    fx_wr32(FX_TSS + 20, FX_ESP2); fx_wr32(FX_TSS + 24, FX_DS(2));
    fx_wr(FX_TSS + 102, 2, 104);
    fx_desc(FX_TSS_IDX, FX_TSS, 103, 0x8b, 0x0);   /* busy 32-bit TSS, as after LTR */
    uint32_t lo, hi;
    desc_read(c, FX_TSS_SEL, &lo, &hi);
    desc_to_cache(&c->tr, FX_TSS_SEL, lo, hi);
    fx_desc(FX_LDT_IDX, FX_LDT, 8 * 8 - 1, 0x82, 0x0);
    c->cr0 = CR0_PE | CR0_ET;
    c->eflags = FL_1;
    fx_ring(ring);
}

static inline void fx_free(void)
{
    machine_free(fx_m);
    fx_m = NULL;
    fx_c = NULL;
}

/* Decodes `n` bytes placed at FX_CODE and
 * executes them: the result of isa_execute. EIP is set to FX_CODE. */
static inline isa_result_t fx_exec(const char *bytes, size_t n)
{
    struct cpu *c = fx_c;
    for (size_t k = 0; k < n; k++)
        fx_wr(FX_CODE + (uint32_t)k, 1, (uint8_t)bytes[k]);
    c->eip = FX_CODE;
    isa_insn_t insn;
    isa_decode(c->ram + FX_CODE, ISA_MAX_LEN, DESC_DB(c->seg[SEG_CS].flags), &insn);
    return isa_execute(c, &insn);
}
#define FX_EXEC(s) fx_exec((s), sizeof(s) - 1)

/* Puts bytes at an address. */
static inline void fx_put(uint32_t pa, const char *bytes, size_t n)
{
    for (size_t k = 0; k < n; k++)
        fx_wr(pa + (uint32_t)k, 1, (uint8_t)bytes[k]);
}
#define FX_PUT(pa, s) fx_put((pa), (s), sizeof(s) - 1)

/* Pushes a dword on the current stack (as the test's set-up). */
static inline void fx_push32(uint32_t v)
{
    fx_c->reg[ESP] -= 4;
    fx_wr32(fx_c->seg[SEG_SS].base + fx_c->reg[ESP], v);
}

#define ck_assert_fault(r, vec, err) do { \
    ck_assert_int_eq((r), ISA_FAULT); \
    ck_assert_int_eq(fx_c->exc_vector, (vec)); \
    ck_assert_int_eq(fx_c->exc_has_error, 1); \
    ck_assert_uint_eq(fx_c->exc_error, (err)); \
} while (0)

#endif
