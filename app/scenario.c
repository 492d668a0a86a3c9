/* `trapsim scenario`: teaching scenarios (app/scenario.h; the file format is
 * in scenarios/README.md).
 *
 *   trapsim scenario --list
 *   trapsim scenario NAME [--check | --update] [--no-color]
 *                         [--dot FILE] [--svg FILE] [--timeline FILE]
 *
 * A scenario's log, on standard output, is: a header (the description and
 * the equivalent `trapsim run` command), the trace as the scenario filters
 * it, with the guest's console lines in it where they were printed
 * ("cons"), then the end-of-run summary and the exit status. The log is a
 * pure function of the scenario, so --check compares it byte for byte with
 * scenarios/NAME.expected, and the trap-flow graph with scenarios/NAME.dot. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/args.h"
#include "app/dot.h"
#include "app/scenario.h"
#include "app/session.h"
#include "cpu/cpu.h"
#include "cpu/trace.h"

/* A scenario that runs away still ends: the default instruction budget. */
#define SCN_DEFAULT_BUDGET 200000000ull
#define SCN_MAX_CONTEXT 200
#define SCN_MAX_TAIL 1000
#define LINE_MAX_LEN 512
#define CONSOLE_LEVEL (1u << 31)     /* trace_level_of(EV_CONSOLE) */

/* ------------------------------------------------------------------ */
/* Parsing                                                              */
/* ------------------------------------------------------------------ */

enum key {
    K_DESCRIPTION, K_IMAGE, K_CMDLINE, K_MODE, K_ISA, K_EXPOSE_PG, K_TRACE, K_MAX_INSNS,
    K_GUEST_IPS, K_MEM, K_INSNS, K_PORTS, K_MATCH, K_FROM, K_UNTIL, K_CONTEXT, K_LIMIT, K_TAIL,
    K_TIMELINE,
    K_COUNT
};
static const char *const key_names[K_COUNT] = {
    "description", "image", "cmdline", "mode", "isa", "expose_pg", "trace", "max_insns",
    "guest_ips", "mem", "insns", "ports", "match", "from", "until", "context", "limit", "tail",
    "timeline",
};

typedef struct parse {
    const char *file;
    int line;
    char *err;
    size_t errlen;
} parse_t;

static int fail(parse_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parse_t *p, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->line > 0)
        snprintf(p->err, p->errlen, "%s:%d: %s", p->file, p->line, msg);
    else
        snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
    return -1;
}

