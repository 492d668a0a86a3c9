/* Unit tests for the classroom view's sink (app/html.c): which lane each
 * event is put on, bare and under a monitor; the bound on marks per VM;
 * text that cannot end the page's script. The page's behaviour in a browser
 * is tests/html/test.sh's. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/html.h"
#include "cpu/symbols.h"

/* Writes the page and returns its text (malloc'ed). */
static char *page(const html_t *h)
{
    char path[] = "/tmp/trapsim-test-html-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(html_write_file(h, path, "a test", NULL), 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    ck_assert_int_gt(n, 0);
    fclose(f);
    unlink(path);
    return text;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* The last field of the event that starts at e ("[time,...,process]"). */
static int last_field(const char *e)
{
    const char *next = strstr(e + 1, "\n[");
    const char *close = next ? next - 2 : strstr(e, "]]}");   /* the event's closing ']' */
    ck_assert_ptr_nonnull(close);
    ck_assert_int_eq(*close, ']');
    const char *comma = close;
    while (*comma != ',')
        comma--;
    return atoi(comma + 1);
}

static void emit(html_t *h, event_t ev)
{
    html_emit(h, &ev);
}

START_TEST(bare_lanes)
{
    html_t *h = html_new();
    emit(h, (event_t){ .kind = EV_SOFTINT, .icount = 10, .ring = 3, .to_ring = 0, .vector = 0x80 });
    emit(h, (event_t){ .kind = EV_IRQ, .icount = 20, .ring = 3, .to_ring = 0, .vector = 0x20, .irq = 0 });
    emit(h, (event_t){ .kind = EV_IO, .icount = 21, .ring = 0, .port = 0x20, .is_write = 1, .size = 1 });
    emit(h, (event_t){ .kind = EV_RETURN, .icount = 22, .ring = 0, .to_ring = 3 });
    emit(h, (event_t){ .kind = EV_INSN, .icount = 23, .ring = 3 });   /* not a mark */
    char *t = page(h);
    /* [time, vm, lane, to-lane, kind: process 0, kernel 1, monitor 2, devices 3 */
    ck_assert_ptr_nonnull(strstr(t, "[10,0,0,1,\"softint\""));
    ck_assert_ptr_nonnull(strstr(t, "[20,0,3,1,\"irq\""));
    ck_assert_ptr_nonnull(strstr(t, "[21,0,3,-1,\"io\""));
    ck_assert_ptr_nonnull(strstr(t, "[22,0,1,0,\"return\""));
    ck_assert_uint_eq(count(t, "\n["), 4);
    ck_assert_ptr_nonnull(strstr(t, "\"vmm\":0,\"vmx\":0"));
    ck_assert_ptr_nonnull(strstr(t, "no trap-flow graph"));
    free(t);
    html_free(h);
}
END_TEST

START_TEST(monitor_lanes)
{
    html_t *h = html_new();
    emit(h, (event_t){ .kind = EV_VMM, .icount = 0, .ring = 1, .action = VA_SETUP, .text = "setup" });
    emit(h, (event_t){ .kind = EV_EXC, .icount = 5, .ring = 1, .to_ring = 0, .vector = 13, .has_error = 1 });
    emit(h, (event_t){ .kind = EV_VMM, .icount = 5, .ring = 1, .action = VA_EXIT, .exit_reason = XR_EXCEPTION,
                       .text = "exit" });
    emit(h, (event_t){ .kind = EV_PG, .icount = 9, .ring = 1, .text = "popf: IF kept" });
    char *t = page(h);
    /* ring 0 is the VMM once a monitor spoke; its own events are its lane */
    ck_assert_ptr_nonnull(strstr(t, "[0,0,2,-1,\"vmm\",\"setup\""));
    ck_assert_ptr_nonnull(strstr(t, "[5,0,1,2,\"exc\""));
    ck_assert_ptr_nonnull(strstr(t, "[5,0,2,-1,\"vmm\",\"exit\""));
    ck_assert_ptr_nonnull(strstr(t, "[9,0,1,-1,\"pg\""));
    ck_assert_ptr_nonnull(strstr(t, "\"exits\":{\"exception\":1}"));
    ck_assert_ptr_nonnull(strstr(t, "\"pgTotal\":1"));
    free(t);
    html_free(h);
}
END_TEST

/* Ring 3 has a lane per process, by the kernel stack the events carry, in
 * order of first appearance; a return to ring 3 is the lane it goes to. */
START_TEST(a_lane_per_process)
{
    html_t *h = html_new();
    emit(h, (event_t){ .kind = EV_RETURN, .icount = 1, .ring = 0, .to_ring = 3, .kstack = 0x2000 });
    emit(h, (event_t){ .kind = EV_SOFTINT, .icount = 2, .ring = 3, .to_ring = 0, .vector = 0x80, .kstack = 0x2000 });
    emit(h, (event_t){ .kind = EV_RETURN, .icount = 3, .ring = 0, .to_ring = 3, .kstack = 0x1000 });
    emit(h, (event_t){ .kind = EV_IRQ, .icount = 4, .ring = 3, .to_ring = 0, .irq = 0, .kstack = 0x1000 });
    emit(h, (event_t){ .kind = EV_EXC, .icount = 5, .ring = 3, .to_ring = 0, .vector = 13, .kstack = 0x2000 });
    emit(h, (event_t){ .kind = EV_IO, .icount = 6, .ring = 0, .port = 0x20 });
    emit(h, (event_t){ .kind = EV_PG, .icount = 7, .ring = 3, .kstack = 0x1000, .text = "smsw" });
    char *t = page(h);
    ck_assert_ptr_nonnull(strstr(t, "\"procs\":[{\"kstack\":8192,\"sym\":\"\",\"first\":\"\"},"
                                    "{\"kstack\":4096,\"sym\":\"\",\"first\":\"\"}]"));
    /* [time, vm, lane, to-lane, ...,  process]: process 0 is 0x2000's, 1 is 0x1000's */
    ck_assert_ptr_nonnull(strstr(t, "[1,0,1,0,\"return\""));
    const char *want[] = { "[1,0,1,0,", "[2,0,0,1,", "[3,0,1,0,", "[4,0,3,1,", "[5,0,0,1,", "[6,0,3,-1,", "[7,0,0,-1," };
    const int proc[] = { 0, 0, 1, 1, 0, -1, 1 };
    for (int k = 0; k < 7; k++) {
        const char *e = strstr(t, want[k]);
        ck_assert_msg(e != NULL, "%s", want[k]);
        ck_assert_int_eq(last_field(e), proc[k]);
    }
    free(t);
    html_free(h);
}
END_TEST

/* Under a monitor that emulates the kernel's IRET, the VMM resumes the
 * process itself: its mark is on the VMM's lane with a line to the lane of
 * the process it resumes; other VMM actions stay on its lane. */
START_TEST(monitor_resumes_a_process)
{
    html_t *h = html_new();
    emit(h, (event_t){ .kind = EV_SOFTINT, .icount = 1, .ring = 3, .to_ring = 0, .vector = 0x80, .kstack = 0x2000 });
    emit(h, (event_t){ .kind = EV_SOFTINT, .icount = 2, .ring = 3, .to_ring = 0, .vector = 0x80, .kstack = 0x1000 });
    emit(h, (event_t){ .kind = EV_VMM, .icount = 3, .ring = 1, .to_ring = 3, .action = VA_EMULATE, .kstack = 0x1000,
                       .text = "emulate: iret" });
    emit(h, (event_t){ .kind = EV_VMM, .icount = 4, .ring = 1, .to_ring = 1, .action = VA_FORWARD, .text = "forward" });
    char *t = page(h);
    const char *e = strstr(t, "[3,0,2,0,\"vmm\",\"emulate\"");
    ck_assert_msg(e != NULL, "%s", t);
    ck_assert_int_eq(last_field(e), 1);                /* 0x1000's process */
    e = strstr(t, "[4,0,2,-1,\"vmm\"");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(last_field(e), -1);
    free(t);
    html_free(h);
}
END_TEST

/* More processes than lanes: the last lane takes the rest, and says so. */
START_TEST(process_lanes_bounded)
{
    html_t *h = html_new();
    for (int k = 0; k < HTML_MAX_PROCS + 6; k++)
        emit(h, (event_t){ .kind = EV_SOFTINT, .icount = (uint64_t)k, .ring = 3, .vector = 0x80,
                           .kstack = 0x1000 * (uint32_t)(k + 1) });
    char *t = page(h);
    ck_assert_uint_eq(count(t, "{\"kstack\":"), HTML_MAX_PROCS);
    ck_assert_ptr_nonnull(strstr(t, "\"procsMore\":1,"));
    ck_assert_int_eq(last_field(strstr(t, "\n[0,0,0,")), 0);
    char last[32];
    snprintf(last, sizeof last, "\n[%d,0,0,", HTML_MAX_PROCS + 5);
    ck_assert_int_eq(last_field(strstr(t, last)), HTML_MAX_PROCS - 1);
    free(t);
    html_free(h);
}
END_TEST

/* A process's lane names its code: the first function it ran in ring 3,
 * or, when every process of the VM entered ring 3 at the start of the same
 * one (guestos's ustart), the first other function it ran. */
START_TEST(process_labels)
{
    symtab_t *syms = symtab_load("build/guests/guestos.elf");
    ck_assert_ptr_nonnull(syms);
    uint32_t ustart, hello, sleeper;
    ck_assert_int_eq(symtab_find(syms, "ustart", &ustart), 0);
    ck_assert_int_eq(symtab_find(syms, "hello_main", &hello), 0);
    ck_assert_int_eq(symtab_find(syms, "sleeper_main", &sleeper), 0);
    for (int shared = 0; shared < 2; shared++) {
        html_t *h = html_new();
        /* process 1 enters at ustart, then runs hello_main; process 2 enters
         * at sleeper_main (shared = 0) or at ustart too (shared = 1) */
        emit(h, (event_t){ .kind = EV_RETURN, .icount = 1, .to_ring = 3, .target = ustart, .kstack = 0x100, .syms = syms });
        emit(h, (event_t){ .kind = EV_SOFTINT, .icount = 2, .ring = 3, .eip = hello + 4, .kstack = 0x100, .syms = syms });
        emit(h, (event_t){ .kind = EV_RETURN, .icount = 3, .to_ring = 3, .target = shared ? ustart : sleeper,
                           .kstack = 0x200, .syms = syms });
        emit(h, (event_t){ .kind = EV_SOFTINT, .icount = 4, .ring = 3, .eip = sleeper + 8, .kstack = 0x200, .syms = syms });
        char *t = page(h);
        if (shared)
            ck_assert_msg(strstr(t, "\"procs\":[{\"kstack\":256,\"sym\":\"hello_main\",\"first\":\"ustart\"},"
                                    "{\"kstack\":512,\"sym\":\"sleeper_main\",\"first\":\"ustart\"}]"), "shared entry %d: %.200s", shared, strstr(t, "\"procs\""));
        else
            ck_assert_msg(strstr(t, "\"procs\":[{\"kstack\":256,\"sym\":\"ustart\",\"first\":\"ustart\"},"
                                    "{\"kstack\":512,\"sym\":\"sleeper_main\",\"first\":\"sleeper_main\"}]"), "shared entry %d: %.200s", shared, strstr(t, "\"procs\""));
        free(t);
        html_free(h);
    }
    /* one process, first seen trapping from its main (a run resumed, or
     * under te, whose return to ring 3 is the VMM's): no entry to skip */
    html_t *h = html_new();
    emit(h, (event_t){ .kind = EV_SOFTINT, .icount = 1, .ring = 3, .eip = sleeper + 8, .kstack = 0x100, .syms = syms });
    emit(h, (event_t){ .kind = EV_SOFTINT, .icount = 2, .ring = 3, .eip = hello + 8, .kstack = 0x100, .syms = syms });
    char *t = page(h);
    ck_assert_msg(strstr(t, "\"procs\":[{\"kstack\":256,\"sym\":\"sleeper_main\",\"first\":\"sleeper_main\"}]"),
                  "one process: %.200s", strstr(t, "\"procs\""));
    free(t);
    html_free(h);
    symtab_free(syms);
}
END_TEST

START_TEST(bound_per_vm)
{
    html_t *h = html_new();
    for (int k = 0; k < HTML_MAX_MARKS + 10; k++)
        emit(h, (event_t){ .kind = EV_IO, .icount = (uint64_t)k, .port = 0x3f8, .vm = "a" });
    for (int k = 0; k < 3; k++)
        emit(h, (event_t){ .kind = EV_IO, .icount = (uint64_t)k, .port = 0x3f8, .vm = "b" });
    char *t = page(h);
    ck_assert_uint_eq(count(t, "\n["), HTML_MAX_MARKS + 3);
    ck_assert_ptr_nonnull(strstr(t, "\"count\":{\"io\":5010},\"hidden\":{\"io\":10}"));
    ck_assert_ptr_nonnull(strstr(t, "\"count\":{\"io\":3},\"hidden\":{}"));
    free(t);
    html_free(h);
}
END_TEST

START_TEST(text_cannot_end_the_script)
{
    html_t *h = html_new();
    emit(h, (event_t){ .kind = EV_STOP, .icount = 1, .text = "</script><b>\"quoted\"\n" });
    char *t = page(h);
    ck_assert_uint_eq(count(t, "</script>"), 2);   /* the page's own two scripts */
    ck_assert_ptr_nonnull(strstr(t, "\\u003c/script\\u003e\\u003cb\\u003e\\\"quoted\\\"\\n"));
    free(t);
    html_free(h);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("sink");
    tcase_add_test(tc, bare_lanes);
    tcase_add_test(tc, monitor_lanes);
    tcase_add_test(tc, a_lane_per_process);
    tcase_add_test(tc, process_labels);
    tcase_add_test(tc, monitor_resumes_a_process);
    tcase_add_test(tc, process_lanes_bounded);
    tcase_add_test(tc, bound_per_vm);
    tcase_add_test(tc, text_cannot_end_the_script);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
