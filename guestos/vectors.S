# The interrupt entry stubs: one per vector, each pushes an error code (0
# where the CPU pushes none) and its vector number, then jumps to alltraps.
# `vectors` is the table of their addresses that idtinit() installs.
# Vectors: 0..31 exceptions, 32..47 the 8259As, 0x80 the system call.
#include "traps.h"

.altmacro

.macro stub n
  .globl vector\n
vector\n:
  # the CPU pushes an error code only for #DF, #TS, #NP, #SS, #GP, #PF, #AC
  .if !(\n == 8 || (\n >= 10 && \n <= 14) || \n == 17)
    pushl $0
  .endif
  pushl $\n
  jmp alltraps
.endm

.macro entry n
  .long vector\n
.endm

.text
.set i, 0
.rept T_IRQ0 + NIRQ
  stub %i
  .set i, i + 1
.endr

# The system call gate (int $0x80).
.globl vector_syscall
vector_syscall:
  pushl $0
  pushl $T_SYSCALL
  jmp alltraps

# The second IDT's timer handler (lidt2=1): IRQ0 under another name.
.globl vector_timer2
vector_timer2:
  pushl $0
  pushl $T_TIMER2
  jmp alltraps

.section .rodata
.globl vectors
.align 4
vectors:
.set i, 0
.rept T_IRQ0 + NIRQ
  entry %i
  .set i, i + 1
.endr

.section .note.GNU-stack, "", @progbits
