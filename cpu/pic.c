/* 8259A programmable interrupt controller: a master and a slave chip, the
 * slave's INT output wired to master IR2, as on every PC since the AT.
 *
 * What is modelled (Intel 8259A datasheet, order no. 231468):
 *   - ICW1..ICW4 initialisation; ICW2 gives the vector base (bits 7-3).
 *   - OCW1 (IMR), OCW2 non-specific and specific EOI, OCW3 IRR/ISR select.
 *   - Fully nested mode with fixed priority, IR0 highest.
 *   - Edge-triggered inputs: a 0->1 transition sets IRR.
 * What is not: rotating priority, special mask mode, special fully nested
 * mode, poll mode, level-triggered mode (ICW1 bit 3), buffered mode. Their
 * commands are accepted and ignored, except that the rotate-on-EOI commands
 * still perform their EOI (so a guest using them keeps working).
 *
 * A slave request is seen by the master as IR2: the slave's INT output (an
 * unmasked request of higher priority than anything in service on the
 * slave) drives master line 2 through the same edge detector as every
 * other line, as in QEMU's hw/intc/i8259.c. */
#include <stddef.h>
#include "cpu/pic.h"

#define PIC_MASTER 0
#define PIC_SLAVE  1
#define CASCADE_IR 2            /* master input the slave is wired to */
#define SPURIOUS_IR 7           /* IR7 vector when INTA finds nothing */

/* The port decodes to a chip (0x2x master, 0xAx slave) and A0 (the low bit:
 * 0 = command port, 1 = data port). */
static pic_chip_t *chip_of(pic_t *p, uint16_t port)
{
    return &p->chip[(port & 0x80) ? PIC_SLAVE : PIC_MASTER];
}

/* The highest-priority bit set in `bits` (IR0 highest), or 8 when none. */
static int highest(uint8_t bits)
{
    for (int n = 0; n < 8; n++)
        if (bits & (1u << n))
            return n;
    return 8;
}

/* The IR a chip would present to INTA now, or -1. Fully nested mode: a
 * request is served only if unmasked and of strictly higher priority than
 * the highest level in service (the in-service level itself is blocked). */
static int chip_pending(const pic_chip_t *c)
{
    int req = highest(c->irr & (uint8_t)~c->imr);
    int svc = highest(c->isr);
    return req < svc ? req : -1;
}

/* Drive one input of one chip. The datasheet's edge sense latch: IRR is set
 * only on a low-to-high transition, so holding a line high requests once. */
static void chip_set_line(pic_chip_t *c, int ir, int level)
{
    uint8_t bit = (uint8_t)(1u << ir);
    if (level) {
        if (!(c->lines & bit))
            c->irr |= bit;
        c->lines |= bit;
    } else {
        c->lines &= (uint8_t)~bit;
    }
}

/* Re-evaluate the slave's INT output and present it on master IR2. Called
 * after anything that can change what the slave would deliver. */
static void update_cascade(pic_t *p)
{
    int out = chip_pending(&p->chip[PIC_SLAVE]) >= 0;
    chip_set_line(&p->chip[PIC_MASTER], CASCADE_IR, out);
}

/* Clear the ISR bit of the highest-priority level in service (the one a
 * non-specific EOI refers to in fully nested mode). */
static void eoi_nonspecific(pic_chip_t *c)
{
    int n = highest(c->isr);
    if (n < 8)
        c->isr &= (uint8_t)~(1u << n);
}

/* Command port, A0 = 0: ICW1 if D4 is set, else OCW3 if D3 is set, else OCW2. */
static void write_command(pic_chip_t *c, uint8_t val)
{
    if (val & 0x10) {
        /* ICW1. Datasheet "Initialization Command Words": the edge sense
         * circuit is reset (a line already high must go low and high again
         * to request: `lines` keeps its level for that), IMR is cleared,
         * status read is set to IRR, and ICW4 functions are zeroed when IC4
         * = 0. Like QEMU we also drop pending requests and ISR. */
        c->irr = 0;
        c->isr = 0;
        c->imr = 0;
        c->read_isr = 0;
        c->auto_eoi = 0;
        c->icw4_needed = val & 0x01;
        c->single = (val >> 1) & 1;
        c->init_step = 2;
        return;
    }
    if (val & 0x08) {
        /* OCW3: RR (D1) = 1 selects the register by RIS (D0). RR = 0 keeps
         * the previous selection. Poll (D2) and special mask (D6-D5) are
         * not modelled. */
        if (val & 0x02)
            c->read_isr = val & 0x01;
        return;
    }
    /* OCW2: R SL EOI in D7-D5, the level in D2-D0. */
    switch (val >> 5) {
    case 1: /* non-specific EOI */
    case 5: /* rotate on non-specific EOI: EOI done, rotation not modelled */
        eoi_nonspecific(c);
        break;
    case 3: /* specific EOI */
    case 7: /* rotate on specific EOI: EOI done, rotation not modelled */
        c->isr &= (uint8_t)~(1u << (val & 7));
        break;
    default: /* 0, 4: rotate in auto-EOI mode; 6: set priority; 2: no-op */
        break;
    }
}

