/* Private to vmm/: the VMM's state and the functions its files share. */
#ifndef TRAPSIM_VMM_INT_H
#define TRAPSIM_VMM_INT_H
#include "vmm/vmm.h"
#include "isa/access.h"

/* The VMM's area: its own memory, mapped at the top 1 MiB of the physical
 * (= linear, no paging) address space, far above any guest RAM (--mem is at
 * most 3 GiB), beyond every guest segment, which the shadow GDT truncates
 * below it; and what lives there. The guest keeps all of its RAM. */
#define VMM_AREA_BASE   0xfff00000u
#define VMM_AREA_SIZE   (1u << 20)
#define VMM_GDT_OFF     0x00000        /* shadow GDT: 8192 descriptors, 64 KiB */
#define VMM_IDT_OFF     0x10000        /* the real IDT: 256 gates, all to the VMM */
#define VMM_TSS_OFF     0x10800        /* the real TSS: SS0:ESP0 = the VMM's stack */
#define VMM_STACK_TOP   0x20000        /* the VMM's ring-0 stack grows down from here */
#define VMM_GDT_ENTRIES 8192

/* The VMM's own selectors, at the top of the shadow GDT, out of a guest's way. */
#define VMM_CS  0xfff8
#define VMM_DS  0xfff0
#define VMM_TSS 0xffe8

/* Ring compression: the real ring a guest ring runs in, and the DPL a guest
 * descriptor gets in the shadow GDT. The guest's ring 0 runs in ring 1 and
 * ring 3 stays; rings 1 and 2 share ring 2, so that neither ever has the
 * guest kernel's rights (README, "Ring compression"). */
static inline uint8_t vmm_real_ring(int guest_ring)
{
    return (uint8_t)(guest_ring == 0 ? 1 : guest_ring == 1 ? 2 : guest_ring);
}

/* The guest's control bits that change what code outside ring 0 does: the
 * real CR0 and CR4 carry them while the guest runs (the VMM, C code, needs
 * none of them clear). RDTSC at real ring 1 or 2 then faults under TSD,
 * and the VMM runs it on the virtual CPU. */
#define VMM_GUEST_CR0 (CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM)
#define VMM_GUEST_CR4 (CR4_PVI | CR4_TSD | CR4_PCE | CR4_UMIP)

struct pv;

struct vmm {
    machine_t *m;
    struct pv *pv;              /* --vmm=pv: the paravirtual interface (pv.c), else NULL */
    uint32_t base;              /* physical address of the VMM area: VMM_AREA_BASE */
    uint8_t *area;              /* its VMM_AREA_SIZE bytes (the top area of the machine's bus) */

    /* The guest's virtual CPU, a value the VMM owns: what the guest
     * believes it runs on. Its system state is the guest's own and lives
     * only here: CPL (the guest runs in ring vmm_real_ring(vcpu.cpl)),
     * EFLAGS.IF and IOPL, GDTR, IDTR, TR, LDTR (as the guest loaded them),
     * CR0-CR4; its bus reaches the guest's devices and not the VMM's area.
     * Its general registers, EIP, other flags and segments are the real
     * CPU's while the guest runs: vmm_vcpu_load() brings them in before the
     * VMM runs an instruction or a delivery on it, vmm_vcpu_store() puts
     * them back, compressed (vmm.c). */
    struct cpu vcpu;
    pic_t    vpic;              /* the guest's PIC, PIT and COM1 */
    pit_t    vpit;
    uart_t   vuart;
    int      guest_halted;      /* the guest executed HLT with virtual IF = 1 */
    int      expose_pg;
    int      sti_shadow;        /* an emulated STI: inject only after the next instruction */
    uint8_t  exit_ring;         /* the real ring the current VM exit came from (for the trace) */

    /* The shadow GDT follows the guest's: a copy of the guest GDT as last synced. */
    uint8_t  gdt_copy[VMM_GDT_ENTRIES * 8];
    uint32_t gdt_copy_len;

