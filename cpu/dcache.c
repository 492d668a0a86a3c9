#include <stdlib.h>
#include "cpu/dcache.h"

#define DCACHE_ENTRIES 32768u   /* direct-mapped by address */

typedef struct dcache_entry {
    uint32_t lin;        /* address of the first byte */
    uint32_t gen;        /* page generation when decoded */
    uint8_t  code32;     /* CS.D at decode time */
    uint8_t  valid;
    isa_insn_t insn;
} dcache_entry_t;

struct decode_cache {
    uint32_t *page_gen;  /* per 4 KiB page of RAM */
    dcache_entry_t e[DCACHE_ENTRIES];
};

/* A write hit a page that holds cached code: every entry of it is stale. */
static void on_code_write(struct cpu *c, uint32_t pa)
{
    struct decode_cache *d = c->mach->dcache;
    for (uint32_t p = pa >> 12; p <= (pa + 3) >> 12 && p < (c->ram_size + 4095) >> 12; p++) {
        d->page_gen[p]++;
        c->code_pages[p] = 0;
    }
}

int dcache_init(machine_t *m, int enabled)
{
    if (!enabled)
        return 0;
    uint32_t pages = (m->cpu.ram_size + 4095) >> 12;
    m->dcache = calloc(1, sizeof *m->dcache);
    m->code_page_map = calloc(pages ? pages : 1, 1);
    if (m->dcache)
        m->dcache->page_gen = calloc(pages ? pages : 1, sizeof(uint32_t));
    if (!m->dcache || !m->code_page_map || !m->dcache->page_gen) {
        if (m->dcache)
            free(m->dcache->page_gen);
        free(m->dcache);
        free(m->code_page_map);
        m->dcache = NULL;
        m->code_page_map = NULL;
        return -1;
    }
    m->cpu.code_pages = m->code_page_map;
    m->cpu.on_code_write = on_code_write;
    return 0;
}

void dcache_free(machine_t *m)
{
    if (m->dcache)
        free(m->dcache->page_gen);
}

const isa_insn_t *dcache_lookup(machine_t *m, uint32_t lin)
{
    struct decode_cache *d = m->dcache;
    if (!d || lin >= m->cpu.ram_size)
        return NULL;
    dcache_entry_t *e = &d->e[lin & (DCACHE_ENTRIES - 1)];
    if (!e->valid || e->lin != lin || e->gen != d->page_gen[lin >> 12] ||
        e->code32 != DESC_DB(m->cpu.seg[SEG_CS].flags))
        return NULL;
    return &e->insn;
}

void dcache_insert(machine_t *m, uint32_t lin, const isa_insn_t *insn)
{
    struct decode_cache *d = m->dcache;
    if (!d || lin >= m->cpu.ram_size || m->cpu.ram_size - lin < insn->len)
        return;
    if ((lin >> 12) != ((lin + insn->len - 1) >> 12))
        return;   /* crosses a page: not cached, so one generation covers it */
    dcache_entry_t *e = &d->e[lin & (DCACHE_ENTRIES - 1)];
    e->lin = lin;
    e->gen = d->page_gen[lin >> 12];
    e->code32 = (uint8_t)DESC_DB(m->cpu.seg[SEG_CS].flags);
    e->valid = 1;
    e->insn = *insn;
    m->code_page_map[lin >> 12] = 1;
}
