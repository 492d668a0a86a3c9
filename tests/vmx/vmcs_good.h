/* A VMCS from which VM entry succeeds, for the tests of VMX
 * (tests/unit/test_vmx.c, tests/fuzz/fuzz_vmx.c): the controls' required
 * bits, the host and the guest at ring 0 of flat segments in one GDT, the
 * guest's LDTR unusable, its TR the busy TSS. The current VMCS must be
 * valid. Header-only, like the fixtures it serves. */
#ifndef TRAPSIM_TESTS_VMCS_GOOD_H
#define TRAPSIM_TESTS_VMCS_GOOD_H
#include "isa/arch.h"

typedef struct vmcs_good {
    uint16_t cs, ds, tr;            /* ring-0 flat code and data, the TSS (GDT selectors) */
    uint32_t tss, gdt, gdt_limit, idt;
    uint32_t host_eip, host_esp, guest_eip, guest_esp;
} vmcs_good_t;

static inline void vmcs_good(struct cpu *c, const vmcs_good_t *g)
{
    vmcs_put(c, VMCS_PIN_CTLS, vmx_pin_allowed.must1);
    vmcs_put(c, VMCS_PROC_CTLS, vmx_proc_allowed.must1);
    vmcs_put(c, VMCS_EXIT_CTLS, vmx_exit_allowed.must1);
    vmcs_put(c, VMCS_ENTRY_CTLS, vmx_entry_allowed.must1);
    vmcs_put(c, VMCS_VMCS_LINK_PTR, VMCS_NONE);
    vmcs_put(c, VMCS_HOST_CR0, c->cr0);
    vmcs_put(c, VMCS_HOST_CR4, c->cr4);
    vmcs_put(c, VMCS_HOST_CS_SEL, g->cs);
    vmcs_put(c, VMCS_HOST_SS_SEL, g->ds);
    vmcs_put(c, VMCS_HOST_DS_SEL, g->ds);
    vmcs_put(c, VMCS_HOST_ES_SEL, g->ds);
    vmcs_put(c, VMCS_HOST_FS_SEL, g->ds);
    vmcs_put(c, VMCS_HOST_GS_SEL, g->ds);
    vmcs_put(c, VMCS_HOST_TR_SEL, g->tr);
    vmcs_put(c, VMCS_HOST_TR_BASE, g->tss);
    vmcs_put(c, VMCS_HOST_GDTR_BASE, g->gdt);
    vmcs_put(c, VMCS_HOST_IDTR_BASE, g->idt);
    vmcs_put(c, VMCS_HOST_ESP, g->host_esp);
    vmcs_put(c, VMCS_HOST_EIP, g->host_eip);
    for (uint32_t k = 0; k < 8; k++) {   /* ES CS SS DS FS GS LDTR TR */
        uint32_t sel = k == SEG_CS ? g->cs : k == 6 ? 0 : k == 7 ? g->tr : g->ds;
        uint32_t ar = k == SEG_CS ? 0xc09b : k == 6 ? 0x10000 : k == 7 ? 0x8b : 0xc093;
        vmcs_put(c, VMCS_GUEST_ES_SEL + 2 * k, sel);
        vmcs_put(c, VMCS_GUEST_ES_BASE + 2 * k, k == 7 ? g->tss : 0);
        vmcs_put(c, VMCS_GUEST_ES_LIMIT + 2 * k, k == 7 ? 103 : k == 6 ? 0 : 0xffffffffu);
        vmcs_put(c, VMCS_GUEST_ES_AR + 2 * k, ar);
    }
    vmcs_put(c, VMCS_GUEST_GDTR_BASE, g->gdt);
    vmcs_put(c, VMCS_GUEST_GDTR_LIMIT, g->gdt_limit);
    vmcs_put(c, VMCS_GUEST_IDTR_BASE, g->idt);
    vmcs_put(c, VMCS_GUEST_IDTR_LIMIT, 256 * 8 - 1);
    vmcs_put(c, VMCS_GUEST_CR0, c->cr0);
    vmcs_put(c, VMCS_GUEST_CR4, c->cr4);
    vmcs_put(c, VMCS_GUEST_DR7, 0x400);
    vmcs_put(c, VMCS_GUEST_ESP, g->guest_esp);
    vmcs_put(c, VMCS_GUEST_EIP, g->guest_eip);
    vmcs_put(c, VMCS_GUEST_EFLAGS, FL_1);
}

#endif
