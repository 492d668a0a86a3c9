/* Unit tests for the 8259A pair (cpu/pic.c). */
#include <check.h>
#include <stdlib.h>

#include "cpu/pic.h"

#define M_CMD  0x20
#define M_DATA 0x21
#define S_CMD  0xA0
#define S_DATA 0xA1
#define OCW3_READ_IRR 0x0A
#define OCW3_READ_ISR 0x0B
#define EOI           0x20
#define SPECIFIC_EOI  0x60

static pic_t pic;

/* The initialisation every PC kernel does: ICW1 edge + ICW4, bases 0x20 and
 * 0x28, slave on IR2, 8086 mode; then unmask everything. */
static void remap(pic_t *p, uint8_t icw4)
{
    pic_write(p, M_CMD, 0x11);
    pic_write(p, S_CMD, 0x11);
    pic_write(p, M_DATA, 0x20);
    pic_write(p, S_DATA, 0x28);
    pic_write(p, M_DATA, 0x04);
    pic_write(p, S_DATA, 0x02);
    pic_write(p, M_DATA, icw4);
    pic_write(p, S_DATA, icw4);
    pic_write(p, M_DATA, 0x00);
    pic_write(p, S_DATA, 0x00);
}

static void setup(void)
{
    pic_reset(&pic);
    remap(&pic, 0x01);
}

static uint8_t irr(uint16_t cmd)
{
    pic_write(&pic, cmd, OCW3_READ_IRR);
    return pic_read(&pic, cmd);
}

static uint8_t isr(uint16_t cmd)
{
    pic_write(&pic, cmd, OCW3_READ_ISR);
    return pic_read(&pic, cmd);
}

/* ---- reset and initialisation ------------------------------------------ */

START_TEST(test_reset_state)
{
    pic_t p;
    pic_reset(&p);
    ck_assert_uint_eq(p.chip[0].vector_base, 0x08);
    ck_assert_uint_eq(p.chip[1].vector_base, 0x70);
    ck_assert_uint_eq(pic_read(&p, M_DATA), 0x00);
    ck_assert_uint_eq(pic_read(&p, S_DATA), 0x00);
    ck_assert_int_eq(pic_intr_pending(&p), 0);
    pic_pulse_irq(&p, 0);
    ck_assert_int_eq(pic_acknowledge(&p), 0x08);
    pic_pulse_irq(&p, 14);
    pic_write(&p, M_CMD, EOI);
    ck_assert_int_eq(pic_acknowledge(&p), 0x70 + 6);
}
END_TEST

START_TEST(test_remap_vectors)
{
    ck_assert_uint_eq(pic.chip[0].vector_base, 0x20);
    ck_assert_uint_eq(pic.chip[1].vector_base, 0x28);
    ck_assert_uint_eq(pic.chip[0].init_step, 0);
    ck_assert_uint_eq(pic.chip[1].init_step, 0);
}
END_TEST

/* How many data-port writes an ICW1 makes the chip take as ICWs: ICW2
 * always, ICW3 unless SNGL, ICW4 if IC4. The next one is OCW1. */
static const struct {
    uint8_t icw1;
    int icws;
} init_table[] = {
    { 0x11, 3 },    /* cascade, ICW4: the PC sequence */
    { 0x10, 2 },    /* cascade, no ICW4 */
    { 0x13, 2 },    /* single, ICW4 */
    { 0x12, 1 },    /* single, no ICW4 */
};

START_TEST(test_init_sequence_table)
{
    pic_t p;
    pic_reset(&p);
    pic_write(&p, M_DATA, 0xFF);
    pic_write(&p, M_CMD, init_table[_i].icw1);
    /* ICW1 clears IMR; the ICWs that follow never reach it. */
    ck_assert_uint_eq(pic_read(&p, M_DATA), 0x00);
    static const uint8_t icw[3] = { 0x47, 0x04, 0x01 };   /* low 3 bits of ICW2 ignored */
    for (int i = 0; i < init_table[_i].icws; i++) {
        pic_write(&p, M_DATA, icw[i]);
        ck_assert_uint_eq(pic_read(&p, M_DATA), 0x00);
    }
    ck_assert_uint_eq(p.chip[0].init_step, 0);
    ck_assert_uint_eq(p.chip[0].vector_base, 0x40);
    pic_write(&p, M_DATA, 0xAA);
    ck_assert_uint_eq(pic_read(&p, M_DATA), 0xAA);
}
END_TEST

