/* 8254 programmable interval timer, channel 0 only (PLATFORM.md): modes 2
 * and 3, lobyte/hibyte access, counter latch. Ports 0x40-0x43.
 * Time is virtual: the caller passes `now` in PIT input-clock ticks
 * (1.193182 MHz), derived from the instruction count by the machine. */
#ifndef TRAPSIM_PIT_H
#define TRAPSIM_PIT_H
#include <stdint.h>

#define PIT_NEVER UINT64_MAX

typedef struct pit {
    uint8_t  mode;        /* 0..5 from the control word; 2 and 3 run periodic */
    uint8_t  access;      /* 1 = lobyte, 2 = hibyte, 3 = lobyte then hibyte */
    uint8_t  write_hi;    /* next data write is the high byte */
    uint8_t  read_hi;     /* next data read is the high byte */
    uint8_t  latched;     /* a counter-latch command is holding `latch` */
    uint8_t  running;     /* counting (a full reload value has been written) */
    uint16_t latch;       /* latched count */
    uint16_t reload_lo;   /* low byte written so far */
    uint32_t reload;      /* period in input ticks (0 written means 65536) */
    uint64_t start;       /* input tick at which the current period began */
    uint64_t fired;       /* periods already reported by pit_advance */
    uint64_t unreported;  /* edges of an earlier programming, not yet reported */
} pit_t;

/* Firmware state: channel 0 counting in mode 2 with reload 65536 from tick 0. */
void     pit_reset(pit_t *t);
uint8_t  pit_read(pit_t *t, uint16_t port, uint64_t now);
void     pit_write(pit_t *t, uint16_t port, uint8_t val, uint64_t now);
/* How many IRQ0 rising edges happened in (last call, now]; each is one pulse.
 * Edges that happened before the guest reprogrammed the counter are kept
 * and counted by the next call, so none is lost between calls. */
uint64_t pit_advance(pit_t *t, uint64_t now);
/* The input tick of the next IRQ0 rising edge after `now`, or PIT_NEVER. */
uint64_t pit_next_edge(const pit_t *t, uint64_t now);
#endif
