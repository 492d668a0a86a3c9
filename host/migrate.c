/* Live migration: pre-copy over a link (host/migrate.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "host/migrate.h"

#define MIG_MAGIC "TRAPMIG1"
enum { MSG_LAYOUT = 1, MSG_PAGES = 2, MSG_FINAL = 3, MSG_ABORT = 4 };
#define MSG_HEAD 12u               /* type, payload length */
#define MSG_MAX (4ull << 30)       /* no message is longer: more is a malformed stream */

void migrate_defaults(migrate_opts_t *o)
{
    *o = (migrate_opts_t){ .max_rounds = MIGRATE_MAX_ROUNDS, .max_dirty = MIGRATE_MAX_DIRTY,
                           .page_steps = MIGRATE_PAGE_STEPS, .timeout = MIGRATE_TIMEOUT };
}

/* ---- dirty pages: the machine's tracked writes, beside its monitor ----
 * The machine has one monitor (cpu/hv.h); while the log runs it stands in
 * front of it: every hook the monitor has is passed on, tracked_write is
 * the log's. */
typedef struct dirty_log {
    hv_ops_t ops;
    const hv_ops_t *inner;
    void *inner_ctx;
    machine_t *m;
    uint8_t *page;           /* a byte per 4 KiB page of RAM: written since the last round */
    uint32_t npages;
} dirty_log_t;

#define INNER(ctx) ((dirty_log_t *)(ctx))
static int fw_deliver(void *c, machine_t *m, const hv_event_t *e) { return INNER(c)->inner->deliver(INNER(c)->inner_ctx, m, e); }
static void fw_ring0(void *c, machine_t *m, const hv_event_t *e) { INNER(c)->inner->ring0_entry(INNER(c)->inner_ctx, m, e); }
static int fw_before(void *c, machine_t *m, const isa_insn_t *i, uint32_t eip) { return INNER(c)->inner->before_insn(INNER(c)->inner_ctx, m, i, eip); }
static void fw_after(void *c, machine_t *m, const isa_insn_t *i, uint32_t eip) { INNER(c)->inner->after_insn(INNER(c)->inner_ctx, m, i, eip); }
static int fw_halt(void *c, machine_t *m) { return INNER(c)->inner->halt(INNER(c)->inner_ctx, m); }
static int fw_in(void *c, machine_t *m, uint16_t p, int s, uint32_t *v) { return INNER(c)->inner->port_in(INNER(c)->inner_ctx, m, p, s, v); }
static int fw_out(void *c, machine_t *m, uint16_t p, int s, uint32_t v) { return INNER(c)->inner->port_out(INNER(c)->inner_ctx, m, p, s, v); }
static void fw_code(void *c, machine_t *m, uint32_t phys) { INNER(c)->inner->code_write(INNER(c)->inner_ctx, m, phys); }
static void fw_step_end(void *c, machine_t *m) { INNER(c)->inner->step_end(INNER(c)->inner_ctx, m); }
static int fw_regs(void *c, const machine_t *m, hv_guest_regs_t *r) { return INNER(c)->inner->guest_regs(INNER(c)->inner_ctx, m, r); }
static int fw_goto(void *c, machine_t *m, uint32_t eip) { return INNER(c)->inner->guest_goto(INNER(c)->inner_ctx, m, eip); }

static void log_write(void *ctx, machine_t *m, uint32_t phys, int size)
{
    dirty_log_t *d = ctx;
    for (uint32_t p = phys >> 12; p <= (phys + (uint32_t)size - 1) >> 12 && p < d->npages; p++)
        d->page[p] = 1;
    if (d->inner && d->inner->tracked_write)
        d->inner->tracked_write(d->inner_ctx, m, phys, size);
}

static int log_start(dirty_log_t *d, machine_t *m)
{
    const hv_ops_t *in = m->hv.ops;
    *d = (dirty_log_t){ .inner = in, .inner_ctx = m->hv.ctx, .m = m, .npages = (m->cpu.ram_size + 4095) >> 12 };
    if (!(d->page = calloc(d->npages, 1)))
        return -1;
    d->ops = (hv_ops_t){
        .deliver = in && in->deliver ? fw_deliver : NULL, .ring0_entry = in && in->ring0_entry ? fw_ring0 : NULL,
        .before_insn = in && in->before_insn ? fw_before : NULL, .after_insn = in && in->after_insn ? fw_after : NULL,
        .halt = in && in->halt ? fw_halt : NULL, .port_in = in && in->port_in ? fw_in : NULL,
        .port_out = in && in->port_out ? fw_out : NULL, .code_write = in && in->code_write ? fw_code : NULL,
        .step_end = in && in->step_end ? fw_step_end : NULL, .tracked_write = log_write,
        .guest_regs = in && in->guest_regs ? fw_regs : NULL, .guest_goto = in && in->guest_goto ? fw_goto : NULL,
    };
    for (uint32_t p = 0; p < d->npages; p++)
        if (hv_track_page(m, p, 1)) {
            free(d->page);
            return -1;
        }
    m->hv.ops = &d->ops;
    m->hv.ctx = d;
    return 0;
}

