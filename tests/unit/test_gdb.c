/* Unit tests for the GDB remote stub's pure layers (app/gdb.c): framing and
 * checksums, the byte-stream decoder, and the packet handler on a small
 * machine (1 MiB of RAM, booted flat at 0x1000). No sockets here: the
 * debugger-driven test is tests/gdb/run.sh. */
#include "app/gdb.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM (1u << 20)

static machine_t *m;
static gdb_t g;
static char reply[GDB_PKT_MAX + 1];

static void setup(void)
{
    m = machine_new(RAM, isa_profile_find("x86"));
    ck_assert_ptr_nonnull(m);
    machine_boot_state(m, 0x1000, 0x9000);
    gdb_init(&g, m);
}

static void teardown(void)
{
    machine_free(m);
    m = NULL;
}

/* Handles a NUL-terminated packet; returns the action. */
static int pkt(const char *p)
{
    memset(reply, '?', sizeof reply);
    return gdb_handle_packet(&g, p, strlen(p), reply, sizeof reply);
}

static void expect(const char *p, const char *want)
{
    int act = pkt(p);
    ck_assert_int_eq(act, GDB_ACT_REPLY);
    ck_assert_str_eq(reply, want);
}

static uint32_t le32(const char *hex)
{
    uint32_t v = 0;
    for (int b = 0; b < 4; b++) {
        unsigned x;
        ck_assert_int_eq(sscanf(hex + 2 * b, "%2x", &x), 1);
        v |= (uint32_t)x << (8 * b);
    }
    return v;
}

/* ---- framing ---- */

START_TEST(checksum_and_frame)
{
    char out[64];
    ck_assert_uint_eq(gdb_checksum("OK", 2), 0x9a);
    ck_assert_uint_eq(gdb_checksum("", 0), 0);
    ck_assert_uint_eq(gdb_frame("OK", 2, out, sizeof out), 6);
    ck_assert_str_eq(out, "$OK#9a");
    ck_assert_uint_eq(gdb_frame("", 0, out, sizeof out), 4);
    ck_assert_str_eq(out, "$#00");
    /* $ # } * are escaped as '}' and the byte xor 0x20; the checksum covers the escaped form */
    size_t n = gdb_frame("a#b*", 4, out, sizeof out);
    ck_assert_str_eq(out + n - 3, "#ca");
    ck_assert_int_eq(memcmp(out, "$a}\x03" "b}\x0a", 7), 0);
    ck_assert_uint_eq(gdb_checksum(out + 1, n - 4), 0xca);
    /* never a truncated frame */
    ck_assert_uint_eq(gdb_frame("OK", 2, out, 6), 0);
    ck_assert_uint_eq(gdb_frame("OK", 2, out, 7), 6);
}
END_TEST

static int feed(gdb_rx_t *rx, const char *s, size_t n)
{
    int last = GDB_RX_NONE;
    for (size_t k = 0; k < n; k++) {
        int r = gdb_rx_byte(rx, (uint8_t)s[k]);
        if (r != GDB_RX_NONE)
            last = r;
    }
    return last;
}

