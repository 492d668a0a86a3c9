/* Unit tests for the text trace's colours by actor (cpu/trace.c): the
 * monitor's lines coloured as the monitor whatever ring the guest left,
 * pg lines red, VMX lines and console apart, the guest's own events by
 * ring; without colour the bytes are exactly the plain line. */
#include "cpu/trace.h"

#include <check.h>
#include "tests/unit/suite_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

SUITE_MAIN("trace", actors)
