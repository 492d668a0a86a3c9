/* vmm: the ring-0 trap-and-emulate VMM (DESIGN.md "vmm/"). */
#ifndef TRAPSIM_VMM_H
#define TRAPSIM_VMM_H
#include <stdint.h>
#include <stdio.h>
#include "cpu/cpu.h"

typedef struct vmm vmm_t;

/* Takes over a machine whose guest is loaded and at its entry point:
 * maps the VMM's own area at the top of the address space (the guest keeps
 * all its RAM) and deprivileges the guest kernel to ring 1. NULL when out
 * of memory. vmm_free() unmaps the area again. */
vmm_t *vmm_attach(machine_t *m, int expose_pg);
/* The same machinery with a binary translator for the guest kernel
 * (--vmm=dbt): guest CPL-0 code runs only from a translation cache of
 * `tc_size` bytes (DBT_TC_DEFAULT, vmm/dbt.h, when 0). */
vmm_t *vmm_attach_dbt(machine_t *m, uint32_t tc_size);
void vmm_free(vmm_t *v);
struct snap_io;
/* The VMM's state for a snapshot (docs/SNAPSHOT.md): the virtual CPU, the
 * guest's devices, the shadow tables (its area), the counters. */
void vmm_snap_save(vmm_t *v, struct snap_io *io);
/* A VMM over a machine whose state was just loaded, with the saved state:
 * attached, its area mapped; NULL with the problem in io->err. */
vmm_t *vmm_snap_load(machine_t *m, struct snap_io *io);
/* --vmm=dbt's part (vmm/dbt.c): a snapshot holds a guest kernel at the
 * guest address its fragment stands for, and no fragment: the translation
 * cache is dropped and rebuilt on demand. For the time of a save,
 * dbt_snap_park() puts the real CPU at that address (0, or -1 when it is at
 * no fragment instruction) and dbt_snap_unpark() back where it was; the
 * area saves with the cache all HLT, as a flush leaves it. */
typedef struct dbt_park {
    seg_cache_t cs, gs;
    uint32_t eip;
    int parked;
} dbt_park_t;
int dbt_snap_park(vmm_t *v, dbt_park_t *p);
void dbt_snap_unpark(vmm_t *v, const dbt_park_t *p);
/* The translator's section: its size, whether the guest was in the cache,
 * the counters. Loading gives the VMM of te's section its translator for a
 * cache of `tc_size` bytes and, for a guest kernel, the fragment it goes on
 * in; 0, or -1 with the problem in io. */
void dbt_snap_save(vmm_t *v, struct snap_io *io);
int dbt_snap_load(vmm_t *v, uint32_t tc_size, struct snap_io *io);
void vmm_print_summary(const vmm_t *v, FILE *out);
void vmm_write_stats(const vmm_t *v, FILE *f);
/* VM exits so far (every entry into the VMM). */
uint64_t vmm_exits(const vmm_t *v);
#endif