static int set_str(parse_t *p, char *dst, size_t n, const char *key, const char *v)
{
    if (strlen(v) >= n)
        return fail(p, "'%s' is too long (at most %zu characters)", key, n - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

static int known_mnemonic(const char *m)
{
    for (int r = 0; r < ROW_COUNT; r++)
        if (isa_rows[r].mnem && strcmp(isa_rows[r].mnem, m) == 0)
            return 1;
    return 0;
}

/* "popf, lidt" -> ",popf,lidt," */
static int parse_insns(parse_t *p, scenario_t *s, char *v)
{
    size_t k = 0;
    s->insns[k++] = ',';
    for (char *tok = strtok(v, ","); tok; tok = strtok(NULL, ",")) {
        tok = trim(tok);
        if (!*tok)
            return fail(p, "'insns': an empty name in the list");
        if (!known_mnemonic(tok))
            return fail(p, "'insns': unknown instruction '%s'", tok);
        size_t n = strlen(tok);
        if (k + n + 2 > sizeof s->insns)
            return fail(p, "'insns': the list is too long");
        memcpy(s->insns + k, tok, n);
        k += n;
        s->insns[k++] = ',';
    }
    s->insns[k] = 0;
    if (k == 1)
        return fail(p, "'insns' needs at least one instruction name");
    return 0;
}

/* "0x20-0x21, 0x40-0x43, 0x3f8" */
static int parse_ports(parse_t *p, scenario_t *s, char *v)
{
    for (char *tok = strtok(v, ","); tok; tok = strtok(NULL, ",")) {
        tok = trim(tok);
        char *dash = strchr(tok, '-');
        uint32_t lo, hi;
        if (dash)
            *dash = 0;
        if (parse_u32(trim(tok), &lo) || parse_u32(dash ? trim(dash + 1) : trim(tok), &hi) ||
            lo > hi || hi > 0xffff)
            return fail(p, "'ports': expected port ranges like 0x20-0x21, 0x40 (got '%s%s%s')", tok,
                        dash ? "-" : "", dash ? dash + 1 : "");
        if (s->nports == SCN_MAX_PORTS)
            return fail(p, "'ports': at most %d ranges", SCN_MAX_PORTS);
        s->ports[s->nports][0] = (uint16_t)lo;
        s->ports[s->nports][1] = (uint16_t)hi;
        s->nports++;
    }
    if (!s->nports)
        return fail(p, "'ports' needs at least one port range");
    return 0;
}

static int parse_value(parse_t *p, scenario_t *s, int key, char *v)
{
    uint64_t n;
    switch (key) {
    case K_DESCRIPTION: {
        size_t used = strlen(s->description), len = strlen(v);
        if (used + len + 2 > sizeof s->description)
            return fail(p, "the description is too long (at most %zu characters)", sizeof s->description - 2);
        memcpy(s->description + used, v, len);
        s->description[used + len] = '\n';
        s->description[used + len + 1] = 0;
        return 0;
    }
    case K_IMAGE:
        if (!*v)
            return fail(p, "'image' needs a file name");
        return set_str(p, s->image, sizeof s->image, "image", v);
    case K_CMDLINE:
        s->has_cmdline = 1;
        return set_str(p, s->cmdline, sizeof s->cmdline, "cmdline", v);
    case K_MODE:
        if (strcmp(v, "bare") && strcmp(v, "vmm"))
            return fail(p, "'mode' is bare or vmm (got '%s')", v);
        s->vmm = strcmp(v, "vmm") == 0;
        return 0;
    case K_ISA:
        if (!isa_profile_find(v)) {
            char names[128] = "";
            for (const isa_profile_t *const *q = isa_profiles(); *q; q++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         names[0] ? ", " : "", (*q)->name);
            return fail(p, "unknown isa '%s' (%s)", v, names);
        }
        return set_str(p, s->isa, sizeof s->isa, "isa", v);
    case K_EXPOSE_PG:
        if (strcmp(v, "yes") && strcmp(v, "no"))
            return fail(p, "'expose_pg' is yes or no (got '%s')", v);
        s->expose_pg = strcmp(v, "yes") == 0;
        return 0;
    case K_TRACE: {
        char *w = v;    /* "trap, vmm" -> "trap,vmm" */
        for (char *r = v; *r; r++)
            if (*r != ' ' && *r != '\t')
                *w++ = *r;
        *w = 0;
        if (!*v || trace_parse_levels(v, &s->trace_levels))
            return fail(p, "'trace' is a list of insn, trap, io, vmm, pg, all, none (got '%s')", v);
        return set_str(p, s->trace, sizeof s->trace, "trace", v);
    }
    case K_MAX_INSNS:
        if (parse_u64(v, &s->max_insns))
            return fail(p, "'max_insns' needs a number (0: no budget)");
        return 0;
    case K_GUEST_IPS:
        if (parse_u64(v, &s->guest_ips) || s->guest_ips < 1000)
            return fail(p, "'guest_ips' needs a number of instructions per second (at least 1000)");
        return 0;
    case K_MEM:
        if (parse_size(v, &s->mem) || s->mem < (2u << 20) || s->mem > (3ull << 30))
            return fail(p, "'mem' needs a size from 2M to 3G (e.g. 64M)");
        return 0;
    case K_INSNS:
        return parse_insns(p, s, v);
    case K_PORTS:
        return parse_ports(p, s, v);
    case K_MATCH: {
        /* "a | b | c" -> "a|b|c", each alternative trimmed */
        char buf[sizeof s->match];
        size_t k = 0;
        for (char *alt = v; alt; ) {
            char *bar = strchr(alt, '|');
            if (bar)
                *bar = 0;
            char *t = trim(alt);
            if (!*t)
                return fail(p, "'match': an empty alternative (write 'a | b | c')");
            if (k + strlen(t) + 2 > sizeof buf)
                return fail(p, "'match' is too long (at most %zu characters)", sizeof buf - 2);
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", k ? "|" : "", t);
            alt = bar ? bar + 1 : NULL;
        }
        memcpy(s->match, buf, k + 1);
        return 0;
    }
    case K_FROM:
        if (!*v)
            return fail(p, "'from' needs the text of a trace line to start at");
        return set_str(p, s->from, sizeof s->from, "from", v);
    case K_UNTIL:
        if (!*v)
            return fail(p, "'until' needs the text of a trace line to end at");
        return set_str(p, s->until, sizeof s->until, "until", v);
    case K_CONTEXT:
        if (parse_u64(v, &n) || n > SCN_MAX_CONTEXT)
            return fail(p, "'context' needs a number of lines from 0 to %d", SCN_MAX_CONTEXT);
        s->context = (uint32_t)n;
        return 0;
    case K_LIMIT:
        if (parse_u64(v, &s->limit))
            return fail(p, "'limit' needs a number of lines (0: no limit)");
        return 0;
    case K_TAIL:
        if (parse_u64(v, &n) || n > SCN_MAX_TAIL)
            return fail(p, "'tail' needs a number of lines from 0 to %d", SCN_MAX_TAIL);
        s->tail = (uint32_t)n;
        return 0;
    case K_TIMELINE:
        if (!*v)
            return fail(p, "'timeline' needs an event, e.g. 'int 0x80' or '#GP lidt'");
        return set_str(p, s->timeline, sizeof s->timeline, "timeline", v);
    }
    return 0;
}

int scenario_parse_buf(const char *name, const char *text, size_t len, scenario_t *out,
                       char *err, size_t errlen)
{
    parse_t p = { name ? name : "scenario", 0, err, errlen };
    int seen[K_COUNT] = { 0 };
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = 0;

    /* the name: the file's base name without ".scn" */
    const char *base = strrchr(p.file, '/');
    base = base ? base + 1 : p.file;
    size_t bn = strlen(base);
    if (bn > 4 && strcmp(base + bn - 4, ".scn") == 0)
        bn -= 4;
    snprintf(out->name, sizeof out->name, "%.*s", (int)(bn < sizeof out->name ? bn : sizeof out->name - 1), base);
    snprintf(out->isa, sizeof out->isa, "x86");
    snprintf(out->trace, sizeof out->trace, "trap");
    out->trace_levels = TL_TRAP;
    out->max_insns = SCN_DEFAULT_BUDGET;

    /* a UTF-8 byte-order mark, as some Windows editors write one */
    size_t pos = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (pos < len) {
        p.line++;
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        char buf[1024];
        size_t n = end - pos;
        if (n >= sizeof buf)
            return fail(&p, "line too long (at most %zu characters)", sizeof buf - 1);
        memcpy(buf, text + pos, n);
        buf[n] = 0;
        pos = end + 1;
        if (strlen(buf) != n)
            return fail(&p, "a NUL byte in the line");
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)buf[k] < 0x20 && buf[k] != '\t' && buf[k] != '\r')
                return fail(&p, "a control character (0x%02x) in the line", (unsigned char)buf[k]);
        char *line = trim(buf);
        if (!*line || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (!eq)
            return fail(&p, "expected 'key = value' (or a '#' comment)");
        *eq = 0;
        char *key = trim(line), *val = trim(eq + 1);
        if (!*key)
            return fail(&p, "expected 'key = value': the key is missing");
        int k;
        for (k = 0; k < K_COUNT; k++)
            if (strcmp(key, key_names[k]) == 0)
                break;
        if (k == K_COUNT)
            return fail(&p, "unknown key '%.60s'", key);
        if (k != K_DESCRIPTION && seen[k])
            return fail(&p, "'%s' given twice (first on line %d)", key, seen[k]);
        seen[k] = p.line;
        if (parse_value(&p, out, k, val))
            return -1;
    }
    p.line = 0;
    if (!seen[K_DESCRIPTION])
        return fail(&p, "no 'description': say what the scenario shows");
    if (!seen[K_IMAGE])
        return fail(&p, "no 'image': which guest image to run");
    if (out->expose_pg && !out->vmm) {
        p.line = seen[K_EXPOSE_PG];
        return fail(&p, "'expose_pg = yes' needs 'mode = vmm' (it names what the VMM could not see)");
    }
    if (out->context && !out->from[0]) {
        p.line = seen[K_CONTEXT];
        return fail(&p, "'context' needs 'from' (the lines before which line?)");
    }
    if (out->limit && out->tail) {
        p.line = seen[K_TAIL];
        return fail(&p, "'tail' and 'limit' do not go together (the last lines, or the first?)");
    }
    if (out->insns[0])
        out->trace_levels |= TL_INSN;
    if (out->nports)
        out->trace_levels |= TL_IO;
    if (out->expose_pg)
        out->trace_levels |= TL_PG;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The scenario's text view: a filtering text sink, console lines inline */
/* ------------------------------------------------------------------ */

/* A line held back: before `from` (context), or for `tail`. */
typedef struct held {
    uint64_t seq;           /* order of the lines in the log */
    uint8_t ring;
    uint8_t console;        /* a console line, not a trace line */
    char text[LINE_MAX_LEN];
} held_t;

typedef struct view {
    FILE *out;
    int color;
    const scenario_t *s;
    int state;              /* 0: before `from`, 1: showing, 2: after `until` */
    uint64_t shown;         /* trace lines shown (or kept for `tail`) */
    uint64_t hidden;        /* trace lines left out by `limit` */
    uint64_t seq;
    held_t *ctx;            /* the last `context` lines before `from` */
    size_t nctx, ctx_next;
    held_t *tail;           /* the last `tail` trace lines */
    size_t ntail, tail_next;
    held_t *cons;           /* with `tail`: every console line, kept for the end */
    size_t ncons, cons_cap;
    int oom;
    char con[256];          /* the console line being printed */
    size_t ncon;
    uint64_t con_icount;
    int con_ring;
} view_t;

static const char *const ring_color[4] = { "\033[31m", "\033[33m", "\033[35m", "\033[32m" };

static void view_print(view_t *v, int ring, int console, const char *line)
{
    if (!v->color)
        fprintf(v->out, "%s\n", line);
    else if (console)   /* "ICOUNT rN cons  " plain, the guest's text bold */
        fprintf(v->out, "%.19s\033[1m%s\033[0m\n", line, strlen(line) > 19 ? line + 19 : "");
    else
        fprintf(v->out, "%s%s\033[0m\n", ring_color[ring & 3], line);
}

static void hold(held_t *h, uint64_t seq, int ring, int console, const char *line)
{
    h->seq = seq;
    h->ring = (uint8_t)ring;
    h->console = (uint8_t)console;
    snprintf(h->text, sizeof h->text, "%s", line);
}

/* A line for the log: printed now, or held for the end with `tail`. */
static void view_line(view_t *v, int ring, int console, const char *line)
{
    uint64_t seq = v->seq++;
    if (!v->s->tail) {
        view_print(v, ring, console, line);
    } else if (console) {
        if (v->ncons == v->cons_cap) {
            size_t cap = v->cons_cap ? 2 * v->cons_cap : 16;
            held_t *c = realloc(v->cons, cap * sizeof *c);
            if (!c) {
                v->oom = 1;
                return;
            }
            v->cons = c;
            v->cons_cap = cap;
        }
        hold(&v->cons[v->ncons++], seq, ring, 1, line);
    } else if (v->tail) {
        hold(&v->tail[v->tail_next], seq, ring, 0, line);
        v->tail_next = (v->tail_next + 1) % v->s->tail;
        if (v->ntail < v->s->tail)
            v->ntail++;
    }
}

static void view_console_flush(view_t *v)
{
    if (!v->ncon)
        return;
    v->con[v->ncon] = 0;
    char line[LINE_MAX_LEN];
    snprintf(line, sizeof line, "%010llu r%d cons  %s", (unsigned long long)v->con_icount, v->con_ring, v->con);
    view_line(v, v->con_ring, 1, line);
    v->ncon = 0;
}

static void view_console(view_t *v, const event_t *ev)
{
    uint8_t c = (uint8_t)ev->value;
    v->con_icount = ev->icount;
    v->con_ring = ev->ring & 3;
    if (c == '\n') {
        if (v->ncon == 0) {   /* an empty console line still shows */
            char line[40];
            snprintf(line, sizeof line, "%010llu r%d cons", (unsigned long long)v->con_icount, v->con_ring);
            view_line(v, v->con_ring, 1, line);
        }
        view_console_flush(v);
        return;
    }
    if (c == '\r')
        return;
    if (v->ncon + 5 >= sizeof v->con)
        view_console_flush(v);
    if (c >= 0x20 && c < 0x7f)
        v->con[v->ncon++] = (char)c;
    else
        v->ncon += (size_t)snprintf(v->con + v->ncon, sizeof v->con - v->ncon, "\\x%02x", c);
}

static int view_wants(const view_t *v, const event_t *ev)
{
    const scenario_t *s = v->s;
    if (!(s->trace_levels & trace_level_of(ev->kind)))
        return 0;
    if (ev->kind == EV_INSN && s->insns[0]) {
        char key[40];
        snprintf(key, sizeof key, ",%s,", ev->insn ? isa_mnemonic(ev->insn) : "");
        if (!strstr(s->insns, key))
            return 0;
    }
    if (ev->kind == EV_IO && s->nports) {
        int in = 0;
        for (int k = 0; k < s->nports && !in; k++)
            in = ev->port >= s->ports[k][0] && ev->port <= s->ports[k][1];
        if (!in)
            return 0;
    }
    return 1;
}

/* Whether a trace line contains one of the `match` alternatives. */
static int view_matches(const view_t *v, const char *line)
{
    const char *m = v->s->match;
    if (!*m)
        return 1;
    while (*m) {
        size_t n = strcspn(m, "|");
        for (const char *p = line; (p = strchr(p, m[0])); p++)
            if (strncmp(p, m, n) == 0)
                return 1;
        m += n;
        if (*m == '|')
            m++;
    }
    return 0;
}

static void view_show(view_t *v, int ring, const char *line)
{
    if (v->s->limit && v->shown >= v->s->limit) {
        v->hidden++;
        return;
    }
    v->shown++;
    view_line(v, ring, 0, line);
}

static void view_emit(void *vctx, const event_t *ev)
{
    view_t *v = vctx;
    if (ev->kind == EV_CONSOLE) {
        view_console(v, ev);
        return;
    }
    if (v->state == 2 || !view_wants(v, ev))
        return;
    char line[LINE_MAX_LEN];
    trace_format(ev, line, sizeof line);
    if (!view_matches(v, line))
        return;
    if (v->state == 0) {
        if (!strstr(line, v->s->from)) {
            if (v->s->context && v->ctx) {
                hold(&v->ctx[v->ctx_next], 0, ev->ring, 0, line);
                v->ctx_next = (v->ctx_next + 1) % v->s->context;
                if (v->nctx < v->s->context)
                    v->nctx++;
            }
            return;
        }
        v->state = 1;
        for (size_t k = 0; k < v->nctx; k++) {
            const held_t *c = &v->ctx[(v->ctx_next + v->s->context - v->nctx + k) % v->s->context];
            view_show(v, c->ring, c->text);
        }
    }
    view_show(v, ev->ring, line);
    if (v->s->until[0] && strstr(line, v->s->until))
        v->state = 2;
}

static void view_finish(void *vctx)
{
    view_t *v = vctx;
    view_console_flush(v);
    if (v->s->tail) {
        /* the console lines and the last trace lines, in their order */
        if (v->shown > v->ntail)
            fprintf(v->out, "== %llu earlier trace lines not shown (tail = %llu)\n",
                    (unsigned long long)(v->shown - v->ntail), (unsigned long long)v->s->tail);
        size_t c = 0, t = 0, first = (v->tail_next + v->s->tail - v->ntail) % (v->s->tail ? v->s->tail : 1);
        while (c < v->ncons || t < v->ntail) {
            const held_t *tl = t < v->ntail ? &v->tail[(first + t) % v->s->tail] : NULL;
            const held_t *cl = c < v->ncons ? &v->cons[c] : NULL;
            const held_t *h = !tl || (cl && cl->seq < tl->seq) ? cl : tl;
            view_print(v, h->ring, h->console, h->text);
            if (h == cl)
                c++;
            else
                t++;
        }
        if (v->oom)
            fputs("== (out of memory: console lines lost)\n", v->out);
    }
    if (v->state == 0 && v->s->from[0])
        fprintf(v->out, "== no trace line contained '%s': nothing shown\n", v->s->from);
    if (v->hidden)
        fprintf(v->out, "== %llu more trace lines not shown (limit = %llu)\n",
                (unsigned long long)v->hidden, (unsigned long long)v->s->limit);
}

/* ------------------------------------------------------------------ */
/* Files and places                                                     */
/* ------------------------------------------------------------------ */

/* Reads a whole file; 0, or -1 with errno. */
static int read_whole(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *b = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                fclose(f);
                errno = ENOMEM;
                return -1;
            }
            b = nb;
        }
        errno = 0;
        size_t r = fread(b + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f), why = errno ? errno : EIO;   /* keep the reason: "Is a directory" */
    fclose(f);
    if (bad) {
        free(b);
        errno = why;
        return -1;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

/* A folder with at least one scenario file in it. */
static int has_scenarios(const char *path)
{
    DIR *dir = opendir(path);
    if (!dir)
        return 0;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(dir))) {
        size_t n = strlen(de->d_name);
        found = n > 4 && strcmp(de->d_name + n - 4, ".scn") == 0;
    }
    closedir(dir);
    return found;
}

