/* basic: the probes (ring 0) and ring-3 routines of basic.c. Each ring-0
 * probe is a C-callable function that sets EFLAGS, arms (ARM), runs one
 * instruction and returns; each ring-3 routine is entered by enter_user and
 * ends with SYSEXIT. */
#include "rt.h"

    .text
/* ---- ring 0 probes ---- */
GLOBAL(probe_de)                    /* div by zero: #DE, fault */
    pushl %ebx
    xorl %edx, %edx
    movl $1, %eax
    xorl %ebx, %ebx
    pushl $(FL_1 | FL_CF | FL_AF | FL_SF | FL_OF)
    popfl
    ARM 1f, 2f
1:  divl %ebx
2:  DISARM
    popl %ebx
    ret

KPROBE probe_ud,      FL_1|FL_PF|FL_ZF, ud2   /* ud2: #UD, fault */

KPROBE probe_int3,    FL_1|FL_CF|FL_PF|FL_AF|FL_ZF|FL_SF|FL_OF, int3   /* int3: #BP, trap */

KPROBE probe_into_of, FL_1|FL_OF|FL_CF, into   /* into with OF = 1: #OF, trap */

GLOBAL(probe_into_nof)              /* into with OF = 0: nothing */
    pushl $(FL_1 | FL_SF | FL_CF)
    popfl
    ARM 1f, 2f
1:  into
2:  DISARM
    ret

GLOBAL(probe_bound)                 /* bound out of range: #BR, fault */
    movl $11, %eax
    pushl $(FL_1 | FL_SF)
    popfl
    ARM 1f, 2f
1:  boundl %eax, bounds_0_10
2:  DISARM
    ret

KPROBE probe_int_dpl0, FL_1|FL_PF, int $VEC_DPL0   /* int $0x40 in ring 0 through a DPL 0 gate: delivered */

/* void sys_tables(uint32_t out[8]): SGDT, SIDT, STR, SLDT, SMSW in ring 0. */
GLOBAL(sys_tables)
    movl 4(%esp), %eax
    sgdtl (%eax)                    /* out[0..1]: limit(16) base(32) */
    sidtl 8(%eax)                   /* out[2..3] */
    movl $0xFFFFFFFF, %ecx
    strl %ecx
    movl %ecx, 16(%eax)             /* out[4] */
    movl $0xFFFFFFFF, %ecx
    sldtl %ecx
    movl %ecx, 20(%eax)             /* out[5] */
    movl %cr0, %ecx
    movl %ecx, 24(%eax)             /* out[6] */
    ret

/* void wait_ticks_r0(void): sti; hlt until ticks >= tick_limit; IF = 0 after. */
GLOBAL(wait_ticks_r0)
GLOBAL(wait_r0_lo)
1:  sti
    hlt
    cli
    movl ticks, %eax
    cmpl tick_limit, %eax
    jb 1b
GLOBAL(wait_r0_hi)
    ret

/* ---- ring 3 routines ---- */
/* Records what ring 3 sees at entry: CS, SS, ESP, EFLAGS, DS. */
GLOBAL(u_entry_state)
    movl %esp, u_esp
    pushfl
    popl u_eflags
    movl $0, u_cs
    movw %cs, u_cs
    movl $0, u_ss
    movw %ss, u_ss
    movl $0, u_ds
    movw %ds, u_ds
    movl $0x600d, %ebx
    SYSEXIT

/* A system call with known EFLAGS and ESP; records what came back. */
GLOBAL(u_syscall)
    pushl $(FL_1 | FL_IF | FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
    popfl
    movl %esp, u_sc_esp
    movl $SYS_GUEST, %eax
    movl $0x12345678, %ebx
    movl $0x0badcafe, %ecx
GLOBAL(u_sc_int)
    int $VEC_SYSCALL
GLOBAL(u_sc_next)
    pushfl
    popl u_sc_eflags_after
    movl %esp, u_sc_esp_after
    movl %eax, u_sc_ret
    movl %ecx, u_sc_ecx_after
    movl $0, u_sc_ds_after
    movw %ds, u_sc_ds_after
    movl $0, %ebx
    SYSEXIT

UPROBE u_ud,       FL_1|FL_IF|FL_ZF,          ud2
UPROBE u_int3,     FL_1|FL_IF|FL_CF,          int3
UPROBE u_into,     FL_1|FL_IF|FL_OF,          into
UPROBE u_int_dpl0, FL_1|FL_IF|FL_SF,          int $VEC_DPL0
UPROBE u_hlt,      FL_1|FL_IF|FL_PF,          hlt
UPROBE u_mov_cr0,  FL_1|FL_IF|FL_AF,          movl %cr0, %eax
UPROBE u_lidt,     FL_1|FL_IF,                  lidtl u_tables
UPROBE u_de,       FL_1|FL_IF|FL_OF|FL_CF,  divl u_zero

/* The sensitive but unprivileged ones: they run in ring 3 and reveal the
 * real tables, TR and CR0 (u_tables: same layout as sys_tables). */
GLOBAL(u_sensitive)
    movl $u_tables, %eax
    sgdtl (%eax)
    sidtl 8(%eax)
    movl $0xFFFFFFFF, %ecx
    strl %ecx
    movl %ecx, 16(%eax)
    movl $0xFFFFFFFF, %ecx
    sldtl %ecx
    movl %ecx, 20(%eax)
    movl $0xFFFFFFFF, %ecx
    smswl %ecx
    movl %ecx, 24(%eax)
    pushfl
    popl 28(%eax)
    movl $0, %ebx
    SYSEXIT

/* Busy loop in ring 3 until the kernel has counted tick_limit ticks,
 * reading the shared counter straight from memory. */
GLOBAL(u_tickloop)
GLOBAL(u_tick_lo)
1:  movl ticks, %eax
    cmpl tick_limit, %eax
    jb 1b
GLOBAL(u_tick_hi)
    movl %eax, %ebx
    SYSEXIT

/* The same, reading the counter through the SYS_TICKS system call. */
GLOBAL(u_tickloop_sys)
1:  movl $SYS_TICKS, %eax
    int $VEC_SYSCALL
    cmpl tick_limit, %eax
    jb 1b
    movl %eax, %ebx
    SYSEXIT

    .data
    .align 8
bounds_0_10:
    .long 0, 10
u_zero:
    .long 0
    .globl u_esp, u_eflags, u_cs, u_ss, u_ds, u_tables
    .globl u_sc_esp, u_sc_eflags_after, u_sc_esp_after, u_sc_ret, u_sc_ecx_after, u_sc_ds_after
u_esp:              .long 0
u_eflags:           .long 0
u_cs:               .long 0
u_ss:               .long 0
u_ds:               .long 0
u_sc_esp:           .long 0
u_sc_eflags_after:  .long 0
u_sc_esp_after:     .long 0
u_sc_ret:           .long 0
u_sc_ecx_after:     .long 0
u_sc_ds_after:      .long 0
    .align 4
u_tables:           .space 32
