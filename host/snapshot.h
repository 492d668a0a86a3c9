/* host/snapshot.h: the complete state of a run as a file or a stream
 * (docs/SNAPSHOT.md): a header, one section per component (the scheduler,
 * each VM's configuration, machine, RAM and monitor), each with its length
 * and compressed with zstd, and a CRC-32 at the end. A component's section
 * is a row of the table in snapshot.c: a name, the monitor it belongs to,
 * and a save/load pair; a new monitor adds one row. */
#ifndef TRAPSIM_SNAPSHOT_H
#define TRAPSIM_SNAPSHOT_H
#include <stddef.h>
#include <stdint.h>
#include "cpu/snap.h"
#include "host/host.h"

/* Little-endian numbers of n bytes in a file or stream (headers, lengths,
 * checksums): the same bytes on every host. */
static inline void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int k = 0; k < n; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static inline uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int k = 0; k < n; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

#define SNAP_MAGIC "TRAPSNAP"
#define SNAP_VERSION 2u   /* 2: the vm section has --tc-size, the symbols, pv and dbt sections */

/* Which sections an image holds: the run's layout (the scheduler, each
 * VM's configuration), the state between two steps (machines, monitors,
 * the run's own extras), RAM. A file has all; a migration stream sends
 * the layout, then RAM in rounds, then the state with the last pages. */
enum { SNAP_LAYOUT = 1, SNAP_STATE = 2, SNAP_RAM = 4, SNAP_ALL = 7,
       SNAP_STORED = 8 };   /* with the parts: sections stored as they are, not compressed (tests, fuzzing) */

/* State a run keeps beside its VMs, per VM, as one more section (app/: a
 * console line not yet printed). */
typedef struct snap_extra {
    const char *name;                                   /* at most 8 characters */
    void (*save)(void *ctx, int vm, snap_io_t *io);
    void (*load)(void *ctx, int vm, snap_io_t *io);
    void *ctx;
} snap_extra_t;

/* What a load makes VMs with: options of the run that are not the VM's
 * state (console, cache). */
typedef struct snap_target {
    host_t *host;             /* in: NULL (a layout section makes it), or the host to fill; out: the host */
    FILE *console;            /* each new VM's console (NULL: stdout) */
    int no_cache;
    uint64_t max_ram;         /* a VM with more RAM is refused (0: up to --mem's 3 GiB) */
    const snap_extra_t *extra;/* NULL: none */
} snap_target_t;

/* The image of `parts` of a run's state in *out (malloc'd); `dirty` (per VM
 * a byte per 4 KiB page, or NULL) limits RAM to those pages, else every
 * page that is not all zero. 0, or -1 with the problem in err. */
int snapshot_encode(host_t *h, unsigned parts, uint8_t *const *dirty, const snap_extra_t *extra,
                    uint8_t **out, size_t *outlen, char *err, size_t errlen);
/* Applies an image to t (making the host and its VMs from the layout when
 * t->host is NULL). 0, or -1 with the problem in err (t->host may then be
 * half made: the caller frees it). */
int snapshot_decode(const uint8_t *buf, size_t len, snap_target_t *t, char *err, size_t errlen);
/* A whole snapshot to a file and back; errors name the file. */
int snapshot_save(const char *path, host_t *h, const snap_extra_t *extra, unsigned flags, char *err, size_t errlen);
int snapshot_load(const char *path, snap_target_t *t, char *err, size_t errlen);
/* CRC-32 (IEEE 802.3, as zlib's crc32()) */
uint32_t snap_crc32(uint32_t crc, const uint8_t *p, size_t n);
#endif
