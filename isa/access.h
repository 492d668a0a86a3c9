/* Memory as instructions see it: segmented accesses with the type and limit
 * checks of SDM vol. 3 5.3-5.4, onto bounds-checked physical RAM. No paging.
 * Shared by isa/ and cpu/; the fast path (flat segment, inside RAM) is inline. */
#ifndef TRAPSIM_ACCESS_H
#define TRAPSIM_ACCESS_H
#include <string.h>
#include "isa/arch.h"

/* seg_cache_t.flat bits: the segment is flat (base 0, 4 GiB, expand-up) and
 * readable / writable, so an access needs no checks. */
enum { FLAT_R = 1, FLAT_W = 2 };

/* Fills seg_cache_t.flat from the other fields. */
void seg_cache_update(seg_cache_t *s);

/* ---- physical memory: outside RAM reads 0 and writes are dropped ---- */
uint32_t phys_read_slow(struct cpu *c, uint32_t pa, int size);
void     phys_write_slow(struct cpu *c, uint32_t pa, int size, uint32_t v);

/* Fixed-size copies (little-endian host), so that a size known only at run
 * time still costs one load or store. */
static inline uint32_t load_sized(const uint8_t *p, int size)
{
    if (size == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    if (size == 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    if (size == 1)
        return *p;
    uint32_t v = 0;
    memcpy(&v, p, (size_t)size);
    return v;
}

static inline void store_sized(uint8_t *p, int size, uint32_t v)
{
    if (size == 4) {
        memcpy(p, &v, 4);
    } else if (size == 2) {
        uint16_t h = (uint16_t)v;
        memcpy(p, &h, 2);
    } else if (size == 1) {
        *p = (uint8_t)v;
    } else {
        memcpy(p, &v, (size_t)size);
    }
}

/* The top area's bytes [pa, pa + size), or NULL when they are not all in it
 * (a hypervisor's tables and stack: as fast as RAM for its VM exits). */
static inline uint8_t *top_span(struct cpu *c, uint32_t pa, int size)
{
    uint32_t off = pa - c->bus.top_base;
    return off < c->bus.top_size && c->bus.top_size - off >= (uint32_t)size ? c->bus.top_mem + off : NULL;
}

static inline uint32_t phys_read(struct cpu *c, uint32_t pa, int size)
{
    if (pa < c->ram_size && c->ram_size - pa >= (uint32_t)size)
        return load_sized(c->ram + pa, size);
    const uint8_t *top = top_span(c, pa, size);
    return top ? load_sized(top, size) : phys_read_slow(c, pa, size);
}

static inline void phys_write(struct cpu *c, uint32_t pa, int size, uint32_t v)
{
    if (pa < c->ram_size && c->ram_size - pa >= (uint32_t)size) {
        store_sized(c->ram + pa, size, v);
        if (c->bus.code_pages && (c->bus.code_pages[pa >> 12] | c->bus.code_pages[(pa + (uint32_t)size - 1) >> 12]))
            c->bus.ops->code_write(c->bus.ctx, pa, size);
        return;
    }
    uint8_t *top = top_span(c, pa, size);
    if (top)
        store_sized(top, size, v);
    else
        phys_write_slow(c, pa, size, v);
}

/* ---- segmented (logical) access ---- */
/* Checks an access of `size` bytes at seg:off and gives the linear address;
 * raises #GP(0) or, for SS, #SS(0). */
int seg_check_slow(struct cpu *c, int seg, uint32_t off, uint32_t size, int write, uint32_t *lin);

static inline int seg_check(struct cpu *c, int seg, uint32_t off, uint32_t size, int write, uint32_t *lin)
{
    if (c->seg[seg].flat & (write ? FLAT_W : FLAT_R)) {
        *lin = off;
        return 0;
    }
    return seg_check_slow(c, seg, off, size, write, lin);
}

static inline int mem_read(struct cpu *c, int seg, uint32_t off, int size, uint32_t *v)
{
    uint32_t lin;
    TRY(seg_check(c, seg, off, (uint32_t)size, 0, &lin));
    *v = phys_read(c, lin, size);
    return 0;
}

static inline int mem_write(struct cpu *c, int seg, uint32_t off, int size, uint32_t v)
{
    uint32_t lin;
    TRY(seg_check(c, seg, off, (uint32_t)size, 1, &lin));
    phys_write(c, lin, size, v);
    return 0;
}

/* Checks that a write would succeed, without writing (for instructions that
 * must fault before any effect, e.g. read-modify-write destinations). */
static inline int mem_check_write(struct cpu *c, int seg, uint32_t off, int size)
{
    uint32_t lin;
    return seg_check(c, seg, off, (uint32_t)size, 1, &lin);
}

/* ---- the stack: SS with ESP (32-bit stack) or SP (SS.B = 0) ---- */
static inline int stack_is32(const struct cpu *c) { return DESC_DB(c->seg[SEG_SS].flags); }

static inline uint32_t stack_ptr(const struct cpu *c)
{
    return stack_is32(c) ? c->reg[ESP] : (c->reg[ESP] & 0xffff);
}

static inline void stack_set_ptr(struct cpu *c, uint32_t sp)
{
    if (stack_is32(c))
        c->reg[ESP] = sp;
    else
        c->reg[ESP] = (c->reg[ESP] & 0xffff0000u) | (sp & 0xffff);
}

/* Pushes `size` bytes; ESP changes only when the write succeeded. */
static inline int stack_push(struct cpu *c, uint32_t v, int size)
{
    uint32_t sp = stack_ptr(c) - (uint32_t)size;
    if (!stack_is32(c)) sp &= 0xffff;
    TRY(mem_write(c, SEG_SS, sp, size, v));
    stack_set_ptr(c, sp);
    return 0;
}

/* Reads the value `depth` bytes above the stack pointer without popping. */
static inline int stack_peek(struct cpu *c, uint32_t depth, int size, uint32_t *v)
{
    uint32_t sp = stack_ptr(c) + depth;
    if (!stack_is32(c)) sp &= 0xffff;
    return mem_read(c, SEG_SS, sp, size, v);
}

static inline int stack_pop(struct cpu *c, int size, uint32_t *v)
{
    TRY(stack_peek(c, 0, size, v));
    uint32_t sp = stack_ptr(c) + (uint32_t)size;
    stack_set_ptr(c, stack_is32(c) ? sp : (sp & 0xffff));
    return 0;
}

#endif