    /* The PG audit: the state before a sensitive instruction ran. */
    struct {
        uint32_t eflags, esp, top;   /* EFLAGS, ESP and the value at the stack top */
        uint16_t cs;                 /* CS and CPL where the instruction ran */
        uint8_t cpl;
    } pre;

    /* Counters for the summary. */
    uint64_t exits;                  /* every entry into the VMM */
    uint64_t exit_exc[32];           /* by exception vector */
    uint64_t exit_irq[16];           /* physical interrupts */
    uint64_t exit_soft;              /* INT n / INT3 / INTO from the guest */
    uint64_t exit_hypercall;         /* --vmm=pv: int $0x82 from the guest kernel */
    uint64_t exit_cpuid;             /* --vmm=pv: CPUID, answered by the monitor */
    uint64_t emulated[ROW_COUNT];    /* trapped instructions emulated, by row */
    uint64_t reflected[32];          /* guest faults reflected to the guest, by vector */
    uint64_t injected[16], deferred[16];
    uint64_t forwarded_soft;
    uint64_t pg[ROW_COUNT];          /* sensitive instructions that ran without a trap */
    uint64_t idt_rebuilds, gdt_syncs;

    struct dbt *dbt;                 /* --vmm=dbt: the binary translator (vmm/dbt.c), else NULL */
    const uint8_t *vif_live;         /* while the CPU is in dbt's TC: the virtual IF's dword in the
                                      * state page, which inline CLI writes; else NULL */
};

/* A VM exit as a value: its reason and qualification (cpu/trace.h), what
 * the counters, the trace and the views read. */
typedef struct vm_exit {
    exit_reason_t reason;
    uint32_t qual;              /* EXCEPTION, SOFTINT: the vector; EXTINT: the IRQ line */
    int has_error;
    uint32_t error;
} vm_exit_t;

static inline int vmm_vif(const vmm_t *v)   /* virtual IF */
{
    return v->vif_live ? (v->vif_live[1] & FL_IF >> 8) != 0 : (v->vcpu.eflags & FL_IF) != 0;
}
static inline int vmm_viopl(const vmm_t *v) { return (int)IOPL_OF(v->vcpu.eflags); }     /* virtual IOPL */

