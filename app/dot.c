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
#include <stdarg.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cpu/names.h"
#include "cpu/symbols.h"
#include "cpu/vmx.h"
#include "app/args.h"
#include "app/dot.h"
#include "vmm/pv_abi.h"

extern char **environ;

/* ---- parties ---- */
enum node { N_PROC, N_RING2, N_RING1, N_KERNEL, N_VMM, N_UNSEEN, N_TIMER, N_CONSOLE, N_EXIT, N_PORTS, N_COUNT };
enum lane { L_PROC, L_KERNEL, L_VMM, L_DEV, L_COUNT };
enum pkind { P_RING, P_NOTE, P_DEVICE };

/* Fill colours follow the ring colours of the text trace (red 0, yellow 1,
 * magenta 2, green 3), lighter; FILL_DEVICE and FILL_NOTE are the others. */
static const char *const fill_color[] = { "#f4cccc", "#fff2cc", "#ead1dc", "#d9ead3", "#e8e8e8", "#ffe8e8" };
#define FILL_DEVICE 4
#define FILL_NOTE 5

/* One row per party: a new party (a monitor's own node) is a row here and
 * a value of enum node, not a case in the code. label_vmm and fill_vmm
 * apply when a monitor deprivileges the guest (NULL / -1: as bare),
 * label_vtx under VT-x (NULL: as bare). */
typedef struct party {
    const char *id, *label, *label_vmm, *label_vtx;
    int8_t fill, fill_vmm;
    uint8_t lane, kind;
} party_t;
static const party_t party[N_COUNT] = {
    [N_PROC]    = { "proc", "processes\nring 3", NULL, "processes\nring 3, non-root", 3, -1, L_PROC, P_RING },
    [N_RING2]   = { "ring2", "ring 2", NULL, NULL, 2, -1, L_KERNEL, P_RING },
    [N_RING1]   = { "ring1", "ring 1", NULL, NULL, 1, -1, L_KERNEL, P_RING },
    [N_KERNEL]  = { "kernel", "OS kernel\nring 0", "guest OS kernel\nring 1 (deprivileged)",
                    "guest OS kernel\nring 0, non-root", 0, 1, L_KERNEL, P_RING },
    [N_VMM]     = { "vmm", "VMM\nring 0", NULL, "hypervisor\nroot mode (VMX root, ring 0)", 0, -1, L_VMM, P_RING },
    [N_UNSEEN]  = { "unseen", "ran without a trap:\nthe VMM never sees these", NULL, NULL, FILL_NOTE, -1, L_KERNEL, P_NOTE },
    [N_TIMER]   = { "timer", "timer\nPIT + PIC", NULL, NULL, FILL_DEVICE, -1, L_DEV, P_DEVICE },
    [N_CONSOLE] = { "console", "console\nCOM1, port 0xe9", NULL, NULL, FILL_DEVICE, -1, L_DEV, P_DEVICE },
    [N_EXIT]    = { "exit", "debug exit\nport 0xf4", NULL, NULL, FILL_DEVICE, -1, L_DEV, P_DEVICE },
    [N_PORTS]   = { "ports", "other ports", NULL, NULL, FILL_DEVICE, -1, L_DEV, P_DEVICE },
};

/* What each of the VMM's actions is called: as a count in the VMM's node
 * (the summary's words), and on the way back into the guest after a visit
 * whose most telling action it was. */
static const struct { const char *count, *back; } action_words[VA_COUNT] = {
    [VA_NONE]    = { "other notes", "resumed" },
    [VA_SETUP]   = { "setup", "started the guest" },
    [VA_EXIT]    = { "VM exits", "resumed" },
    [VA_SHADOW]  = { "shadow updates", "shadow updated, resumed" },
    [VA_DEFER]   = { "interrupts deferred (vIF=0)", "interrupt deferred, resumed" },
    [VA_EMULATE] = { "emulated instructions", "emulated, resumed" },
    [VA_REFLECT] = { "faults reflected", "fault reflected to the guest" },
    [VA_FORWARD] = { "INT n forwarded", "forwarded to the guest's handler" },
    [VA_INJECT]  = { "interrupts injected", "interrupt injected" },
    [VA_HYPERCALL] = { "hypercalls", "hypercall answered" },
};

static const char *action_back(int action)
{
    return action >= 0 && action < VA_COUNT && action_words[action].back ? action_words[action].back
                                                                          : vmm_action_name(action);
}

/* ---- the graph ---- */
enum estyle { E_TRAP, E_RETURN, E_IO, E_PG };

typedef struct edge {
    uint8_t from, to, style;
    uint64_t code;            /* what tells its cause apart without its label (0: the label does) */
    char label[64];
    uint64_t count;
} edge_t;

/* ---- the timeline ---- */
enum skind { S_TRAP, S_RETURN, S_IO, S_NOTE, S_PG, S_STOP };

typedef struct step {
    uint8_t from, to, kind;   /* lanes; from == to: a note on that lane */
    char *label;              /* what is drawn, whole (malloc'd) */
    char key[48];             /* what counts when finding repeats (no values) */
} step_t;

#define TL_MAX_RAW 4000       /* steps kept for one round trip */
#define TL_END_RAW 400        /* steps kept for "end": the last ones */
#define TL_MAX_PERIOD 12      /* longest repeating block that is folded */
#define DOT_MAX_VMS 16
#define LABEL_CACHE_BITS 8
#define LABEL_CACHE (1 << LABEL_CACHE_BITS)

/* The fields every event reads come first, in a few cache lines; the
 * words and the timeline's steps last. */
struct dot {
    int vmm;                  /* DOT_TE: ring 0 is the VMM */
    int vtx;                  /* DOT_VTX: the hypervisor is in root operation */
    struct where *v;          /* where[] of the VM of the latest event */
    int tl_end;               /* anchor "end": the last steps of the run */
    int tl_state;             /* 0: waiting for the anchor, 1: recording, 2: done */
    size_t npre;              /* steps in pre[] */
    /* the traces feeding this sink (dot_watch()): told when the timeline
     * needs the VMM's words and when it no longer does */
    int nwatched, timeline, text_wanted;
    int used[N_COUNT];
    uint64_t actions[VA_COUNT];   /* the VMM's actions, counted as the summary counts them */
    /* the VMM's way back into the guest after a visit (vmm_leave()), by the
     * node it resumes and the visit's action + 1: the edge's index + 1 */
    uint32_t back_edge[N_COUNT][VA_COUNT + 1];

