/* Pictures of a run (app/dot.h): the trap-flow graph and the timeline of one
 * round trip, both built by one sink from the event stream.
 *
 * Where the CPU is: the ring of each event says it, except for the VMM,
 * which is host code and retires no instructions. Under --vmm a visit to the
 * VMM begins with an event delivered to ring 0 (or an EV_VMM event) and ends
 * at the first sign of the guest running again: an instruction retired
 * outside ring 0, an event delivered from the VMM into the guest, a return,
 * or an event delivered from a guest ring. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cpu/names.h"
#include "cpu/vmx.h"
#include "app/args.h"
#include "app/dot.h"
#include "cpu/symbols.h"
#include "vmm/pv_abi.h"

extern char **environ;

/* ---- parties ---- */
enum node { N_PROC, N_RING2, N_RING1, N_KERNEL, N_VMM, N_TIMER, N_CONSOLE, N_EXIT, N_PORTS, N_COUNT };
static const char *const node_id[N_COUNT] = {
    "proc", "ring2", "ring1", "kernel", "vmm", "timer", "console", "exit", "ports",
};
#define IS_DEVICE(n) ((n) >= N_TIMER)

enum lane { L_PROC, L_KERNEL, L_VMM, L_DEV, L_COUNT };

/* Fill colours follow the ring colours of the text trace (red 0, yellow 1,
 * magenta 2, green 3), lighter. */
static const char *const ring_fill[4] = { "#f4cccc", "#fff2cc", "#ead1dc", "#d9ead3" };
#define DEVICE_FILL "#e8e8e8"

/* ---- the graph ---- */
enum estyle { E_TRAP, E_RETURN, E_IO, E_PG };

typedef struct edge {
    uint8_t from, to, style;
    char label[48];
    uint64_t count;
} edge_t;

/* ---- the timeline ---- */
enum skind { S_TRAP, S_RETURN, S_IO, S_NOTE, S_PG, S_STOP };

typedef struct step {
    uint8_t from, to, kind;   /* lanes; from == to: a note on that lane */
    char label[160];          /* what is drawn */
    char key[48];             /* what counts when finding repeats (no values) */
} step_t;

#define TL_MAX_RAW 4000       /* steps kept for one round trip */
#define TL_END_RAW 400        /* steps kept for "end": the last ones */
#define TL_MAX_PERIOD 12      /* longest repeating block that is folded */
#define MAX_ACTORS 12

struct dot {
    int vmm;                  /* DOT_TE: ring 0 is the VMM */
    int vtx;                  /* DOT_VTX: the hypervisor is in root operation */
    int entering;             /* vtx: a VM entry that injects, its delivery not seen yet */
    int entry_ring;           /* ... the guest's ring it enters */
    char entry_label[48];     /* ... what it injects, as its interruption information says */
    char anchor[48];

    edge_t *edges;
    size_t nedges, cap;
    int used[N_COUNT];

    int in_vmm;               /* the VMM is running (a visit is open) */
    int vmm_action;           /* the most telling action of this visit (the highest vmm_action_t), -1: none yet */
    struct { int action; uint64_t count; } actors[MAX_ACTORS];   /* the VMM's actions, in order of first use */
    int nactors;

    int have_last;            /* the last instruction seen, for "#GP lidt" */
    uint64_t last_icount;
    uint32_t last_eip;
    int last_ring;
    const char *last_mnem;
    char stop[256];

    int tl_end;               /* anchor "end": the last steps of the run */
    int tl_state;             /* 0: waiting for the anchor, 1: recording, 2: done */
    int tl_ring;              /* the ring the round trip started from */
    int tl_truncated;         /* more than TL_MAX_RAW steps */
    step_t *steps;
    size_t nsteps;
    step_t pre[DOT_TIMELINE_STEPS];   /* the run's first steps (no anchor found) */
    size_t npre;
};

int dot_mode_add(int mode, vm_monitor_t mon)
{
    if (mode == DOT_TE || vm_monitor_deprivileges(mon))
        return DOT_TE;
    return mon == MON_VTX ? DOT_VTX : mode;
}

dot_t *dot_new(int mode, const char *anchor)
{
    dot_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->vmm = mode == DOT_TE;
    d->vtx = mode == DOT_VTX;
    d->vmm_action = -1;
    snprintf(d->anchor, sizeof d->anchor, "%s", anchor && *anchor ? anchor : DOT_DEFAULT_ANCHOR);
    d->tl_end = strcmp(d->anchor, "end") == 0;
    return d;
}

void dot_free(dot_t *d)
{
    if (!d)
        return;
    free(d->edges);
    free(d->steps);
    free(d);
}

