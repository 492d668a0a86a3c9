/* vmm: the ring-0 trap-and-emulate VMM (DESIGN.md "vmm/"). */
#ifndef TRAPSIM_VMM_H
#define TRAPSIM_VMM_H
#include <stdint.h>
#include <stdio.h>
#include "cpu/cpu.h"

typedef struct vmm vmm_t;

/* The end of the RAM the guest is told about: the VMM keeps the top of RAM
 * for its own tables and stack, beyond the guest's (truncated) segments. */
uint32_t vmm_guest_ram_top(uint32_t ram_size);
/* Takes over a machine whose guest is loaded and at its entry point:
 * deprivileges the guest kernel to ring 1. NULL when out of memory. */
vmm_t *vmm_attach(machine_t *m, int expose_pg);
void vmm_free(vmm_t *v);
void vmm_print_summary(const vmm_t *v, FILE *out);
/* The guest's IDT (as its virtual IDTR names it) beside the real, shadow
 * IDT, one vector per line, for the vectors the guest defines. */
void vmm_print_idts(const vmm_t *v, FILE *out);
void vmm_write_stats(const vmm_t *v, FILE *f);
#endif
