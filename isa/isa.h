/* isa: what IA-32 instructions mean.
 *
 * The decoder turns bytes into a self-contained isa_insn_t (cacheable, no
 * pointers into guest memory); isa_execute() runs one decoded instruction on
 * the architectural state (struct cpu, isa/arch.h) under the current
 * semantics profile. Everything an instruction does outside the CPU goes
 * through struct cpu's bus (arch.h), which the CPU's owner provides.
 */
#ifndef TRAPSIM_ISA_H
#define TRAPSIM_ISA_H
#include <stddef.h>
#include <stdint.h>

struct cpu;

/* One row per entry of isa/insn.def. */
typedef enum isa_row {
#define X(id, map, op, digit, nops, form, mnem, h, cls, fl) ROW_##id,
#include "isa/insn.def"
#undef X
    ROW_COUNT,
    ROW_INVALID = 0xffff
} isa_row_t;

/* Operand forms, named as in the SDM's opcode map (Appendix A):
 * E = ModRM r/m, G = ModRM reg, Z = register in the opcode's low 3 bits,
 * I = immediate (Ibs: sign-extended byte), J = relative offset, O = moffs,
 * A = far pointer, M = memory only, S = segment register, C/D = control or
 * debug register, R = register operand of ModRM r/m; b/w/v/z/p/q = sizes. */
typedef enum isa_form {
    F_NONE, F_SEG, F_EbGb, F_EvGv, F_GbEb, F_GvEv, F_EwGw, F_ALIb, F_AXIz,
    F_AXIb, F_IbAL, F_IbAX, F_ALDX, F_AXDX, F_DXAL, F_DXAX, F_Zv, F_AXZv,
    F_ZbIb, F_ZvIv, F_Iz, F_Ib, F_Ibs, F_Iw, F_IwIb, F_Jb, F_Jz, F_Ap,
    F_GvEvIz, F_GvEvIbs, F_EbIb, F_EvIz, F_EvIbs, F_EvIb, F_Eb1, F_Ev1,
    F_EbCL, F_EvCL, F_EvGvIb, F_EvGvCL, F_Eb, F_Ev, F_Ew, F_M, F_Mp, F_Mq,
    F_GvM, F_GvEb, F_GvEw, F_EwSw, F_SwEw, F_ALOb, F_AXOv, F_ObAL, F_OvAX,
    F_RdCd, F_CdRd, F_RdDd, F_DdRd,
    F_EdGd, F_GdEd, F_GdM,   /* VMREAD, VMWRITE, INVEPT/INVVPID: 32-bit whatever the operand size */
    F_COUNT
} isa_form_t;

/* Popek-Goldberg sensitivity of an instruction (see insn.def). */
typedef enum isa_class {
    INNOC,  /* innocuous */
    PRIV,   /* privileged: #GP(0) outside ring 0 */
    IOPL,   /* privileged relative to IOPL: #GP(0) when CPL > IOPL */
    SCTRL,  /* sensitive but unprivileged: control-sensitive */
    SBEHV,  /* sensitive but unprivileged: behaviour-sensitive */
    SINT,   /* software interrupt: enters the supervisor through the IDT */
    VMXI    /* a VMX instruction: its handler checks #UD (outside VMX operation),
             * the VM exit (non-root operation) and #GP(0) (CPL > 0), in the SDM's order */
} isa_class_t;

/* Row flags, see insn.def. NP, P66 and PF3 are the SDM's mandatory-prefix
 * notation: the row is picked only without 66/F2/F3, only with 66, only
 * with F3 (and the prefix is then part of the opcode, not a modifier). */
enum { LK = 1, B = 2, SO = 4, NP = 8, P66 = 16, PF3 = 32 };

typedef struct isa_row_info {
    const char *id;       /* row name, e.g. "POPF" */
    const char *mnem;     /* mnemonic, e.g. "popf" */
    uint8_t map, op, nops;
    int16_t digit;        /* ModRM.reg 0..7, -1, or a whole ModRM byte 0xc0..0xff */
    uint8_t form;         /* isa_form_t */
    uint8_t cls;          /* isa_class_t */
    uint8_t flags;        /* LK, B, SO */
} isa_row_info_t;

extern const isa_row_info_t isa_rows[ROW_COUNT];

/* Operand kinds after decoding. */
enum { OPK_NONE, OPK_REG, OPK_MEM, OPK_IMM };
typedef struct isa_operand {
    uint8_t kind;   /* OPK_* */
    uint8_t size;   /* bytes: 1, 2 or 4 */
    uint8_t reg;    /* OPK_REG: register number 0..7 (8-bit: AL CL DL BL AH CH DH BH) */
} isa_operand_t;

#define ISA_NOREG 8
#define ISA_MAX_LEN 15

