/* The GDB remote stub (app/gdb.h). Three layers: the byte-stream decoder
 * (gdb_rx_byte), the packet handler (gdb_handle_packet), both pure; and the
 * server (gdb_serve), which owns the socket and the run loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "app/args.h"
#include "app/gdb.h"
#include "cpu/show.h"
#include "isa/access.h"

/* ---- options ---- */

int gdb_parse_opt(int argc, char **argv, int *i, gdb_opts_t *o)
{
    const char *v;
    int r;
    if (strcmp(argv[*i], "--gdb-verbose") == 0) {
        o->verbose = 1;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "--gdb", &v))) {
        uint32_t port;
        if (r < 0 || parse_u32(v, &port) || port > 65535) {
            errorf("--gdb needs a TCP port (0: any free port, printed on stderr)");
            return -1;
        }
        o->given = 1;
        o->port = (uint16_t)port;
        return 1;
    }
    return 0;
}

/* ---- framing ---- */

static const char hexdig[] = "0123456789abcdef";

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

uint8_t gdb_checksum(const char *data, size_t len)
{
    uint8_t sum = 0;
    for (size_t k = 0; k < len; k++)
        sum = (uint8_t)(sum + (uint8_t)data[k]);
    return sum;
}

size_t gdb_frame(const char *payload, size_t len, char *out, size_t outsize)
{
    size_t n = 0;
    uint8_t sum = 0;
    if (outsize < 5)
        return 0;
    out[n++] = '$';
    for (size_t k = 0; k < len; k++) {
        char ch = payload[k];
        int esc = ch == '$' || ch == '#' || ch == '}' || ch == '*';
        if (n + (esc ? 2 : 1) + 4 > outsize)
            return 0;
        if (esc) {
            out[n++] = '}';
            sum = (uint8_t)(sum + '}');
            ch = (char)(ch ^ 0x20);
        }
        out[n++] = ch;
        sum = (uint8_t)(sum + (uint8_t)ch);
    }
    out[n++] = '#';
    out[n++] = hexdig[sum >> 4];
    out[n++] = hexdig[sum & 15];
    out[n] = 0;
    return n;
}

enum { RX_IDLE, RX_DATA, RX_CK1, RX_CK2 };

void gdb_rx_init(gdb_rx_t *rx)
{
    rx->state = RX_IDLE;
    rx->len = 0;
    rx->sum = rx->want = 0;
    rx->overflow = 0;
    rx->buf[0] = 0;
}

int gdb_rx_byte(gdb_rx_t *rx, uint8_t b)
{
    if (b == '$') {   /* a '$' always starts a packet, even inside one */
        rx->state = RX_DATA;
        rx->len = 0;
        rx->sum = 0;
        rx->overflow = 0;
        return GDB_RX_NONE;
    }
    switch (rx->state) {
    case RX_IDLE:
        if (b == '+') return GDB_RX_ACK;
        if (b == '-') return GDB_RX_NACK;
        if (b == 0x03) return GDB_RX_INTERRUPT;
        return GDB_RX_NONE;
    case RX_DATA:
        if (b == '#') {
            rx->state = RX_CK1;
            return GDB_RX_NONE;
        }
        rx->sum = (uint8_t)(rx->sum + b);
        if (rx->len < GDB_PKT_MAX)
            rx->buf[rx->len++] = (char)b;
        else
            rx->overflow = 1;
        return GDB_RX_NONE;
    case RX_CK1: {
        int h = hexval(b);
        rx->want = (uint8_t)((h < 0 ? 0 : h) << 4);
        rx->state = h < 0 ? RX_IDLE : RX_CK2;
        rx->buf[rx->len] = 0;
        return h < 0 ? GDB_RX_BADSUM : GDB_RX_NONE;
    }
    case RX_CK2: {
        int h = hexval(b);
        rx->state = RX_IDLE;
        rx->buf[rx->len] = 0;
        if (h < 0 || (uint8_t)(rx->want | h) != rx->sum)
            return GDB_RX_BADSUM;
        return rx->overflow ? GDB_RX_TOOLONG : GDB_RX_PACKET;
    }
    }
    rx->state = RX_IDLE;
    return GDB_RX_NONE;
}

/* ---- packets ---- */

/* A bounded reply writer: overflow is remembered, never written. */
typedef struct out {
    char *p;
    size_t n, cap;
    int over;
} out_t;

static void put(out_t *o, const char *s)
{
    size_t k = strlen(s);
    if (o->over || o->n + k + 1 > o->cap) {
        o->over = 1;
        return;
    }
    memcpy(o->p + o->n, s, k + 1);
    o->n += k;
}

