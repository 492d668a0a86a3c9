/* attack: the probes of attack.c. Each arms (rt.h ARM), runs one
 * instruction that reaches for memory or state the guest must not have, and
 * returns; a fault there is recorded in faults[] and execution resumes
 * after it. EAX comes back as 0xdeadbeef when the read did not happen. */
#include "rt.h"

    .text
/* uint32_t a_read(uint32_t seg_kind, uint32_t addr): a 32-bit read at
 * addr through DS (0), ES (1), FS (2), GS (3) or SS (4). */
GLOBAL(a_read)
    movl 4(%esp), %ecx
    movl 8(%esp), %edx
    movl $0xdeadbeef, %eax
    cmpl $1, %ecx
    je 11f
    cmpl $2, %ecx
    je 12f
    cmpl $3, %ecx
    je 13f
    cmpl $4, %ecx
    je 14f
    ARM 1f, 2f
1:  movl (%edx), %eax
2:  DISARM
    ret
11: ARM 1f, 2f
1:  movl %es:(%edx), %eax
2:  DISARM
    ret
12: ARM 1f, 2f
1:  movl %fs:(%edx), %eax
2:  DISARM
    ret
13: ARM 1f, 2f
1:  movl %gs:(%edx), %eax
2:  DISARM
    ret
14: ARM 1f, 2f
1:  movl %ss:(%edx), %eax
2:  DISARM
    ret

/* void a_write(uint32_t seg_kind, uint32_t addr, uint32_t value): a 32-bit
 * write through DS (0) or FS (2). */
GLOBAL(a_write)
    movl 4(%esp), %ecx
    movl 8(%esp), %edx
    movl 12(%esp), %eax
    cmpl $2, %ecx
    je 12f
    ARM 1f, 2f
1:  movl %eax, (%edx)
2:  DISARM
    ret
12: ARM 1f, 2f
1:  movl %eax, %fs:(%edx)
2:  DISARM
    ret

/* void a_load_fs(uint32_t sel): MOV sel to FS. */
GLOBAL(a_load_fs)
    movl 4(%esp), %eax
    ARM 1f, 2f
1:  movw %ax, %fs
2:  DISARM
    ret

/* uint32_t a_lcall(const void *farptr): an indirect far CALL through
 * farptr (offset, selector). A call that lands returns (LRET) with EAX =
 * what the target put there; 0xdeadbeef when it faulted. */
GLOBAL(a_lcall)
    pushl %ebx
    pushl %esi
    pushl %edi
    pushl %ebp
    movl 20(%esp), %edx
    movl $0xdeadbeef, %eax
    ARM 1f, 2f
1:  lcall *(%edx)
2:  DISARM
    popl %ebp
    popl %edi
    popl %esi
    popl %ebx
    ret

/* void a_lgdt(const void *pseudo_descriptor) */
GLOBAL(a_lgdt)
    movl 4(%esp), %edx
    ARM 1f, 2f
1:  lgdt (%edx)
2:  DISARM
    ret

/* void a_sgdt(void *out), a_sidt(void *out): 6 bytes each. */
GLOBAL(a_sgdt)
    movl 4(%esp), %edx
    sgdt (%edx)
    ret
GLOBAL(a_sidt)
    movl 4(%esp), %edx
    sidt (%edx)
    ret

/* void wait_ticks(void): sti; hlt until `ticks` reaches tick_limit; cli. */
GLOBAL(wait_ticks)
    sti
GLOBAL(wait_lo)
1:  hlt
    movl ticks, %eax
    cmpl tick_limit, %eax
    jb 1b
GLOBAL(wait_hi)
    cli
    ret

/* Ring 3: SYS_TICKS, then SYS_EXIT with the count in EBX. */
GLOBAL(u_ticks)
    movl $SYS_TICKS, %eax
    int $VEC_SYSCALL
    movl %eax, %ebx
    SYSEXIT