/* A decoded instruction: everything execution and disassembly need. */
typedef struct isa_insn {
    uint16_t row;          /* isa_row_t; ROW_INVALID when the bytes are undefined */
    uint8_t  len;          /* bytes, prefixes included */
    uint8_t  opsize;       /* 2 or 4: size of "v" operands */
    uint8_t  adsize;       /* 2 or 4: address size */
    uint8_t  seg;          /* segment of the memory operand (SEG_*), override applied */
    uint8_t  seg_override; /* SEG_* named by a prefix, or SEG_NONE */
    uint8_t  rep;          /* 0, 0xf3 (REP/REPE) or 0xf2 (REPNE) */
    uint8_t  lock;         /* LOCK prefix present */
    uint8_t  opsize_prefix, adsize_prefix;
    uint8_t  opcode;       /* the last opcode byte (condition code, +r register) */
    uint8_t  has_modrm, mod, reg, rm;
    uint8_t  has_mem;      /* a memory operand is present (ModRM mod != 3, or moffs) */
    uint8_t  base, index, scale;   /* effective address: regs or ISA_NOREG; scale is a shift */
    uint32_t disp;
    uint32_t imm;          /* first immediate, sign-extended where the form says */
    uint32_t imm2;         /* ENTER's nesting level; far pointer's selector */
    isa_operand_t op[3];   /* destination, source, third (count or immediate) */
    uint8_t  x87;          /* an x87 escape (D8-DF), decoded as undefined: no FPU here */
} isa_insn_t;

/* Decoding outcome. */
enum { ISA_DECODE_OK = 0, ISA_DECODE_UD = 1, ISA_DECODE_TOOLONG = 2 };

/* Decodes up to `avail` bytes at `bytes` (32-bit code segment when
 * `code32`). Returns ISA_DECODE_OK, ISA_DECODE_UD (undefined encoding:
 * insn->len still says how many bytes were examined) or ISA_DECODE_TOOLONG
 * (more than 15 bytes: #GP(0)). Never reads past `avail`. */
int isa_decode(const uint8_t *bytes, size_t avail, int code32, isa_insn_t *insn);

/* AT&T disassembly as objdump prints it; `eip` is the instruction's address
 * (for relative jump targets). Returns the length of the text. */
int isa_disasm(const isa_insn_t *insn, uint32_t eip, char *buf, size_t bufsize);

/* The mnemonic of a decoded instruction for traces and statistics (e.g.
 * "popf", "lidt", "jne"). */
const char *isa_mnemonic(const isa_insn_t *insn);

/* Results of executing an instruction. */
typedef enum isa_result {
    ISA_OK = 0,     /* retired normally */
    ISA_FAULT,      /* an exception: cpu->exc_* say which; state as before */
    ISA_SOFTINT,    /* INT n / INT3 / INTO / INT1 retired: deliver cpu->exc_vector */
    ISA_HALT,       /* HLT retired */
    ISA_STOP,       /* something not modelled: cpu->stop_reason says what */
    ISA_PAUSE,      /* a REP string instruction stopped after a chunk: not
                       retired, EIP still at it (it goes on when run again) */
    ISA_VMENTER,    /* VMLAUNCH/VMRESUME retired and entered VMX non-root operation */
    ISA_VMEXIT      /* a VM exit (or a failed VM entry) loaded the host state: nothing retired */
} isa_result_t;

/* Kinds of software interrupt (cpu->soft_kind). */
enum { SOFT_INTN, SOFT_INT3, SOFT_INTO, SOFT_INT1 };

/* Executes a decoded instruction at cpu->eip (EIP still points at it). */
isa_result_t isa_execute(struct cpu *c, const isa_insn_t *insn);

/* Whether the single-step trap (#DB, DR6.BS) follows an instruction that
 * started with TF set and ended with `r`, wherever it ran (the machine, or
 * the VMM's emulation): every path that retires an instruction asks this. */
int isa_single_step_after(const struct cpu *c, const isa_insn_t *insn, isa_result_t r);

/* ---- semantics profiles ---- */
typedef struct isa_profile {
    const char *name;     /* as given to --isa */
    const char *summary;  /* one line for `trapsim isa list` */
    /* Called after decoding, before IOPL checks and execution, outside
     * ring 0 only: nonzero means the instruction raises #GP(0) here. */
    int (*faults_outside_ring0)(const isa_insn_t *insn, const isa_row_info_t *row);
    /* Whether CLI/STI/IN/OUT/INS/OUTS follow the IOPL rule (x86) or are
     * privileged outright (pg). */
    int iopl_is_privilege;
} isa_profile_t;

const isa_profile_t *isa_profile_find(const char *name);
/* The registered profiles, NULL-terminated. */
const isa_profile_t *const *isa_profiles(void);

/* Whether instruction i raises #GP(0) from the privilege checks alone at
 * this CPL and IOPL under profile p (the I/O permission bitmap aside). */
int isa_privilege_fault(const isa_profile_t *p, const isa_insn_t *i, int cpl, int iopl);

/* Whether a row is sensitive (privileged, IOPL-sensitive, or sensitive but
 * unprivileged): the instructions a VMM must see. */
int isa_row_is_sensitive(const isa_row_info_t *row);

/* A short name for a row: the mnemonic and, where it tells rows apart,
 * the operands ("push %sreg", "mov r/m,%sreg", "in port"). */
void isa_row_label(int row, char *buf, size_t n);

/* The classroom table of sensitive instructions for `trapsim isa show`. */
void isa_print_table(const isa_profile_t *p, void *file /* FILE* */);

#endif
