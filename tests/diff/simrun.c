/* The trapsim side of the differential test: one `trapsim raw` run per case
 * (RAW-MODE.md), its key=value output parsed into a dresult_t. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/diff/diff.h"

extern char **environ;

int write_code_file(const dcase_t *c, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(c->code, 1, c->code_len, f);
    return (fclose(f) == 0 && n == c->code_len) ? 0 : -1;
}

static char *hexdup(const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    if (!s) {
        fprintf(stderr, "difftest: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = hx[p[i] >> 4];
        s[2 * i + 1] = hx[p[i] & 15];
    }
    s[2 * n] = 0;
    return s;
}

/* argv for a case; every string is malloc'ed (freed by free_argv) */
#define MAXARGS 64
static int build_argv(const char *trapsim, const dcase_t *c, const char *codefile,
                      char **argv)
{
    int n = 0;
    char buf[128];
#define ADD(s) (argv[n++] = strdup(s))
    ADD(trapsim);
    ADD("raw");
    /* the machine around the case; defaults left out, as old replay lines */
    ADD("--ring");
    snprintf(buf, sizeof buf, "%u", c->cpl);
    ADD(buf);
    if (c->std_tables) {
        ADD("--tables");
        ADD("std");
    }
    if (c->cr0 != 0x00000011) {
        ADD("--cr0");
        snprintf(buf, sizeof buf, "0x%08x", c->cr0);
        ADD(buf);
    }
    if (c->cr4) {
        ADD("--cr4");
        snprintf(buf, sizeof buf, "0x%08x", c->cr4);
        ADD(buf);
    }
    for (int r = 0; r < NREGS; r++) {
        ADD("--set");
        snprintf(buf, sizeof buf, "%s=0x%08x", reg_names[r], c->regs[r]);
        ADD(buf);
    }
    ADD("--set");
    snprintf(buf, sizeof buf, "eflags=0x%08x", c->eflags);
    ADD(buf);
    struct { uint32_t addr; const uint8_t *p; uint32_t len; } mem[3] = {
        { DATA_BASE, c->data, DATA_SIZE },
        { c->stack_init_lo, c->stack + (c->stack_init_lo - STACK_LO),
          c->stack_init_hi - c->stack_init_lo },
        { LOW_BASE, c->low, c->uses_low ? LOW_SIZE : 0 },
    };
    for (int i = 0; i < 3; i++) {
        uint32_t nz = 0;
        for (uint32_t k = 0; k < mem[i].len; k++)
            nz |= mem[i].p[k];
        if (!nz)                    /* unwritten memory reads as 0 anyway */
            continue;
        char *hex = hexdup(mem[i].p, mem[i].len);
        size_t l = strlen(hex) + 32;
        char *a = malloc(l);
        if (!a) exit(2);
        snprintf(a, l, "0x%08x=%s", mem[i].addr, hex);
        free(hex);
        ADD("--mem");
        argv[n++] = a;
    }
    ADD("--dump");
    snprintf(buf, sizeof buf, "0x%08x:%u", DATA_BASE, DATA_SIZE);
    ADD(buf);
    ADD("--dump");
    snprintf(buf, sizeof buf, "0x%08x:%u", STACK_LO, STACK_SIZE);
    ADD(buf);
    if (c->uses_low) {
        ADD("--dump");
        snprintf(buf, sizeof buf, "0x%08x:%u", LOW_BASE, LOW_SIZE);
        ADD(buf);
    }
    ADD("--max-insns");
    ADD("100000");
    ADD(codefile);
    argv[n] = 0;
#undef ADD
    return n;
}

static void free_argv(char **argv)
{
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
}

