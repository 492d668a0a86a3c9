// The IDT and trap(): every interrupt, exception and system call arrives
// here through its stub (vectors.S) and alltraps (trapasm.S).
#include "types.h"
#include "x86.h"
#include "mmu.h"
#include "traps.h"
#include "proc.h"
#include "defs.h"

extern uint vectors[];      // vectors.S: the stubs of vectors 0..47
extern char vector_syscall[], vector_timer2[];

static struct gatedesc idt[256];
static struct gatedesc idt2[256];   // lidt2=1 only
struct dtr idtr_loaded;             // what LIDT was given last (the probe compares)
volatile uint ticks2;               // ticks taken by the second IDT's handler

void idtinit(void) {
  // Interrupt gates (IF cleared on entry) for exceptions and IRQs, reachable
  // only from ring 0; a trap gate for system calls, reachable from ring 3.
  for (int v = 0; v < T_IRQ0 + NIRQ; v++)
    SETGATE(idt[v], 0, SEG_KCODE << 3, vectors[v], 0);
  SETGATE(idt[T_SYSCALL], 1, SEG_KCODE << 3, vector_syscall, DPL_USER);

  idtr_loaded.base = (uint)idt;
  idtr_loaded.limit = sizeof idt - 1;
  lidt(&idtr_loaded);
}

// lidt2=1: switch to a copy of the IDT, and only *after* the LIDT rewrite
// its IRQ0 gate to a second handler. A VMM that reads the guest's IDT only
// when the guest runs LIDT keeps calling the first handler. Called with
// IF = 1 (from the STI, no POPF yet): one tick must come after the switch,
// whatever the machine's speed, for the summary to tell which handler ran.
void idt_second(void) {
  memmove(idt2, idt, sizeof idt);
  idtr_loaded.base = (uint)idt2;
  idtr_loaded.limit = sizeof idt2 - 1;
  lidt(&idtr_loaded);
  SETGATE(idt2[T_IRQ0], 0, SEG_KCODE << 3, vector_timer2, 0);
  if (pv_on)
    lidt(&idtr_loaded);   // pv: the VMM keeps a copy; tell it (Linux: write_idt_entry)
  uint t = ticks;
  while (ticks == t)
    hlt();
  cprintf("guestos: lidt2: loaded a second IDT, then rewrote its IRQ0 gate\n");
}

static const char *excnames[NEXCEPT] = {
  [0]  "#DE (divide error)",
  [1]  "#DB (debug)",
  [2]  "NMI",
  [3]  "#BP (breakpoint)",
  [4]  "#OF (overflow)",
  [5]  "#BR (bound range exceeded)",
  [6]  "#UD (invalid opcode)",
  [7]  "#NM (device not available)",
  [8]  "#DF (double fault)",
  [9]  "coprocessor segment overrun",
  [10] "#TS (invalid TSS)",
  [11] "#NP (segment not present)",
  [12] "#SS (stack-segment fault)",
  [13] "#GP (general protection)",
  [14] "#PF (page fault)",
  [16] "#MF (x87 floating-point error)",
  [17] "#AC (alignment check)",
  [18] "#MC (machine check)",
  [19] "#XM (SIMD floating-point)",
  [20] "#VE (virtualization)",
  [21] "#CP (control protection)",
};

const char *trapname(uint trapno) {
  if (trapno < NEXCEPT && excnames[trapno])
    return excnames[trapno];
  return "reserved exception";
}

void trap(struct trapframe *tf) {
  // From ring 3? Test for 3, not for "not 0": under a VMM the kernel
  // itself runs in ring 1.
  int user = (tf->cs & 3) == 3;

  switch (tf->trapno) {
  case T_SYSCALL:
    syscall(tf);
    return;

  case T_TIMER2:    // the second IDT's IRQ0 handler: count, then the same work
    ticks2++;
    // fall through
  case T_IRQ0:
    timer_tick(tf);
    if (user)
      yield();     // the time slice is over: preempt
    return;
  }

  if (tf->trapno >= T_IRQ0 && tf->trapno < T_IRQ0 + NIRQ)
    return;        // a masked line: only a spurious IRQ7/15 gets here; no EOI

  if (user) {      // an exception in a process: kill it, the others go on
    proc_printf(curproc, "killed: %s at eip=%08x\n", trapname(tf->trapno), tf->eip);
    proc_exit();
  }
  cprintf("guestos: panic: %s in the kernel at eip=%08x\n", trapname(tf->trapno), tf->eip);
  halt(1);
}
