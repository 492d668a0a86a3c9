/* Fuzz target `kcode`: random guest kernel code under a monitor (issue 15).
 * kcode_gen.c turns the input into a Multiboot image whose kernel runs
 * random basic blocks at CPL 0 (innocuous and sensitive instructions,
 * forward branches, calls, bounded loops, self-modifying stores, with or
 * without timer interrupts arriving among them). The image runs twice,
 * through host/vm.h as `trapsim run` runs it: bare, and under the monitor
 * that the input's first byte picks from runs[] below, by name
 * (host/monitor.h), so a monitor added later (`dbt`, the binary
 * translator) is fuzzed as soon as vm_monitor_find() knows it.
 *
 * Input: byte 0 picks the run (modulo the runs this trapsim has); the rest
 * is the generator's (kcode_gen.h: its first byte says timer and raw bytes).
 *
 * Checked for both runs: the run stops within STEP_CAP steps, its stop
 * message is one line, CPL = CS.RPL. When the run is `exact` (the guest
 * kernel must not see that it is virtualized: te with pg, vtx, dbt) and the
 * program has no raw bytes: when the bare run ended by isa-debug-exit, the
 * monitor's run ended so too, with the same exit status and the same
 * console bytes (the program's registers, flags, data area, or the vector,
 * EIP and registers of its first exception). ASan and UBSan watch the
 * simulator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cpu/cpu.h"
#include "host/vm.h"
#include "isa/isa.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/kcode_gen.h"

#define BUDGET   30000u          /* guest instructions */
#define STEP_CAP (40u * BUDGET)  /* steps: a run still going after this many is a finding */

static const struct run {
    const char *monitor, *isa;
    int exact;                   /* the transcript must equal bare's */
} runs[] = {
    { "te", "pg", 1 },
    { "dbt", "x86", 1 },
    { "te", "x86", 0 },          /* the Popek-Goldberg leaks: robustness only */
    { "vtx", "x86", 1 },
};

typedef struct outcome {
    stop_kind_t stop;
    int status;
    char msg[256];
    char *console;
    size_t console_len;
} outcome_t;

/* The image as a file vm_new() can open: an unlinked temporary file, named
 * through /proc/self/fd. */
static const char *image_path(const uint8_t *img, size_t len)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        char tmpl[] = "/tmp/trapsim-kcode-XXXXXX";
        fd = mkstemp(tmpl);
        FUZZ_CHECK(fd >= 0, "mkstemp");
        unlink(tmpl);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    FUZZ_CHECK(pwrite(fd, img, len, 0) == (ssize_t)len, "pwrite");
    FUZZ_CHECK(ftruncate(fd, (off_t)len) == 0, "ftruncate");
    return path;
}

static void run_vm(const char *path, vm_monitor_t mon, const isa_profile_t *isa, outcome_t *out)
{
    memset(out, 0, sizeof *out);
    FILE *console = open_memstream(&out->console, &out->console_len);
    FUZZ_CHECK(console != NULL, "open_memstream");
    vm_config_t cfg = {
        .image = path, .image_name = "kcode", .ram = 4u << 20, .max_insns = BUDGET,
        .guest_ips = 10000000, .isa = isa, .monitor = mon, .console = console,
    };
    char err[256];
    vm_t *vm = vm_new(&cfg, err, sizeof err);
    FUZZ_CHECK(vm != NULL, "vm_new: %s", err);
    FUZZ_CHECK(vm_start(vm) == 0, "vm_start(%s)", vm_monitor_name(mon));
    uint64_t steps = 0;
    while (!vm_stopped(vm) && steps < STEP_CAP)
        steps += vm_run_for(vm, 1000);
    const machine_t *m = vm_machine_c(vm);
    FUZZ_CHECK(vm_stopped(vm), "%s: %llu steps, %llu instructions: the budget did not end the run",
               vm_monitor_name(mon), (unsigned long long)steps, (unsigned long long)vm_instructions(vm));
    FUZZ_CHECK(vm_instructions(vm) <= BUDGET, "%s: %llu instructions past the budget", vm_monitor_name(mon),
               (unsigned long long)vm_instructions(vm));
    const char *msg = vm_stop_msg(vm);
    FUZZ_CHECK(msg[0] != 0 && strchr(msg, '\n') == NULL, "%s: stop message '%s'", vm_monitor_name(mon), msg);
    FUZZ_CHECK(m->cpu.cpl == (m->cpu.seg[SEG_CS].sel & 3), "%s: CPL %d, CS %04x", vm_monitor_name(mon),
               m->cpu.cpl, m->cpu.seg[SEG_CS].sel);
    out->stop = m->stop;
    out->status = vm_exit_status(vm);
    snprintf(out->msg, sizeof out->msg, "%s", msg);
    vm_finish(vm);
    vm_free(vm);
    fclose(console);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t img[KCODE_IMAGE_MAX];
    const struct run *have[sizeof runs / sizeof runs[0]];
    int nhave = 0;
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++)
        if (vm_monitor_find(runs[k].monitor) >= 0 && isa_profile_find(runs[k].isa))
            have[nhave++] = &runs[k];
    if (size < 1 || nhave == 0)
        return 0;
    const struct run *r = have[data[0] % nhave];
    unsigned flags;
    size_t len = kcode_image(data + 1, size - 1, img, &flags);
    const char *path = image_path(img, len);

    outcome_t bare, mon;
    run_vm(path, MON_BARE, isa_profile_find(r->isa), &bare);
    run_vm(path, (vm_monitor_t)vm_monitor_find(r->monitor), isa_profile_find(r->isa), &mon);
    if (r->exact && !(flags & KCODE_RAW) && bare.stop == STOP_DEBUG_EXIT) {
        FUZZ_CHECK(mon.stop == STOP_DEBUG_EXIT && mon.status == bare.status,
                   "--vmm=%s --isa %s: '%s' (status %d); bare: '%s' (status %d)", r->monitor, r->isa,
                   mon.msg, mon.status, bare.msg, bare.status);
        FUZZ_CHECK(mon.console_len == bare.console_len &&
                   memcmp(mon.console, bare.console, bare.console_len) == 0,
                   "--vmm=%s --isa %s: the console differs from bare (%zu and %zu bytes)", r->monitor,
                   r->isa, mon.console_len, bare.console_len);
    }
    free(bare.console);
    free(mon.console);
    return 0;
}
