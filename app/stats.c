#include <stdlib.h>
#include <string.h>
#include "app/stats.h"
#include "cpu/names.h"
#include "cpu/vmx.h"

struct stats {
    uint64_t exc[32];
    uint64_t irq[16];
    uint64_t softint[256];
    uint64_t returns;
};

stats_t *stats_new(void) { return calloc(1, sizeof(stats_t)); }
void stats_free(stats_t *s) { free(s); }

void stats_emit(void *ctx, const event_t *ev)
{
    stats_t *s = ctx;
    switch (ev->kind) {
    case EV_EXC: s->exc[ev->vector & 31]++; break;
    case EV_IRQ: if (ev->irq >= 0 && ev->irq < 16) s->irq[ev->irq]++; break;
    case EV_SOFTINT: s->softint[ev->vector]++; break;
    case EV_RETURN: s->returns++; break;
    default: break;
    }
}

void stats_print(const stats_t *s, const machine_t *m, const vmm_t *vmm, const char *vm, FILE *out)
{
    char d[512];
    size_t k = 0;
    if (vm)
        fprintf(out, "trapsim: summary of [%s]\n", vm);
    else
        fprintf(out, "trapsim: summary\n");
    for (int r = 0; r < 4; r++)
        k = list_append(d, sizeof d, k, m->insns_by_ring[r], "ring %d:", r);
    summary_row(out, "instructions retired", m->cpu.icount, d);
    if (s) {
        list_exceptions(d, sizeof d, 0, s->exc);
        summary_row(out, "exceptions delivered", count_total(s->exc, 32), d);
        list_counts(d, sizeof d, 0, s->irq, 16, "IRQ%d");
        summary_row(out, "interrupts delivered", count_total(s->irq, 16), d);
        list_counts(d, sizeof d, 0, s->softint, 256, "int 0x%02x");
        summary_row(out, "software interrupts", count_total(s->softint, 256), d);
        summary_row(out, "returns to an outer ring", s->returns, "");
        uint64_t exits = count_total(m->vmx_exits, VMX_EXIT_REASON_COUNT);
        if (m->vmx_entries || exits) {   /* only a guest that used VMX has these rows */
            k = 0;
            for (int r = 0; r < VMX_EXIT_REASON_COUNT; r++)
                if (m->vmx_exits[r])
                    k = list_append(d, sizeof d, k, m->vmx_exits[r], "%s", vmx_exit_key(r));
            summary_row(out, "VM entries (VMX)", m->vmx_entries, "");
            summary_row(out, "VM exits (VMX)", exits, k ? d : "");
        }
    }
    if (vmm)
        vmm_print_summary(vmm, out);
}

void stats_write(const stats_t *s, const machine_t *m, const vmm_t *vmm, FILE *f)
{
    fprintf(f, "stop=%s\n", m->stop_msg);
    fprintf(f, "exit_status=%d\n", machine_exit_status(m));
    fprintf(f, "insns.total=%llu\n", (unsigned long long)m->cpu.icount);
    for (int r = 0; r < 4; r++)
        fprintf(f, "insns.ring%d=%llu\n", r, (unsigned long long)m->insns_by_ring[r]);
    if (s) {
        write_counts(f, "exception.%d", s->exc, 32);
        write_counts(f, "irq.%d", s->irq, 16);
        write_counts(f, "int.0x%02x", s->softint, 256);
        fprintf(f, "returns=%llu\n", (unsigned long long)s->returns);
        if (m->vmx_entries || count_total(m->vmx_exits, VMX_EXIT_REASON_COUNT)) {
            fprintf(f, "vtx.entries=%llu\n", (unsigned long long)m->vmx_entries);
            for (int r = 0; r < VMX_EXIT_REASON_COUNT; r++)
                if (m->vmx_exits[r])
                    fprintf(f, "vtx.exits.%s=%llu\n", vmx_exit_key(r), (unsigned long long)m->vmx_exits[r]);
        }
    }
    if (vmm)
        vmm_write_stats(vmm, f);
}

int stats_write_file(const stats_t *s, const machine_t *m, const vmm_t *vmm, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    stats_write(s, m, vmm, f);
    return fclose(f);
}
