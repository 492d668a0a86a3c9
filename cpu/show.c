/* A CPU's state and tables as people read them (cpu/show.h). */
#include <string.h>
#include "cpu/names.h"
#include "cpu/show.h"
#include "isa/access.h"

/* Appends to buf[0..size) at n, keeping what fits. */
#define APPEND(...) do { if (n < size) { int w_ = snprintf(buf + n, size - n, __VA_ARGS__); \
                             if (w_ > 0) n = n + (size_t)w_ < size ? n + (size_t)w_ : size - 1; } } while (0)

/* The byte at physical address a as c reaches it, or -1 where no memory is. */
static int byte_at(const struct cpu *c, uint32_t a)
{
    if (a < c->ram_size)
        return c->ram[a];
    if (a - c->bus.top_base < c->bus.top_size)
        return c->bus.top_mem[a - c->bus.top_base];
    return -1;
}

int show_read32(const struct cpu *c, uint32_t a, uint32_t *v)
{
    uint32_t x = 0;
    for (int k = 0; k < 4; k++) {
        int b = byte_at(c, a + (uint32_t)k);
        if (b < 0)
            return -1;
        x |= (uint32_t)b << (8 * k);
    }
    *v = x;
    return 0;
}

static int read16(const struct cpu *c, uint32_t a, uint32_t *v)
{
    int lo = byte_at(c, a), hi = byte_at(c, a + 1);
    if (lo < 0 || hi < 0)
        return -1;
    *v = (uint32_t)(lo | hi << 8);
    return 0;
}

typedef struct bit_name { uint32_t bit; const char *name; } bit_name_t;

/* "[ A B ]": the names of the bits set in v */
static size_t bit_names(uint32_t v, const bit_name_t *names, size_t count, char *buf, size_t size)
{
    size_t n = 0;
    APPEND("[");
    for (size_t k = 0; k < count; k++)
        if (v & names[k].bit)
            APPEND(" %s", names[k].name);
    APPEND(" ]");
    return n;
}

int show_flags_str(uint32_t fl, char *buf, size_t size)
{
    static const bit_name_t names[] = {
        { FL_CF, "CF" }, { FL_PF, "PF" }, { FL_AF, "AF" }, { FL_ZF, "ZF" }, { FL_SF, "SF" },
        { FL_TF, "TF" }, { FL_IF, "IF" }, { FL_DF, "DF" }, { FL_OF, "OF" }, { FL_NT, "NT" },
        { FL_RF, "RF" }, { FL_VM, "VM" }, { FL_AC, "AC" }, { FL_VIF, "VIF" }, { FL_VIP, "VIP" },
        { FL_ID, "ID" },
    };
    size_t n = bit_names(fl, names, sizeof names / sizeof names[0], buf, size);
    APPEND(" iopl=%u", IOPL_OF(fl));
    return (int)n;
}

int show_cr0_str(uint32_t cr0, char *buf, size_t size)
{
    static const bit_name_t names[] = {
        { CR0_PE, "PE" }, { CR0_MP, "MP" }, { CR0_EM, "EM" }, { CR0_TS, "TS" }, { CR0_ET, "ET" },
        { CR0_NE, "NE" }, { CR0_WP, "WP" }, { CR0_AM, "AM" }, { CR0_NW, "NW" }, { CR0_CD, "CD" },
        { CR0_PG, "PG" },
    };
    return (int)bit_names(cr0, names, sizeof names / sizeof names[0], buf, size);
}

