/* The one event stream behind every trace, graph and summary.
 * Modules describe what happened as events; sinks turn them into views
 * (text trace, trap-flow graph, statistics). Adding a view never touches the
 * CPU or the VMM. With no sink listening, emitting costs one branch. */
#ifndef TRAPSIM_TRACE_H
#define TRAPSIM_TRACE_H
#include <stdint.h>
#include <stdio.h>
#include "isa/isa.h"

struct symtab;   /* cpu/symbols.h */

/* Trace levels (--trace=LIST). */
enum {
    TL_INSN = 1u << 0,  /* every retired instruction, disassembled */
    TL_TRAP = 1u << 1,  /* exceptions, interrupts, IRETs, privilege changes */
    TL_IO   = 1u << 2,  /* port I/O */
    TL_VMM  = 1u << 3,  /* VMM decisions: exits, emulation, injection, shadowing */
    TL_PG   = 1u << 4,  /* Popek-Goldberg violations (--expose-pg) */
    TL_VMX  = 1u << 5,  /* VMX: VM entries and VM exits of the CPU's non-root operation */
    TL_DBT  = 1u << 6,  /* the binary translator (--vmm=dbt): translations, chaining, invalidation */
    TL_ALL  = 0x7f
};

typedef enum ev_kind {
    EV_INSN,      /* an instruction retired */
    EV_EXC,       /* an exception was delivered through the IDT */
    EV_IRQ,       /* a hardware interrupt was delivered through the IDT */
    EV_SOFTINT,   /* INT n / INT3 / INTO / INT1 was delivered through the IDT */
    EV_RETURN,    /* IRET or far RET changed the ring */
    EV_IO,        /* a port read or write */
    EV_VMM,       /* the VMM did something (text says what) */
    EV_PG,        /* a sensitive instruction ran without trapping (text says what) */
    EV_CONSOLE,   /* the guest printed a byte (not in the text trace) */
    EV_STOP,      /* the run ended (text says why) */
    EV_VMX,       /* a VM entry or VM exit (vmx_kind, vmx_reason; text the details) */
    EV_DBT        /* the binary translator did something (text says what; action a dbt_action_t) */
} ev_kind_t;

/* What a monitor did (EV_VMM): its actions, in the order of how much one
 * tells about the way back into the guest (app/dot.c labels a visit to the
 * VMM with its highest): the bookkeeping first, then what was done for the
 * guest. */
typedef enum vmm_action {
    VA_NONE,      /* "vmm" */
    VA_SETUP,     /* the monitor took the machine */
    VA_EXIT,      /* a VM exit and why (event_t.exit_reason, exit_qual) */
    VA_SHADOW,    /* shadow GDT/IDT updates */
    VA_DEFER,     /* a virtual interrupt held back: virtual IF = 0 */
    VA_EMULATE,   /* a trapped instruction run on the virtual CPU */
    VA_REFLECT,   /* a fault that is the guest's own, to its handler */
    VA_FORWARD,   /* an event delivered through the guest's own IDT */
    VA_INJECT,    /* a virtual interrupt delivered */
    VA_HYPERCALL, /* a paravirtual guest's request (--vmm=pv), its arguments and result */
    VA_COUNT
} vmm_action_t;
/* "setup", "exit", ...: the name the trace and the graph print. */
const char *vmm_action_name(int action);

/* Why the guest left for its monitor: the basic reason of a VM exit, with
 * the SDM's number where it has one (vol. 3C, appendix C), and its
 * qualification in event_t.exit_qual. */
typedef enum exit_reason {
    XR_NONE,          /* not an exit: a note made at one */
    XR_EXCEPTION,     /* SDM 0: qualification the vector (error code in event_t.error) */
    XR_EXTINT,        /* SDM 1: an external interrupt; qualification the IRQ line */
    XR_SOFTINT,       /* SDM 0, interruption type 4: INT n; qualification the vector */
    XR_HYPERCALL,     /* --vmm=pv: int $0x82 from the guest kernel; qualification the hypercall number */
    XR_CPUID,         /* SDM 10: --vmm=pv answers CPUID (as CPUID faulting would let it); qualification the leaf */
    XR_COUNT
} exit_reason_t;
const char *exit_reason_name(int reason);
int exit_reason_sdm(int reason);   /* -1: none */

