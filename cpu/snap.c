/* State as plain bytes (cpu/snap.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/snap.h"

#define PAGE 4096u
#define PAGE_ZERO_MARK 0x80000000u   /* a page index with this bit: the page is all zero, no data follows */
#define PAGE_END 0xffffffffu

void snap_writer(snap_io_t *io)
{
    memset(io, 0, sizeof *io);
}

void snap_reader(snap_io_t *io, const uint8_t *buf, size_t len)
{
    memset(io, 0, sizeof *io);
    io->load = 1;
    io->buf = (uint8_t *)buf;
    io->len = len;
}

int snap_fail(snap_io_t *io, const char *fmt, ...)
{
    if (io->err[0])
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(io->err, sizeof io->err, fmt, ap);
    va_end(ap);
    return -1;
}

void snap_bytes(snap_io_t *io, void *p, size_t n)
{
    if (io->err[0]) {
        if (io->load)
            memset(p, 0, n);
        return;
    }
    if (io->load) {
        if (n > io->len - io->pos) {
            memset(p, 0, n);
            snap_fail(io, "truncated (a section ends early)");
            return;
        }
        memcpy(p, io->buf + io->pos, n);
        io->pos += n;
        return;
    }
    if (n > io->cap - io->len) {
        size_t cap = io->cap ? io->cap : 4096;
        while (cap - io->len < n)
            cap *= 2;
        uint8_t *b = realloc(io->buf, cap);
        if (!b) {
            snap_fail(io, "out of memory");
            return;
        }
        io->buf = b;
        io->cap = cap;
    }
    memcpy(io->buf + io->len, p, n);
    io->len += n;
}

/* Little-endian, whatever the host. */
static void snap_le(snap_io_t *io, uint64_t *v, int n)
{
    uint8_t b[8];
    for (int k = 0; k < n; k++)
        b[k] = (uint8_t)(*v >> (8 * k));
    snap_bytes(io, b, (size_t)n);
    if (io->load) {
        *v = 0;
        for (int k = 0; k < n; k++)
            *v |= (uint64_t)b[k] << (8 * k);
    }
}

#define SNAP_UINT(name, type, n)                \
    void name(snap_io_t *io, type *v)           \
    {                                           \
        uint64_t x = *v;                        \
        snap_le(io, &x, n);                     \
        *v = (type)x;                           \
    }
SNAP_UINT(snap_u8, uint8_t, 1)
SNAP_UINT(snap_u16, uint16_t, 2)
SNAP_UINT(snap_u32, uint32_t, 4)
SNAP_UINT(snap_u64, uint64_t, 8)

void snap_int(snap_io_t *io, int *v)
{
    uint32_t x = (uint32_t)*v;
    snap_u32(io, &x);
    *v = (int)(int32_t)x;
}

void snap_str(snap_io_t *io, char *s, size_t cap)
{
    uint32_t n = io->load ? 0 : (uint32_t)strnlen(s, cap - 1);
    snap_u32(io, &n);
    if (io->load && n >= cap) {
        s[0] = 0;
        snap_fail(io, "a string of %u bytes where at most %zu fit", n, cap - 1);
        return;
    }
    snap_bytes(io, s, n);
    s[n] = 0;
}

static void snap_seg(snap_io_t *io, seg_cache_t *s)
{
    snap_u16(io, &s->sel);
    snap_u8(io, &s->access);
    snap_u8(io, &s->flags);
    snap_u32(io, &s->base);
    snap_u32(io, &s->limit);
    snap_u8(io, &s->usable);
    snap_u8(io, &s->flat);
}

static void snap_dtr(snap_io_t *io, dtr_t *d)
{
    snap_u32(io, &d->base);
    snap_u16(io, &d->limit);
}

