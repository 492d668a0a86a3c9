// The 8254 timer, channel 0, drives IRQ0 at 100 Hz: a time slice of 10 ms.
// Its input clock is 1193182 Hz; reload 11932 gives 99.998 Hz. Mode 2
// (rate generator): one IRQ0 pulse per period.
#include "types.h"
#include "x86.h"
#include "defs.h"

#define PIT_CH0    0x40
#define PIT_CTRL   0x43
#define PIT_HZ     1193182
#define TIMER_HZ   100
#define PIT_RELOAD ((PIT_HZ + TIMER_HZ / 2) / TIMER_HZ)   // 11932

volatile uint ticks;   // timer interrupts since boot

void timerinit(void) {
  if (pv_on) {
    pv_set_timer(PIT_RELOAD);           // pv: the VMM programs the PIT
    return;
  }
  outb(PIT_CTRL, 0x34);                 // channel 0, lobyte/hibyte, mode 2, binary
  outb(PIT_CH0, PIT_RELOAD & 0xff);
  outb(PIT_CH0, PIT_RELOAD >> 8);
}

// IRQ0, from either IDT's handler. Interrupts are off (interrupt gate).
void timer_tick(struct trapframe *tf) {
  irq_check(tf);
  pic_eoi();
  ticks++;
#ifdef GUESTOS_SHARES
  account_tick();
#endif
  wakeup(ticks);
}