static void put_byte(out_t *o, uint8_t b)
{
    char s[3] = { hexdig[b >> 4], hexdig[b & 15], 0 };
    put(o, s);
}

static void put_le32(out_t *o, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        put_byte(o, (uint8_t)(v >> (8 * k)));
}

/* Parses hex digits at p[*k..len) (at most 16) into *v; the count, 0 when none. */
static int parse_hex(const char *p, size_t len, size_t *k, uint64_t *v)
{
    int n = 0;
    uint64_t x = 0;
    while (*k < len && hexval((unsigned char)p[*k]) >= 0) {
        if (n == 16)
            return 0;
        x = (x << 4) | (uint64_t)hexval((unsigned char)p[*k]);
        (*k)++;
        n++;
    }
    *v = x;
    return n;
}

/* Eight hex digits, target (little-endian) byte order. */
static int parse_le32(const char *p, size_t len, size_t k, uint32_t *v)
{
    if (k + 8 > len)
        return -1;
    uint32_t x = 0;
    for (int b = 0; b < 4; b++) {
        int h = hexval((unsigned char)p[k + 2 * (size_t)b]);
        int l = hexval((unsigned char)p[k + 2 * (size_t)b + 1]);
        if (h < 0 || l < 0)
            return -1;
        x |= (uint32_t)(h << 4 | l) << (8 * b);
    }
    *v = x;
    return 0;
}

static int is(const char *p, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len == n && memcmp(p, name, n) == 0;
}

static int starts(const char *p, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len >= n && memcmp(p, name, n) == 0;
}

/* gdb's i386 numbering of the segment registers 10..15. */
static const int gdb_seg[6] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };

/* Register n as the guest has it: CS, EIP and GS from `gr` (hv_guest_regs():
 * the guest's even while the CPU runs a monitor's code for it). */
static uint32_t reg_get(const struct cpu *c, const hv_guest_regs_t *gr, int n)
{
    if (n < 8) return c->reg[n];
    if (n == 8) return gr->eip;
    if (n == 9) return c->eflags;
    if (gdb_seg[n - 10] == SEG_CS) return gr->cs.sel;
    if (gdb_seg[n - 10] == SEG_GS) return gr->gs.sel;
    return c->seg[gdb_seg[n - 10]].sel;
}

#define EFLAGS_WRITABLE (FL_ARITH | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT | FL_RF | FL_AC | \
                         FL_VIF | FL_VIP | FL_ID)

/* Sets register n of gdb's numbering in c, the guest's registers being
 * `gr` (hv_guest_regs()); a new EIP goes to *eip, for hv_guest_goto().
 * -1 (and c untouched) when refused. */
static int reg_set(gdb_t *g, struct cpu *c, const hv_guest_regs_t *gr, int n, uint32_t v, uint32_t *eip)
{
    if (n < 0 || n >= GDB_NREGS) {
        g->error = "no such register";
        return -1;
    }
    if (n < 8) {
        c->reg[n] = v;
    } else if (n == 8) {
        *eip = v;
    } else if (n == 9) {
        if (v & FL_VM) {
            g->error = "EFLAGS.VM: virtual-8086 mode is not modelled";
            return -1;
        }
        c->eflags = (v & EFLAGS_WRITABLE) | FL_1;
    } else {
        int s = gdb_seg[n - 10];
        if (v == (s == SEG_CS ? gr->cs.sel : s == SEG_GS ? gr->gs.sel : c->seg[s].sel))
            return 0;
        if (s == SEG_GS && gr->gs.sel != c->seg[SEG_GS].sel) {
            g->error = "GS is the monitor's while the guest runs from its translation cache";
            return -1;
        }
        if (v > 0xffff || s == SEG_CS) {
            g->error = v > 0xffff ? "a selector has 16 bits" : "CS changes only by a far jump, call, return or IRET";
            return -1;
        }
        /* A real segment load, with every check, on a copy: c changes only
         * when it succeeds. */
        struct cpu tmp = *c;
        if (prot_load_seg(&tmp, s, (uint16_t)v)) {
            g->error = "the segment load would fault";
            return -1;
        }
        c->seg[s] = tmp.seg[s];
    }
    return 0;
}

static int ram_range(const struct cpu *c, uint64_t addr, uint64_t len)
{
    return addr <= c->ram_size && len <= c->ram_size - addr;
}

static int reply_error(gdb_t *g, out_t *o, const char *code, const char *why)
{
    g->error = why;
    o->n = 0;
    o->over = 0;
    o->p[0] = 0;
    put(o, code);
    return GDB_ACT_REPLY;
}

