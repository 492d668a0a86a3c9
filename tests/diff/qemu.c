/* The QEMU reference: cases run in the reference kernel (refkernel/) on
 * qemu-system-i386, a batch per boot.
 *
 *   qemu_begin(q); qemu_add(q, &case) ...; qemu_run(q);
 *   qemu_result(q, 0, &case0, &r) ...     (the same cases, in the same order)
 *
 * qemu_run writes the batch (refkernel/batch.h) and runs
 *   qemu-system-i386 -m 64 -kernel REFKERNEL -initrd BATCH -append first=N
 *     -display none -serial file:OUT -no-reboot
 *     -device isa-debug-exit,iobase=0xf4,iosize=0x04 -nodefaults
 * and parses OUT strictly.  A boot that stops making progress (no new
 * output for QEMU_STALL_MS, QEMU_START_MS at first) is killed; a boot that
 * ends early (killed, a triple fault) leaves the case it was on without a
 * result, reported as a harness failure, and the next boot resumes after
 * it. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/diff/diff.h"

extern char **environ;

#define QEMU_STALL_MS 5000          /* no new output for this long: killed */
#define QEMU_START_MS 20000         /* the same before the first output (a busy host) */

typedef struct qres {
    int state;                      /* 0: no result, 1: result, 2: kernel fault */
    uint32_t regs[NREGS], eip, eflags;
    uint32_t vector, has_error, error, dr6;
    uint32_t first_m, nm;           /* its M lines in q->m[] */
    char note[256];                 /* why there is no result */
} qres_t;

struct qemu {
    char qemu[1024], kernel[1024], dir[1100];
    FILE *batch;
    uint32_t count, size;
    uint64_t *index;
    qres_t *res;
    uint32_t cap;
    uint32_t (*m)[2];               /* address, bytes in memory order (big-endian hex value) */
    uint32_t nm, capm;
    int boots;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "difftest: out of memory\n");
        exit(2);
    }
    return p;
}

/* a program on PATH (or a path): 1 when it is executable */
static int have_program(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    char buf[4200];
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, prog);
        if (access(buf, X_OK) == 0)
            return 1;
        p += n + (e ? 1 : 0);
    }
    return 0;
}

qemu_t *qemu_open(const char *qemu, const char *kernel, const char *dir, char *err, size_t errlen)
{
    if (!have_program(qemu)) {
        snprintf(err, errlen, "%s: not found (apt-get install qemu-system-x86)", qemu);
        return 0;
    }
    if (access(kernel, R_OK) != 0) {
        snprintf(err, errlen, "%s: not found (make %s)", kernel, kernel);
        return 0;
    }
    qemu_t *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return 0;
    }
    snprintf(q->qemu, sizeof q->qemu, "%s", qemu);
    snprintf(q->kernel, sizeof q->kernel, "%s", kernel);
    snprintf(q->dir, sizeof q->dir, "%s", dir);
    return q;
}

void qemu_close(qemu_t *q)
{
    if (!q)
        return;
    if (q->batch)
        fclose(q->batch);
    char path[1200];
    snprintf(path, sizeof path, "%s/batch.bin", q->dir); unlink(path);
    snprintf(path, sizeof path, "%s/qemu.out", q->dir); unlink(path);
    free(q->index);
    free(q->res);
    free(q->m);
    free(q);
}

int qemu_boots(const qemu_t *q) { return q->boots; }

static void put(qemu_t *q, const void *p, uint32_t n)
{
    static const uint8_t zero[4];
    if (fwrite(p, 1, n, q->batch) != n || fwrite(zero, 1, REF_PAD4(n) - n, q->batch) != REF_PAD4(n) - n) {
        fprintf(stderr, "difftest: writing the QEMU batch: %s\n", strerror(errno));
        exit(2);
    }
    q->size += REF_PAD4(n);
}

