/* The IA-32 architectural state that instructions read and write, and the
 * services instruction semantics need from the machine around them.
 * Protection (isa/protect.c) and memory (isa/mem.c) are instruction
 * semantics too; what lies outside the CPU (ports, time, code writes, a
 * monitor's area) is reached only through struct cpu's bus. isa/ knows
 * nothing of devices, of the machine or of the VMM. */
#ifndef TRAPSIM_ARCH_H
#define TRAPSIM_ARCH_H
#include <stdint.h>
#include "isa/isa.h"
#include "isa/vmx.h"

/* General registers, in ModRM encoding order. */
enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
/* Segment registers, in ModRM sreg encoding order. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NONE = 7 };

/* EFLAGS bits (SDM vol. 1, 3.4.3). */
enum {
    FL_CF = 1u << 0, FL_1 = 1u << 1, FL_PF = 1u << 2, FL_AF = 1u << 4,
    FL_ZF = 1u << 6, FL_SF = 1u << 7, FL_TF = 1u << 8, FL_IF = 1u << 9,
    FL_DF = 1u << 10, FL_OF = 1u << 11, FL_IOPL = 3u << 12, FL_NT = 1u << 14,
    FL_RF = 1u << 16, FL_VM = 1u << 17, FL_AC = 1u << 18, FL_VIF = 1u << 19,
    FL_VIP = 1u << 20, FL_ID = 1u << 21
};
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define IOPL_OF(fl) (((fl) >> 12) & 3)

/* CR0 and CR4 bits used here. */
enum { CR0_PE = 1u << 0, CR0_MP = 1u << 1, CR0_EM = 1u << 2, CR0_TS = 1u << 3,
       CR0_ET = 1u << 4, CR0_NE = 1u << 5, CR0_WP = 1u << 16, CR0_AM = 1u << 18,
       CR0_NW = 1u << 29, CR0_CD = 1u << 30, CR0_PG = 1u << 31 };
enum { CR4_PVI = 1u << 1, CR4_TSD = 1u << 2, CR4_DE = 1u << 3, CR4_PCE = 1u << 8, CR4_UMIP = 1u << 11 };   /* CR4_VMXE: isa/vmx.h */
enum { DR6_BS = 1u << 14 };   /* DR6: the #DB was a single-step trap */

/* Exception vectors (SDM vol. 3, 6.3.1). */
enum { EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
       EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11,
       EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17 };

/* A segment register's visible selector and hidden descriptor cache. */
typedef struct seg_cache {
    uint16_t sel;
    uint8_t  access;   /* descriptor byte 5: P, DPL, S, type */
    uint8_t  flags;    /* descriptor byte 6, high nibble: G, D/B, L, AVL (bits 7..4) */
    uint32_t base;
    uint32_t limit;    /* in bytes, granularity applied */
    uint8_t  usable;   /* 0 after a null selector was loaded: any use faults */
    uint8_t  flat;     /* base 0, limit 4 GiB, expand-up: no limit checks needed */
} seg_cache_t;

/* Descriptor attribute helpers (access byte). */
#define DESC_P(a)     (((a) >> 7) & 1)
#define DESC_DPL(a)   (((a) >> 5) & 3)
#define DESC_S(a)     (((a) >> 4) & 1)      /* 1 = code/data, 0 = system */
#define DESC_TYPE(a)  ((a) & 0xf)
#define DESC_CODE(a)  (DESC_S(a) && ((a) & 8))
#define DESC_DATA(a)  (DESC_S(a) && !((a) & 8))
#define DESC_CONFORMING(a) (DESC_CODE(a) && ((a) & 4))
#define DESC_READABLE(a)   (DESC_DATA(a) || ((a) & 2))   /* code: R bit */
#define DESC_WRITABLE(a)   (DESC_DATA(a) && ((a) & 2))
#define DESC_EXPDOWN(a)    (DESC_DATA(a) && ((a) & 4))
#define DESC_DB(f)    (((f) >> 6) & 1)

typedef struct dtr { uint32_t base; uint16_t limit; } dtr_t;

/* What an instruction reaches outside the CPU, besides RAM: ports, virtual
 * time, the notice that a write hit a page holding cached code, and an area
 * mapped at the top of the physical address space (a monitor's own). The
 * owner of a CPU fills it in: the machine for its CPU (cpu/machine.c), a
 * monitor for the guest's virtual CPU. isa/ calls nothing else outside. */
/* What a page of RAM is marked with in cpu_bus_t.code_pages: a write to a
 * marked page goes to the bus's code_write. */