static int node_of_ring(const dot_t *d, int ring)
{
    switch (ring & 3) {
    case 3: return N_PROC;
    case 2: return N_RING2;
    case 1: return d->vmm ? N_KERNEL : N_RING1;
    default: return d->vmm ? N_VMM : N_KERNEL;
    }
}

static int lane_of_node(int n)
{
    switch (n) {
    case N_PROC: return L_PROC;
    case N_VMM: return L_VMM;
    case N_RING2: case N_RING1: case N_KERNEL: return L_KERNEL;
    default: return L_DEV;
    }
}

static int device_of_port(uint16_t port)
{
    if (port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 || (port >= 0x40 && port <= 0x43))
        return N_TIMER;
    if ((port >= 0x3f8 && port <= 0x3ff) || port == 0xe9)
        return N_CONSOLE;
    if (port >= 0xf4 && port <= 0xf7)
        return N_EXIT;
    return N_PORTS;
}

static void edge_add(dot_t *d, int from, int to, int style, const char *label)
{
    d->used[from] = d->used[to] = 1;
    for (size_t k = 0; k < d->nedges; k++) {
        edge_t *e = &d->edges[k];
        if (e->from == from && e->to == to && e->style == style && strcmp(e->label, label) == 0) {
            e->count++;
            return;
        }
    }
    if (d->nedges == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 32;
        edge_t *e = realloc(d->edges, cap * sizeof *e);
        if (!e)
            return;
        d->edges = e;
        d->cap = cap;
    }
    edge_t *e = &d->edges[d->nedges++];
    e->from = (uint8_t)from;
    e->to = (uint8_t)to;
    e->style = (uint8_t)style;
    snprintf(e->label, sizeof e->label, "%s", label);
    e->count = 1;
}

/* One step of the timeline: into the round trip while recording, into the
 * run's first steps while no anchor has been seen. */
static void step_add(dot_t *d, int from, int to, int kind, const char *label, const char *key)
{
    step_t *s;
    if (d->tl_end) {
        /* a ring of the last TL_END_RAW steps; nsteps counts them all */
        if (!d->steps && !(d->steps = malloc(TL_END_RAW * sizeof *d->steps)))
            return;
        s = &d->steps[d->nsteps++ % TL_END_RAW];
    } else if (d->tl_state == 1) {
        if (d->nsteps >= TL_MAX_RAW) {
            d->tl_truncated = 1;
            d->tl_state = 2;
            return;
        }
        if (!d->steps && !(d->steps = malloc(TL_MAX_RAW * sizeof *d->steps))) {
            d->tl_state = 2;
            return;
        }
        s = &d->steps[d->nsteps++];
    } else if (d->tl_state == 0 && d->npre < DOT_TIMELINE_STEPS) {
        s = &d->pre[d->npre++];
    } else {
        return;
    }
    s->from = (uint8_t)from;
    s->to = (uint8_t)to;
    s->kind = (uint8_t)kind;
    snprintf(s->label, sizeof s->label, "%s", label);
    snprintf(s->key, sizeof s->key, "%s", key ? key : label);
}

/* The VMM resumes the guest in `ring`; label: what it did last. */
static void vmm_leave(dot_t *d, int ring, const char *label)
{
    if (!label || !*label)
        label = d->vmm_action >= 0 ? vmm_action_name(d->vmm_action) : "return";
    int to = node_of_ring(d, ring);
    edge_add(d, N_VMM, to, E_RETURN, label);
    step_add(d, L_VMM, lane_of_node(to), S_RETURN, label, NULL);
    d->in_vmm = 0;
}

/* "int 0x80", "IRQ0", "#GP lidt" (the instruction that raised it, when it
 * is the one just seen). */
static void delivery_label(const dot_t *d, const event_t *ev, char *buf, size_t n)
{
    if (ev->kind == EV_SOFTINT && ev->vector == PV_HYPERCALL_VECTOR && (ev->ring & 3) == PV_KERNEL_RPL && d->vmm) {
        snprintf(buf, n, "hypercall");   /* --vmm=pv: int $0x82 from the guest kernel */
    } else if (ev->kind == EV_SOFTINT) {
        snprintf(buf, n, "int 0x%02x", ev->vector);
    } else if (ev->kind == EV_IRQ) {
        snprintf(buf, n, "IRQ%d", ev->irq);
    } else {
        const char *name = exc_name(ev->vector);
        if (d->have_last && d->last_eip == ev->eip && d->last_icount == ev->icount)
            snprintf(buf, n, "%s %s", name, d->last_mnem);
        else
            snprintf(buf, n, "%s", name);
    }
}

static void vtx_entered(dot_t *d, int ring, const char *injected);