/* "ADDR,LEN" then a terminator `end` (0: the end of the packet). */
static int parse_addr_len(const char *p, size_t len, size_t *k, uint64_t *addr, uint64_t *n, char end)
{
    if (!parse_hex(p, len, k, addr) || *k >= len || p[*k] != ',')
        return -1;
    (*k)++;
    if (!parse_hex(p, len, k, n))
        return -1;
    if (end == 0)
        return *k == len ? 0 : -1;
    if (*k >= len || p[*k] != end)
        return -1;
    (*k)++;
    return 0;
}

void gdb_init(gdb_t *g, machine_t *m)
{
    memset(g, 0, sizeof *g);
    g->m = m;
    g->signal = 5;
}

int gdb_break_at(const gdb_t *g, uint32_t eip)
{
    for (int k = 0; k < g->nbreaks; k++)
        if (g->breaks[k] == eip)
            return 1;
    return 0;
}

void gdb_stop_reply(const gdb_t *g, char *reply, size_t replysize)
{
    const machine_t *m = g->m;
    out_t o = { reply, 0, replysize, 0 };
    char head[16];
    if (replysize == 0)
        return;
    reply[0] = 0;
    if (m->stop == STOP_TRIPLE) {
        put(&o, "X0b");             /* SIGSEGV */
    } else if (m->stop == STOP_UNMODELLED) {
        put(&o, "X04");             /* SIGILL */
    } else if (m->stop != STOP_NONE) {
        snprintf(head, sizeof head, "W%02x", machine_exit_status(m) & 0xff);
        put(&o, head);
    } else {
        snprintf(head, sizeof head, "T%02x", g->signal & 0xff);
        put(&o, head);
        static const int expedite[3] = { ESP, EBP, 8 };
        hv_guest_regs_t gr;
        hv_guest_regs(m, &gr);
        for (int k = 0; k < 3; k++) {
            snprintf(head, sizeof head, "%02x:", expedite[k]);
            put(&o, head);
            put_le32(&o, reg_get(&m->cpu, &gr, expedite[k]));
            put(&o, ";");
        }
        put(&o, "thread:1;");
    }
    if (o.over)
        reply[0] = 0;
}

void gdb_step(machine_t *m)
{
    /* HLT waits move only time, and a translator's own steps between two
     * fragments (hv_guest_regs(): the CPU in its code) neither retire nor
     * move the guest: fold both into the step after (bounded, in case no
     * interrupt ever comes and the machine does not notice). */
    for (int waits = 0; m->stop == STOP_NONE && waits < 1000000; waits++) {
        int waiting = m->halted;
        hv_guest_regs_t before, after;
        hv_guest_regs(m, &before);
        uint64_t icount = m->cpu.icount;
        machine_step(m);
        hv_guest_regs(m, &after);
        int translator = after.eip != m->cpu.eip && m->cpu.icount == icount && after.eip == before.eip &&
                         after.cs.sel == before.cs.sel;
        if (!(waiting && m->halted) && !translator)
            break;
    }
}

/* ---- monitor commands (qRcmd) ---- */

static const char monitor_help[] =
    "trapsim monitor commands (QEMU-style):\n"
    "  help               this list\n"
    "  info registers     registers, segment caches, CR0-CR4, GDTR/IDTR, TR, LDTR\n"
    "  info gdt           the GDT the CPU's GDTR names\n"
    "  info idt           the IDT the CPU's IDTR names\n"
    "  info tss           the TSS the CPU's TR names\n"
    "  info vcpu          the guest's virtual CPU beside the real one (under a monitor)\n"
    "  info shadow        the monitor's view: the guest's tables beside the shadow ones, its state\n";

/* Runs one monitor command, its text into f; 0, or -1 when unknown. */
static int monitor_command(const gdb_t *g, const char *cmd, FILE *f)
{
    const struct cpu *c = &g->m->cpu;
    const symtab_t *syms = g->m->trace.syms;
    const monitor_view_ops_t *v = g->view.ops;
    const void *mon = g->view.mon;
    char word[2][32] = { "", "" };
    int n = sscanf(cmd, "%31s %31s", word[0], word[1]);
    if (n >= 1 && !strcmp(word[0], "help")) {
        fputs(monitor_help, f);
        return 0;
    }
    if (n != 2 || strcmp(word[0], "info"))
        return -1;
    const char *what = word[1];
    if (!strcmp(what, "registers") || !strcmp(what, "reg")) {
        show_regs(c, g->m->halted, syms, f);
    } else if (!strcmp(what, "gdt")) {
        show_gdt(c, "the CPU's GDTR", f);
    } else if (!strcmp(what, "idt")) {
        show_idt(c, "the CPU's IDTR", -1, syms, f);
    } else if (!strcmp(what, "tss")) {
        show_tss(c, "the CPU's TR", f);
    } else if (!strcmp(what, "vcpu") || !strcmp(what, "shadow")) {
        if (!v) {
            monitor_view_none(&g->view, f);
        } else if (what[0] == 'v') {
            if (v->vcpu)
                v->vcpu(mon, f);
        } else {
            if (v->gdt) v->gdt(mon, f);
            if (v->idt) v->idt(mon, -1, f);
            if (v->tss) v->tss(mon, f);
            if (v->state) v->state(mon, f);
        }
    } else {
        return -1;
    }
    return 0;
}

