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
#endif
