/* 8259A programmable interrupt controller, master and slave (PLATFORM.md).
 * Ports 0x20-0x21 (master) and 0xA0-0xA1 (slave); the slave cascades on
 * master IRQ2. Edge-triggered: a rising edge on an IRQ line sets IRR. */
#ifndef TRAPSIM_PIC_H
#define TRAPSIM_PIC_H
#include <stdint.h>

typedef struct pic_chip {
    uint8_t irr;        /* interrupt request register: edges seen, not yet acknowledged */
    uint8_t isr;        /* in-service register: acknowledged, awaiting EOI */
    uint8_t imr;        /* interrupt mask register (OCW1): 1 = masked */
    uint8_t lines;      /* current level of each input, to detect rising edges */
    uint8_t vector_base;/* ICW2: vector of IR0 (low 3 bits zero) */
    uint8_t init_step;  /* 0 = ready; 2..4 = expecting ICW2..ICW4 */
    uint8_t icw4_needed;/* ICW1 bit 0 */
    uint8_t single;     /* ICW1 bit 1: no cascade */
    uint8_t read_isr;   /* OCW3 read-register select: 0 = IRR, 1 = ISR */
    uint8_t auto_eoi;   /* ICW4 bit 1 */
    uint8_t cascade;    /* ICW3 value as written */
} pic_chip_t;

typedef struct pic {
    pic_chip_t chip[2]; /* [0] master, [1] slave */
} pic_t;

/* Firmware state: master base 0x08, slave 0x70, IMR 0 on both (no line
 * masked), nothing pending or in service; see pic.c for why. */
void    pic_reset(pic_t *p);
uint8_t pic_read(pic_t *p, uint16_t port);
void    pic_write(pic_t *p, uint16_t port, uint8_t val);
/* Drive IRQ line 0..15 to level (0 or 1); a 0->1 change sets IRR. Line 2
 * is the master's cascade input, driven by the slave: requests on it are
 * ignored. */
void    pic_set_irq(pic_t *p, int irq, int level);
/* A one-cycle pulse on a line (raise then lower): what the PIT does per period. */
void    pic_pulse_irq(pic_t *p, int irq);
/* 1 when the INTR output to the CPU is asserted (an unmasked request of
 * higher priority than anything in service). */
int     pic_intr_pending(const pic_t *p);
/* The CPU's interrupt acknowledge: returns the vector and moves the request
 * from IRR to ISR (spurious IRQ7/IRQ15 vector when nothing is pending). */
int     pic_acknowledge(pic_t *p);
/* The IRQ number (0..15) that pic_acknowledge would return now, or -1. */
int     pic_pending_irq(const pic_t *p);
/* Why the timer (IRQ0) can never interrupt a halted CPU, which could not
 * unmask it or send the EOI it waits for: "masked", or "held back by its
 * last interrupt, still in service (no EOI)" when a request is latched but
 * the one in service blocks it. NULL when it still can. */
const char *pic_timer_held(const pic_t *p);
/* Whether IRQ line 0..15 is masked (IMR; slave lines also through master IR2). */
int     pic_irq_masked(const pic_t *p, int irq);
#endif
