/* The standard descriptor tables of `trapsim raw --tables std` (docs/RAW-MODE.md).
 *
 * Data only: trapsim (app/raw.c) and the differential test's QEMU reference
 * kernel (tests/diff/refkernel, -m32 -ffreestanding) both build their tables
 * from these constants, so that a case sees the same GDT, LDT, IDTR and TR in
 * both worlds.  The addresses keep clear of the case areas (0x8000-0x8fff,
 * 0x100000-0x10ffff, 0x200000-0x200fff, 0x7fe000-0x7fffff), of QEMU's
 * Multiboot information (0x9000..) and of the reference kernel and its
 * module (0x01000000 and up). */
#ifndef TRAPSIM_RAW_TABLES_H
#define TRAPSIM_RAW_TABLES_H
#include <stdint.h>

/* Physical (= linear: flat segments, no paging) addresses. */
#define RAW_STD_GDT_BASE       0x00300000u  /* 64 KiB reserved: the kernel adds entries */
#define RAW_STD_IDT_BASE       0x00310000u  /* IDTR base; raw mode writes no IDT here */
#define RAW_STD_IDT_LIMIT      0x07ffu      /* 256 gates */
#define RAW_STD_LDT_BASE       0x00311000u
#define RAW_STD_TSS_BASE       0x00312000u  /* the TSS that TR holds at the start */
#define RAW_STD_TSS_AVAIL_BASE 0x00312100u  /* target of RAW_SEL_TSS_AVAIL (LTR) */
#define RAW_STD_TSS_BUSY_BASE  0x00312200u  /* target of RAW_SEL_TSS_BUSY */
/* 0x00313000-0x003fffff: free for the reference kernel (its handler TSSes). */

/* Every TSS here is 104 bytes (limit 0x67) and has no I/O permission bitmap:
 * the 16-bit word at RAW_STD_TSS_IOMAP_OFF holds RAW_STD_TSS_IOMAP, beyond
 * the limit, so IN/OUT at CPL > IOPL raise #GP(0).  Both worlds write it;
 * the rest of a TSS is the kernel's business (raw mode leaves it zero). */
#define RAW_STD_TSS_LIMIT      0x67u
#define RAW_STD_TSS_IOMAP_OFF  0x66u
#define RAW_STD_TSS_IOMAP      0x0068u

/* A code/data/system segment descriptor: base, 20-bit limit, access byte
 * (P DPL S type), flags nibble (G D/B L AVL). */
#define RAW_DESC(base, limit, access, flags)                                   \
    ((uint64_t)(((uint32_t)(limit) & 0xffffu) | (((uint32_t)(base) & 0xffffu) << 16)) | \
     ((uint64_t)((((uint32_t)(base) >> 16) & 0xffu) | ((uint32_t)(access) << 8) |     \
                 ((((uint32_t)(limit) >> 16) & 0xfu) << 16) | ((uint32_t)(flags) << 20) | \
                 ((uint32_t)(base) & 0xff000000u)) << 32))
/* A gate descriptor: target selector, 32-bit offset, access byte. */
#define RAW_GATE(sel, off, access)                                             \
    ((uint64_t)(((uint32_t)(off) & 0xffffu) | ((uint32_t)(sel) << 16)) |       \
     ((uint64_t)(((uint32_t)(access) << 8) | ((uint32_t)(off) & 0xffff0000u)) << 32))

/* Selectors (RPL = DPL where a case would use them so).  0x08..0x43 are the
 * flat segments of every raw run, with or without --tables std. */
#define RAW_SEL_CODE(ring)   ((uint16_t)((1 + 2 * (ring)) * 8 + (ring)))
#define RAW_SEL_DATA(ring)   ((uint16_t)((2 + 2 * (ring)) * 8 + (ring)))
#define RAW_SEL_TSS          0x48u  /* busy 32-bit TSS at RAW_STD_TSS_BASE: TR */
#define RAW_SEL_LDT          0x50u  /* the standard LDT (for LLDT) */
#define RAW_SEL_NP_DATA0     0x58u  /* data, DPL 0, not present */
#define RAW_SEL_NP_DATA3     0x63u  /* data, DPL 3, not present */
#define RAW_SEL_XO_CODE3     0x6bu  /* code, DPL 3, execute-only */
#define RAW_SEL_CONF_CODE0   0x70u  /* code, DPL 0, conforming, readable */
#define RAW_SEL_CONF_CODE3   0x7bu  /* code, DPL 3, conforming, readable */
#define RAW_SEL_RO_DATA3     0x83u  /* data, DPL 3, read-only */
#define RAW_SEL_EXPDN_DATA3  0x8bu  /* data, DPL 3, expand-down, limit 0xfff (offsets 0x1000-0xffffffff) */
#define RAW_SEL_SMALL_DATA3  0x93u  /* data, DPL 3, base 0x200000, limit 0xff */
#define RAW_SEL_DATA16_3     0x9bu  /* data, DPL 3, 16-bit (B = 0), limit 0xffff */
#define RAW_SEL_TSS_AVAIL    0xa0u  /* available 32-bit TSS, DPL 0 (for LTR) */
#define RAW_SEL_TSS_BUSY     0xa8u  /* busy 32-bit TSS, DPL 0 (LTR: #GP) */
#define RAW_SEL_CALL_GATE    0xb3u  /* 32-bit call gate, DPL 3, to 0x08:RAW_STD_GATE_OFF */
#define RAW_SEL_TASK_GATE    0xbbu  /* task gate, DPL 3, to RAW_SEL_TSS_AVAIL */
#define RAW_SEL_INT_GATE     0xc3u  /* 32-bit interrupt gate, DPL 3 (not valid in a GDT for LAR) */
#define RAW_SEL_RESERVED     0xcbu  /* system type 8 (reserved), DPL 3, present */
#define RAW_STD_GATE_OFF     0x00100000u

