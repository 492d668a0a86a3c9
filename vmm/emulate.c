/* Emulating a trapped instruction: the guest ran a sensitive instruction in
 * ring 1 or 3, the CPU raised #GP, and the VMM now runs the same
 * instruction, with the ordinary IA-32 semantics, on the guest's virtual CPU
 * (its virtual CPL, IF, IOPL, descriptor tables, control registers and
 * devices). If it would fault there too, the guest gets that fault;
 * otherwise the guest resumes after it, none the wiser. */
#include <string.h>
#include "vmm/vmm_int.h"
#include "cpu/names.h"

/* The STI shadow: an interrupt the emulated STI enabled comes after the next
 * instruction (so "sti; hlt" waits as on hardware). */
void vmm_sti_shadow_end(void *ctx, machine_t *m)
{
    vmm_t *v = ctx;
    (void)m;
    v->sti_shadow = 0;
    vmm_try_inject(v);
}

/* What an emulation changed in the virtual CPU, for the trace. */
static void describe(const vmm_t *v, const isa_insn_t *insn, int old_vif, int old_viopl, int old_vcpl,
                     char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
#define ADD(...) do { if (k < n) k += (size_t)snprintf(buf + k, n - k, __VA_ARGS__); } while (0)
    switch (insn->row) {
    case ROW_LIDT: ADD("guest IDTR := %08x/%04x (virtual: the real IDTR stays the VMM's)",
                       v->vcpu.idtr.base, v->vcpu.idtr.limit); break;
    case ROW_LGDT: ADD("guest GDTR := %08x/%04x (virtual: the shadow GDT follows it)",
                       v->vcpu.gdtr.base, v->vcpu.gdtr.limit); break;
    case ROW_LTR:  ADD("guest TR := %04x (virtual)", v->vcpu.tr.sel); break;
    case ROW_LLDT: ADD("guest LDTR := %04x (virtual)", v->vcpu.ldtr.sel); break;
    case ROW_MOV_CdRd: case ROW_LMSW: case ROW_CLTS:
        ADD("guest CR0 %08x CR3 %08x CR4 %08x (virtual)", v->vcpu.cr0, v->vcpu.cr3, v->vcpu.cr4); break;
    case ROW_PUSH_CS: case ROW_PUSH_SS: case ROW_PUSH_DS: case ROW_PUSH_ES: case ROW_PUSH_FS:
    case ROW_PUSH_GS: case ROW_PUSHF: {
        const struct cpu *c = &v->m->cpu;
        ADD("pushed %08x", vmm_guest_word(v, c->seg[SEG_SS].base + c->reg[ESP], insn->opsize));
        if (insn->row == ROW_PUSHF)
            ADD(" (virtual IF %d, IOPL %d)", vmm_vif(v), vmm_viopl(v));
        break;
    }
    case ROW_POPF: {   /* what it popped and what it set, the virtual IF with them */
        const struct cpu *c = &v->m->cpu;
        ADD("popped %08x: EFLAGS := %08x (IOPL %d)",
            vmm_guest_word(v, c->seg[SEG_SS].base + c->reg[ESP] - insn->opsize, insn->opsize),
            v->vcpu.eflags, vmm_viopl(v));
        if (old_vif == vmm_vif(v))
            ADD(", virtual IF stays %d", vmm_vif(v));
        break;
    }
    case ROW_POP_DS: case ROW_POP_ES: case ROW_POP_FS: case ROW_POP_GS: case ROW_POP_SS:
    case ROW_MOV_SwEw: case ROW_LSS: case ROW_LDS: case ROW_LES: case ROW_LFS: case ROW_LGS: {
        static const char *const names[6] = { "es", "cs", "ss", "ds", "fs", "gs" };
        int s = insn->row == ROW_MOV_SwEw ? insn->reg : insn->row == ROW_LSS ? SEG_SS
              : insn->row == ROW_LDS ? SEG_DS : insn->row == ROW_LES ? SEG_ES
              : insn->row == ROW_LFS ? SEG_FS : insn->row == ROW_LGS ? SEG_GS : insn->op[0].reg;
        ADD("%%%s := %04x (from the guest's GDT; runs as %04x)", names[s],
            s == SEG_SS || s == SEG_CS ? (v->m->cpu.seg[s].sel & ~3u) | v->vcpu.cpl : v->m->cpu.seg[s].sel,
            v->m->cpu.seg[s].sel);
        break;
    }
    default: break;
    }
    if (old_vif != vmm_vif(v))
        ADD("%svirtual IF := %d", k ? ", " : "", vmm_vif(v));
    if (old_viopl != vmm_viopl(v))
        ADD("%svirtual IOPL := %d", k ? ", " : "", vmm_viopl(v));
    if (old_vcpl != v->vcpu.cpl)
        ADD("%sguest ring %d -> %d (real ring %d)", k ? ", " : "", old_vcpl, v->vcpu.cpl, vmm_real_ring(v->vcpu.cpl));
    if (!k && (insn->row == ROW_CLI || insn->row == ROW_STI))
        ADD("virtual IF stays %d", vmm_vif(v));
    else if (!k && insn->row == ROW_HLT)
        ADD("HLT with virtual IF %d", vmm_vif(v));
    else if (!k)
        ADD("done on the virtual CPU (guest ring %d)", v->vcpu.cpl);
#undef ADD
}

