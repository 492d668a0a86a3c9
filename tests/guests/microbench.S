/* microbench: the loops of Adams & Agesen's microbenchmarks (see
 * microbench.c). Each `mb_NAME(n)` runs its operation n times in ring 0
 * and returns how many of the n went wrong; u_mb_syscall is the ring-3 one. */
#include "rt.h"

    .text
/* IN from a device: the PIC's IMR, which reads `want` */
GLOBAL(mb_in)
    pushl %ebx
    movl 8(%esp), %ecx
    movl 12(%esp), %ebx
    xorl %edx, %edx
1:  inb $0x21, %al
    cmpb %bl, %al
    je 2f
    incl %edx
2:  decl %ecx
    jnz 1b
    movl %edx, %eax
    popl %ebx
    ret

/* a control-register write: CR0 written with the value it holds */
GLOBAL(mb_cr0)
    movl 4(%esp), %ecx
    movl %cr0, %eax
    movl %eax, %edx
1:  movl %eax, %cr0
    decl %ecx
    jnz 1b
    movl %cr0, %eax
    xorl %edx, %eax     /* 0 when CR0 is what it was */
    ret

/* a CLI/STI pair */
GLOBAL(mb_clisti)
    movl 4(%esp), %ecx
1:  cli
    sti
    decl %ecx
    jnz 1b
    xorl %eax, %eax
    ret

/* divide by zero: #DE, recovered by the runtime's probe handler */
GLOBAL(mb_div0)
    pushl %ebx
    pushl %esi
    movl 12(%esp), %esi
    xorl %ebx, %ebx
1:  movl $0, nfaults
    xorl %edx, %edx
    movl $1, %eax
    xorl %ecx, %ecx
    ARM 2f, 3f
2:  divl %ecx
3:  DISARM
    cmpl $1, nfaults
    je 4f
    incl %ebx
4:  decl %esi
    jnz 1b
    movl %ebx, %eax
    popl %esi
    popl %ebx
    ret

/* call/ret: a call of a function that counts */
GLOBAL(mb_callret)
    movl 4(%esp), %ecx
    xorl %eax, %eax
1:  call 5f
    decl %ecx
    jnz 1b
    subl 4(%esp), %eax  /* 0 when every call returned */
    ret
5:  incl %eax
    ret

/* a POPF-based critical section: save the flags, CLI, work, restore */
GLOBAL(mb_popf)
    movl 4(%esp), %ecx
    xorl %eax, %eax
1:  pushfl
    cli
    incl %eax
    popfl
    decl %ecx
    jnz 1b
    subl 4(%esp), %eax
    ret

/* ring 3: u_arg system calls SYS_GUEST(i), each answering i + 1; ends with
 * SYS_EXIT(how many answered something else) */
GLOBAL(u_mb_syscall)
    movl u_arg, %esi
    xorl %edi, %edi
1:  movl $SYS_GUEST, %eax
    movl %esi, %ebx
    int $VEC_SYSCALL
    leal 1(%esi), %edx
    cmpl %edx, %eax
    je 2f
    incl %edi
2:  decl %esi
    jnz 1b
    movl %edi, %ebx
    SYSEXIT
