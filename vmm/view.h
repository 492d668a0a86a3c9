/* vmm/view.h: what a monitor shows of itself to the debugger views (step
 * mode's commands, the GDB stub's `monitor` commands). Each monitor fills
 * one monitor_view_ops_t with a function per view it has (NULL where it
 * has none: the views then show the real CPU alone) and host/vm.c hands it
 * out with the monitor (vm_monitor_view()). A new monitor's view is one
 * function per line below:
 *
 *   vcpu   the guest's virtual CPU beside the real one (te: vmm_t.vcpu,
 *          virtual IF/IOPL/CPL, the guest's GDTR/IDTR/TR and CR0)
 *   idt    the guest's IDT beside the IDT the CPU uses (te: the shadow IDT);
 *          vector < 0 for all, else that one
 *   gdt    the guest's GDT beside the GDT the CPU uses (te: the shadow GDT)
 *   tss    the guest's TSS beside the CPU's
 *   state  what this monitor keeps besides (te: its area and shadow tables
 *          and counters; dbt: the current block's translation; pv: the
 *          shared page; vtx: the VMCS)
 *
 * All only read. `mon` is the monitor's own state (vmm_t, vtx_t, ...). */
#ifndef TRAPSIM_VMM_VIEW_H
#define TRAPSIM_VMM_VIEW_H
#include <stdio.h>

typedef struct monitor_view_ops {
    const char *name;        /* "te", ...: what `h` and `monitor help` call it */
    void (*vcpu)(const void *mon, FILE *out);
    void (*idt)(const void *mon, int vector, FILE *out);
    void (*gdt)(const void *mon, FILE *out);
    void (*tss)(const void *mon, FILE *out);
    void (*state)(const void *mon, FILE *out);
} monitor_view_ops_t;

/* A monitor as the views see it: its ops and its state; ops NULL when the
 * VM runs bare (or its monitor has no views yet). */
typedef struct monitor_view {
    const monitor_view_ops_t *ops;
    const void *mon;
    const char *label;       /* NULL: bare; else the monitor ("under VT-x", host/monitor.h) */
} monitor_view_t;

/* The line a view prints where the monitor has no such view: "no
 * monitor: the guest runs bare", or that this monitor shows none yet. */
static inline void monitor_view_none(const monitor_view_t *v, FILE *out)
{
    if (!v->label)
        fputs("no monitor: the guest runs bare, on the real CPU\n", out);
    else
        fprintf(out, "%s: the monitor shows no view of its own here yet (the real CPU's state is the guest's)\n",
                v->label);
}

/* Trap-and-emulate's views (vmm/vmm_view.c). */
extern const monitor_view_ops_t vmm_view_ops;
/* The binary translator's: te's, and as its state the current fragment. */
extern const monitor_view_ops_t dbt_view_ops;
/* VT-x's (vmm/vtx.c): its state is the current VMCS. */
extern const monitor_view_ops_t vtx_view_ops;
#endif