/* Data port, A0 = 1: the next ICW while initialising, otherwise OCW1. */
static void write_data(pic_chip_t *c, uint8_t val)
{
    switch (c->init_step) {
    case 2: /* ICW2: T7-T3 of the vector; the chip supplies the low 3 bits */
        c->vector_base = val & 0xF8;
        if (!c->single)
            c->init_step = 3;
        else
            c->init_step = c->icw4_needed ? 4 : 0;
        break;
    case 3: /* ICW3: which IR has a slave (master) or slave ID (slave) */
        c->cascade = val;
        c->init_step = c->icw4_needed ? 4 : 0;
        break;
    case 4: /* ICW4: AEOI is D1; uPM, BUF, M/S and SFNM are not modelled */
        c->auto_eoi = (val >> 1) & 1;
        c->init_step = 0;
        break;
    default: /* OCW1 */
        c->imr = val;
        break;
    }
}

/* Firmware state. SeaBIOS initialises the pair with ICW4 (8086 mode, normal
 * EOI) at bases 0x08 and 0x70 and then unmasks the lines it uses. We keep
 * this simpler: initialised at the same bases, nothing pending, nothing in
 * service, and IMR = 0 on both chips (every line unmasked), so a PIT edge
 * before the guest reprograms the PIC latches IRQ0 as it may on QEMU. The
 * guest reinitialises the PIC (ICW1 clears all of this) before it sets IF,
 * and PLATFORM.md does not compare this state with QEMU. */
void pic_reset(pic_t *p)
{
    static const uint8_t base[2] = { 0x08, 0x70 };
    static const uint8_t icw3[2] = { 1u << CASCADE_IR, CASCADE_IR };
    for (int i = 0; i < 2; i++) {
        p->chip[i] = (pic_chip_t){
            .vector_base = base[i],
            .icw4_needed = 1,
            .cascade = icw3[i],
        };
    }
}

/* Command port reads return IRR or ISR as selected by OCW3; data port reads
 * return IMR (datasheet: "OCW1 ... can be read by the processor"). */
uint8_t pic_read(pic_t *p, uint16_t port)
{
    const pic_chip_t *c = chip_of(p, port);
    if (port & 1)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

void pic_write(pic_t *p, uint16_t port, uint8_t val)
{
    pic_chip_t *c = chip_of(p, port);
    if (port & 1)
        write_data(c, val);
    else
        write_command(c, val);
    /* Masks, EOIs and re-initialisation of either chip can change what the
     * slave presents on master IR2. */
    update_cascade(p);
}

/* Line 2 is the cascade input, driven by the slave, not by a device: a
 * request on it is ignored, as are numbers outside 0..15. */
void pic_set_irq(pic_t *p, int irq, int level)
{
    if (irq < 0 || irq > 15 || irq == CASCADE_IR)
        return;
    chip_set_line(&p->chip[irq >> 3], irq & 7, level != 0);
    if (irq >= 8)
        update_cascade(p);
}

void pic_pulse_irq(pic_t *p, int irq)
{
    pic_set_irq(p, irq, 1);
    pic_set_irq(p, irq, 0);
}

int pic_pending_irq(const pic_t *p)
{
    int m = chip_pending(&p->chip[PIC_MASTER]);
    if (m != CASCADE_IR)
        return m;
    /* The master passes INTA on to the slave; a slave with nothing to offer
     * any more answers with its IR7 (a spurious IRQ15). */
    int s = chip_pending(&p->chip[PIC_SLAVE]);
    return 8 + (s >= 0 ? s : SPURIOUS_IR);
}

int pic_intr_pending(const pic_t *p)
{
    return pic_pending_irq(p) >= 0;
}

const char *pic_timer_held(const pic_t *p)
{
    if (pic_intr_pending(p))
        return NULL;
    if (pic_irq_masked(p, 0))
        return "masked";
    if (p->chip[PIC_MASTER].irr & 1)
        return "held back by its last interrupt, still in service (no EOI)";
    return NULL;
}

/* INTA on one chip: the request moves from IRR to ISR (edge mode clears the
 * IRR bit), unless AEOI ends it at once. */
static void chip_ack(pic_chip_t *c, int ir)
{
    uint8_t bit = (uint8_t)(1u << ir);
    c->irr &= (uint8_t)~bit;
    if (!c->auto_eoi)
        c->isr |= bit;
}

int pic_acknowledge(pic_t *p)
{
    pic_chip_t *m = &p->chip[PIC_MASTER];
    pic_chip_t *s = &p->chip[PIC_SLAVE];
    int mir = chip_pending(m);
    if (mir < 0) {
        /* Datasheet: if no request is present at INTA, the 8259A issues
         * IR7's vector; no ISR bit is set, so the handler must not EOI. */
        return m->vector_base + SPURIOUS_IR;
    }
    chip_ack(m, mir);
    if (mir != CASCADE_IR)
        return m->vector_base + mir;

    int vec;
    int sir = chip_pending(s);
    if (sir >= 0) {
        chip_ack(s, sir);
        vec = s->vector_base + sir;
    } else {
        /* Spurious on the slave: its IR7 vector, master IR2 stays in
         * service (the handler EOIs the master only). */
        vec = s->vector_base + SPURIOUS_IR;
    }
    /* The slave's INT falls during the INTA cycle; if it still has an
     * unmasked request (possible with AEOI) it rises again, which the
     * master sees as a new edge on IR2. */
    chip_set_line(m, CASCADE_IR, 0);
    update_cascade(p);
    return vec;
}

int pic_irq_masked(const pic_t *p, int irq)
{
    if (irq < 8)
        return (p->chip[0].imr >> irq) & 1;
    return ((p->chip[1].imr >> (irq - 8)) & 1) || (p->chip[0].imr & 4);
}
