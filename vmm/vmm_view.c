/* Trap-and-emulate's views for the debugger (vmm/view.h): the guest's
 * virtual CPU beside the real one, the guest's tables beside the shadow
 * tables, and the VMM's own state. Everything the guest owns is read
 * through the virtual CPU (its RAM only, never the VMM's area); the real
 * tables through the real CPU. */
#include <string.h>
#include "cpu/show.h"
#include "vmm/view.h"
#include "vmm/vmm_int.h"

/* One row of the vcpu table: "  what      virtual           real" */
static void row(FILE *out, const char *what, const char *virt, const char *real)
{
    fprintf(out, "  %-8s %-36s %s\n", what, virt, real);
}

/* A table register of both CPUs: "base=... limit=..." */
static void row_dtr(FILE *out, const char *what, const dtr_t *g, const dtr_t *r)
{
    char a[48], b[48];
    snprintf(a, sizeof a, "base=%08x limit=%04x", g->base, g->limit);
    snprintf(b, sizeof b, "base=%08x limit=%04x", r->base, r->limit);
    row(out, what, a, b);
}

/* A system segment register of both CPUs: "sel base=..." */
static void row_sel(FILE *out, const char *what, const seg_cache_t *g, const seg_cache_t *r)
{
    char t[2][48];
    const seg_cache_t *s[2] = { g, r };
    for (int k = 0; k < 2; k++) {
        if (!s[k]->usable || !s[k]->sel)
            snprintf(t[k], sizeof t[k], "%04x (none)", s[k]->sel);
        else
            snprintf(t[k], sizeof t[k], "%04x base=%08x", s[k]->sel, s[k]->base);
    }
    row(out, what, t[0], t[1]);
}

static void te_vcpu(const void *mon, FILE *out)
{
    const vmm_t *v = mon;
    const struct cpu *g = &v->vcpu, *r = &v->m->cpu;
    char a[96], b[96];
    fprintf(out, "the guest's virtual CPU (vmm_t.vcpu) beside the real CPU:\n");
    row(out, "", "virtual: what the guest believes", "real: what the CPU runs");
    snprintf(a, sizeof a, "%d", g->cpl);
    snprintf(b, sizeof b, "%d%s", r->cpl, r->cpl == 0 ? " (the VMM)" : " (ring compression)");
    row(out, "cpl", a, b);
    snprintf(a, sizeof a, "%d%s", vmm_vif(v), vmm_vif(v) ? "" : " (the VMM holds interrupts back)");
    snprintf(b, sizeof b, "%d", (r->eflags & FL_IF) != 0);
    row(out, "IF", a, b);
    snprintf(a, sizeof a, "%d", vmm_viopl(v));
    snprintf(b, sizeof b, "%u", IOPL_OF(r->eflags));
    row(out, "iopl", a, b);
    char fa[64], fb[64];
    show_flags_str((g->eflags & FL_IOPL) | (vmm_vif(v) ? FL_IF : 0), fa, sizeof fa);
    show_flags_str(r->eflags, fb, sizeof fb);
    snprintf(a, sizeof a, "%s (IF, IOPL)", fa);
    snprintf(b, sizeof b, "%08x %s", r->eflags, fb);
    row(out, "eflags", a, b);
    show_cr0_str(g->cr0, fa, sizeof fa);
    show_cr0_str(r->cr0, fb, sizeof fb);
    snprintf(a, sizeof a, "%08x %s", g->cr0, fa);
    snprintf(b, sizeof b, "%08x %s", r->cr0, fb);
    row(out, "cr0", a, b);
    snprintf(a, sizeof a, "%08x", g->cr4);
    snprintf(b, sizeof b, "%08x", r->cr4);
    row(out, "cr4", a, b);
    row_dtr(out, "gdtr", &g->gdtr, &r->gdtr);
    row_dtr(out, "idtr", &g->idtr, &r->idtr);
    row_sel(out, "tr", &g->tr, &r->tr);
    row_sel(out, "ldtr", &g->ldtr, &r->ldtr);
    hv_guest_regs_t at;   /* under dbt, in the TC: the guest's CS:EIP and GS are the translator's to say */
    hv_guest_regs(v->m, &at);
    uint16_t cs = at.cs.sel;
    snprintf(a, sizeof a, "%04x", r->cpl ? (uint16_t)((cs & ~3u) | g->cpl) : g->seg[SEG_CS].sel);
    snprintf(b, sizeof b, "%04x", r->seg[SEG_CS].sel);
    row(out, "cs", a, b);
    if (at.eip != r->eip || at.gs.sel != r->seg[SEG_GS].sel) {
        snprintf(a, sizeof a, "%08x", at.eip);
        snprintf(b, sizeof b, "%08x (in the translation cache)", r->eip);
        row(out, "eip", a, b);
        snprintf(a, sizeof a, "%04x", at.gs.sel);
        snprintf(b, sizeof b, "%04x (the translator's state page)", r->seg[SEG_GS].sel);
        row(out, "gs", a, b);
    }
    fprintf(out, "  guest %s; virtual PIC (master) irr=%02x isr=%02x imr=%02x%s\n",
            v->guest_halted ? "halted (HLT with virtual IF = 1: waiting for an interrupt)" : "running",
            v->vpic.chip[0].irr, v->vpic.chip[0].isr, v->vpic.chip[0].imr, v->sti_shadow ? "; STI shadow: no injection before the next instruction" : "");
}