/* What the CPU's VMX did (EV_VMX): its names are the trace's "entry",
 * "exit", "vmfail". */
typedef enum vmx_ev_kind {
    VX_ENTRY,         /* a VM entry: the guest runs */
    VX_EXIT,          /* a VM exit (event_t.vmx_reason) */
    VX_VMFAIL         /* VMLAUNCH/VMRESUME failed (VMfailValid/VMfailInvalid) */
} vmx_ev_kind_t;

typedef struct event {
    ev_kind_t kind;
    uint64_t icount;        /* retired instructions so far */
    uint8_t  ring;          /* CPL when the event began */
    uint8_t  to_ring;       /* CPL after it (delivery, return) */
    uint8_t  vector;        /* EXC, IRQ, SOFTINT */
    uint8_t  has_error;
    uint8_t  is_write;      /* IO: 1 = OUT */
    uint8_t  size;          /* IO: bytes */
    uint16_t cs, ss;        /* delivery/return: new CS and SS */
    uint32_t eip;           /* address of the instruction concerned */
    uint32_t target;        /* delivery/return: new EIP */
    uint32_t esp;           /* delivery/return: new ESP */
    uint32_t error;         /* error code */
    uint16_t port;          /* IO */
    uint32_t value;         /* IO value; CONSOLE byte */
    int      irq;           /* IRQ line for EV_IRQ, -1 otherwise */
    const isa_insn_t *insn; /* INSN: the decoded instruction */
    uint8_t  action;        /* VMM: what the monitor did (vmm_action_t) */
    uint8_t  exit_reason;   /* VMM, action VA_EXIT: exit_reason_t */
    uint8_t  vmx_kind;      /* VMX: vmx_ev_kind_t */
    uint32_t exit_qual;     /* VMM, action VA_EXIT: the reason's qualification */
    uint32_t vmx_reason;    /* VMX exit: the CPU's exit reason, the SDM's number (bit 31: a VM-entry failure);
                             * entry: the VM-entry interruption information (bit 31: it injects) */
    const char *text;       /* VMM, PG, STOP: the message; INSN: the disassembly, when known (else made from insn) */
    const char *vm;         /* the VM's name when a run has several (host/vm.h), else NULL */
    uint32_t kstack;        /* ring 3 concerned (ring or to_ring 3): which process, by the kernel stack a
                             * 3->0 transition of the guest lands on: ESP0 of the TSS the guest sees
                             * (machine_guest_kstack(), cpu/cpu.h); 0 otherwise, without a TSS, or
                             * when no sink reads it (TL_KSTACK) */
    const struct symtab *syms; /* the image's symbols (trace_t.syms), to name code addresses; NULL: none */
} event_t;

/* Every field zero, defined apart from its users: an event started as its
 * copy costs a few vector moves, where an initializer clears the event with
 * REP STOS, slow to start (events a picture takes at every VM exit). */
extern const event_t event_blank;

typedef struct trace_sink {
    uint32_t levels;                              /* TL_* this sink wants */
    void (*emit)(void *ctx, const event_t *ev);
    void (*finish)(void *ctx);                    /* at the end of the run (may be NULL) */
    void *ctx;
} trace_sink_t;
/* In a sink's levels: of its levels (TL_* below 0x100), those whose events
 * it takes without their text (levels | TL_TEXTLESS(TL_VMM)), in bits 8-15.
 * When no sink wants a level's text, its producers need not format it:
 * ev->text is NULL. */
#define TL_TEXTLESS(levels) (((uint32_t)(levels) & 0xffu) << 8)
/* In a sink's levels: it reads event_t.kstack (which process), which the
 * machine then works out for the events that concern ring 3; else it need
 * not (a read of the guest's TSS at every system call). */
#define TL_KSTACK (1u << 16)

#define TRACE_MAX_SINKS 8
typedef struct trace {
    uint32_t levels;        /* union of the sinks' levels: the one branch */
    const struct symtab *syms; /* the guest image's symbols: every event reaches the sinks with them */
    uint32_t text_levels;   /* the levels some sink wants with their text */
    uint8_t kstack_wanted;  /* some sink reads event_t.kstack (TL_KSTACK) */
    int nsinks;
    trace_sink_t sinks[TRACE_MAX_SINKS];
} trace_t;

