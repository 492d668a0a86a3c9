/* Unit tests for the 8254 channel 0 on virtual time (cpu/pit.c). */
#include <check.h>
#include <stdlib.h>

#include "cpu/pit.h"

#define CH0  0x40
#define CTRL 0x43
#define HZ_100 11932        /* 1193182 / 100, rounded: what a kernel writes */

static pit_t pit;

static void setup(void)
{
    pit_reset(&pit);
}

/* Control word for channel 0, lobyte/hibyte, the given mode; then the
 * count, both bytes written at `now`. */
static void program(pit_t *t, int mode, uint16_t count, uint64_t now)
{
    pit_write(t, CTRL, (uint8_t)(0x30 | mode << 1), now);
    pit_write(t, CH0, (uint8_t)count, now);
    pit_write(t, CH0, (uint8_t)(count >> 8), now);
}

/* A lobyte/hibyte read of the counter at `now`. */
static unsigned read16(pit_t *t, uint64_t now)
{
    unsigned lo = pit_read(t, CH0, now);
    unsigned hi = pit_read(t, CH0, now);
    return lo | hi << 8;
}

static unsigned latch_read16(pit_t *t, uint64_t now)
{
    pit_write(t, CTRL, 0x00, now);
    return read16(t, now);
}

/* ---- reset ------------------------------------------------------------- */

START_TEST(test_reset_state)
{
    ck_assert_uint_eq(pit.mode, 2);
    ck_assert_uint_eq(pit_next_edge(&pit, 0), 65536);
    ck_assert_uint_eq(pit_advance(&pit, 65535), 0);
    ck_assert_uint_eq(pit_advance(&pit, 65536), 1);
    ck_assert_uint_eq(pit_next_edge(&pit, 65536), 2 * 65536);
    ck_assert_uint_eq(read16(&pit, 65536 + 6), 65536 - 6);
}
END_TEST

/* ---- periods and edges ------------------------------------------------- */

/* One row per programming: mode (2, 3 or an alias), count written, the
 * tick it is written at, and the period that should result. */
static const struct {
    int mode;
    uint16_t count;
    uint64_t start;
    uint64_t period;
} period_table[] = {
    { 2, HZ_100, 0, HZ_100 },
    { 3, HZ_100, 0, HZ_100 },
    { 2, HZ_100, 777, HZ_100 },
    { 3, HZ_100, 12345, HZ_100 },
    { 2, 0, 0, 65536 },             /* 0 means 65536 */
    { 3, 0, 5, 65536 },
    { 2, 0xFFFF, 1, 0xFFFF },
    { 3, 1193, 3, 1193 },           /* odd count: still one edge per period */
    { 2, 2, 10, 2 },
    { 3, 3, 10, 3 },
    { 6, 1000, 0, 1000 },           /* mode 6 is mode 2 */
    { 7, 1000, 0, 1000 },           /* mode 7 is mode 3 */
};

/* Tick by tick over five periods: exactly one edge at start + k * period,
 * none elsewhere, and next_edge always names the next one. */
START_TEST(test_period_table)
{
    const uint64_t start = period_table[_i].start;
    const uint64_t period = period_table[_i].period;
    program(&pit, period_table[_i].mode, period_table[_i].count, start);
    ck_assert_uint_eq(pit_advance(&pit, start), 0);
    uint64_t edges = 0;
    for (uint64_t now = start; now <= start + 5 * period; now++) {
        uint64_t n = pit_advance(&pit, now);
        uint64_t offset = now - start;
        ck_assert_uint_eq(n, offset > 0 && offset % period == 0);
        edges += n;
        uint64_t next = start + (offset / period + 1) * period;
        ck_assert_uint_eq(pit_next_edge(&pit, now), next);
    }
    ck_assert_uint_eq(edges, 5);
}
END_TEST

