/* host/vm.h: one VM of a run. A VM is everything one guest has of its own:
 * its RAM, its devices, its CPU state, its monitor (the trap-and-emulate
 * VMM under --vmm, none bare), its console and its virtual time. Everything
 * outside host/ reaches a VM through a vm_t; the scheduler (host/host.h)
 * uses only vm_run_for() and the accessors below, never the machine. */
/* A VM is one machine_t (cpu/cpu.h) with its monitor attached behind the
 * hypervisor interface (cpu/hv.h: vmm_attach() does hv_attach()); the
 * monitor owns the guest's virtual CPU as a value (docs/ARCHITECTURE.md).
 * vm.c is the only file of host/ that knows it: vm_new builds the VM's
 * memory and devices, vm_start picks its monitor, vm_run_for runs it for a
 * quantum; another monitor changes vm.c only, host.c and app/ stay. */
#ifndef TRAPSIM_VM_H
#define TRAPSIM_VM_H
#include <stdint.h>
#include <stdio.h>
#include "cpu/cpu.h"
#include "cpu/trace.h"
#include "host/monitor.h"
#include "vmm/view.h"

struct vmm;
struct vtx;

#define VM_NAME_MAX 32

/* What a VM is made of (trapsim run's per-VM options, a scenario's
 * [vm NAME] section). */
typedef struct vm_config {
    const char *name;           /* [A-Za-z0-9_-]; NULL or "" for the one VM of a single-VM run */
    const char *image;          /* the Multiboot ELF file */
    const char *image_name;     /* the kernel's name in the guest's command line (NULL: image) */
    const char *cmdline;        /* NULL: none */
    uint64_t ram;               /* bytes */
    uint64_t max_insns;         /* the VM's own budget (0: none) */
    uint64_t guest_ips;         /* PIT time scale */
    const isa_profile_t *isa;
    vm_monitor_t monitor;       /* what the guest runs under (host/monitor.h) */
    int expose_pg;
    uint32_t tc_size;           /* MON_DBT: translation cache bytes (0: DBT_TC_DEFAULT) */
    int no_cache;
    FILE *console;              /* where the guest's console goes (NULL: stdout) */
} vm_config_t;

typedef struct vm vm_t;

/* A VM with its image loaded, at its entry point, no monitor yet (add the
 * sinks, then vm_start()). NULL with a one-line reason in err. */
vm_t *vm_new(const vm_config_t *cfg, char *err, size_t errlen);
/* The same VM with zeroed RAM, devices at reset and no image: a snapshot's
 * state goes in next (host/snapshot.h). */
vm_t *vm_new_empty(const vm_config_t *cfg, char *err, size_t errlen);
/* Events of this VM go to the sink too; when the VM has a name, each
 * event carries it (event_t.vm). */
void vm_add_sink(vm_t *vm, const trace_sink_t *s);
/* Attaches the monitor the configuration asks for; -1 when out of memory. */
int vm_start(vm_t *vm);
/* Runs at most `steps` steps (machine_steps()); returns the steps run. */
uint64_t vm_run_for(vm_t *vm, uint64_t steps);
void vm_free(vm_t *vm);

const char *vm_name(const vm_t *vm);
int vm_stopped(const vm_t *vm);
int vm_exit_status(const vm_t *vm);         /* README, "Exit statuses" */
const char *vm_stop_msg(const vm_t *vm);
uint64_t vm_steps(const vm_t *vm);          /* steps run so far */
uint64_t vm_instructions(const vm_t *vm);   /* retired instructions */
/* The machine and the monitor (NULL: bare), for the views that read them
 * (summary, statistics, step mode, the GDB stub). */
machine_t *vm_machine(vm_t *vm);
const machine_t *vm_machine_c(const vm_t *vm);
struct vmm *vm_monitor(const vm_t *vm);
/* The monitor's views for step mode and the GDB stub (vmm/view.h): ops
 * NULL when the VM runs bare. */
monitor_view_t vm_monitor_view(const vm_t *vm);
/* The image's symbol table (cpu/symbols.h), NULL when it has none; the
 * machine's events carry it too (event_t.syms). */
const struct symtab *vm_symbols(const vm_t *vm);
/* The VM's symbols from elsewhere (a snapshot): it owns them now. */
void vm_set_symbols(vm_t *vm, struct symtab *syms);
struct vtx *vm_vtx(const vm_t *vm);             /* --vmm=vtx's hypervisor (NULL: another) */
const vm_config_t *vm_config(const vm_t *vm);
/* A monitor restored from a snapshot becomes the VM's (vm_start() then
 * attaches nothing more). */
void vm_adopt_monitor(vm_t *vm, struct vmm *te, struct vtx *vtx);
/* The end of the run: the sinks' finish. */
void vm_finish(vm_t *vm);
#endif