/* "code r-x 32-bit", "data rw- expand-down 16-bit", "tss32 busy", + " not-present" */
static int seg_kind(uint8_t a, uint8_t flags, char *buf, size_t size)
{
    int n;
    if (!DESC_S(a)) {
        static const char *const sys[16] = {
            [1] = "tss16", [2] = "ldt", [3] = "tss16 busy", [4] = "callgate16", [5] = "taskgate",
            [6] = "intgate16", [7] = "trapgate16", [9] = "tss32", [11] = "tss32 busy",
            [12] = "callgate32", [14] = "intgate32", [15] = "trapgate32",
        };
        n = snprintf(buf, size, "%s", sys[DESC_TYPE(a)] ? sys[DESC_TYPE(a)] : "system");
    } else if (DESC_CODE(a)) {
        n = snprintf(buf, size, "code %s%s %d-bit", DESC_READABLE(a) ? "r-x" : "--x",
                     DESC_CONFORMING(a) ? " conforming" : "", DESC_DB(flags) ? 32 : 16);
    } else {
        n = snprintf(buf, size, "data %s%s %d-bit", DESC_WRITABLE(a) ? "rw-" : "r--",
                     DESC_EXPDOWN(a) ? " expand-down" : "", DESC_DB(flags) ? 32 : 16);
    }
    if (!DESC_P(a) && n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, " not-present");
    return n;
}

void show_seg(const char *name, const seg_cache_t *s, FILE *out)
{
    fprintf(out, "  %-4s %04x", name, s->sel);
    if (!s->usable) {
        fprintf(out, "  (null: unusable)\n");
        return;
    }
    char kind[64];
    seg_kind(s->access, s->flags, kind, sizeof kind);
    fprintf(out, "  base=%08x limit=%08x dpl=%d %s\n", s->base, s->limit, DESC_DPL(s->access), kind);
}

void show_regs(const struct cpu *c, int halted, const symtab_t *syms, FILE *out)
{
    static const char *const segname[6] = { "es", "cs", "ss", "ds", "fs", "gs" };
    static const int segorder[6] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
    char sym[96];
    fprintf(out, "registers at icount %llu:\n", (unsigned long long)c->icount);
    fprintf(out, "  eax=%08x ecx=%08x edx=%08x ebx=%08x\n", c->reg[EAX], c->reg[ECX], c->reg[EDX], c->reg[EBX]);
    fprintf(out, "  esp=%08x ebp=%08x esi=%08x edi=%08x\n", c->reg[ESP], c->reg[EBP], c->reg[ESI], c->reg[EDI]);
    char fl[96];
    show_flags_str(c->eflags, fl, sizeof fl);
    fprintf(out, "  eip=%08x eflags=%08x %s", c->eip, c->eflags, fl);
    symtab_format(syms, c->seg[SEG_CS].base + c->eip, sym, sizeof sym);
    fprintf(out, "  cpl=%d%s%s%s\n", c->cpl, halted ? "  (halted: waiting for an interrupt)" : "",
            sym[0] ? "  eip" : "", sym);
    for (int k = 0; k < 6; k++)
        show_seg(segname[segorder[k]], &c->seg[segorder[k]], out);
    show_cr0_str(c->cr0, fl, sizeof fl);
    fprintf(out, "  cr0=%08x %s", c->cr0, fl);
    fprintf(out, " cr2=%08x cr3=%08x cr4=%08x [", c->cr2, c->cr3, c->cr4);
    if (c->cr4 & CR4_TSD) fputs(" TSD", out);
    if (c->cr4 & CR4_DE) fputs(" DE", out);
    if (c->cr4 & CR4_UMIP) fputs(" UMIP", out);
    if (c->cr4 & CR4_VMXE) fputs(" VMXE", out);
    fputs(" ]\n", out);
    fprintf(out, "  gdtr base=%08x limit=%04x   idtr base=%08x limit=%04x\n",
            c->gdtr.base, c->gdtr.limit, c->idtr.base, c->idtr.limit);
    show_seg("tr", &c->tr, out);
    show_seg("ldtr", &c->ldtr, out);
    if (c->vmx.on)
        fprintf(out, "  vmx  %s operation (v: the VMCS)\n", c->vmx.nonroot ? "non-root" : "root");
}

int show_desc(uint32_t lo, uint32_t hi, char *buf, size_t size)
{
    seg_cache_t s;
    desc_to_cache(&s, 0, lo, hi);
    char kind[64];
    seg_kind(s.access, s.flags, kind, sizeof kind);
    return snprintf(buf, size, "base=%08x limit=%08x dpl=%d %s", s.base, s.limit, DESC_DPL(s.access), kind);
}