START_TEST(test_icw1_clears_state)
{
    pic_pulse_irq(&pic, 1);
    pic_pulse_irq(&pic, 3);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x21);
    pic_write(&pic, M_DATA, 0xF0);
    pic_write(&pic, M_CMD, OCW3_READ_ISR);
    ck_assert_uint_eq(pic_read(&pic, M_CMD), 0x02);
    pic_write(&pic, M_CMD, 0x11);
    /* IRR, ISR and IMR cleared, IRR selected for reading. */
    ck_assert_uint_eq(pic_read(&pic, M_CMD), 0x00);
    ck_assert_uint_eq(pic_read(&pic, M_DATA), 0x00);
    ck_assert_uint_eq(isr(M_CMD), 0x00);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
}
END_TEST

/* ---- delivery, masking, priority --------------------------------------- */

/* Every line but the cascade input reaches its vector. */
START_TEST(test_each_irq_vector)
{
    int irq = _i;
    if (irq == 2)
        return;
    pic_pulse_irq(&pic, irq);
    ck_assert_int_eq(pic_pending_irq(&pic), irq);
    ck_assert_int_eq(pic_acknowledge(&pic), irq < 8 ? 0x20 + irq : 0x28 + irq - 8);
    ck_assert_uint_eq(isr(M_CMD), irq < 8 ? 1u << irq : 0x04);
    ck_assert_uint_eq(isr(S_CMD), irq < 8 ? 0 : 1u << (irq - 8));
    ck_assert_uint_eq(irr(M_CMD), 0);
    ck_assert_uint_eq(irr(S_CMD), 0);
}
END_TEST

START_TEST(test_irq2_is_cascade_only)
{
    pic_pulse_irq(&pic, 2);
    pic_set_irq(&pic, 16, 1);
    pic_set_irq(&pic, -1, 1);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
}
END_TEST

START_TEST(test_mask)
{
    pic_write(&pic, M_DATA, 0x02);
    pic_pulse_irq(&pic, 1);
    /* Latched in IRR, but INTR stays low while masked. */
    ck_assert_uint_eq(irr(M_CMD), 0x02);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    ck_assert_int_eq(pic_pending_irq(&pic), -1);
    pic_write(&pic, M_DATA, 0x00);
    ck_assert_int_eq(pic_pending_irq(&pic), 1);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x21);
}
END_TEST

START_TEST(test_mask_cascade_blocks_slave)
{
    pic_write(&pic, M_DATA, 0x04);
    pic_pulse_irq(&pic, 12);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_write(&pic, M_DATA, 0x00);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x2C);
}
END_TEST

START_TEST(test_mask_on_slave)
{
    pic_write(&pic, S_DATA, 0x10);
    pic_pulse_irq(&pic, 12);
    ck_assert_uint_eq(irr(S_CMD), 0x10);
    ck_assert_uint_eq(irr(M_CMD), 0x00);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    /* Unmasking raises the slave's INT: an edge on master IR2. */
    pic_write(&pic, S_DATA, 0x00);
    ck_assert_uint_eq(irr(M_CMD), 0x04);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x2C);
}
END_TEST

/* Fixed priority, IR0 highest: pending requests come out in IR order, on
 * the master with the slave's eight slotted in at IR2. */