static void on_delivery(dot_t *d, const event_t *ev)
{
    char label[48];
    delivery_label(d, ev, label, sizeof label);
    if (d->entering) {   /* the event the VM entry injects */
        vtx_entered(d, ev->to_ring, label);
        return;
    }
    if (d->in_vmm && !d->vtx) {
        if ((ev->ring & 3) == 0 && ev->kind != EV_IRQ) {
            /* the VMM delivers into the guest through the CPU */
            if ((ev->to_ring & 3) != 0)
                vmm_leave(d, ev->to_ring, label);
            return;
        }
        vmm_leave(d, ev->ring, NULL);   /* resumed, and at once interrupted */
    }
    int from = ev->kind == EV_IRQ ? (ev->irq == 4 ? N_CONSOLE : N_TIMER) : node_of_ring(d, ev->ring);
    int to = node_of_ring(d, ev->to_ring);
    edge_add(d, from, to, E_TRAP, label);
    if (d->tl_state == 0 && !d->tl_end && strncmp(label, d->anchor, strlen(d->anchor)) == 0) {
        d->tl_state = 1;
        d->tl_ring = ev->ring & 3;
    }
    char tl[160], sym[80];
    symtab_format(ev->syms, ev->target, sym, sizeof sym);   /* the handler, when the image names it */
    if (ev->kind == EV_IRQ)
        snprintf(tl, sizeof tl, "%s (%s)%s", label, from == N_TIMER ? "timer" : "UART", sym);
    else
        snprintf(tl, sizeof tl, "%s%s", label, sym);
    int lf = lane_of_node(from), lt = lane_of_node(to);
    step_add(d, lf, lt, lf == lt ? S_NOTE : S_TRAP, tl, label);
    if (d->vmm && (ev->to_ring & 3) == 0) {
        d->in_vmm = 1;
        d->vmm_action = -1;
    }
}

static void on_return(dot_t *d, const event_t *ev)
{
    const char *what = ev->text ? ev->text : "return";
    if (d->in_vmm && !d->vtx) {
        if ((ev->ring & 3) == 0) {      /* the VMM's own exit to the guest */
            vmm_leave(d, ev->to_ring, NULL);
            return;
        }
        vmm_leave(d, ev->ring, NULL);
    }
    int from = node_of_ring(d, ev->ring), to = node_of_ring(d, ev->to_ring);
    edge_add(d, from, to, E_RETURN, what);
    step_add(d, lane_of_node(from), lane_of_node(to), S_RETURN, what, NULL);
}

static void on_io(dot_t *d, const event_t *ev)
{
    int from = d->in_vmm ? N_VMM : node_of_ring(d, ev->ring);
    int dev = device_of_port(ev->port);
    edge_add(d, from, dev, E_IO, ev->is_write ? "out" : "in");
    char tl[48];
    snprintf(tl, sizeof tl, "%s 0x%x", ev->is_write ? "out" : "in", ev->port);
    step_add(d, lane_of_node(from), L_DEV, S_IO, tl, NULL);
}

/* Which of a visit's actions names the way back into the guest: what was
 * done for the guest beats the bookkeeping around it (setup, exit, shadow);
 * the enum is in that order (cpu/trace.h), and an unnamed action (VA_NONE)
 * ranks above the bookkeeping. */
static int action_rank(int action)
{
    return action == VA_NONE ? 2 * VA_SHADOW + 1 : 2 * action;
}

static void on_vmm(dot_t *d, const event_t *ev)
{
    int action = ev->action < VA_COUNT ? ev->action : VA_NONE;
    const char *actor = vmm_action_name(action);
    if (!d->in_vmm)
        d->vmm_action = -1;
    d->in_vmm = 1;
    if (d->vmm_action < 0 || action_rank(action) >= action_rank(d->vmm_action))
        d->vmm_action = action;
    d->used[N_VMM] = 1;
    int k;
    for (k = 0; k < d->nactors; k++)
        if (d->actors[k].action == action)
            break;
    if (k == d->nactors && d->nactors < MAX_ACTORS)
        d->actors[d->nactors++].action = action;
    if (k < d->nactors)
        d->actors[k].count++;
    /* the timeline leaves out the exits: the arrow into the VMM says it */
    if (action == VA_EXIT)
        return;
    const char *text = ev->text ? ev->text : "";
    char tl[160], key[48];
    snprintf(tl, sizeof tl, "%s: %s", actor, text);
    /* notes repeat when they differ only in numbers (addresses, values) */
    snprintf(key, sizeof key, "%s: %.*s", actor, (int)strcspn(text, "0123456789"), text);
    step_add(d, L_VMM, L_VMM, S_NOTE, tl, key);
}

/* --vmm=dbt: a fragment went back to the translator, which went on in the
 * translation cache: the guest kernel's round trips without a trap. */