int show_gate(uint32_t lo, uint32_t hi, const symtab_t *syms, char *buf, size_t size)
{
    uint8_t acc = (uint8_t)(hi >> 8);
    const char *type;
    switch (DESC_S(acc) ? -1 : DESC_TYPE(acc)) {
    case 5: type = "task"; break;
    case 6: type = "int16"; break;
    case 7: type = "trap16"; break;
    case 14: type = "int32"; break;
    case 15: type = "trap32"; break;
    default: type = "invalid"; break;
    }
    uint32_t off = (lo & 0xffff) | (hi & 0xffff0000u);
    char sym[96];
    /* the handler's address is linear only through a flat code segment; the
     * guest kernel's are */
    symtab_format(syms, off, sym, sizeof sym);
    return snprintf(buf, size, "%-7s %04x:%08x dpl=%d%s%s", type, (unsigned)(lo >> 16), off, DESC_DPL(acc),
                    DESC_P(acc) ? "" : " not-present", sym);
}

void show_idt(const struct cpu *c, const char *title, int vector, const symtab_t *syms, FILE *out)
{
    uint32_t n = ((uint32_t)c->idtr.limit + 1) / 8;
    if (n > 256)
        n = 256;
    fprintf(out, "IDT (%s): base=%08x limit=%04x, %u gate%s\n", title, c->idtr.base, c->idtr.limit, n,
            n == 1 ? "" : "s");
    if (c->idtr.limit == 0) {
        fprintf(out, "  (empty: no LIDT yet, any event would triple-fault)\n");
        return;
    }
    if (vector >= 0 && (uint32_t)vector >= n) {
        fprintf(out, "  0x%02x  (beyond the IDT's limit: its delivery is a #GP)\n", vector);
        return;
    }
    int absent = 0;
    for (uint32_t v = vector < 0 ? 0 : (uint32_t)vector; v < n; v++) {
        uint32_t lo, hi;
        uint32_t a = c->idtr.base + v * 8;
        if (show_read32(c, a, &lo) || show_read32(c, a + 4, &hi)) {
            fprintf(out, "  0x%02x  (no memory at %08x)\n", v, a);
        } else if (!DESC_P((uint8_t)(hi >> 8)) && vector < 0) {
            absent++;
        } else {
            char gate[160];
            show_gate(lo, hi, syms, gate, sizeof gate);
            const char *name = v <= EXC_LAST_NAMED ? exc_name((int)v) : "";
            fprintf(out, "  0x%02x  %s%s%s\n", v, gate, name[0] ? "  " : "", name);
        }
        if (vector >= 0)
            break;
    }
    if (absent)
        fprintf(out, "  (%d gate%s not present)\n", absent, absent == 1 ? "" : "s");
}

void show_gdt(const struct cpu *c, const char *title, FILE *out)
{
    uint32_t n = ((uint32_t)c->gdtr.limit + 1) / 8;
    fprintf(out, "GDT (%s): base=%08x limit=%04x, %u descriptor%s\n", title, c->gdtr.base, c->gdtr.limit, n,
            n == 1 ? "" : "s");
    int shown = 0;
    for (uint32_t k = 1; k < n && k < 8192; k++) {
        uint32_t lo, hi;
        uint32_t a = c->gdtr.base + k * 8;
        if (show_read32(c, a, &lo) || show_read32(c, a + 4, &hi)) {
            fprintf(out, "  %04x  (no memory at %08x)\n", k * 8, a);
            break;
        }
        if (!lo && !hi)
            continue;
        char d[128];
        show_desc(lo, hi, d, sizeof d);
        fprintf(out, "  %04x  %s\n", k * 8, d);
        shown++;
    }
    if (!shown)
        fprintf(out, "  (no descriptor but the null one)\n");
}