/* qRcmd,HEX: the command's text goes to g->out (GDB_ACT_OUTPUT), "OK" last. */
static int handle_monitor(gdb_t *g, const char *p, size_t len, out_t *o)
{
    char cmd[256];
    size_t k = strlen("qRcmd,"), n = 0;
    for (; k + 1 < len && n + 1 < sizeof cmd; k += 2) {
        int hi = hexval(p[k]), lo = hexval(p[k + 1]);
        if (hi < 0 || lo < 0)
            return reply_error(g, o, "E02", "qRcmd: the command is not hex");
        cmd[n++] = (char)(hi << 4 | lo);
    }
    if (k != len)
        return reply_error(g, o, "E02", "qRcmd: the command is not hex or too long");
    cmd[n] = 0;
    if (memchr(cmd, 0, n))
        return reply_error(g, o, "E02", "qRcmd: a NUL in the command");
    FILE *f = fmemopen(g->out, sizeof g->out, "w");
    if (!f)
        return reply_error(g, o, "E02", "qRcmd: no memory for the output");
    setvbuf(f, NULL, _IONBF, 0);
    if (monitor_command(g, cmd, f))
        fprintf(f, "unknown monitor command '%s' (monitor help lists them)\n", cmd);
    long end = ftell(f);
    fclose(f);
    g->out_len = end < 0 ? 0 : (size_t)end < sizeof g->out ? (size_t)end : sizeof g->out - 1;
    put(o, "OK");
    return GDB_ACT_OUTPUT;
}

static int handle_query(gdb_t *g, const char *p, size_t len, out_t *o)
{
    if (starts(p, len, "qRcmd,")) {
        return handle_monitor(g, p, len, o);
    } else if (starts(p, len, "qSupported")) {
        char s[64];
        snprintf(s, sizeof s, "PacketSize=%x;QStartNoAckMode+", GDB_PKT_MAX);
        put(o, s);
    } else if (is(p, len, "qAttached") || starts(p, len, "qAttached:")) {
        put(o, "1");        /* an existing machine: quitting gdb detaches */
    } else if (is(p, len, "qC")) {
        put(o, "QC1");
    } else if (is(p, len, "qfThreadInfo")) {
        put(o, "m1");
    } else if (is(p, len, "qsThreadInfo")) {
        put(o, "l");
    } else if (is(p, len, "qSymbol::")) {
        put(o, "OK");
    } else if (is(p, len, "QStartNoAckMode")) {
        g->no_ack = 1;
        put(o, "OK");
    }
    /* everything else (qOffsets, qTStatus, qXfer, ...): not supported */
    return GDB_ACT_REPLY;
}

static int handle_break(gdb_t *g, const char *p, size_t len, out_t *o)
{
    size_t k = 1;
    uint64_t type, addr, kind;
    if (!parse_hex(p, len, &k, &type) || k >= len || p[k] != ',')
        return reply_error(g, o, "E02", "Z/z: expected TYPE,ADDR,KIND");
    k++;
    if (type != 0)
        return GDB_ACT_REPLY;   /* hardware breakpoints and watchpoints: not supported */
    if (parse_addr_len(p, len, &k, &addr, &kind, 0) || addr > 0xffffffffu)
        return reply_error(g, o, "E02", "Z0/z0: expected 0,ADDR,KIND");
    uint32_t a = (uint32_t)addr;
    int at = -1;
    for (int n = 0; n < g->nbreaks; n++)
        if (g->breaks[n] == a)
            at = n;
    if (p[0] == 'Z') {
        if (at < 0) {
            if (g->nbreaks >= GDB_MAX_BREAKS)
                return reply_error(g, o, "E04", "too many breakpoints");
            g->breaks[g->nbreaks++] = a;
        }
    } else if (at >= 0) {
        g->breaks[at] = g->breaks[--g->nbreaks];
    }
    put(o, "OK");
    return GDB_ACT_REPLY;
}