/* Where scenarios live. The repository root is the directory of the
 * trapsim binary or the nearest one above it (up to 3 levels: build/san/
 * trapsim) whose scenarios/ folder has scenario files; scenario images are
 * relative to it. TRAPSIM_SCENARIOS names another folder of scenario files. */
typedef struct places {
    char root[PATH_MAX];
    char dir[PATH_MAX];     /* the scenario files, as opened */
    char shown[PATH_MAX];   /* the same, as error messages name it */
} places_t;

static void find_places(places_t *pl)
{
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0) {
        snprintf(exe, sizeof exe, "./trapsim");
        k = (ssize_t)strlen(exe);
    }
    exe[k] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(exe, sizeof exe, ".");
    snprintf(pl->root, sizeof pl->root, "%s", exe);
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s", exe);
    for (int up = 0; up < 4; up++) {
        char probe[PATH_MAX + 32];
        snprintf(probe, sizeof probe, "%.4000s/scenarios", dir);
        if (has_scenarios(probe)) {
            snprintf(pl->root, sizeof pl->root, "%.4000s", dir);
            break;
        }
        char *s = strrchr(dir, '/');
        if (!s || s == dir)
            break;
        *s = 0;
    }
    const char *env = getenv("TRAPSIM_SCENARIOS");
    if (env && *env) {
        snprintf(pl->dir, sizeof pl->dir, "%s", env);
        snprintf(pl->shown, sizeof pl->shown, "%s", env);
    } else {
        snprintf(pl->dir, sizeof pl->dir, "%.4000s/scenarios", pl->root);
        snprintf(pl->shown, sizeof pl->shown, "scenarios");
    }
}