START_TEST(test_edges_at_multiples_of_11932)
{
    program(&pit, 2, HZ_100, 0);
    for (uint64_t k = 1; k <= 100; k++) {
        ck_assert_uint_eq(pit_next_edge(&pit, k * HZ_100 - 1), k * HZ_100);
        ck_assert_uint_eq(pit_advance(&pit, k * HZ_100 - 1), 0);
        ck_assert_uint_eq(pit_advance(&pit, k * HZ_100), 1);
        /* Strictly after: at an edge, next_edge is the one after it. */
        ck_assert_uint_eq(pit_next_edge(&pit, k * HZ_100), (k + 1) * HZ_100);
    }
}
END_TEST

/* Large jumps: advance counts every period in between, once. */
static const struct {
    uint64_t now;
    uint64_t total;         /* edges from tick 0 to now */
} jump_table[] = {
    { 0, 0 },
    { 11931, 0 },
    { 11932, 1 },
    { 1000000, 1000000 / HZ_100 },
    { 1000000000ULL, 1000000000ULL / HZ_100 },
    { 1ULL << 40, (1ULL << 40) / HZ_100 },
    { 1ULL << 60, (1ULL << 60) / HZ_100 },
};

START_TEST(test_advance_large_jumps)
{
    program(&pit, 2, HZ_100, 0);
    uint64_t total = 0;
    for (size_t i = 0; i < sizeof jump_table / sizeof jump_table[0]; i++) {
        total += pit_advance(&pit, jump_table[i].now);
        ck_assert_uint_eq(total, jump_table[i].total);
        /* A second call at the same tick reports nothing new. */
        ck_assert_uint_eq(pit_advance(&pit, jump_table[i].now), 0);
    }
    uint64_t now = 1ULL << 60;
    ck_assert_uint_eq(pit_next_edge(&pit, now), (now / HZ_100 + 1) * HZ_100);
}
END_TEST

START_TEST(test_reprogram_mid_count)
{
    program(&pit, 2, 1000, 0);
    /* Two edges (1000, 2000) pass unreported, then the kernel writes a new
     * count at 2500 without a control word: counting restarts then. */
    pit_write(&pit, CH0, 300 & 0xFF, 2500);
    /* The first byte alone changes nothing: the old count still runs. */
    ck_assert_uint_eq(pit_next_edge(&pit, 2500), 3000);
    pit_write(&pit, CH0, 300 >> 8, 2500);
    ck_assert_uint_eq(pit_next_edge(&pit, 2500), 2800);
    ck_assert_uint_eq(read16(&pit, 2500), 300);
    /* The old edges are not lost: reported with the first new one. */
    ck_assert_uint_eq(pit_advance(&pit, 2799), 2);
    ck_assert_uint_eq(pit_advance(&pit, 2800), 1);
    ck_assert_uint_eq(pit_advance(&pit, 3100), 1);
    ck_assert_uint_eq(pit_next_edge(&pit, 3100), 3400);
}
END_TEST

START_TEST(test_control_word_stops)
{
    program(&pit, 2, 1000, 0);
    ck_assert_uint_eq(pit_advance(&pit, 1500), 1);
    pit_write(&pit, CTRL, 0x34, 2000);       /* the edge at 2000 counts */
    ck_assert_uint_eq(pit_next_edge(&pit, 2000), PIT_NEVER);
    ck_assert_uint_eq(pit_advance(&pit, 100000), 1);
    ck_assert_uint_eq(pit_advance(&pit, 200000), 0);
    pit_write(&pit, CH0, 0x00, 300000);
    ck_assert_uint_eq(pit_next_edge(&pit, 300000), PIT_NEVER);
    pit_write(&pit, CH0, 0x01, 400000);      /* 256 from 400000 */
    ck_assert_uint_eq(pit_next_edge(&pit, 400000), 400256);
    ck_assert_uint_eq(pit_advance(&pit, 400256 + 255), 1);
}
END_TEST

