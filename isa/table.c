/* `trapsim isa show NAME`: the classroom table of sensitive instructions.
 * Which instructions are listed and whether each traps at ring 1 and ring 3
 * come from insn.def and from isa_privilege_fault(), the same check that
 * execution runs, so the table cannot drift from what executes. The notes
 * say what a non-trapping instruction does outside ring 0 on IA-32. */
#include <stdio.h>
#include <string.h>
#include "isa/isa.h"

/* What the instruction does outside ring 0 when it does not trap. */
static const char *row_note(int row)
{
    switch (row) {
    case ROW_PUSHF: return "pushes the real EFLAGS: IF and IOPL as the VMM keeps them";
    case ROW_POPF: return "IF kept silently when CPL > IOPL, IOPL kept when CPL > 0";
    case ROW_IRET: return "as POPF for IF and IOPL; checks at the real CPL";
    case ROW_SGDT: return "stores the real GDTR: where the VMM's GDT is";
    case ROW_SIDT: return "stores the real IDTR: where the VMM's IDT is";
    case ROW_SLDT: return "stores the real LDTR selector";
    case ROW_STR: return "stores the real TR selector: the VMM's TSS";
    case ROW_SMSW: return "stores the real CR0 low word (PE, MP, EM, TS, ET, NE)";
    case ROW_LAR: return "real access rights: DPL 1 where the guest wrote 0";
    case ROW_LSL: return "real limit: the VMM's truncated segment limit";
    case ROW_VERR: case ROW_VERW: return "readability/writability at the real CPL";
    case ROW_MOV_EwSw: return "the selector's real RPL: 1 where the guest expects 0";
    case ROW_PUSH_CS: case ROW_PUSH_SS: case ROW_PUSH_DS: case ROW_PUSH_ES: case ROW_PUSH_FS:
    case ROW_PUSH_GS: return "pushes the selector with its real RPL";
    case ROW_MOV_SwEw: case ROW_POP_SS: case ROW_POP_DS: case ROW_POP_ES: case ROW_POP_FS:
    case ROW_POP_GS: case ROW_LDS: case ROW_LES: case ROW_LFS: case ROW_LGS: case ROW_LSS:
        return "descriptor checks at the real CPL (SS: RPL must equal it)";
    case ROW_CALLF_Ap: case ROW_GFF_CALLF: case ROW_JMPF_Ap: case ROW_GFF_JMPF:
        return "privilege checks against the real CPL and RPLs";
    case ROW_RETF: case ROW_RETF_Iw: return "returns only to the real CPL or outer: RPL 0 frames fault";
    case ROW_CLI: case ROW_STI: return "changes IF when CPL <= IOPL, else #GP(0)";
    case ROW_IN_ALIb: case ROW_IN_AXIb: case ROW_OUT_IbAL: case ROW_OUT_IbAX: case ROW_IN_ALDX:
    case ROW_IN_AXDX: case ROW_OUT_DXAL: case ROW_OUT_DXAX: case ROW_INSB: case ROW_INSV:
    case ROW_OUTSB: case ROW_OUTSV:
        return "port access when CPL <= IOPL or the TSS I/O bitmap allows, else #GP(0)";
    case ROW_INT_Ib: case ROW_INT3: case ROW_INTO:
        return "through the IDT: #GP unless gate DPL >= CPL (every profile)";
    default: return "privileged: #GP(0) outside ring 0";
    }
}

static const char *class_name(int cls)
{
    switch (cls) {
    case PRIV: return "privileged";
    case IOPL: return "IOPL-sensitive";
    case SCTRL: return "sensitive, unprivileged (control)";
    case SBEHV: return "sensitive, unprivileged (behaviour)";
    case SINT: return "software interrupt";
    default: return "innocuous";
    }
}

void isa_row_label(int row, char *buf, size_t n)
{
    const isa_row_info_t *r = &isa_rows[row];
    const char *ops = "";
    switch (r->form) {
    case F_SEG: ops = " %sreg"; break;
    case F_EwSw: ops = " %sreg,r/m"; break;
    case F_SwEw: ops = " r/m,%sreg"; break;
    case F_RdCd: ops = " %crN,r32"; break;
    case F_CdRd: ops = " r32,%crN"; break;
    case F_RdDd: ops = " %drN,r32"; break;
    case F_DdRd: ops = " r32,%drN"; break;
    case F_Ap: ops = " ptr16:32"; break;
    case F_Mp: ops = " *m16:32"; break;
    case F_Ib: if (r->cls == SINT) ops = " $n"; break;
    case F_ALIb: case F_AXIb: case F_ALDX: case F_AXDX: ops = " port"; break;
    case F_IbAL: case F_IbAX: case F_DXAL: case F_DXAX: ops = " port"; break;
    default: break;
    }
    snprintf(buf, n, "%s%s", r->mnem, ops);
}