void qemu_begin(qemu_t *q)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/batch.bin", q->dir);
    if (q->batch)
        fclose(q->batch);
    q->batch = fopen(path, "wb");
    if (!q->batch) {
        fprintf(stderr, "difftest: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    q->count = 0;
    q->size = 0;
    q->nm = 0;
    ref_batch_t h = { 0, 0, 0, 0 };
    put(q, &h, sizeof h);
}

/* The HLTs of a CPL-0 case: instruction breakpoints on them (the kernel
 * must stop there as trapsim's stop=hlt does; a HLT with IF=0 would never
 * end).  Prefixes are skipped to find the opcode. */
int x86_is_prefix(uint8_t b)
{
    return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x26 ||
           b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65;
}

static int hlt_breakpoints(const dcase_t *c, uint32_t bp[4])
{
    int n = 0;
    if (c->cpl != 0)
        return 0;
    if (c->ninsns) {
        for (int i = 0; i < c->ninsns && n < 4; i++) {
            uint32_t o = c->insns[i].off, e = o + c->insns[i].len;
            while (o < e && x86_is_prefix(c->code[o]))
                o++;
            if (o < e && c->code[o] == 0xf4)
                bp[n++] = CODE_BASE + c->insns[i].off;
        }
        return n;
    }
    /* a hand-written case: every F4 byte with the prefixes before it (a
     * breakpoint inside another instruction never fires) */
    for (uint32_t o = 0; o < c->code_len && n < 4; o++) {
        if (c->code[o] != 0xf4)
            continue;
        uint32_t s = o;
        while (s > 0 && x86_is_prefix(c->code[s - 1]))
            s--;
        bp[n++] = CODE_BASE + s;
    }
    return n;
}

/* The stop, as trapsim raw reports it, from the event the kernel saw:
 * `int N` and int3 are told from an exception with the same vector by the
 * instruction that ends at EIP (as native.c does); the breakpoint on a HLT
 * is stop=hlt with EIP after the HLT. */
static void map_stop(const dcase_t *c, const qres_t *x, dresult_t *r)
{
    uint32_t off = r->eip - CODE_BASE;
    dinsn_t tmp[2];
    const dinsn_t *before, *at;
    case_insns_around(c, off, tmp, &before, &at);
    (void)at;
    if (x->vector == 1 && (x->dr6 & 0xf)) {
        while (off < c->code_len && x86_is_prefix(c->code[off]))
            off++;
        r->stop = STOP_HLT;
        r->eip = CODE_BASE + off + 1;
    } else if (!x->has_error && case_int_n(c, before) == (int)x->vector) {
        r->stop = STOP_INT;
        r->vector = (int)x->vector;
    } else if (x->vector == 3 && !x->has_error && before &&
               c->code[before->off + before->len - 1] == 0xcc) {
        r->stop = STOP_INT3;
    } else {
        r->stop = STOP_EXC;
        r->vector = (int)x->vector;
        r->has_error = (int)x->has_error;
        r->error = x->error;
    }
}

void qemu_add(qemu_t *q, const dcase_t *c)
{
    ref_case_t r;
    memset(&r, 0, sizeof r);
    uint32_t slen = c->stack_init_hi - c->stack_init_lo;
    uint32_t llen = c->uses_low ? LOW_SIZE : 0;
    r.size = (uint32_t)sizeof r + REF_PAD4(c->code_len) + DATA_SIZE + REF_PAD4(slen) + llen;
    r.index_lo = (uint32_t)c->index;
    r.index_hi = (uint32_t)(c->index >> 32);
    r.cpl = c->cpl;
    r.std_tables = c->std_tables;
    r.nbp = (uint8_t)hlt_breakpoints(c, r.bp);
    r.eflags = c->eflags;
    r.cr0 = c->cr0;
    r.cr4 = c->cr4;
    memcpy(r.regs, c->regs, sizeof r.regs);
    r.code_len = c->code_len;
    r.stack_lo = c->stack_init_lo;
    r.stack_len = slen;
    r.low_len = llen;
    put(q, &r, sizeof r);
    put(q, c->code, c->code_len);
    put(q, c->data, DATA_SIZE);
    put(q, c->stack + (c->stack_init_lo - STACK_LO), slen);
    put(q, c->low, llen);
    if (q->count == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 256;
        q->index = xrealloc(q->index, q->cap * sizeof *q->index);
        q->res = xrealloc(q->res, q->cap * sizeof *q->res);
    }
    q->index[q->count++] = c->index;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* One boot from position `first`; returns a description of how it ended
 * (empty when it reached the end). */
static void boot(qemu_t *q, uint32_t first, char *how, size_t howlen)
{
    char batch[1200], out[1200], serial[1300], append[64];
    snprintf(batch, sizeof batch, "%s/batch.bin", q->dir);
    snprintf(out, sizeof out, "%s/qemu.out", q->dir);
    snprintf(serial, sizeof serial, "file:%s", out);
    snprintf(append, sizeof append, "first=%u", first);
    unlink(out);
    char *argv[] = { q->qemu, "-m", "64", "-kernel", q->kernel, "-initrd", batch,
                     "-append", append, "-display", "none", "-serial", serial, "-no-reboot",
                     "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-nodefaults", 0 };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, q->qemu, &fa, 0, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    q->boots++;
    if (rc != 0) {
        snprintf(how, howlen, "cannot start %.100s: %s", q->qemu, strerror(rc));
        return;
    }
    int64_t last = now_ms();
    off_t size = 0;
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        off_t s = file_size(out);
        if (s != size) {
            size = s;
            last = now_ms();
        } else if (now_ms() - last > (size ? QEMU_STALL_MS : QEMU_START_MS)) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            snprintf(how, howlen, "QEMU made no progress for %d s (killed)",
                     (size ? QEMU_STALL_MS : QEMU_START_MS) / 1000);
            return;
        }
        usleep(2000);
    }
    /* isa-debug-exit with 0: status 1 */
    if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
        how[0] = 0;
    else if (WIFEXITED(st))
        snprintf(how, howlen, "QEMU exited with status %d (a triple fault? -no-reboot)",
                 WEXITSTATUS(st));
    else
        snprintf(how, howlen, "QEMU died of signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int hexn(const char *s, int n, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < n; i++) {
        char ch = s[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        x = x << 4 | (uint32_t)d;
    }
    *v = x;
    return 0;
}

/* "T f1 f2 ..." with the given field widths, exactly; returns 0 if it matches. */
static int fields(const char *line, char tag, const int *w, int n, uint32_t *v)
{
    if (line[0] != tag)
        return -1;
    const char *p = line + 1;
    for (int i = 0; i < n; i++) {
        if (*p != ' ' || hexn(p + 1, w[i], &v[i]))
            return -1;
        p += 1 + w[i];
    }
    return *p == '\n' && p[1] == 0 ? 0 : -1;
}

/* Parses one boot's output into q->res; returns the position after the
 * last complete case, or `first` if none; *end = 1 if the E line came,
 * *again = 1 if the kernel asked for a new boot from there (P). */
static uint32_t parse(qemu_t *q, uint32_t first, int *end, int *again, char *bad, size_t badlen)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/qemu.out", q->dir);
    FILE *f = fopen(path, "r");
    *end = *again = 0;
    bad[0] = 0;
    if (!f) {
        snprintf(bad, badlen, "no output from QEMU");
        return first;
    }
    static const int wB[2] = { 8, 8 }, wP[1] = { 8 }, wR[10] = { 8, 8, 8, 8, 8, 8, 8, 8, 8, 8 },
        wV[4] = { 2, 1, 8, 8 }, wM[2] = { 8, 8 }, wK[1] = { 8 }, wX[2] = { 2, 8 }, wE[1] = { 8 };
    char line[512];
    uint32_t v[10], next = first, sum = 0, pending_m = 0;
    int in_case = 0, started = 0, got_r = 0;
    qres_t *r = 0;
    while (fgets(line, sizeof line, f)) {
        uint32_t n = (uint32_t)strlen(line);
        if (!started) {
            if (fields(line, 'B', wB, 2, v) || v[0] != q->count || v[1] != first) {
                snprintf(bad, badlen, "kernel: %.100s", line);
                break;
            }
            started = 1;
            continue;
        }
        if (!in_case) {
            if (!fields(line, 'E', wE, 1, v) && v[0] == q->count) {
                *end = 1;
                break;
            }
            if (!fields(line, 'P', wP, 1, v) && v[0] == next) {
                *again = 1;
                break;
            }
            uint32_t c[3];
            if (line[0] != 'C' || n != 28 || hexn(line + 2, 8, &c[0]) || hexn(line + 11, 8, &c[1]) ||
                hexn(line + 19, 8, &c[2]) || line[1] != ' ' || line[10] != ' ' || c[0] != next ||
                next >= q->count || (((uint64_t)c[1] << 32) | c[2]) != q->index[next]) {
                snprintf(bad, badlen, "unexpected line from the kernel: %.100s", line);
                break;
            }
            r = &q->res[next];
            memset(r, 0, sizeof *r);
            r->first_m = q->nm;
            pending_m = q->nm;
            sum = ref_sum(0, line, n);
            in_case = 1;
            got_r = 0;
            continue;
        }
        if (!fields(line, 'K', wK, 1, v)) {
            if (v[0] != sum || !r->state) {
                snprintf(bad, badlen, "case record %u: bad checksum or incomplete", next);
                break;
            }
            r->nm = q->nm - r->first_m;
            in_case = 0;
            next++;
            continue;
        }
        sum = ref_sum(sum, line, n);
        if (!fields(line, 'R', wR, 10, v) && !r->state && !got_r) {
            got_r = 1;
            memcpy(r->regs, v, sizeof r->regs);
            r->eip = v[8];
            r->eflags = v[9];
        } else if (!fields(line, 'V', wV, 4, v) && !r->state && got_r) {
            r->vector = v[0];
            r->has_error = v[1];
            r->error = v[2];
            r->dr6 = v[3];
            r->state = 1;
        } else if (!fields(line, 'X', wX, 2, v) && !r->state && !got_r) {
            r->state = 2;
            r->vector = v[0];
            r->eip = v[1];
        } else if (!fields(line, 'M', wM, 2, v) && r->state == 1) {
            if (q->nm == q->capm) {
                q->capm = q->capm ? 2 * q->capm : 1024;
                q->m = xrealloc(q->m, q->capm * sizeof *q->m);
            }
            q->m[q->nm][0] = v[0];
            q->m[q->nm++][1] = v[1];
        } else {
            snprintf(bad, badlen, "case record %u: unexpected line: %.100s", next, line);
            break;
        }
    }
    if (in_case) {                  /* an incomplete record counts as none */
        q->nm = pending_m;
        r->state = 0;
    }
    fclose(f);
    return next;
}

