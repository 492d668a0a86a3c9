/* kstate: the ring-0 routines of kstate.c and its own trap handlers. Each
 * routine is C-callable and returns in EAX. The handlers record the frame
 * and every register (struct rec in kstate.c) and resume at k_resume when
 * it is set. */
#include "rt.h"

#define MAXREC   8
#define REC_SIZE 52         /* 13 dwords: PUSHA's 8, vector, error code, EIP, CS, EFLAGS */

    .text
/* ---- handlers: #DE, #GP, int $0x41, IRQ0 ---- */
GLOBAL(k_de_stub)
    pushl $0
    pushl $0
    jmp k_common
GLOBAL(k_gp_stub)
    pushl $13
    jmp k_common
GLOBAL(k_int_stub)
    pushl $0
    pushl $0x41
    jmp k_common
GLOBAL(k_irq_stub)
    pushl $0
    pushl $VEC_IRQ0
k_common:
    pushal                  /* 0 edi, 4 esi, 8 ebp, 12 esp, 16 ebx, 20 edx, 24 ecx, 28 eax */
    movl nrec, %ebx
    cmpl $MAXREC, %ebx
    jae 1f
    imull $REC_SIZE, %ebx, %ebx
    leal recs(%ebx), %edi
    movl %esp, %esi
    movl $REC_SIZE / 4, %ecx
    cld
    rep movsl
    incl nrec
1:  movl k_resume, %eax
    testl %eax, %eax
    jz 2f
    movl %eax, 40(%esp)     /* the frame's EIP */
    movl $0, k_resume
2:  cmpl $VEC_IRQ0, 32(%esp)
    jne 3f
    incl kticks
    movl kticks, %eax
    cmpl k_limit, %eax
    jb 4f
    inb $0x21, %al          /* the last tick wanted: mask IRQ0 */
    orb $1, %al
    outb %al, $0x21
4:  movb $0x20, %al         /* non-specific EOI */
    outb %al, $0x20
3:  popal
    addl $8, %esp
    iret

/* ---- CALL and RET ---- */
/* uint32_t k_call_direct(void): the return address CALL pushed (k_call_direct_ret). */
GLOBAL(k_call_direct)
    call 1f
GLOBAL(k_call_direct_ret)
    ud2                     /* never reached */
1:  popl %eax
    ret

/* uint32_t k_call_reg(void): the same through CALL *%edx (k_call_reg_ret). */
GLOBAL(k_call_reg)
    movl $1f, %edx
    call *%edx
GLOBAL(k_call_reg_ret)
    ud2
1:  popl %eax
    ret

/* uint32_t k_call_mem(void): the same through CALL *m32 (k_call_mem_ret). */
GLOBAL(k_call_mem)
    call *k_call_ptr
GLOBAL(k_call_mem_ret)
    ud2
k_call_target:
    popl %eax
    ret

/* uint32_t k_arg_addr(void): what a called function finds at (%esp): its
 * return address (k_arg_addr_ret). */
GLOBAL(k_arg_addr)
    call k_peek
GLOBAL(k_arg_addr_ret)
    ret
k_peek:
    movl (%esp), %eax
    ret

/* uint32_t k_ret_pushed(void): RET to an address PUSHed by hand. */
GLOBAL(k_ret_pushed)
    pushl $1f
    ret
    ud2
1:  movl $0x600d, %eax
    ret

/* uint32_t k_code_bytes(void): the kernel reads its own code as data. */
GLOBAL(k_code_bytes)
    movl k_known + 1, %eax
    ret
k_known:
    movl $0x12345678, %eax

/* ---- faults and INT in the middle of a block ---- */
/* void k_de(void): #DE at k_de_at, with ESI = 2 and EAX = 7 then. */
GLOBAL(k_de)
    pushl %esi
    pushl %ebx
    movl $k_de_next, k_resume
    movl $1, %esi
    xorl %ebx, %ebx
    movl $7, %eax
    xorl %edx, %edx
    incl %esi
GLOBAL(k_de_at)
    divl %ebx
GLOBAL(k_de_next)
    popl %ebx
    popl %esi
    ret

/* void k_gp(void): #GP(0x1230) at k_gp_at (MOV of a selector past the GDT
 * limit to DS), with EDI = 0xabd then. */
GLOBAL(k_gp)
    pushl %edi
    movl $k_gp_next, k_resume
    movl $0xabc, %edi
    xorl %eax, %eax         /* CF = 0: EFLAGS then are PF (from the inc) */
    movl $0x1230, %eax
    incl %edi
