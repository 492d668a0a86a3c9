/* host/: the VM scheduler (round robin in virtual time, quanta, weights),
 * a VM that stops stopping alone, the run's exit status, determinism, and
 * a VM run by the host running exactly as it runs alone. The guests are
 * the containment guests (tests/robust/guests) and guestos. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "host/host.h"

#define SPIN    "build/guests/robust/spin.elf"      /* loops for ever, IF = 0 */
#define HLT     "build/guests/robust/hlt.elf"       /* HLT with IF = 0: halted for ever */
#define TRIPLE  "build/guests/robust/triple.elf"    /* triple-faults */
#define GUESTOS "build/guests/guestos.elf"

/* Where the guests' consoles go. */
static FILE *null_file(void)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(null);
    return null;
}

static vm_t *new_vm(const char *name, const char *image, const char *cmdline, int vmm, uint64_t budget)
{
    vm_config_t c = {
        .name = name, .image = image, .cmdline = cmdline, .ram = 4u << 20, .max_insns = budget,
        .guest_ips = DEFAULT_GUEST_IPS, .isa = isa_profile_find(vmm ? "pg" : "x86"), .monitor = vmm ? MON_TE : MON_BARE,
    };
    c.console = null_file();
    char err[512];
    vm_t *vm = vm_new(&c, err, sizeof err);
    ck_assert_msg(vm != NULL, "%s", err);
    ck_assert_int_eq(vm_start(vm), 0);
    return vm;
}

/* Two VMs that never stop get the same share: exactly `turns` quanta each. */
START_TEST(fair_round_robin)
{
    host_t *h = host_new(1000);
    host_add(h, new_vm("a", SPIN, NULL, 0, 0), 1);
    host_add(h, new_vm("b", SPIN, NULL, 0, 0), 1);
    host_add(h, new_vm("c", SPIN, NULL, 0, 0), 1);
    ck_assert_int_eq(host_run_turns(h, 50), 3);
    for (int k = 0; k < 3; k++) {
        ck_assert_uint_eq(vm_steps(host_vm(h, k)), 50 * 1000);
        ck_assert_uint_eq(host_quanta(h, k), 50);
        /* a third each, within a millionth */
        ck_assert_uint_ge(host_share_ppm(h, k), 333333);
        ck_assert_uint_le(host_share_ppm(h, k), 333334);
    }
    ck_assert_uint_eq(host_steps(h), 150000);
    host_free(h);
}
END_TEST

/* Weights: weight 3 against weight 1 is 75 % against 25 %. */
START_TEST(weights)
{
    host_t *h = host_new(500);
    host_add(h, new_vm("heavy", SPIN, NULL, 0, 0), 3);
    host_add(h, new_vm("light", SPIN, NULL, 0, 0), 1);
    host_run_turns(h, 40);
    ck_assert_uint_eq(vm_steps(host_vm(h, 0)), 40 * 1500);
    ck_assert_uint_eq(vm_steps(host_vm(h, 1)), 40 * 500);
    ck_assert_uint_eq(host_share_ppm(h, 0), 750000);
    ck_assert_uint_eq(host_share_ppm(h, 1), 250000);
    ck_assert_uint_eq(host_weight(h, 0), 3);
    host_free(h);
}
END_TEST

/* A quantum ends exactly at its boundary, even in the middle of the fast
 * loop: an odd quantum, one turn at a time. */
START_TEST(quantum_boundaries)
{
    host_t *h = host_new(777);
    host_add(h, new_vm("a", SPIN, NULL, 0, 0), 1);
    for (uint64_t t = 1; t <= 5; t++) {
        host_run_turns(h, 1);
        ck_assert_uint_eq(vm_steps(host_vm(h, 0)), t * 777);
    }
    ck_assert_uint_eq(host_quantum(h), 777);
    host_free(h);
    h = host_new(0);
    ck_assert_uint_eq(host_quantum(h), HOST_DEFAULT_QUANTUM);
    host_free(h);
}
END_TEST

/* A VM that halts for ever, one that triple-faults and one that runs out
 * of budget each stop alone; guestos finishes; the run's status is the
 * highest of trapsim's own (README, "Exit statuses"). */
START_TEST(stops_alone)
{
    host_t *h = host_new(HOST_DEFAULT_QUANTUM);
    host_add(h, new_vm("halts", HLT, NULL, 0, 0), 1);
    host_add(h, new_vm("os", GUESTOS, "procs=isprime,counter", 1, 0), 1);
    host_add(h, new_vm("triple", TRIPLE, NULL, 0, 0), 1);
    host_add(h, new_vm("budget", SPIN, NULL, 0, 250000), 1);
    host_run(h);
    ck_assert_int_eq(vm_exit_status(host_vm(h, 0)), 8);
    ck_assert_int_eq(vm_exit_status(host_vm(h, 1)), 1);
    ck_assert_int_eq(vm_exit_status(host_vm(h, 2)), 6);
    ck_assert_int_eq(vm_exit_status(host_vm(h, 3)), 4);
    ck_assert_uint_eq(host_quanta(h, 0), 1);
    ck_assert_uint_eq(host_quanta(h, 3), 3);
    ck_assert_uint_eq(vm_steps(host_vm(h, 3)), 250000);
    ck_assert_uint_gt(host_quanta(h, 1), 30);   /* guestos went on alone */
    ck_assert_int_eq(host_exit_status(h), 8);
    host_free(h);

    h = host_new(0);
    host_add(h, new_vm("a", GUESTOS, "procs=hello", 0, 0), 1);
    host_add(h, new_vm("b", GUESTOS, "procs=hello", 1, 0), 1);
    host_run(h);
    ck_assert_int_eq(host_exit_status(h), 1);   /* no stop of trapsim's own: the guests' */
    host_free(h);
}
END_TEST

