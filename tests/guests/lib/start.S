/* Entry, vector stubs, the common trap path and the ring-3 round trip of
 * the test guests (see rt.h). */
#include "rt.h"

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .text
/* Multiboot entry: EAX = magic, EBX = information structure, IF = 0. */
GLOBAL(_start)
    movl $boot_stack_top, %esp
    movl %eax, boot_magic
    movl %ebx, boot_mbi
    pushfl
    popl boot_eflags
    call rt_main                    /* does not return */
1:  cli
    hlt
    jmp 1b

/* void gdt_load(const void *gdtr): LGDT, then CS, DS, ES, FS, GS, SS
 * reloaded from it (ring 0 selectors). */
GLOBAL(gdt_load)
    movl 4(%esp), %eax
    lgdt (%eax)
    ljmp $SEL_KCODE, $1f
1:  movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    ret

#ifdef RT_PV
/* void seg_reload(void): gdt_load's reloads after set_gdt, with the
 * selectors of the ring a pv kernel runs in (MOV SS needs RPL = CPL). */
GLOBAL(seg_reload)
    ljmp $(SEL_KCODE | 1), $1f
1:  movw $(SEL_KDATA | 1), %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    ret
#endif

/* One stub of 16 bytes per vector: push a dummy error code where the CPU
 * pushes none, push the vector, go to alltraps. */
    .align 16
GLOBAL(vector_stubs)
    .set vec, 0
    .rept 256
    .align 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    pushl $vec
    .else
    pushl $0
    pushl $vec
    .endif
    jmp alltraps
    .set vec, vec + 1
    .endr

/* The common trap path: build a struct trapframe, call trap(tf), unwind,
 * IRET. */
alltraps:
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    pushal
    cld
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    pushl %esp
    call trap
    addl $4, %esp
    popal
    popl %gs
    popl %fs
    popl %es
    popl %ds
    addl $8, %esp                   /* vector and error code */
    iret

/* uint32_t enter_user(uint32_t eip, uint32_t eflags, uint32_t user_ds):
 * saves the ring-0 context and IRETs to ring 3. SYS_EXIT comes back
 * through user_return, which returns from here.
 * uint32_t enter_ring(eip, eflags, ds, cs, ss): the same into the ring of
 * `cs` (1, 2 or 3), with SS `ss`. */
GLOBAL(enter_user)
    movl $SEL_UCODE, enter_cs
    movl $SEL_UDATA, enter_ss
    jmp 1f
GLOBAL(enter_ring)
    movl 16(%esp), %eax
    movl %eax, enter_cs
    movl 20(%esp), %eax
    movl %eax, enter_ss
1:  pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    pushfl
    movl %esp, kernel_ctx_esp
    movl 24(%esp), %eax             /* eip */
    movl 28(%esp), %ecx             /* eflags */
    movl 32(%esp), %edx             /* user_ds */
    pushl enter_ss                  /* SS */
    pushl $ustack_top               /* ESP */
    pushl %ecx                      /* EFLAGS */
    pushl enter_cs                  /* CS */
    pushl %eax                      /* EIP */
    movw %dx, %ds
    movw %dx, %es
    movw %dx, %fs
    movw %dx, %gs
    iret

/* void user_return(uint32_t value): called from the SYS_EXIT handler on
 * the TSS stack; drops that stack and returns `value` from enter_user. */
GLOBAL(user_return)
    movl 4(%esp), %eax
    movl kernel_ctx_esp, %esp
    popfl
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .bss
    .align 16
    .space 16384
GLOBAL(boot_stack_top)
    .space 8192
GLOBAL(kstack_top)                  /* TSS.ESP0 */
    .space 8192
GLOBAL(ustack_top)
    .space 16
kernel_ctx_esp:
    .long 0
enter_cs:
    .long 0
enter_ss:
    .long 0
