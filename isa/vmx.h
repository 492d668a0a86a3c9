/* VMX, the architecture (SDM vol. 3C chapters 23-31 and appendices A-C):
 * the VMCS's fields, the controls, the exit reasons, the VM-instruction
 * errors, the capability MSRs, and the VMX state of a CPU. The instructions
 * are in isa/exec_vmx.c; VM entry, VM exit and the events of non-root
 * operation are the machine's (cpu/vmx.c).
 *
 * trapsim's one departure from a VMX processor: it has no paging, so
 * IA32_VMX_CR0_FIXED0 does not require CR0.PG (nor does it allow it:
 * FIXED1 has PG clear), and no control that needs paging (EPT, unrestricted
 * guest) is offered. Everything else is as the SDM describes an IA-32
 * processor without Intel 64: natural-width fields are 32 bits wide. */
#ifndef TRAPSIM_VMX_H
#define TRAPSIM_VMX_H
#include <stdint.h>

struct cpu;

/* ---- VMCS field encodings (isa/vmcs.def) ---- */
enum vmcs_field {
#define X(name, enc) VMCS_##name = enc,
#include "isa/vmcs.def"
#undef X
};
#define VMCS_WIDTH(enc) (((enc) >> 13) & 3)   /* VMCS_W16, VMCS_W64, VMCS_W32, VMCS_WNAT */
#define VMCS_TYPE(enc)  (((enc) >> 10) & 3)   /* 1: VM-exit information (read-only) */
enum { VMCS_W16, VMCS_W64, VMCS_W32, VMCS_WNAT };

/* The VMCS region: revision identifier (bits 30:0), VMX-abort indicator,
 * then trapsim's own layout: the launch state and one 8-byte slot per
 * field, in vmcs.def's order. */
enum { VMCS_OFF_REVISION = 0, VMCS_OFF_ABORT = 4, VMCS_OFF_LAUNCHED = 8, VMCS_OFF_FIELDS = 16 };
#define VMCS_REVISION 0x00000001u
#define VMCS_NONE     0xffffffffffffffffull   /* the current-VMCS pointer when there is none */

/* Index of a field in the layout (encoding with the access-type bit clear),
 * -1 when the encoding names no field trapsim has. */
int vmcs_field_index(uint32_t enc);
/* A field of the current VMCS, zero-extended; 64-bit fields whole. The
 * current-VMCS pointer must be valid. */
uint64_t vmcs_get(struct cpu *c, uint32_t enc);
void vmcs_put(struct cpu *c, uint32_t enc, uint64_t v);

/* VMsucceed, and VMfail(error): VMfailValid with the VM-instruction error
 * when the current-VMCS pointer is valid, else VMfailInvalid (SDM 31.2).
 * Both return ISA_OK: the instruction retires with the flags set. */
int vmx_succeed(struct cpu *c);
int vmx_fail(struct cpu *c, int error);

/* ---- controls (SDM 24.6-24.8) ---- */
enum {  /* pin-based */
    PIN_EXTINT_EXITING = 1u << 0, PIN_NMI_EXITING = 1u << 3
};
enum {  /* primary processor-based */
    PROC_INTR_WINDOW = 1u << 2, PROC_TSC_OFFSET = 1u << 3, PROC_HLT = 1u << 7,
    PROC_INVLPG = 1u << 9, PROC_RDTSC = 1u << 12, PROC_CR3_LOAD = 1u << 15,
    PROC_CR3_STORE = 1u << 16, PROC_MOV_DR = 1u << 23, PROC_UNCOND_IO = 1u << 24,
    PROC_IO_BITMAPS = 1u << 25, PROC_MSR_BITMAPS = 1u << 28, PROC_SECONDARY = 1u << 31
};
enum {  /* secondary processor-based */
    PROC2_DESC_TABLE = 1u << 2, PROC2_VPID = 1u << 5
};
enum {  /* VM-exit and VM-entry controls */
    VMX_EXIT_SAVE_DEBUG = 1u << 2, VMX_EXIT_ACK_INTR = 1u << 15, ENTRY_LOAD_DEBUG = 1u << 2
};
/* Interruption information (VM-entry, VM-exit, IDT-vectoring): vector,
 * type, error code valid, valid. */
