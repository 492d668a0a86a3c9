/* segments: far transfers, LAR/LSL/VERR/VERW, segment bases, the
 * descriptor cache, the LDT and what IRET does to data segment registers
 * (see segments.c). Selectors are those of segments.c. */
#include "rt.h"

#define SEL_CONF    0x58    /* conforming code, DPL 0, readable */
#define SEL_KCODE2  0x68    /* a second flat ring-0 code segment */
#define SEL_BASED   0x73    /* data, DPL 3, base seg_buf, limit 0xff */
#define SEL_LDT     0x78    /* the LDT descriptor */
#define SEL_LDATA   0x0F    /* LDT entry 1, RPL 3: data, base seg_buf2 */

    .text
/* void seg_query(uint32_t sel, uint32_t out[5]): LAR, LSL, VERR, VERW of sel.
 * out[0] = LAR result (0xdeadbeef when ZF = 0), out[1] = LSL result (same),
 * out[2] = ZF after VERR, out[3] = ZF after VERW. Runs in any ring. */
GLOBAL(seg_query)
    pushl %ebx
    movl 8(%esp), %ecx              /* sel */
    movl 12(%esp), %ebx             /* out */
    movl $0xdeadbeef, %eax
    larl %ecx, %eax
    movl %eax, 0(%ebx)
    movl $0xdeadbeef, %eax
    lsll %ecx, %eax
    movl %eax, 4(%ebx)
    movl $0, %eax
    verr %cx
    setz %al
    movl %eax, 8(%ebx)
    movl $0, %eax
    verw %cx
    setz %al
    movl %eax, 12(%ebx)
    popl %ebx
    ret

/* Ring 3: seg_query on every selector of qsel[] (0xffff ends) into qres[]. */
GLOBAL(u_query_all)
    movl $qsel, %esi
    movl $qres, %edi
1:  movl (%esi), %eax
    cmpl $0xffff, %eax
    je 2f
    pushl %edi
    pushl %eax
    call seg_query
    addl $8, %esp
    addl $4, %esi
    addl $16, %edi
    jmp 1b
2:  movl $0, %ebx
    SYSEXIT

/* void far_calls(uint32_t out[8]) in ring 0:
 * out[0] CS inside a far call to SEL_KCODE2, out[1] the CS it pushed (low 16),
 * out[2] the EIP it pushed == far_ret1, out[3] CS after LJMP to SEL_KCODE2,
 * out[4] CS back after LJMP to SEL_KCODE, out[5] CS inside an indirect far
 * call through memory to SEL_CONF (conforming), out[6] CS after it returned,
 * out[7] ESP after the far calls minus ESP before (0). */
GLOBAL(far_calls)
    pushl %ebx
    pushl %esi
    movl 12(%esp), %ebx
    movl %esp, %esi
    lcall $SEL_KCODE2, $far_target
GLOBAL(far_ret1)
    movl $0, %eax
    ljmp $SEL_KCODE2, $1f
1:  movw %cs, %ax
    movl %eax, 12(%ebx)
    ljmp $SEL_KCODE, $2f
2:  movw %cs, %ax
    movl %eax, 16(%ebx)
    lcall *conf_ptr
    movl $0, %eax
    movw %cs, %ax
    movl %eax, 24(%ebx)
    movl %esp, %eax
    subl %esi, %eax
    movl %eax, 28(%ebx)
    popl %esi
    popl %ebx
    ret

far_target:                         /* reached by lcall $SEL_KCODE2 */
    movl $0, %eax
    movw %cs, %ax
    movl %eax, 0(%ebx)
    movl 4(%esp), %eax
    andl $0xffff, %eax
    movl %eax, 4(%ebx)
    movl 0(%esp), %eax
    movl %eax, 8(%ebx)
    lret

conf_target:                        /* reached through conf_ptr, in ring 0 or 3 */
    movl $0, %eax
    movw %cs, %ax
    movl %eax, 20(%ebx)
    lret

/* Ring 3: a far call to the DPL 0 conforming segment runs there in ring 3
 * (CS = SEL_CONF | 3); u_far[0..] as far_calls out[5..6]. */
GLOBAL(u_conforming)
    movl $u_far - 20, %ebx
    lcall *conf_ptr
    movl $0, %eax
    movw %cs, %ax
    movl %eax, u_far + 4
    movl $0, %ebx
    SYSEXIT

