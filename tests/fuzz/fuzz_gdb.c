/* Fuzz target `gdb`: the GDB stub's protocol layers over buffers
 * (app/gdb.h): the receiver gdb_rx_byte(), gdb_handle_packet() on a live
 * machine, gdb_frame(), gdb_stop_reply(), gdb_step().
 *
 * Input: byte 0 picks the reply buffer size (replysizes[]: the full
 * GDB_PKT_MAX and small ones, so that the "never a truncated reply" rule is
 * exercised); the rest is the byte stream a debugger sends ("$g#67",
 * "+", Ctrl-C, garbage). The machine: 1 MiB of RAM, flat ring 0 segments,
 * a small loop of code at 0x1000 (nop; inc eax; jmp back), budget 5000.
 *
 * Checked: receiver lengths within GDB_PKT_MAX; a known action; the reply
 * NUL-terminated inside the buffer and framable by gdb_frame(); stop
 * replies likewise; "continue" runs at most CONT_STEPS steps (or to a
 * breakpoint); ASan sees every memory access of m/M/X/g/G/p/P. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "app/gdb.h"
#include "cpu/cpu.h"
#include "isa/access.h"
#include "tests/fuzz/fuzz_common.h"

#define RAM (1u << 20)
#define CONT_STEPS 3000

static const size_t replysizes[] = { GDB_PKT_MAX + 1, 4, 5, 16, 17, 64, 200, 1024 };

static void check_reply(const char *reply, size_t size, const char *what)
{
    static char framed[2 * GDB_PKT_MAX + 16];
    FUZZ_CHECK(memchr(reply, 0, size) != NULL, "%s: reply not NUL-terminated in %zu bytes", what, size);
    size_t n = strlen(reply);
    FUZZ_CHECK(gdb_frame(reply, n, framed, sizeof framed) > 0, "%s: reply of %zu bytes cannot be framed",
               what, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t replysize = replysizes[data[0] % (sizeof replysizes / sizeof replysizes[0])];
    machine_t *m = machine_new(RAM, isa_profile_find("x86"));
    FUZZ_CHECK(m != NULL, "machine_new");
    FILE *console = fopen("/dev/null", "w");
    FUZZ_CHECK(console != NULL, "/dev/null");
    m->console = console;
    m->max_insns = 5000;
    machine_boot_state(m, 0x1000, 0);
    static const uint8_t loop[] = { 0x90, 0x40, 0xeb, 0xfc };   /* nop; inc eax; jmp -4 */
    memcpy(m->cpu.ram + 0x1000, loop, sizeof loop);
    m->cpu.reg[ESP] = 0x8000;

    static gdb_rx_t rx;
    gdb_t g;
    gdb_rx_init(&rx);
    gdb_init(&g, m);
    char *reply = malloc(replysize);   /* exactly replysize bytes: ASan sees overruns */
    FUZZ_CHECK(reply != NULL, "malloc");
    int done = 0;
    for (size_t k = 1; k < size && !done; k++) {
        int r = gdb_rx_byte(&rx, data[k]);
        FUZZ_CHECK(r >= GDB_RX_NONE && r <= GDB_RX_NACK, "gdb_rx_byte returned %d", r);
        FUZZ_CHECK(rx.len <= GDB_PKT_MAX, "receiver holds %zu bytes", rx.len);
        if (r != GDB_RX_PACKET)
            continue;
        int act = gdb_handle_packet(&g, rx.buf, rx.len, reply, replysize);
        FUZZ_CHECK(act >= GDB_ACT_REPLY && act <= GDB_ACT_OUTPUT, "action %d", act);
        check_reply(reply, replysize, "packet");
        FUZZ_CHECK(act != GDB_ACT_OUTPUT || g.out_len < sizeof g.out, "monitor output of %zu bytes", g.out_len);
        switch (act) {
        case GDB_ACT_STEP:
            if (m->stop == STOP_NONE)
                gdb_step(m);
            break;
        case GDB_ACT_CONTINUE:
            for (int s = 0; s < CONT_STEPS && m->stop == STOP_NONE; s++) {
                machine_step(m);
                if (gdb_break_at(&g, m->cpu.eip))
                    break;
            }
            break;
        case GDB_ACT_KILL:
        case GDB_ACT_DETACH:
            done = 1;
            break;
        default:
            break;
        }
        if (act == GDB_ACT_STEP || act == GDB_ACT_CONTINUE) {
            gdb_stop_reply(&g, reply, replysize);
            check_reply(reply, replysize, "stop reply");
        }
        FUZZ_CHECK(m->cpu.ram_size == RAM && m->cpu.bus.ctx == m, "machine fields changed");
    }
    free(reply);
    fclose(console);
    machine_free(m);
    return 0;
}