/* c [ADDR], s [ADDR], C SIG[;ADDR], S SIG[;ADDR] */
static int handle_resume(gdb_t *g, const char *p, size_t len, out_t *o)
{
    size_t k = 1;
    uint64_t v;
    if (p[0] == 'C' || p[0] == 'S') {
        if (!parse_hex(p, len, &k, &v))
            return reply_error(g, o, "E02", "C/S: expected a signal number");
        if (k < len) {
            if (p[k] != ';')
                return reply_error(g, o, "E02", "C/S: expected SIG;ADDR");
            k++;
            if (k == len)
                return reply_error(g, o, "E02", "C/S: expected an address after ';'");
        }
    }
    if (k < len) {
        if (!parse_hex(p, len, &k, &v) || k != len || v > 0xffffffffu)
            return reply_error(g, o, "E02", "c/s: expected an address");
        hv_guest_goto(g->m, (uint32_t)v);
    }
    return p[0] == 'c' || p[0] == 'C' ? GDB_ACT_CONTINUE : GDB_ACT_STEP;
}

static int handle_memory(gdb_t *g, const char *p, size_t len, out_t *o)
{
    struct cpu *c = &g->m->cpu;
    size_t k = 1;
    uint64_t addr, n;
    if (p[0] == 'm') {
        if (parse_addr_len(p, len, &k, &addr, &n, 0))
            return reply_error(g, o, "E02", "m: expected ADDR,LENGTH");
        uint64_t room = (o->cap - 1) / 2;
        if (n > room)
            n = room;   /* fewer bytes than asked: allowed */
        if (!ram_range(c, addr, n))
            return reply_error(g, o, "E01", "memory outside guest RAM");
        for (uint64_t b = 0; b < n; b++)
            put_byte(o, c->ram[addr + b]);
        return GDB_ACT_REPLY;
    }
    if (parse_addr_len(p, len, &k, &addr, &n, ':'))
        return reply_error(g, o, "E02", p[0] == 'M' ? "M: expected ADDR,LENGTH:HEX" : "X: expected ADDR,LENGTH:DATA");
    if (p[0] == 'M') {
        if (n > (len - k) / 2 || len - k != 2 * n)
            return reply_error(g, o, "E02", "M: the data is not LENGTH bytes of hex");
        for (size_t b = k; b < len; b++)
            if (hexval((unsigned char)p[b]) < 0)
                return reply_error(g, o, "E02", "M: the data is not hex");
        if (!ram_range(c, addr, n))
            return reply_error(g, o, "E01", "memory outside guest RAM");
        for (uint64_t b = 0; b < n; b++) {
            int v = hexval((unsigned char)p[k + 2 * b]) << 4 | hexval((unsigned char)p[k + 2 * b + 1]);
            phys_write(c, (uint32_t)(addr + b), 1, (uint32_t)v);
        }
        put(o, "OK");
        return GDB_ACT_REPLY;
    }
    /* X: binary data, '}' escapes the next byte (xor 0x20) */
    uint64_t count = 0;
    for (size_t b = k; b < len; b++) {
        if (p[b] == '}') {
            if (++b == len)
                return reply_error(g, o, "E02", "X: the data ends inside an escape");
        }
        count++;
    }
    if (count != n)
        return reply_error(g, o, "E02", "X: the data is not LENGTH bytes");
    if (!ram_range(c, addr, n))
        return reply_error(g, o, "E01", "memory outside guest RAM");
    uint32_t a = (uint32_t)addr;
    for (size_t b = k; b < len; b++) {
        uint8_t v = (uint8_t)p[b];
        if (v == '}')
            v = (uint8_t)(p[++b] ^ 0x20);
        phys_write(c, a++, 1, v);
    }
    put(o, "OK");
    return GDB_ACT_REPLY;
}