static void snap_vmx(snap_io_t *io, vmx_cpu_t *v)
{
    snap_u8(io, &v->on);
    snap_u8(io, &v->nonroot);
    snap_u8(io, &v->blocking);
    snap_u8(io, &v->injecting);
    snap_u32(io, &v->vmxon_ptr);
    snap_u64(io, &v->vmcs_ptr);
    snap_u64(io, &v->feature_control);
    uint32_t *ctl[] = { &v->pin, &v->proc, &v->proc2, &v->exc_bitmap, &v->pf_mask, &v->pf_match,
                        &v->exit_ctls, &v->cr0_mask, &v->cr4_mask, &v->cr0_shadow, &v->cr4_shadow,
                        &v->cr3_count, &v->cr3_target[0], &v->cr3_target[1], &v->cr3_target[2],
                        &v->cr3_target[3], &v->io_bitmap[0], &v->io_bitmap[1], &v->msr_bitmap };
    for (size_t k = 0; k < sizeof ctl / sizeof ctl[0]; k++)
        snap_u32(io, ctl[k]);
    snap_u64(io, &v->tsc_offset);
}

void snap_cpu(snap_io_t *io, struct cpu *c)
{
    for (int k = 0; k < 8; k++)
        snap_u32(io, &c->reg[k]);
    snap_u32(io, &c->eip);
    snap_u32(io, &c->eflags);
    for (int k = 0; k < 6; k++)
        snap_seg(io, &c->seg[k]);
    snap_dtr(io, &c->gdtr);
    snap_dtr(io, &c->idtr);
    snap_seg(io, &c->ldtr);
    snap_seg(io, &c->tr);
    snap_u32(io, &c->cr0);
    snap_u32(io, &c->cr2);
    snap_u32(io, &c->cr3);
    snap_u32(io, &c->cr4);
    for (int k = 0; k < 8; k++)
        snap_u32(io, &c->dr[k]);
    snap_u8(io, &c->cpl);
    snap_u8(io, &c->irq_shadow);
    snap_u64(io, &c->icount);
    char profile[32];
    snprintf(profile, sizeof profile, "%s", !io->load && c->profile ? c->profile->name : "");
    snap_str(io, profile, sizeof profile);
    if (io->load && snap_ok(io) && !(c->profile = isa_profile_find(profile)))
        snap_fail(io, "unknown ISA profile '%s'", profile);
    snap_vmx(io, &c->vmx);
}

static void snap_pic_chip(snap_io_t *io, pic_chip_t *c)
{
    uint8_t *f[] = { &c->irr, &c->isr, &c->imr, &c->lines, &c->vector_base, &c->init_step,
                     &c->icw4_needed, &c->single, &c->read_isr, &c->auto_eoi, &c->cascade };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        snap_u8(io, f[k]);
}

void snap_pic(snap_io_t *io, pic_t *p)
{
    snap_pic_chip(io, &p->chip[0]);
    snap_pic_chip(io, &p->chip[1]);
}

void snap_pit(snap_io_t *io, pit_t *t)
{
    uint8_t *f[] = { &t->mode, &t->access, &t->write_hi, &t->read_hi, &t->latched, &t->running };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        snap_u8(io, f[k]);
    snap_u16(io, &t->latch);
    snap_u16(io, &t->reload_lo);
    snap_u32(io, &t->reload);
    snap_u64(io, &t->start);
    snap_u64(io, &t->fired);
    snap_u64(io, &t->unreported);
}

void snap_uart(snap_io_t *io, uart_t *u)
{
    uint8_t *f[] = { &u->ier, &u->fcr, &u->lcr, &u->mcr, &u->scr, &u->rbr, &u->rx_ready };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        snap_u8(io, f[k]);
    snap_u16(io, &u->divisor);
}

