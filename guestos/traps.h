// Trap numbers: what alltraps pushes as tf->trapno.
#ifndef GUESTOS_TRAPS_H
#define GUESTOS_TRAPS_H

#define T_DIVIDE   0   // #DE
#define T_GPFLT   13   // #GP
#define NEXCEPT   32   // vectors 0..31 are the CPU's exceptions

#define T_IRQ0    32   // the master 8259A's IRQ0 (timer) after remapping
#define NIRQ      16   // vectors 32..47 belong to the two 8259As
#define T_SYSCALL 0x80 // int $0x80

// Not a vector: the trapno pushed by the second timer handler (lidt2=1).
#define T_TIMER2  0x100

#endif