/* Ring 3 transfers that must fault: a far call to ring-0 code (not
 * conforming), LRET and IRET to ring 0. */
UPROBE u_lcall_r0, FL_1|FL_IF,        lcall $SEL_KCODE, $u_lcall_r0
GLOBAL(u_lret_r0)
    pushl $SEL_KCODE
    pushl $u_lret_r0
    pushl $(FL_1 | FL_IF | FL_CF)
    popfl
    ARM 1f, 2f
1:  lret
2:  DISARM
    movl $0, %ebx
    SYSEXIT
GLOBAL(u_iret_r0)
    pushl $(FL_1 | FL_IF)
    pushl $SEL_KCODE
    pushl $u_iret_r0
    pushl $(FL_1 | FL_IF | FL_ZF)
    popfl
    ARM 1f, 2f
1:  iret
2:  DISARM
    movl $0, %ebx
    SYSEXIT

/* An interrupt gate that is not present: #NP(vector * 8 + 2). */
KPROBE probe_int_np, FL_1|FL_SF, int $0x41

/* void seg_bases(uint32_t out[10]) in ring 0:
 * out[0] ES:0 with ES = SEL_BASED, out[1] ES:4,
 * out[2] ES:0 after the GDT entry's base moved by 8 (the cached base: same),
 * out[3] ES:0 after reloading ES (the new base), out[4] FS:0 with
 * FS = SEL_BASED, out[5] GS:8, out[6] ES selector, out[7] LDT data ES:0 after
 * LLDT, out[8] SLDT, out[9] ES:0 through the LDT entry after its base moved
 * by 4 and ES was reloaded. */
GLOBAL(seg_bases)
    pushl %ebx
    movl 8(%esp), %ebx
    movw $SEL_BASED, %ax
    movw %ax, %es
    movl %es:0, %eax
    movl %eax, 0(%ebx)
    movl %es:4, %eax
    movl %eax, 4(%ebx)
    addw $8, gdt + 8 * 14 + 2       /* the descriptor in memory: base + 8 */
    movl %es:0, %eax
    movl %eax, 8(%ebx)
    movw $SEL_BASED, %ax
    movw %ax, %es
    movl %es:0, %eax
    movl %eax, 12(%ebx)
    movw $SEL_BASED, %ax
    movw %ax, %fs
    movl %fs:0, %eax
    movl %eax, 16(%ebx)
    movw $SEL_BASED, %ax
    movw %ax, %gs
    movl %gs:8, %eax
    movl %eax, 20(%ebx)
    movl $0, %eax
    movw %es, %ax
    movl %eax, 24(%ebx)
    movw $SEL_LDT, %ax
    lldt %ax
    movw $SEL_LDATA, %ax
    movw %ax, %es
    movl %es:0, %eax
    movl %eax, 28(%ebx)
    movl $0xffffffff, %eax
    sldt %eax
    movl %eax, 32(%ebx)
    addw $4, ldt + 8 + 2            /* LDT entry 1: base + 4 */
    movw $SEL_LDATA, %ax
    movw %ax, %es
    movl %es:0, %eax
    movl %eax, 36(%ebx)
    movw $SEL_KDATA, %ax
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    popl %ebx
    ret

/* Ring 3 after IRET from ring 0 with DS..GS = u_arg: their selectors as ring 3
 * finds them, read before touching memory, into u_sregs_val[0..3]. */
GLOBAL(u_sregs)
    movl $0, %eax
    movl $0, %ecx
    movl $0, %edx
    movl $0, %esi
    movw %ds, %ax
    movw %es, %cx
    movw %fs, %dx
    movw %gs, %si
    movw $SEL_UDATA, %bx
    movw %bx, %ds
    movw %bx, %es
    movl %eax, u_sregs_val
    movl %ecx, u_sregs_val + 4
    movl %edx, u_sregs_val + 8
    movl %esi, u_sregs_val + 12
    movl $0, %ebx
    SYSEXIT

    .data
    .align 4
conf_ptr:   .long conf_target
            .word SEL_CONF
    .align 4
    .globl qsel, qres, u_far, u_sregs_val
qsel:       .space 4 * 24
qres:       .space 16 * 24
u_far:      .space 8
u_sregs_val: .space 16