START_TEST(rx_packets)
{
    static gdb_rx_t rx;
    gdb_rx_init(&rx);
    ck_assert_int_eq(feed(&rx, "$g#67", 5), GDB_RX_PACKET);
    ck_assert_uint_eq(rx.len, 1);
    ck_assert_str_eq(rx.buf, "g");
    ck_assert_int_eq(feed(&rx, "$m0,4#FD", 8), GDB_RX_PACKET);   /* upper-case checksum digits */
    ck_assert_str_eq(rx.buf, "m0,4");
    ck_assert_int_eq(feed(&rx, "$g#00", 5), GDB_RX_BADSUM);
    ck_assert_int_eq(feed(&rx, "$g#6z", 5), GDB_RX_BADSUM);
    ck_assert_int_eq(feed(&rx, "$g#z7", 5), GDB_RX_BADSUM);
    ck_assert_int_eq(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
    ck_assert_int_eq(gdb_rx_byte(&rx, '-'), GDB_RX_NACK);
    ck_assert_int_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
    ck_assert_int_eq(gdb_rx_byte(&rx, 'x'), GDB_RX_NONE);   /* junk outside packets */
    /* a '$' restarts a packet */
    ck_assert_int_eq(feed(&rx, "$mxx$g#67", 9), GDB_RX_PACKET);
    ck_assert_str_eq(rx.buf, "g");
    /* Ctrl-C inside a packet is data, not an interrupt */
    ck_assert_int_eq(feed(&rx, "$\x03#03", 5), GDB_RX_PACKET);
    ck_assert_uint_eq(rx.len, 1);
}
END_TEST

START_TEST(rx_too_long)
{
    static gdb_rx_t rx;
    static char big[GDB_PKT_MAX + 100];
    gdb_rx_init(&rx);
    size_t n = 0;
    big[n++] = '$';
    uint8_t sum = 0;
    for (int k = 0; k < GDB_PKT_MAX + 10; k++) {
        big[n++] = 'a';
        sum = (uint8_t)(sum + 'a');
    }
    n += (size_t)snprintf(big + n, sizeof big - n, "#%02x", sum);
    ck_assert_int_eq(feed(&rx, big, n), GDB_RX_TOOLONG);
    ck_assert_int_eq(feed(&rx, "$g#67", 5), GDB_RX_PACKET);   /* and it recovers */
}
END_TEST

/* ---- registers ---- */

START_TEST(regs_read)
{
    m->cpu.reg[EAX] = 0x12345678;
    m->cpu.reg[EDI] = 0xdeadbeef;
    ck_assert_int_eq(pkt("g"), GDB_ACT_REPLY);
    ck_assert_uint_eq(strlen(reply), 8 * GDB_NREGS);
    ck_assert_uint_eq(le32(reply + 0), 0x12345678);
    ck_assert_uint_eq(le32(reply + 8 * 7), 0xdeadbeef);
    ck_assert_uint_eq(le32(reply + 8 * 8), 0x1000);        /* eip */
    ck_assert_uint_eq(le32(reply + 8 * 9), m->cpu.eflags);
    ck_assert_uint_eq(le32(reply + 8 * 10), 0x08);         /* cs */
    ck_assert_uint_eq(le32(reply + 8 * 11), 0x10);         /* ss */
    expect("p8", "00100000");
    expect("p0", "78563412");
    expect("pa", "08000000");
    expect("p10", "xxxxxxxx");   /* x87/SSE: unavailable */
    expect("p40", "E02");
    expect("p", "E02");
    expect("pz", "E02");
    expect("g1", "E02");
}
END_TEST

START_TEST(regs_write)
{
    expect("P0=efbeadde", "OK");
    ck_assert_uint_eq(m->cpu.reg[EAX], 0xdeadbeef);
    expect("P8=00200000", "OK");
    ck_assert_uint_eq(m->cpu.eip, 0x2000);
    expect("P9=c7080000", "OK");   /* CF PF ZF SF IF ... */
    ck_assert_uint_eq(m->cpu.eflags, 0x8c7 | FL_1);
    expect("P9=00000200", "E03");   /* EFLAGS.VM */
    expect("Pa=08000000", "OK");    /* CS unchanged: fine */
    expect("Pa=10000000", "E03");   /* CS changes: refused */
    expect("Pb=10000000", "OK");    /* SS unchanged */
    expect("Pc=00000100", "E03");   /* a selector has 16 bits */
    expect("Pc=18000000", "E03");   /* no GDT: the load would fault */
    ck_assert_uint_eq(m->cpu.seg[SEG_DS].sel, 0x10);
    expect("Pc=00000000", "OK");    /* a null data selector loads */
    ck_assert_uint_eq(m->cpu.seg[SEG_DS].sel, 0);
    ck_assert_int_eq(m->cpu.seg[SEG_DS].usable, 0);
    expect("P10=00000000", "E03");
    expect("P0=1234", "E02");
    expect("P0=zz345678", "E02");
    expect("P0", "E02");
    expect("P=00000000", "E02");
    expect("P0=123456789", "E02");
}
END_TEST

START_TEST(regs_write_all)
{
    m->cpu.reg[ECX] = 5;
    ck_assert_int_eq(pkt("g"), GDB_ACT_REPLY);
    char g1[8 * GDB_NREGS + 2];
    ck_assert_uint_eq(strlen(reply), 8 * GDB_NREGS);
    g1[0] = 'G';
    memcpy(g1 + 1, reply, 8 * GDB_NREGS + 1);
    memcpy(g1 + 1, "11223344", 8);            /* eax */
    memcpy(g1 + 1 + 8 * 8, "00300000", 8);    /* eip */
    expect(g1, "OK");
    ck_assert_uint_eq(m->cpu.reg[EAX], 0x44332211);
    ck_assert_uint_eq(m->cpu.reg[ECX], 5);
    ck_assert_uint_eq(m->cpu.eip, 0x3000);
    /* all or nothing: a refused CS leaves EAX alone */
    memcpy(g1 + 1, "99999999", 8);
    memcpy(g1 + 1 + 8 * 10, "1b000000", 8);
    expect(g1, "E03");
    ck_assert_uint_eq(m->cpu.reg[EAX], 0x44332211);
    expect("G00", "E02");
    g1[5] = 'q';
    expect(g1, "E02");
}
END_TEST

/* ---- memory ---- */

START_TEST(mem_read_write)
{
    expect("M2000,4:deadbeef", "OK");
    ck_assert_uint_eq(m->cpu.ram[0x2000], 0xde);
    ck_assert_uint_eq(m->cpu.ram[0x2003], 0xef);
    expect("m2000,4", "deadbeef");
    expect("m2001,2", "adbe");
    expect("m2000,0", "");
    /* the last bytes of RAM, and past them */
    expect("Mfffff,1:7f", "OK");
    expect("mfffff,1", "7f");
    expect("mfffff,2", "E01");
    expect("m100000,1", "E01");
    expect("mffffffff,1", "E01");
    /* a long read gives what fits in the reply (PacketSize), from inside RAM */
    ck_assert_int_eq(pkt("m0,ffffffff"), GDB_ACT_REPLY);
    ck_assert_uint_eq(strlen(reply), GDB_PKT_MAX);
}
END_TEST

START_TEST(mem_out_of_range)
{
    expect("M100000,1:00", "E01");
    expect("Mfffff,2:0000", "E01");
    expect("Mffffffffffff,1:00", "E01");
    expect("X100000,1:a", "E01");
    ck_assert_uint_eq(m->cpu.ram[0xfffff], 0);
    /* 64-bit wrap-around cannot reach in: addr + len overflows */
    expect("mffffffffffffffff,2", "E01");
    expect("m10000000000000000,1", "E02");   /* 17 digits */
}
END_TEST

START_TEST(mem_bad_packets)
{
    expect("m", "E02");
    expect("m2000", "E02");
    expect("m2000,", "E02");
    expect("m,4", "E02");
    expect("m2000,4x", "E02");
    expect("M2000,2:abc", "E02");      /* odd */
    expect("M2000,2:abcdef", "E02");   /* too much */
    expect("M2000,2:abzz", "E02");
    expect("M2000,2", "E02");
    ck_assert_uint_eq(m->cpu.ram[0x2000], 0);
    expect("X2000,2:a", "E02");        /* too little */
    expect("X2000,1:}", "E02");        /* escape at the end */
}
END_TEST

START_TEST(mem_binary)
{
    /* X with escapes: '}' then byte ^ 0x20 ("}\x03" is '#', "}\x5d" is '}') */
    const char p[] = "X3000,4:a}\x03}\x5d\x00";
    memset(reply, 0, sizeof reply);
    ck_assert_int_eq(gdb_handle_packet(&g, p, sizeof p - 1, reply, sizeof reply), GDB_ACT_REPLY);
    ck_assert_str_eq(reply, "OK");
    ck_assert_int_eq(memcmp(m->cpu.ram + 0x3000, "a#}\0", 4), 0);
    expect("X3000,0:", "OK");   /* gdb's probe */
}
END_TEST

START_TEST(mem_reply_limit)
{
    /* a read longer than the reply buffer gives fewer bytes, never overflow */
    char small[11];
    memset(small, 'Z', sizeof small);
    ck_assert_int_eq(gdb_handle_packet(&g, "m0,100", 6, small, sizeof small), GDB_ACT_REPLY);
    ck_assert_uint_eq(strlen(small), 10);
    /* a reply that cannot fit at all is an error */
    char tiny[8];
    ck_assert_int_eq(gdb_handle_packet(&g, "g", 1, tiny, sizeof tiny), GDB_ACT_REPLY);
    ck_assert_str_eq(tiny, "E02");
}
END_TEST

/* ---- breakpoints, resuming, queries ---- */

START_TEST(breakpoints)
{
    expect("Z0,1006e0,1", "OK");
    expect("Z0,1006e0,1", "OK");   /* twice: one breakpoint */
    ck_assert_int_eq(g.nbreaks, 1);
    ck_assert_int_eq(gdb_break_at(&g, 0x1006e0), 1);
    ck_assert_int_eq(gdb_break_at(&g, 0x1006e1), 0);
    expect("z0,1006e0,1", "OK");
    ck_assert_int_eq(gdb_break_at(&g, 0x1006e0), 0);
    expect("z0,1006e0,1", "OK");   /* not set: fine */
    expect("Z1,1000,1", "");       /* hardware: not supported */
    expect("Z2,1000,4", "");
    expect("Z0,1000", "E02");
    expect("Z0", "E02");
    expect("Z0,100000000,1", "E02");
    expect("Z", "E02");
    for (int k = 0; k < GDB_MAX_BREAKS; k++) {
        char p[32];
        snprintf(p, sizeof p, "Z0,%x,1", 0x1000 + k);
        expect(p, "OK");
    }
    expect("Z0,9999,1", "E04");
    ck_assert_str_eq(g.error, "too many breakpoints");
}
END_TEST

START_TEST(resume)
{
    ck_assert_int_eq(pkt("c"), GDB_ACT_CONTINUE);
    ck_assert_int_eq(pkt("s"), GDB_ACT_STEP);
    ck_assert_int_eq(pkt("c2000"), GDB_ACT_CONTINUE);
    ck_assert_uint_eq(m->cpu.eip, 0x2000);
    ck_assert_int_eq(pkt("S05;3000"), GDB_ACT_STEP);
    ck_assert_uint_eq(m->cpu.eip, 0x3000);
    ck_assert_int_eq(pkt("C05"), GDB_ACT_CONTINUE);
    expect("cxyz", "E02");
    expect("C", "E02");
    expect("C05;", "E02");
    expect("C05x", "E02");
    ck_assert_uint_eq(m->cpu.eip, 0x3000);
    ck_assert_int_eq(pkt("k"), GDB_ACT_KILL);
    ck_assert_str_eq(reply, "");
    ck_assert_int_eq(pkt("vKill;a410"), GDB_ACT_KILL);
    ck_assert_str_eq(reply, "OK");
    ck_assert_int_eq(pkt("D"), GDB_ACT_DETACH);
    ck_assert_str_eq(reply, "OK");
}
END_TEST


/* "qRcmd," and the command in hex */
static int monitor(const char *cmd)
{
    char p[600] = "qRcmd,";
    for (const char *c = cmd; *c; c++)
        snprintf(p + strlen(p), sizeof p - strlen(p), "%02x", (unsigned char)*c);
    return pkt(p);
}

/* A monitor command's output holds `text`. */
static void expect_monitor(const char *cmd, const char *text)
{
    ck_assert_int_eq(monitor(cmd), GDB_ACT_OUTPUT);
    ck_assert_str_eq(reply, "OK");
    ck_assert_msg(strstr(g.out, text) != NULL, "monitor %s: no '%s' in:\n%s", cmd, text, g.out);
    ck_assert_uint_eq(g.out_len, strlen(g.out));
}

START_TEST(monitor_commands)
{
    expect_monitor("help", "info registers");
    expect_monitor("help", "info shadow");
    m->cpu.cr0 |= CR0_TS;
    expect_monitor("info registers", "  eip=00001000 eflags=00000002 [ ] iopl=0  cpl=0");
    expect_monitor("info registers", "  cr0=00000019 [ PE TS ET ] cr2=00000000");
    expect_monitor("info registers", "  gdtr base=");
    expect_monitor("info idt", "IDT (the CPU's IDTR): base=00000000 limit=0000");
    expect_monitor("info gdt", "GDT (the CPU's GDTR)");
    expect_monitor("info tss", "(no LTR yet");
    /* bare: no monitor to show */
    expect_monitor("info vcpu", "no monitor");
    expect_monitor("info shadow", "no monitor");
    expect_monitor("frobnicate", "unknown monitor command 'frobnicate' (monitor help lists them)\n");
    expect_monitor("info", "unknown monitor command 'info'");
    expect("qRcmd,6", "E02");          /* odd length */
    expect("qRcmd,zz", "E02");         /* not hex */
    expect("qRcmd,6800", "E02");       /* a NUL inside */
}
END_TEST

START_TEST(queries)
{
    int act = pkt("qSupported:multiprocess+;swbreak+;xmlRegisters=i386");
    ck_assert_int_eq(act, GDB_ACT_REPLY);
    ck_assert_ptr_nonnull(strstr(reply, "PacketSize=4000"));
    expect("qAttached", "1");
    expect("qC", "QC1");
    expect("qfThreadInfo", "m1");
    expect("qsThreadInfo", "l");
    expect("Hg0", "OK");
    expect("Hc-1", "OK");
    expect("H", "E02");
    expect("vCont?", "");
    expect("vMustReplyEmpty", "");
    expect("qTStatus", "");
    expect("qXfer:features:read:target.xml:0,1000", "");
    expect("!", "");
    ck_assert_int_eq(g.no_ack, 0);
    expect("QStartNoAckMode", "OK");
    ck_assert_int_eq(g.no_ack, 1);
    expect("?", "T0504:00000000;05:00000000;08:00100000;thread:1;");
    ck_assert_int_eq(pkt(""), GDB_ACT_REPLY);
    ck_assert_str_eq(reply, "");
}
END_TEST

START_TEST(stop_replies)
{
    m->exit_status = 3;
    machine_stop(m, STOP_DEBUG_EXIT, "exit");
    expect("?", "W03");
    m->stop = STOP_NONE;
    machine_stop(m, STOP_TRIPLE, "triple");
    expect("?", "X0b");
    m->stop = STOP_NONE;
    machine_stop(m, STOP_HALTED, "halted");
    expect("?", "W08");
}
END_TEST

START_TEST(single_step)
{
    /* nop; nop; out %al,$0xf4 */
    static const uint8_t code[] = { 0x90, 0x90, 0xe6, 0xf4 };
    memcpy(m->cpu.ram + 0x1000, code, sizeof code);
    gdb_step(m);
    ck_assert_uint_eq(m->cpu.eip, 0x1001);
    ck_assert_uint_eq(m->cpu.icount, 1);
    gdb_step(m);
    gdb_step(m);
    ck_assert_int_eq(m->stop, STOP_DEBUG_EXIT);
    expect("?", "W05");   /* AL = 0x02 from EAX = 0x2badb002: (2 << 1) | 1 */
}
END_TEST

/* Random packets, printable and not: no crash, every reply fits and is
 * NUL-terminated (ASan/UBSan watch the rest). */
START_TEST(random_packets)
{
    static const char *const seeds[] = { "m", "M", "X", "g", "G", "p", "P", "Z0,", "z0,", "c", "s",
                                         "q", "Q", "v", "H", "C", "S", "?", "T" };
    uint32_t x = 12345;
    char p[256], r[64];
    for (int n = 0; n < 20000; n++) {
        x = x * 1103515245u + 12345u;
        const char *seed = seeds[(x >> 16) % (sizeof seeds / sizeof seeds[0])];
        size_t len = strlen(seed);
        memcpy(p, seed, len);
        x = x * 1103515245u + 12345u;
        size_t extra = (x >> 16) % 40;
        for (size_t k = 0; k < extra; k++) {
            x = x * 1103515245u + 12345u;
            static const char alpha[] = "0123456789abcdefABCDEF,:;=x}#$ \x01\xff";
            p[len++] = (n & 1) ? (char)(x >> 24) : alpha[(x >> 16) % (sizeof alpha - 1)];
        }
        memset(r, 'Z', sizeof r);
        int act = gdb_handle_packet(&g, p, len, r, sizeof r);
        ck_assert_int_ge(act, GDB_ACT_REPLY);
        ck_assert_int_le(act, GDB_ACT_DETACH);
        ck_assert_ptr_nonnull(memchr(r, 0, sizeof r));
    }
}
END_TEST

static Suite *gdb_suite(void)
{
    Suite *s = suite_create("gdb");
    TCase *tc = tcase_create("framing");
    tcase_add_test(tc, checksum_and_frame);
    tcase_add_test(tc, rx_packets);
    tcase_add_test(tc, rx_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("packets");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, regs_read);
    tcase_add_test(tc, regs_write);
    tcase_add_test(tc, regs_write_all);
    tcase_add_test(tc, mem_read_write);
    tcase_add_test(tc, mem_out_of_range);
    tcase_add_test(tc, mem_bad_packets);
    tcase_add_test(tc, mem_binary);
    tcase_add_test(tc, mem_reply_limit);
    tcase_add_test(tc, breakpoints);
    tcase_add_test(tc, resume);
    tcase_add_test(tc, queries);
    tcase_add_test(tc, stop_replies);
    tcase_add_test(tc, single_step);
    tcase_add_test(tc, random_packets);
    tcase_add_test(tc, monitor_commands);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(gdb_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
