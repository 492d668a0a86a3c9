/* The end-of-run summary: a sink that counts traps, printed as an aligned
 * table (and as key=value lines with --stats FILE). */
#ifndef TRAPSIM_STATS_H
#define TRAPSIM_STATS_H
#include <stdio.h>
#include "cpu/cpu.h"
#include "vmm/vmm.h"

typedef struct stats stats_t;
stats_t *stats_new(void);
void stats_free(stats_t *s);
void stats_emit(void *ctx, const event_t *ev);
/* The summary; `vm` names the VM in its title when a run has several (else NULL). */
void stats_print(const stats_t *s, const machine_t *m, const vmm_t *vmm, const char *vm, FILE *out);
/* The statistics as key=value lines, to f or to the file at path (0, or -1 with errno). */
void stats_write(const stats_t *s, const machine_t *m, const vmm_t *vmm, FILE *f);
int  stats_write_file(const stats_t *s, const machine_t *m, const vmm_t *vmm, const char *path);
#endif