static void on_dbt(dot_t *d, const event_t *ev)
{
    if (ev->action != DA_EXIT)
        return;
    int from = node_of_ring(d, ev->ring);
    edge_add(d, from, N_VMM, E_TRAP, "translator");
    edge_add(d, N_VMM, from, E_RETURN, "into the TC");
}

static void on_pg(dot_t *d, const event_t *ev)
{
    char mnem[24] = "";
    if (d->have_last && d->last_eip == ev->eip)
        snprintf(mnem, sizeof mnem, "%s", d->last_mnem);
    else if (ev->text)
        snprintf(mnem, sizeof mnem, "%.*s", (int)strcspn(ev->text, " :,"), ev->text);
    char label[48];
    snprintf(label, sizeof label, "%s (no trap)", mnem[0] ? mnem : "sensitive");
    /* the ring of the instruction concerned, when it is the one just seen */
    int from = node_of_ring(d, d->have_last && d->last_eip == ev->eip ? d->last_ring : ev->ring);
    if (from == N_VMM)
        from = N_KERNEL;
    if (d->vmm)
        edge_add(d, from, N_VMM, E_PG, label);
    char tl[160];
    const char *text = ev->text ? ev->text : label;
    const char *semi = strstr(text, "; ");   /* the what, without the why */
    snprintf(tl, sizeof tl, "no trap: %.*s", (int)(semi ? (size_t)(semi - text) : strlen(text)), text);
    step_add(d, lane_of_node(from), lane_of_node(from), S_PG, tl, label);
}

/* ---- VT-x: VM exits into the hypervisor, VM entries back ---- */

/* The hypervisor's VM entry into the guest's `ring` is done; `injected`:
 * the event it delivered, or NULL. */
static void vtx_entered(dot_t *d, int ring, const char *injected)
{
    char label[64];
    snprintf(label, sizeof label, "VM entry%s%s", injected ? ", inject " : "", injected ? injected : "");
    int to = node_of_ring(d, ring);
    edge_add(d, N_VMM, to, E_RETURN, label);
    step_add(d, L_VMM, lane_of_node(to), S_RETURN, label, NULL);
    d->in_vmm = 0;
    d->entering = 0;
}

static void on_vmx(dot_t *d, const event_t *ev)
{
    if (!d->vtx)
        return;   /* a guest hypervisor's VMX (the minivisor) is not drawn */
    if (d->entering)   /* the injection did not reach the guest's IDT */
        vtx_entered(d, d->entry_ring, d->entry_label);
    if (ev->vmx_kind == VX_ENTRY) {
        uint32_t info = ev->vmx_reason;
        if (!(info >> 31)) {
            vtx_entered(d, ev->to_ring, NULL);
            return;
        }
        int vector = info & 0xff, type = (info >> 8) & 7;
        if (type == INTR_EXT)
            snprintf(d->entry_label, sizeof d->entry_label, "vector 0x%02x", vector);
        else if (type == INTR_SW_INT)
            snprintf(d->entry_label, sizeof d->entry_label, "int 0x%02x", vector);
        else
            snprintf(d->entry_label, sizeof d->entry_label, "%s", exc_name(vector));
        d->entering = 1;
        d->entry_ring = ev->to_ring & 3;
        return;
    }
    if (ev->vmx_kind != VX_EXIT)
        return;
    const char *name = vmx_exit_name((int)(ev->vmx_reason & 0xffff));
    /* a VM-entry failure never left the hypervisor */
    int from = (ev->vmx_reason & VMX_EXIT_ENTRY_FAILURE) ? N_VMM : node_of_ring(d, ev->ring);
    edge_add(d, from, N_VMM, E_TRAP, name);
    if (d->tl_state == 0 && !d->tl_end && strncmp(name, d->anchor, strlen(d->anchor)) == 0) {
        d->tl_state = 1;
        d->tl_ring = ev->ring & 3;
    }
    char tl[160];
    snprintf(tl, sizeof tl, "VM exit: %s", name);
    step_add(d, lane_of_node(from), L_VMM, from == N_VMM ? S_NOTE : S_TRAP, tl, NULL);
    d->in_vmm = 1;
}