GLOBAL(k_gp_at)
    movw %ax, %ds
GLOBAL(k_gp_next)
    popl %edi
    ret

/* void k_int(void): int $0x41 with EBX = 0x41414141: the frame's EIP is
 * k_int_next, the instruction after. */
GLOBAL(k_int)
    pushl %ebx
    movl $0x41414141, %ebx
    testl %ebx, %ebx        /* EFLAGS then: PF */
    int $0x41
GLOBAL(k_int_next)
    popl %ebx
    ret

/* ---- EFLAGS.IF and segment registers ---- */
/* void k_flags(uint32_t out[5]): PUSHF after CLI, STI, POPF 0x002, POPF
 * 0x202, POPF 0x1002 (IOPL 1); EFLAGS restored. */
GLOBAL(k_flags)
    movl 4(%esp), %ecx
    pushfl
    cli
    pushfl
    popl 0(%ecx)
    sti
    pushfl
    popl 4(%ecx)
    pushl $0x002
    popfl
    pushfl
    popl 8(%ecx)
    pushl $0x202
    popfl
    pushfl
    popl 12(%ecx)
    pushl $0x1002
    popfl
    pushfl
    popl 16(%ecx)
    popfl
    ret

/* void k_sregs(uint32_t out[4]): MOV from CS, MOV from SS, PUSH CS, PUSH SS (low 16 bits). */
GLOBAL(k_sregs)
    movl 4(%esp), %ecx
    movl $0xffffffff, %eax
    movw %cs, %ax
    movl %eax, 0(%ecx)
    movl $0xffffffff, %eax
    movw %ss, %ax
    movl %eax, 4(%ecx)
    pushl %cs
    popl %eax
    movzwl %ax, %eax
    movl %eax, 8(%ecx)
    pushl %ss
    popl %eax
    movzwl %ax, %eax
    movl %eax, 12(%ecx)
    ret

/* ---- interrupts ---- */
/* void k_wait_pending(void): with IF = 0, polls the master PIC's IRR until
 * IRQ0 is requested. */
GLOBAL(k_wait_pending)
    cli
1:  movb $0x0a, %al         /* OCW3: read IRR */
    outb %al, $0x20
    inb $0x20, %al
    testb $1, %al
    jz 1b
    ret

/* void k_popf_on(void): IRQ0 pending, IF = 0; POPF sets IF: the interrupt
 * comes right after the POPF (k_popf_after). */
GLOBAL(k_popf_on)
    call k_wait_pending
    pushl $0x202
    popfl
GLOBAL(k_popf_after)
    nop
    nop
    cli
    ret

/* void k_sti_on(void): the same with STI: one more instruction runs first
 * (the STI shadow), the interrupt comes at k_sti_after. */
GLOBAL(k_sti_on)
    call k_wait_pending
    sti
    nop
GLOBAL(k_sti_after)
    nop
    cli
    ret

/* void k_popf_off(void): IRQ0 pending; POPF with IF = 0 keeps it back
 * through 1000 rounds of a loop; then STI lets it in. */
GLOBAL(k_popf_off)
    call k_wait_pending
    pushl $0x202
    pushl $0x002
    popfl
    movl $1000, %ecx
1:  loop 1b
    movl nrec, %eax
    movl %eax, k_popf_off_nrec  /* records before STI: must be as before */
    popfl                       /* IF = 1: now it comes */
    nop
    cli
    ret

/* void k_loop(void): with IF = 1, counts in ECX and EDX until k_limit
 * ticks were taken. An interrupt at k_loop_0/2/3 sees ECX == EDX, at
 * k_loop_1 ECX == EDX + 1. */
GLOBAL(k_loop)
    pushl %ebx
    movl k_limit, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    sti
GLOBAL(k_loop_0)
1:  incl %ecx
GLOBAL(k_loop_1)
    incl %edx
GLOBAL(k_loop_2)
    cmpl %ebx, kticks
GLOBAL(k_loop_3)
    jb 1b
    cli
    popl %ebx
    ret

    .data
k_call_ptr:
    .long k_call_target
GLOBAL(k_resume)
    .long 0
GLOBAL(k_limit)
    .long 0
GLOBAL(kticks)
    .long 0
GLOBAL(nrec)
    .long 0
GLOBAL(k_popf_off_nrec)
    .long 0
    .bss
    .align 4
GLOBAL(recs)
    .space MAXREC * REC_SIZE
