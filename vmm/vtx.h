/* vtx: trapsim's own hypervisor over the CPU's VMX (--vmm=vtx). The guest
 * runs unchanged at its own rings in VMX non-root operation, with its own
 * GDT, IDT and TSS in the real registers: no ring compression, no shadow
 * tables. The hypervisor is C code in root operation: it programs a VMCS,
 * handles each VM exit, and resumes. */
#ifndef TRAPSIM_VTX_H
#define TRAPSIM_VTX_H
#include "cpu/cpu.h"

typedef struct vtx vtx_t;

/* Takes over a machine whose guest is loaded and at its entry point: VMX
 * on, a VMCS in an 8 KiB area mapped at the top of the address space (the
 * VMXON region and the VMCS), the guest launched. NULL when out of memory
 * or when the VM entry fails. vtx_free() unmaps the area again. */
vtx_t *vtx_attach(machine_t *m);
void vtx_free(vtx_t *v);
struct snap_io;
/* The hypervisor's state for a snapshot (docs/SNAPSHOT.md): the VMXON
 * region and the VMCS (its area), the guest's own CR0 and CR4, the
 * interrupt not yet injected. The CPU's VMX state is the machine's. */
void vtx_snap_save(vtx_t *v, struct snap_io *io);
/* The hypervisor over a machine whose state was just loaded (in VMX
 * operation already): NULL with the problem in io->err. */
vtx_t *vtx_snap_load(machine_t *m, struct snap_io *io);
#endif
