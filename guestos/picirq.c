// The two 8259A interrupt controllers. The BIOS leaves IRQ0..7 on vectors
// 8..15, where the CPU's exceptions are, so move them: master to 0x20
// (T_IRQ0), slave to 0x28. Only IRQ0, the timer, is unmasked.
#include "types.h"
#include "x86.h"
#include "traps.h"
#include "defs.h"

#define PIC_M   0x20   // master: command port; +1 is the data port
#define PIC_S   0xA0   // slave
#define PIC_EOI 0x20   // OCW2: non-specific end of interrupt

void picinit(void) {
  if (pv_on)
    return;                     // pv: no PIC, the timer comes as an event
  outb(PIC_M, 0x11);            // ICW1: edge-triggered, cascade, ICW4 follows
  outb(PIC_S, 0x11);
  outb(PIC_M + 1, T_IRQ0);      // ICW2: vector base
  outb(PIC_S + 1, T_IRQ0 + 8);
  outb(PIC_M + 1, 1 << 2);      // ICW3: slave on master's IRQ2
  outb(PIC_S + 1, 2);           //       slave's cascade identity
  outb(PIC_M + 1, 0x01);        // ICW4: 8086 mode, normal EOI
  outb(PIC_S + 1, 0x01);
  outb(PIC_M + 1, 0xFE);        // OCW1: mask all but IRQ0
  outb(PIC_S + 1, 0xFF);
}

// IRQ0 is the only line we take, and it comes through the master.
void pic_eoi(void) {
  if (pv_on) {
    pv_event_ack();             // pv: clear the event's pending bit
    return;
  }
  outb(PIC_M, PIC_EOI);
}