void qemu_run(qemu_t *q)
{
    /* the header, now that count and size are known */
    ref_batch_t h = { REF_MAGIC, REF_VERSION, q->count, q->size };
    if (fflush(q->batch) != 0 || fseek(q->batch, 0, SEEK_SET) != 0 ||
        fwrite(&h, sizeof h, 1, q->batch) != 1 || fclose(q->batch) != 0) {
        fprintf(stderr, "difftest: writing the QEMU batch failed\n");
        exit(2);
    }
    q->batch = 0;
    memset(q->res, 0, q->count * sizeof *q->res);
    uint32_t first = 0, again_at = UINT32_MAX;
    while (first < q->count) {
        char how[256], bad[256];
        int end, again;
        boot(q, first, how, sizeof how);
        uint32_t next = parse(q, first, &end, &again, bad, sizeof bad);
        if (end && !how[0])
            break;
        if (next >= q->count)
            break;
        if (again && !how[0] && next != again_at) {
            again_at = next;            /* once per case: a new boot from it */
            first = next;
            continue;
        }
        /* the case it was on gets the reason, the next boot starts after it */
        snprintf(q->res[next].note, sizeof q->res[next].note,
                 "QEMU reference: no result for this case: %.70s%s%.70s", how,
                 how[0] && bad[0] ? "; " : "", bad);
        first = next + 1;
    }
}

