# void swtch(struct context **old, struct context *new);
#
# Save the current kernel context (callee-saved registers and EFLAGS) on
# its stack and store the stack pointer in *old; then load new as the stack
# and resume the context saved there. EFLAGS is part of a context, so the
# scheduler gets back IF = 1 however the process it ran gave up the CPU
# (a timer interrupt runs with IF = 0). That POPF is all that restores it.

.text
.globl swtch
swtch:
  movl 4(%esp), %eax
  movl 8(%esp), %edx

  pushfl
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi

  movl %esp, (%eax)
  movl %edx, %esp

  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  popfl
  ret

.section .note.GNU-stack, "", @progbits
