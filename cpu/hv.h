/* cpu/hv.h: the hypervisor interface, the one joint through which a monitor
 * sees and steers a machine. A monitor fills an hv_ops_t with the hooks it
 * needs (any may be NULL) and attaches it with hv_attach(); the machine
 * calls them at these points and nowhere else:
 *
 *   deliver      an event is about to go through the IDT (exception,
 *                interrupt, INT n): the monitor may take it instead (raw
 *                mode stops there; VT-x's exception bitmap is this)
 *   ring0_entry  an event was delivered to ring 0: the frame is on the
 *                ring-0 stack, CS:EIP is the gate's target (a VM exit of
 *                trap-and-emulate)
 *   before_insn  an instruction of the classes in `insn_classes`, at CPL >=
 *                `insn_min_cpl`, is about to execute: the monitor may run
 *                it itself (VT-x's instruction exits, DBT)
 *   after_insn   the same instruction ran and retired (the PG audit)
 *   halt         HLT retired: the monitor may take the wait
 *   port_in/out  the CPU's IN/OUT reached the machine's port bus
 *   code_write   a write hit a page that holds decoded code
 *   tracked_write  a write hit a page the monitor tracks (hv_track_page():
 *                dirty pages for migration, guest code a translator copied)
 *   step_end     the end of a step the monitor asked for with
 *                hv_request_step_end() (trap-and-emulate's STI shadow; a
 *                DBT's block boundary)
 *   guest_regs   what a user reads of the guest (step mode, the debugger,
 *                a stop message, breakpoints): the guest's CS:EIP and GS
 *                while the CPU runs the monitor's code for it (DBT)
 *   guest_goto   a debugger sets the guest's EIP there
 *
 * Trap-and-emulate (vmm/) is one implementation; raw mode (app/raw.c) is
 * another; a new monitor is a third, without a change to the run loop. */
#ifndef TRAPSIM_HV_H
#define TRAPSIM_HV_H
#include <stdint.h>
#include "isa/arch.h"

struct machine;

/* An event delivered through the IDT, as the monitor sees it. */
typedef struct hv_event {
    int vector;
    int kind;                 /* deliver_kind_t (cpu/cpu.h) */
    int has_error;
    uint32_t error;
    uint32_t fault_eip;       /* the instruction concerned */
    /* ring0_entry only: CS and SS just before the delivery (an IRET-like
     * exit to the guest restores them) */
    seg_cache_t pre_cs, pre_ss;
} hv_event_t;

/* The registers a monitor's own code holds in the guest's place. */
typedef struct hv_guest_regs {
    seg_cache_t cs, gs;
    uint32_t eip;
} hv_guest_regs_t;

typedef struct hv_ops {
    /* Returns 1 when the monitor took the event (the machine delivers nothing). */
    int  (*deliver)(void *ctx, struct machine *m, const hv_event_t *ev);
    void (*ring0_entry)(void *ctx, struct machine *m, const hv_event_t *ev);
    /* Returns 1 when the monitor ran (or refused) the instruction itself:
     * the machine neither executes nor retires it. */
    int  (*before_insn)(void *ctx, struct machine *m, const isa_insn_t *insn, uint32_t eip);
    void (*after_insn)(void *ctx, struct machine *m, const isa_insn_t *insn, uint32_t eip);
    /* Returns 1 when the monitor took the halt (the CPU does not wait). */
    int  (*halt)(void *ctx, struct machine *m);
    /* Return 1 when the monitor answered the access. */
    int  (*port_in)(void *ctx, struct machine *m, uint16_t port, int size, uint32_t *val);
    int  (*port_out)(void *ctx, struct machine *m, uint16_t port, int size, uint32_t val);
    void (*code_write)(void *ctx, struct machine *m, uint32_t phys);
    void (*step_end)(void *ctx, struct machine *m);
    /* a write of `size` bytes at phys, of which at least one is on a tracked page */
    void (*tracked_write)(void *ctx, struct machine *m, uint32_t phys, int size);
    /* 1 with the guest's registers in *r when the CPU runs the monitor's
     * code for it; 0 when the CPU's are the guest's */
    int  (*guest_regs)(void *ctx, const struct machine *m, hv_guest_regs_t *r);
    /* 1 when the monitor moved the guest to `eip` itself */
    int  (*guest_goto)(void *ctx, struct machine *m, uint32_t eip);
} hv_ops_t;

/* The monitor's place in a machine (machine_t.hv). */
typedef struct hv {
    const hv_ops_t *ops;      /* NULL: no monitor */
    void *ctx;
    uint32_t insn_classes;    /* before/after_insn: 1 << isa_class of the rows to intercept (0: none) */
    uint8_t insn_min_cpl;     /* ... at this CPL or above */
    uint8_t in_monitor;       /* the monitor is running its virtual CPU: deliveries neither re-enter it nor emit */
    const struct cpu *vcpu;   /* while in_monitor: that CPU (what the machine's events are stamped with), or NULL */
    uint8_t step_end_pending; /* step_end is due at the end of this step */
    /* The CPU whose system tables the guest sees when they are not the
     * machine's (te, pv, dbt: the monitor's virtual CPU, whose TR names the
     * guest's TSS), set after hv_attach(); NULL: the machine's own CPU. */
    const struct cpu *guest_cpu;
} hv_t;

/* Attaches a monitor (one per machine); insn_classes and insn_min_cpl say
 * which instructions before_insn and after_insn see. */
void hv_attach(struct machine *m, const hv_ops_t *ops, void *ctx, uint32_t insn_classes, int insn_min_cpl);
void hv_detach(struct machine *m);
/* step_end runs once, at the end of the next step (asked for during a
 * step: the one after it). */
void hv_request_step_end(struct machine *m);
/* Tracks (on) or stops tracking writes to RAM page `page` (physical address
 * >> 12): tracked_write sees every write there, by the CPU or by a monitor
 * emulating on the machine's memory, with or without the decode cache.
 * 0, or -1 when the page is not RAM or there is no memory for the map. */
int hv_track_page(struct machine *m, uint32_t page, int on);
/* Brackets the monitor's own work on its virtual CPU `vcpu` (a struct cpu
 * the monitor owns, NULL: the machine's own): the machine's events (I/O,
 * console, stop) made meanwhile carry that CPU's ring and address. */
void hv_monitor_enter(struct machine *m, const struct cpu *vcpu);
void hv_monitor_leave(struct machine *m);
/* Delivers an event through the IDT of a monitor's virtual CPU `c`, as
 * the machine delivers to its own (cpu/intr.c): no hook, no event. */
void hv_deliver_virtual(struct machine *m, struct cpu *c, int vector, int kind, int has_error,
                        uint32_t error, uint32_t fault_eip);

/* The guest's CS, GS and EIP as a user reads them: the CPU's, or the
 * monitor's guest_regs. */
void hv_guest_regs(const struct machine *m, hv_guest_regs_t *r);
/* A debugger's new guest EIP: through the monitor's guest_goto, or into
 * the CPU. */
void hv_guest_goto(struct machine *m, uint32_t eip);

/* Whether before/after_insn see this instruction at `cpl` (the run loop). */
static inline int hv_intercepts(const hv_t *h, const isa_insn_t *insn, int cpl)
{
    return h->insn_classes && cpl >= h->insn_min_cpl && insn->row != ROW_INVALID &&
           (h->insn_classes >> isa_rows[insn->row].cls) & 1;
}
#endif
