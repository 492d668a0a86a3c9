/* The reference kernel's entry points (see kernel.c for the whole design):
 * the Multiboot entry, the handler task's loop, and the jump into a case. */
    .set MB_MAGIC, 0x1badb002
    .set MB_FLAGS, 0x00000003           /* modules page-aligned, memory info */
    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    movl $boot_stack_top, %esp
    pushl %ebx
    pushl %eax
    call kmain                          /* does not return */
1:  cli
    hlt
    jmp 1b

/* Every handler task starts here (its TSS's EIP) and comes back here after
 * its IRET, the next time its vector's task gate is used.  ESP is
 * hstack_top, or 4 below when the CPU pushed an error code. */
    .globl handler_entry
handler_entry:
    xorl %ecx, %ecx
    xorl %edx, %edx
    cmpl $hstack_top, %esp
    je 1f
    popl %edx
    movl $1, %ecx
1:  movl $hstack_top, %esp
    pushl %edx
    pushl %ecx
    call handler
    movl $hstack_top, %esp
    iret                                /* NT = 1: back to the case's task */
    jmp handler_entry

/* The controller: runs in the case's task on its own stack; the handler
 * points the task's saved EIP here after each case. */
    .globl controller_entry
controller_entry:
    movl $cstack_top, %esp
    call controller                     /* does not return */
    jmp controller_entry

/* enter_case: loads the case's registers from `ent` (kernel.c) and jumps to
 * CODE_BASE at ent.cpl: CPL 0 with POPF and a far JMP, CPL 1-3 with IRET.
 * Nothing is pushed on the case's stack.  The last jump goes through
 * memory, which leaves the case's EFLAGS (loaded by POPF at CPL 0) alone. */
    .globl enter_case
enter_case:
    cmpl $0, ent_cpl
    jne 2f
    movl $3f, ent_exit
    movw ent_ds, %ax
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movw %ax, %ds
    pushl ent_eflags
    popfl
    movl ent_esp, %esp
    jmp 1f
2:  movl $4f, ent_exit
    pushl ent_ds                        /* SS */
    pushl ent_esp
    pushl ent_eflags
    pushl ent_cs
    pushl $0x00100000                   /* CODE_BASE */
    movw ent_ds, %ax
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
1:  movl ent_ebx, %ebx
    movl ent_ecx, %ecx
    movl ent_edx, %edx
    movl ent_esi, %esi
    movl ent_edi, %edi
    movl ent_ebp, %ebp
    movl ent_eax, %eax
    jmp *ent_exit
3:  ljmp *ent_far
4:  movw %ss:ent_ds, %ds                /* last: DS is the case's from here */
    iret

    .bss
    .align 16
    .space 16384
boot_stack_top:
    .space 16384
    .globl hstack_top
hstack_top:
    .space 16384
    .globl cstack_top
cstack_top:
