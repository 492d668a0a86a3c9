/* 16550A UART as COM1: a transmitter that never gets busy and a receiver
 * with no line attached (National Semiconductor PC16550D datasheet; QEMU's
 * hw/char/serial.c for the values a guest can see).
 *
 * The only output is the byte a THR write returns to the caller. Registers
 * a driver programs (IER, FCR, LCR, MCR, SCR, the divisor) are stored and
 * read back but change nothing: no baud timing, no interrupts (IIR always
 * says none pending), no FIFO contents. Loopback (MCR.LOOP) is modelled
 * because it changes what reaches the console: as on the chip and in
 * QEMU, a byte written in loopback goes to the receiver, not the line. */
#include "cpu/uart.h"

enum {
    UART_RBR_THR_DLL = 0,   /* RBR (read) / THR (write); DLL when DLAB = 1 */
    UART_IER_DLM     = 1,   /* IER; DLM when DLAB = 1 */
    UART_IIR_FCR     = 2,   /* IIR (read) / FCR (write) */
    UART_LCR         = 3,
    UART_MCR         = 4,
    UART_LSR         = 5,
    UART_MSR         = 6,
    UART_SCR         = 7,
};

#define LCR_DLAB   0x80     /* divisor latch access */
#define MCR_LOOP   0x10     /* loopback */
#define FCR_ENABLE 0x01     /* FIFOs enabled */
#define LSR_DR     0x01     /* data ready */
#define LSR_THRE   0x20     /* transmitter holding register empty */
#define LSR_TEMT   0x40     /* transmitter empty */
#define IIR_NO_INT 0x01     /* no interrupt pending */
#define IIR_FIFO   0xC0     /* FIFOs enabled (16550A) */
/* MSR with no modem attached, as QEMU reports it for a stdio chardev:
 * DCD, DSR and CTS asserted, no deltas. */
#define MSR_NO_MODEM 0xB0

/* QEMU's reset values: 9600 baud (divisor 12), OUT2 set, all else 0. */
void uart_reset(uart_t *u)
{
    *u = (uart_t){ .divisor = 12, .mcr = 0x08 };
}

/* In loopback, the modem control outputs feed the status inputs:
 * DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD. */
static uint8_t loopback_msr(uint8_t mcr)
{
    return (uint8_t)(((mcr & 0x0C) << 4) | ((mcr & 0x02) << 3) |
                     ((mcr & 0x01) << 5));
}

uint8_t uart_read(uart_t *u, uint16_t offset)
{
    int dlab = (u->lcr & LCR_DLAB) != 0;
    switch (offset & 7) {
    case UART_RBR_THR_DLL:
        if (dlab)
            return (uint8_t)u->divisor;
        u->rx_ready = 0;
        return u->rbr;
    case UART_IER_DLM:
        return dlab ? (uint8_t)(u->divisor >> 8) : u->ier;
    case UART_IIR_FCR:
        return (u->fcr & FCR_ENABLE) ? IIR_FIFO | IIR_NO_INT : IIR_NO_INT;
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR:
        /* The transmitter is always empty: a THR write completes at once. */
        return LSR_TEMT | LSR_THRE | (u->rx_ready ? LSR_DR : 0);
    case UART_MSR:
        return (u->mcr & MCR_LOOP) ? loopback_msr(u->mcr) : MSR_NO_MODEM;
    default: /* UART_SCR */
        return u->scr;
    }
}

int uart_write(uart_t *u, uint16_t offset, uint8_t val)
{
    int dlab = (u->lcr & LCR_DLAB) != 0;
    switch (offset & 7) {
    case UART_RBR_THR_DLL:
        if (dlab) {
            u->divisor = (uint16_t)((u->divisor & 0xFF00) | val);
            return -1;
        }
        if (u->mcr & MCR_LOOP) {
            u->rbr = val;       /* a second byte overruns the first */
            u->rx_ready = 1;
            return -1;
        }
        return val;
    case UART_IER_DLM:
        if (dlab)
            u->divisor = (uint16_t)((u->divisor & 0x00FF) | val << 8);
        else
            u->ier = val & 0x0F;    /* bits 7-4 are always 0 */
        return -1;
    case UART_IIR_FCR:
        u->fcr = val;
        return -1;
    case UART_LCR:
        u->lcr = val;
        return -1;
    case UART_MCR:
        u->mcr = val & 0x1F;        /* bits 7-5 are always 0 */
        return -1;
    case UART_SCR:
        u->scr = val;
        return -1;
    default: /* LSR, MSR: read-only, writes ignored */
        return -1;
    }
}