void vmm_reflect(vmm_t *v, int vector, int has_error, uint32_t error, uint32_t at)
{
    v->reflected[vector & 31]++;
    vmm_forward(v, vector, DK_EXCEPTION, has_error, error, at);
}

void vmm_emulate(vmm_t *v, uint32_t eip, int vector, uint32_t error)
{
    machine_t *m = v->m;
    isa_insn_t scratch;
    const isa_insn_t *cached;
    if (machine_fetch_decode(m, &scratch, &cached) || cached->row == ROW_INVALID ||
        !(isa_row_is_sensitive(&isa_rows[cached->row]) || cached->row == ROW_RDTSC)) {
        /* (RDTSC: it faults in ring 1 and 2 when the guest set CR4.TSD,
         * which the real CR4 carries; the guest's CPL decides) */
        /* not a sensitive instruction: the guest's own fault */
        vmm_trace(v, VA_REFLECT, vector, "%s(0x%04x) is the guest's own fault: to its handler",
                  exc_name(vector), error);
        vmm_reflect(v, vector, 1, error, eip);
        return;
    }
    vmm_emulate_insn(v, cached, eip);
}

void vmm_emulate_insn(vmm_t *v, const isa_insn_t *decoded, uint32_t eip)
{
    machine_t *m = v->m;
    struct cpu *c = &m->cpu;
    isa_insn_t insn = *decoded;   /* a copy: emulation may write guest memory and drop the cache entry */
    char text[96] = "";
    if (trace_text_on(&m->trace, TL_VMM))
        isa_disasm(&insn, eip, text, sizeof text);
    int ring = c->cpl, old_vif = vmm_vif(v), old_viopl = vmm_viopl(v), old_vcpl = v->vcpu.cpl;
    int single_step = (c->eflags & FL_TF) != 0;   /* the guest's TF as the instruction starts */
    dtr_t old_gdtr = v->vcpu.gdtr;

    vmm_vcpu_load(v);
    isa_result_t r = isa_execute(&v->vcpu, &insn);
    vmm_vcpu_store(v);

    if (r == ISA_FAULT) {
        vmm_trace(v, VA_EMULATE, c->exc_vector, "%s faults at guest ring %d too: %s to the guest", text,
                  v->vcpu.cpl, exc_name(c->exc_vector));
        vmm_reflect(v, c->exc_vector, c->exc_has_error, c->exc_error, eip);
        return;
    }
    if (r == ISA_STOP) {
        machine_stop(m, STOP_UNMODELLED, "%s, at %04x:%08x (guest under the VMM)", c->stop_reason,
                     c->seg[SEG_CS].sel, eip);
        return;
    }
    int single_step_trap = machine_retire(m, &insn, ring, r, single_step);
    if (r == ISA_PAUSE) {
        /* a long REP string instruction ran one chunk: not retired, EIP
         * still at it, so the guest runs it (and traps) again */
        vmm_trace(v, VA_EMULATE, -1, "%s: paused after a chunk, count %08x left; the guest runs it again",
                  text, c->reg[ECX]);
        return;
    }
    /* the guest's instruction retired */
    v->emulated[insn.row]++;
    if (trace_on(&m->trace, TL_VMM)) {
        char what[200];
        what[0] = '\0';   /* not = "": that would clear 200 bytes on every counted emulation */
        if (trace_text_on(&m->trace, TL_VMM))
            describe(v, &insn, old_vif, old_viopl, old_vcpl, what, sizeof what);
        vmm_trace(v, VA_EMULATE, -1, "%s: %s", text, what);
    }
    if (old_gdtr.base != v->vcpu.gdtr.base || old_gdtr.limit != v->vcpu.gdtr.limit)   /* not memcmp: padding */
        vmm_shadow_gdt_sync(v, 1);
    if (insn.row == ROW_LIDT)
        shadow_idt_rebuild(v);
    if (r == ISA_SOFTINT) {
        vmm_forward(v, c->exc_vector, DK_SOFTWARE, 0, 0, eip);
    } else if (r == ISA_HALT) {
        if (!vmm_vif(v)) {
            machine_stop(m, STOP_HALTED, "halted for ever: the guest executed HLT at %04x:%08x with its "
                         "virtual IF = 0, so no interrupt will wake it%s", c->seg[SEG_CS].sel, eip,
                         v->expose_pg ? " (see the pg lines: a POPF that could not set IF?)" : "");
            return;
        }
        v->guest_halted = 1;
        vmm_trace(v, VA_EMULATE, -1, "the guest waits for an interrupt (virtual IF = 1)");
    } else if (insn.row == ROW_STI && !old_vif && vmm_vif(v)) {
        v->sti_shadow = 1;
        hv_request_step_end(m);
    }
    if (single_step_trap && m->stop == STOP_NONE) {
        /* the guest's single-step trap after the emulated instruction, as
         * the machine raises it after one that ran directly */
        c->dr[6] |= DR6_BS;
        vmm_forward(v, EXC_DB, DK_EXCEPTION, 0, 0, c->eip);
    }
}