static const char *behaviour(const isa_profile_t *p, int row, int cpl)
{
    isa_insn_t i;
    memset(&i, 0, sizeof i);
    i.row = (uint16_t)row;
    const isa_row_info_t *r = &isa_rows[row];
    if (r->cls == SINT)
        return "IDT gate";
    /* I/O at CPL > IOPL: the TSS I/O bitmap decides; a VMM gives none */
    if (isa_privilege_fault(p, &i, cpl, 0) || (r->cls == IOPL && cpl > 0))
        return "#GP(0): traps";
    return "runs, no trap";
}

/* The list of sensitive, unprivileged IA-32 instructions as usually quoted
 * from Robin and Irvine (2000), "the 17": it names 18 mnemonics (MOV last).
 * A row of the table carries the number of its name in that list; "+" marks
 * a row the list does not name, explained below the table. */
static const char *const ri_names[] = {
    "sgdt", "sidt", "sldt", "smsw", "pushf", "popf", "lar", "lsl", "verr", "verw",
    "pop", "push", "call", "jmp", "int", "ret", "str", "mov",
};
#define RI_COUNT (int)(sizeof ri_names / sizeof ri_names[0])

/* The number (1..RI_COUNT) of a row's name in the list, 0 when it names none:
 * by the mnemonic, far forms (lcall, ljmp, lret) as their near names. */
static int ri_number(const char *label)
{
    char m[16];
    size_t n = strcspn(label, " ");
    snprintf(m, sizeof m, "%.*s", (int)(n < 15 ? n : 15), label);
    const char *name = strcmp(m, "lcall") == 0 ? "call" : strcmp(m, "ljmp") == 0 ? "jmp"
                     : strcmp(m, "lret") == 0 ? "ret" : strcmp(m, "int3") == 0 || strcmp(m, "into") == 0 ? "int" : m;
    if (strcmp(m, "pop") == 0 || strcmp(m, "push") == 0 || strcmp(m, "mov") == 0)
        name = strstr(label, "%sreg") ? m : "";   /* the segment register forms */
    for (int k = 0; k < RI_COUNT; k++)
        if (strcmp(ri_names[k], name) == 0)
            return k + 1;
    return 0;
}

static void print_section(const isa_profile_t *p, FILE *f, const char *title, int cls_a, int cls_b)
{
    char label[40], seen[ROW_COUNT][40];
    int nseen = 0;
    fprintf(f, "\n%s\n", title);
    for (int row = 0; row < ROW_COUNT; row++) {
        const isa_row_info_t *r = &isa_rows[row];
        if (r->cls != cls_a && r->cls != cls_b)
            continue;
        isa_row_label(row, label, sizeof label);
        int dup = 0;
        for (int k = 0; k < nseen; k++)
            dup |= strcmp(seen[k], label) == 0;
        if (dup)
            continue;
        strcpy(seen[nseen++], label);
        const char *b1 = behaviour(p, row, 1), *b3 = behaviour(p, row, 3);
        int runs = strncmp(b1, "runs", 4) == 0 || strncmp(b3, "runs", 4) == 0 || r->cls == SINT;
        char num[12] = "";
        int ri = ri_number(label);
        if (ri)
            snprintf(num, sizeof num, "%d", ri);
        else if (cls_a == SCTRL)
            snprintf(num, sizeof num, "+");
        fprintf(f, "  %3s %-16s %-36s %-14s %-14s %s\n", num, label, class_name(r->cls), b1, b3,
                runs ? row_note(row) : "");
    }
}

void isa_print_table(const isa_profile_t *p, void *file)
{
    FILE *f = file;
    fprintf(f, "profile %s: %s\n", p->name, p->summary);
    fprintf(f, "ring 1 and ring 3 with IOPL 0 and no I/O bitmap, as a VMM runs a guest\n\n");
    fprintf(f, "  %3s %-16s %-36s %-14s %-14s %s\n", "R&I", "instruction", "class", "ring 1", "ring 3",
            "what it does outside ring 0 when it runs");
    print_section(p, f, "sensitive but unprivileged on IA-32 (Robin and Irvine, 2000):", SCTRL, SBEHV);
    print_section(p, f, "privileged:", PRIV, PRIV);
    print_section(p, f, "privileged relative to IOPL:", IOPL, IOPL);
    print_section(p, f, "software interrupts (enter the supervisor through the IDT in every profile):", SINT, SINT);
    fprintf(f, "\nR&I: the number of the instruction in the list of sensitive, unprivileged IA-32\n"
               "instructions quoted from Robin and Irvine (2000), \"the 17\"; it names %d:\n ", RI_COUNT);
    for (int k = 0; k < RI_COUNT; k++)
        fprintf(f, " %d %s%s", k + 1, ri_names[k], k + 1 < RI_COUNT ? "," : ".\n");
    fputs("A name covers several rows: its operand forms (push/pop/mov of a segment register,\n"
          "near and far call, jmp, ret). The rows marked + are not named in the list but are sensitive\n"
          "for the same reason: les, lds, lss, lfs, lgs load a segment register with the checks of\n"
          "mov and pop; iret restores IF and IOPL as popf does and returns as ret does. int (15) is\n"
          "sensitive only in that it enters the supervisor: it goes through the IDT, so a VMM sees it.\n", f);
}
