/* tf-emul: single-step probes (see tf-emul.c). Each sets TF with a POPF
 * right before the instruction stepped, so the first #DB must come after
 * that instruction (at the label 2), with DR6.BS; the guest's own #DB
 * handler records it and clears TF in the frame. */
#include "rt.h"

/* TF_ON: EFLAGS |= TF; the trap comes after the instruction that follows. */
.macro TF_ON
    pushfl
    orl $FL_TF, (%esp)
    popfl
.endm

/* STEP name, user, insn, pre, post: a probe that steps `insn` (one
 * instruction) in ring 0 (user 0: a function) or in ring 3 (user 1: run by
 * enter_user, ending with SYSEXIT); `pre` runs before TF is set, `post`
 * after the trap. */
.macro STEP name, user, insn, pre, post
GLOBAL(\name)
    movl $2f, step_want
    \pre
    TF_ON
1:  \insn
2:  \post
    .if \user
    movl $0, %ebx
    SYSEXIT
    .else
    ret
    .endif
.endm

    .text
/* The #DB handler: counts, keeps EIP and DR6, clears DR6 and TF. */
GLOBAL(db_handler)
    pushl %eax
    incl db_count
    movl 4(%esp), %eax
    movl %eax, db_eip
    movl %dr6, %eax
    movl %eax, db_dr6
    xorl %eax, %eax
    movl %eax, %dr6
    andl $~FL_TF, 12(%esp)
    popl %eax
    iret

    STEP k_nop, 0, "nop"
    STEP k_outimm, 0, "outb %al, $0x80"
    STEP k_outdx, 0, "outb %al, %dx", "movw $0x80, %dx"
    STEP k_inimm, 0, "inb $0x21, %al"
    STEP k_cli, 0, "cli"
    STEP k_pushf, 0, "pushfl", , "popl %eax"
    STEP k_lidt, 0, "lidt my_idtr"
    STEP k_lgdt, 0, "lgdt my_gdtr"
    STEP k_pushds, 0, "pushl %ds", , "popl %eax"
    STEP k_movds, 0, "movw %ax, %ds", "movw %ds, %ax"
    STEP k_movcr0, 0, "movl %eax, %cr0", "movl %cr0, %eax"
    STEP k_clts, 0, "clts"
    STEP k_smsw, 0, "smsw %ax"

/* POPF pops EFLAGS without TF: the trap still follows the POPF. */
    STEP k_popf, 0, "popfl", "pushfl"

/* MOV SS and POP SS hold the trap back to the end of the next
 * instruction (SDM vol. 3 6.8.3): it comes after the NOP. */
GLOBAL(k_movss)
    movl $2f, step_want
    movw %ss, %ax
    TF_ON
1:  movw %ax, %ss
    nop
2:  ret

GLOBAL(k_popss)
    movl $2f, step_want
    pushl %ss
    TF_ON
1:  popl %ss
    nop
2:  ret

    STEP u_nop, 1, "nop"
    STEP u_outimm, 1, "outb %al, $0x80"
    STEP u_inimm, 1, "inb $0x21, %al"
    STEP u_cli, 1, "cli"
    STEP u_pushf, 1, "pushfl", , "popl %eax"
    STEP u_pushds, 1, "pushl %ds", , "popl %eax"

    STEP u_popf, 1, "popfl", "pushfl"

    .data
    .align 4
GLOBAL(my_idtr)
    .word 256 * 8 - 1
    .long idt
GLOBAL(my_gdtr)
    .word GDT_ENTRIES * 8 - 1
    .long gdt
