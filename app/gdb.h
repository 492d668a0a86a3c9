/* A GDB remote stub for the simulated i386 (`run --gdb PORT`).
 *
 * It listens on 127.0.0.1 only, waits for one debugger, and speaks the GDB
 * remote serial protocol: ?, g/G, p/P, m/M/X, c/C, s/S, Z0/z0 (software
 * breakpoints, kept as a list of EIP values: guest memory is never patched),
 * qSupported, qAttached, qC, qfThreadInfo/qsThreadInfo, Hg/Hc, T, vCont?
 * (empty: plain c/s), vKill and k (stop the run: exit status 14), D (detach:
 * the run goes on without the debugger), Ctrl-C while running (the socket
 * is polled every GDB_POLL_STEPS steps), acks and checksums, and
 * QStartNoAckMode, and qRcmd (gdb's `monitor CMD`, QEMU-style: `help`,
 * `info registers` with the control and table registers, `info gdt`,
 * `info idt`, `info tss`, and the monitor's view: `info vcpu`, `info
 * shadow`; the text comes back as O packets). When the guest stops the debugger gets W (isa-debug-exit,
 * halted for ever, budget: trapsim's exit status) or X (triple fault:
 * SIGSEGV; something not modelled: SIGILL), after an O line saying why.
 *
 * Registers: the i386 `g` layout, 16 x 32 bits: eax ecx edx ebx esp ebp esi
 * edi eip eflags cs ss ds es fs gs. Registers gdb numbers 16 and up (x87,
 * SSE) read as unavailable. Memory is addressed linearly (= physically:
 * trapsim has no paging); anything outside guest RAM is E01.
 *
 * One step (s, stepi) is one machine_step() that retires an instruction or
 * delivers an event: after it EIP is the next instruction, or the first
 * instruction of the handler an exception or interrupt went to. Steps that
 * only wait in HLT for the timer are folded into the step that follows.
 *
 * Error replies: E01 memory outside guest RAM, E02 malformed packet,
 * E03 register write refused, E04 too many breakpoints.
 *
 * The protocol layers below the socket are pure functions over buffers
 * (gdb_rx_byte, gdb_handle_packet, gdb_frame) for unit tests and fuzzers. */
#ifndef TRAPSIM_GDB_H
#define TRAPSIM_GDB_H
#include <stddef.h>
#include <stdint.h>
#include "cpu/cpu.h"
#include "vmm/view.h"

#define GDB_PKT_MAX 16384       /* the PacketSize we announce (0x4000) */
#define GDB_MAX_BREAKS 64
#define GDB_POLL_STEPS 4096     /* steps between two looks for Ctrl-C */
#define GDB_NREGS 16            /* registers in the g packet */
#define GDB_MONITOR_MAX 65536   /* a `monitor` command's output, at most */

typedef struct gdb_opts {
    int given;                  /* --gdb was given */
    uint16_t port;              /* 0: any free port (printed on stderr) */
    int verbose;                /* --gdb-verbose: log packets and bad packets on stderr */
} gdb_opts_t;

/* Parses --gdb PORT / --gdb-verbose at argv[*i]: 1 when it was one (*i
 * advanced past its value), 0 when argv[*i] is another option, -1 after
 * printing an error. */
int gdb_parse_opt(int argc, char **argv, int *i, gdb_opts_t *o);

/* ---- framing: "$payload#cs", acks, Ctrl-C ---- */
uint8_t gdb_checksum(const char *data, size_t len);
/* Writes "$payload#cs" (escaping $ # } *) NUL-terminated into out; returns
 * its length, or 0 when it does not fit in outsize. */
size_t gdb_frame(const char *payload, size_t len, char *out, size_t outsize);

enum {
    GDB_RX_NONE,        /* nothing complete yet (or a byte outside any packet ignored) */
    GDB_RX_PACKET,      /* a packet with a good checksum: rx->buf, rx->len */
    GDB_RX_BADSUM,      /* a packet with a bad checksum: answer '-' */
    GDB_RX_TOOLONG,     /* a packet longer than GDB_PKT_MAX: answer E02 */
    GDB_RX_INTERRUPT,   /* Ctrl-C (0x03) outside a packet */
    GDB_RX_ACK,         /* '+' */
    GDB_RX_NACK         /* '-': resend the last packet */
};
typedef struct gdb_rx {
    int state;
    size_t len;
    uint8_t sum, want;
    int overflow;
    char buf[GDB_PKT_MAX + 1];  /* the payload, NUL-terminated (may hold NULs) */
} gdb_rx_t;
void gdb_rx_init(gdb_rx_t *rx);
/* Feeds one received byte; returns GDB_RX_*. */
int gdb_rx_byte(gdb_rx_t *rx, uint8_t byte);

/* ---- packets ---- */
typedef enum gdb_action {
    GDB_ACT_REPLY = 0,  /* send `reply` (an empty reply means "not supported") */
    GDB_ACT_CONTINUE,   /* resume (no reply until the machine stops again) */
    GDB_ACT_STEP,       /* one step, gdb_step() (no reply until it is done) */
    GDB_ACT_KILL,       /* stop the run; send `reply` only when non-empty (vKill: OK; k: none) */
    GDB_ACT_DETACH,     /* send `reply` (OK), then run on without the debugger */
    GDB_ACT_OUTPUT      /* send the text in gdb_t.out as O packets, then `reply` (a monitor command) */
} gdb_action_t;

typedef struct gdb {
    machine_t *m;
    int no_ack;                     /* QStartNoAckMode was accepted */
    int signal;                     /* the signal of the last stop (5 SIGTRAP, 2 SIGINT) */
    int nbreaks;
    uint32_t breaks[GDB_MAX_BREAKS];/* Z0 addresses: EIP values */
    const char *error;              /* why the last error reply was given (static text) */
    monitor_view_t view;            /* the monitor's views (ops NULL: bare): `monitor info vcpu`, `info shadow` */
    size_t out_len;                 /* GDB_ACT_OUTPUT: the text in out */
    char out[GDB_MONITOR_MAX];
} gdb_t;

void gdb_init(gdb_t *g, machine_t *m);
/* Handles one packet payload (between '$' and '#', checksum already
 * checked) of `len` bytes (any bytes, NULs included). Writes the reply
 * payload, NUL-terminated and unframed, into `reply` (truncated replies are
 * never produced: a reply that would not fit in replysize becomes E02 or,
 * for m, fewer bytes). Touches the machine's registers and RAM only; no I/O.
 * Returns a gdb_action_t. replysize must be at least 4. */
int gdb_handle_packet(gdb_t *g, const char *pkt, size_t len, char *reply, size_t replysize);
/* The stop reply for the machine's current state and g->signal
 * ("T05...thread:01;"), or W/X when the machine has stopped. */
void gdb_stop_reply(const gdb_t *g, char *reply, size_t replysize);
/* Whether a Z0 breakpoint is set at eip. */
int gdb_break_at(const gdb_t *g, uint32_t eip);
/* One step as `s` defines it (see above). */
void gdb_step(machine_t *m);

/* Listens on 127.0.0.1:port, serves one debugger, and runs the machine
 * under it until the run ends (m->stop set); `view` is the monitor's (ops
 * NULL: bare). Returns 0, or -1 when it could not listen or accept (a
 * message was printed). */
int gdb_serve(const gdb_opts_t *o, machine_t *m, monitor_view_t view);
#endif
