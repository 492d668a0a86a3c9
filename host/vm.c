/* One VM of a run (host/vm.h). */
#include <stdlib.h>
#include <string.h>
#include "cpu/dcache.h"
#include "cpu/loader.h"
#include "cpu/symbols.h"
#include "host/vm.h"
#include "vmm/vmm.h"
#include "vmm/pv.h"
#include "vmm/vtx.h"

/* A sink of the VM's, seen through a wrapper that names the VM on every
 * event (only when the VM has a name: a single-VM run's events are as
 * they always were). */
typedef struct named_sink {
    const vm_t *vm;
    trace_sink_t inner;
} named_sink_t;

struct vm {
    char name[VM_NAME_MAX];
    vm_config_t cfg;
    machine_t *m;
    struct vmm *vmm;
    vtx_t *vtx;                 /* --vmm=vtx: the hypervisor over VMX */
    symtab_t *syms;             /* the image's symbols (NULL: none), machine_t.trace.syms */
    named_sink_t named[TRACE_MAX_SINKS];
    int nnamed;
};

vm_t *vm_new_empty(const vm_config_t *cfg, char *err, size_t errlen)
{
    vm_t *vm = calloc(1, sizeof *vm);
    machine_t *m = vm ? machine_new((uint32_t)cfg->ram, cfg->isa) : NULL;
    if (!m) {
        snprintf(err, errlen, "out of memory for %llu bytes of guest RAM", (unsigned long long)cfg->ram);
        free(vm);
        return NULL;
    }
    vm->cfg = *cfg;
    snprintf(vm->name, sizeof vm->name, "%s", cfg->name ? cfg->name : "");
    vm->cfg.name = vm->name;
    vm->m = m;
    m->guest_ips = cfg->guest_ips;
    m->max_insns = cfg->max_insns;
    m->console = cfg->console ? cfg->console : stdout;
    machine_schedule(m);
    if (cfg->image) {
        vm->syms = symtab_load(cfg->image);
        m->trace.syms = vm->syms;
    }
    if (!cfg->no_cache)
        dcache_init(m, 1);
    return vm;
}

vm_t *vm_new(const vm_config_t *cfg, char *err, size_t errlen)
{
    vm_t *vm = vm_new_empty(cfg, err, errlen);
    if (!vm)
        return NULL;
    machine_t *m = vm->m;
    boot_info_t bi;
    /* QEMU always passes a command line: the image path, then -append. */
    if (loader_load_multiboot_as(cfg->image, cfg->image_name ? cfg->image_name : cfg->image, m->cpu.ram,
                                 m->cpu.ram_size, m->cpu.ram_size, cfg->cmdline ? cfg->cmdline : "", &bi, err,
                                 errlen)) {
        vm_free(vm);
        return NULL;
    }
    machine_boot_state(m, bi.entry, bi.mbi);
    return vm;
}

static void named_emit(void *ctx, const event_t *ev)
{
    named_sink_t *n = ctx;
    event_t e = *ev;
    e.vm = n->vm->name;
    n->inner.emit(n->inner.ctx, &e);
}

static void named_finish(void *ctx)
{
    named_sink_t *n = ctx;
    if (n->inner.finish)
        n->inner.finish(n->inner.ctx);
}

void vm_add_sink(vm_t *vm, const trace_sink_t *s)
{
    if (!vm->name[0] || vm->nnamed == TRACE_MAX_SINKS) {
        trace_add_sink(&vm->m->trace, s);
        return;
    }
    named_sink_t *n = &vm->named[vm->nnamed++];
    n->vm = vm;
    n->inner = *s;
    trace_sink_t w = { s->levels, named_emit, named_finish, n };
    trace_add_sink(&vm->m->trace, &w);
}

static const struct {
    const char *name, *label;
    int deprivileges;
} monitors[MON_COUNT] = {
    [MON_BARE] = { "bare", "bare", 0 },
    [MON_TE] = { "te", "under the VMM", 1 },
    [MON_VTX] = { "vtx", "under VT-x", 0 },
    [MON_PV] = { "pv", "paravirtualized", 1 },
    [MON_DBT] = { "dbt", "under the binary translator", 1 },
};

