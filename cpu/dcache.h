/* The decoded-instruction cache: decoding is pure, so a decoded instruction
 * can be reused until the bytes under it change. Entries are tagged by
 * linear address (= physical: no paging) and code size, and checked against a
 * per-page generation that every write to the page bumps, so self-modifying
 * code stays correct. Each entry also keeps the instruction's fast handler,
 * chosen once when it is stored (isa/exec_fast.h). It changes speed, never
 * results (--no-cache). The lookup is inline: the run loop does one per
 * instruction. */
#ifndef TRAPSIM_DCACHE_H
#define TRAPSIM_DCACHE_H
#include "cpu/cpu.h"
#include "isa/exec_fast.h"

#define DCACHE_ENTRIES 32768u   /* direct-mapped by address */

typedef struct dcache_entry {
    isa_fast_fn fast;    /* specialised handler, or isa_fast_none: isa_execute() */
    uint32_t lin;        /* address of the first byte (empty: one that maps elsewhere) */
    uint32_t gen;        /* page generation when decoded | CS.D then (generations are even) */
    isa_insn_t insn;
} __attribute__((aligned(64))) dcache_entry_t;   /* one cache line (60 bytes used on LP64) */

/* An entry's disassembly for the insn trace, made the first time it is
 * traced (the same text isa_disasm() gives for it at `eip`). */
typedef struct dcache_text {
    uint32_t eip;
    uint8_t  ok;         /* the text is that of the entry now in the slot */
    char     s[59];
} dcache_text_t;

struct decode_cache {
    dcache_entry_t e[DCACHE_ENTRIES];
    uint32_t *page_gen;  /* per 4 KiB page of the 4 GiB (RAM, and a monitor's area at the top
                          * whose code it runs: a translation cache); even, + 2 per write that
                          * drops code */
    dcache_text_t *text; /* per entry, allocated when the insn trace first asks */
    uint32_t last_byte;  /* the highest address any entry ever stored ends at */
};

/* The entry for the bytes at `lin` decoded with CS.D = code32, or NULL.
 * Valid until the next insert or write to guest memory. */
static inline const dcache_entry_t *dcache_find(const struct decode_cache *d, uint32_t lin, int code32)
{
    const dcache_entry_t *e = &d->e[lin & (DCACHE_ENTRIES - 1)];
    /* a matching lin is inside RAM or the top area: only such entries are stored */
    if (e->lin != lin || e->gen != (d->page_gen[lin >> 12] | (uint32_t)code32))
        return NULL;
    return e;
}

/* The cached decoding of the bytes at `lin` for the current CS, or NULL. */
static inline const isa_insn_t *dcache_lookup(const machine_t *m, uint32_t lin)
{
    if (!m->dcache)
        return NULL;
    const dcache_entry_t *e = dcache_find(m->dcache, lin, DESC_DB(m->cpu.seg[SEG_CS].flags));
    return e ? &e->insn : NULL;
}

void dcache_insert(machine_t *m, uint32_t lin, const isa_insn_t *insn);
/* The disassembly of `insn` at `eip` when `insn` is the cache's entry for
 * `lin` (made once, then reused), else NULL. */
const char *dcache_disasm(machine_t *m, uint32_t lin, const isa_insn_t *insn, uint32_t eip);
/* Sets the cache up for the machine's RAM (or leaves it off); 0 or -1. */
int  dcache_init(machine_t *m, int enabled);
void dcache_free(machine_t *m);
/* A write hit RAM at `pa` on a page that holds cached code: its entries are
 * stale (the machine's bus calls this, isa/arch.h). */
void dcache_code_write(machine_t *m, uint32_t pa);
/* A monitor rewrote `len` bytes of code at `lin` in its area at the top of
 * the address space (cpu_bus_t.top_mem), where the bus sees no writes:
 * their entries are stale. */
void dcache_drop(machine_t *m, uint32_t lin, uint32_t len);
#endif
