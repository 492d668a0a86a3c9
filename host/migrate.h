/* host/migrate.h: live migration of a VM between two trapsim processes
 * (README, "Snapshots and live migration"; docs/SNAPSHOT.md, "The
 * migration stream"). Iterative pre-copy (Clark et al., NSDI 2005): RAM
 * goes over while the VM runs; the pages it writes meanwhile (tracked per
 * 4 KiB page by the memory write path, cpu/hv.h's hv_track_page) go again
 * in the next round; when a round leaves few dirty pages, or after the
 * last round, the VM stops and its state goes with the last pages, and the
 * destination continues it.
 *
 * Time is the guest's: a round lasts as long as its pages take on a link
 * that carries one page in `page_steps` guest steps, and the VM runs that
 * long; so rounds, dirty pages and the downtime in guest instructions are
 * the same on every host. Only the downtime in host milliseconds is not. */
#ifndef TRAPSIM_MIGRATE_H
#define TRAPSIM_MIGRATE_H
#include <stdint.h>
#include <stdio.h>
#include "host/snapshot.h"

#define MIGRATE_MAX_ROUNDS 8
#define MIGRATE_MAX_DIRTY 64
#define MIGRATE_PAGE_STEPS 100
#define MIGRATE_TIMEOUT 10

/* The other end, whatever carries the bytes: a socket, or (scenarios) the
 * destination in this process. send: 0 or -1 with err; reply: waits for the
 * destination's answer to the last message, 0 (taken) or -1 with err (the
 * refusal, or what went wrong). */
typedef struct migrate_link {
    int (*send)(void *ctx, const uint8_t *buf, size_t len, char *err, size_t errlen);
    int (*reply)(void *ctx, char *err, size_t errlen);
    void *ctx;
} migrate_link_t;

typedef struct migrate_opts {
    const char *addr;        /* --migrate-to HOST:PORT */
    uint64_t at;             /* --migrate-at N: start at the VM's step N */
    unsigned max_rounds;     /* --migrate-rounds: pre-copy rounds at most (then stop-and-copy) */
    uint32_t max_dirty;      /* --migrate-dirty: stop-and-copy once a round dirtied at most this many pages */
    uint64_t page_steps;     /* --migrate-page-steps: guest steps one page takes on the link */
    unsigned timeout;        /* --migrate-timeout: seconds any connect, send or receive may take */
    FILE *report;            /* the per-round report (NULL: stderr) */
    int host_ms;             /* report the downtime in host milliseconds and the bytes sent too (not in expected logs) */
    const migrate_link_t *link;   /* NULL: TCP to addr */
} migrate_opts_t;

void migrate_defaults(migrate_opts_t *o);

/* The destination's half: messages in, the VM made and filled. */
typedef struct migrate_dest {
    snap_target_t *t;
    int state;               /* 0: expects the layout, 1: pages or the final state, 2: done */
    uint64_t bytes;
} migrate_dest_t;
/* One message (its type and payload): 0, or -1 with the refusal in err. */
int migrate_dest_take(migrate_dest_t *d, uint32_t type, const uint8_t *buf, size_t len, char *err, size_t errlen);

/* A link to a destination in this process (scenarios): each message is
 * taken at once into the target. */
typedef struct migrate_local {
    migrate_dest_t dest;
    int magic_seen, refused;
    char why[256];
} migrate_local_t;
void migrate_link_local(migrate_link_t *l, migrate_local_t *state, snap_target_t *t);

/* Migrates the host's one VM: 0 when the destination has it (the VM is
 * then the destination's and must not run here again), -1 when it failed
 * (a line on the report says why; the VM runs on here, as if nothing had
 * happened). The VM has run to step `at` already. */
int migrate_send(host_t *h, const snap_extra_t *extra, const migrate_opts_t *o, const migrate_link_t *link);
/* Over TCP: connects to o->addr, then migrate_send(). */
int migrate_send_tcp(host_t *h, const snap_extra_t *extra, const migrate_opts_t *o);
/* trapsim migrate-listen ADDR: waits (at most `timeout` seconds) for one
 * VM and fills t with it; 0, or -1 with the problem in err. */
int migrate_listen(const char *addr, unsigned timeout, snap_target_t *t, char *err, size_t errlen);
#endif