const char *vm_monitor_name(vm_monitor_t mon) { return monitors[mon].name; }
const char *vm_monitor_label(vm_monitor_t mon) { return monitors[mon].label; }
int vm_monitor_deprivileges(vm_monitor_t mon) { return monitors[mon].deprivileges; }

int vm_monitor_find(const char *name)
{
    if (strcmp(name, "vmm") == 0)
        return MON_TE;
    for (int k = 0; k < MON_COUNT; k++)
        if (strcmp(name, monitors[k].name) == 0)
            return k;
    return -1;
}

const char *vm_monitor_names(void)
{
    static char names[128];
    if (!names[0])
        for (int k = MON_BARE + 1; k < MON_COUNT; k++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? ", " : "",
                     monitors[k].name);
    return names;
}

int vm_start(vm_t *vm)
{
    switch (vm->cfg.monitor) {
    case MON_BARE:
    case MON_COUNT:
        return 0;
    case MON_TE:
        if (!vm->vmm)
            vm->vmm = vmm_attach(vm->m, vm->cfg.expose_pg);
        return vm->vmm ? 0 : -1;
    case MON_PV:
        if (!vm->vmm)
            vm->vmm = vmm_attach_pv(vm->m);
        return vm->vmm ? 0 : -1;
    case MON_DBT:
        if (!vm->vmm)
            vm->vmm = vmm_attach_dbt(vm->m, vm->cfg.tc_size);
        return vm->vmm ? 0 : -1;
    case MON_VTX:
        if (!vm->vtx)
            vm->vtx = vtx_attach(vm->m);
        return vm->vtx ? 0 : -1;
    }
    return -1;
}

uint64_t vm_run_for(vm_t *vm, uint64_t steps)
{
    uint64_t before = machine_steps(vm->m);
    machine_run_for(vm->m, steps);
    return machine_steps(vm->m) - before;
}

void vm_finish(vm_t *vm)
{
    trace_finish(&vm->m->trace);
}

void vm_free(vm_t *vm)
{
    if (!vm)
        return;
    vmm_free(vm->vmm);
    vtx_free(vm->vtx);
    machine_free(vm->m);
    symtab_free(vm->syms);
    free(vm);
}

const char *vm_name(const vm_t *vm) { return vm->name; }
int vm_stopped(const vm_t *vm) { return vm->m->stop != STOP_NONE; }
int vm_exit_status(const vm_t *vm) { return machine_exit_status(vm->m); }
const char *vm_stop_msg(const vm_t *vm) { return vm->m->stop_msg; }
uint64_t vm_steps(const vm_t *vm) { return machine_steps(vm->m); }
uint64_t vm_instructions(const vm_t *vm) { return vm->m->cpu.icount; }
machine_t *vm_machine(vm_t *vm) { return vm->m; }
const machine_t *vm_machine_c(const vm_t *vm) { return vm->m; }
struct vmm *vm_monitor(const vm_t *vm) { return vm->vmm; }

monitor_view_t vm_monitor_view(const vm_t *vm)
{
    vm_monitor_t mon = vm->cfg.monitor;
    monitor_view_t v = { NULL, NULL, mon == MON_BARE || mon >= MON_COUNT ? NULL : vm_monitor_label(mon) };
    switch (mon) {
    case MON_TE:
    case MON_PV:    /* pv and dbt are the te VMM with hypercalls or a translator: its views */
    case MON_DBT:
        v.ops = !vm->vmm ? NULL : mon == MON_DBT ? &dbt_view_ops : &vmm_view_ops;
        v.mon = vm->vmm;
        break;
    case MON_VTX:
        v.ops = vm->vtx ? &vtx_view_ops : NULL;
        v.mon = vm->vtx;
        break;
    case MON_BARE:
    case MON_COUNT:
        break;
    }
    return v;
}

const struct symtab *vm_symbols(const vm_t *vm) { return vm->syms; }

void vm_set_symbols(vm_t *vm, struct symtab *syms)
{
    symtab_free(vm->syms);
    vm->syms = syms;
    vm->m->trace.syms = syms;
}
struct vtx *vm_vtx(const vm_t *vm) { return vm->vtx; }
const vm_config_t *vm_config(const vm_t *vm) { return &vm->cfg; }

void vm_adopt_monitor(vm_t *vm, struct vmm *te, struct vtx *vtx)
{
    vm->vmm = te;
    vm->vtx = vtx;
}