/* Channels 1 and 2 and the read-back command do not touch channel 0. */
START_TEST(test_other_channels_ignored)
{
    program(&pit, 2, 1000, 0);
    static const uint8_t words[] = { 0x74, 0xB6, 0x40, 0x80, 0xC2, 0xE2, 0xD2 };
    for (size_t i = 0; i < sizeof words; i++)
        pit_write(&pit, CTRL, words[i], 10);
    pit_write(&pit, 0x41, 0x12, 10);
    pit_write(&pit, 0x42, 0x34, 10);
    ck_assert_uint_eq(pit_next_edge(&pit, 10), 1000);
    ck_assert_uint_eq(read16(&pit, 10), 990);
    ck_assert_uint_eq(pit_read(&pit, 0x41, 10), 0xFF);
    ck_assert_uint_eq(pit_read(&pit, 0x42, 10), 0xFF);
    ck_assert_uint_eq(pit_read(&pit, 0x43, 10), 0xFF);
}
END_TEST

/* ---- other modes: one-shot or silent, never periodic ------------------- */

START_TEST(test_one_shot_modes)
{
    static const int modes[] = { 0, 4, 5 };
    for (size_t i = 0; i < 3; i++) {
        pit_reset(&pit);
        program(&pit, modes[i], 500, 100);
        ck_assert_uint_eq(pit_next_edge(&pit, 100), 600);
        ck_assert_uint_eq(pit_advance(&pit, 599), 0);
        ck_assert_uint_eq(pit_advance(&pit, 600), 1);
        ck_assert_uint_eq(pit_next_edge(&pit, 600), PIT_NEVER);
        ck_assert_uint_eq(pit_advance(&pit, 1000000), 0);
        /* The counter wraps past 0 and keeps counting down. */
        ck_assert_uint_eq(read16(&pit, 601), 0xFFFF);
    }
    program(&pit, 1, 500, 0);
    ck_assert_uint_eq(pit_next_edge(&pit, 0), PIT_NEVER);
    ck_assert_uint_eq(pit_advance(&pit, 1000000), 0);
}
END_TEST

/* ---- counter reads ----------------------------------------------------- */

static const struct {
    int mode;
    uint64_t now;           /* programmed with 1000 at tick 100 */
    unsigned count;
} count_table[] = {
    { 2, 100, 1000 },       /* mode 2 counts 1000, 999, ..., 1 */
    { 2, 101, 999 },
    { 2, 600, 500 },
    { 2, 1099, 1 },
    { 2, 1100, 1000 },      /* reloaded */
    { 2, 1101, 999 },
    { 3, 100, 1000 },       /* mode 3 counts by two, twice per period */
    { 3, 101, 998 },
    { 3, 599, 2 },
    { 3, 600, 1000 },
    { 3, 601, 998 },
    { 3, 1100, 1000 },
};

START_TEST(test_count_table)
{
    program(&pit, count_table[_i].mode, 1000, 100);
    ck_assert_uint_eq(read16(&pit, count_table[_i].now), count_table[_i].count);
    ck_assert_uint_eq(latch_read16(&pit, count_table[_i].now), count_table[_i].count);
}
END_TEST

START_TEST(test_count_65536_reads_zero)
{
    program(&pit, 2, 0, 0);
    ck_assert_uint_eq(read16(&pit, 0), 0);
    ck_assert_uint_eq(read16(&pit, 1), 65535);
    ck_assert_uint_eq(read16(&pit, 65536), 0);
}
END_TEST

START_TEST(test_latch_holds_count)
{
    program(&pit, 2, 1000, 0);
    pit_write(&pit, CTRL, 0x00, 100);        /* latch 900 */
    pit_write(&pit, CTRL, 0x00, 200);        /* ignored: still latched */
    ck_assert_uint_eq(pit_read(&pit, CH0, 500), 900 & 0xFF);
    ck_assert_uint_eq(pit_read(&pit, CH0, 700), 900 >> 8);
    /* Both bytes read: the latch is released, reads are live again. */
    ck_assert_uint_eq(read16(&pit, 700), 300);
    /* A new latch after release takes a new value. */
    ck_assert_uint_eq(latch_read16(&pit, 750), 250);
}
END_TEST

