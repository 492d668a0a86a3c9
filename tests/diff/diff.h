/* Differential test of trapsim's CPU against the host CPU (issue 3, item 6).
 *
 * A case is a short random ring-3 instruction sequence (gen.c) with its
 * initial registers and memory.  It runs natively in a 32-bit child under
 * ptrace (native.c, child32.c) and through `trapsim raw` (simrun.c); the
 * final registers, EFLAGS (minus the flags the SDM leaves undefined), memory
 * and stop kind are compared (difftest.c).
 *
 * Memory map, the same in both worlds (trapsim: --load/--mem/--dump):
 *   CODE_BASE  code, ending in int3                 (native: rwx, 64 KiB)
 *   DATA_BASE  data area, random initial bytes      (native: rw, DATA_SIZE)
 *   STACK_LO..STACK_TOP  stack, random near the initial ESP, zero elsewhere
 *   LOW_BASE   data for 16-bit addressing (0x67)    (native: rw, LOW_SIZE;
 *              only when the host lets us map it: see native_open)
 * Nothing else is mapped natively, so an access that escapes these areas
 * shows up as a native page fault (a harness bug, reported as such). */
#ifndef TRAPSIM_DIFF_H
#define TRAPSIM_DIFF_H
#include <stdint.h>
#include <stdio.h>

#include "tests/diff/refkernel/batch.h"   /* the memory map, shared with the QEMU reference */

/* EFLAGS bits */
#define F_CF   0x00000001u
#define F_B1   0x00000002u
#define F_PF   0x00000004u
#define F_AF   0x00000010u
#define F_ZF   0x00000040u
#define F_SF   0x00000080u
#define F_TF   0x00000100u
#define F_IF   0x00000200u
#define F_DF   0x00000400u
#define F_OF   0x00000800u
#define F_IOPL 0x00003000u
#define F_NT   0x00004000u
#define F_RF   0x00010000u
#define F_VM   0x00020000u
#define F_AC   0x00040000u
#define F_VIF  0x00080000u
#define F_VIP  0x00100000u
#define F_ID   0x00200000u
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
/* Never compared: RF (the kernel and trapsim differ on when it shows), ID
 * (toggles natively; whether trapsim's CPU model lets it toggle is not this
 * test's business), VIP/VIF (not settable from ring 3 in either world). */
#define F_NEVER (F_RF | F_ID | F_VIP | F_VIF)

/* Register order used everywhere here: trapsim's output order. */
enum { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP, NREGS };
extern const char *const reg_names[NREGS];

#define MAX_INSNS 1024

/* One generated instruction (a setup instruction counts too). */
typedef struct dinsn {
    uint16_t off, len;      /* offset in the code, length in bytes */
    uint32_t kill;          /* arithmetic flags it surely defines */
    uint32_t gen;           /* arithmetic flags it may leave undefined */
    uint32_t reads;         /* arithmetic flags it reads */
    int32_t succ[2];        /* explicit successors (code offsets), -1: none */
    uint8_t nofall;         /* no fall-through (jmp, ret) */
    uint8_t terminal;       /* expected to stop the run (int3, #GP, ...) */
    uint32_t undef;         /* filled by the dataflow: flags undefined before it */
    const char *what;       /* generator's name for it, for reports */
} dinsn_t;

typedef struct dcase {
    uint64_t seed, index;
    uint32_t regs[NREGS];   /* initial registers */
    uint32_t eflags;        /* initial EFLAGS */
    uint8_t code[CODE_MAX];
    uint32_t code_len;
    uint8_t data[DATA_SIZE];
    uint8_t stack[STACK_SIZE];   /* initial contents of STACK_LO.. */
    uint32_t stack_init_lo, stack_init_hi;  /* range of stack[] not zero */
    uint8_t low[LOW_SIZE];
    int uses_low;           /* the case touches the LOW area (16-bit addressing) */
    int ninsns;
    dinsn_t insns[MAX_INSNS];
    uint32_t classes[4];    /* bit set of instruction classes used (coverage) */
    /* The machine around the case.  IOPL and IF are in eflags.  The native
     * reference can run only cpl 3 with cr0/cr4 at their defaults and
     * std_tables 0; the QEMU reference kernel runs every combination. */
    uint8_t cpl;            /* 0..3 (trapsim raw --ring) */
    uint8_t std_tables;     /* 1: the standard descriptor tables of app/raw_tables.h
                               (trapsim raw --tables std) */
    uint32_t cr0, cr4;      /* initial CR0 (PE|ET at least, never PG) and CR4 */
} dcase_t;

