/* The scenario's text view (app/scenario_view.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/scenario_view.h"
#include "cpu/cpu.h"
#include "cpu/trace.h"

#define LINE_MAX_LEN 512
#define CONSOLE_LEVEL (1u << 31)     /* trace_level_of(EV_CONSOLE) */

/* ------------------------------------------------------------------ */
/* The scenario's text view: a filtering text sink, console lines inline */
/* ------------------------------------------------------------------ */

/* A line held back: before `from` (context), or for `tail`. */
typedef struct held {
    uint64_t seq;           /* order of the lines in the log */
    uint8_t actor;          /* trace_actor(): the colour */
    uint8_t console;        /* a console line, not a trace line */
    char text[LINE_MAX_LEN];
} held_t;

typedef struct scenario_view {
    FILE *out;
    int color;
    const scenario_t *s;
    int state;              /* 0: before `from`, 1: showing, 2: after `until` */
    uint64_t shown;         /* trace lines shown (or kept for `tail`) */
    uint64_t hidden;        /* trace lines left out by `limit` */
    uint64_t code_hidden;   /* trace lines left out by `hide_code` */
    uint64_t seq;
    held_t *ctx;            /* the last `context` lines before `from` */
    size_t nctx, ctx_next;
    held_t *tail;           /* the last `tail` trace lines */
    size_t ntail, tail_next;
    held_t *cons;           /* with `tail`: every console line, kept for the end */
    size_t ncons, cons_cap;
    int oom;
    struct con {            /* the console line being printed, of each VM */
        const char *vm;     /* event_t.vm: NULL in a single-VM run */
        char text[256];
        size_t n;
        uint64_t icount;
        int ring;
    } con[SCN_MAX_VMS];
    int ncons_vm;
} view_t;

static void view_print(view_t *v, int actor, int console, const char *line)
{
    if (!v->color)
        fprintf(v->out, "%s\n", line);
    else if (console) {   /* "[VM] ICOUNT rN cons  " plain, the guest's text bold */
        const char *end = line[0] == '[' ? strchr(line, ']') : NULL;
        size_t plain = 19 + (end ? (size_t)(end - line) + 2 : 0);
        fprintf(v->out, "%.*s\033[1m%s\033[0m\n", (int)plain, line, strlen(line) > plain ? line + plain : "");
    }
    else
        fprintf(v->out, "%s%s\033[0m\n", trace_actor_color(actor), line);
}

static void hold(held_t *h, uint64_t seq, int actor, int console, const char *line)
{
    h->seq = seq;
    h->actor = (uint8_t)actor;
    h->console = (uint8_t)console;
    snprintf(h->text, sizeof h->text, "%s", line);
}

/* A line for the log: printed now, or held for the end with `tail`. */
static void view_line(view_t *v, int actor, int console, const char *line)
{
    uint64_t seq = v->seq++;
    if (!v->s->tail) {
        view_print(v, actor, console, line);
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
        hold(&v->cons[v->ncons++], seq, actor, 1, line);
    } else if (v->tail) {
        hold(&v->tail[v->tail_next], seq, actor, 0, line);
        v->tail_next = (v->tail_next + 1) % v->s->tail;
        if (v->ntail < v->s->tail)
            v->ntail++;
    }
}

static void view_console_flush(view_t *v, struct con *c)
{
    if (!c->n)
        return;
    c->text[c->n] = 0;
    char line[LINE_MAX_LEN], vm[48];
    snprintf(vm, sizeof vm, "%s%s%s", c->vm ? "[" : "", c->vm ? c->vm : "", c->vm ? "] " : "");
    snprintf(line, sizeof line, "%s%010llu r%d cons  %s", vm, (unsigned long long)c->icount, c->ring, c->text);
    view_line(v, ACTOR_CONSOLE, 1, line);
    c->n = 0;
}

/* The console line of the event's VM (the first free slot for a new one). */
static struct con *view_con(view_t *v, const char *vm)
{
    for (int k = 0; k < v->ncons_vm; k++)
        if (v->con[k].vm == vm)
            return &v->con[k];
    if (v->ncons_vm == SCN_MAX_VMS)
        return &v->con[0];
    struct con *c = &v->con[v->ncons_vm++];
    c->vm = vm;
    return c;
}