    /* where each VM's CPU is (a run of several VMs interleaves their events) */
    struct where {
        const char *vm;           /* event_t.vm: NULL for a run of one */
        int in_vmm;               /* the VMM is running (a visit is open) */
        int visit_exits;          /* VM exits seen in this visit */
        uint64_t visit_icount;    /* the instruction count when the visit began */
        int vmm_action;           /* the most telling action of this visit (the highest vmm_action_t), -1: none yet */
        int entering;             /* vtx: a VM entry that injects, its delivery not seen yet */
        int entry_ring;           /* ... the guest's ring it enters */
        char entry_label[48];     /* ... what it injects, as its interruption information says */
    } where[DOT_MAX_VMS];
    int nwhere;

    edge_t *edges;
    size_t nedges, cap;
    uint32_t edge_hint[256];  /* by a hash of an edge's identity: its index + 1 (0: look) */

    /* the labels of deliveries, formatted once (by code): what a delivery
     * reads, and apart (label_words[], same index) the words */
    struct label_cache {
        uint64_t code;        /* the event's (delivery_code()) */
        uint64_t label_code;  /* the label's: events of several codes may read the same */
        uint32_t edge;        /* the edge it was last counted on: index + 1 (0: none yet) */
        uint8_t edge_to;      /* ... which goes to this node (the code names where it comes from) */
    } labels[LABEL_CACHE];
    struct label_words {
        char key[48], label[64];
    } label_words[LABEL_CACHE];

    trace_t *watched[DOT_MAX_VMS];
    char anchor[48];
    char stop[256];
    int tl_ring;              /* the ring the round trip started from */
    int tl_truncated;         /* more than TL_MAX_RAW steps */
    step_t *steps;
    size_t nsteps;
    step_t pre[DOT_TIMELINE_STEPS];   /* the run's first steps (no anchor found) */
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
    d->v = &d->where[0];
    snprintf(d->anchor, sizeof d->anchor, "%s", anchor && *anchor ? anchor : DOT_DEFAULT_ANCHOR);
    d->tl_end = strcmp(d->anchor, "end") == 0;
    return d;
}

