/* kgs: the ring-0 routines of kgs.c. Each is C-callable and writes its
 * results to the array in its first argument. */
#include "rt.h"

#define SEL_GS16   0x30     /* kgs.c: data, base gsbuf, limit 0xff */
#define SEL_STK16  0x38     /* kgs.c: 16-bit stack (B = 0), base stk16 */

    .text
/* void k_gs(uint32_t out[6]): GS loaded with SEL_GS16 by MOV; a store and
 * a load through %gs:; MOV from GS; PUSH GS; POP GS and LGS of SEL_KDATA;
 * then GS as it was. */
GLOBAL(k_gs)
    pushl %ebx
    movl 8(%esp), %ecx
    movw %gs, %bx
    movw $SEL_GS16, %ax
    movw %ax, %gs
    movl $0x11223344, %gs:4
    movl %gs:4, %eax
    movl %eax, 0(%ecx)
    movl $0xffffffff, %eax
    movw %gs, %ax
    movl %eax, 4(%ecx)
    pushl %gs
    popl %eax
    movzwl %ax, %eax
    movl %eax, 8(%ecx)
    pushl $SEL_KDATA
    popl %gs
    movl $0xffffffff, %eax
    movw %gs, %ax
    movl %eax, 12(%ecx)
    lgs k_gs_ptr, %eax
    movl %eax, 16(%ecx)
    movl %gs:4, %eax        /* gsbuf[1], through SEL_GS16 again */
    movl %eax, 20(%ecx)
    movw %bx, %gs
    popl %ebx
    ret

/* void k_pushf(uint32_t out[8]): PUSHF with CF PF AF ZF SF DF OF AC set and
 * IF set, then after CLI; a second PUSHF right after the first (the
 * arithmetic flags unchanged by the first); ECX kept; the dword below the
 * pushed one untouched; PUSHFW; EFLAGS restored. */
GLOBAL(k_pushf)
    pushl %edi
    movl 8(%esp), %edi
    pushfl
    pushl $0x40ed5
    popfl
    pushfl
    popl 0(%edi)
    cli
    pushfl
    popl 4(%edi)
    pushfl
    pushfl
    popl 8(%edi)
    popl 12(%edi)
    movl $0xdeadbeef, %ecx
    pushfl
    popl %eax
    movl %ecx, 16(%edi)
    movl $0x5a5a5a5a, -8(%esp)
    pushfl
    popl %eax
    movl -8(%esp), %eax
    movl %eax, 20(%edi)
    movl $0xffffffff, %eax
    pushfw
    popw %ax
    movl %eax, 24(%edi)
    movl %esp, %eax         /* ESP moved by 4 and back */
    pushfl
    subl %esp, %eax
    popl %edx
    movl %eax, 28(%edi)
    popfl
    popl %edi
    ret

/* uint32_t k_pushf16(void): PUSHFL on a 16-bit stack (SS SEL_STK16, SP
 * 0x80), IF clear: the dword it pushed; the stack as it was. */
GLOBAL(k_pushf16)
    pushfl
    cli
    movl %esp, k_saved_esp
    movw %ss, k_saved_ss
    movw $SEL_STK16, %ax
    movw %ax, %ss
    movl $0x12340080, %esp  /* SP 0x80: the upper half is not used */
    stc
    pushfl
    movl %esp, %ecx
    popl %eax
    lss k_saved_esp, %esp
    movl %ecx, k_sp16
    popfl
    ret

    .data
    .align 4
k_gs_ptr:
    .long 0x11111111
    .word SEL_GS16
    .align 4
k_saved_esp:
    .long 0
k_saved_ss:
    .word 0
    .align 4
GLOBAL(k_sp16)
    .long 0
