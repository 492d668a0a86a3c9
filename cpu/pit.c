/* 8254 programmable interval timer, channel 0, on virtual time.
 *
 * Nothing here ticks. A programming is described by when it started
 * (`start`, in input-clock ticks) and its period (`reload`); the count and
 * the IRQ0 edges at any later tick `now` follow by arithmetic, so a HLT
 * can jump straight to pit_next_edge() and a long run costs nothing.
 *
 * Edge rule, the same for modes 2 and 3 (Intel 8254 datasheet, order no.
 * 231164): OUT rises once per period, at the end of it, i.e. at
 *     start + k * reload,  k = 1, 2, ...
 * Mode 2 (rate generator): OUT goes low while the count is 1 and rises as
 * the count reloads. Mode 3 (square wave): OUT is high for the first half
 * of the period and low for the second, so it rises as the next period
 * begins. Both are what QEMU's hw/timer/i8254 reports.
 *
 * Other modes, modelled as QEMU does so they are harmless: modes 0, 4 and
 * 5 give one edge at start + reload and then none (channel 0's GATE is tied
 * high, so mode 5 behaves as mode 4); mode 1's OUT only falls, so no edge.
 * Not modelled: BCD counting (counts are binary), the read-back command,
 * the one-tick delay before a new count is loaded, and channels 1 and 2. */
#include "cpu/pit.h"

#define PIT_PORT_CH0  0x40
#define PIT_PORT_CTRL 0x43

enum { ACCESS_LATCH = 0, ACCESS_LO = 1, ACCESS_HI = 2, ACCESS_LOHI = 3 };

static int periodic(const pit_t *t)
{
    return t->mode == 2 || t->mode == 3;
}

static int one_shot(const pit_t *t)
{
    return t->mode == 0 || t->mode == 4 || t->mode == 5;
}

/* How many edges the current programming has produced in (start, now]. */
static uint64_t edges_until(const pit_t *t, uint64_t now)
{
    if (!t->running || now < t->start)
        return 0;
    uint64_t elapsed = now - t->start;
    if (periodic(t))
        return elapsed / t->reload;
    if (one_shot(t))
        return elapsed >= t->reload;
    return 0;
}

/* The counting element at `now`, as a read would see it (16 bits, so a
 * count of 65536 reads as 0, as on the chip). */
static uint16_t current_count(const pit_t *t, uint64_t now)
{
    if (!t->running || now < t->start)
        return (uint16_t)t->reload;
    uint64_t elapsed = now - t->start;
    uint64_t phase = elapsed % t->reload;
    switch (t->mode) {
    case 2: /* counts reload, reload-1, ..., 1, then reloads */
        return (uint16_t)(t->reload - phase);
    case 3: /* decrements by two and reloads at each half period */
        return (uint16_t)(t->reload - (2 * phase) % t->reload);
    default: /* one-shot modes: keeps counting down, wrapping past 0 */
        return (uint16_t)(t->reload - elapsed);
    }
}

/* Keep the edges of the current programming that pit_advance has not yet
 * reported, then stop counting. */
static void stop(pit_t *t, uint64_t now)
{
    uint64_t edges = edges_until(t, now);
    if (edges > t->fired)
        t->unreported += edges - t->fired;
    t->running = 0;
    t->fired = 0;
}

/* A complete count has been written: a new period starts now. */
static void load(pit_t *t, uint32_t value, uint64_t now)
{
    stop(t, now);
    t->reload = value ? value : 65536;  /* datasheet: 0 is the maximum count */
    t->start = now;
    t->running = 1;
}

static void write_control(pit_t *t, uint8_t val, uint64_t now)
{
    int channel = val >> 6;
    if (channel != 0)       /* 1, 2: not modelled; 3: read-back, ignored */
        return;
    int access = (val >> 4) & 3;
    if (access == ACCESS_LATCH) {
        /* Counter latch command: freeze the count until it is read. A
         * second latch before the read is ignored (datasheet). */
        if (!t->latched) {
            t->latch = current_count(t, now);
            t->latched = 1;
        }
        return;
    }
    int mode = (val >> 1) & 7;
    /* "When a Control Word is written to a Counter, all Control Logic is
     * immediately reset": counting waits for the new count. */
    stop(t, now);
    t->mode = (uint8_t)(mode >= 6 ? mode - 4 : mode);   /* 6, 7 alias 2, 3 */
    t->access = (uint8_t)access;
    t->write_hi = 0;
    t->read_hi = 0;
    t->latched = 0;
}

static void write_count(pit_t *t, uint8_t val, uint64_t now)
{
    switch (t->access) {
    case ACCESS_LO:
        load(t, val, now);
        break;
    case ACCESS_HI:
        load(t, (uint32_t)val << 8, now);
        break;
    default: /* lobyte then hibyte; the old count runs until both are in */
        if (!t->write_hi) {
            t->reload_lo = val;
            t->write_hi = 1;
        } else {
            load(t, t->reload_lo | (uint32_t)val << 8, now);
            t->write_hi = 0;
        }
        break;
    }
}

/* Reads give the latched count if a latch command is holding one, else the
 * live count; in lobyte/hibyte mode the bytes alternate, and the latch is
 * released once the whole count (one or both bytes) has been read. */
static uint8_t read_count(pit_t *t, uint64_t now)
{
    uint16_t count = t->latched ? t->latch : current_count(t, now);
    int high;
    switch (t->access) {
    case ACCESS_LO:
        high = 0;
        break;
    case ACCESS_HI:
        high = 1;
        break;
    default:
        high = t->read_hi;
        t->read_hi = !t->read_hi;
        break;
    }
    if (t->access != ACCESS_LOHI || high)
        t->latched = 0;
    return high ? (uint8_t)(count >> 8) : (uint8_t)count;
}

/* Firmware state, as QEMU's BIOS leaves channel 0: mode 2, lobyte/hibyte,
 * count 0 (65536, about 18.2 Hz), counting since tick 0. */
void pit_reset(pit_t *t)
{
    *t = (pit_t){
        .mode = 2,
        .access = ACCESS_LOHI,
        .running = 1,
        .reload = 65536,
        .start = 0,
    };
}

uint8_t pit_read(pit_t *t, uint16_t port, uint64_t now)
{
    if (port == PIT_PORT_CH0)
        return read_count(t, now);
    return 0xFF;    /* channels 1, 2 unmodelled; the control word is write-only */
}

void pit_write(pit_t *t, uint16_t port, uint8_t val, uint64_t now)
{
    if (port == PIT_PORT_CTRL)
        write_control(t, val, now);
    else if (port == PIT_PORT_CH0)
        write_count(t, val, now);
}

uint64_t pit_advance(pit_t *t, uint64_t now)
{
    uint64_t n = t->unreported;
    uint64_t edges = edges_until(t, now);
    if (edges > t->fired) {
        n += edges - t->fired;
        t->fired = edges;
    }
    t->unreported = 0;
    return n;
}

uint64_t pit_next_edge(const pit_t *t, uint64_t now)
{
    if (!t->running || !(periodic(t) || one_shot(t)))
        return PIT_NEVER;
    if (now < t->start)
        return t->start + t->reload;
    uint64_t elapsed = now - t->start;
    if (one_shot(t))
        return elapsed < t->reload ? t->start + t->reload : PIT_NEVER;
    /* Ticks to the end of the current period: 1..reload, never 0, so the
     * edge is strictly after now. */
    uint64_t left = t->reload - elapsed % t->reload;
    return left > PIT_NEVER - 1 - now ? PIT_NEVER : now + left;
}
