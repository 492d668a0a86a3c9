/* flags: PUSHF/POPF/IRET/CLI/STI/IN/OUT in ring 0 and ring 3 (see flags.c).
 * The ring-3 sequences store what PUSHF reads into uf[]. */
#include "rt.h"

/* FL_SET v: EFLAGS = v through POPF. */
.macro FL_SET v
    pushl $(\v)
    popfl
.endm
/* FL_IRET v: EFLAGS = v through an IRET to the same ring (pops EIP, CS,
 * EFLAGS only). */
.macro FL_IRET v
    pushl $(\v)
    pushl %cs
    pushl $1f
    iret
1:
.endm
/* FL_SAVE i: uf[i] = EFLAGS through PUSHF. */
.macro FL_SAVE i
    pushfl
    popl uf + 4 * \i
.endm

    .text
/* uint32_t r0_popf(uint32_t v): POPF v in ring 0, returns what PUSHF reads
 * then; the caller's EFLAGS are back after. */
GLOBAL(r0_popf)
    pushfl
    pushl 8(%esp)
    popfl
    pushfl
    popl %eax
    popfl
    ret

/* uint32_t r0_iret(uint32_t v): the same through an IRET to ring 0. */
GLOBAL(r0_iret)
    pushfl
    pushl 8(%esp)                   /* EFLAGS */
    pushl %cs
    pushl $1f
    iret
1:  pushfl
    popl %eax
    popfl
    ret

/* Ring 3 with IOPL 0 (entered with EFLAGS 0x202). */
GLOBAL(u_iopl0)
    FL_SAVE 0                                   /* as entered */
    FL_SET  FL_1|FL_ARITH                       /* clear IF: kept */
    FL_SAVE 1
    FL_SET  FL_1|FL_IF|FL_IOPL                  /* IOPL 3: kept */
    FL_SAVE 2
    FL_SET  FL_1|FL_DF|FL_IF                    /* DF: changes */
    FL_SAVE 3
    FL_IRET FL_1|FL_IOPL                        /* IOPL 3, IF 0: both kept */
    FL_SAVE 4
    FL_IRET FL_1|FL_IF|FL_ARITH                 /* arithmetic flags change */
    FL_SAVE 5
    FL_SET  FL_1|FL_IF|FL_NT                    /* NT changes at any CPL */
    FL_SAVE 6
    FL_SET  FL_1|FL_IF
    movl $0, %ebx
    SYSEXIT

/* Ring 3 with IOPL 3 (entered with EFLAGS 0x3202). */
GLOBAL(u_iopl3)
    FL_SAVE 0                                   /* as entered */
    cli
    FL_SAVE 1
    sti
    FL_SAVE 2
    FL_SET  FL_1                                /* clear IF and IOPL: IF only */
    FL_SAVE 3
    FL_SET  FL_1|FL_IF
    FL_SAVE 4
    FL_IRET FL_1                                /* the same through IRET */
    FL_SAVE 5
    FL_IRET FL_1|FL_IF|FL_IOPL
    FL_SAVE 6
    movl $0, %eax
    inb $0x21, %al                              /* allowed: master PIC IMR */
    movl %eax, uf + 4 * 7
    FL_SET  FL_1|FL_IF|FL_IOPL|FL_ZF
    movl $0xfb, %eax
    outb %al, $0x21                             /* allowed: unmask IRQ2 only */
    inb $0x21, %al
    movl %eax, uf + 4 * 8
    movb $0xff, %al
    outb %al, $0x21
    movl $0, %ebx
    SYSEXIT

/* Ring 3, IOPL 0: the IOPL-sensitive ones fault. */
UPROBE u_cli,  FL_1|FL_IF|FL_CF,  cli
UPROBE u_sti,  FL_1|FL_IF|FL_ZF,  sti
UPROBE u_in,   FL_1|FL_IF|FL_SF,  inb $0x21, %al
UPROBE u_out,  FL_1|FL_IF|FL_OF,  outb %al, $0x80
UPROBE u_indx, FL_1|FL_IF|FL_PF,  inb (%dx), %al
UPROBE u_ins,  FL_1|FL_IF|FL_AF,  insb (%dx), %es:(%edi)

/* Ring 0: CLI/STI change IF. */
GLOBAL(r0_cli_sti)
    pushfl
    sti
    pushfl
    popl uf + 4 * 0
    cli
    pushfl
    popl uf + 4 * 1
    popfl
    ret

    .data
    .align 4
    .globl uf
uf: .space 4 * 16