static int handle_regs(gdb_t *g, const char *p, size_t len, out_t *o)
{
    struct cpu *c = &g->m->cpu;
    hv_guest_regs_t gr;
    hv_guest_regs(g->m, &gr);
    size_t k = 1;
    uint64_t n;
    switch (p[0]) {
    case 'g':
        if (len != 1)
            return reply_error(g, o, "E02", "g takes no arguments");
        for (int r = 0; r < GDB_NREGS; r++)
            put_le32(o, reg_get(c, &gr, r));
        return GDB_ACT_REPLY;
    case 'G': {
        if (len != 1 + 8 * GDB_NREGS)
            return reply_error(g, o, "E02", "G: expected 16 registers of 8 hex digits");
        struct cpu nc = *c;
        uint32_t eip = gr.eip;
        for (int r = 0; r < GDB_NREGS; r++) {
            uint32_t v;
            if (parse_le32(p, len, 1 + 8 * (size_t)r, &v))
                return reply_error(g, o, "E02", "G: the registers are not hex");
            if (reg_set(g, &nc, &gr, r, v, &eip))
                return reply_error(g, o, "E03", g->error);
        }
        *c = nc;
        if (eip != gr.eip)
            hv_guest_goto(g->m, eip);
        put(o, "OK");
        return GDB_ACT_REPLY;
    }
    case 'p':
        if (!parse_hex(p, len, &k, &n) || k != len)
            return reply_error(g, o, "E02", "p: expected a register number");
        if (n < GDB_NREGS)
            put_le32(o, reg_get(c, &gr, (int)n));
        else if (n < 64)
            put(o, "xxxxxxxx");   /* x87, SSE, orig_eax: not modelled, unavailable */
        else
            return reply_error(g, o, "E02", "p: no such register");
        return GDB_ACT_REPLY;
    default: {   /* 'P' */
        uint32_t v;
        if (!parse_hex(p, len, &k, &n) || k >= len || p[k] != '=' ||
            len != k + 9 || parse_le32(p, len, k + 1, &v))
            return reply_error(g, o, "E02", "P: expected N=VALUE (8 hex digits)");
        if (n >= GDB_NREGS)
            return reply_error(g, o, "E03", "only registers 0-15 (eax..gs) can be written");
        uint32_t eip = gr.eip;
        if (reg_set(g, c, &gr, (int)n, v, &eip))
            return reply_error(g, o, "E03", g->error);
        if (eip != gr.eip)
            hv_guest_goto(g->m, eip);
        put(o, "OK");
        return GDB_ACT_REPLY;
    }
    }
}

int gdb_handle_packet(gdb_t *g, const char *pkt, size_t len, char *reply, size_t replysize)
{
    static char spare[4];
    if (!reply || replysize < 4) {   /* nowhere to answer: refuse quietly */
        reply = spare;
        replysize = sizeof spare;
    }
    out_t o = { reply, 0, replysize, 0 };
    reply[0] = 0;
    g->error = NULL;
    if (!pkt)
        len = 0;
    int act = GDB_ACT_REPLY;
    if (len == 0)
        return GDB_ACT_REPLY;
    switch (pkt[0]) {
    case '?':
        gdb_stop_reply(g, reply, replysize);
        return GDB_ACT_REPLY;
    case 'g': case 'G': case 'p': case 'P':
        act = handle_regs(g, pkt, len, &o);
        break;
    case 'm': case 'M': case 'X':
        act = handle_memory(g, pkt, len, &o);
        break;
    case 'c': case 'C': case 's': case 'S':
        act = handle_resume(g, pkt, len, &o);
        break;
    case 'Z': case 'z':
        act = handle_break(g, pkt, len, &o);
        break;
    case 'q': case 'Q':
        act = handle_query(g, pkt, len, &o);
        break;
    case 'H':
        if (len < 3 || (pkt[1] != 'g' && pkt[1] != 'c'))
            return reply_error(g, &o, "E02", "H: expected Hg or Hc and a thread id");
        put(&o, "OK");   /* one thread: every id means it */
        break;
    case 'T':
        put(&o, "OK");
        break;
    case 'D':
        put(&o, "OK");
        return GDB_ACT_DETACH;
    case 'k':
        return GDB_ACT_KILL;
    case 'v':
        if (starts(pkt, len, "vKill")) {
            put(&o, "OK");
            return GDB_ACT_KILL;
        }
        /* vCont? and the rest: not supported, gdb falls back to c and s */
        break;
    default:
        break;   /* unknown: the empty reply says "not supported" */
    }
    if (o.over)
        return reply_error(g, &o, "E02", "the reply does not fit");
    return act;
}

/* ---- the server ---- */

enum { RUN_BREAK, RUN_INTERRUPT, RUN_ENDED, RUN_GONE };

typedef struct server {
    const gdb_opts_t *o;
    gdb_t g;
    int fd;
    gdb_rx_t rx;
    uint8_t in[4096];
    size_t in_pos, in_len;
    char last[2 * GDB_PKT_MAX + 8];   /* the last packet sent, for '-' */
    size_t last_len;
} server_t;