static void te_idt(const void *mon, int vector, FILE *out)
{
    const vmm_t *v = mon;
    const struct cpu *c = &v->m->cpu;
    const symtab_t *syms = v->m->trace.syms;
    uint32_t n = ((uint32_t)v->vcpu.idtr.limit + 1) / 8;
    uint32_t sidt = v->base + VMM_IDT_OFF;
    fprintf(out, "guest IDT at %08x limit %04x (virtual IDTR)   |   shadow IDT at %08x (real IDTR)\n",
            v->vcpu.idtr.base, v->vcpu.idtr.limit, sidt);
    fprintf(out, "vec  guest: type       dpl p  cs:offset  handler                   |   shadow: dpl  cs:offset\n");
    for (uint32_t vec = vector < 0 ? 0 : (uint32_t)vector; vec < 256; vec++) {
        if (vec >= n) {
            if (vector >= 0)
                fprintf(out, "0x%02x  beyond the guest's IDT limit: delivering it would be a #GP in the guest\n", vec);
            break;
        }
        uint32_t lo = vmm_guest_word(v, v->vcpu.idtr.base + vec * 8, 4), hi = vmm_guest_word(v, v->vcpu.idtr.base + vec * 8 + 4, 4);
        uint32_t slo = 0, shi = 0;
        show_read32(c, sidt + vec * 8, &slo);
        show_read32(c, sidt + vec * 8 + 4, &shi);
        if (vector < 0 && !((hi >> 15) & 1) && lo == 0 && hi == 0)
            continue;
        int type = (int)((hi >> 8) & 0xf);
        const char *tn = type == 0xe ? "interrupt" : type == 0xf ? "trap" : type == 5 ? "task" : "other";
        uint32_t off = (lo & 0xffff) | (hi & 0xffff0000u);
        char sym[96];
        symtab_format(syms, off, sym, sizeof sym);
        fprintf(out, "0x%02x        %-10s %d   %d  %04x:%08x%-24s   |           %d    %04x:%08x\n", vec, tn,
                (int)((hi >> 13) & 3), (int)((hi >> 15) & 1), lo >> 16, off, sym,
                (int)((shi >> 13) & 3), slo >> 16, (slo & 0xffff) | (shi & 0xffff0000u));
        if (vector >= 0)
            break;
    }
}