static void log_stop(dirty_log_t *d)
{
    if (!d->page)
        return;
    d->m->hv.ops = d->inner;
    d->m->hv.ctx = d->inner_ctx;
    for (uint32_t p = 0; p < d->npages; p++)
        hv_track_page(d->m, p, 0);
    free(d->page);
    d->page = NULL;
}

static uint32_t log_count(const dirty_log_t *d)
{
    uint32_t n = 0;
    for (uint32_t p = 0; p < d->npages; p++)
        n += d->page[p];
    return n;
}

/* ---- the source ---- */

/* One message: its type and a snapshot image of `parts`. */
static int send_image(host_t *h, const migrate_link_t *l, uint32_t type, unsigned parts, uint8_t *const *dirty,
                      const snap_extra_t *extra, uint64_t *bytes, char *err, size_t errlen)
{
    uint8_t *img;
    size_t len;
    if (snapshot_encode(h, parts, dirty, extra, &img, &len, err, errlen))
        return -1;
    uint8_t *msg = malloc(MSG_HEAD + len);
    if (!msg) {
        free(img);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    put_le(msg, type, 4);
    put_le(msg + 4, len, 8);
    memcpy(msg + MSG_HEAD, img, len);
    free(img);
    int rc = l->send(l->ctx, msg, MSG_HEAD + len, err, errlen);
    free(msg);
    *bytes += MSG_HEAD + len;
    return rc;
}

static double host_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int migrate_send(host_t *h, const snap_extra_t *extra, const migrate_opts_t *o, const migrate_link_t *l)
{
    FILE *rep = o->report ? o->report : stderr;
    vm_t *vm = host_vm(h, 0);
    machine_t *m = vm_machine(vm);
    char err[256] = "";
    uint64_t bytes = 0;
    dirty_log_t log = { 0 };
    uint32_t npages = (m->cpu.ram_size + 4095) >> 12;
    fprintf(rep, "trapsim: migrate: to %s at step %llu: %u pages of RAM\n", o->addr,
            (unsigned long long)vm_steps(vm), npages);
    int rc = l->send(l->ctx, (const uint8_t *)MIG_MAGIC, 8, err, sizeof err);
    bytes += 8;
    if (!rc)
        rc = send_image(h, l, MSG_LAYOUT, SNAP_LAYOUT, NULL, NULL, &bytes, err, sizeof err);
    if (!rc)
        rc = l->reply(l->ctx, err, sizeof err);
    if (!rc && log_start(&log, m))
        rc = -1, snprintf(err, sizeof err, "out of memory for the dirty page log");
    /* round 1: every page that is not zero; then what the last round dirtied */
    uint8_t *const *dirty = NULL;
    uint8_t *pages[1] = { log.page };
    unsigned round = 0;
    while (!rc) {
        round++;
        uint32_t sent = snap_ram_pages(m, dirty ? dirty[0] : NULL);
        rc = send_image(h, l, MSG_PAGES, SNAP_RAM, dirty, NULL, &bytes, err, sizeof err);
        if (rc)
            break;
        memset(log.page, 0, npages);
        uint64_t before = vm_instructions(vm);
        vm_run_for(vm, (sent ? sent : 1) * o->page_steps);
        uint32_t dirtied = log_count(&log);
        fprintf(rep, "trapsim: migrate: round %u: %u pages sent, %u dirtied, %llu guest instructions\n", round,
                sent, dirtied, (unsigned long long)(vm_instructions(vm) - before));
        if (vm_stopped(vm)) {
            rc = -1;
            snprintf(err, sizeof err, "the guest stopped during round %u", round);
            break;
        }
        dirty = pages;
        if (dirtied <= o->max_dirty || round >= o->max_rounds)
            break;
    }
    double t0 = host_ms();
    uint32_t last = rc ? 0 : log_count(&log);
    if (!rc)
        rc = send_image(h, l, MSG_FINAL, SNAP_STATE | SNAP_RAM, pages, extra, &bytes, err, sizeof err);
    if (!rc)
        rc = l->reply(l->ctx, err, sizeof err);
    double t1 = host_ms();
    log_stop(&log);
    if (rc) {
        uint8_t abort_msg[MSG_HEAD] = { MSG_ABORT };
        char ignored[64];
        l->send(l->ctx, abort_msg, sizeof abort_msg, ignored, sizeof ignored);
        fprintf(rep, "trapsim: migrate: to %s failed: %s; the VM runs on here\n", o->addr, err);
        return -1;
    }
    fprintf(rep, "trapsim: migrate: stop-and-copy after %u rounds: %u pages and the VM's state; "
            "downtime %llu guest instructions\n", round, last, (unsigned long long)(last * o->page_steps));
    if (o->host_ms)
        fprintf(rep, "trapsim: migrate: downtime %.3f ms on this host, %llu bytes sent\n", t1 - t0,
                (unsigned long long)bytes);
    fprintf(rep, "trapsim: migrate: the VM continues at %s\n", o->addr);
    return 0;
}

/* ---- the destination ---- */

int migrate_dest_take(migrate_dest_t *d, uint32_t type, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    d->bytes += MSG_HEAD + len;
    if (d->state == 0 && type != MSG_LAYOUT) {
        snprintf(err, errlen, "malformed stream: message type %u before the VM's layout", type);
        return -1;
    }
    if (d->state != 1 && (type == MSG_PAGES || type == MSG_FINAL)) {
        snprintf(err, errlen, "malformed stream: message type %u out of order", type);
        return -1;
    }
    if (type == MSG_ABORT) {
        snprintf(err, errlen, "the source gave the migration up");
        return -1;
    }
    if (type < MSG_LAYOUT || type > MSG_FINAL) {
        snprintf(err, errlen, "malformed stream: unknown message type %u", type);
        return -1;
    }
    char why[200];
    if (snapshot_decode(buf, len, d->t, why, sizeof why)) {
        snprintf(err, errlen, "malformed stream: %s", why);
        return -1;
    }
    if (type == MSG_LAYOUT && host_count(d->t->host) != 1) {
        snprintf(err, errlen, "refused: a run of %d VMs (one VM migrates)", host_count(d->t->host));
        return -1;
    }
    d->state = type == MSG_FINAL ? 2 : 1;
    return 0;
}

/* ---- in this process ---- */

static int local_send(void *ctx, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    migrate_local_t *l = ctx;
    if (!l->magic_seen) {
        l->magic_seen = len == 8 && memcmp(buf, MIG_MAGIC, 8) == 0;
        l->refused = !l->magic_seen;
        snprintf(l->why, sizeof l->why, "malformed stream: no '%s' at the start", MIG_MAGIC);
        return 0;
    }
    if (!l->refused && len >= MSG_HEAD && get_le(buf + 4, 8) == len - MSG_HEAD)
        l->refused = migrate_dest_take(&l->dest, (uint32_t)get_le(buf, 4), buf + MSG_HEAD, len - MSG_HEAD, l->why,
                                       sizeof l->why) != 0;
    return 0;
}

static int local_reply(void *ctx, char *err, size_t errlen)
{
    migrate_local_t *l = ctx;
    if (l->refused)
        snprintf(err, errlen, "the destination refused: %s", l->why);
    return l->refused ? -1 : 0;
}

void migrate_link_local(migrate_link_t *l, migrate_local_t *state, snap_target_t *t)
{
    *state = (migrate_local_t){ .dest = { .t = t } };
    *l = (migrate_link_t){ local_send, local_reply, state };
}

/* ---- TCP ---- */

typedef struct tcp_link {
    int fd;
    unsigned timeout;
} tcp_link_t;

static int parse_addr(const char *addr, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    char *end;
    if (!colon || (size_t)(colon - addr) >= sizeof host)
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Bounded waits, and no Nagle delay: the last message and its answer are
 * the downtime. */
static void set_timeouts(int fd, unsigned seconds)
{
    struct timeval tv = { .tv_sec = seconds };
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int io_error(char *err, size_t errlen, const char *what, ssize_t n)
{
    if (n == 0)
        snprintf(err, errlen, "the other end closed the connection (%s)", what);
    else if (errno == EAGAIN || errno == EWOULDBLOCK)
        snprintf(err, errlen, "timed out (%s)", what);
    else
        snprintf(err, errlen, "%s: %s", what, strerror(errno));
    return -1;
}

static int tcp_send(void *ctx, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    tcp_link_t *t = ctx;
    while (len) {
        ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0)
            return io_error(err, errlen, "send", n < 0 ? n : -1);
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_full(int fd, void *p, size_t len, char *err, size_t errlen, const char *what)
{
    uint8_t *b = p;
    while (len) {
        ssize_t n = recv(fd, b, len, 0);
        if (n <= 0)
            return io_error(err, errlen, what, n);
        b += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A reply: u32 status (0 taken, 1 refused), u32 length, the reason. */
static int tcp_reply(void *ctx, char *err, size_t errlen)
{
    tcp_link_t *t = ctx;
    uint8_t head[8];
    if (read_full(t->fd, head, 8, err, errlen, "waiting for the destination"))
        return -1;
    uint32_t status = (uint32_t)get_le(head, 4), n = (uint32_t)get_le(head + 4, 4);
    char why[200] = "";
    if (n >= sizeof why || read_full(t->fd, why, n, err, errlen, "reading the destination's answer"))
        return n >= sizeof why ? (snprintf(err, errlen, "a malformed answer from the destination"), -1) : -1;
    why[n] = 0;
    if (status != 0) {
        snprintf(err, errlen, "the destination refused: %s", why);
        return -1;
    }
    return 0;
}

static void send_reply(int fd, int status, const char *why)
{
    uint8_t head[8];
    size_t n = strlen(why);
    put_le(head, (uint64_t)status, 4);
    put_le(head + 4, n, 4);
    char ignored[64];
    tcp_link_t t = { fd, 0 };
    if (tcp_send(&t, head, 8, ignored, sizeof ignored) == 0)
        tcp_send(&t, (const uint8_t *)why, n, ignored, sizeof ignored);
}

int migrate_send_tcp(host_t *h, const snap_extra_t *extra, const migrate_opts_t *o)
{
    FILE *rep = o->report ? o->report : stderr;
    struct sockaddr_in sa;
    if (parse_addr(o->addr, &sa)) {
        fprintf(rep, "trapsim: migrate: '%s' is not an address (HOST:PORT, e.g. 127.0.0.1:7000); the VM runs on here\n",
                o->addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || (set_timeouts(fd, o->timeout), connect(fd, (struct sockaddr *)&sa, sizeof sa)) != 0) {
        fprintf(rep, "trapsim: migrate: cannot connect to %s: %s; the VM runs on here\n", o->addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    tcp_link_t t = { fd, o->timeout };
    migrate_link_t l = { tcp_send, tcp_reply, &t };
    int rc = migrate_send(h, extra, o, &l);
    close(fd);
    return rc;
}

/* Reads messages until the final state, answering the layout and the end. */
static int serve(int fd, snap_target_t *t, char *err, size_t errlen)
{
    migrate_dest_t d = { .t = t };
    char magic[8];
    if (read_full(fd, magic, 8, err, errlen, "reading the stream"))
        return -1;
    if (memcmp(magic, MIG_MAGIC, 8) != 0) {
        snprintf(err, errlen, "malformed stream: not a trapsim migration (no '%s' at the start)", MIG_MAGIC);
        send_reply(fd, 1, err);
        return -1;
    }
    while (d.state != 2) {
        uint8_t head[MSG_HEAD];
        if (read_full(fd, head, MSG_HEAD, err, errlen, "reading the stream"))
            return -1;
        uint32_t type = (uint32_t)get_le(head, 4);
        uint64_t len = get_le(head + 4, 8);
        uint8_t *buf = len <= MSG_MAX ? malloc(len ? len : 1) : NULL;
        if (!buf) {
            snprintf(err, errlen, "malformed stream: a message of %llu bytes", (unsigned long long)len);
            send_reply(fd, 1, err);
            return -1;
        }
        int rc = read_full(fd, buf, len, err, errlen, "reading the stream");
        if (!rc && (rc = migrate_dest_take(&d, type, buf, len, err, errlen)))
            send_reply(fd, 1, err);
        else if (!rc && type != MSG_PAGES)
            send_reply(fd, 0, "");
        free(buf);
        if (rc)
            return -1;
    }
    return 0;
}

int migrate_listen(const char *addr, unsigned timeout, snap_target_t *t, char *err, size_t errlen)
{
    struct sockaddr_in sa;
    if (parse_addr(addr, &sa)) {
        snprintf(err, errlen, "'%s' is not an address (HOST:PORT, e.g. 127.0.0.1:7000)", addr);
        return -1;
    }
    int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 1)) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        if (ls >= 0)
            close(ls);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    char ip[32];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    fprintf(stderr, "trapsim: migrate-listen: waiting on %s:%u\n", ip, (unsigned)ntohs(sa.sin_port));
    fflush(stderr);
    struct pollfd p = { ls, POLLIN, 0 };
    int ready = poll(&p, 1, (int)(timeout * 1000u));
    int fd = ready == 1 ? accept(ls, NULL, NULL) : -1;
    close(ls);
    if (fd < 0) {
        if (ready == 0)
            snprintf(err, errlen, "no VM came within %u s", timeout);
        else
            snprintf(err, errlen, "accept: %s", strerror(errno));
        return -1;
    }
    set_timeouts(fd, timeout);
    int rc = serve(fd, t, err, errlen);
    close(fd);
    return rc;
}
