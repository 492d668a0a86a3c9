/* VMX in the machine (SDM vol. 3C chapters 25-28): VM entry with its
 * checks, VM exit, and the events of non-root operation that exit (an
 * exception by the exception bitmap, an external interrupt, a triple fault,
 * an open interrupt window). The architecture (VMCS fields, controls, exit
 * reasons) is in isa/vmx.h, the instructions in isa/exec_vmx.c. */
#ifndef TRAPSIM_CPU_VMX_H
#define TRAPSIM_CPU_VMX_H
#include "cpu/cpu.h"

/* A VM exit as a value: what the VM-exit information fields receive. */
typedef struct vmx_exit {
    uint32_t reason;              /* basic exit reason; bit 31 for a VM-entry failure */
    uint32_t qual;                /* exit qualification */
    uint32_t linear;              /* guest-linear address */
    uint32_t insn_len, insn_info; /* VM-exit instruction length and information */
    uint32_t intr_info, intr_error; /* VM-exit interruption information and error code */
    uint32_t idt_info, idt_error; /* IDT-vectoring information and error code */
    const char *why;              /* a VM-entry failure: the check that failed */
} vmx_exit_t;

/* The SDM's name of a basic exit reason ("I/O instruction"), and the key of
 * its count in --stats (vtx.exits.io). */
const char *vmx_exit_name(int reason);
const char *vmx_exit_key(int reason);

/* The CPU's state into the guest-state area of the current VMCS, as a VM
 * exit saves it (27.3): a hypervisor in C that changed the guest's state
 * writes it back before it resumes. */
void vmx_save_guest(machine_t *m);
/* VM entry and an instruction's VM exit, the machine's bus's vm_entry and
 * vm_exit (machine_bus_ops, isa/arch.h): `ctx` is the machine. */
int vmx_bus_entry(void *ctx, int launch);
void vmx_bus_exit(void *ctx, uint32_t reason, uint32_t qual, uint32_t insn_len, uint32_t insn_info,
                  uint32_t linear);

/* Step mode's view of VMX: root or non-root operation, then the current
 * VMCS's main fields (guest CS:EIP, ESP, EFLAGS, CRs, interruptibility and
 * activity; the controls with their bits named; the VM-entry interruption
 * information; the last exit's reason and decoded qualification). */
void vmx_print_vmcs(const struct cpu *c, FILE *out);

/* The interruption information (vector, type, error code valid, valid) of
 * an event as the IDT sees it. */
uint32_t vmx_intr_info(const struct cpu *c, int vector, deliver_kind_t kind, int has_error);

/* In non-root operation: whether the coming instruction boundary exits,
 * by an open interrupt window or an external interrupt (what ends a run of
 * cached instructions, cpu/run.c). */
static inline int vmx_boundary_pending(const struct cpu *c, int intr_line)
{
    return ((c->vmx.proc & PROC_INTR_WINDOW) && (c->eflags & FL_IF)) ||
           (intr_line && (c->vmx.pin & PIN_EXTINT_EXITING));
}

/* In non-root operation, before an event is delivered through the guest's
 * IDT (cpu/intr.c): whether it exits (an exception or INT3/INTO/INT1 whose
 * bit is set in the exception bitmap); the exit is then done. `idt_info`
 * and `idt_error` name the event whose delivery raised this one (0: none). */
int vmx_event_exits(machine_t *m, int vector, deliver_kind_t kind, int has_error, uint32_t error,
                    uint32_t fault_eip, uint32_t idt_info, uint32_t idt_error);
/* A triple fault in non-root operation: exit reason 2 instead of a shutdown. */
void vmx_triple_fault_exit(machine_t *m);
/* At an instruction boundary in non-root operation (cpu/run.c), with the
 * STI/MOV SS blocking `shadow`: an open interrupt window or an external
 * interrupt that exits. Returns 1 when a VM exit was done. */
int vmx_boundary_exits(machine_t *m, int shadow);

#endif