/* Level an event kind belongs to (inline: every emitted event asks). */
static inline uint32_t trace_level_of(ev_kind_t kind)
{
    switch (kind) {
    case EV_INSN: return TL_INSN;
    case EV_EXC: case EV_IRQ: case EV_SOFTINT: case EV_RETURN: case EV_STOP: return TL_TRAP;
    case EV_IO: return TL_IO;
    case EV_VMM: return TL_VMM;
    case EV_PG: return TL_PG;
    case EV_VMX: return TL_VMX;
    case EV_DBT: return TL_DBT;
    case EV_CONSOLE: return 1u << 31;   /* no text level; sinks may ask for it */
    }
    return 0;
}
void trace_add_sink(trace_t *t, const trace_sink_t *s);
/* Changes which levels the sinks with context `ctx` take without text
 * (TL_TEXTLESS), as their needs change during a run. */
void trace_set_textless(trace_t *t, const void *ctx, uint32_t textless);
void trace_emit_slow(trace_t *t, const event_t *ev);
void trace_finish(trace_t *t);

#ifndef TRAPSIM_NO_TRACE
static inline int trace_on(const trace_t *t, uint32_t level) { return (t->levels & level) != 0; }
/* Whether some sink wants the text of `level`'s events (else emit them with text NULL). */
static inline int trace_text_on(const trace_t *t, uint32_t level) { return (t->text_levels & level) != 0; }
static inline void trace_emit(trace_t *t, const event_t *ev)
{
    if (t->levels & trace_level_of(ev->kind))
        trace_emit_slow(t, ev);
}
#else
/* Built without trace hooks (the bench's "trace hooks cost" row): no event
 * reaches a sink, so traces, graphs and event counts stay empty. */
static inline int trace_on(const trace_t *t, uint32_t level) { (void)t; (void)level; return 0; }
static inline int trace_text_on(const trace_t *t, uint32_t level) { (void)t; (void)level; return 0; }
static inline void trace_emit(trace_t *t, const event_t *ev) { (void)t; (void)ev; }
#endif

/* What the binary translator did (EV_DBT, event_t.action). */
typedef enum dbt_action {
    DA_TRANSLATE,  /* a guest block became a fragment (and its lines) */
    DA_CHAIN,      /* an exit now jumps straight to its target's fragment */
    DA_EXIT,       /* a fragment went back to the translator */
    DA_INVALIDATE, /* a write to guest code dropped a fragment */
    DA_FLUSH,      /* the translation cache was full: emptied */
    DA_COUNT
} dbt_action_t;

/* Parses "insn,trap,io,vmm,pg,vmx,dbt,all" into TL_* bits; -1 on an unknown name. */
int trace_parse_levels(const char *list, uint32_t *out);

/* One aligned row of an end-of-run summary: "  label   N  (detail)". */
void summary_row(FILE *out, const char *label, uint64_t n, const char *detail);

/* Who a trace line belongs to, for its colour on a terminal: the ring the
 * guest was in (0-3) for the guest's own events, else the actor: the
 * monitor (vmm lines: it runs in ring 0, whichever ring the guest left),
 * the PG audit (pg lines, red), the CPU's VMX, the guest's console. */
enum { ACTOR_VMM = 4, ACTOR_PG, ACTOR_VMX, ACTOR_CONSOLE, ACTOR_COUNT };
int trace_actor(const event_t *ev);
/* The ANSI colour of an actor's lines (README, "Reading a trace"). */
const char *trace_actor_color(int actor);

/* The text sink: one event per line, "%010llu rN kind  details" (README,
 * "Reading a trace"), after "[VM] " when the event names its VM. `color` adds ANSI colours by actor
 * (trace_actor()); the text stays the same. */
typedef struct text_sink {
    FILE *out;
    int color;
} text_sink_t;
void text_sink_emit(void *ctx, const event_t *ev);
/* "[VM] " when the event names its VM (a run of several), else ""; returns
 * its length. */
int trace_vm_prefix(const event_t *ev, char *buf, size_t size);
/* Formats one event as its text-trace line (no newline); returns its length. */
int trace_format(const event_t *ev, char *buf, size_t size);

#endif