enum { PAGE_CODE = 1,      /* holds decoded, cached instructions (cpu/dcache.c) */
       PAGE_TRACKED = 2 }; /* a monitor tracks writes to it (hv_track_page, cpu/hv.h) */

typedef struct cpu_bus_ops {
    uint32_t (*port_in)(void *ctx, uint16_t port, int size);           /* size 1, 2 or 4 */
    void     (*port_out)(void *ctx, uint16_t port, int size, uint32_t val);
    uint64_t (*tsc)(void *ctx);                                         /* RDTSC */
    void     (*code_write)(void *ctx, uint32_t phys, int size);         /* a write of size bytes at phys, in RAM, hit a page marked in code_pages */
    /* VMX (isa/exec_vmx.c): what VM entry and VM exit load and save is the
     * machine's (cpu/vmx.c); NULL on a CPU that has no VMX to enter (a
     * monitor's virtual CPU), where VMLAUNCH and VMRESUME stop the run as
     * unmodelled. vm_entry: the checks of VM entry, then ISA_VMENTER,
     * ISA_OK (VMfailValid), ISA_VMEXIT (a VM-entry failure) or ISA_STOP.
     * vm_exit: an instruction's VM exit in non-root operation. */
    int      (*vm_entry)(void *ctx, int launch);
    void     (*vm_exit)(void *ctx, uint32_t reason, uint32_t qual, uint32_t insn_len, uint32_t insn_info,
                        uint32_t linear);
} cpu_bus_ops_t;

typedef struct cpu_bus {
    const cpu_bus_ops_t *ops;
    void *ctx;                /* the ops' first argument */
    /* Memory mapped at the top of the physical address space, ending at
     * 4 GiB (a hypervisor's own area, like a PC's ROM up there); none when
     * top_size is 0. Between RAM and it, reads give 0 and writes vanish. */
    uint8_t *top_mem;
    uint32_t top_base, top_size;
    uint8_t *code_pages;      /* 1 byte per 4 KiB page of RAM, PAGE_* bits (NULL: none) */
} cpu_bus_t;

/* The architectural state of one CPU. */
struct cpu {
    uint32_t reg[8];        /* EAX ECX EDX EBX ESP EBP ESI EDI */
    uint32_t eip;
    uint32_t eflags;
    seg_cache_t seg[6];     /* ES CS SS DS FS GS */
    dtr_t    gdtr, idtr;
    seg_cache_t ldtr, tr;   /* selector + cache of the LDT and TSS descriptors */
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
    uint8_t  cpl;           /* current privilege level: CS.RPL, kept in step */
    uint8_t  irq_shadow;    /* no interrupt before the next instruction: BLOCK_STI after STI,
                             * BLOCK_MOV_SS after MOV SS / POP SS (isa/vmx.h) */
    uint64_t icount;        /* retired instructions: virtual time */
    const isa_profile_t *profile;   /* the semantics this CPU implements */
    vmx_cpu_t vmx;          /* VMX operation (isa/vmx.h); all 0 until a guest runs VMXON */

    /* Physical memory, at 0 (read inline by every access, so kept here). */
    uint8_t *ram;
    uint32_t ram_size;      /* bytes */

    /* The pending exception, filled by whoever returns ISA_FAULT. */
    uint8_t  exc_vector;
    uint8_t  exc_has_error;
    uint32_t exc_error;
    uint8_t  soft_kind;     /* SOFT_* for ISA_SOFTINT */
    const char *stop_reason;/* for ISA_STOP */

    cpu_bus_t bus;          /* the outside */
};

/* ---- raising exceptions (always return ISA_FAULT) ---- */
static inline int raise_exc(struct cpu *c, int vector, int has_error, uint32_t error)
{
    c->exc_vector = (uint8_t)vector;
    c->exc_has_error = (uint8_t)has_error;
    c->exc_error = error;
    return ISA_FAULT;
}
#define RAISE_GP(c, e) raise_exc((c), EXC_GP, 1, (e))
#define RAISE_UD(c)    raise_exc((c), EXC_UD, 0, 0)
#define RAISE_SS(c, e) raise_exc((c), EXC_SS, 1, (e))
#define RAISE_NP(c, e) raise_exc((c), EXC_NP, 1, (e))
#define RAISE_TS(c, e) raise_exc((c), EXC_TS, 1, (e))
#define TRY(expr) do { int try_rc_ = (expr); if (try_rc_) return try_rc_; } while (0)

/* The EFLAGS bits POPF and IRET may change at the current CPL and IOPL
 * (isa/exec_sys.c); the others are kept silently. */
