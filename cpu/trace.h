/* The one event stream behind every trace, graph and summary.
 * Modules describe what happened as events; sinks turn them into views
 * (text trace, trap-flow graph, statistics). Adding a view never touches the
 * CPU or the VMM. With no sink listening, emitting costs one branch. */
#ifndef TRAPSIM_TRACE_H
#define TRAPSIM_TRACE_H
#include <stdint.h>
#include <stdio.h>
#include "isa/isa.h"

/* Trace levels (--trace=LIST). */
enum {
    TL_INSN = 1u << 0,  /* every retired instruction, disassembled */
    TL_TRAP = 1u << 1,  /* exceptions, interrupts, IRETs, privilege changes */
    TL_IO   = 1u << 2,  /* port I/O */
    TL_VMM  = 1u << 3,  /* VMM decisions: exits, emulation, injection, shadowing */
    TL_PG   = 1u << 4,  /* Popek-Goldberg violations (--expose-pg) */
    TL_VMX  = 1u << 5,  /* VMX: VM entries and VM exits of the CPU's non-root operation */
    TL_ALL  = 0x3f
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
    EV_VMX        /* a VM entry or VM exit (actor "entry"/"exit", text the details) */
} ev_kind_t;

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
    uint32_t vmx_reason;    /* VMX exit: the exit reason (bit 31: a VM-entry failure) */
    const char *actor;      /* VMM/PG: which part of the VMM ("exit", "emulate", ...); VMX: "entry", "exit" */
    const char *text;       /* VMM, PG, STOP: the message; INSN: the disassembly, when known (else made from insn) */
    const char *vm;         /* the VM's name when a run has several (host/vm.h), else NULL */
} event_t;

typedef struct trace_sink {
    uint32_t levels;                              /* TL_* this sink wants */
    void (*emit)(void *ctx, const event_t *ev);
    void (*finish)(void *ctx);                    /* at the end of the run (may be NULL) */
    void *ctx;
} trace_sink_t;

#define TRACE_MAX_SINKS 8
typedef struct trace {
    uint32_t levels;        /* union of the sinks' levels: the one branch */
    int nsinks;
    trace_sink_t sinks[TRACE_MAX_SINKS];
} trace_t;

/* Level an event kind belongs to. */
uint32_t trace_level_of(ev_kind_t kind);
void trace_add_sink(trace_t *t, const trace_sink_t *s);
void trace_emit_slow(trace_t *t, const event_t *ev);
void trace_finish(trace_t *t);

#ifndef TRAPSIM_NO_TRACE
static inline int trace_on(const trace_t *t, uint32_t level) { return (t->levels & level) != 0; }
static inline void trace_emit(trace_t *t, const event_t *ev)
{
    if (t->levels & trace_level_of(ev->kind))
        trace_emit_slow(t, ev);
}
#else
/* Built without trace hooks (the bench's "trace hooks cost" row): no event
 * reaches a sink, so traces, graphs and event counts stay empty. */
static inline int trace_on(const trace_t *t, uint32_t level) { (void)t; (void)level; return 0; }
static inline void trace_emit(trace_t *t, const event_t *ev) { (void)t; (void)ev; }
#endif

/* Parses "insn,trap,io,vmm,pg,vmx,all" into TL_* bits; -1 on an unknown name. */
int trace_parse_levels(const char *list, uint32_t *out);

/* One aligned row of an end-of-run summary: "  label   N  (detail)". */
void summary_row(FILE *out, const char *label, uint64_t n, const char *detail);

/* The text sink: one event per line, "%010llu rN kind  details" (README,
 * "Reading a trace"), after "[VM] " when the event names its VM. `color` adds ANSI ring colours. */
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
