/* vmm/pv.h: `--vmm=pv`, paravirtualization on top of the trap-and-emulate
 * VMM (vmm/pv.c; the ABI is vmm/pv_abi.h). The guest kernel runs in ring 1
 * as under te, but asks with hypercalls where te would trap and emulate;
 * a guest kernel that runs a privileged instruction instead is stopped
 * (exit status 16: it does not paravirtualize). */
#ifndef TRAPSIM_PV_H
#define TRAPSIM_PV_H
#include <stdint.h>
#include "vmm/vmm.h"

/* vmm_attach() with the paravirtual interface; NULL when out of memory. */
vmm_t *vmm_attach_pv(machine_t *m);
/* Hypercall `nr` with arguments a[0..4] as the guest kernel would make it
 * (the VM exit aside): its result, >= 0 or -PV_E*. The monitor's own
 * entry (int $0x82) comes here; so do the unit tests and the fuzz target. */
int32_t pv_hypercall(vmm_t *v, uint32_t nr, const uint32_t a[5]);
/* "set_gdt"; NULL for an unknown number */
const char *pv_hypercall_name(uint32_t nr);
/* Hypercalls made so far of number nr (inside multicalls too). */
uint64_t pv_hypercalls(const vmm_t *v, uint32_t nr);
struct snap_io;
/* The paravirtual interface's state for a snapshot (docs/SNAPSHOT.md): the
 * view, the registrations, the counters; the rest of the VM's monitor is
 * te's (vmm_snap_save()). Loading gives the restored VMM (of te's section)
 * its pv part and pv's hooks: 0, or -1 with the problem in io. */
void pv_snap_save(vmm_t *v, struct snap_io *io);
int pv_snap_load(vmm_t *v, struct snap_io *io);
#endif