START_TEST(test_unlatched_bytes_are_live)
{
    program(&pit, 2, 0x1234, 0);
    /* Without a latch each byte comes from the count at its own read: the
     * reason kernels latch first. */
    ck_assert_uint_eq(pit_read(&pit, CH0, 0x34), 0x00);     /* 0x1200 */
    ck_assert_uint_eq(pit_read(&pit, CH0, 0x235), 0x0F);    /* 0x0FFF */
    /* The toggle is back on the low byte. */
    ck_assert_uint_eq(pit_read(&pit, CH0, 0x236), 0xFE);
}
END_TEST

START_TEST(test_control_word_resets_toggles)
{
    program(&pit, 2, 1000, 0);
    ck_assert_uint_eq(pit_read(&pit, CH0, 0), 1000 & 0xFF); /* toggle now hi */
    pit_write(&pit, CH0, 0x77, 0);                          /* write toggle hi */
    pit_write(&pit, CTRL, 0x00, 10);                        /* latch 990 */
    pit_write(&pit, CTRL, 0x34, 20);                        /* resets all */
    ck_assert_uint_eq(pit.latched, 0);
    /* Both toggles start on the low byte again, and the latch is gone. */
    pit_write(&pit, CH0, 0x03, 30);
    pit_write(&pit, CH0, 0x02, 30);
    ck_assert_uint_eq(pit_next_edge(&pit, 30), 30 + 0x0203);
    ck_assert_uint_eq(read16(&pit, 31), 0x0202);
}
END_TEST

/* Access mode lobyte only, hibyte only: one byte per count, both ways. */
START_TEST(test_single_byte_access)
{
    pit_write(&pit, CTRL, 0x14, 0);          /* lobyte, mode 2 */
    pit_write(&pit, CH0, 100, 0);
    ck_assert_uint_eq(pit_next_edge(&pit, 0), 100);
    ck_assert_uint_eq(pit_read(&pit, CH0, 10), 90);
    ck_assert_uint_eq(pit_read(&pit, CH0, 11), 89);
    pit_write(&pit, CH0, 50, 20);            /* each write is a full count */
    ck_assert_uint_eq(pit_next_edge(&pit, 20), 70);
    pit_write(&pit, CTRL, 0x00, 30);         /* latch 40 */
    ck_assert_uint_eq(pit_read(&pit, CH0, 40), 40);
    ck_assert_uint_eq(pit_read(&pit, CH0, 41), 29);        /* released */

    pit_write(&pit, CTRL, 0x24, 100);        /* hibyte, mode 2 */
    pit_write(&pit, CH0, 0x12, 100);
    ck_assert_uint_eq(pit_next_edge(&pit, 100), 100 + 0x1200);
    ck_assert_uint_eq(pit_read(&pit, CH0, 100 + 0x100), 0x11);
    pit_write(&pit, CTRL, 0x00, 100 + 0x300);                /* latch 0x0F00 */
    ck_assert_uint_eq(pit_read(&pit, CH0, 100 + 0x900), 0x0F);
    ck_assert_uint_eq(pit_read(&pit, CH0, 100 + 0x900), 0x09);    /* released */
}
END_TEST

static Suite *pit_suite(void)
{
    Suite *s = suite_create("pit");
    TCase *tc;

    tc = tcase_create("edges");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_reset_state);
    tcase_add_loop_test(tc, test_period_table, 0,
                        sizeof period_table / sizeof period_table[0]);
    tcase_add_test(tc, test_edges_at_multiples_of_11932);
    tcase_add_test(tc, test_advance_large_jumps);
    tcase_add_test(tc, test_reprogram_mid_count);
    tcase_add_test(tc, test_control_word_stops);
    tcase_add_test(tc, test_other_channels_ignored);
    tcase_add_test(tc, test_one_shot_modes);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("reads");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, test_count_table, 0,
                        sizeof count_table / sizeof count_table[0]);
    tcase_add_test(tc, test_count_65536_reads_zero);
    tcase_add_test(tc, test_latch_holds_count);
    tcase_add_test(tc, test_unlatched_bytes_are_live);
    tcase_add_test(tc, test_control_word_resets_toggles);
    tcase_add_test(tc, test_single_byte_access);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