void dot_emit(void *ctx, const event_t *ev)
{
    dot_t *d = ctx;
    if (d->entering && ev->kind != EV_EXC && ev->kind != EV_IRQ && ev->kind != EV_SOFTINT &&
        ev->kind != EV_VMX && ev->kind != EV_CONSOLE)
        vtx_entered(d, d->entry_ring, d->entry_label);
    switch (ev->kind) {
    case EV_INSN:
        if (d->in_vmm && !d->vtx && (ev->ring & 3) != 0)
            vmm_leave(d, ev->ring, NULL);
        d->have_last = 1;
        d->last_icount = ev->icount;
        d->last_eip = ev->eip;
        d->last_ring = ev->ring & 3;
        d->last_mnem = ev->insn ? isa_mnemonic(ev->insn) : "?";
        if (d->tl_state == 1 && (ev->ring & 3) == d->tl_ring && !d->in_vmm)
            d->tl_state = 2;    /* back where the round trip began */
        break;
    case EV_EXC: case EV_IRQ: case EV_SOFTINT:
        on_delivery(d, ev);
        break;
    case EV_RETURN:
        on_return(d, ev);
        break;
    case EV_IO:
        on_io(d, ev);
        break;
    case EV_VMM:
        on_vmm(d, ev);
        break;
    case EV_PG:
        on_pg(d, ev);
        break;
    case EV_DBT:
        on_dbt(d, ev);
        break;
    case EV_STOP: {
        snprintf(d->stop, sizeof d->stop, "%s", ev->text ? ev->text : "");
        int n = d->in_vmm ? N_VMM : node_of_ring(d, ev->ring);
        char tl[160];
        snprintf(tl, sizeof tl, "stop: %.150s", d->stop);
        step_add(d, lane_of_node(n), lane_of_node(n), S_STOP, tl, NULL);
        if (d->tl_state == 1)
            d->tl_state = 2;
        break;
    }
    case EV_VMX:
        on_vmx(d, ev);
        break;
    case EV_CONSOLE:
        break;
    }
}

/* ---- writing dot ---- */

/* A dot string body: quotes and backslashes escaped, newlines as \n, other
 * control bytes dropped. */
static void put_esc(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c >= 0x20 && c != 0x7f)
            fputc(c, out);
    }
}

/* Text wrapped at spaces to lines of at most `width` characters, as a dot
 * string body. */
static int put_wrapped(FILE *out, const char *s, int width)
{
    char line[128];
    int lines = 0;
    while (*s) {
        int n = (int)strlen(s);
        if (n > width) {
            n = width;
            while (n > width / 2 && s[n] != ' ')
                n--;
            if (s[n] != ' ')
                n = width;
        }
        snprintf(line, sizeof line, "%.*s", n, s);
        if (lines++)
            fputs("\\n", out);
        put_esc(out, line);
        s += n;
        while (*s == ' ')
            s++;
    }
    return lines ? lines : 1;
}

static const char *node_label(const dot_t *d, int n)
{
    switch (n) {
    case N_PROC:    return d->vtx ? "processes\nring 3, non-root" : "processes\nring 3";
    case N_RING2:   return "ring 2";
    case N_RING1:   return "ring 1";
    case N_KERNEL:  return d->vmm ? "guest OS kernel\nring 1 (deprivileged)"
                         : d->vtx ? "guest OS kernel\nring 0, non-root" : "OS kernel\nring 0";
    case N_VMM:     return d->vtx ? "hypervisor\nroot mode (VMX root, ring 0)" : "VMM\nring 0";
    case N_TIMER:   return "timer\nPIT + PIC";
    case N_CONSOLE: return "console\nCOM1, port 0xe9";
    case N_EXIT:    return "debug exit\nport 0xf4";
    default:        return "other ports";
    }
}

static const char *node_fill(const dot_t *d, int n)
{
    switch (n) {
    case N_PROC:   return ring_fill[3];
    case N_RING2:  return ring_fill[2];
    case N_RING1:  return ring_fill[1];
    case N_KERNEL: return ring_fill[d->vmm ? 1 : 0];
    case N_VMM:    return ring_fill[0];
    default:       return DEVICE_FILL;
    }
}

/* Thicker edges for more traffic, in four steps. */
static const char *penwidth(uint64_t count)
{
    return count < 10 ? "1" : count < 100 ? "1.5" : count < 1000 ? "2" : "2.5";
}

static void graph_header(FILE *out, const char *name, const char *title, const char *sub, const char *extra)
{
    fprintf(out, "digraph %s {\n", name);
    fputs("  graph [labelloc=t, fontname=\"Helvetica\", fontsize=12", out);
    if (extra)
        fprintf(out, ", %s", extra);
    fputs(", label=\"", out);
    put_esc(out, title ? title : "trapsim");
    if (sub && *sub) {
        fputs("\\n", out);
        put_esc(out, sub);
    }
    fputs("\"];\n", out);
}