START_TEST(test_priority_order)
{
    static const int raise[] = { 7, 15, 3, 9, 1, 0, 14, 8, 5 };
    static const int order[] = { 0, 1, 8, 9, 14, 15, 3, 5, 7 };
    for (size_t i = 0; i < sizeof raise / sizeof raise[0]; i++)
        pic_pulse_irq(&pic, raise[i]);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        int irq = order[i];
        ck_assert_int_eq(pic_pending_irq(&pic), irq);
        ck_assert_int_eq(pic_acknowledge(&pic), irq < 8 ? 0x20 + irq : 0x28 + irq - 8);
        if (irq >= 8)
            pic_write(&pic, S_CMD, EOI);
        pic_write(&pic, M_CMD, EOI);
    }
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
}
END_TEST

START_TEST(test_in_service_blocks_lower)
{
    pic_pulse_irq(&pic, 0);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x20);
    pic_pulse_irq(&pic, 1);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    /* Another IRQ0 while IRQ0 is in service waits too: same level. */
    pic_pulse_irq(&pic, 0);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_write(&pic, M_CMD, EOI);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x20);
    pic_write(&pic, M_CMD, EOI);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x21);
}
END_TEST

START_TEST(test_higher_preempts)
{
    pic_pulse_irq(&pic, 4);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x24);
    pic_pulse_irq(&pic, 1);
    ck_assert_int_eq(pic_intr_pending(&pic), 1);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x21);
    ck_assert_uint_eq(isr(M_CMD), 0x12);
    /* A non-specific EOI ends the highest level in service: IRQ1. */
    pic_write(&pic, M_CMD, EOI);
    ck_assert_uint_eq(isr(M_CMD), 0x10);
    pic_write(&pic, M_CMD, EOI);
    ck_assert_uint_eq(isr(M_CMD), 0x00);
}
END_TEST

START_TEST(test_slave_preempts_lower_master)
{
    pic_pulse_irq(&pic, 3);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x23);
    pic_pulse_irq(&pic, 8);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x28);
    ck_assert_uint_eq(isr(M_CMD), 0x0C);
}
END_TEST

/* ---- EOI --------------------------------------------------------------- */

static const struct {
    uint8_t ocw2;
    uint8_t isr_after;      /* starting from ISR = 0x23 (IR0, IR1, IR5) */
} eoi_table[] = {
    { 0x20, 0x22 },         /* non-specific: highest in service, IR0 */
    { 0x60, 0x22 },         /* specific IR0 */
    { 0x61, 0x21 },         /* specific IR1 */
    { 0x65, 0x03 },         /* specific IR5, though not the highest */
    { 0x67, 0x23 },         /* specific IR7, not in service: no change */
    { 0xA0, 0x22 },         /* rotate on non-specific EOI: the EOI happens */
    { 0xE5, 0x03 },         /* rotate on specific EOI: the EOI happens */
    { 0xC3, 0x23 },         /* set priority: ignored */
    { 0x80, 0x23 },         /* rotate in AEOI mode: ignored */
    { 0x40, 0x23 },         /* no operation */
};

START_TEST(test_eoi_table)
{
    pic_pulse_irq(&pic, 5);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x25);
    pic_pulse_irq(&pic, 1);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x21);
    pic_pulse_irq(&pic, 0);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x20);
    ck_assert_uint_eq(isr(M_CMD), 0x23);
    pic_write(&pic, M_CMD, eoi_table[_i].ocw2);
    ck_assert_uint_eq(isr(M_CMD), eoi_table[_i].isr_after);
}
END_TEST

START_TEST(test_specific_eoi_unblocks)
{
    pic_pulse_irq(&pic, 3);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x23);
    pic_pulse_irq(&pic, 6);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_write(&pic, M_CMD, SPECIFIC_EOI | 3);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x26);
}
END_TEST

START_TEST(test_auto_eoi)
{
    pic_reset(&pic);
    remap(&pic, 0x03);
    pic_pulse_irq(&pic, 0);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x20);
    ck_assert_uint_eq(isr(M_CMD), 0x00);
    pic_pulse_irq(&pic, 1);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x21);
    /* Two slave requests with AEOI on both chips: the second is not lost. */
    pic_pulse_irq(&pic, 9);
    pic_pulse_irq(&pic, 10);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x29);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x2A);
    ck_assert_uint_eq(isr(M_CMD), 0x00);
    ck_assert_uint_eq(isr(S_CMD), 0x00);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
}
END_TEST

