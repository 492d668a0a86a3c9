/* The machine: RAM, the devices behind the port bus (PLATFORM.md),
 * virtual time, and how a run ends. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/show.h"
#include "cpu/vmx.h"
#include "isa/access.h"

machine_t *machine_new(uint32_t ram_size, const isa_profile_t *profile)
{
    machine_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cpu.ram = calloc(1, ram_size ? ram_size : 1);
    if (!m->cpu.ram) {
        free(m);
        return NULL;
    }
    m->cpu.ram_size = ram_size;
    m->cpu.profile = profile;
    m->cpu.bus.ops = &machine_bus_ops;
    m->cpu.bus.ctx = m;
    m->guest_ips = DEFAULT_GUEST_IPS;
    m->console = stdout;
    pic_reset(&m->pic);
    machine_pic_changed(m);
    pit_reset(&m->pit);
    uart_reset(&m->uart);
    machine_schedule(m);
    return m;
}

void machine_free(machine_t *m)
{
    if (!m)
        return;
    free(m->cpu.ram);
    dcache_free(m);
    free(m->code_page_map);
    free(m->dcache);
    free(m);
}

void machine_boot_state(machine_t *m, uint32_t entry, uint32_t mbi)
{
    struct cpu *c = &m->cpu;
    memset(c->reg, 0, sizeof c->reg);
    c->reg[EAX] = 0x2badb002;
    c->reg[EBX] = mbi;
    c->eip = entry;
    c->eflags = FL_1;
    c->cr0 = CR0_PE | CR0_ET;
    seg_load_flat(&c->seg[SEG_CS], 0x08, 1, 0);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            seg_load_flat(&c->seg[s], 0x10, 0, 0);
    c->cpl = 0;
    /* GDTR and IDTR hold nothing a guest may use (PLATFORM.md). */
    c->gdtr.base = 0; c->gdtr.limit = 0;
    c->idtr.base = 0; c->idtr.limit = 0;
    memset(&c->ldtr, 0, sizeof c->ldtr);
    memset(&c->tr, 0, sizeof c->tr);
}

uint64_t machine_pit_ticks(const machine_t *m, uint64_t now)
{
    return (uint64_t)((unsigned __int128)now * PIT_HZ / m->guest_ips);
}

/* The first `now` at which machine_pit_ticks(now) >= ticks. */
static uint64_t time_of_pit_tick(const machine_t *m, uint64_t ticks)
{
    unsigned __int128 n = (unsigned __int128)ticks * m->guest_ips;
    uint64_t t = (uint64_t)((n + PIT_HZ - 1) / PIT_HZ);
    return t;
}

void machine_schedule(machine_t *m)
{
    uint64_t edge = pit_next_edge(&m->pit, machine_pit_ticks(m, m->now));
    m->next_event = edge == PIT_NEVER ? UINT64_MAX : time_of_pit_tick(m, edge);
}

void machine_pic_write(machine_t *m, uint16_t port, uint8_t v)
{
    pic_write(&m->pic, port, v);
    machine_pic_changed(m);
}

uint8_t *machine_map_top(machine_t *m, uint32_t base, uint32_t size)
{
    uint8_t *area = calloc(1, size);
    if (area) {
        m->cpu.bus.top_mem = area;
        m->cpu.bus.top_base = base;
        m->cpu.bus.top_size = size;
    }
    return area;
}

void machine_unmap_top(machine_t *m, uint8_t *area)
{
    struct cpu *c = &m->cpu;
    if (c->bus.top_mem == area) {
        c->bus.top_mem = NULL;
        c->bus.top_base = c->bus.top_size = 0;
    }
    free(area);
}

