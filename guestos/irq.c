// Critical sections, the way real kernels write them: save EFLAGS, CLI;
// later put the saved EFLAGS back with POPF (which restores IF as it was).
//
// The kernel also checks its own invariant: while a section it closed is
// open (ncrit > 0), no interrupt can arrive. On real hardware that holds.
// Under a VMM that lets CLI or POPF mean something else, the timer handler
// finds it broken and says so.
#include "types.h"
#include "x86.h"
#include "defs.h"

int ncrit;              // critical sections open (they nest)
uint crit_violations;   // interrupts that arrived inside one

uint irqsave(void) {
  uint flags = readeflags();   // pushf; pop
  cli();
  ncrit++;
  return flags;
}

void irqrestore(uint flags) {
  ncrit--;
  writeeflags(flags);          // push; popf
}

#define MAXREPORTS 10   // lines printed; the count goes on

// Called by the timer handler first thing.
void irq_check(struct trapframe *tf) {
  if (ncrit == 0)
    return;
  if (++crit_violations <= MAXREPORTS)
    cprintf("!! interrupt inside a critical section at eip=%08x\n", tf->eip);
  if (crit_violations == MAXREPORTS)
    cprintf("!! (only counting from here on)\n");
}