void dot_free(dot_t *d)
{
    if (!d)
        return;
    free(d->edges);
    size_t n = d->tl_end ? (d->nsteps < TL_END_RAW ? d->nsteps : TL_END_RAW) : d->nsteps;
    for (size_t k = 0; d->steps && k < n; k++)
        free(d->steps[k].label);
    for (size_t k = 0; k < d->npre; k++)
        free(d->pre[k].label);
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
    return party[n].lane;
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

static int edge_is(const edge_t *e, int from, int to, int style, uint64_t code, const char *label)
{
    return e->from == from && e->to == to && e->style == style && e->code == code &&
           (code || strcmp(e->label, label) == 0);
}

/* Counts one more transfer on an edge; returns its index + 1 (0: out of
 * memory), which a caller may keep to count the same edge again with
 * edge_again(). */
static uint32_t edge_add(dot_t *d, int from, int to, int style, uint64_t code, const char *label)
{
    d->used[from] = d->used[to] = 1;
    uint64_t h = code * 0x9e3779b97f4a7c15ull ^ (uint64_t)(from << 8 | to << 4 | style) * 0xff51afd7ed558ccdull;
    uint32_t *hint = &d->edge_hint[(h >> 56) & 255];
    if (*hint && edge_is(&d->edges[*hint - 1], from, to, style, code, label)) {
        d->edges[*hint - 1].count++;
        return *hint;
    }
    for (size_t k = 0; k < d->nedges; k++) {
        edge_t *e = &d->edges[k];
        if (edge_is(e, from, to, style, code, label)) {
            e->count++;
            *hint = (uint32_t)k + 1;
            return *hint;
        }
    }
    if (d->nedges == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 32;
        edge_t *e = realloc(d->edges, cap * sizeof *e);
        if (!e)
            return 0;
        d->edges = e;
        d->cap = cap;
    }
    *hint = (uint32_t)d->nedges + 1;
    edge_t *e = &d->edges[d->nedges++];
    e->from = (uint8_t)from;
    e->to = (uint8_t)to;
    e->style = (uint8_t)style;
    e->code = code;
    snprintf(e->label, sizeof e->label, "%s", label);
    e->count = 1;
    return *hint;
}

/* edge_add() of an edge counted before, by the index + 1 it returned: the
 * common case of a long run, without finding the edge again. */
static uint32_t edge_again(dot_t *d, uint32_t edge)
{
    d->edges[edge - 1].count++;
    return edge;
}

/* A formatted string in fresh memory (NULL when memory is short). */
static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* Whether step_add() would keep a step now (else its label need not be made). */
static int step_wanted(const dot_t *d)
{
    return d->tl_end || d->tl_state == 1 || (d->tl_state == 0 && d->npre < DOT_TIMELINE_STEPS);
}

/* One step of the timeline: into the round trip while recording, into the
 * run's first steps while no anchor has been seen. */
static void step_keep(dot_t *d, int from, int to, int kind, const char *label, const char *key)
{
    step_t *s;
    if (d->tl_end) {
        /* a ring of the last TL_END_RAW steps; nsteps counts them all */
        if (!d->steps && !(d->steps = calloc(TL_END_RAW, sizeof *d->steps)))
            return;
        s = &d->steps[d->nsteps++ % TL_END_RAW];
        free(s->label);
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
    s->label = strdup(label);
    snprintf(s->key, sizeof s->key, "%s", key ? key : label);
}

/* step_keep() when a step is wanted: once the timeline has its round trip,
 * a step costs a test. */
static inline void step_add(dot_t *d, int from, int to, int kind, const char *label, const char *key)
{
    if (step_wanted(d))
        step_keep(d, from, to, kind, label, key);
}

/* The round trip is over once the CPU is back in the ring it began in. */
static void tl_arrived(dot_t *d, int ring)
{
    if (d->tl_state == 1 && (ring & 3) == d->tl_ring && !d->v->in_vmm)
        d->tl_state = 2;
}

/* The VMM resumes the guest in `ring`; label (and its code): the event it
 * delivered, or NULL: what it did in the visit. */
static __attribute__((noinline)) void vmm_leave_drawn(dot_t *d, int ring, uint64_t code, const char *label)
{
    int to = node_of_ring(d, ring);
    if (!label || !*label) {
        int action = d->v->vmm_action;
        label = action >= 0 ? action_back(action) : "resumed";
        uint32_t *back = &d->back_edge[to][action + 1];
        *back = *back ? edge_again(d, *back)
                      : edge_add(d, N_VMM, to, E_RETURN, (2ull << 40) | (uint64_t)(action + 1), label);
    } else {
        edge_add(d, N_VMM, to, E_RETURN, code, label);
    }
    step_add(d, L_VMM, lane_of_node(to), S_RETURN, label, NULL);
    d->v->in_vmm = 0;
    tl_arrived(d, ring);
}

static inline void vmm_leave(dot_t *d, int ring, uint64_t code, const char *label)
{
    if ((!label || !*label) && !step_wanted(d)) {
        /* the way back after what the VMM did, counted before, no step to
         * draw (nor a round trip recorded, so nothing arrives): a count */
        uint32_t back = d->back_edge[node_of_ring(d, ring)][d->v->vmm_action + 1];
        if (back) {
            edge_again(d, back);
            d->v->in_vmm = 0;
            return;
        }
    }
    vmm_leave_drawn(d, ring, code, label);
}

static void vmm_enter(dot_t *d, uint64_t icount)
{
    d->v->in_vmm = 1;
    d->v->visit_exits = 0;
    d->v->visit_icount = icount;
    d->v->vmm_action = -1;
}

/* What tells a delivery's cause apart: its kind, vector, IRQ line, the
 * row of the instruction that raised it and the ring it came from. */
static uint64_t delivery_code(const event_t *ev)
{
    return (1ull << 40) | ((uint64_t)(ev->ring & 3) << 41) | ((uint64_t)ev->kind << 32) | ((uint64_t)ev->vector << 24) |
           ((uint64_t)(ev->insn ? ev->insn->row + 1u : 0) << 8) | (uint64_t)(uint8_t)ev->irq;
}

/* The key and the label of a delivery, made once per code. The key is what
 * the timeline anchor is matched against: "int 0x80", "IRQ0", "#GP lidt"
 * (with the instruction that raised it, when the event names it); the
 * label what the pictures say: "int 0x80", "IRQ0 (timer)", "#GP on lidt". */
static inline struct label_cache *label_slot(dot_t *d, uint64_t code)
{
    /* a multiplicative hash: a run's few codes (which differ in a few bits
     * each: ring, kind, vector, row) rarely evict each other */
    return &d->labels[(code * 0x9e3779b97f4a7c15ull) >> (64 - LABEL_CACHE_BITS)];
}

static struct label_cache *delivery_labels(dot_t *d, const event_t *ev, uint64_t code)
{
    struct label_cache *c = label_slot(d, code);
    if (c->code == code)
        return c;
    c->code = code;
    c->edge = 0;
    struct label_words *w = &d->label_words[c - d->labels];
    if (ev->kind == EV_SOFTINT && ev->vector == PV_HYPERCALL_VECTOR && (ev->ring & 3) == PV_KERNEL_RPL && d->vmm)
        snprintf(w->key, sizeof w->key, "hypercall");   /* --vmm=pv: int $0x82 from the guest kernel */
    else if (ev->kind == EV_SOFTINT)
        snprintf(w->key, sizeof w->key, "int 0x%02x", ev->vector);
    else if (ev->kind == EV_IRQ)
        snprintf(w->key, sizeof w->key, "IRQ%d", ev->irq);
    else if (ev->insn)
        snprintf(w->key, sizeof w->key, "%s %s", exc_name(ev->vector), isa_mnemonic(ev->insn));
    else
        snprintf(w->key, sizeof w->key, "%s", exc_name(ev->vector));
    if (ev->kind == EV_IRQ) {
        snprintf(w->label, sizeof w->label, "IRQ%d (%s)", ev->irq, ev->irq == 4 ? "UART" : "timer");
    } else if (ev->kind == EV_EXC && ev->insn) {
        char row[48];
        isa_row_label(ev->insn->row, row, sizeof row);
        snprintf(w->label, sizeof w->label, "%s on %s", exc_name(ev->vector), row);
    } else {
        memcpy(w->label, w->key, sizeof w->key);
    }
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */
    for (const char *p = w->label; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    c->label_code = h | 1;
    return c;
}

static void vtx_entered(dot_t *d, int ring, const char *injected);

/* A delivery's step on the timeline: its label and the handler it runs. */
static __attribute__((noinline)) void delivery_step(dot_t *d, const event_t *ev, int lf, int lt, const char *label,
                                                    const char *key)
{
    char tl[160], sym[80];
    symtab_format(ev->syms, ev->target, sym, sizeof sym);   /* the handler, when the image names it */
    snprintf(tl, sizeof tl, "%s%s", label, sym);
    step_keep(d, lf, lt, lf == lt ? S_NOTE : S_TRAP, tl, key);
}

static void on_delivery(dot_t *d, const event_t *ev)
{
    int from = ev->kind == EV_IRQ ? (ev->irq == 4 ? N_CONSOLE : N_TIMER) : node_of_ring(d, ev->ring);
    uint64_t code = delivery_code(ev);
    struct label_cache *c = delivery_labels(d, ev, code);
    const struct label_words *w = &d->label_words[c - d->labels];
    const char *key = w->key, *label = w->label;
    code = c->label_code;
    if (d->v->entering) {   /* the event the VM entry injects */
        vtx_entered(d, ev->to_ring, key);
        return;
    }
    if (d->v->in_vmm && !d->vtx) {
        if ((ev->ring & 3) == 0 && ev->kind != EV_IRQ) {
            /* the VMM delivers into the guest through the CPU */
            if ((ev->to_ring & 3) != 0)
                vmm_leave(d, ev->to_ring, code, label);
            return;
        }
        vmm_leave(d, ev->ring, 0, NULL);   /* resumed, and at once interrupted */
    }
    int to = node_of_ring(d, ev->to_ring);
    c->edge = c->edge && c->edge_to == to ? edge_again(d, c->edge) : edge_add(d, from, to, E_TRAP, code, label);
    c->edge_to = (uint8_t)to;
    int start = d->tl_state == 0 && !d->tl_end && strncmp(key, d->anchor, strlen(d->anchor)) == 0;
    if (start) {
        d->tl_state = 1;
        d->tl_ring = ev->ring & 3;
    }
    if (step_wanted(d))
        delivery_step(d, ev, lane_of_node(from), lane_of_node(to), label, key);
    if (d->vmm && (ev->to_ring & 3) == 0)
        vmm_enter(d, ev->icount);
    if (start && (ev->ring & 3) == (ev->to_ring & 3))
        tl_arrived(d, ev->to_ring);   /* no ring change: the round trip is this step */
}

static __attribute__((noinline)) void on_return(dot_t *d, const event_t *ev)
{
    const char *what = ev->text ? ev->text : "return";
    if (d->v->in_vmm && !d->vtx) {
        if ((ev->ring & 3) == 0) {      /* the VMM's own exit to the guest */
            vmm_leave(d, ev->to_ring, 0, NULL);
            return;
        }
        vmm_leave(d, ev->ring, 0, NULL);
    }
    int from = node_of_ring(d, ev->ring), to = node_of_ring(d, ev->to_ring);
    edge_add(d, from, to, E_RETURN, 0, what);
    step_add(d, lane_of_node(from), lane_of_node(to), S_RETURN, what, NULL);
    tl_arrived(d, ev->to_ring);
}

static __attribute__((noinline)) void on_io(dot_t *d, const event_t *ev)
{
    int from = d->v->in_vmm ? N_VMM : node_of_ring(d, ev->ring);
    int dev = device_of_port(ev->port);
    edge_add(d, from, dev, E_IO, 4ull << 40 | ev->is_write, ev->is_write ? "out" : "in");
    if (!step_wanted(d))
        return;
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

/* The VMM's action (EV_VMM) as the graph counts it, in the open visit `v`. */
static inline void vmm_count(dot_t *d, struct where *v, int action, int is_exit)
{
    v->visit_exits += is_exit;
    if (action != VA_EXIT || is_exit)
        d->actions[action]++;
    if (v->vmm_action < 0 || action_rank(action) >= action_rank(v->vmm_action))
        v->vmm_action = action;
    d->used[N_VMM] = 1;
}

static inline int vmm_action_of(const event_t *ev)
{
    return ev->action < VA_COUNT ? ev->action : VA_NONE;
}

/* a note made at an exit is not one (the summary counts exits) */
static inline int vmm_is_exit(const event_t *ev)
{
    return ev->action == VA_EXIT && ev->exit_reason != XR_NONE;
}

static void on_vmm(dot_t *d, const event_t *ev)
{
    int action = vmm_action_of(ev), is_exit = vmm_is_exit(ev);
    if (d->v->in_vmm && is_exit && d->v->visit_exits)
        vmm_leave(d, ev->ring, 0, NULL);   /* the guest ran, and exited again without an event */
    if (!d->v->in_vmm)
        vmm_enter(d, ev->icount);
    vmm_count(d, d->v, action, is_exit);
    /* the timeline leaves out the exits: the arrow into the VMM says it */
    if (is_exit || !step_wanted(d))
        return;
    const char *actor = vmm_action_name(action);
    const char *text = ev->text ? ev->text : "";
    char *tl = str_printf("%s: %s", actor, text), key[48];
    if (!tl)
        return;
    /* notes repeat when they differ only in numbers (addresses, values) */
    snprintf(key, sizeof key, "%s: %.*s", actor, (int)strcspn(text, "0123456789"), text);
    step_add(d, L_VMM, L_VMM, S_NOTE, tl, key);
    free(tl);
}

/* --vmm=dbt: a fragment went back to the translator, which went on in the
 * translation cache: the guest kernel's round trips without a trap. */
static __attribute__((noinline)) void on_dbt(dot_t *d, const event_t *ev)
{
    if (ev->action != DA_EXIT)
        return;
    int from = node_of_ring(d, ev->ring);
    edge_add(d, from, N_VMM, E_TRAP, 6ull << 40, "translator");
    edge_add(d, N_VMM, from, E_RETURN, 6ull << 40, "into the TC");
}

static __attribute__((noinline)) void on_pg(dot_t *d, const event_t *ev)
{
    char label[64];
    if (ev->insn && !d->vmm && !step_wanted(d))
        return;
    if (ev->insn)
        isa_row_label(ev->insn->row, label, sizeof label);
    else
        snprintf(label, sizeof label, "%.*s", ev->text ? (int)strcspn(ev->text, " :,") : 0, ev->text ? ev->text : "");
    if (!label[0])
        snprintf(label, sizeof label, "sensitive");
    int from = node_of_ring(d, ev->ring);
    if (from == N_VMM)
        from = N_KERNEL;
    if (d->vmm)
        edge_add(d, from, N_UNSEEN, E_PG, 0, label);
    if (!step_wanted(d))
        return;
    const char *text = ev->text ? ev->text : label;
    const char *semi = strstr(text, "; ");   /* the what, without the why */
    char *tl = str_printf("no trap: %.*s", (int)(semi ? (size_t)(semi - text) : strlen(text)), text);
    if (!tl)
        return;
    step_add(d, lane_of_node(from), lane_of_node(from), S_PG, tl, label);
    free(tl);
}

/* ---- VT-x: VM exits into the hypervisor, VM entries back ---- */

/* The hypervisor's VM entry into the guest's `ring` is done; `injected`:
 * the event it delivered, or NULL. */
static void vtx_entered(dot_t *d, int ring, const char *injected)
{
    char label[64];
    snprintf(label, sizeof label, "VM entry%s%s", injected ? ", inject " : "", injected ? injected : "");
    int to = node_of_ring(d, ring);
    edge_add(d, N_VMM, to, E_RETURN, 0, label);
    step_add(d, L_VMM, lane_of_node(to), S_RETURN, label, NULL);
    d->v->in_vmm = 0;
    d->v->entering = 0;
    tl_arrived(d, ring);
}

static __attribute__((noinline)) void on_vmx(dot_t *d, const event_t *ev)
{
    if (!d->vtx)
        return;   /* a guest hypervisor's VMX (the minivisor) is not drawn */
    struct where *v = d->v;
    if (v->entering)   /* the injection did not reach the guest's IDT */
        vtx_entered(d, v->entry_ring, v->entry_label);
    if (ev->vmx_kind == VX_ENTRY) {
        uint32_t info = ev->vmx_reason;
        if (!(info >> 31)) {
            vtx_entered(d, ev->to_ring, NULL);
            return;
        }
        int vector = info & 0xff, type = (info >> 8) & 7;
        if (type == INTR_EXT)
            snprintf(v->entry_label, sizeof v->entry_label, "vector 0x%02x", vector);
        else if (type == INTR_SW_INT)
            snprintf(v->entry_label, sizeof v->entry_label, "int 0x%02x", vector);
        else
            snprintf(v->entry_label, sizeof v->entry_label, "%s", exc_name(vector));
        v->entering = 1;
        v->entry_ring = ev->to_ring & 3;
        return;
    }
    if (ev->vmx_kind != VX_EXIT)
        return;
    int reason = (int)(ev->vmx_reason & 0xffff);
    const char *name = vmx_exit_name(reason);
    /* a VM-entry failure never left the hypervisor */
    int from = (ev->vmx_reason & VMX_EXIT_ENTRY_FAILURE) ? N_VMM : node_of_ring(d, ev->ring);
    edge_add(d, from, N_VMM, E_TRAP, 5ull << 40 | (uint64_t)reason, name);
    if (d->tl_state == 0 && !d->tl_end && strncmp(name, d->anchor, strlen(d->anchor)) == 0) {
        d->tl_state = 1;
        d->tl_ring = ev->ring & 3;
    }
    if (step_wanted(d)) {
        char tl[160];
        snprintf(tl, sizeof tl, "VM exit: %s", name);
        step_add(d, lane_of_node(from), L_VMM, from == N_VMM ? S_NOTE : S_TRAP, tl, NULL);
    }
    vmm_enter(d, ev->icount);
}

static __attribute__((noinline)) void on_stop(dot_t *d, const event_t *ev)
{
    snprintf(d->stop, sizeof d->stop, "%s", ev->text ? ev->text : "");
    int n = d->v->in_vmm ? N_VMM : node_of_ring(d, ev->ring);
    char *tl = str_printf("stop: %s", d->stop);
    if (tl)
        step_add(d, lane_of_node(n), lane_of_node(n), S_STOP, tl, NULL);
    free(tl);
    if (d->tl_state == 1)
        d->tl_state = 2;
}

/* Whether the VMM's and the PG audit's words are wanted now: by the
 * timeline, while it keeps steps. */
static void update_text(dot_t *d)
{
    int want = d->timeline && step_wanted(d);
    if (want == d->text_wanted)
        return;
    d->text_wanted = want;
    for (int k = 0; k < d->nwatched; k++)
        trace_set_textless(d->watched[k], d, want ? 0 : DOT_GRAPH_TEXTLESS);
}

void dot_watch(dot_t *d, trace_t *t, int timeline)
{
    if (d->nwatched == DOT_MAX_VMS)
        return;
    d->watched[d->nwatched++] = t;
    d->timeline = timeline;
    d->text_wanted = -1;
    update_text(d);
}

/* The CPU of the VM an event names (past DOT_MAX_VMS, the last one is shared). */
static struct where *where_of(dot_t *d, const char *vm)
{
    if (d->v->vm == vm)   /* the VM of the event before (always, in a run of one) */
        return d->v;
    for (int k = 0; k < d->nwhere; k++)
        if (d->where[k].vm == vm || (vm && d->where[k].vm && strcmp(d->where[k].vm, vm) == 0))
            return &d->where[k];
    if (d->nwhere == DOT_MAX_VMS)
        return &d->where[DOT_MAX_VMS - 1];
    d->where[d->nwhere] = (struct where){ .vm = vm, .vmm_action = -1 };
    return &d->where[d->nwhere++];
}

/* Every event but the commonest (dot_emit()). */
static __attribute__((noinline)) void dot_event(dot_t *d, const event_t *ev)
{
    d->v = where_of(d, ev->vm);
    /* The VMM retires no instructions of its own, at most the one it
     * emulates: a later event from a guest ring means the guest ran in
     * between, and a sensitive instruction without a trap is the guest's. */
    if (!d->vtx && d->v->in_vmm && (ev->ring & 3) != 0 && (ev->kind == EV_PG || ev->icount > d->v->visit_icount + 1))
        vmm_leave(d, ev->ring, 0, NULL);
    /* under VT-x the hypervisor leaves by a VM entry; one that injects is
     * done when its event is delivered, or at the next other sign of the guest */
    if (d->v->entering && ev->kind != EV_EXC && ev->kind != EV_IRQ && ev->kind != EV_SOFTINT && ev->kind != EV_VMX)
        vtx_entered(d, d->v->entry_ring, d->v->entry_label);
    switch (ev->kind) {
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
    case EV_STOP:
        on_stop(d, ev);
        break;
    case EV_VMX:
        on_vmx(d, ev);
        break;
    case EV_INSN: case EV_CONSOLE:   /* not drawn: not subscribed (DOT_LEVELS) */
        break;
    }
    if (d->nwatched && (d->timeline && step_wanted(d)) != d->text_wanted)
        update_text(d);
}

/* The events of a long run under a deprivileging monitor, every VM exit,
 * once the timeline has its round trip (it takes no steps and asks for no
 * words): counted here in a few instructions, as dot_event() would count
 * them; any other event, or one seen for the first time, goes there. */
void dot_emit(void *ctx, const event_t *ev)
{
    dot_t *d = ctx;
    struct where *v = d->v;
    if (ev->vm != v->vm || v->entering || d->tl_state != 2 || d->text_wanted != 0)
        goto other;
    if (ev->kind == EV_VMM) {
        /* the VMM's note (exit, emulate) in an open visit, the guest not run since */
        int is_exit = vmm_is_exit(ev);
        if (!v->in_vmm || ev->icount > v->visit_icount + 1 || (is_exit && v->visit_exits))
            goto other;
        vmm_count(d, v, vmm_action_of(ev), is_exit);
        return;
    }
    if ((ev->kind == EV_EXC || ev->kind == EV_SOFTINT) && d->vmm && (ev->ring & 3) != 0 && (ev->to_ring & 3) == 0) {
        /* a trap from the guest into the VMM, its label and edge known */
        uint64_t code = delivery_code(ev);
        struct label_cache *c = label_slot(d, code);
        if (c->code != code || !c->edge || c->edge_to != N_VMM)
            goto other;
        if (v->in_vmm)
            vmm_leave(d, ev->ring, 0, NULL);   /* the visit before: the guest ran since */
        edge_again(d, c->edge);
        vmm_enter(d, ev->icount);
        return;
    }
other:
    dot_event(d, ev);
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
    if (d->vtx && party[n].label_vtx)
        return party[n].label_vtx;
    return d->vmm && party[n].label_vmm ? party[n].label_vmm : party[n].label;
}

static const char *node_fill(const dot_t *d, int n)
{
    const party_t *p = &party[n];
    int fill = p->fill;
    if (d->vmm && p->fill_vmm >= 0)
        fill = p->fill_vmm;
    return fill_color[fill];
}

/* Thicker edges for more traffic, in four steps. */
static const char *penwidth(uint64_t count)
{
    return count < 10 ? "1.2" : count < 100 ? "1.8" : count < 1000 ? "2.4" : "3";
}

/* Sizes for a projector: drawn at their natural size, a picture fits a
 * 16:9 slide 1920 pixels wide with its smallest text at 12 pt or more
 * (tests/pictures checks the rendered SVGs). */
#define FONT_TITLE 16
#define FONT_NODE 15
#define FONT_EDGE 13

static void graph_header(FILE *out, const char *name, const char *title, const char *sub, const char *extra)
{
    fprintf(out, "digraph %s {\n", name);
    fprintf(out, "  graph [labelloc=t, fontname=\"Helvetica\", fontsize=%d", FONT_TITLE);
    if (extra)
        fprintf(out, ", %s", extra);
    fputs(", label=\"", out);
    put_wrapped(out, title ? title : "trapsim", 110);
    if (sub && *sub) {
        fputs("\\n", out);
        put_wrapped(out, sub, 110);
    }
    fputs("\"];\n", out);
}

void dot_write_graph(const dot_t *d, FILE *out, const char *title)
{
    int used[N_COUNT];
    memcpy(used, d->used, sizeof used);
    used[N_KERNEL] = 1;
    used[N_VMM] = d->vmm || d->vtx;
    /* landscape: the rings from left (outermost) to right, the devices last */
    graph_header(out, "trapflow", title, d->stop, "rankdir=LR, nodesep=0.5, ranksep=1.1");
    fprintf(out, "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=%d];\n", FONT_NODE);
    fprintf(out, "  edge [fontname=\"Helvetica\", fontsize=%d];\n", FONT_EDGE);
    for (int n = 0; n < N_COUNT; n++) {
        if (!used[n])
            continue;
        fprintf(out, "  %s [label=\"", party[n].id);
        put_esc(out, node_label(d, n));
        if (n == N_VMM)
            for (int a = 0; a < VA_COUNT; a++)
                if (d->actions[a])
                    fprintf(out, "\\n%s x%llu", action_words[a].count, (unsigned long long)d->actions[a]);
        fprintf(out, "\", fillcolor=\"%s\"%s];\n", node_fill(d, n),
                party[n].kind == P_DEVICE ? ", shape=component, style=filled"
                : party[n].kind == P_NOTE ? ", shape=note, style=\"filled,dashed\", color=red, fontcolor=red" : "");
    }
    /* under VT-x, the lecture's two modes as boxes around their parties */
    if (d->vtx) {
        fputs("  subgraph cluster_nonroot { label=\"VMX non-root operation: the VM\"; style=dashed;", out);
        for (int n = N_PROC; n <= N_KERNEL; n++)
            if (used[n])
                fprintf(out, " %s;", party[n].id);
        fputs(" }\n  subgraph cluster_root { label=\"VMX root operation\"; style=dashed; vmm; }\n", out);
    }
    /* the rings in order, the devices after them */
    int prev = -1, ndev = 0;
    for (int n = 0; n < N_COUNT; n++) {
        if (!used[n] || party[n].kind == P_NOTE)
            continue;
        if (party[n].kind == P_DEVICE) {
            if (ndev++ == 0 && prev >= 0)
                fprintf(out, "  %s -> %s [style=invis];\n", party[prev].id, party[n].id);
            continue;
        }
        if (prev >= 0)
            fprintf(out, "  %s -> %s [style=invis];\n", party[prev].id, party[n].id);
        prev = n;
    }
    if (used[N_UNSEEN])   /* beside the ring it ran in */
        fprintf(out, "  { rank=same; %s; %s; }\n", party[N_KERNEL].id, party[N_UNSEEN].id);
    if (ndev > 1) {
        fputs("  { rank=same;", out);
        for (int n = 0; n < N_COUNT; n++)
            if (used[n] && party[n].kind == P_DEVICE)
                fprintf(out, " %s;", party[n].id);
        fputs(" }\n", out);
    }
    /* one arrow per pair of parties and style; its label lists each cause
     * with its count, the most frequent first */
    static const char *const style[] = {
        [E_TRAP] = "",
        [E_RETURN] = ", style=dashed, color=\"gray35\"",
        [E_IO] = ", style=dotted, color=\"gray45\"",
        [E_PG] = ", style=dashed, color=\"red\", fontcolor=\"red\", arrowhead=none",
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
        /* an edge against the order is laid out forwards and drawn
         * reversed, so that both directions between two parties run side by side */
        int up = e->from > e->to;
        fprintf(out, "  %s -> %s [label=\"", party[up ? e->to : e->from].id, party[up ? e->from : e->to].id);
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
 * without floating point so the text is the same everywhere. A page holds
 * rows up to PAGE_DY deep: with the heads and the title it fits a 16:9
 * slide at the fonts above. */
#define LANE_DX 380
#define ROW_DY 46
#define LINE_DY 20
#define PAGE_DY 780
#define NOTE_WIDTH 40         /* characters a line of a note */
static void put_pos(FILE *out, int x, int y)
{
    fprintf(out, "pos=\"%s%d.%02d,%s%d.%02d!\"", x < 0 ? "-" : "", abs(x) / 100, abs(x) % 100,
            y < 0 ? "-" : "", abs(y) / 100, abs(y) % 100);
}

typedef struct item {
    const step_t *step;
    size_t reps;              /* how many times its block repeats (1: once) */
    int lines;                /* lines of text when drawn */
} item_t;

/* What the timeline draws, folded and cut to at most DOT_TIMELINE_STEPS
 * items, and the pages they fall on. */
typedef struct tl_plan {
    step_t *ring;             /* "end": the last steps, oldest first */
    item_t *items;
    size_t nitems, first, last;   /* items[first..last) are drawn */
    size_t before, after;     /* steps not drawn */
    size_t page_start[DOT_TIMELINE_STEPS + 2];   /* the first item of each page */
    int npages;
    char sub[160];
} tl_plan_t;

static const char *step_label(const step_t *s)
{
    return s->label ? s->label : "";
}

static char *item_label(const item_t *it)
{
    if (it->reps > 1)
        return str_printf("%s (x%zu)", step_label(it->step), it->reps);
    return str_printf("%s", step_label(it->step));
}

/* Lines of a note wrapped at `width` (as put_wrapped() breaks them). */
static int wrapped_lines(const char *s, int width)
{
    FILE *null = fopen("/dev/null", "w");
    int lines = null ? put_wrapped(null, s, width) : 1;
    if (null)
        fclose(null);
    return lines;
}

static int is_note(const step_t *t, const int *x)
{
    return t->from == t->to || x[t->from] < 0 || x[t->to] < 0;
}

static void tl_plan(const dot_t *d, tl_plan_t *p, const int *x)
{
    memset(p, 0, sizeof *p);
    const step_t *s;
    size_t n;
    if (d->tl_end) {
        n = d->nsteps < TL_END_RAW ? d->nsteps : TL_END_RAW;
        p->ring = malloc((n + 1) * sizeof *p->ring);
        for (size_t k = 0; p->ring && k < n; k++)
            p->ring[k] = d->steps[(d->nsteps - n + k) % TL_END_RAW];
        if (!p->ring)
            n = 0;
        s = p->ring;
        snprintf(p->sub, sizeof p->sub, "the last steps before the run ended");
    } else if (d->tl_state != 0) {
        s = d->steps;
        n = d->nsteps;
        snprintf(p->sub, sizeof p->sub, "the round trip of the first %s%s", d->anchor,
                 d->tl_truncated ? " (cut short)" : "");
    } else {
        s = d->pre;
        n = d->npre;
        snprintf(p->sub, sizeof p->sub, "the first %zu steps of the run (no %s in it)", n, d->anchor);
    }
    /* fold repeats: the longest-covering repeating block at each place */
    p->items = malloc((n + 1) * sizeof *p->items);
    for (size_t i = 0; p->items && i < n;) {
        size_t best_p = 1, best_r = 1;
        for (size_t q = 1; q <= TL_MAX_PERIOD && i + 2 * q <= n; q++) {
            size_t r = 1;
            while (i + (r + 1) * q <= n && same_block(s, i, i + r * q, q))
                r++;
            if (r >= 2 && r * q > best_r * best_p) {
                best_p = q;
                best_r = r;
            }
        }
        for (size_t k = 0; k < best_p; k++)
            p->items[p->nitems++] = (item_t){ &s[i + k], best_r, 1 };
        i += best_p * best_r;
    }
    p->first = 0;
    p->last = p->nitems;
    if (p->nitems > DOT_TIMELINE_STEPS) {
        if (d->tl_end)
            p->first = p->nitems - DOT_TIMELINE_STEPS;
        else
            p->last = DOT_TIMELINE_STEPS;
    }
    for (size_t k = 0; k < p->first; k++)
        p->before += p->items[k].reps;
    for (size_t k = p->last; k < p->nitems; k++)
        p->after += p->items[k].reps;
    if (d->tl_end && d->nsteps > n)
        p->before += d->nsteps - n;
    /* pages: rows until PAGE_DY is used up */
    int used = p->before ? ROW_DY : 0;
    p->page_start[0] = p->first;
    p->npages = 1;
    for (size_t k = p->first; k < p->last; k++) {
        item_t *it = &p->items[k];
        if (is_note(it->step, x)) {
            char *label = item_label(it);
            it->lines = label ? wrapped_lines(label, NOTE_WIDTH) : 1;
            free(label);
        }
        int dy = ROW_DY + (it->lines - 1) * LINE_DY;
        if (used + dy > PAGE_DY && k > p->page_start[p->npages - 1]) {
            p->page_start[p->npages++] = k;
            used = 0;
        }
        used += dy;
    }
    p->page_start[p->npages] = p->last;
}

int dot_write_timeline(const dot_t *d, FILE *out, const char *title, int page)
{
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
    const char *fill[L_COUNT] = { fill_color[3], fill_color[d->vmm ? 1 : 0], fill_color[0], fill_color[FILL_DEVICE] };
    for (int l = 0; l < L_COUNT; l++)
        x[l] = (l == L_VMM && !d->vmm && !d->vtx) ? -1 : LANE_DX * col++;

    tl_plan_t p;
    tl_plan(d, &p, x);
    if (page < 0 || page >= p.npages)
        page = p.npages - 1;
    char sub[200];
    if (p.npages > 1)
        snprintf(sub, sizeof sub, "%s, page %d of %d", p.sub, page + 1, p.npages);
    else
        snprintf(sub, sizeof sub, "%s", p.sub);
    graph_header(out, "timeline", title, sub, "layout=neato, splines=line, outputorder=edgesfirst");
    fprintf(out, "  node [fontname=\"Helvetica\", fontsize=%d];\n", FONT_NODE);
    fprintf(out, "  edge [fontname=\"Helvetica\", fontsize=%d, arrowsize=0.8];\n", FONT_EDGE);
    for (int l = 0; l < L_COUNT; l++) {
        if (x[l] < 0)
            continue;
        fprintf(out, "  h%d [label=\"", l);
        put_esc(out, head[l]);
        fprintf(out, "\", shape=box, style=\"rounded,filled\", fillcolor=\"%s\", ", fill[l]);
        put_pos(out, x[l], 0);
        fputs("];\n", out);
    }
    int y = -70, id = 0;
    if (page == 0 && p.before) {
        fprintf(out, "  e0 [shape=plaintext, fontsize=%d, label=\"... %zu earlier steps not drawn\", ", FONT_EDGE, p.before);
        put_pos(out, x[L_KERNEL], y);
        fputs("];\n", out);
        y -= ROW_DY;
    }
    for (size_t k = p.page_start[page]; k < p.page_start[page + 1]; k++) {
        const item_t *it = &p.items[k];
        const step_t *t = it->step;
        char *label = item_label(it);
        if (is_note(t, x)) {
            int l = x[t->from] >= 0 ? t->from : L_KERNEL;
            const char *color = t->kind == S_PG ? "#ffd0d0" : t->kind == S_STOP ? "#dddddd" : "#fffbe6";
            fprintf(out, "  n%d [shape=note, fontsize=%d, style=filled, fillcolor=\"%s\"%s, label=\"", id,
                    FONT_EDGE, color, t->kind == S_PG ? ", color=red, fontcolor=red" : "");
            put_wrapped(out, label ? label : "", NOTE_WIDTH);
            fputs("\", ", out);
            put_pos(out, x[l], y - (it->lines - 1) * LINE_DY / 2);
            fputs("];\n", out);
        } else {
            static const char *const style[] = {
                [S_TRAP] = "penwidth=1.6", [S_RETURN] = "style=dashed, color=\"gray35\"",
                [S_IO] = "style=dotted, color=\"gray35\"", [S_NOTE] = "", [S_PG] = "color=red",
                [S_STOP] = "",
            };
            fprintf(out, "  a%d [shape=point, width=0.02, style=invis, ", id);
            put_pos(out, x[t->from], y);
            fprintf(out, "];\n  b%d [shape=point, width=0.02, style=invis, ", id);
            put_pos(out, x[t->to], y);
            fprintf(out, "];\n  a%d -> b%d [%s];\n", id, id, style[t->kind]);
            fprintf(out, "  t%d [shape=plaintext, fontsize=%d, label=\"", id, FONT_EDGE);
            put_esc(out, label ? label : "");
            fputs("\", ", out);
            put_pos(out, (x[t->from] + x[t->to]) / 2, y + 16);
            fputs("];\n", out);
        }
        free(label);
        y -= ROW_DY + (it->lines - 1) * LINE_DY;
        id++;
    }
    const char *more = NULL;
    char buf[96];
    if (page + 1 < p.npages) {
        snprintf(buf, sizeof buf, "... continued on page %d", page + 2);
        more = buf;
    } else if (p.after) {
        snprintf(buf, sizeof buf, "... %zu more steps not drawn", p.after);
        more = buf;
    }
    if (more) {
        fprintf(out, "  n%d [shape=plaintext, fontsize=%d, label=\"%s\", ", id, FONT_EDGE, more);
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
    free(p.items);
    free(p.ring);
    return p.npages;
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
static int write_text(const char *file, int svg, const char *buf, size_t len)
{
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
    return rc;
}

/* The graph (page < 0) or one page of the timeline, as dot text in fresh
 * memory; *pages: how many the timeline has. */
static char *generate(const dot_t *d, const char *title, int page, size_t *len, int *pages)
{
    char *buf = NULL;
    FILE *mem = open_memstream(&buf, len);
    if (!mem)
        return NULL;
    if (page < 0)
        dot_write_graph(d, mem, title);
    else
        *pages = dot_write_timeline(d, mem, title, page);
    fclose(mem);
    return buf;
}

void dot_page_name(const char *file, int page, char *buf, size_t n)
{
    if (page == 0) {
        snprintf(buf, n, "%s", file);
        return;
    }
    const char *slash = strrchr(file, '/'), *dot = strrchr(file, '.');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - file) : strlen(file);
    snprintf(buf, n, "%.*s-p%d%s", (int)stem, file, page + 1, file + stem);
}

static int write_graph(const dot_t *d, const char *title, const char *file, int svg)
{
    size_t len = 0;
    int pages = 0;
    char *buf = generate(d, title, -1, &len, &pages);
    if (!buf) {
        errorf("%s: out of memory", file);
        return -1;
    }
    int rc = write_text(file, svg, buf, len);
    free(buf);
    return rc;
}

/* Every page of the timeline: FILE, then FILE-p2, FILE-p3, ... (before the
 * extension); stale pages of an earlier, longer timeline are removed. */
static int write_timeline(const dot_t *d, const char *title, const char *file)
{
    int svg = ends_with(file, ".svg"), pages = 1, rc = 0;
    char name[4096];
    for (int page = 0; page < pages; page++) {
        size_t len = 0;
        char *buf = generate(d, title, page, &len, &pages);
        dot_page_name(file, page, name, sizeof name);
        if (!buf) {
            errorf("%s: out of memory", name);
            return -1;
        }
        rc |= write_text(name, svg, buf, len);
        free(buf);
    }
    for (int page = pages; page < DOT_TIMELINE_STEPS; page++) {
        dot_page_name(file, page, name, sizeof name);
        if (unlink(name) && errno == ENOENT)
            break;
    }
    return rc;
}

int dot_write_files(const dot_t *d, const char *title, const char *dot_file,
                    const char *svg_file, const char *timeline_file)
{
    int rc = 0;
    if (dot_file && write_graph(d, title, dot_file, 0))
        rc = -1;
    if (svg_file && write_graph(d, title, svg_file, 1))
        rc = -1;
    if (timeline_file && write_timeline(d, title, timeline_file))
        rc = -1;
    return rc;
}

static int check_path(const char *file)
{
    /* opened for appending, so an existing file is left as it is until the run writes it */
    int existed = access(file, F_OK) == 0;
    FILE *f = fopen(file, "a");
    if (!f) {
        errorf("%s: cannot write the picture: %s", file, strerror(errno));
        return -1;
    }
    fclose(f);
    if (!existed)
        unlink(file);
    return 0;
}

int dot_check_paths(const char *dot_file, const char *svg_file, const char *timeline_file)
{
    const char *files[] = { dot_file, svg_file, timeline_file };
    for (int k = 0; k < 3; k++)
        if (files[k] && check_path(files[k]))
            return -1;
    return 0;
}