enum stop_kind { STOP_NONE, STOP_INT3, STOP_INT, STOP_EXC, STOP_HLT,
                 STOP_BUDGET, STOP_HARNESS };
extern const char *const stop_names[];

typedef struct dresult {
    uint32_t regs[NREGS];
    uint32_t eip, eflags;
    int stop;               /* enum stop_kind */
    int vector;             /* STOP_INT, STOP_EXC */
    int has_error;
    uint32_t error;
    int has_icount;
    uint64_t icount;
    uint8_t data[DATA_SIZE];
    uint8_t stack[STACK_SIZE];
    uint8_t low[LOW_SIZE];
    char note[256];         /* harness problem (STOP_HARNESS), or extra info */
} dresult_t;

/* gen.c */
typedef struct gen_opts {
    int low_ok;             /* may use the LOW area (16-bit addressing) */
    int max_len;            /* random instructions per case (upper bound) */
    int allow_div_fault;    /* DIV/IDIV/AAM may raise #DE */
    int allow_priv;         /* end some cases with a privileged instruction */
    uint32_t skip[4];       /* instruction classes not to generate (bit per class) */
    int any_ring;           /* 0: cpl 3, CR0 0x11, CR4 0, flat tables (what the
                               native reference runs); 1: every machine (CPL
                               0-3, IOPL, IF, CR0/CR4 bits, standard tables) */
} gen_opts_t;
void gen_default_opts(gen_opts_t *o);
void gen_case(const gen_opts_t *o, uint64_t seed, uint64_t index, dcase_t *c);
/* Recomputes insns[].undef (flags undefined before each instruction) and
 * returns the number of instructions that read a flag that may be undefined
 * (0 for a correct generator); describes the first into msg. */
int gen_flow(dcase_t *c, char *msg, size_t msglen);
/* Flags undefined at the stop described by r (int3, fault or trap). */
uint32_t gen_undef_at_stop(const dcase_t *c, const dresult_t *r);
/* Names of the instruction classes, for the coverage summary. */
int gen_nclasses(void);
const char *gen_class_name(int cls);
int gen_class_any_ring_only(int cls);
/* Class number by name (case-insensitive), or -1. */
int gen_class_by_name(const char *name);

/* native.c: a persistent 32-bit child under ptrace. */
typedef struct native native_t;
native_t *native_open(const char *child_path, char *err, size_t errlen);
int native_low_ok(const native_t *n);
void native_run(native_t *n, const dcase_t *c, dresult_t *r);
void native_close(native_t *n);

/* The instructions of c around code offset off: the one ending there
 * (*before) and the one starting there (*at), NULL if none; a case without
 * an instruction table (--code) gets guesses from the bytes, kept in tmp. */
void case_insns_around(const dcase_t *c, uint32_t off, dinsn_t tmp[2],
                       const dinsn_t **before, const dinsn_t **at);
/* `int N` (CD ib): N, or -1. */
int case_int_n(const dcase_t *c, const dinsn_t *in);

/* qemu.c: the QEMU reference, a batch of cases per boot of the reference
 * kernel (refkernel/).  qemu_begin, qemu_add each case, qemu_run, then
 * qemu_result for each case again, in the same order. */
typedef struct qemu qemu_t;
qemu_t *qemu_open(const char *qemu, const char *kernel, const char *dir,
                  char *err, size_t errlen);
void qemu_begin(qemu_t *q);
void qemu_add(qemu_t *q, const dcase_t *c);
void qemu_run(qemu_t *q);
void qemu_result(qemu_t *q, uint32_t pos, const dcase_t *c, dresult_t *r);
int qemu_boots(const qemu_t *q);
/* An x86 prefix byte (operand/address size, LOCK, REP, segment). */
int x86_is_prefix(uint8_t b);
void qemu_close(qemu_t *q);

/* simrun.c: one `trapsim raw` run. */
void sim_run(const char *trapsim, const dcase_t *c, const char *tmpdir,
             dresult_t *r);
/* The trapsim command line for a case (for replay), written to f; with
 * abbrev, long --mem values are shortened. */
void sim_print_cmd(FILE *f, const char *trapsim, const dcase_t *c,
                   const char *codefile, int abbrev);
int write_code_file(const dcase_t *c, const char *path);

#endif
