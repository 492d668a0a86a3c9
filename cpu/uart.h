/* 16550 UART as COM1 at 0x3F8-0x3FF (PLATFORM.md): THR writes go to the
 * console, LSR reads 0x60, DLAB routes 0x3F8/0x3F9 to the divisor latch. */
#ifndef TRAPSIM_UART_H
#define TRAPSIM_UART_H
#include <stdint.h>

typedef struct uart {
    uint8_t ier, fcr, lcr, mcr, scr;  /* registers accepted and read back */
    uint16_t divisor;                 /* baud divisor, set with LCR.DLAB = 1 */
    uint8_t rbr;                      /* receive buffer: only loopback fills it */
    uint8_t rx_ready;                 /* rbr holds an unread byte (LSR.DR) */
} uart_t;

void    uart_reset(uart_t *u);
/* port is 0..7, the offset from 0x3F8. */
uint8_t uart_read(uart_t *u, uint16_t offset);
/* Returns the byte to print on the console, or -1 when the write prints nothing. */
int     uart_write(uart_t *u, uint16_t offset, uint8_t val);
#endif
