#include <stdlib.h>
#include "app/stats.h"
#include "cpu/names.h"

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


static uint64_t sum(const uint64_t *v, int n)
{
    uint64_t t = 0;
    for (int k = 0; k < n; k++)
        t += v[k];
    return t;
}


void stats_print(const stats_t *s, const machine_t *m, const vmm_t *vmm, FILE *out)
{
    char d[512];
    size_t k = 0;
    fprintf(out, "trapsim: summary\n");
    for (int r = 0; r < 4; r++)
        k = list_append(d, sizeof d, k, m->insns_by_ring[r], "ring %d:", r);
    summary_row(out, "instructions retired", m->cpu.icount, d);
    if (s) {
        k = 0;
        d[0] = 0;
        for (int v = 0; v < 32; v++)
            if (s->exc[v])
                k = list_append(d, sizeof d, k, s->exc[v], "%s", exc_name(v));
        summary_row(out, "exceptions delivered", sum(s->exc, 32), d);
        k = 0;
        d[0] = 0;
        for (int v = 0; v < 16; v++)
            if (s->irq[v])
                k = list_append(d, sizeof d, k, s->irq[v], "IRQ%d", v);
        summary_row(out, "interrupts delivered", sum(s->irq, 16), d);
        k = 0;
        d[0] = 0;
        for (int v = 0; v < 256; v++)
            if (s->softint[v])
                k = list_append(d, sizeof d, k, s->softint[v], "int 0x%02x", v);
        summary_row(out, "software interrupts", sum(s->softint, 256), d);
        summary_row(out, "returns to an outer ring", s->returns, "");
    }
    if (vmm)
        vmm_print_summary(vmm, out);
}

int stats_write_file(const stats_t *s, const machine_t *m, const vmm_t *vmm, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "stop=%s\n", m->stop_msg);
    fprintf(f, "exit_status=%d\n", machine_exit_status(m));
    fprintf(f, "insns.total=%llu\n", (unsigned long long)m->cpu.icount);
    for (int r = 0; r < 4; r++)
        fprintf(f, "insns.ring%d=%llu\n", r, (unsigned long long)m->insns_by_ring[r]);
    if (s) {
        for (int v = 0; v < 32; v++)
            if (s->exc[v])
                fprintf(f, "exception.%d=%llu\n", v, (unsigned long long)s->exc[v]);
        for (int v = 0; v < 16; v++)
            if (s->irq[v])
                fprintf(f, "irq.%d=%llu\n", v, (unsigned long long)s->irq[v]);
        for (int v = 0; v < 256; v++)
            if (s->softint[v])
                fprintf(f, "int.0x%02x=%llu\n", v, (unsigned long long)s->softint[v]);
        fprintf(f, "returns=%llu\n", (unsigned long long)s->returns);
    }
    if (vmm)
        vmm_write_stats(vmm, f);
    return fclose(f);
}
