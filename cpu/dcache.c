#include <stdlib.h>
#include <string.h>
#include "cpu/dcache.h"

/* A write hit a page that holds cached code: every entry of it is stale. */
void dcache_code_write(machine_t *m, uint32_t pa)
{
    struct cpu *c = &m->cpu;
    struct decode_cache *d = m->dcache;
    if (!d)
        return;   /* the map is there for a monitor's tracked pages only */
    for (uint32_t p = pa >> 12; p <= (pa + 3) >> 12 && p < (c->ram_size + 4095) >> 12; p++) {
        d->page_gen[p] += 2;
        c->bus.code_pages[p] &= (uint8_t)~PAGE_CODE;
    }
}

int dcache_init(machine_t *m, int enabled)
{
    if (!enabled)
        return 0;
    uint32_t pages = (m->cpu.ram_size + 4095) >> 12;
    size_t size = (sizeof *m->dcache + 63) & ~(size_t)63;
    if ((m->dcache = aligned_alloc(64, size)) != NULL)
        memset(m->dcache, 0, size);
    if (!m->code_page_map)   /* a monitor may have made it for its tracked pages */
        m->code_page_map = calloc(pages ? pages : 1, 1);
    if (m->dcache)   /* every page of the 4 GiB: only those with code are ever touched */
        m->dcache->page_gen = calloc(1u << 20, sizeof(uint32_t));
    if (!m->dcache || !m->code_page_map || !m->dcache->page_gen) {
        if (m->dcache)
            free(m->dcache->page_gen);
        free(m->dcache);
        free(m->code_page_map);
        m->dcache = NULL;
        m->code_page_map = NULL;
        return -1;
    }
    for (uint32_t k = 0; k < DCACHE_ENTRIES; k++)
        m->dcache->e[k].lin = k ^ 1;   /* maps to slot k ^ 1: no lookup matches it */
    m->cpu.bus.code_pages = m->code_page_map;
    return 0;
}

void dcache_free(machine_t *m)
{
    if (m->dcache) {
        free(m->dcache->page_gen);
        free(m->dcache->text);
    }
}

void dcache_insert(machine_t *m, uint32_t lin, const isa_insn_t *insn)
{
    struct decode_cache *d = m->dcache;
    const cpu_bus_t *bus = &m->cpu.bus;
    int in_ram = lin < m->cpu.ram_size && m->cpu.ram_size - lin >= insn->len;
    int in_top = bus->top_size && lin >= bus->top_base && lin - bus->top_base <= bus->top_size - insn->len;
    if (!d || (!in_ram && !in_top))
        return;
    if ((lin >> 12) != ((lin + insn->len - 1) >> 12))
        return;   /* crosses a page: not cached, so one generation covers it */
    uint32_t k = lin & (DCACHE_ENTRIES - 1);
    dcache_entry_t *e = &d->e[k];
    e->lin = lin;
    e->gen = d->page_gen[lin >> 12] | DESC_DB(m->cpu.seg[SEG_CS].flags);
    e->insn = *insn;
    e->fast = isa_fast_handler(insn);
    if (lin + insn->len - 1 > d->last_byte)
        d->last_byte = lin + insn->len - 1;
    if (d->text)
        d->text[k].ok = 0;
    if (in_ram)
        m->code_page_map[lin >> 12] |= PAGE_CODE;
}

void dcache_drop(machine_t *m, uint32_t lin, uint32_t len)
{
    if (!m->dcache || !len)
        return;
    for (uint32_t p = lin >> 12; p <= (lin + len - 1) >> 12; p++)
        m->dcache->page_gen[p] += 2;
}

const char *dcache_disasm(machine_t *m, uint32_t lin, const isa_insn_t *insn, uint32_t eip)
{
    struct decode_cache *d = m->dcache;
    uint32_t k = lin & (DCACHE_ENTRIES - 1);
    if (!d || insn != &d->e[k].insn)
        return NULL;
    if (!d->text && !(d->text = calloc(DCACHE_ENTRIES, sizeof *d->text)))
        return NULL;
    dcache_text_t *t = &d->text[k];
    if (!t->ok || t->eip != eip) {
        t->ok = 0;
        if (isa_disasm(insn, eip, t->s, sizeof t->s) >= (int)sizeof t->s - 1)
            return NULL;   /* too long for the slot (none is, today): made afresh */
        t->eip = eip;
        t->ok = 1;
    }
    return t->s;
}