/* Selectors with an index at or above this are never generated: the
 * reference kernel keeps its own descriptors there (its GDTR limit is
 * therefore larger than raw mode's RAW_STD_GDT_ENTRIES * 8 - 1). */
#define RAW_STD_GDT_ENTRIES  26
#define RAW_STD_LDT_ENTRIES  4

/* The flat entries carry the accessed bit already, so that a case sees the
 * same bytes whether or not the world that started it loaded them; the
 * other entries do not, so that a case which loads one and then reads it
 * (LAR) checks that the load set the bit.  A world that runs several cases
 * copies this table back before each one. */
static const uint64_t raw_std_gdt[RAW_STD_GDT_ENTRIES] = {
    0,                                                        /* 0x00 null */
    RAW_DESC(0, 0xfffff, 0x9b, 0xc),                          /* 0x08 ring 0 code */
    RAW_DESC(0, 0xfffff, 0x93, 0xc),                          /* 0x10 ring 0 data */
    RAW_DESC(0, 0xfffff, 0xbb, 0xc),                          /* 0x18 ring 1 code */
    RAW_DESC(0, 0xfffff, 0xb3, 0xc),                          /* 0x20 ring 1 data */
    RAW_DESC(0, 0xfffff, 0xdb, 0xc),                          /* 0x28 ring 2 code */
    RAW_DESC(0, 0xfffff, 0xd3, 0xc),                          /* 0x30 ring 2 data */
    RAW_DESC(0, 0xfffff, 0xfb, 0xc),                          /* 0x38 ring 3 code */
    RAW_DESC(0, 0xfffff, 0xf3, 0xc),                          /* 0x40 ring 3 data */
    RAW_DESC(RAW_STD_TSS_BASE, RAW_STD_TSS_LIMIT, 0x8b, 0x0), /* 0x48 TR: busy TSS */
    RAW_DESC(RAW_STD_LDT_BASE, RAW_STD_LDT_ENTRIES * 8 - 1, 0x82, 0x0), /* 0x50 LDT */
    RAW_DESC(0, 0xfffff, 0x12, 0xc),                          /* 0x58 data DPL 0, not present */
    RAW_DESC(0, 0xfffff, 0x72, 0xc),                          /* 0x60 data DPL 3, not present */
    RAW_DESC(0, 0xfffff, 0xf8, 0xc),                          /* 0x68 code DPL 3, execute-only */
    RAW_DESC(0, 0xfffff, 0x9e, 0xc),                          /* 0x70 conforming code DPL 0 */
    RAW_DESC(0, 0xfffff, 0xfe, 0xc),                          /* 0x78 conforming code DPL 3 */
    RAW_DESC(0, 0xfffff, 0xf0, 0xc),                          /* 0x80 data DPL 3, read-only */
    RAW_DESC(0, 0x00fff, 0xf6, 0x4),                          /* 0x88 data DPL 3, expand-down */
    RAW_DESC(0x00200000u, 0x000ff, 0xf2, 0x4),                /* 0x90 data DPL 3, small limit */
    RAW_DESC(0, 0x0ffff, 0xf2, 0x0),                          /* 0x98 data DPL 3, 16-bit */
    RAW_DESC(RAW_STD_TSS_AVAIL_BASE, RAW_STD_TSS_LIMIT, 0x89, 0x0), /* 0xa0 available TSS */
    RAW_DESC(RAW_STD_TSS_BUSY_BASE, RAW_STD_TSS_LIMIT, 0x8b, 0x0),  /* 0xa8 busy TSS */
    RAW_GATE(0x08, RAW_STD_GATE_OFF, 0xec),                   /* 0xb0 call gate */
    RAW_GATE(RAW_SEL_TSS_AVAIL, 0, 0xe5),                     /* 0xb8 task gate */
    RAW_GATE(0x08, RAW_STD_GATE_OFF, 0xee),                   /* 0xc0 interrupt gate */
    RAW_DESC(0, 0, 0xe8, 0x0),                                /* 0xc8 reserved system type */
};

/* The standard LDT; LDTR is 0 at the start, so these load only after
 * `lldt RAW_SEL_LDT`.  Selectors: index * 8 + 4 + RPL. */
#define RAW_LSEL_DATA3       0x07u  /* data, DPL 3, flat */
#define RAW_LSEL_CODE3       0x0fu  /* code, DPL 3, flat, readable */
#define RAW_LSEL_DATA0       0x14u  /* data, DPL 0, flat */
#define RAW_LSEL_NP_DATA3    0x1fu  /* data, DPL 3, not present */
static const uint64_t raw_std_ldt[RAW_STD_LDT_ENTRIES] = {
    RAW_DESC(0, 0xfffff, 0xf2, 0xc),
    RAW_DESC(0, 0xfffff, 0xfa, 0xc),
    RAW_DESC(0, 0xfffff, 0x92, 0xc),
    RAW_DESC(0, 0xfffff, 0x72, 0xc),
};

/* CR0 of every raw run unless --cr0 says otherwise: PE | ET. */
#define RAW_CR0_DEFAULT      0x00000011u

#endif