enum { INTR_EXT = 0, INTR_NMI = 2, INTR_HW_EXC = 3, INTR_SW_INT = 4, INTR_PRIV_SW_EXC = 5,
       INTR_SW_EXC = 6, INTR_OTHER = 7 };
#define INTR_INFO(vector, type) ((uint32_t)(vector) | (uint32_t)(type) << 8 | 1u << 31)
#define INTR_HAS_ERROR (1u << 11)
enum { BLOCK_STI = 1, BLOCK_MOV_SS = 2 };      /* guest interruptibility state */
enum { ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1 };

/* ---- basic exit reasons (appendix C) ---- */
enum {
    VMX_EXIT_EXCEPTION = 0, VMX_EXIT_EXTINT = 1, VMX_EXIT_TRIPLE = 2, VMX_EXIT_INTR_WINDOW = 7,
    VMX_EXIT_TASK_SWITCH = 9, VMX_EXIT_CPUID = 10, VMX_EXIT_HLT = 12, VMX_EXIT_INVD = 13, VMX_EXIT_INVLPG = 14,
    VMX_EXIT_RDTSC = 16, VMX_EXIT_VMCALL = 18, VMX_EXIT_VMCLEAR = 19, VMX_EXIT_VMLAUNCH = 20,
    VMX_EXIT_VMPTRLD = 21, VMX_EXIT_VMPTRST = 22, VMX_EXIT_VMREAD = 23, VMX_EXIT_VMRESUME = 24,
    VMX_EXIT_VMWRITE = 25, VMX_EXIT_VMXOFF = 26, VMX_EXIT_VMXON = 27, VMX_EXIT_CR = 28, VMX_EXIT_DR = 29,
    VMX_EXIT_IO = 30, VMX_EXIT_RDMSR = 31, VMX_EXIT_WRMSR = 32, VMX_EXIT_BAD_GUEST = 33,
    VMX_EXIT_MSR_LOADING = 34, VMX_EXIT_GDTR_IDTR = 46, VMX_EXIT_LDTR_TR = 47, VMX_EXIT_INVEPT = 50,
    VMX_EXIT_INVVPID = 53, VMX_EXIT_WBINVD = 54,
    VMX_EXIT_REASON_COUNT = 65
};
#define VMX_EXIT_ENTRY_FAILURE (1u << 31)   /* bit 31 of the exit reason */

/* ---- VM-instruction error numbers (31.4) ---- */
enum {
    VMERR_VMCALL_ROOT = 1, VMERR_VMCLEAR_ADDR = 2, VMERR_VMCLEAR_VMXON = 3,
    VMERR_LAUNCH_NOT_CLEAR = 4, VMERR_RESUME_NOT_LAUNCHED = 5, VMERR_BAD_CONTROLS = 7,
    VMERR_BAD_HOST = 8, VMERR_VMPTRLD_ADDR = 9, VMERR_VMPTRLD_VMXON = 10,
    VMERR_VMPTRLD_REVISION = 11, VMERR_FIELD_UNSUPPORTED = 12, VMERR_FIELD_READ_ONLY = 13,
    VMERR_VMXON_ROOT = 15, VMERR_ENTRY_MOV_SS = 26, VMERR_INVALID_OPERAND = 28
};