/* One scenario's files: NAME.scn, NAME.expected, NAME.dot, each as opened
 * and as shown. */
typedef struct files {
    char name[64];
    char scn[PATH_MAX], scn_shown[PATH_MAX];
    char log[PATH_MAX], log_shown[PATH_MAX];
    char dot[PATH_MAX], dot_shown[PATH_MAX];
} files_t;

static int valid_name(const char *n)
{
    if (!*n || strlen(n) >= 64)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '-' || *n == '_' || *n == '.'))
            return 0;
    return 1;
}

static void set_path(char *dst, const char *dir, const char *name, const char *ext)
{
    snprintf(dst, PATH_MAX, "%.*s/%s%s", PATH_MAX - 80, dir, name, ext);
}

/* NAME (in the scenarios folder) or a path to a .scn file. */
static int find_files(const places_t *pl, const char *arg, files_t *f)
{
    memset(f, 0, sizeof *f);
    size_t n = strlen(arg);
    int is_path = strchr(arg, '/') || (n > 4 && strcmp(arg + n - 4, ".scn") == 0);
    if (is_path) {
        if (n <= 4 || strcmp(arg + n - 4, ".scn") != 0 || n >= PATH_MAX - 16) {
            errorf("%s: a scenario file's name ends in .scn", arg);
            return -1;
        }
        const char *slash = strrchr(arg, '/');
        const char *base = slash ? slash + 1 : arg;
        size_t bn = strlen(base) - 4;
        snprintf(f->name, sizeof f->name, "%.*s", (int)(bn < 63 ? bn : 63), base);
        char dir[PATH_MAX];
        if (slash)
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - arg), arg);
        else
            snprintf(dir, sizeof dir, ".");
        snprintf(f->scn, PATH_MAX, "%s", arg);
        snprintf(f->scn_shown, PATH_MAX, "%s", arg);
        set_path(f->log, dir, f->name, ".expected");
        set_path(f->dot, dir, f->name, ".dot");
        snprintf(f->log_shown, PATH_MAX, "%s", f->log);
        snprintf(f->dot_shown, PATH_MAX, "%s", f->dot);
        return 0;
    }
    if (!valid_name(arg)) {
        errorf("scenario '%s': a name has letters, digits, '-', '_' and '.' only (see 'trapsim scenario --list')", arg);
        return -1;
    }
    snprintf(f->name, sizeof f->name, "%s", arg);
    set_path(f->scn, pl->dir, arg, ".scn");
    set_path(f->log, pl->dir, arg, ".expected");
    set_path(f->dot, pl->dir, arg, ".dot");
    set_path(f->scn_shown, pl->shown, arg, ".scn");
    set_path(f->log_shown, pl->shown, arg, ".expected");
    set_path(f->dot_shown, pl->shown, arg, ".dot");
    return 0;
}