static void vlog(const server_t *s, const char *dir, const char *p, size_t len)
{
    if (!s->o->verbose)
        return;
    fprintf(stderr, "trapsim: gdb: %s ", dir);
    size_t n = len > 200 ? 200 : len;
    for (size_t k = 0; k < n; k++)
        fputc(p[k] >= 0x20 && p[k] < 0x7f ? p[k] : '.', stderr);
    fprintf(stderr, "%s\n", n < len ? "..." : "");
}

static int send_all(server_t *s, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = send(s->fd, buf, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_packet(server_t *s, const char *payload)
{
    size_t n = gdb_frame(payload, strlen(payload), s->last, sizeof s->last);
    if (n == 0)
        n = gdb_frame("E02", 3, s->last, sizeof s->last);
    s->last_len = n;
    vlog(s, "->", payload, strlen(payload));
    return send_all(s, s->last, n);
}

/* Text for the debugger's console: O packets of at most 1024 characters. */
static int send_output(server_t *s, const char *text, size_t len)
{
    static char hex[2 * 1024 + 2];
    for (size_t at = 0; at < len;) {
        size_t n = len - at > 1024 ? 1024 : len - at, k = 0;
        hex[k++] = 'O';
        for (size_t j = 0; j < n; j++) {
            hex[k++] = hexdig[(uint8_t)text[at + j] >> 4];
            hex[k++] = hexdig[(uint8_t)text[at + j] & 15];
        }
        hex[k] = 0;
        if (send_packet(s, hex))
            return -1;
        at += n;
    }
    return 0;
}

/* Reads more bytes: 1, 0 when none are waiting (nonblocking), -1 when the
 * connection is gone. */
static int fill(server_t *s, int block)
{
    if (s->in_pos < s->in_len)
        return 1;
    for (;;) {
        ssize_t r = recv(s->fd, s->in, sizeof s->in, block ? 0 : MSG_DONTWAIT);
        if (r > 0) {
            s->in_pos = 0;
            s->in_len = (size_t)r;
            return 1;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && !block && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
}

/* Handles what the debugger sends while the machine is stopped, until a
 * packet resumes or ends the session; returns that action, or -1 when the
 * connection is gone. */
static int serve_stopped(server_t *s)
{
    static char reply[GDB_PKT_MAX + 1];
    for (;;) {
        if (fill(s, 1) < 0)
            return -1;
        while (s->in_pos < s->in_len) {
            int ev = gdb_rx_byte(&s->rx, s->in[s->in_pos++]);
            if (ev == GDB_RX_NACK && s->last_len) {
                if (send_all(s, s->last, s->last_len))
                    return -1;
            } else if (ev == GDB_RX_BADSUM) {
                if (s->o->verbose)
                    fprintf(stderr, "trapsim: gdb: bad checksum on a packet: asked again\n");
                if (!s->g.no_ack && send_all(s, "-", 1))
                    return -1;
            } else if (ev == GDB_RX_TOOLONG) {
                if (s->o->verbose)
                    fprintf(stderr, "trapsim: gdb: bad packet: longer than %d bytes\n", GDB_PKT_MAX);
                if ((!s->g.no_ack && send_all(s, "+", 1)) || send_packet(s, "E02"))
                    return -1;
            } else if (ev == GDB_RX_PACKET) {
                vlog(s, "<-", s->rx.buf, s->rx.len);
                if (!s->g.no_ack && send_all(s, "+", 1))
                    return -1;
                int act = gdb_handle_packet(&s->g, s->rx.buf, s->rx.len, reply, sizeof reply);
                if (s->g.error && s->o->verbose) {
                    fprintf(stderr, "trapsim: gdb: bad packet '%.*s': %s\n",
                            (int)(s->rx.len > 60 ? 60 : s->rx.len), s->rx.buf, s->g.error);
                }
                if (act == GDB_ACT_OUTPUT) {
                    if (send_output(s, s->g.out, s->g.out_len) || send_packet(s, reply))
                        return -1;
                    continue;
                }
                if (act == GDB_ACT_REPLY || act == GDB_ACT_DETACH || (act == GDB_ACT_KILL && reply[0])) {
                    if (send_packet(s, reply) && act == GDB_ACT_REPLY)
                        return -1;
                }
                if (act != GDB_ACT_REPLY)
                    return act;
            }
            /* ACK, INTERRUPT while stopped, bytes outside packets: nothing to do */
        }
    }
}

/* Runs until a breakpoint, Ctrl-C, the end of the run or the end of the
 * connection. */
static int run_until_stop(server_t *s)
{
    machine_t *m = s->g.m;
    const struct cpu *c = &m->cpu;
    uint64_t icount0 = c->icount;
    hv_guest_regs_t at0, at;   /* breakpoints are the guest's addresses */
    hv_guest_regs(m, &at0);
    unsigned n = 0;
    while (m->stop == STOP_NONE) {
        /* a breakpoint where the run resumed does not count again */
        if (s->g.nbreaks && (hv_guest_regs(m, &at), gdb_break_at(&s->g, at.eip)) &&
            !(c->icount == icount0 && at.eip == at0.eip && at.cs.sel == at0.cs.sel))
            return RUN_BREAK;
        machine_step(m);
        if (++n % GDB_POLL_STEPS == 0) {
            int r;
            while ((r = fill(s, 0)) > 0) {
                while (s->in_pos < s->in_len) {
                    int ev = gdb_rx_byte(&s->rx, s->in[s->in_pos++]);
                    if (ev == GDB_RX_INTERRUPT)
                        return RUN_INTERRUPT;
                    if (ev == GDB_RX_PACKET && s->o->verbose)
                        fprintf(stderr, "trapsim: gdb: packet while running ignored: %.60s\n", s->rx.buf);
                }
            }
            if (r < 0)
                return RUN_GONE;
        }
    }
    return RUN_ENDED;
}

/* The end of the run, told to the debugger: an O line, then W or X. */
static void report_end(server_t *s)
{
    char msg[400], hex[2 * sizeof msg + 2], reply[32];
    snprintf(msg, sizeof msg, "trapsim: %s\n", s->g.m->stop_msg);
    hex[0] = 'O';
    size_t n = 1;
    for (const char *p = msg; *p; p++) {
        hex[n++] = hexdig[(uint8_t)*p >> 4];
        hex[n++] = hexdig[(uint8_t)*p & 15];
    }
    hex[n] = 0;
    send_packet(s, hex);
    gdb_stop_reply(&s->g, reply, sizeof reply);
    send_packet(s, reply);
}

static int listen_local(uint16_t port, uint16_t *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        errorf("--gdb: cannot create a socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);   /* 127.0.0.1 only, never 0.0.0.0 */
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1) ||
        getsockname(fd, (struct sockaddr *)&sa, &len)) {
        errorf("--gdb: cannot listen on 127.0.0.1:%u: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

int gdb_serve(const gdb_opts_t *o, machine_t *m, monitor_view_t view)
{
    uint16_t port;
    int lfd = listen_local(o->port, &port);
    if (lfd < 0)
        return -1;
    fprintf(stderr, "trapsim: gdb: listening on 127.0.0.1:%u (in gdb: target remote :%u)\n", port, port);
    fflush(stderr);
    int fd;
    do
        fd = accept(lfd, NULL, NULL);
    while (fd < 0 && errno == EINTR);
    close(lfd);
    if (fd < 0) {
        errorf("--gdb: accept: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o->verbose)
        fprintf(stderr, "trapsim: gdb: debugger connected\n");

    static server_t s;   /* big buffers: not on the stack */
    memset(&s, 0, sizeof s);
    s.o = o;
    s.fd = fd;
    gdb_init(&s.g, m);
    s.g.view = view;
    gdb_rx_init(&s.rx);
    int detach = 0;
    for (;;) {
        fflush(m->console);
        int act = serve_stopped(&s);
        if (act < 0) {
            fprintf(stderr, "trapsim: gdb: the debugger went away; the run goes on without it\n");
            detach = 1;
            break;
        }
        if (act == GDB_ACT_KILL) {
            hv_guest_regs_t at;
            hv_guest_regs(m, &at);
            machine_stop(m, STOP_QUIT, "killed from the debugger at %04x:%08x", at.cs.sel, at.eip);
            break;
        }
        if (act == GDB_ACT_DETACH) {
            detach = 1;
            break;
        }
        int why;
        if (act == GDB_ACT_STEP) {
            gdb_step(m);
            why = m->stop == STOP_NONE ? RUN_BREAK : RUN_ENDED;
        } else {
            why = run_until_stop(&s);
        }
        fflush(m->console);
        if (why == RUN_GONE) {
            fprintf(stderr, "trapsim: gdb: the debugger went away; the run goes on without it\n");
            detach = 1;
            break;
        }
        if (why == RUN_ENDED) {
            report_end(&s);
            break;
        }
        s.g.signal = why == RUN_INTERRUPT ? 2 : 5;
        char reply[128];
        gdb_stop_reply(&s.g, reply, sizeof reply);
        if (send_packet(&s, reply)) {
            fprintf(stderr, "trapsim: gdb: the debugger went away; the run goes on without it\n");
            detach = 1;
            break;
        }
    }
    close(fd);
    if (detach && m->stop == STOP_NONE)
        machine_run(m);
    return 0;
}
