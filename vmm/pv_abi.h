/* vmm/pv_abi.h: the paravirtual interface between a guest kernel and
 * trapsim's `--vmm=pv` monitor, after Xen's x86-32 interface. One header,
 * included by both sides (vmm/pv.c and guestos/pvops.c); plain C on
 * fixed-width types, no code.
 *
 * Finding it: CPUID.1:ECX bit 31 (a hypervisor is present) and, at CPUID
 * leaf PV_CPUID_LEAF, EBX ECX EDX = PV_SIGNATURE (12 bytes), EAX the
 * highest hypervisor leaf. Only --vmm=pv shows that signature.
 *
 * Calling it: `int $0x82` from the guest kernel's ring (real ring 1; from
 * ring 3 the guest gets #GP as for any DPL-0 gate). EAX = the number
 * below, EBX ECX EDX ESI EDI = arguments, EAX = the result: >= 0, or a
 * negative error number (Xen's, which are Linux's). Other registers are
 * kept. Pointers are guest-physical (the pv guest runs flat) and must lie
 * wholly inside the guest's RAM.
 *
 * Interrupts: there is no virtual PIC. The virtual IF is the byte
 * pv_shared_t.upcall_mask (1 = events masked = IF 0) in a page the guest
 * registers; the guest reads and writes it with plain memory accesses.
 * An event (the timer: bit PV_EVENT_TIMER) sets its bit in `pending` and
 * `upcall_pending`; when the mask is 0 the monitor calls the guest's
 * callback (PV_set_callback) as an interrupt gate would: a frame on the
 * kernel stack, events masked. The callback clears the bits it handled.
 * A guest that unmasks with upcall_pending set makes one PV_event_check
 * call. Frames the monitor pushes hold the real RPLs (the kernel's CS has
 * RPL 1), so the guest returns with a plain IRET: where it goes back to a
 * context with IF = 1 it first clears upcall_mask itself (pv's answer to
 * Xen's iret hypercall; guestos/pvops.c, pv_trapret()). */
#ifndef TRAPSIM_PV_ABI_H
#define TRAPSIM_PV_ABI_H
#include <stdint.h>

#define PV_HYPERCALL_VECTOR 0x82
#define PV_CPUID_LEAF       0x40000000u
#define PV_SIGNATURE        "TrapsimPVABI"   /* EBX, ECX, EDX at PV_CPUID_LEAF */
#define PV_KERNEL_RPL       1                /* the ring the guest kernel runs in */

enum pv_hypercall {
    PV_set_trap_table,   /* (pv_trap_info_t *table, count): the exception and INT n handlers, instead of LIDT */
    PV_set_gdt,          /* (base, entries): the guest's GDT, instead of LGDT */
    PV_stack_switch,     /* (ss, esp): the kernel stack for traps from ring 3, instead of the TSS's SS0:ESP0 */
    PV_set_timer,        /* (reload): a timer event every reload/1193182 s (the PIT's units); 0 stops it */
    PV_sched_op,         /* (PV_SCHEDOP_*): block until an event, instead of STI;HLT */
    PV_console_write,    /* (buf, len): text to the console, instead of the UART */
    PV_port_io,          /* (pv_port_op_t *ops, count): port I/O in one batch */
    PV_multicall,        /* (pv_multicall_t *calls, count): several hypercalls in one exit */
    PV_set_callback,     /* (cs, eip): where events arrive (the upcall) */
    PV_register_shared,  /* (pv_shared_t *page): the shared page */
    PV_set_fast_trap,    /* (vector, on): INT vector from ring 3 straight to its ring-1 handler, no exit */
    PV_event_check,      /* (): deliver pending events now (after unmasking) */
    PV_HYPERCALL_COUNT
};

enum { PV_SCHEDOP_block = 1 };   /* sched_op: wait for an event; returns after its upcall */

/* Errors (the negative of these in EAX) */
enum { PV_EPERM = 1, PV_E2BIG = 7, PV_EFAULT = 14, PV_EINVAL = 22, PV_ENOSYS = 38 };

/* Limits */
#define PV_MAX_TRAPS      256
#define PV_MAX_PORT_OPS   64
#define PV_MAX_MULTICALL  32
#define PV_MAX_CONSOLE    4096
#define PV_MAX_GDT        8184   /* entries: the top of the shadow GDT is the monitor's */

/* set_trap_table: one handler. flags: bits 0-1 the DPL (the ring that may
 * reach it with INT n), PV_TI_MASK_EVENTS: mask events on entry (an
 * interrupt gate; else a trap gate). cs has RPL 1; vector 0x82 is the
 * monitor's. */
typedef struct pv_trap_info {
    uint8_t  vector;
    uint8_t  flags;
    uint16_t cs;
    uint32_t address;
} pv_trap_info_t;
#define PV_TI_DPL(f)        ((f) & 3)
#define PV_TI_MASK_EVENTS   4

/* port_io: one access. dir PV_PORT_IN stores what was read in value. */
typedef struct pv_port_op {
    uint16_t port;
    uint8_t  size;      /* 1, 2 or 4 */
    uint8_t  dir;       /* PV_PORT_IN or PV_PORT_OUT */
    uint32_t value;
} pv_port_op_t;
enum { PV_PORT_IN = 0, PV_PORT_OUT = 1 };

/* multicall: one call and its result (no multicall or sched_op inside). */
typedef struct pv_multicall {
    uint32_t op;
    uint32_t args[5];
    int32_t  result;
    uint32_t reserved;
} pv_multicall_t;

/* The shared page (its first bytes). */
typedef struct pv_shared {
    uint8_t  upcall_mask;      /* 1: events masked (the virtual IF is 0) */
    uint8_t  upcall_pending;   /* some bit of pending is set */
    uint16_t reserved;
    uint32_t pending;          /* events not yet handled, 1 << PV_EVENT_* */
} pv_shared_t;
enum { PV_EVENT_TIMER = 0 };

/* "set_trap_table", ...: for traces, stats and tests */
#define PV_HYPERCALL_NAMES                                                                         \
    { "set_trap_table", "set_gdt", "stack_switch", "set_timer", "sched_op", "console_write",       \
      "port_io", "multicall", "set_callback", "register_shared", "set_fast_trap", "event_check" }
#endif