/* The result of the case at position `pos`, which must be the case added
 * there (the caller regenerates it: the batch does not keep dcase_t's). */
void qemu_result(qemu_t *q, uint32_t pos, const dcase_t *c, dresult_t *r)
{
    memset(r, 0, sizeof *r);
    const qres_t *x = &q->res[pos];
    if (pos >= q->count || q->index[pos] != c->index) {
        r->stop = STOP_HARNESS;
        snprintf(r->note, sizeof r->note, "QEMU reference: case %llu not in the batch",
                 (unsigned long long)c->index);
        return;
    }
    if (x->state != 1) {
        r->stop = STOP_HARNESS;
        if (x->state == 2)
            snprintf(r->note, sizeof r->note,
                     "QEMU reference: the kernel itself faulted (vector %u at %08x)", x->vector, x->eip);
        else
            snprintf(r->note, sizeof r->note, "%s", x->note[0] ? x->note : "QEMU reference: no result");
        return;
    }
    memcpy(r->regs, x->regs, sizeof r->regs);
    r->eip = x->eip;
    r->eflags = x->eflags;
    memcpy(r->data, c->data, DATA_SIZE);
    memcpy(r->stack, c->stack, STACK_SIZE);
    memcpy(r->low, c->low, LOW_SIZE);
    for (uint32_t i = 0; i < x->nm; i++) {
        uint32_t a = q->m[x->first_m + i][0], v = q->m[x->first_m + i][1];
        uint8_t *p = a >= DATA_BASE && a < DATA_BASE + DATA_SIZE ? r->data + (a - DATA_BASE)
                   : a >= STACK_LO && a < STACK_TOP ? r->stack + (a - STACK_LO)
                   : a >= LOW_BASE && a < LOW_BASE + LOW_SIZE ? r->low + (a - LOW_BASE) : 0;
        if (!p || (a & 3)) {
            r->stop = STOP_HARNESS;
            snprintf(r->note, sizeof r->note, "QEMU reference: a word outside the areas: %08x", a);
            return;
        }
        for (int k = 0; k < 4; k++)
            p[k] = (uint8_t)(v >> (24 - 8 * k));
    }
    map_stop(c, x, r);
}
