/* The VMs of one run and the VM scheduler (host/host.h). */
#include <stdlib.h>
#include "host/host.h"

struct host {
    uint64_t quantum;
    int n;
    vm_t *vm[HOST_MAX_VMS];
    unsigned weight[HOST_MAX_VMS];
    uint64_t quanta[HOST_MAX_VMS];
};

host_t *host_new(uint64_t quantum)
{
    host_t *h = calloc(1, sizeof *h);
    if (h)
        h->quantum = quantum ? quantum : HOST_DEFAULT_QUANTUM;
    return h;
}

int host_add(host_t *h, vm_t *vm, unsigned weight)
{
    if (h->n == HOST_MAX_VMS)
        return -1;
    h->vm[h->n] = vm;
    h->weight[h->n] = weight < 1 ? 1 : weight > HOST_MAX_WEIGHT ? HOST_MAX_WEIGHT : weight;
    h->n++;
    return 0;
}

/* One turn: each VM still running gets its quantum, in the order added. */
int host_run_turns(host_t *h, uint64_t turns)
{
    int running = 0;
    for (uint64_t t = 0; t < turns; t++) {
        running = 0;
        for (int k = 0; k < h->n; k++) {
            if (vm_stopped(h->vm[k]))
                continue;
            vm_run_for(h->vm[k], h->quantum * h->weight[k]);
            h->quanta[k]++;
            running += !vm_stopped(h->vm[k]);
        }
        if (!running)
            break;
    }
    return running;
}

void host_run(host_t *h)
{
    while (host_run_turns(h, 1) > 0)
        ;
}

void host_free(host_t *h)
{
    if (!h)
        return;
    for (int k = 0; k < h->n; k++)
        vm_free(h->vm[k]);
    free(h);
}

int host_count(const host_t *h) { return h->n; }
vm_t *host_vm(const host_t *h, int k) { return h->vm[k]; }
uint64_t host_quantum(const host_t *h) { return h->quantum; }
unsigned host_weight(const host_t *h, int k) { return h->weight[k]; }
uint64_t host_quanta(const host_t *h, int k) { return h->quanta[k]; }
void host_set_quanta(host_t *h, int k, uint64_t quanta) { h->quanta[k] = quanta; }

uint64_t host_steps(const host_t *h)
{
    uint64_t total = 0;
    for (int k = 0; k < h->n; k++)
        total += vm_steps(h->vm[k]);
    return total;
}

uint64_t host_share_ppm(const host_t *h, int k)
{
    uint64_t total = host_steps(h);
    return total ? (uint64_t)((unsigned __int128)vm_steps(h->vm[k]) * 1000000u / total) : 0;
}

int host_exit_status(const host_t *h)
{
    int own = 0, guest = 0;
    for (int k = 0; k < h->n; k++) {
        int st = vm_exit_status(h->vm[k]);
        if (st % 2 == 0 && st > own)
            own = st;
        else if (st % 2 == 1 && st > guest)
            guest = st;
    }
    return own ? own : guest;
}

void host_print_shares(const host_t *h, FILE *out)
{
    fprintf(out, "trapsim: host: %d VMs, round robin, quantum %llu steps\n", h->n,
            (unsigned long long)h->quantum);
    fprintf(out, "  %-16s %6s %14s %8s %8s  %s\n", "vm", "weight", "steps", "share", "quanta", "end");
    for (int k = 0; k < h->n; k++) {
        uint64_t permille = (host_share_ppm(h, k) + 500) / 1000;
        char share[32];
        snprintf(share, sizeof share, "%llu.%u%%", (unsigned long long)(permille / 10), (unsigned)(permille % 10));
        fprintf(out, "  %-16s %6u %14llu %8s %8llu  exit status %d\n", vm_name(h->vm[k]), h->weight[k],
                (unsigned long long)vm_steps(h->vm[k]), share, (unsigned long long)h->quanta[k],
                vm_exit_status(h->vm[k]));
    }
}

void host_write_stats(const host_t *h, FILE *f)
{
    fprintf(f, "host.vms=%d\nhost.quantum=%llu\nhost.steps=%llu\nhost.exit_status=%d\n", h->n,
            (unsigned long long)h->quantum, (unsigned long long)host_steps(h), host_exit_status(h));
    for (int k = 0; k < h->n; k++) {
        const char *n = vm_name(h->vm[k]);
        fprintf(f, "vm.%s.weight=%u\nvm.%s.steps=%llu\nvm.%s.share_ppm=%llu\nvm.%s.quanta=%llu\n", n,
                h->weight[k], n, (unsigned long long)vm_steps(h->vm[k]), n,
                (unsigned long long)host_share_ppm(h, k), n, (unsigned long long)h->quanta[k]);
    }
}
