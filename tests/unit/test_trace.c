/* Unit tests for the event stream's text on demand (cpu/trace.h,
 * TL_TEXTLESS): a sink that takes a level without its text spares the
 * producers the formatting, unless another sink wants it. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/trace.h"

typedef struct seen {
    int n;
    char text[64];
    int had_text;
} seen_t;

static void remember(void *ctx, const event_t *ev)
{
    seen_t *s = ctx;
    s->n++;
    s->had_text = ev->text != NULL;
    snprintf(s->text, sizeof s->text, "%s", ev->text ? ev->text : "");
}

static void emit_vmm(machine_t *m, const char *fmt, ...)
{
    event_t ev = { .kind = EV_VMM, .irq = -1 };
    va_list ap;
    va_start(ap, fmt);
    machine_emitv(m, &ev, fmt, ap);
    va_end(ap);
}

START_TEST(test_textless_alone)
{
    machine_t *m = machine_new(1 << 20, isa_profile_find("x86"));
    ck_assert_ptr_nonnull(m);
    seen_t s = { 0 };
    trace_sink_t k = { TL_VMM | TL_TRAP | TL_TEXTLESS(TL_VMM), remember, NULL, &s };
    trace_add_sink(&m->trace, &k);
    ck_assert(trace_on(&m->trace, TL_VMM));
    ck_assert(!trace_text_on(&m->trace, TL_VMM));
    ck_assert(trace_text_on(&m->trace, TL_TRAP));
    ck_assert(!trace_on(&m->trace, TL_TEXTLESS(TL_VMM)));   /* the flag bits are no levels */
    emit_vmm(m, "emulate %d", 42);
    ck_assert_int_eq(s.n, 1);
    ck_assert(!s.had_text);
    /* its needs change during the run */
    trace_set_textless(&m->trace, &s, 0);
    ck_assert(trace_text_on(&m->trace, TL_VMM));
    emit_vmm(m, "emulate %d", 43);
    ck_assert_str_eq(s.text, "emulate 43");
    trace_set_textless(&m->trace, &s, TL_VMM);
    ck_assert(!trace_text_on(&m->trace, TL_VMM));
    ck_assert(trace_on(&m->trace, TL_VMM));
    machine_free(m);
}
END_TEST

START_TEST(test_text_when_another_wants_it)
{
    machine_t *m = machine_new(1 << 20, isa_profile_find("x86"));
    ck_assert_ptr_nonnull(m);
    seen_t a = { 0 }, b = { 0 };
    trace_sink_t ka = { TL_VMM | TL_TEXTLESS(TL_VMM), remember, NULL, &a };
    trace_sink_t kb = { TL_VMM, remember, NULL, &b };
    trace_add_sink(&m->trace, &ka);
    trace_add_sink(&m->trace, &kb);
    ck_assert(trace_text_on(&m->trace, TL_VMM));
    emit_vmm(m, "emulate %d", 42);
    ck_assert_str_eq(b.text, "emulate 42");
    ck_assert_int_eq(a.n, 1);
    machine_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("text on demand");
    tcase_add_test(tc, test_textless_alone);
    tcase_add_test(tc, test_text_when_another_wants_it);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