uint32_t machine_guest_kstack(const machine_t *m)
{
    const struct cpu *c = m->hv.guest_cpu ? m->hv.guest_cpu : &m->cpu;
    int type = DESC_TYPE(c->tr.access), wide = type == 9 || type == 11;
    uint32_t esp0;
    if (!c->tr.usable || DESC_S(c->tr.access) || c->tr.limit < (wide ? 7u : 3u) ||
        show_read32(c, c->tr.base + (wide ? 4 : 2), &esp0))
        return 0;
    return wide ? esp0 : esp0 & 0xffff;
}

void machine_emit(machine_t *m, event_t *ev)
{
    ev->icount = m->cpu.icount;
    if (m->trace.kstack_wanted && (ev->ring == 3 || ev->to_ring == 3) &&
        trace_on(&m->trace, trace_level_of(ev->kind)))
        ev->kstack = machine_guest_kstack(m);
    if (!ev->syms)   /* named here, so trace_emit_slow() need not copy the event to name them */
        ev->syms = m->trace.syms;
    trace_emit(&m->trace, ev);
}

void machine_emitv(machine_t *m, event_t *ev, const char *fmt, va_list ap)
{
    char text[256];
    ev->text = NULL;
    if (trace_text_on(&m->trace, trace_level_of(ev->kind))) {
        vsnprintf(text, sizeof text, fmt, ap);
        ev->text = text;
    }
    machine_emit(m, ev);
}

void machine_stop(machine_t *m, stop_kind_t kind, const char *fmt, ...)
{
    if (m->stop != STOP_NONE)
        return;
    m->stop = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->stop_msg, sizeof m->stop_msg, fmt, ap);
    va_end(ap);
    const struct cpu *c = machine_cur_cpu(m);
    event_t ev = { .kind = EV_STOP, .ring = c->cpl, .eip = c->eip, .text = m->stop_msg };
    machine_emit(m, &ev);
}

int machine_exit_status(const machine_t *m)
{
    switch (m->stop) {
    case STOP_DEBUG_EXIT: return m->exit_status;
    case STOP_TRIPLE:     return EXIT_TRIPLE;
    case STOP_HALTED:     return EXIT_HALTED;
    case STOP_BUDGET:     return EXIT_BUDGET;
    case STOP_UNMODELLED: return EXIT_UNMODELLED;
    case STOP_QUIT:       return EXIT_QUIT;
    case STOP_NOT_PV:     return EXIT_NOT_PV;
    default:              return EXIT_OK;
    }
}

/* ---- the port bus ---- */
void machine_console_put(machine_t *m, uint8_t ch)
{
    fputc(ch, m->console);
    event_t ev = { .kind = EV_CONSOLE, .ring = machine_cur_cpu(m)->cpl, .value = ch };
    machine_emit(m, &ev);
}

/* One byte from a device port; 8-bit devices see wider accesses as
 * consecutive byte accesses, as on the ISA bus. */
static uint8_t port_in8(machine_t *m, uint16_t port)
{
    uint64_t ticks = machine_pit_ticks(m, m->now);
    switch (port) {
    case 0x20: case 0x21: case 0xa0: case 0xa1:
        return pic_read(&m->pic, port);
    case 0x40: case 0x41: case 0x42: case 0x43:
        return pit_read(&m->pit, port, ticks);
    case 0xe9:
        return 0xe9;   /* Bochs' debug console answers its own port number */
    default:
        if (port >= 0x3f8 && port <= 0x3ff)
            return uart_read(&m->uart, (uint16_t)(port - 0x3f8));
        return 0xff;   /* nothing there */
    }
}

static void port_out8(machine_t *m, uint16_t port, uint8_t v)
{
    switch (port) {
    case 0x20: case 0x21: case 0xa0: case 0xa1:
        machine_pic_write(m, port, v);
        return;
    case 0x40: case 0x41: case 0x42: case 0x43:
        pit_write(&m->pit, port, v, machine_pit_ticks(m, m->now));
        machine_schedule(m);
        return;
    case 0xe9:
        machine_console_put(m, v);
        return;
    default:
        if (port >= 0x3f8 && port <= 0x3ff) {
            int ch = uart_write(&m->uart, (uint16_t)(port - 0x3f8), v);
            if (ch >= 0)
                machine_console_put(m, (uint8_t)ch);
        }
        return;
    }
}

