/* The decoded-instruction cache: decoding is pure, so a decoded instruction
 * can be reused until the bytes under it change. Entries are tagged by
 * linear address (= physical: no paging) and code size, and checked against a
 * per-page generation that every write to the page bumps, so self-modifying
 * code stays correct. It changes speed, never results (--no-cache). */
#ifndef TRAPSIM_DCACHE_H
#define TRAPSIM_DCACHE_H
#include "cpu/cpu.h"

/* The cached decoding of the bytes at `lin`, or NULL. Valid until the next
 * insert or write to guest memory. */
const isa_insn_t *dcache_lookup(machine_t *m, uint32_t lin);
void dcache_insert(machine_t *m, uint32_t lin, const isa_insn_t *insn);
/* Sets the cache up for the machine's RAM (or leaves it off); 0 or -1. */
int  dcache_init(machine_t *m, int enabled);
void dcache_free(machine_t *m);
#endif
