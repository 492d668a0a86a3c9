/* host/monitor.h: which monitor a VM runs under, by name: `--vmm=NAME` on
 * the command line and `mode = NAME` in a scenario file. A new monitor is a
 * new value here, its row in host/vm.c's table, and its case in
 * vm_start(). */
#ifndef TRAPSIM_MONITOR_H
#define TRAPSIM_MONITOR_H

typedef enum vm_monitor {
    MON_BARE,       /* no monitor: the guest owns the machine */
    MON_TE,         /* trap-and-emulate, the ring-0 VMM (vmm/) */
    MON_VTX,        /* trapsim's hypervisor over the CPU's VMX (vmm/vtx.c) */
    MON_PV,         /* paravirtualization: te's VMM with hypercalls (vmm/pv.c) */
    MON_DBT,        /* the ring-0 VMM with a binary translator for the guest kernel (vmm/dbt.c) */
    MON_COUNT
} vm_monitor_t;

/* "bare", "te", "vtx": the name --vmm= and scenario files take */
const char *vm_monitor_name(vm_monitor_t mon);
/* "bare", "under the VMM", "under VT-x": a run's description */
const char *vm_monitor_label(vm_monitor_t mon);
/* The monitor of that name ("vmm" is te, scenario files' first spelling);
 * -1 when there is none. */
int vm_monitor_find(const char *name);
/* "te, vtx, dbt": the names a user may give, for an error line */
const char *vm_monitor_names(void);
/* Whether the guest kernel runs deprivileged in ring 1 (the graph's names) */
int vm_monitor_deprivileges(vm_monitor_t mon);
#endif