uint32_t isa_popf_mask(const struct cpu *c, int opsize);
/* RDMSR and WRMSR of an MSR (isa/exec_sys.c): 0, or -1 when the
 * instruction would raise #GP(0). VM entry and VM exit load and store MSR
 * areas through them. */
int isa_msr_read(struct cpu *c, uint32_t msr, uint64_t *v);
int isa_msr_write(struct cpu *c, uint32_t msr, uint64_t v);

/* ---- the outside, through the bus ---- */
static inline uint32_t bus_port_in(struct cpu *c, uint16_t port, int size)
{
    return c->bus.ops->port_in(c->bus.ctx, port, size);
}
static inline void bus_port_out(struct cpu *c, uint16_t port, int size, uint32_t val)
{
    c->bus.ops->port_out(c->bus.ctx, port, size, val);
}
/* The time-stamp counter: the bus's virtual time; in VMX non-root
 * operation with TSC offsetting, plus the offset (the CPU adds it, so it
 * holds on any bus). */
static inline uint64_t bus_tsc(struct cpu *c)
{
    return c->bus.ops->tsc(c->bus.ctx) + (c->vmx.nonroot ? c->vmx.tsc_offset : 0);
}

/* ---- descriptors (isa/protect.c) ---- */
/* Reads a descriptor (8 bytes) for a selector; -1 when outside the table. */
int desc_read(struct cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi);
/* Fills a segment cache from a descriptor. */
void desc_to_cache(seg_cache_t *s, uint16_t sel, uint32_t lo, uint32_t hi);
/* Loads a segment register cache directly (boot and raw-mode set-up, a
 * monitor): a flat 4 GiB segment of `dpl`. */
void seg_load_flat(seg_cache_t *s, uint16_t sel, int code, int dpl);
/* For interrupt delivery (cpu/intr.c): the checks of a new stack from the
 * TSS, and pushes onto a stack that is not yet SS. */
int prot_check_tss_ss(struct cpu *c, uint16_t ss, int dpl, uint32_t *lo, uint32_t *hi, uint32_t ext);
int prot_push_on(struct cpu *c, const seg_cache_t *ss, uint32_t *esp, const uint32_t *vals, int n, int size);

/* Protection (isa/protect.c): loads of segment registers with every check
 * of SDM vol. 3 5.x and the instruction pages, far transfers, IRET. */
int prot_load_seg(struct cpu *c, int sreg, uint16_t sel);
int prot_far_jmp(struct cpu *c, uint16_t sel, uint32_t off, uint32_t next_eip, int opsize);
int prot_far_call(struct cpu *c, uint16_t sel, uint32_t off, uint32_t next_eip, int opsize);
int prot_far_ret(struct cpu *c, int opsize, uint16_t pop_bytes);
int prot_iret(struct cpu *c, int opsize);
/* The checks before a task switch to TSS `sel`; ISA_STOP with `what` when
 * all pass (task switches are not modelled), else the fault (protect.c). */
int prot_task_switch(struct cpu *c, uint16_t sel, int want_busy, int bad_vector, uint32_t ext,
                     const char *what);
int prot_lldt(struct cpu *c, uint16_t sel);
int prot_ltr(struct cpu *c, uint16_t sel);
/* LAR/LSL/VERR/VERW: sets ZF and, for LAR/LSL, *out; never faults on the selector. */
int prot_lar(struct cpu *c, uint16_t sel, uint32_t *out);
int prot_lsl(struct cpu *c, uint16_t sel, uint32_t *out);
int prot_verr(struct cpu *c, uint16_t sel);
int prot_verw(struct cpu *c, uint16_t sel);
/* Writes to control registers, with their checks (CR0.PG is refused). */
int prot_write_cr(struct cpu *c, int crn, uint32_t val);

/* VMX (isa/exec_vmx.c, through the bus's vm_exit and vm_entry). The VM
 * exit of an instruction in non-root operation: saves the guest
 * (at the instruction), records reason, qualification, the instruction's
 * length and information and a guest-linear address (INS/OUTS, LMSW),
 * loads the host. Returns ISA_VMEXIT. */
int vmx_exit_insn(struct cpu *c, const isa_insn_t *i, uint32_t reason, uint32_t qual, uint32_t info,
                  uint32_t linear);
/* VMLAUNCH/VMRESUME once the instruction's own checks passed: the checks
 * of VM entry, then non-root operation (ISA_VMENTER), a VMfailValid
 * (ISA_OK), or a VM-entry failure that loaded the host (ISA_VMEXIT). */
int vmx_vmentry(struct cpu *c, int launch);

#endif
