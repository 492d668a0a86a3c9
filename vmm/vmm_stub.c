#include <stdlib.h>
#include "vmm/vmm.h"
uint32_t vmm_guest_ram_top(uint32_t ram_size) { return ram_size - (1u << 20); }
vmm_t *vmm_attach(machine_t *m, int expose_pg) { (void)m; (void)expose_pg; return NULL; }
void vmm_free(vmm_t *v) { (void)v; }
void vmm_print_summary(const vmm_t *v, FILE *out) { (void)v; (void)out; }
void vmm_write_stats(const vmm_t *v, FILE *f) { (void)v; (void)f; }
