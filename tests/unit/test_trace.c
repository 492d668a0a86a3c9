/* Unit tests for the text trace (cpu/trace.c): colours by actor (the
 * monitor's lines coloured as the monitor whatever ring the guest left,
 * pg lines red, VMX lines and console apart, the guest's own events by
 * ring; without colour the bytes are exactly the plain line), symbols, and
 * text on demand (TL_TEXTLESS: a sink that takes a level without its text
 * spares the producers the formatting, unless another sink wants it). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/symbols.h"
#include "cpu/trace.h"
#include "tests/unit/suite_main.h"

/* The text sink's output for one event. */
static char *emit(const event_t *ev, int color)
{
    static char buf[1024];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ck_assert_ptr_nonnull(f);
    text_sink_t s = { f, color };
    text_sink_emit(&s, ev);
    fclose(f);
    return buf;
}

START_TEST(actors)
{
    event_t vmm = { .kind = EV_VMM, .ring = 1, .action = VA_EMULATE, .text = "cli: virtual IF := 0" };
    event_t pg = { .kind = EV_PG, .ring = 1, .text = "popf at 0009:0010065b ring 1" };
    event_t vmx = { .kind = EV_VMX, .ring = 0, .vmx_kind = VX_EXIT, .text = "30 I/O instruction" };
    event_t con = { .kind = EV_CONSOLE, .ring = 0, .value = 'x' };
    event_t io = { .kind = EV_IO, .ring = 3, .port = 0x3f8, .size = 1, .is_write = 1, .value = 0x41 };
    event_t stop = { .kind = EV_STOP, .ring = 2, .text = "halted" };
    ck_assert_int_eq(trace_actor(&vmm), ACTOR_VMM);
    ck_assert_int_eq(trace_actor(&pg), ACTOR_PG);
    ck_assert_int_eq(trace_actor(&vmx), ACTOR_VMX);
    ck_assert_int_eq(trace_actor(&con), ACTOR_CONSOLE);
    ck_assert_int_eq(trace_actor(&io), 3);
    ck_assert_int_eq(trace_actor(&stop), 2);
    /* the monitor's colour is neither a ring's nor the PG audit's */
    for (int r = 0; r < 4; r++) {
        ck_assert_str_ne(trace_actor_color(ACTOR_VMM), trace_actor_color(r));
        ck_assert_str_ne(trace_actor_color(ACTOR_PG), trace_actor_color(r));
    }
    ck_assert_str_eq(trace_actor_color(ACTOR_PG), "\033[1;31m");   /* red, as the README says */
    ck_assert_str_eq(trace_actor_color(99), "");
    ck_assert_str_eq(emit(&vmm, 1), "\033[1;36m0000000000 r1 vmm   emulate: cli: virtual IF := 0\033[0m\n");
    ck_assert_str_eq(emit(&pg, 1), "\033[1;31m0000000000 r1 pg    popf at 0009:0010065b ring 1\033[0m\n");
    ck_assert_str_eq(emit(&io, 1), "\033[32m0000000000 r3 io    out 0x03f8 <- 0x41\033[0m\n");
    /* no colour: the plain line, the same text */
    ck_assert_str_eq(emit(&vmm, 0), "0000000000 r1 vmm   emulate: cli: virtual IF := 0\n");
    ck_assert_str_eq(emit(&pg, 0), "0000000000 r1 pg    popf at 0009:0010065b ring 1\n");
}
END_TEST

/* With the image's symbols, a delivery names its handler and a return its
 * target; without, the line is as it always was. */
START_TEST(symbols)
{
    symtab_t *t = symtab_load("build/guests/guestos.elf");
    ck_assert_ptr_nonnull(t);
    uint32_t handler, main;
    ck_assert_int_eq(symtab_find(t, "vector_syscall", &handler), 0);
    ck_assert_int_eq(symtab_find(t, "main", &main), 0);
    event_t ev = { .kind = EV_SOFTINT, .ring = 3, .to_ring = 0, .vector = 0x80, .cs = 8, .target = handler,
                   .ss = 0x10, .esp = 0x1000, .eip = 0x400000 };
    char want[200], line[256];
    trace_format(&ev, line, sizeof line);
    snprintf(want, sizeof want, "0000000000 r3 trap  int 0x80 at 00400000 via idt[0x80] -> 0008:%08x, ring 3->0, "
             "stack 0010:00001000", handler);
    ck_assert_str_eq(line, want);
    ev.syms = t;
    trace_format(&ev, line, sizeof line);
    snprintf(want, sizeof want, "0000000000 r3 trap  int 0x80 at 00400000 via idt[0x80] -> 0008:%08x <vector_syscall>, "
             "ring 3->0, stack 0010:00001000", handler);
    ck_assert_str_eq(line, want);
    event_t ret = { .kind = EV_RETURN, .ring = 0, .to_ring = 3, .cs = 0x1b, .target = main + 3, .ss = 0x23,
                    .esp = 0x2000, .eip = 0x100000, .text = "iret", .syms = t };
    trace_format(&ret, line, sizeof line);
    snprintf(want, sizeof want, "0000000000 r0 trap  iret at 00100000 -> 001b:%08x <main+0x3>, ring 0->3, "
             "stack 0023:00002000", main + 3);
    ck_assert_str_eq(line, want);
    symtab_free(t);
}
END_TEST


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

SUITE_MAIN("trace", actors, symbols, test_textless_alone, test_text_when_another_wants_it)