/* vmm.c */
/* One EV_VMM event: what the monitor did, and the text that says it. */
void vmm_trace(vmm_t *v, vmm_action_t action, int vector, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A VM exit: counted by its reason, and traced as action VA_EXIT carrying it. */
void vmm_exit(vmm_t *v, const vm_exit_t *x, int vector, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Around the VMM's work on the virtual CPU (an emulated instruction, a
 * delivery into the guest): the guest's registers onto it, and back. */
void vmm_vcpu_load(vmm_t *v);
void vmm_vcpu_store(vmm_t *v);
/* The guest's physical memory as the guest sees it (RAM, else 0; never the
 * VMM's area), for what the VMM reads on the guest's behalf. */
void vmm_guest_read(const vmm_t *v, uint32_t pa, void *buf, uint32_t len);
uint32_t vmm_guest_word(const vmm_t *v, uint32_t pa, int size);
void vmm_shadow_gdt_sync(vmm_t *v, int force);
/* Trap-and-emulate behind hv.h (cpu/hv.h): every event to ring 0 is a VM
 * exit; with expose_pg, every instruction but the innocuous ones outside
 * ring 0 passes the PG audit; the STI shadow ends a step later. */
void vmm_hook_up(vmm_t *v);
/* Attaches `ops` (te's, pv's, dbt's) to the VMM's machine, the guest's
 * tables being the virtual CPU's (hv_t.guest_cpu). */
void vmm_hv_attach(vmm_t *v, const hv_ops_t *ops, uint32_t insn_classes);
/* The VMM's state with its area mapped at the top, nothing else set up
 * (attach and a snapshot's load); NULL when out of memory. */
vmm_t *vmm_new(machine_t *m);
/* Writes one of the VMM's own descriptors into the shadow GDT. */
void vmm_set_desc(vmm_t *v, uint16_t sel, uint32_t base, uint32_t limit, uint32_t access, uint32_t flags);
/* The end of every VM exit: a pending virtual interrupt injected (pv: an
 * event upcall), a halted guest left waiting. */
void vmm_exit_done(vmm_t *v);
void shadow_idt_rebuild(vmm_t *v);

/* hv.h's ring0_entry: every event the CPU delivers to ring 0 is a VM exit */
void vmm_entry(void *ctx, machine_t *m, const hv_event_t *ev);

/* emulate.c: a trapped sensitive instruction, run on the virtual CPU;
 * or, for any other instruction, the fault reflected to the guest. */
void vmm_emulate(vmm_t *v, uint32_t eip, int vector, uint32_t error);
/* Runs the decoded guest instruction at `eip` (the real CPU's CS:EIP) on
 * the virtual CPU, sensitive or not, and finishes it as a trap would. */
void vmm_emulate_insn(vmm_t *v, const isa_insn_t *insn, uint32_t eip);
void vmm_reflect(vmm_t *v, int vector, int has_error, uint32_t error, uint32_t at);
/* hv.h's step_end: the STI shadow is over, an interrupt may come in. */
void vmm_sti_shadow_end(void *ctx, machine_t *m);

/* inject.c */
/* Delivers an event into the guest through the guest's own IDT, at its
 * virtual CPL; `at` is the address of the instruction concerned. */
void vmm_forward(vmm_t *v, int vector, deliver_kind_t kind, int has_error, uint32_t error, uint32_t at);
void vmm_try_inject(vmm_t *v);
void vmm_physical_irq(vmm_t *v, int irq);

/* vdev.c: the guest's devices */
void vdev_reset(vmm_t *v);
/* The virtual CPU's bus (isa/arch.h): ports reach the guest's devices,
 * time and code writes the machine's. */
extern const cpu_bus_ops_t vdev_bus_ops;

/* pv.c: --vmm=pv's part of a VM exit (the interface is vmm/pv.h) */
void pv_hypercall_exit(vmm_t *v);                       /* int $0x82 from the guest kernel */
void pv_event(vmm_t *v, int event);                      /* a physical timer interrupt: an event */
void pv_try_upcall(vmm_t *v);                            /* deliver pending events if unmasked */
void pv_halt_check(vmm_t *v);                            /* a blocked guest: wait, or halted for ever */
void pv_fault(vmm_t *v, uint32_t eip, int vector, uint32_t error);   /* a #GP-like exit: refuse or reflect */
void pv_vif_to_vcpu(vmm_t *v);                           /* around vmm_forward(): the mask byte to */
void pv_after_delivery(vmm_t *v, int has_error);         /* the virtual IF and back, frame RPLs real */
void pv_free(struct pv *p);
void pv_print_summary(const vmm_t *v, FILE *out);
void pv_write_stats(const vmm_t *v, FILE *f);

/* pg_audit.c */
/* hv.h's before_insn and after_insn: the state before a sensitive
 * instruction outside ring 0, and what went wrong after it ran. */
int pg_audit_before(void *ctx, machine_t *m, const isa_insn_t *insn, uint32_t eip);
void pg_audit_after(void *ctx, machine_t *m, const isa_insn_t *insn, uint32_t eip);

/* dbt.c: the binary translator's side of the VMM (vmm/dbt.h) */
int dbt_init(vmm_t *v, uint32_t tc_size);
void dbt_free(vmm_t *v);
void dbt_trace_setup(vmm_t *v);
void dbt_print_summary(const vmm_t *v, FILE *out);
void dbt_write_stats(const vmm_t *v, FILE *f);
/* The translator's view (vmm/view.h's state): the TC, the state page, and
 * the fragment the CPU is in beside its guest block. */
void dbt_print_view(const vmm_t *v, FILE *out);
/* The guest EIP the real CPU is at (in a fragment: the guest instruction
 * it stands for); 0, or -1 when the CPU is at no fragment instruction. */
int dbt_guest_eip(const vmm_t *v, uint32_t *eip);
/* The translation cache's bytes (at DBT_TC_OFF in the area); 0 without a translator. */
uint32_t dbt_tc_size(const vmm_t *v);

#endif
