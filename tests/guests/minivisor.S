/* minivisor, the assembly half: the VMX-instruction probes (faults are
 * recorded by the runtime), the VM-exit entry point of the host, and the
 * little guest that runs in VMX non-root operation. See minivisor.c. */
#include "rt.h"

    .text
/* Outside VMX operation every VMX instruction but VMXON is #UD, and VMXON
 * is #UD while CR4.VMXE = 0, and #GP(0) while IA32_FEATURE_CONTROL is not
 * locked with VMX enabled. */
KPROBE probe_vmxoff, FL_1, vmxoff
KPROBE probe_vmcall, FL_1, vmcall
KPROBE probe_vmxon, FL_1, vmxon vmxon_pa

/* uint32_t vm_run(void): VMLAUNCH the current VMCS. Returns EFLAGS after
 * a VMfail; after a VM exit the host continues at vm_exit_entry, and
 * vm_return (called once the guest is done) returns 0 from here. The host
 * state has ESP = exit_stack_top: each exit starts on a fresh stack. */
GLOBAL(vm_run)
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, run_esp
    vmlaunch
    pushfl
    popl %eax
    jmp 1f
GLOBAL(vm_return)
    movl run_esp, %esp
    xorl %eax, %eax
1:  popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

/* The host's RIP: the guest's general registers (its ESP aside, which is
 * in the VMCS) are saved with PUSHA; on_exit(regs) handles the exit and
 * says how to go on: 0 VMRESUME, 1 VMLAUNCH (after a VM-entry failure the
 * VMCS is still clear), 2 done. A VMRESUME or VMLAUNCH that fails returns
 * here with the flags, for on_vmfail(eflags). */
GLOBAL(vm_exit_entry)
    pushal
    pushl %esp
    call on_exit
    addl $4, %esp
    cmpl $2, %eax
    je vm_return
    cmpl $1, %eax
    je 2f
    popal
    vmresume
    jmp 3f
2:  popal
    vmlaunch
3:  pushfl
    call on_vmfail              /* does not return */

/* ---- the guest: ring 0 of VMX non-root operation, the host's flat
 * segments and tables, its own stack ---- */
GLOBAL(guest_entry)
    movl $0x40000000, %eax
    cpuid                       /* exits (always): the hypervisor's signature */
    movl %ebx, guest_sig
    movl %ecx, guest_sig + 4
    movl %edx, guest_sig + 8
    movb $0x42, %al
    outb %al, $0x80             /* exits: 1 byte out, immediate port 0x80 */
    movw $0x1234, %dx
    inw %dx, %ax                /* exits: 2 bytes in, port in DX */
    movw %ax, guest_in
    cld
    movl $guest_msg, %esi
    movl $guest_msg_len, %ecx
    movw $0xe9, %dx
    rep outsb                   /* exits: a string, REP */
    movl $1, %eax
    movl $guest_hello, %ebx
    vmcall                      /* exits: hypercall 1, print EBX */
    sti
    hlt                         /* exits; the host injects vector 0x30 */
    movl $2, %eax
    movl guest_irqs, %ebx
    vmcall                      /* hypercall 2: done, EBX interrupts seen */
    ud2

/* Vector 0x30 in the guest: the interrupt the host injects. */
GLOBAL(guest_isr30)
    incl guest_irqs
    iret

    .data
guest_msg:
    .ascii "rep outsb from the guest\n"
    .set guest_msg_len, . - guest_msg
guest_hello:
    .asciz "hello from VMX non-root operation"
    .align 4
    .globl guest_sig, guest_in, guest_irqs
guest_sig:  .long 0, 0, 0, 0
guest_in:   .long 0
guest_irqs: .long 0
run_esp:    .long 0