/* Loads and parses a scenario file; 0, or -1 after one error line. */
static int load(const files_t *f, scenario_t *s)
{
    char *text;
    size_t len;
    if (read_whole(f->scn, &text, &len)) {
        if (errno == ENOENT)
            errorf("%s: no such scenario (see 'trapsim scenario --list')", f->scn_shown);
        else
            errorf("%s: cannot read: %s", f->scn_shown, strerror(errno));
        return -1;
    }
    char err[512];
    int r = scenario_parse_buf(f->scn_shown, text, len, s, err, sizeof err);
    free(text);
    if (r) {
        errorf("%s", err);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The log                                                              */
/* ------------------------------------------------------------------ */

/* The argument as a shell would need it: quoted when it has to be. */
static void put_shell_word(FILE *out, const char *w)
{
    int plain = *w != 0;
    for (const char *c = w; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=,._/-+:", *c))
            plain = 0;
    if (plain) {
        fputs(w, out);
        return;
    }
    fputc('\'', out);
    for (const char *c = w; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", out);
        else
            fputc(*c, out);
    }
    fputc('\'', out);
}

static void put_levels(FILE *out, uint32_t levels)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        { TL_INSN, "insn" }, { TL_TRAP, "trap" }, { TL_IO, "io" }, { TL_VMM, "vmm" }, { TL_PG, "pg" },
    };
    int any = 0;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (levels & names[k].bit)
            fprintf(out, "%s%s", any++ ? "," : "", names[k].name);
    if (!any)
        fputs("none", out);
}

static void put_header(FILE *out, const scenario_t *s, int color)
{
    const char *b = color ? "\033[1m" : "", *e = color ? "\033[0m" : "";
    fprintf(out, "%s== trapsim scenario %s%s\n", b, s->name, e);
    fputs(s->description, out);
    fprintf(out, "%s== trapsim run", b);
    if (s->vmm)
        fputs(" --vmm", out);
    fprintf(out, " --isa %s", s->isa);
    if (s->expose_pg)
        fputs(" --expose-pg", out);
    fputs(" --trace ", out);
    put_levels(out, s->trace_levels);
    if (s->max_insns != SCN_DEFAULT_BUDGET)   /* the default budget is only a safety net */
        fprintf(out, " --max-insns %llu", (unsigned long long)s->max_insns);
    if (s->guest_ips)
        fprintf(out, " --guest-ips %llu", (unsigned long long)s->guest_ips);
    if (s->mem)
        fprintf(out, " --mem %lluK", (unsigned long long)(s->mem >> 10));
    if (s->has_cmdline) {
        fputs(" --cmdline ", out);
        put_shell_word(out, s->cmdline);
    }
    fputc(' ', out);
    put_shell_word(out, s->image);
    fprintf(out, "%s\n", e);
    /* the filters, in words */
    if (s->insns[0]) {
        fputs("== shown: insn lines only for ", out);
        size_t n = strlen(s->insns);
        for (size_t k = 1; k + 1 < n; k++) {
            fputc(s->insns[k], out);
            if (s->insns[k] == ',')
                fputc(' ', out);
        }
        fputc('\n', out);
    }
    if (s->nports) {
        fputs("== shown: io lines only for ports ", out);
        for (int k = 0; k < s->nports; k++) {
            fprintf(out, "%s0x%x", k ? ", " : "", s->ports[k][0]);
            if (s->ports[k][1] != s->ports[k][0])
                fprintf(out, "-0x%x", s->ports[k][1]);
        }
        fputc('\n', out);
    }
    if (s->match[0]) {
        fputs("== shown: only trace lines containing ", out);
        for (const char *m = s->match; *m; ) {
            size_t n = strcspn(m, "|");
            fprintf(out, "%s'%.*s'", m == s->match ? "" : m[n] ? ", " : " or ", (int)n, m);
            m += n;
            if (*m == '|')
                m++;
        }
        fputc('\n', out);
    }
    if (s->from[0]) {
        fprintf(out, "== shown: from the first line containing '%s'", s->from);
        if (s->context)
            fprintf(out, " (and the %u lines before it)", s->context);
        fputc('\n', out);
    }
    if (s->until[0])
        fprintf(out, "== shown: until the first line %scontaining '%s'\n", s->from[0] ? "after that " : "",
                s->until);
    if (s->limit)
        fprintf(out, "== shown: at most %llu trace lines, the first ones\n", (unsigned long long)s->limit);
    if (s->tail)
        fprintf(out, "== shown: the last %u trace lines only (and every console line)\n", s->tail);
}

static const char *status_meaning(int st)
{
    if (st & 1)
        return "the guest's isa-debug-exit";
    switch (st) {
    case EXIT_OK:         return "ok";
    case EXIT_BUDGET:     return "the instruction budget ran out";
    case EXIT_TRIPLE:     return "triple fault";
    case EXIT_HALTED:     return "halted for ever";
    case EXIT_UNMODELLED: return "something trapsim does not model";
    case EXIT_QUIT:       return "quit";
    default:              return "error";
    }
}

/* Runs a scenario, its log to `out`; the trap-flow picture into `dot` when
 * given. Returns the run's exit status (EXIT_USAGE when it could not run). */
static int run_scenario(const places_t *pl, const files_t *f, const scenario_t *s, FILE *out, int color,
                        dot_t *dot)
{
    char image[PATH_MAX + 300];
    if (s->image[0] == '/')
        snprintf(image, sizeof image, "%s", s->image);
    else
        snprintf(image, sizeof image, "%s/%s", pl->root, s->image);
    if (access(image, R_OK) != 0) {
        errorf("%s: image %s: %s (build it with 'make')", f->scn_shown, s->image, strerror(errno));
        return EXIT_USAGE;
    }
    FILE *null = fopen("/dev/null", "w");
    if (!null) {
        errorf("/dev/null: %s", strerror(errno));
        return EXIT_USAGE;
    }
    view_t v = { .out = out, .color = color, .s = s };
    if ((s->context && !(v.ctx = calloc(s->context, sizeof *v.ctx))) ||
        (s->tail && !(v.tail = calloc(s->tail, sizeof *v.tail)))) {
        free(v.ctx);
        fclose(null);
        errorf("out of memory");
        return EXIT_USAGE;
    }
    trace_sink_t sinks[2] = {
        { s->trace_levels | CONSOLE_LEVEL, view_emit, view_finish, &v },
        { DOT_LEVELS, dot_emit, NULL, dot },
    };

    session_opts_t o;
    session_defaults(&o);
    o.image = image;
    o.image_name = s->image;   /* what the guest sees, the same in every checkout */
    o.cmdline = s->has_cmdline ? s->cmdline : NULL;
    if (s->mem)
        o.ram = s->mem;
    o.max_insns = s->max_insns;
    if (s->guest_ips)
        o.guest_ips = s->guest_ips;
    o.isa = isa_profile_find(s->isa);
    o.trace_levels = 0;               /* the view above is the text trace */
    o.console = null;                 /* the view prints the console lines */
    o.vmm = s->vmm;
    o.expose_pg = s->expose_pg;
    o.summary_out = out;
    o.extra_sinks = sinks;
    o.nextra_sinks = dot ? 2 : 1;

    put_header(out, s, color);
    fflush(out);
    int st = session_run(&o);
    fclose(null);
    free(v.ctx);
    free(v.tail);
    free(v.cons);
    if (st != EXIT_USAGE)
        fprintf(out, "%s== exit status %d: %s%s\n", color ? "\033[1m" : "", st, status_meaning(st),
                color ? "\033[0m" : "");
    fflush(out);
    return st;
}

/* ------------------------------------------------------------------ */
/* The diff                                                             */
/* ------------------------------------------------------------------ */

typedef struct lines {
    const char **p;
    size_t *n;
    size_t count;
} lines_t;

static int split_lines(const char *t, size_t len, lines_t *l)
{
    size_t count = 0;
    for (size_t k = 0; k < len; k++)
        if (t[k] == '\n')
            count++;
    if (len && t[len - 1] != '\n')
        count++;
    l->p = malloc((count + 1) * sizeof *l->p);
    l->n = malloc((count + 1) * sizeof *l->n);
    l->count = 0;
    if (!l->p || !l->n)
        return -1;
    size_t start = 0;
    for (size_t k = 0; k <= len; k++) {
        if (k == len || t[k] == '\n') {
            if (k == len && start == len)
                break;
            l->p[l->count] = t + start;
            l->n[l->count] = k - start;
            l->count++;
            start = k + 1;
        }
    }
    return 0;
}

static int line_eq(const lines_t *a, size_t i, const lines_t *b, size_t j)
{
    return a->n[i] == b->n[j] && memcmp(a->p[i], b->p[j], a->n[i]) == 0;
}

enum { OP_EQ, OP_DEL, OP_INS };
typedef struct op {
    uint8_t type;
    size_t a, b;     /* line indexes (0-based): the line, or where it goes */
} op_t;

#define DIFF_MAX_D 2000

/* Myers' O(ND) diff of a[lo_a, hi_a) and b[lo_b, hi_b), appending the
 * edit script to ops; beyond DIFF_MAX_D edits it gives up and replaces the
 * whole range (still a correct diff, only not a minimal one). */
static size_t myers(const lines_t *a, size_t lo_a, size_t hi_a, const lines_t *b, size_t lo_b, size_t hi_b,
                    op_t *ops, size_t nops)
{
    long N = (long)(hi_a - lo_a), M = (long)(hi_b - lo_b);
    long maxd = N + M < DIFF_MAX_D ? N + M : DIFF_MAX_D;
    long *v = calloc((size_t)(2 * maxd + 3), sizeof *v);
    long *trace = calloc((size_t)((maxd + 1) * (maxd + 1)), sizeof *trace);
    long D = -1;
    if (v && trace) {
        long off = maxd + 1;
        for (long d = 0; d <= maxd && D < 0; d++) {
            for (long k = -d; k <= d; k += 2) {
                long x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
                                                                                  : v[off + k - 1] + 1;
                long y = x - k;
                while (x < N && y < M && line_eq(a, lo_a + (size_t)x, b, lo_b + (size_t)y))
                    x++, y++;
                v[off + k] = x;
                if (x >= N && y >= M && D < 0)
                    D = d;
            }
            for (long k = -d; k <= d; k++)
                trace[d * d + (k + d)] = v[off + k];
        }
    }
    size_t start = nops;
    if (D < 0) {
        /* too different: all of a out, all of b in */
        for (long i = 0; i < N; i++)
            ops[nops++] = (op_t){ OP_DEL, lo_a + (size_t)i, lo_b };
        for (long j = 0; j < M; j++)
            ops[nops++] = (op_t){ OP_INS, hi_a, lo_b + (size_t)j };
    } else {
        long x = N, y = M;
        for (long d = D; d > 0; d--) {
            const long *vp = trace + (d - 1) * (d - 1);   /* round d-1: k in [-(d-1), d-1] */
            long k = x - y;
            long pk = (k == -d || (k != d && vp[k - 1 + (d - 1)] < vp[k + 1 + (d - 1)])) ? k + 1 : k - 1;
            long px = vp[pk + (d - 1)], py = px - pk;
            while (x > px && y > py) {
                x--, y--;
                ops[nops++] = (op_t){ OP_EQ, lo_a + (size_t)x, lo_b + (size_t)y };
            }
            if (pk == k + 1) {
                y--;
                ops[nops++] = (op_t){ OP_INS, lo_a + (size_t)x, lo_b + (size_t)y };
            } else {
                x--;
                ops[nops++] = (op_t){ OP_DEL, lo_a + (size_t)x, lo_b + (size_t)y };
            }
        }
        while (x > 0 && y > 0) {
            x--, y--;
            ops[nops++] = (op_t){ OP_EQ, lo_a + (size_t)x, lo_b + (size_t)y };
        }
        for (size_t i = start, j = nops - 1; i < j; i++, j--) {
            op_t t = ops[i];
            ops[i] = ops[j];
            ops[j] = t;
        }
    }
    free(v);
    free(trace);
    return nops;
}

#define DIFF_CONTEXT 3
#define DIFF_MAX_PRINTED 300

static void put_line(FILE *out, char mark, const lines_t *l, size_t i)
{
    fprintf(out, "%c%.*s\n", mark, (int)l->n[i], l->p[i]);
}

size_t scenario_diff(const char *at, size_t alen, const char *a_name, const char *bt, size_t blen,
                     const char *b_name, void *vout)
{
    FILE *out = vout;
    if (alen == blen && memcmp(at, bt, alen) == 0)
        return 0;
    lines_t a = { 0 }, b = { 0 };
    size_t first = 0;
    op_t *ops = NULL;
    if (split_lines(at, alen, &a) || split_lines(bt, blen, &b) ||
        !(ops = malloc((a.count + b.count + 1) * sizeof *ops))) {
        fprintf(out, "(out of memory for the diff)\n");
        first = 1;
        goto done;
    }
    size_t pre = 0, suf = 0, nops = 0;
    while (pre < a.count && pre < b.count && line_eq(&a, pre, &b, pre))
        pre++;
    while (suf < a.count - pre && suf < b.count - pre &&
           line_eq(&a, a.count - 1 - suf, &b, b.count - 1 - suf))
        suf++;
    for (size_t i = 0; i < pre; i++)
        ops[nops++] = (op_t){ OP_EQ, i, i };
    nops = myers(&a, pre, a.count - suf, &b, pre, b.count - suf, ops, nops);
    for (size_t i = 0; i < suf; i++)
        ops[nops++] = (op_t){ OP_EQ, a.count - suf + i, b.count - suf + i };

    size_t firstop = nops;
    for (size_t i = 0; i < nops && firstop == nops; i++)
        if (ops[i].type != OP_EQ)
            firstop = i;
    if (firstop == nops) {
        /* the same lines: only the final newline differs */
        fprintf(out, "first difference at the end: one of the files does not end in a newline\n");
        first = a.count ? a.count : 1;
        goto done;
    }
    first = ops[firstop].a + 1;
    fprintf(out, "first difference at line %zu of %s:\n", first, a_name);
    {
        const op_t *o = &ops[firstop];
        size_t ai = o->a, bi = o->b;
        fprintf(out, "  expected: %.*s\n", ai < a.count ? (int)a.n[ai] : 13, ai < a.count ? a.p[ai] : "(end of file)");
        fprintf(out, "  got:      %.*s\n", bi < b.count ? (int)b.n[bi] : 13, bi < b.count ? b.p[bi] : "(end of file)");
    }
    fprintf(out, "--- %s\n+++ %s\n", a_name, b_name);
    size_t printed = 0, i = 0, last_end = 0;
    while (i < nops) {
        if (ops[i].type == OP_EQ) {
            i++;
            continue;
        }
        size_t hs = i >= DIFF_CONTEXT ? i - DIFF_CONTEXT : 0;
        if (hs < last_end)
            hs = last_end;
        size_t j = i, he;
        for (;;) {
            while (j < nops && ops[j].type != OP_EQ)
                j++;
            size_t r = 0;
            while (j + r < nops && ops[j + r].type == OP_EQ)
                r++;
            if (j + r == nops || r > 2 * DIFF_CONTEXT) {
                he = j + (r < DIFF_CONTEXT ? r : DIFF_CONTEXT);
                break;
            }
            j += r;
        }
        size_t na = 0, nb = 0, a0 = ops[hs].a, b0 = ops[hs].b;
        for (size_t k = hs; k < he; k++) {
            if (ops[k].type != OP_INS)
                na++;
            if (ops[k].type != OP_DEL)
                nb++;
        }
        fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? a0 + 1 : a0, na, nb ? b0 + 1 : b0, nb);
        for (size_t k = hs; k < he; k++) {
            if (printed++ == DIFF_MAX_PRINTED) {
                fprintf(out, "... (the diff goes on: cut at %d lines)\n", DIFF_MAX_PRINTED);
                goto done;
            }
            if (ops[k].type == OP_EQ)
                put_line(out, ' ', &a, ops[k].a);
            else if (ops[k].type == OP_DEL)
                put_line(out, '-', &a, ops[k].a);
            else
                put_line(out, '+', &b, ops[k].b);
        }
        last_end = he;
        i = he;
    }
done:
    free(ops);
    free(a.p);
    free(a.n);
    free(b.p);
    free(b.n);
    return first ? first : 1;
}

