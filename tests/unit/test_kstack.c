/* Which process an event concerns (event_t.kstack, machine_guest_kstack()):
 * guestos with two processes under every monitor. Every trap from ring 3
 * and every return to it must carry the kernel stack guestos set for the
 * process that runs, read here from the guest's own TSS variable (`ts`, by
 * its symbol) and not through any TR: the machine's TSS bare, the guest's
 * TSS behind the VMM's virtual TR (te, dbt), what stack_switch registered
 * (pv), the guest's TR in non-root operation (vtx). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/symbols.h"
#include "host/vm.h"
#include "suite_main.h"

#define GUESTOS "build/guests/guestos.elf"
#define MAX_KEYS 8

typedef struct watch {
    machine_t *m;
    uint32_t ts;              /* guestos's TSS (struct taskstate ts, seg.c): ESP0 at +4 */
    uint32_t keys[MAX_KEYS];  /* the distinct keys, in order of first appearance */
    int nkeys, events, wrong;
    uint32_t first_wrong, want;
} watch_t;

static void watch_emit(void *ctx, const event_t *ev)
{
    watch_t *w = ctx;
    int transfer = ev->kind == EV_EXC || ev->kind == EV_SOFTINT || ev->kind == EV_IRQ || ev->kind == EV_RETURN;
    if (!transfer || (ev->ring != 3 && ev->to_ring != 3))
        return;
    uint32_t esp0;
    memcpy(&esp0, w->m->cpu.ram + w->ts + 4, 4);
    w->events++;
    if (ev->kstack != esp0 && !w->wrong++) {
        w->first_wrong = ev->kstack;
        w->want = esp0;
    }
    int k = 0;
    while (k < w->nkeys && w->keys[k] != ev->kstack)
        k++;
    if (k == w->nkeys && k < MAX_KEYS)
        w->keys[w->nkeys++] = ev->kstack;
}

/* Runs guestos procs=sleeper,hello under `mon` with a sink that takes
 * `levels`; the events of ring 3 it saw in *w. */
static void run_watched(vm_monitor_t mon, const char *isa, uint32_t levels, watch_t *w)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    vm_config_t c = { .image = GUESTOS, .cmdline = "procs=sleeper,hello", .ram = 16u << 20, .max_insns = 20000000,
                      .guest_ips = DEFAULT_GUEST_IPS, .isa = isa_profile_find(isa), .monitor = mon,
                      .console = null };
    char err[512];
    vm_t *vm = vm_new(&c, err, sizeof err);
    ck_assert_msg(vm != NULL, "%s", err);
    *w = (watch_t){ .m = vm_machine(vm) };
    ck_assert_int_eq(symtab_find(vm_symbols(vm), "ts", &w->ts), 0);
    trace_sink_t s = { levels, watch_emit, NULL, w };
    vm_add_sink(vm, &s);
    ck_assert_int_eq(vm_start(vm), 0);
    while (!vm_stopped(vm))
        vm_run_for(vm, 1000000);
    ck_assert_msg(strstr(vm_stop_msg(vm), "exit status") != NULL, "%s: %s", vm_monitor_name(mon), vm_stop_msg(vm));
    vm_free(vm);
    ck_assert_msg(w->events > 10, "%s: %d events of ring 3", vm_monitor_name(mon), w->events);
}

/* The keys of a run whose sink reads them (TL_KSTACK). */
static void check_monitor(vm_monitor_t mon, const char *isa, watch_t *w)
{
    run_watched(mon, isa, TL_TRAP | TL_KSTACK, w);
    ck_assert_msg(!w->wrong, "%s: %d events with the wrong key, the first %08x where ts.esp0 was %08x",
                  vm_monitor_name(mon), w->wrong, w->first_wrong, w->want);
    /* two processes, two kernel stacks, neither 0 */
    ck_assert_int_eq(w->nkeys, 2);
    ck_assert_uint_ne(w->keys[0], 0);
    ck_assert_uint_ne(w->keys[1], 0);
    ck_assert_uint_ne(w->keys[0], w->keys[1]);
}

START_TEST(same_processes_under_every_monitor)
{
    static const struct { vm_monitor_t mon; const char *isa; } runs[] = {
        { MON_BARE, "x86" }, { MON_TE, "pg" }, { MON_DBT, "x86" }, { MON_PV, "x86" }, { MON_VTX, "x86" },
    };
    watch_t bare, w;
    check_monitor(runs[0].mon, runs[0].isa, &bare);
    for (size_t k = 1; k < sizeof runs / sizeof runs[0]; k++) {
        check_monitor(runs[k].mon, runs[k].isa, &w);
        ck_assert_msg(w.keys[0] == bare.keys[0] && w.keys[1] == bare.keys[1], "%s: keys %08x %08x, bare %08x %08x",
                      vm_monitor_name(runs[k].mon), w.keys[0], w.keys[1], bare.keys[0], bare.keys[1]);
    }
}
END_TEST

/* No sink reads the key: the machine does not work it out (a read of the
 * guest's TSS at every system call saved). */
START_TEST(no_reader_no_key)
{
    watch_t w;
    run_watched(MON_TE, "pg", TL_TRAP, &w);
    ck_assert_int_eq(w.nkeys, 1);
    ck_assert_uint_eq(w.keys[0], 0);
}
END_TEST

/* No TSS yet (before LTR): no key. */
START_TEST(no_tss_no_key)
{
    machine_t *m = machine_new(1u << 20, isa_profile_find("x86"));
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(machine_guest_kstack(m), 0);
    machine_free(m);
}
END_TEST

SUITE_MAIN("kstack", same_processes_under_every_monitor, no_reader_no_key, no_tss_no_key)
