# The common path of every trap: build the trapframe (x86.h), call trap(),
# and return through it. A new process starts at trapret, on a trapframe
# that proc_create() wrote.
#include "mmu.h"

.text
.globl alltraps
alltraps:
  pushl %ds
  pushl %es
  pushl %fs
  pushl %gs
  pushal

  # The kernel's data segments (the CPU loaded only CS and, from ring 3, SS).
  movw $(SEG_KDATA << 3), %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %fs
  movw %ax, %gs

  pushl %esp                # trap(tf)
  call trap
  addl $4, %esp

.globl trapret
trapret:
  cmpl $0, pv_on            # pv: the virtual IF as the frame says (pvops.c)
  je 1f
  pushl %esp
  call pv_trapret
  addl $4, %esp
1:
  popal
  popl %gs
  popl %fs
  popl %es
  popl %ds
  addl $8, %esp             # trapno and err
  iret

.section .note.GNU-stack, "", @progbits
