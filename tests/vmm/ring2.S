/* ring2: probes that run in the guest's rings 1 and 2 (see ring2.c). Each
 * is entered with enter_ring and ends with SYSEXIT. */
#include "rt.h"

    .text
UPROBE r_cli, FL_1|FL_IF, cli
UPROBE r_sti, FL_1|FL_IF, sti
UPROBE r_in, FL_1|FL_IF, inb $0x21, %al
UPROBE r_out, FL_1|FL_IF, outb %al, $0x80
UPROBE r_to_cr0, FL_1|FL_IF, movl %eax, %cr0
UPROBE r_from_cr0, FL_1|FL_IF, movl %cr0, %eax
UPROBE r_lgdt, FL_1|FL_IF, lgdt r_pd
UPROBE r_lidt, FL_1|FL_IF, lidt r_pd
UPROBE r_hlt, FL_1|FL_IF, hlt
UPROBE r_load_kdata, FL_1|FL_IF, movw r_sel, %ds
UPROBE r_rdtsc, FL_1|FL_IF, rdtsc

/* the same with IOPL 1: the flags popped in ring 1 or 2 keep IOPL */
UPROBE r1_cli, FL_1|FL_IF|0x1000, cli
UPROBE r1_sti, FL_1|FL_IF|0x1000, sti
UPROBE r1_in, FL_1|FL_IF|0x1000, inb $0x21, %al
UPROBE r1_out, FL_1|FL_IF|0x1000, outb %al, $0x80

/* A system call from this ring: SYS_GUEST, whose hook answers whether the
 * frame sits on TSS.ESP0 with this ring's SS:ESP; ends with its answer. */
GLOBAL(r_syscall)
    movl $SYS_GUEST, %eax
    int $VEC_SYSCALL
    movl %eax, %ebx
    SYSEXIT

    .data
r_pd:
    .word 0
    .long 0
GLOBAL(r_sel)
    .word 0