/* ------------------------------------------------------------------ */
/* Commands                                                             */
/* ------------------------------------------------------------------ */

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int list_scenarios(const places_t *pl)
{
    DIR *dir = opendir(pl->dir);
    if (!dir) {
        errorf("%s: cannot list the scenarios: %s", pl->shown, strerror(errno));
        return EXIT_USAGE;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len <= 4 || strcmp(de->d_name + len - 4, ".scn") != 0 || len - 4 >= 64)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        names[n] = strndup(de->d_name, len - 4);
        if (names[n])
            n++;
    }
    closedir(dir);
    qsort(names, n, sizeof *names, cmp_str);
    int status = EXIT_OK;
    for (size_t k = 0; k < n; k++) {
        files_t f;
        scenario_t s;
        if (find_files(pl, names[k], &f) || load(&f, &s)) {
            status = EXIT_USAGE;
        } else {
            size_t first = strcspn(s.description, "\n");
            printf("%-18s %-4s %-5s %.*s\n", s.name, s.vmm ? "vmm" : "bare", s.isa, (int)first, s.description);
        }
        free(names[k]);
    }
    free(names);
    if (n == 0)
        printf("(no scenarios in %s)\n", pl->shown);
    return status;
}

static int write_file(const char *path, const char *shown, const char *buf, size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
        errorf("%s: cannot write: %s", shown, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return 0;
}

static size_t count_lines(const char *b, size_t len)
{
    size_t n = 0;
    for (size_t k = 0; k < len; k++)
        n += b[k] == '\n';
    return n;
}

/* Compares `got` with the file `path`; 0 equal, 1 different (diff
 * printed), -1 when the file cannot be read. */
static int compare_with(const files_t *f, const char *what, const char *path, const char *shown,
                        const char *got, size_t glen)
{
    char *want;
    size_t wlen;
    if (read_whole(path, &want, &wlen)) {
        if (errno == ENOENT)
            errorf("%s: no expected %s to check against (write it with: trapsim scenario %s --update)",
                   shown, what, f->name);
        else
            errorf("%s: cannot read: %s", shown, strerror(errno));
        return -1;
    }
    int r = 0;
    if (wlen != glen || memcmp(want, got, glen) != 0) {
        char this_run[128];
        snprintf(this_run, sizeof this_run, "scenario %s (this run)", f->name);
        printf("scenario %s: MISMATCH: the %s differs from %s\n", f->name, what, shown);
        scenario_diff(want, wlen, shown, got, glen, this_run, stdout);
        r = 1;
    }
    free(want);
    return r;
}

int scenario_main(int argc, char **argv)
{
    const char *name = NULL, *dot_file = NULL, *svg_file = NULL, *timeline_file = NULL;
    int check = 0, update = 0, list = 0, color = isatty(STDOUT_FILENO);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (strcmp(a, "--check") == 0) check = 1;
        else if (strcmp(a, "--update") == 0) update = 1;
        else if (strcmp(a, "--list") == 0) list = 1;
        else if (strcmp(a, "--no-color") == 0) color = 0;
        else if ((r = opt_value(argc, argv, &i, "--dot", &v))) {
            if (r < 0) { errorf("--dot needs a file name"); return EXIT_USAGE; }
            dot_file = v;
        } else if ((r = opt_value(argc, argv, &i, "--svg", &v))) {
            if (r < 0) { errorf("--svg needs a file name"); return EXIT_USAGE; }
            svg_file = v;
        } else if ((r = opt_value(argc, argv, &i, "--timeline", &v))) {
            if (r < 0) { errorf("--timeline needs a file name"); return EXIT_USAGE; }
            timeline_file = v;
        } else if (a[0] == '-' && a[1]) {
            errorf("scenario: unknown option '%s' (see 'trapsim --help')", a);
            return EXIT_USAGE;
        } else if (name) {
            errorf("scenario: one scenario at a time ('%s' and '%s')", name, a);
            return EXIT_USAGE;
        } else {
            name = a;
        }
    }
    places_t pl;
    find_places(&pl);
    if (list) {
        if (name || check || update) {
            errorf("scenario --list takes nothing else");
            return EXIT_USAGE;
        }
        return list_scenarios(&pl);
    }
    if (!name) {
        errorf("scenario: which one? (trapsim scenario NAME; 'trapsim scenario --list' shows them)");
        return EXIT_USAGE;
    }
    if (check && update) {
        errorf("scenario: --check or --update, not both");
        return EXIT_USAGE;
    }
    files_t f;
    scenario_t s;
    if (find_files(&pl, name, &f) || load(&f, &s))
        return EXIT_USAGE;
    /* the file's own name wins over what the argument looked like */
    snprintf(s.name, sizeof s.name, "%s", f.name);

    dot_t *dot = dot_new(s.vmm, s.timeline[0] ? s.timeline : NULL);
    if (!dot) {
        errorf("out of memory");
        return EXIT_USAGE;
    }
    char title[512];
    size_t first = strcspn(s.description, "\n");
    snprintf(title, sizeof title, "scenario %s: %.*s", s.name, (int)(first < 200 ? first : 200), s.description);

    int status;
    if (!check && !update) {
        /* The run's own end (the guest's exit status, a halt, ...) is part
         * of the scenario and its log's last line: having shown it, the
         * command succeeded. */
        status = run_scenario(&pl, &f, &s, stdout, color, dot) == EXIT_USAGE ? EXIT_USAGE : EXIT_OK;
        if (status != EXIT_USAGE && dot_write_files(dot, title, dot_file, svg_file, timeline_file))
            status = EXIT_USAGE;
        dot_free(dot);
        return status;
    }

    char *log = NULL, *graph = NULL;
    size_t loglen = 0, graphlen = 0;
    FILE *mlog = open_memstream(&log, &loglen);
    if (!mlog) {
        dot_free(dot);
        errorf("out of memory");
        return EXIT_USAGE;
    }
    int st = run_scenario(&pl, &f, &s, mlog, 0, dot);
    fclose(mlog);
    if (st == EXIT_USAGE) {
        free(log);
        dot_free(dot);
        return EXIT_USAGE;
    }
    FILE *mg = open_memstream(&graph, &graphlen);
    if (!mg) {
        free(log);
        dot_free(dot);
        errorf("out of memory");
        return EXIT_USAGE;
    }
    dot_write_graph(dot, mg, title);
    fclose(mg);
    status = EXIT_OK;
    if (update) {
        if (write_file(f.log, f.log_shown, log, loglen) || write_file(f.dot, f.dot_shown, graph, graphlen))
            status = EXIT_USAGE;
        else
            printf("scenario %s: wrote %s (%zu lines) and %s\n", s.name, f.log_shown, count_lines(log, loglen),
                   f.dot_shown);
    } else {
        int r1 = compare_with(&f, "log", f.log, f.log_shown, log, loglen);
        int r2 = r1 < 0 ? -1 : compare_with(&f, "trap-flow graph", f.dot, f.dot_shown, graph, graphlen);
        if (r1 < 0 || r2 < 0)
            status = EXIT_USAGE;
        else if (r1 || r2)
            status = EXIT_MISMATCH;
        else
            printf("scenario %s: ok (%zu lines as in %s; the graph as in %s)\n", s.name,
                   count_lines(log, loglen), f.log_shown, f.dot_shown);
    }
    if (status != EXIT_USAGE && dot_write_files(dot, title, dot_file, svg_file, timeline_file))
        status = EXIT_USAGE;
    free(log);
    free(graph);
    dot_free(dot);
    return status;
}