void sim_print_cmd(FILE *f, const char *trapsim, const dcase_t *c, const char *codefile,
                   int abbrev)
{
    char *argv[MAXARGS];
    build_argv(trapsim, c, codefile, argv);
    for (int i = 0; argv[i]; i++) {
        const char *eq = strchr(argv[i], '=');
        if (abbrev && i > 0 && !strcmp(argv[i - 1], "--mem") && eq && strlen(eq) > 40)
            fprintf(f, " %.*s=%.16s...(%zu bytes)", (int)(eq - argv[i]), argv[i], eq + 1,
                    strlen(eq + 1) / 2);
        else
            fprintf(f, "%s%s", i ? " " : "", argv[i]);
    }
    fputc('\n', f);
    free_argv(argv);
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int parse_hexbytes(const char *s, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        int h = hexval(s[2 * i]), l = h < 0 ? -1 : hexval(s[2 * i + 1]);
        if (h < 0 || l < 0)
            return -1;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return s[2 * len] == 0 ? 0 : -1;
}

static int parse_u32(const char *s, uint32_t *v)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(s, &end, 16);
    if (errno || end == s || *end || strlen(s) != 8)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

static void bad(dresult_t *r, const char *what, const char *line)
{
    if (r->stop == STOP_HARNESS)
        return;
    r->stop = STOP_HARNESS;
    snprintf(r->note, sizeof r->note, "trapsim output: %s: \"%.120s\"", what, line);
}

static void parse_output(char *out, const dcase_t *c, dresult_t *r)
{
    int seen_regs = 0, seen_eip = 0, seen_flags = 0, seen_stop = 0;
    int seen_data = 0, seen_stack = 0, seen_low = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(0, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq) {
            bad(r, "line without '='", line);
            continue;
        }
        *eq = 0;
        const char *k = line, *v = eq + 1;
        int ri = -1;
        for (int i = 0; i < NREGS; i++)
            if (!strcmp(k, reg_names[i]))
                ri = i;
        if (ri >= 0) {
            if (parse_u32(v, &r->regs[ri]) != 0) bad(r, "bad register value", v);
            seen_regs |= 1 << ri;
        } else if (!strcmp(k, "eip")) {
            if (parse_u32(v, &r->eip) != 0) bad(r, "bad eip", v);
            seen_eip = 1;
        } else if (!strcmp(k, "eflags")) {
            if (parse_u32(v, &r->eflags) != 0) bad(r, "bad eflags", v);
            seen_flags = 1;
        } else if (!strcmp(k, "stop")) {
            seen_stop = 1;
            if (!strcmp(v, "int3")) r->stop = STOP_INT3;
            else if (!strcmp(v, "int")) r->stop = STOP_INT;
            else if (!strcmp(v, "exception")) r->stop = STOP_EXC;
            else if (!strcmp(v, "hlt")) r->stop = STOP_HLT;
            else if (!strcmp(v, "budget")) r->stop = STOP_BUDGET;
            else bad(r, "unknown stop", v);
        } else if (!strcmp(k, "vector")) {
            uint32_t x;
            if (parse_u32(v, &x) != 0) bad(r, "bad vector", v);
            r->vector = (int)x;
        } else if (!strcmp(k, "error")) {
            if (parse_u32(v, &r->error) != 0) bad(r, "bad error", v);
            r->has_error = 1;
        } else if (!strcmp(k, "icount")) {
            r->icount = strtoull(v, 0, 10);
            r->has_icount = 1;
        } else if (!strncmp(k, "mem.", 4)) {
            uint32_t a;
            if (parse_u32(k + 4, &a) != 0) { bad(r, "bad mem address", k); continue; }
            if (a == DATA_BASE) {
                if (parse_hexbytes(v, r->data, DATA_SIZE)) bad(r, "bad data dump", k);
                seen_data = 1;
            } else if (a == STACK_LO) {
                if (parse_hexbytes(v, r->stack, STACK_SIZE)) bad(r, "bad stack dump", k);
                seen_stack = 1;
            } else if (a == LOW_BASE && c->uses_low) {
                if (parse_hexbytes(v, r->low, LOW_SIZE)) bad(r, "bad low dump", k);
                seen_low = 1;
            } else {
                bad(r, "unexpected dump", k);
            }
        } else {
            bad(r, "unknown key", k);
        }
    }
    if (r->stop == STOP_HARNESS)
        return;
    if (seen_regs != (1 << NREGS) - 1 || !seen_eip || !seen_flags || !seen_stop ||
        !seen_data || !seen_stack || (c->uses_low && !seen_low))
        bad(r, "missing lines", "");
}

void sim_run(const char *trapsim, const dcase_t *c, const char *tmpdir, dresult_t *r)
{
    memset(r, 0, sizeof *r);
    char codefile[4096];
    snprintf(codefile, sizeof codefile, "%s/case.bin", tmpdir);
    if (write_code_file(c, codefile) != 0) {
        r->stop = STOP_HARNESS;
        snprintf(r->note, sizeof r->note, "cannot write %.200s", codefile);
        return;
    }
    char *argv[MAXARGS];
    build_argv(trapsim, c, codefile, argv);
    int po[2], pe[2];
    if (pipe(po) || pipe(pe)) {
        r->stop = STOP_HARNESS;
        snprintf(r->note, sizeof r->note, "pipe: %s", strerror(errno));
        free_argv(argv);
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawn_file_actions_addclose(&fa, po[0]);
    posix_spawn_file_actions_addclose(&fa, pe[0]);
    pid_t pid;
    int err = posix_spawn(&pid, trapsim, &fa, 0, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free_argv(argv);
    close(po[1]);
    close(pe[1]);
    if (err) {
        close(po[0]);
        close(pe[0]);
        r->stop = STOP_HARNESS;
        snprintf(r->note, sizeof r->note, "cannot run %s: %s", trapsim, strerror(err));
        return;
    }
    size_t cap = 64 * 1024, len = 0, ecap = 4096, elen = 0;
    char *out = malloc(cap), *eout = malloc(ecap);
    if (!out || !eout) exit(2);
    struct pollfd pf[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
    int open_fds = 2, timed_out = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (open_fds) {
        int k = poll(pf, 2, 1000);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > 20) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        if (k <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char **buf = i ? &eout : &out;
            size_t *l = i ? &elen : &len, *cp = i ? &ecap : &cap;
            if (*cp - *l < 4096) {
                *cp *= 2;
                *buf = realloc(*buf, *cp);
                if (!*buf) exit(2);
            }
            ssize_t n = read(pf[i].fd, *buf + *l, *cp - *l - 1);
            if (n <= 0) {
                close(pf[i].fd);
                pf[i].fd = -1;
                open_fds--;
            } else {
                *l += (size_t)n;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (pf[i].fd >= 0)
            close(pf[i].fd);
    out[len] = 0;
    eout[elen] = 0;
    int st = 0;
    waitpid(pid, &st, 0);
    if (timed_out) {
        r->stop = STOP_HARNESS;
        snprintf(r->note, sizeof r->note, "trapsim did not finish in 20 s");
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        r->stop = STOP_HARNESS;
        char *nl = strchr(eout, '\n');
        if (nl) *nl = 0;
        if (WIFSIGNALED(st))
            snprintf(r->note, sizeof r->note, "trapsim killed by signal %d: %.150s",
                     WTERMSIG(st), eout);
        else
            snprintf(r->note, sizeof r->note, "trapsim exit status %d: %.150s",
                     WEXITSTATUS(st), eout);
    } else {
        parse_output(out, c, r);
    }
    free(out);
    free(eout);
}
