/* cpu/snap.h: state as plain bytes, for snapshots and migration
 * (docs/SNAPSHOT.md). One function per piece of state both writes and
 * reads it (snap_io_t says which), so a save and its load cannot drift
 * apart. Values are little-endian, fixed width; no host pointer is ever
 * written: a CPU's RAM, bus and profile are the owner's to set again
 * (the profile by name). */
#ifndef TRAPSIM_SNAP_H
#define TRAPSIM_SNAP_H
#include <stddef.h>
#include <stdint.h>
#include "cpu/cpu.h"

typedef struct snap_io {
    int load;           /* 0: append to buf; 1: read from buf at pos */
    uint8_t *buf;
    size_t len, cap, pos;
    char err[160];      /* the first problem (load: truncated, bad value; save: out of memory) */
} snap_io_t;

/* A writer (free its buf with free()) and a reader over len bytes. */
void snap_writer(snap_io_t *io);
void snap_reader(snap_io_t *io, const uint8_t *buf, size_t len);
/* Records the first problem; always returns -1. */
int snap_fail(snap_io_t *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int snap_ok(const snap_io_t *io) { return io->err[0] == 0; }

void snap_u8(snap_io_t *io, uint8_t *v);
void snap_u16(snap_io_t *io, uint16_t *v);
void snap_u32(snap_io_t *io, uint32_t *v);
void snap_u64(snap_io_t *io, uint64_t *v);
void snap_int(snap_io_t *io, int *v);          /* as a signed 32-bit value */
void snap_bytes(snap_io_t *io, void *p, size_t n);
/* A table of n counters: its length (another length is refused), then each. */
void snap_u64_table(snap_io_t *io, uint64_t *v, uint32_t n);
/* A NUL-terminated string of at most cap - 1 bytes. */
void snap_str(snap_io_t *io, char *s, size_t cap);

/* A CPU's architectural state (everything of struct cpu but the RAM, the
 * bus and the last instruction's result); the profile by name. */
void snap_cpu(snap_io_t *io, struct cpu *c);
void snap_pic(snap_io_t *io, pic_t *p);
void snap_pit(snap_io_t *io, pit_t *t);
void snap_uart(snap_io_t *io, uart_t *u);
/* The machine between two steps: its CPU, devices, virtual time, budget,
 * how it stopped (a VM of several may have), the per-ring counts and the
 * monitor's pending step end. The decoded-instruction cache is not state:
 * it is rebuilt as the run goes on. */
void snap_machine(snap_io_t *io, machine_t *m);
/* RAM as a list of pages: all pages that are not all zero (dirty NULL), or
 * exactly the pages whose byte in `dirty` (one per 4 KiB page) is set,
 * zero pages as a mark without data. Loading writes the listed pages and
 * leaves the others as they are (a new machine's RAM is zero). */
void snap_ram(snap_io_t *io, machine_t *m, const uint8_t *dirty);
/* How many pages snap_ram() would write. */
uint32_t snap_ram_pages(const machine_t *m, const uint8_t *dirty);
#endif
