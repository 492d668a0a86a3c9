// COM1, a 16550 UART at 0x3F8, written by polling: the console.
#include "types.h"
#include "x86.h"
#include "defs.h"

#define COM1     0x3F8
#define THR      0       // transmit holding register
#define IER      1       // interrupt enable
#define FCR      2       // FIFO control
#define LCR      3       // line control; bit 7 (DLAB) maps 0-1 to the divisor
#define MCR      4       // modem control
#define LSR      5       // line status
#define LSR_THRE 0x20    // transmitter can take a byte

void uartinit(void) {
  pv_lazy_begin();          // pv: one port_io for all seven
  outb(COM1 + IER, 0x00);   // no UART interrupts: we poll
  outb(COM1 + LCR, 0x80);   // DLAB = 1: divisor 1, 115200 baud
  outb(COM1 + 0, 0x01);
  outb(COM1 + 1, 0x00);
  outb(COM1 + LCR, 0x03);   // DLAB = 0, 8 data bits, no parity, 1 stop bit
  outb(COM1 + FCR, 0x07);   // FIFOs on and cleared
  outb(COM1 + MCR, 0x03);   // DTR, RTS
  pv_lazy_end();
}

void uartputc(int c) {
  if (pv_on) {              // pv: a line at a time, console_write
    pv_console_putc(c);
    return;
  }
  while ((inb(COM1 + LSR) & LSR_THRE) == 0)
    ;
  outb(COM1 + THR, c);
}
