/* Unit tests for the 16550 UART (cpu/uart.c). Each case is a script of
 * register accesses, as a driver would make them, with what each should
 * give back. */
#include <check.h>
#include <stdlib.h>

#include "cpu/uart.h"

enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

typedef struct {
    char op;                /* 'w': write, 'r': read, 0: end of script */
    uint16_t offset;
    uint8_t val;            /* written value */
    int expect;             /* write: byte for the console or -1; read: value */
} step_t;

typedef struct {
    const char *name;
    step_t steps[16];
} script_t;

static const script_t scripts[] = {
    { "reset values", {
        { 'r', LSR, 0, 0x60 },          /* THRE | TEMT, nothing received */
        { 'r', IIR, 0, 0x01 },          /* no interrupt pending */
        { 'r', MSR, 0, 0xB0 },          /* DCD, DSR, CTS: QEMU, no modem */
        { 'r', RBR, 0, 0x00 },
        { 'r', IER, 0, 0x00 },
        { 'r', LCR, 0, 0x00 },
        { 'r', MCR, 0, 0x08 },          /* OUT2, as QEMU resets it */
        { 'r', SCR, 0, 0x00 },
    } },
    { "THR goes to the console", {
        { 'w', THR, 'h', 'h' },
        { 'w', THR, 'i', 'i' },
        { 'w', THR, '\n', '\n' },
        { 'w', THR, 0x00, 0x00 },
        { 'w', THR, 0xFF, 0xFF },
        { 'r', LSR, 0, 0x60 },          /* never busy */
    } },
    { "DLAB routes 0 and 1 to the divisor", {
        { 'w', IER, 0x05, -1 },
        { 'w', LCR, 0x80, -1 },
        { 'w', DLL, 0x03, -1 },         /* prints nothing */
        { 'w', DLM, 0x01, -1 },         /* does not touch IER */
        { 'r', DLL, 0, 0x03 },
        { 'r', DLM, 0, 0x01 },
        { 'r', LSR, 0, 0x60 },
        { 'r', LCR, 0, 0x80 },
        { 'w', LCR, 0x03, -1 },         /* 8N1, DLAB off */
        { 'r', IER, 0, 0x05 },
        { 'r', RBR, 0, 0x00 },
        { 'w', THR, 'A', 'A' },
        { 'w', LCR, 0x83, -1 },
        { 'r', DLL, 0, 0x03 },          /* the divisor kept its value */
        { 'r', DLM, 0, 0x01 },
    } },
    { "the usual COM1 init prints nothing", {
        { 'w', IER, 0x00, -1 },
        { 'w', LCR, 0x80, -1 },
        { 'w', DLL, 0x03, -1 },
        { 'w', DLM, 0x00, -1 },
        { 'w', LCR, 0x03, -1 },
        { 'w', FCR, 0xC7, -1 },
        { 'w', MCR, 0x0B, -1 },
        { 'w', SCR, 0x5A, -1 },
        { 'r', SCR, 0, 0x5A },
        { 'r', MCR, 0, 0x0B },
        { 'r', LCR, 0, 0x03 },
        { 'w', THR, 'x', 'x' },
    } },
    { "FCR enable shows in IIR", {
        { 'w', FCR, 0x01, -1 },
        { 'r', IIR, 0, 0xC1 },
        { 'w', FCR, 0x06, -1 },         /* FIFOs off again */
        { 'r', IIR, 0, 0x01 },
    } },
    { "reserved bits read as 0", {
        { 'w', IER, 0xFF, -1 },
        { 'r', IER, 0, 0x0F },
        { 'w', MCR, 0xFF, -1 },
        { 'r', MCR, 0, 0x1F },
    } },
    { "LSR and MSR are read-only", {
        { 'w', LSR, 0x00, -1 },
        { 'w', MSR, 0x00, -1 },
        { 'r', LSR, 0, 0x60 },
        { 'r', MSR, 0, 0xB0 },
    } },
    { "loopback keeps the byte off the console", {
        { 'w', MCR, 0x10, -1 },
        { 'w', THR, 'Q', -1 },
        { 'r', LSR, 0, 0x61 },          /* data ready */
        { 'r', RBR, 0, 'Q' },
        { 'r', LSR, 0, 0x60 },
        { 'r', MSR, 0, 0x00 },
        { 'w', MCR, 0x1F, -1 },         /* DTR RTS OUT1 OUT2 -> DSR CTS RI DCD */
        { 'r', MSR, 0, 0xF0 },
        { 'w', MCR, 0x11, -1 },         /* DTR -> DSR */
        { 'r', MSR, 0, 0x20 },
        { 'w', MCR, 0x0B, -1 },         /* loopback off */
        { 'r', MSR, 0, 0xB0 },
        { 'w', THR, 'Q', 'Q' },
    } },
};

START_TEST(test_script)
{
    const script_t *sc = &scripts[_i];
    uart_t u;
    uart_reset(&u);
    for (int i = 0; i < 16 && sc->steps[i].op; i++) {
        const step_t *st = &sc->steps[i];
        int got = st->op == 'w' ? uart_write(&u, st->offset, st->val)
                                : uart_read(&u, st->offset);
        ck_assert_msg(got == st->expect, "%s, step %d (%c offset %u): got %d, want %d",
                      sc->name, i, st->op, st->offset, got, st->expect);
    }
}
END_TEST

/* Every byte value written with DLAB = 0 comes back for the console, and
 * none with DLAB = 1. */
START_TEST(test_all_bytes)
{
    uart_t u;
    uart_reset(&u);
    for (int v = 0; v < 256; v++)
        ck_assert_int_eq(uart_write(&u, THR, (uint8_t)v), v);
    uart_write(&u, LCR, 0x80);
    for (int v = 0; v < 256; v++)
        ck_assert_int_eq(uart_write(&u, DLL, (uint8_t)v), -1);
}
END_TEST

static Suite *uart_suite(void)
{
    Suite *s = suite_create("uart");
    TCase *tc = tcase_create("registers");
    tcase_add_loop_test(tc, test_script, 0, sizeof scripts / sizeof scripts[0]);
    tcase_add_test(tc, test_all_bytes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(uart_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