void snap_machine(snap_io_t *io, machine_t *m)
{
    snap_cpu(io, &m->cpu);
    snap_pic(io, &m->pic);
    snap_pit(io, &m->pit);
    snap_uart(io, &m->uart);
    snap_u64(io, &m->guest_ips);
    snap_u64(io, &m->now);
    snap_u64(io, &m->next_event);
    snap_u64(io, &m->max_insns);
    snap_u64(io, &m->unretired);
    uint32_t stop = m->stop;
    snap_u32(io, &stop);
    if (io->load && stop > STOP_RAW_HLT)
        snap_fail(io, "unknown stop kind %u", stop);
    m->stop = (stop_kind_t)stop;
    snap_int(io, &m->exit_status);
    snap_u8(io, &m->stop_vector);
    snap_u8(io, &m->stop_has_error);
    snap_u32(io, &m->stop_error);
    snap_str(io, m->stop_msg, sizeof m->stop_msg);
    for (int k = 0; k < 4; k++)
        snap_u64(io, &m->insns_by_ring[k]);
    snap_int(io, &m->halted);
    snap_u8(io, &m->hv.step_end_pending);
    if (io->load) {
        if (m->guest_ips < 1000)
            snap_fail(io, "guest speed %llu instructions per second (at least 1000)",
                      (unsigned long long)m->guest_ips);
        machine_pic_changed(m);
    }
}

static int page_zero(const uint8_t *p)
{
    static const uint8_t zero[PAGE];
    return memcmp(p, zero, PAGE) == 0;
}

static uint32_t ram_pages(const machine_t *m)
{
    return (m->cpu.ram_size + PAGE - 1) / PAGE;
}

/* The bytes of page k that are RAM (the last page may be short). */
static uint32_t page_len(const machine_t *m, uint32_t k)
{
    uint32_t left = m->cpu.ram_size - k * PAGE;
    return left < PAGE ? left : PAGE;
}

static int page_listed(const machine_t *m, const uint8_t *dirty, uint32_t k)
{
    if (dirty)
        return dirty[k] != 0;
    uint8_t tmp[PAGE] = { 0 };
    memcpy(tmp, m->cpu.ram + (size_t)k * PAGE, page_len(m, k));
    return !page_zero(tmp);
}

uint32_t snap_ram_pages(const machine_t *m, const uint8_t *dirty)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < ram_pages(m); k++)
        n += page_listed(m, dirty, k) != 0;
    return n;
}

void snap_ram(snap_io_t *io, machine_t *m, const uint8_t *dirty)
{
    uint32_t size = m->cpu.ram_size;
    snap_u32(io, &size);
    if (io->load && size != m->cpu.ram_size) {
        snap_fail(io, "a different guest layout: RAM of %u bytes, the VM has %u", size, m->cpu.ram_size);
        return;
    }
    if (!io->load) {
        for (uint32_t k = 0; k < ram_pages(m); k++) {
            if (!page_listed(m, dirty, k))
                continue;
            uint8_t page[PAGE] = { 0 };
            memcpy(page, m->cpu.ram + (size_t)k * PAGE, page_len(m, k));
            uint32_t tag = page_zero(page) ? k | PAGE_ZERO_MARK : k;
            snap_u32(io, &tag);
            if (!(tag & PAGE_ZERO_MARK))
                snap_bytes(io, page, PAGE);
        }
        uint32_t end = PAGE_END;
        snap_u32(io, &end);
        return;
    }
    for (uint32_t last = 0, first = 1;; first = 0) {
        uint32_t tag = PAGE_END;
        snap_u32(io, &tag);
        if (!snap_ok(io) || tag == PAGE_END)
            return;
        uint32_t k = tag & ~PAGE_ZERO_MARK;
        if (k >= ram_pages(m) || (!first && k <= last)) {
            snap_fail(io, "page %u out of order or beyond RAM", k);
            return;
        }
        last = k;
        uint8_t page[PAGE] = { 0 };
        if (!(tag & PAGE_ZERO_MARK))
            snap_bytes(io, page, PAGE);
        if (!snap_ok(io))
            return;
        memcpy(m->cpu.ram + (size_t)k * PAGE, page, page_len(m, k));
    }
}

void snap_u64_table(snap_io_t *io, uint64_t *v, uint32_t n)
{
    uint32_t saved = n;
    snap_u32(io, &saved);
    if (saved != n) {
        snap_fail(io, "a table of %u counters where this trapsim has %u", saved, n);
        return;
    }
    for (uint32_t k = 0; k < n; k++)
        snap_u64(io, &v[k]);
}
