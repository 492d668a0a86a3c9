/* smc: the kernel code that smc.c patches and runs (see smc.c). Every
 * routine is C-callable (cdecl) and returns its result in EAX. */
#include "rt.h"

#define ALIAS_BASE 0x1000   /* base of smc.c's aliased segments (SEL_DALIAS, SEL_CALIAS) */

    .text
/* uint32_t smc_buf_call(void): calls the code in smc_buf (written by C). */
GLOBAL(smc_buf_call)
    call smc_buf
    ret

/* uint32_t smc_next(uint32_t v): writes v into the immediate of the very
 * next instruction, without a jump in between: the CPU must run the new
 * bytes (SDM 8.1.3: a write to a prefetched instruction is detected). */
GLOBAL(smc_next)
    movl 4(%esp), %eax
    movl %eax, 1f + 1
1:  movl $0x11111111, %eax
    ret

/* uint32_t smc_later(uint32_t v): the same, three instructions later in
 * the same block. */
GLOBAL(smc_later)
    movl 4(%esp), %ecx
    movl %ecx, 1f + 1
    xorl %eax, %eax
    incl %ecx
    addl %ecx, %eax
1:  movl $0x22222222, %eax
    ret

/* uint32_t smc_loop(void): 8 rounds of a loop whose body is `inc %eax`;
 * in round 3 the loop turns it into `dec %eax` (opcode 0x40 -> 0x48), so
 * 3 rounds add and 5 subtract: -2. The byte is put back afterwards. */
GLOBAL(smc_loop)
    xorl %eax, %eax
    movl $8, %ecx
1:
2:  incl %eax
    cmpl $6, %ecx
    jne 3f
    movb $0x48, 2b
3:  loop 1b
    movb $0x40, 2b
    ret

/* uint32_t smc_alias(uint32_t sel, uint32_t v): writes v into the
 * immediate of the next instruction through FS = sel, a data segment
 * whose base is ALIAS_BASE: another address for the same bytes. */
GLOBAL(smc_alias)
    movl 4(%esp), %eax
    movl 8(%esp), %ecx
    movw %fs, %dx
    movw %ax, %fs
    movl %ecx, %fs:(1f + 1 - ALIAS_BASE)
    movw %dx, %fs
    jmp 1f
1:  movl $0x33333333, %eax
    ret

/* uint32_t smc_straddle(uint32_t v): one 4-byte write covering the last
 * two bytes of one instruction's immediate and the first two bytes of the
 * next instruction (v's upper half must be an instruction: `inc %edx; nop`). */
GLOBAL(smc_straddle)
    movl 4(%esp), %ecx
    xorl %edx, %edx
    movl %ecx, 1f + 3
1:  movl $0x44444444, %eax  /* b8 44 44 44 44 */
    decl %edx               /* 4a, then 90: turned into 42 90 by v = 0x9042xxxx */
    nop
    addl %edx, %eax
    ret

/* uint32_t smc_rep(const void *src, uint32_t n): REP MOVSB copies n bytes
 * over smc_rep_site, then runs it. */
GLOBAL(smc_rep)
    pushl %esi
    pushl %edi
    movl 12(%esp), %esi
    movl 16(%esp), %ecx
    movl $smc_rep_site, %edi
    cld
    rep movsb
    call smc_rep_site
    popl %edi
    popl %esi
    ret
smc_rep_site:
    movl $0x55555555, %eax
    ret
    .space 8, 0x90

/* uint32_t smc_push(uint32_t v): writes the 4 bytes of v over smc_push_site
 * with a PUSH (ESP pointed just past it), then runs them. */
GLOBAL(smc_push)
    movl 4(%esp), %eax
    movl %esp, %ecx
    movl $smc_push_site + 4, %esp
    pushl %eax
    movl %ecx, %esp
    xorl %eax, %eax
    call smc_push_site
    ret
smc_push_site:
    .byte 0x90, 0x90, 0x90, 0xc3
    ret

/* uint32_t smc_via_cs(uint32_t sel): a far call to smc_cs_body through
 * CS = sel, a code segment whose base is ALIAS_BASE: it returns its own
 * EIP (the offset in that segment) as CALL pushed it. */
GLOBAL(smc_via_cs)
    movl 4(%esp), %eax
    movl %eax, smc_far + 4
    movl $smc_cs_body - ALIAS_BASE, smc_far
    lcall *smc_far
    ret
smc_cs_body:
    call 1f
1:  popl %eax
2:  addl $0, %eax           /* smc.c patches this immediate through DS */
    lret
GLOBAL(smc_cs_imm)
    .long 2b + 2            /* the address of that immediate (83 c0 ib) */
GLOBAL(smc_cs_ret)
    .long 1b                /* where CALL returns to, as a flat address */

    .data
smc_far:                    /* m16:32 of the far call: offset, selector */
    .long 0, 0

    .text
    .align 16
/* The code buffer that smc.c writes (in .text: the same pages as the code
 * that runs; there is no paging). */
GLOBAL(smc_buf)
    .space 64, 0xc3
