/* Physical memory outside the fast path, and segment checks (SDM vol. 3,
 * 5.3 limit checking, 5.4 type checking). Memory is RAM from 0 and, when
 * set, the top area below 4 GiB: reads elsewhere give 0 and writes there
 * are dropped, as on QEMU, and no address reaches past either buffer. */
#include "isa/access.h"

/* The byte at physical address a, or NULL where there is no memory. */
static uint8_t *phys_byte(struct cpu *c, uint32_t a)
{
    if (a < c->ram_size)
        return c->ram + a;
    if (a - c->bus.top_base < c->bus.top_size)
        return c->bus.top_mem + (a - c->bus.top_base);
    return NULL;
}

uint32_t phys_read_slow(struct cpu *c, uint32_t pa, int size)
{
    uint32_t v = 0;
    for (int k = 0; k < size; k++) {
        const uint8_t *p = phys_byte(c, pa + (uint32_t)k);
        if (p)
            v |= (uint32_t)*p << (8 * k);
    }
    return v;
}

void phys_write_slow(struct cpu *c, uint32_t pa, int size, uint32_t v)
{
    for (int k = 0; k < size; k++) {
        uint32_t a = pa + (uint32_t)k;
        uint8_t *p = phys_byte(c, a);
        if (!p)
            continue;
        *p = (uint8_t)(v >> (8 * k));
        /* only RAM holds cached code */
        if (a < c->ram_size && c->bus.code_pages && c->bus.code_pages[a >> 12])
            c->bus.ops->code_write(c->bus.ctx, a, 1);
    }
}

void seg_cache_update(seg_cache_t *s)
{
    s->flat = 0;
    if (!s->usable || !DESC_P(s->access) || !DESC_S(s->access))
        return;
    if (s->base != 0 || s->limit != 0xffffffffu || DESC_EXPDOWN(s->access))
        return;
    if (DESC_READABLE(s->access))
        s->flat |= FLAT_R;
    if (DESC_WRITABLE(s->access))
        s->flat |= FLAT_W;
}

int seg_check_slow(struct cpu *c, int seg, uint32_t off, uint32_t size, int write, uint32_t *lin)
{
    const seg_cache_t *s = &c->seg[seg];
    int vector = seg == SEG_SS ? EXC_SS : EXC_GP;
    if (!s->usable)
        return raise_exc(c, vector, 1, 0);
    if (write ? !DESC_WRITABLE(s->access) : !DESC_READABLE(s->access))
        return raise_exc(c, vector, 1, 0);
    uint32_t last = off + size - 1;
    if (DESC_EXPDOWN(s->access)) {
        uint32_t upper = DESC_DB(s->flags) ? 0xffffffffu : 0xffffu;
        if (off <= s->limit || last > upper || last < off)
            return raise_exc(c, vector, 1, 0);
    } else {
        if (last < off || last > s->limit)
            return raise_exc(c, vector, 1, 0);
    }
    *lin = s->base + off;
    return 0;
}