static void view_console(view_t *v, const event_t *ev)
{
    uint8_t ch = (uint8_t)ev->value;
    struct con *c = view_con(v, ev->vm);
    c->icount = ev->icount;
    c->ring = ev->ring & 3;
    if (ch == '\n') {
        if (c->n == 0) {   /* an empty console line still shows */
            char line[80];
            snprintf(line, sizeof line, "%s%s%s%010llu r%d cons", c->vm ? "[" : "", c->vm ? c->vm : "",
                     c->vm ? "] " : "", (unsigned long long)c->icount, c->ring);
            view_line(v, ACTOR_CONSOLE, 1, line);
        }
        view_console_flush(v, c);
        return;
    }
    if (ch == '\r')
        return;
    if (c->n + 5 >= sizeof c->text)
        view_console_flush(v, c);
    if (ch >= 0x20 && ch < 0x7f)
        c->text[c->n++] = (char)ch;
    else
        c->n += (size_t)snprintf(c->text + c->n, sizeof c->text - c->n, "\\x%02x", ch);
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

static void view_show(view_t *v, int actor, const char *line)
{
    if (v->s->limit && v->shown >= v->s->limit) {
        v->hidden++;
        return;
    }
    v->shown++;
    view_line(v, actor, 0, line);
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
    if (v->s->hide_hi && ev->eip >= v->s->hide_lo && ev->eip <= v->s->hide_hi) {
        v->code_hidden++;
        return;
    }
    char line[LINE_MAX_LEN];
    trace_format(ev, line, sizeof line);
    if (!view_matches(v, line))
        return;
    if (v->state == 0) {
        if (!strstr(line, v->s->from)) {
            if (v->s->context && v->ctx) {
                hold(&v->ctx[v->ctx_next], 0, trace_actor(ev), 0, line);
                v->ctx_next = (v->ctx_next + 1) % v->s->context;
                if (v->nctx < v->s->context)
                    v->nctx++;
            }
            return;
        }
        v->state = 1;
        for (size_t k = 0; k < v->nctx; k++) {
            const held_t *c = &v->ctx[(v->ctx_next + v->s->context - v->nctx + k) % v->s->context];
            view_show(v, c->actor, c->text);
        }
    }
    view_show(v, trace_actor(ev), line);
    if (v->s->until[0] && strstr(line, v->s->until))
        v->state = 2;
}

static void view_finish(void *vctx)
{
    view_t *v = vctx;
    for (int k = 0; k < v->ncons_vm; k++)
        view_console_flush(v, &v->con[k]);
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
            view_print(v, h->actor, h->console, h->text);
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
    if (v->code_hidden)
        fprintf(v->out, "== %llu trace lines of the code at %08x-%08x (%s) not shown\n",
                (unsigned long long)v->code_hidden, v->s->hide_lo, v->s->hide_hi, v->s->hide_what);
    if (v->hidden)
        fprintf(v->out, "== %llu more trace lines not shown (limit = %llu)\n",
                (unsigned long long)v->hidden, (unsigned long long)v->s->limit);
}


scenario_view_t *scenario_view_new(FILE *out, int color, const scenario_t *s)
{
    view_t *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->out = out;
    v->color = color;
    v->s = s;
    if ((s->context && !(v->ctx = calloc(s->context, sizeof *v->ctx))) ||
        (s->tail && !(v->tail = calloc(s->tail, sizeof *v->tail)))) {
        scenario_view_free(v);
        return NULL;
    }
    return v;
}

void scenario_view_free(scenario_view_t *v)
{
    if (!v)
        return;
    free(v->ctx);
    free(v->tail);
    free(v->cons);
    free(v);
}

trace_sink_t scenario_view_sink(scenario_view_t *v)
{
    return (trace_sink_t){ v->s->trace_levels | CONSOLE_LEVEL, view_emit, view_finish, v };
}