void dot_write_graph(const dot_t *d, FILE *out, const char *title)
{
    int used[N_COUNT];
    memcpy(used, d->used, sizeof used);
    used[N_KERNEL] = 1;
    if (d->vmm || d->vtx)
        used[N_VMM] = 1;
    else
        used[N_VMM] = 0;
    graph_header(out, "trapflow", title, d->stop, "rankdir=TB, nodesep=0.7, ranksep=0.8");
    fputs("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n", out);
    fputs("  edge [fontname=\"Helvetica\", fontsize=9];\n", out);
    for (int n = 0; n < N_COUNT; n++) {
        if (!used[n])
            continue;
        fprintf(out, "  %s [label=\"", node_id[n]);
        put_esc(out, node_label(d, n));
        if (n == N_VMM)
            for (int k = 0; k < d->nactors; k++) {
                fputs("\\n", out);
                put_esc(out, vmm_action_name(d->actors[k].action));
                fprintf(out, " x%llu", (unsigned long long)d->actors[k].count);
            }
        fprintf(out, "\", fillcolor=\"%s\"%s];\n", node_fill(d, n),
                IS_DEVICE(n) ? ", shape=component, style=filled" : "");
    }
    /* under VT-x, the lecture's two modes as boxes around their parties */
    if (d->vtx) {
        fputs("  subgraph cluster_nonroot { label=\"VMX non-root operation: the VM\"; style=dashed;", out);
        for (int n = N_PROC; n <= N_KERNEL; n++)
            if (used[n])
                fprintf(out, " %s;", node_id[n]);
        fputs(" }\n  subgraph cluster_root { label=\"VMX root operation\"; style=dashed; vmm; }\n", out);
    }
    /* the rings from top to bottom, the devices underneath */
    int prev = -1, ndev = 0;
    for (int n = 0; n < N_COUNT; n++) {
        if (!used[n])
            continue;
        if (IS_DEVICE(n)) {
            if (ndev++ == 0 && prev >= 0)
                fprintf(out, "  %s -> %s [style=invis];\n", node_id[prev], node_id[n]);
            continue;
        }
        if (prev >= 0)
            fprintf(out, "  %s -> %s [style=invis];\n", node_id[prev], node_id[n]);
        prev = n;
    }
    if (ndev > 1) {
        fputs("  { rank=same;", out);
        for (int n = N_TIMER; n < N_COUNT; n++)
            if (used[n])
                fprintf(out, " %s;", node_id[n]);
        fputs(" }\n", out);
    }
    /* one arrow per pair of parties and style; its label lists each cause
     * with its count, the most frequent first */
    static const char *const style[] = {
        [E_TRAP] = "",
        [E_RETURN] = ", style=dashed, color=\"gray35\"",
        [E_IO] = ", style=dotted, color=\"gray45\"",
        [E_PG] = ", style=dashed, color=\"red\", fontcolor=\"red\"",
    };
    size_t *group = malloc((d->nedges + 1) * sizeof *group);
    char *done = calloc(d->nedges + 1, 1);
    for (size_t k = 0; group && done && k < d->nedges; k++) {
        if (done[k])
            continue;
        const edge_t *e = &d->edges[k];
        size_t n = 0;
        uint64_t total = 0;
        for (size_t j = k; j < d->nedges; j++) {
            const edge_t *f = &d->edges[j];
            if (!done[j] && f->from == e->from && f->to == e->to && f->style == e->style) {
                size_t at = n++;
                while (at > 0 && d->edges[group[at - 1]].count < f->count) {
                    group[at] = group[at - 1];
                    at--;
                }
                group[at] = j;
                done[j] = 1;
                total += f->count;
            }
        }
        /* an edge up the picture is laid out downwards and drawn reversed,
         * so that both directions between two parties run side by side */
        int up = e->from > e->to;
        fprintf(out, "  %s -> %s [label=\"", node_id[up ? e->to : e->from], node_id[up ? e->from : e->to]);
        for (size_t j = 0; j < n; j++) {
            const edge_t *f = &d->edges[group[j]];
            if (j)
                fputs("\\n", out);
            put_esc(out, f->label);
            fprintf(out, " x%llu", (unsigned long long)f->count);
        }
        fprintf(out, "\", penwidth=%s%s%s];\n", penwidth(total), style[e->style], up ? ", dir=back" : "");
    }
    free(group);
    free(done);
    fputs("}\n", out);
}

/* Steps that count as the same when looking for repeats. */
static int same_step(const step_t *a, const step_t *b)
{
    return a->from == b->from && a->to == b->to && a->kind == b->kind && strcmp(a->key, b->key) == 0;
}

static int same_block(const step_t *s, size_t i, size_t j, size_t p)
{
    for (size_t k = 0; k < p; k++)
        if (!same_step(&s[i + k], &s[j + k]))
            return 0;
    return 1;
}

/* Centimeter-free geometry: positions in hundredths of an inch, printed
 * without floating point so the text is the same everywhere. */
#define LANE_DX 260
#define ROW_DY 42
#define LINE_DY 15
static void put_pos(FILE *out, int x, int y)
{
    fprintf(out, "pos=\"%s%d.%02d,%s%d.%02d!\"", x < 0 ? "-" : "", abs(x) / 100, abs(x) % 100,
            y < 0 ? "-" : "", abs(y) / 100, abs(y) % 100);
}