static void emit_io(machine_t *m, uint16_t port, int size, uint32_t v, int write)
{
    const struct cpu *c = machine_cur_cpu(m);
    event_t ev = { .kind = EV_IO, .ring = c->cpl, .eip = c->eip, .port = port,
                   .size = (uint8_t)size, .value = v, .is_write = (uint8_t)write };
    machine_emit(m, &ev);
}

uint32_t machine_port_in(machine_t *m, uint16_t port, int size)
{
    uint32_t v = 0;
    for (int k = 0; k < size; k++)
        v |= (uint32_t)port_in8(m, (uint16_t)(port + k)) << (8 * k);
    if (trace_on(&m->trace, TL_IO))
        emit_io(m, port, size, v, 0);
    return v;
}

void machine_port_out(machine_t *m, uint16_t port, int size, uint32_t v)
{
    if (trace_on(&m->trace, TL_IO))
        emit_io(m, port, size, v, 1);
    if (port == 0xf4) {
        /* isa-debug-exit: status (V << 1) | 1, truncated to the access width */
        uint32_t st = (v << 1) | 1;
        if (size == 1) st &= 0xff;
        else if (size == 2) st &= 0xffff;
        m->exit_status = (int)(st & 0xff);
        machine_stop(m, STOP_DEBUG_EXIT, "the guest wrote 0x%x to isa-debug-exit (port 0xf4): exit status %d",
                     v, m->exit_status);
        return;
    }
    for (int k = 0; k < size; k++)
        port_out8(m, (uint16_t)(port + k), (uint8_t)(v >> (8 * k)));
}

/* The machine's bus for its CPU (isa/arch.h). Under a VMM the guest never
 * reaches the ports from ring 1 or 3 without a trap: the VMM calls
 * machine_port_* for its own devices, and its virtual CPU has a bus of its
 * own. */
static uint32_t bus_in(void *ctx, uint16_t port, int size)
{
    machine_t *m = ctx;
    uint32_t val;
    if (m->hv.ops && m->hv.ops->port_in && m->hv.ops->port_in(m->hv.ctx, m, port, size, &val))
        return val;
    return machine_port_in(m, port, size);
}

static void bus_out(void *ctx, uint16_t port, int size, uint32_t val)
{
    machine_t *m = ctx;
    if (m->hv.ops && m->hv.ops->port_out && m->hv.ops->port_out(m->hv.ctx, m, port, size, val))
        return;
    machine_port_out(m, port, size, val);
}

static uint64_t bus_time(void *ctx)
{
    return ((machine_t *)ctx)->now;
}

/* A write of `size` bytes at phys, inside RAM, hit a marked page
 * (PAGE_CODE, PAGE_TRACKED): what the pages it covers are marked with. */
static void bus_code_write(void *ctx, uint32_t phys, int size)
{
    machine_t *m = ctx;
    const uint8_t *map = m->cpu.bus.code_pages;
    uint8_t marks = (uint8_t)(map[phys >> 12] | map[(phys + (uint32_t)size - 1) >> 12]);
    if (marks & PAGE_CODE) {
        dcache_code_write(m, phys);
        if (m->hv.ops && m->hv.ops->code_write)
            m->hv.ops->code_write(m->hv.ctx, m, phys);
    }
    if ((marks & PAGE_TRACKED) && m->hv.ops && m->hv.ops->tracked_write)
        m->hv.ops->tracked_write(m->hv.ctx, m, phys, size);
}

const cpu_bus_ops_t machine_bus_ops = { bus_in, bus_out, bus_time, bus_code_write,
                                         vmx_bus_entry, vmx_bus_exit };