/* ---- register reads ---------------------------------------------------- */

START_TEST(test_ocw3_register_select)
{
    pic_write(&pic, M_DATA, 0x80);      /* IR7 masked: stays in IRR */
    pic_pulse_irq(&pic, 7);
    pic_pulse_irq(&pic, 4);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x24);
    pic_pulse_irq(&pic, 6);             /* blocked by IR4 in service */
    /* After ICW1 the command port reads IRR. */
    ck_assert_uint_eq(pic_read(&pic, M_CMD), 0xC0);
    pic_write(&pic, M_CMD, OCW3_READ_ISR);
    ck_assert_uint_eq(pic_read(&pic, M_CMD), 0x10);
    ck_assert_uint_eq(pic_read(&pic, M_CMD), 0x10);   /* selection persists */
    pic_write(&pic, M_CMD, 0x08);       /* OCW3 with RR = 0: keeps ISR */
    ck_assert_uint_eq(pic_read(&pic, M_CMD), 0x10);
    pic_write(&pic, M_CMD, OCW3_READ_IRR);
    ck_assert_uint_eq(pic_read(&pic, M_CMD), 0xC0);
    /* The data port reads IMR whatever OCW3 selected. */
    ck_assert_uint_eq(pic_read(&pic, M_DATA), 0x80);
    /* The slave's selection is its own. */
    ck_assert_uint_eq(pic_read(&pic, S_CMD), 0x00);
}
END_TEST

/* ---- cascade ----------------------------------------------------------- */

START_TEST(test_slave_cascade)
{
    pic_pulse_irq(&pic, 8);
    ck_assert_uint_eq(irr(S_CMD), 0x01);
    ck_assert_uint_eq(irr(M_CMD), 0x04);     /* seen by the master as IR2 */
    ck_assert_int_eq(pic_pending_irq(&pic), 8);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x28);
    ck_assert_uint_eq(isr(M_CMD), 0x04);
    ck_assert_uint_eq(isr(S_CMD), 0x01);
    ck_assert_uint_eq(irr(M_CMD), 0x00);
    ck_assert_uint_eq(irr(S_CMD), 0x00);
    pic_write(&pic, S_CMD, EOI);
    pic_write(&pic, M_CMD, EOI);
    ck_assert_uint_eq(isr(M_CMD), 0x00);
    ck_assert_uint_eq(isr(S_CMD), 0x00);
}
END_TEST

/* Fully nested: with IR2 in service on the master, even a higher slave
 * request waits for the master's EOI; two pending slave requests both
 * arrive, whichever chip the handler EOIs first. */
START_TEST(test_slave_nesting)
{
    pic_pulse_irq(&pic, 9);
    pic_pulse_irq(&pic, 11);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x29);
    pic_pulse_irq(&pic, 8);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_pulse_irq(&pic, 1);                  /* master IR1 beats IR2 */
    ck_assert_int_eq(pic_acknowledge(&pic), 0x21);
    pic_write(&pic, M_CMD, EOI);             /* ends IR1 */
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_write(&pic, S_CMD, EOI);             /* slave first ... */
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_write(&pic, M_CMD, EOI);             /* ... then master */
    ck_assert_int_eq(pic_acknowledge(&pic), 0x28);
    pic_write(&pic, M_CMD, EOI);             /* master first ... */
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_write(&pic, S_CMD, EOI);             /* ... then slave */
    ck_assert_int_eq(pic_acknowledge(&pic), 0x2B);
}
END_TEST

/* ---- edges ------------------------------------------------------------- */

START_TEST(test_edge_not_level)
{
    pic_set_irq(&pic, 1, 1);
    pic_set_irq(&pic, 1, 1);                 /* no new edge */
    ck_assert_int_eq(pic_acknowledge(&pic), 0x21);
    pic_write(&pic, M_CMD, EOI);
    /* The line is still high: no new request. */
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_set_irq(&pic, 1, 1);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_set_irq(&pic, 1, 0);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_set_irq(&pic, 1, 1);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x21);
}
END_TEST