typedef struct item {
    const step_t *step;
    size_t reps;              /* how many times its block repeats (1: once) */
} item_t;

void dot_write_timeline(const dot_t *d, FILE *out, const char *title)
{
    step_t *ring = NULL;
    const step_t *s;
    size_t n;
    char sub[160];
    if (d->tl_end) {
        /* the ring of last steps, oldest first */
        n = d->nsteps < TL_END_RAW ? d->nsteps : TL_END_RAW;
        ring = malloc((n + 1) * sizeof *ring);
        for (size_t k = 0; ring && k < n; k++)
            ring[k] = d->steps[(d->nsteps - n + k) % TL_END_RAW];
        if (!ring)
            n = 0;
        s = ring;
        snprintf(sub, sizeof sub, "the last steps before the run ended");
    } else if (d->tl_state != 0) {
        s = d->steps;
        n = d->nsteps;
        snprintf(sub, sizeof sub, "the round trip of the first %s%s", d->anchor,
                 d->tl_truncated ? " (cut short)" : "");
    } else {
        s = d->pre;
        n = d->npre;
        snprintf(sub, sizeof sub, "the first %zu steps of the run (no %s in it)", n, d->anchor);
    }
    /* fold repeats: the longest-covering repeating block at each place */
    item_t *items = malloc((n + 1) * sizeof *items);
    size_t nitems = 0;
    for (size_t i = 0; items && i < n;) {
        size_t best_p = 1, best_r = 1;
        for (size_t p = 1; p <= TL_MAX_PERIOD && i + 2 * p <= n; p++) {
            size_t r = 1;
            while (i + (r + 1) * p <= n && same_block(s, i, i + r * p, p))
                r++;
            if (r >= 2 && r * p > best_r * best_p) {
                best_p = p;
                best_r = r;
            }
        }
        for (size_t k = 0; k < best_p; k++)
            items[nitems++] = (item_t){ &s[i + k], best_r };
        i += best_p * best_r;
    }
    /* which items are drawn: the first DOT_TIMELINE_STEPS, or the last */
    size_t first = 0, last = nitems;
    if (nitems > DOT_TIMELINE_STEPS) {
        if (d->tl_end)
            first = nitems - DOT_TIMELINE_STEPS;
        else
            last = DOT_TIMELINE_STEPS;
    }
    size_t before = 0, after = 0;
    for (size_t k = 0; k < first; k++)
        before += items[k].reps;
    for (size_t k = last; k < nitems; k++)
        after += items[k].reps;
    if (d->tl_end && d->nsteps > n)
        before += d->nsteps - n;

    /* lanes present: process and kernel always, the VMM under --vmm */
    int x[L_COUNT], col = 0;
    const char *head[L_COUNT] = {
        "process\nring 3", d->vmm ? "guest OS kernel\nring 1" : "OS kernel\nring 0", "VMM\nring 0",
        "devices\ntimer, PIC, console",
    };
    if (d->vtx) {
        head[L_PROC] = "process\nring 3, non-root";
        head[L_KERNEL] = "guest OS kernel\nring 0, non-root";
        head[L_VMM] = "hypervisor\nroot mode";
    }
    const char *fill[L_COUNT] = { ring_fill[3], ring_fill[d->vmm ? 1 : 0], ring_fill[0], DEVICE_FILL };
    for (int l = 0; l < L_COUNT; l++)
        x[l] = (l == L_VMM && !d->vmm && !d->vtx) ? -1 : LANE_DX * col++;

    graph_header(out, "timeline", title, sub, "layout=neato, splines=line, outputorder=edgesfirst");
    fputs("  node [fontname=\"Helvetica\", fontsize=10];\n", out);
    fputs("  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n", out);
    for (int l = 0; l < L_COUNT; l++) {
        if (x[l] < 0)
            continue;
        fprintf(out, "  h%d [label=\"", l);
        put_esc(out, head[l]);
        fprintf(out, "\", shape=box, style=\"rounded,filled\", fillcolor=\"%s\", ", fill[l]);
        put_pos(out, x[l], 0);
        fputs("];\n", out);
    }
    int y = -60, id = 0;
    if (before) {
        fprintf(out, "  e0 [shape=plaintext, fontsize=9, label=\"... %zu earlier steps not drawn\", ", before);
        put_pos(out, x[L_KERNEL], y);
        fputs("];\n", out);
        y -= ROW_DY;
    }
    for (size_t k = first; k < last; k++) {
        const step_t *t = items[k].step;
        char label[200];
        if (items[k].reps > 1)
            snprintf(label, sizeof label, "%s (x%zu)", t->label, items[k].reps);
        else
            snprintf(label, sizeof label, "%s", t->label);
        int lines = 1;
        if (t->from == t->to || x[t->from] < 0 || x[t->to] < 0) {
            int l = x[t->from] >= 0 ? t->from : L_KERNEL;
            const char *color = t->kind == S_PG ? "#ffd0d0" : t->kind == S_STOP ? "#dddddd" : "#fffbe6";
            fprintf(out, "  n%d [shape=note, fontsize=9, style=filled, fillcolor=\"%s\"%s, label=\"", id,
                    color, t->kind == S_PG ? ", color=red, fontcolor=red" : "");
            lines = put_wrapped(out, label, 44);
            fputs("\", ", out);
            put_pos(out, x[l], y - (lines - 1) * LINE_DY / 2);
            fputs("];\n", out);
        } else {
            static const char *const style[] = {
                [S_TRAP] = "penwidth=1.3", [S_RETURN] = "style=dashed, color=\"gray35\"",
                [S_IO] = "style=dotted, color=\"gray35\"", [S_NOTE] = "", [S_PG] = "color=red",
                [S_STOP] = "",
            };
            fprintf(out, "  a%d [shape=point, width=0.02, style=invis, ", id);
            put_pos(out, x[t->from], y);
            fprintf(out, "];\n  b%d [shape=point, width=0.02, style=invis, ", id);
            put_pos(out, x[t->to], y);
            fprintf(out, "];\n  a%d -> b%d [%s];\n", id, id, style[t->kind]);
            fprintf(out, "  t%d [shape=plaintext, fontsize=9, label=\"", id);
            put_esc(out, label);
            fputs("\", ", out);
            put_pos(out, (x[t->from] + x[t->to]) / 2, y + 12);
            fputs("];\n", out);
        }
        y -= ROW_DY + (lines - 1) * LINE_DY;
        id++;
    }
    if (after) {
        fprintf(out, "  n%d [shape=plaintext, fontsize=9, label=\"... %zu more steps not drawn\", ", id, after);
        put_pos(out, x[L_KERNEL], y);
        fputs("];\n", out);
        y -= ROW_DY;
    }
    /* lifelines */
    for (int l = 0; l < L_COUNT; l++) {
        if (x[l] < 0)
            continue;
        fprintf(out, "  f%d [shape=point, width=0.02, style=invis, ", l);
        put_pos(out, x[l], y);
        fprintf(out, "];\n  h%d -> f%d [arrowhead=none, style=dashed, color=\"gray70\"];\n", l, l);
    }
    fputs("}\n", out);
    free(items);
    free(ring);
}

