/* Executing one decoded instruction: the checks, in one place and in one
 * order, then the handler. The order is where the profiles differ:
 *   1. undefined encoding            -> #UD
 *   2. the profile's rule (CPL > 0)  -> #GP(0)   (pg: every sensitive instruction)
 *   3. privileged instruction        -> #GP(0)   (CPL > 0)
 *   4. IOPL-sensitive instruction    -> #GP(0)   (CPL > IOPL, no I/O bitmap permission)
 *   5. VMX non-root operation        -> a VM exit, when the instruction causes one
 *                                       (after 1-4: SDM vol. 3C 25.1.1)
 *   6. execute                        (faults leave EIP and ESP as they were) */
#include "isa/exec.h"

const isa_handler_fn isa_handlers[ROW_COUNT] = {
#define X(id, map, op, digit, nops, form, mnem, h, cls, fl) [ROW_##id] = h_##h,
#include "isa/insn.def"
#undef X
};

/* The port and size an I/O instruction touches. */
void isa_io_operands(const struct cpu *c, const isa_insn_t *i, uint16_t *port, int *size)
{
    const isa_row_info_t *ri = &isa_rows[i->row];
    *size = (ri->flags & B) ? 1 : i->opsize;
    if (ri->form == F_ALIb || ri->form == F_AXIb || ri->form == F_IbAL || ri->form == F_IbAX)
        *port = (uint16_t)(i->imm & 0xff);
    else
        *port = (uint16_t)c->reg[EDX];
}

/* Steps 2-4 without the I/O bitmap: whether the instruction raises #GP(0)
 * at `cpl` and `iopl` under profile p. Also what `isa show` prints. */
int isa_privilege_fault(const isa_profile_t *p, const isa_insn_t *i, int cpl, int iopl)
{
    const isa_row_info_t *ri = &isa_rows[i->row];
    if (cpl == 0)
        return 0;
    if (p && p->faults_outside_ring0 && p->faults_outside_ring0(i, ri))
        return 1;
    if (ri->cls == PRIV)
        return 1;
    return ri->cls == IOPL && cpl > iopl && (i->row == ROW_CLI || i->row == ROW_STI);
}

static int check_privilege(struct cpu *c, const isa_insn_t *i, const isa_row_info_t *ri)
{
    if (isa_privilege_fault(c->profile, i, c->cpl, IOPL_OF(c->eflags)))
        return RAISE_GP(c, 0);
    if (ri->cls == IOPL && c->cpl > IOPL_OF(c->eflags) && i->row != ROW_CLI && i->row != ROW_STI) {
        uint16_t port;
        int size;
        isa_io_operands(c, i, &port, &size);
        if (!prot_io_allowed(c, port, size))
            return RAISE_GP(c, 0);
    }
    return 0;
}

isa_result_t isa_execute(struct cpu *c, const isa_insn_t *i)
{
    if (i->row == ROW_INVALID)   /* an x87 escape is #NM when CR0.EM or TS says so (SDM 2.5, table 2-1) */
        return i->x87 && (c->cr0 & (CR0_EM | CR0_TS)) ? raise_exc(c, EXC_NM, 0, 0) : RAISE_UD(c);
    const isa_row_info_t *ri = &isa_rows[i->row];
    if (c->cpl > 0 && ri->cls != INNOC && ri->cls != SINT)
        TRY(check_privilege(c, i, ri));
    if (__builtin_expect(c->vmx.nonroot, 0))
        TRY(isa_vmx_intercept(c, i));
    uint32_t eip = c->eip, esp = c->reg[ESP];
    c->eip = DESC_DB(c->seg[SEG_CS].flags) ? eip + i->len : (eip + i->len) & 0xffff;
    int r = isa_handlers[i->row](c, i);
    if (r == ISA_FAULT) {
        c->eip = eip;
        c->reg[ESP] = esp;
    }
    return (isa_result_t)r;
}

/* Only an instruction that retired traps: not a fault, not a paused REP
 * (it has not finished), not INT n/INT3/INTO/INT1 (their delivery clears TF)
 * nor HLT. A load of SS (MOV, POP, LSS: the shadow they set) holds the trap
 * back to the end of the next instruction, as it holds interrupts (SDM
 * vol. 3 6.8.3); STI's shadow holds interrupts only. */
int isa_single_step_after(const struct cpu *c, const isa_insn_t *i, isa_result_t r)
{
    return r == ISA_OK && !(c->irq_shadow && i->row != ROW_STI);
}

int isa_row_is_sensitive(const isa_row_info_t *row)
{
    return row->cls == PRIV || row->cls == IOPL || row->cls == SCTRL || row->cls == SBEHV;
}
