/* The fast path's side of isa/, for the run loop in cpu/run.c: a specialised
 * handler chosen once per decoded instruction (when the decoded-instruction
 * cache stores it), and arithmetic flags kept lazily while such handlers run
 * back to back. Like access.h, shared by isa/ and cpu/.
 *
 * Only innocuous instructions get a fast handler: they need no privilege
 * check in any profile, cannot change CPL, CS, IF, TF or the interrupt
 * shadow, and do not read virtual time. A fast handler does exactly what
 * isa_execute() would do with EIP already advanced, except that it may leave
 * the arithmetic flags in an isa_lazy_t instead of EFLAGS; the run loop
 * writes them back (isa_flags_materialize) before anything else can look at
 * EFLAGS, so every observer sees what the general path gives. */
#ifndef TRAPSIM_EXEC_FAST_H
#define TRAPSIM_EXEC_FAST_H
#include "isa/arch.h"

/* The arithmetic flags (CF PF AF ZF SF OF) as the last flag-setting
 * operation left them: `op` says which operation and operand size, `a` and
 * `b` its operands, `r` its result. LF_NONE: EFLAGS holds them. */
typedef struct isa_lazy {
    uint32_t op;
    uint32_t a, b, r;
} isa_lazy_t;
enum { LF_NONE = 0 };

/* Runs with EIP already past the instruction, as in isa_execute(). Returns
 * ISA_OK when it left EIP there, ISA_FAST_JUMP when it moved it (a
 * retired control transfer), or ISA_FAULT with the state as before but EIP,
 * which the caller puts back (as after ISA_FAST_NONE). */
enum { ISA_FAST_NONE = -1, ISA_FAST_JUMP = -2 };
typedef int (*isa_fast_fn)(struct cpu *c, const isa_insn_t *i, isa_lazy_t *lf);

/* The fast handler for a decoded instruction, or isa_fast_none when it must
 * go through isa_execute(). Depends only on the decoded instruction. */
isa_fast_fn isa_fast_handler(const isa_insn_t *i);

/* Does nothing and returns ISA_FAST_NONE, so that the run loop needs no
 * test of its own for instructions without a fast handler. */
int isa_fast_none(struct cpu *c, const isa_insn_t *i, isa_lazy_t *lf);

void isa_flags_materialize_slow(struct cpu *c, isa_lazy_t *lf);

/* Computes the lazy flags into c->eflags; afterwards lf->op == LF_NONE. */
static inline void isa_flags_materialize(struct cpu *c, isa_lazy_t *lf)
{
    if (lf->op != LF_NONE)
        isa_flags_materialize_slow(c, lf);
}

#endif