START_TEST(test_edge_latched_after_line_falls)
{
    pic_pulse_irq(&pic, 5);                  /* high then low */
    ck_assert_int_eq(pic_pending_irq(&pic), 5);
    pic_pulse_irq(&pic, 5);                  /* a second edge merges into IRR */
    ck_assert_int_eq(pic_acknowledge(&pic), 0x25);
    pic_write(&pic, M_CMD, EOI);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
}
END_TEST

START_TEST(test_icw1_resets_edge_sense)
{
    pic_set_irq(&pic, 3, 1);
    remap(&pic, 0x01);
    /* Datasheet: after ICW1 a line must go low-to-high to request. */
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_set_irq(&pic, 3, 1);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_pulse_irq(&pic, 3);
    ck_assert_int_eq(pic_intr_pending(&pic), 0);
    pic_set_irq(&pic, 3, 1);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x23);
}
END_TEST

/* ---- spurious ---------------------------------------------------------- */

START_TEST(test_spurious_master)
{
    ck_assert_int_eq(pic_pending_irq(&pic), -1);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x27);
    ck_assert_uint_eq(isr(M_CMD), 0x00);
    /* A masked request is no request either. */
    pic_write(&pic, M_DATA, 0x01);
    pic_pulse_irq(&pic, 0);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x27);
    ck_assert_uint_eq(isr(M_CMD), 0x00);
    ck_assert_uint_eq(irr(M_CMD), 0x01);
}
END_TEST

START_TEST(test_spurious_slave)
{
    pic_pulse_irq(&pic, 12);
    ck_assert_uint_eq(irr(M_CMD), 0x04);
    /* The request is masked on the slave after the master latched IR2:
     * INTA reaches a slave with nothing to give, which answers IR7. */
    pic_write(&pic, S_DATA, 0x10);
    ck_assert_int_eq(pic_pending_irq(&pic), 15);
    ck_assert_int_eq(pic_acknowledge(&pic), 0x2F);
    ck_assert_uint_eq(isr(S_CMD), 0x00);
    ck_assert_uint_eq(isr(M_CMD), 0x04);
}
END_TEST

static Suite *pic_suite(void)
{
    Suite *s = suite_create("pic");
    TCase *tc;

    tc = tcase_create("init");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_reset_state);
    tcase_add_test(tc, test_remap_vectors);
    tcase_add_loop_test(tc, test_init_sequence_table, 0,
                        sizeof init_table / sizeof init_table[0]);
    tcase_add_test(tc, test_icw1_clears_state);
    suite_add_tcase(s, tc);

    tc = tcase_create("delivery");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, test_each_irq_vector, 0, 16);
    tcase_add_test(tc, test_irq2_is_cascade_only);
    tcase_add_test(tc, test_mask);
    tcase_add_test(tc, test_mask_cascade_blocks_slave);
    tcase_add_test(tc, test_mask_on_slave);
    tcase_add_test(tc, test_priority_order);
    tcase_add_test(tc, test_in_service_blocks_lower);
    tcase_add_test(tc, test_higher_preempts);
    tcase_add_test(tc, test_slave_preempts_lower_master);
    suite_add_tcase(s, tc);

    tc = tcase_create("eoi");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, test_eoi_table, 0, sizeof eoi_table / sizeof eoi_table[0]);
    tcase_add_test(tc, test_specific_eoi_unblocks);
    tcase_add_test(tc, test_auto_eoi);
    tcase_add_test(tc, test_ocw3_register_select);
    suite_add_tcase(s, tc);

    tc = tcase_create("cascade");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_slave_cascade);
    tcase_add_test(tc, test_slave_nesting);
    suite_add_tcase(s, tc);

    tc = tcase_create("edges");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_edge_not_level);
    tcase_add_test(tc, test_edge_latched_after_line_falls);
    tcase_add_test(tc, test_icw1_resets_edge_sense);
    tcase_add_test(tc, test_spurious_master);
    tcase_add_test(tc, test_spurious_slave);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