/* The trace of a run into a string. */
typedef struct capture {
    char *buf;
    size_t len;
    FILE *f;
    text_sink_t text;
} capture_t;

static void capture_on(capture_t *c, vm_t *vm)
{
    c->f = open_memstream(&c->buf, &c->len);
    ck_assert_ptr_nonnull(c->f);
    c->text = (text_sink_t){ c->f, 0 };
    trace_sink_t s = { TL_TRAP | TL_VMM, text_sink_emit, NULL, &c->text };
    vm_add_sink(vm, &s);
}

static vm_t *traced_vm(const char *name, capture_t *c)
{
    vm_config_t cfg = {
        .name = name, .image = GUESTOS, .cmdline = "procs=isprime,counter,sleeper", .ram = 4u << 20,
        .guest_ips = DEFAULT_GUEST_IPS, .isa = isa_profile_find("pg"), .monitor = MON_TE,
    };
    cfg.console = null_file();
    char err[512];
    vm_t *vm = vm_new(&cfg, err, sizeof err);
    ck_assert_msg(vm != NULL, "%s", err);
    capture_on(c, vm);
    ck_assert_int_eq(vm_start(vm), 0);
    return vm;
}

/* A VM paused at every quantum (an odd one, 997 steps, so pauses fall
 * inside fast bursts, REP chunks and VMM emulation alike) runs exactly as
 * it runs alone: the same trace, event for event, the same counts. */
START_TEST(paused_as_alone)
{
    capture_t alone = { 0 }, hosted = { 0 }, other = { 0 };
    vm_t *a = traced_vm(NULL, &alone);
    machine_run(vm_machine(a));
    host_t *h = host_new(997);
    host_add(h, traced_vm("x", &hosted), 1);
    host_add(h, traced_vm("y", &other), 2);
    host_run(h);
    fclose(alone.f);
    fclose(hosted.f);
    fclose(other.f);
    /* the hosted trace is the lone one with "[x] " before each line */
    size_t k = 0, lines = 0;
    for (char *line = hosted.buf; *line; lines++) {
        ck_assert_msg(strncmp(line, "[x] ", 4) == 0, "line %zu: %.80s", lines, line);
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        size_t n = (size_t)(nl - line) - 4 + 1;
        ck_assert_msg(k + n <= alone.len && memcmp(alone.buf + k, line + 4, n) == 0, "line %zu differs: %.100s",
                      lines, line);
        k += n;
        line = nl + 1;
    }
    ck_assert_uint_eq(k, alone.len);
    ck_assert_uint_gt(lines, 100);
    ck_assert_uint_eq(vm_steps(host_vm(h, 0)), vm_steps(a));
    ck_assert_uint_eq(vm_instructions(host_vm(h, 0)), vm_instructions(a));
    ck_assert_int_eq(vm_exit_status(host_vm(h, 0)), vm_exit_status(a));
    host_free(h);
    vm_free(a);
    free(alone.buf);
    free(hosted.buf);
    free(other.buf);
}
END_TEST

/* Two runs of the same host give the same traces and the same counts. */
START_TEST(deterministic)
{
    capture_t c[2][2];
    uint64_t steps[2][2];
    memset(c, 0, sizeof c);
    for (int run = 0; run < 2; run++) {
        host_t *h = host_new(5000);
        host_add(h, traced_vm("a", &c[run][0]), 1);
        host_add(h, traced_vm("b", &c[run][1]), 3);
        host_run(h);
        for (int k = 0; k < 2; k++) {
            steps[run][k] = vm_steps(host_vm(h, k));
            fclose(c[run][k].f);
        }
        host_free(h);
    }
    for (int k = 0; k < 2; k++) {
        ck_assert_uint_eq(steps[0][k], steps[1][k]);
        ck_assert_uint_eq(c[0][k].len, c[1][k].len);
        ck_assert(memcmp(c[0][k].buf, c[1][k].buf, c[0][k].len) == 0);
        free(c[0][k].buf);
        free(c[1][k].buf);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("host");
    TCase *tc = tcase_create("host");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fair_round_robin);
    tcase_add_test(tc, weights);
    tcase_add_test(tc, quantum_boundaries);
    tcase_add_test(tc, stops_alone);
    tcase_add_test(tc, paused_as_alone);
    tcase_add_test(tc, deterministic);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