/* ---- MSRs (SDM vol. 4, appendix A of vol. 3D) ---- */
enum {
    MSR_FEATURE_CONTROL = 0x3a, MSR_VMX_BASIC = 0x480, MSR_VMX_PINBASED = 0x481,
    MSR_VMX_PROCBASED = 0x482, MSR_VMX_EXIT = 0x483, MSR_VMX_ENTRY = 0x484,
    MSR_VMX_MISC = 0x485, MSR_VMX_CR0_FIXED0 = 0x486, MSR_VMX_CR0_FIXED1 = 0x487,
    MSR_VMX_CR4_FIXED0 = 0x488, MSR_VMX_CR4_FIXED1 = 0x489, MSR_VMX_VMCS_ENUM = 0x48a,
    MSR_VMX_PROCBASED2 = 0x48b, MSR_VMX_EPT_VPID_CAP = 0x48c
};
enum { FC_LOCK = 1u << 0, FC_VMX_OUTSIDE_SMX = 1u << 2 };
#define CR4_VMXE (1u << 13)
/* The fixed bits of CR0 and CR4 in VMX operation (IA32_VMX_CR*_FIXED*):
 * a bit set in FIXED0 must be 1, a bit clear in FIXED1 must be 0. */
#define VMX_CR0_FIXED0 0x00000021u   /* PE, NE; not PG: trapsim has no paging */
#define VMX_CR0_FIXED1 0x7fffffffu   /* PG is not allowed either */
#define VMX_CR4_FIXED0 CR4_VMXE
#define VMX_CR4_FIXED1 (0x00000fffu | CR4_VMXE)   /* the CR4 bits trapsim takes */
/* Allowed settings of a control: the bits that must be 1, the bits that may be 1. */
typedef struct vmx_allowed { uint32_t must1, may1; } vmx_allowed_t;
extern const vmx_allowed_t vmx_pin_allowed, vmx_proc_allowed, vmx_proc2_allowed,
                           vmx_exit_allowed, vmx_entry_allowed;
/* RDMSR of the VMX MSRs: 1 and *v when `msr` is one of them, else 0. */
int vmx_rdmsr(const struct cpu *c, uint32_t msr, uint64_t *v);
/* WRMSR of IA32_FEATURE_CONTROL: 1 when handled (0 or a #GP raised in
 * *fault), 0 for another MSR. */
int vmx_wrmsr(struct cpu *c, uint32_t msr, uint64_t v, int *fault);

/* A write of `*v` to CR0 or CR4 in VMX operation (isa/protect.c): in
 * non-root operation the bits the host owns keep their value; then the
 * fixed bits: 0, or #GP(0) raised. */
int vmx_cr_write(struct cpu *c, int cr, uint32_t *v);

/* ---- the VMX state of a CPU ---- */
typedef struct vmx_cpu {
    uint8_t  on;              /* in VMX operation (VMXON, no VMXOFF since) */
    uint8_t  nonroot;         /* in VMX non-root operation: a guest runs */
    uint8_t  blocking;        /* BLOCK_STI / BLOCK_MOV_SS in effect for the instruction
                               * executing now (the run loop sets it, VM exits save it) */
    uint8_t  injecting;       /* VM entry is delivering its event: not subject to the exception bitmap */
    uint32_t vmxon_ptr;       /* physical address of the VMXON region */
    uint64_t vmcs_ptr;        /* current-VMCS pointer, VMCS_NONE when invalid */
    uint64_t feature_control; /* IA32_FEATURE_CONTROL (0 at reset: no firmware locked it) */
    /* The current VMCS's execution and exit controls as the last VM entry
     * read them: what non-root operation consults at every intercept. */
    uint32_t pin, proc, proc2, exc_bitmap, pf_mask, pf_match, exit_ctls;
    uint32_t cr0_mask, cr4_mask, cr0_shadow, cr4_shadow, cr3_count, cr3_target[4];
    uint32_t io_bitmap[2], msr_bitmap;
    uint64_t tsc_offset;
} vmx_cpu_t;

/* In non-root operation with external-interrupt exiting: RFLAGS.IF does
 * not block external interrupts, each one exits (SDM 25.4.1). */
static inline int vmx_extint_exits(const vmx_cpu_t *v)
{
    return v->nonroot && (v->pin & PIN_EXTINT_EXITING);
}

#endif