/* ---- files ---- */

int dot_render_svg(const char *text, size_t len, const char *svg_file, char *err, size_t errlen)
{
    int fds[2];
    if (pipe(fds)) {
        snprintf(err, errlen, "%s: cannot run Graphviz's dot: %s", svg_file, strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    char *argv[] = { "dot", "-Tsvg", "-o", (char *)svg_file, NULL };
    pid_t pid;
    int rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (rc) {
        close(fds[1]);
        snprintf(err, errlen, "%s: cannot run Graphviz's dot (%s): install Graphviz "
                 "(apt-get install graphviz)", svg_file, strerror(rc));
        return -1;
    }
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fds[1], text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fds[1]);
    signal(SIGPIPE, old);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || off < len) {
        snprintf(err, errlen, "%s: Graphviz's dot -Tsvg failed (%s %d)", svg_file,
                 WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        return -1;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Writes dot text to `file`, or renders it to SVG when `svg`. */
static int write_one(const char *file, int svg, void (*gen)(const dot_t *, FILE *, const char *),
                     const dot_t *d, const char *title)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        errorf("%s: out of memory", file);
        return -1;
    }
    gen(d, mem, title);
    fclose(mem);
    int rc = 0;
    if (svg) {
        char err[512];
        if (dot_render_svg(buf, len, file, err, sizeof err)) {
            errorf("%s", err);
            rc = -1;
        }
    } else {
        FILE *f = fopen(file, "w");
        if (!f || fwrite(buf, 1, len, f) != len) {
            errorf("%s: cannot write: %s", file, strerror(errno));
            rc = -1;
        }
        if (f && fclose(f) && rc == 0) {
            errorf("%s: cannot write: %s", file, strerror(errno));
            rc = -1;
        }
    }
    free(buf);
    return rc;
}

int dot_write_files(const dot_t *d, const char *title, const char *dot_file,
                    const char *svg_file, const char *timeline_file)
{
    int rc = 0;
    if (dot_file && write_one(dot_file, 0, dot_write_graph, d, title))
        rc = -1;
    if (svg_file && write_one(svg_file, 1, dot_write_graph, d, title))
        rc = -1;
    if (timeline_file && write_one(timeline_file, ends_with(timeline_file, ".svg"), dot_write_timeline, d, title))
        rc = -1;
    return rc;
}