void show_tss(const struct cpu *c, const char *title, FILE *out)
{
    const seg_cache_t *tr = &c->tr;
    fprintf(out, "TSS (%s): tr=%04x", title, tr->sel);
    if (!tr->usable || tr->sel == 0) {
        fprintf(out, "  (no LTR yet: no TSS, an interrupt from an outer ring would fault)\n");
        return;
    }
    int t32 = !DESC_S(tr->access) && (DESC_TYPE(tr->access) & 8);
    fprintf(out, " base=%08x limit=%08x %s\n", tr->base, tr->limit, t32 ? "32-bit" : "16-bit (not shown)");
    if (!t32)
        return;
    uint32_t v[26];
    for (int k = 0; k < 26; k++) {
        if (show_read32(c, tr->base + 4u * (uint32_t)k, &v[k])) {
            fprintf(out, "  (no memory at %08x)\n", tr->base + 4u * (uint32_t)k);
            return;
        }
    }
    uint32_t iomap;
    if (read16(c, tr->base + 102, &iomap))
        iomap = 0;
    fprintf(out, "  ss0:esp0=%04x:%08x  ss1:esp1=%04x:%08x  ss2:esp2=%04x:%08x\n", v[2] & 0xffff, v[1],
            v[4] & 0xffff, v[3], v[6] & 0xffff, v[5]);
    fprintf(out, "  link=%04x cr3=%08x eip=%08x eflags=%08x ldt=%04x iomap=%04x\n", v[0] & 0xffff, v[7], v[8],
            v[9], v[24] & 0xffff, iomap);
    fprintf(out, "  eax=%08x ecx=%08x edx=%08x ebx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x\n", v[10], v[11],
            v[12], v[13], v[14], v[15], v[16], v[17]);
    fprintf(out, "  es=%04x cs=%04x ss=%04x ds=%04x fs=%04x gs=%04x\n", v[18] & 0xffff, v[19] & 0xffff,
            v[20] & 0xffff, v[21] & 0xffff, v[22] & 0xffff, v[23] & 0xffff);
}

void show_mem(const struct cpu *c, uint32_t addr, uint32_t len, FILE *out)
{
    for (uint32_t line = 0; line < len; line += 16) {
        uint32_t a = addr + line;
        char ascii[17];
        fprintf(out, "  %08x ", a);
        for (uint32_t k = 0; k < 16; k++) {
            int b = line + k < len ? byte_at(c, a + k) : -2;
            if (b >= 0)
                fprintf(out, "%s%02x", k == 8 ? "  " : " ", b);
            else
                fprintf(out, "%s%s", k == 8 ? "  " : " ", b == -1 ? "--" : "  ");
            ascii[k] = b >= 0x20 && b < 0x7f ? (char)b : b == -2 ? ' ' : '.';
        }
        ascii[16] = 0;
        fprintf(out, "  |%s|\n", ascii);
    }
}

uint32_t show_disasm(const struct cpu *c, uint32_t addr, int code32, int count, const symtab_t *syms, FILE *out)
{
    for (int n = 0; n < count; n++) {
        uint8_t buf[ISA_MAX_LEN];
        int have = 0;
        for (int k = 0; k < ISA_MAX_LEN; k++) {
            int b = byte_at(c, addr + (uint32_t)k);
            buf[k] = b < 0 ? 0 : (uint8_t)b;
            if (b >= 0 && have == k)
                have++;
        }
        if (!have) {
            fprintf(out, "  %08x: (no memory)\n", addr);
            return addr;
        }
        uint32_t off;
        const char *name = symtab_lookup(syms, addr, &off);
        if (name && off == 0)
            fprintf(out, "%s:\n", name);
        isa_insn_t insn;
        isa_decode(buf, (size_t)have, code32, &insn);
        int len = insn.len ? insn.len : 1;
        char dis[128], bytes[3 * ISA_MAX_LEN + 1] = "";
        isa_disasm(&insn, addr, dis, sizeof dis);
        for (int k = 0; k < len && k < 8; k++)
            snprintf(bytes + 3 * k, sizeof bytes - 3 * (size_t)k, "%02x ", buf[k]);
        fprintf(out, "  %08x: %-24s %s\n", addr, bytes, dis);
        addr += (uint32_t)len;
    }
    return addr;
}