static void te_gdt(const void *mon, FILE *out)
{
    const vmm_t *v = mon;
    const struct cpu *c = &v->m->cpu;
    uint32_t n = ((uint32_t)v->vcpu.gdtr.limit + 1) / 8, sgdt = v->base + VMM_GDT_OFF;
    fprintf(out, "guest GDT at %08x limit %04x (virtual GDTR)   beside   shadow GDT at %08x limit %04x (real GDTR)\n",
            v->vcpu.gdtr.base, v->vcpu.gdtr.limit, sgdt, c->gdtr.limit);
    if (v->vcpu.gdtr.limit == 0)
        fprintf(out, "  (the guest has no GDT yet: its segments are the boot loader's, shadowed flat)\n");
    for (uint32_t k = 1; k < n && k < VMM_GDT_ENTRIES; k++) {
        uint32_t lo = vmm_guest_word(v, v->vcpu.gdtr.base + k * 8, 4), hi = vmm_guest_word(v, v->vcpu.gdtr.base + k * 8 + 4, 4);
        uint32_t slo = 0, shi = 0;
        show_read32(c, sgdt + k * 8, &slo);
        show_read32(c, sgdt + k * 8 + 4, &shi);
        if (!lo && !hi && !slo && !shi)
            continue;
        char a[128], b[128];
        show_desc(lo, hi, a, sizeof a);
        show_desc(slo, shi, b, sizeof b);
        fprintf(out, "  %04x  guest:  %s\n        shadow: %s\n", k * 8, lo || hi ? a : "(null)", slo || shi ? b : "(null)");
    }
    static const struct { uint16_t sel; const char *what; } own[] = {
        { VMM_TSS, "the VMM's TSS" }, { VMM_DS, "the VMM's data" }, { VMM_CS, "the VMM's code" },
    };
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++) {
        uint32_t lo = 0, hi = 0;
        show_read32(c, sgdt + own[k].sel, &lo);
        show_read32(c, sgdt + own[k].sel + 4, &hi);
        char b[128];
        show_desc(lo, hi, b, sizeof b);
        fprintf(out, "  %04x  shadow: %s  (%s)\n", own[k].sel, b, own[k].what);
    }
}

static void te_tss(const void *mon, FILE *out)
{
    const vmm_t *v = mon;
    show_tss(&v->vcpu, "the guest's, its virtual TR", out);
    show_tss(&v->m->cpu, "the real TR: the VMM's, whose SS0:ESP0 is the VMM's stack", out);
}

static void te_state(const void *mon, FILE *out)
{
    const vmm_t *v = mon;
    fprintf(out, "trap-and-emulate VMM: area %08x-%08x: shadow GDT %08x, shadow IDT %08x, TSS %08x, stack top %08x\n",
            v->base, v->base + VMM_AREA_SIZE - 1, v->base + VMM_GDT_OFF, v->base + VMM_IDT_OFF,
            v->base + VMM_TSS_OFF, v->base + VMM_STACK_TOP);
    fprintf(out, "  guest rings 0/1/2/3 run in real rings %d/%d/%d/%d; guest segments end below %08x\n",
            vmm_real_ring(0), vmm_real_ring(1), vmm_real_ring(2), vmm_real_ring(3), v->base);
    fprintf(out, "  shadow GDT follows %u guest bytes (synced %llu times); shadow IDT rebuilt %llu times\n",
            v->gdt_copy_len, (unsigned long long)v->gdt_syncs, (unsigned long long)v->idt_rebuilds);
    fprintf(out, "  virtual IF %d, virtual IOPL %d, guest %s%s\n", vmm_vif(v), vmm_viopl(v),
            v->guest_halted ? "halted" : "running", v->expose_pg ? ", PG audit on (--expose-pg)" : "");
    vmm_print_summary(v, out);
}

const monitor_view_ops_t vmm_view_ops = {
    .name = "te", .vcpu = te_vcpu, .idt = te_idt, .gdt = te_gdt, .tss = te_tss, .state = te_state,
};

/* dbt: te's views, and as its state the translator's first. */
static void dbt_state(const void *mon, FILE *out)
{
    dbt_print_view(mon, out);
    te_state(mon, out);
}

const monitor_view_ops_t dbt_view_ops = {
    .name = "dbt", .vcpu = te_vcpu, .idt = te_idt, .gdt = te_gdt, .tss = te_tss, .state = dbt_state,
};
