/* Every sensitive instruction (the PRIV, IOPL, SCTRL and SBEHV rows of
 * isa/insn.def) at CPL 0, 1 and 3 under each profile (x86, pg, umip): does
 * it raise #GP(0) or run, and when it runs, what it does. The outcome
 * column is written out, not computed: "RGG" means runs at ring 0, #GP(0) at
 * rings 1 and 3. x86 is IA-32 as the SDM describes it (vol. 3 5.9, vol. 2
 * instruction pages); pg makes every sensitive instruction privileged (and
 * CLI/STI/I/O whatever the IOPL or the I/O bitmap); umip faults SGDT, SIDT,
 * SLDT, SMSW and STR outside ring 0 (CR4.UMIP), the rest as x86. */
#include "tests/unit/fixture.h"

#define D FX_FREE_IDX

static struct cpu *c;
static int cpl;

/* ---- set-ups: what the instruction needs to succeed at `cpl` ------------------- */
static void s_none(void) {}
static void s_data_ptr(void)
{
    c->reg[EBX] = FX_DATA;
    fx_wr32(FX_DATA, 0x00001234);
    fx_wr32(FX_DATA + 4, FX_DS(cpl));
}
static void s_code_ptr(void)
{
    c->reg[EBX] = FX_DATA;
    fx_wr32(FX_DATA, 0x00001234);
    fx_wr32(FX_DATA + 4, FX_CS(cpl));
}
static void s_push_ds(void) { fx_push32(FX_DS(cpl)); }
static void s_ax_ds(void) { c->reg[EAX] = FX_DS(cpl); }
static void s_eax_ones(void) { c->reg[EAX] = 0xffffffff; }
static void s_ecx_cs(void) { c->reg[ECX] = FX_CS(cpl); c->reg[EAX] = 0xffffffff; }
static void s_ecx_ds(void) { c->reg[ECX] = FX_DS(cpl); c->reg[EAX] = 0xffffffff; }
static void s_ldtr(void)
{
    uint32_t lo, hi;
    desc_read(c, FX_LDT_SEL, &lo, &hi);
    desc_to_cache(&c->ldtr, FX_LDT_SEL, lo, hi);
    c->reg[EAX] = 0xffffffff;
}
static void s_cr0_ts(void) { c->cr0 |= CR0_TS; c->reg[EAX] = 0xffffffff; }
static void s_if(void) { c->eflags |= FL_IF | FL_CF; }
static void s_popf(void)
{
    c->eflags |= FL_IF;
    fx_push32(FL_1 | FL_CF | (3u << 12));          /* IF = 0, IOPL = 3 */
}
static void s_ret(void)
{
    fx_push32(FX_CS(cpl));
    fx_push32(0x00001234);
}
static void s_iret(void)
{
    c->eflags |= FL_IF;
    fx_push32(FL_1 | FL_CF | (3u << 12));
    fx_push32(FX_CS(cpl));
    fx_push32(0x00001234);
}
static void s_dtr(void)
{
    c->reg[EBX] = FX_DATA;
    fx_wr(FX_DATA, 2, 0x03ff);
    fx_wr32(FX_DATA + 2, 0x00005000);
}
static void s_lgdt(void)
{
    c->reg[EBX] = FX_DATA;
    fx_wr(FX_DATA, 2, 0x00ff);                       /* the same table, shorter */
    fx_wr32(FX_DATA + 2, FX_GDT);
}
static void s_ax_ldt(void) { c->reg[EAX] = FX_LDT_SEL; }
static void s_ax_tss(void)
{
    fx_desc(D, FX_TSS + 0x100, 103, 0x89, 0);        /* an available 32-bit TSS */
    c->reg[EAX] = FX_SEL(D, 0);
}
static void s_lmsw(void) { c->reg[EAX] = (c->cr0 | CR0_TS | CR0_MP) & 0xffff; }
static void s_cr0_mp(void) { c->reg[EAX] = c->cr0 | CR0_MP; }
static void s_cr3(void) { c->reg[EAX] = 0x00005000; }
static void s_cr4(void) { c->reg[EAX] = CR4_UMIP; }
static void s_dr7(void) { c->reg[EAX] = 0x00000155; }
static void s_msr(void) { c->reg[ECX] = 0x10; c->reg[EAX] = c->reg[EDX] = 0xffffffff; }
static void s_io(void)
{
    c->reg[EAX] = 0x12345678;
    c->reg[EDX] = 0xabcd0080;    /* port 0x80: nothing there, reads 0xff */
    c->reg[ESI] = c->reg[EDI] = FX_DATA;
    fx_wr32(FX_DATA, 0x11223344);
}
static void s_cli(void) { c->eflags |= FL_IF; }
static void s_sti(void) { c->eflags &= ~FL_IF; }

/* ---- checks: what the instruction did when it ran ------------------------------ */
static void k_none(void) {}
static void k_sgdt(void)
{
    ck_assert_uint_eq(fx_rd(FX_DATA, 2), 64 * 8 - 1);
    ck_assert_uint_eq(fx_rd32(FX_DATA + 2), FX_GDT);          /* the real GDTR, at any ring */
}
static void k_sidt(void)
{
    ck_assert_uint_eq(fx_rd(FX_DATA, 2), 256 * 8 - 1);
    ck_assert_uint_eq(fx_rd32(FX_DATA + 2), FX_IDT);
}
static void k_sldt(void) { ck_assert_uint_eq(c->reg[EAX], FX_LDT_SEL); }
static void k_str(void) { ck_assert_uint_eq(c->reg[EAX], FX_TSS_SEL); }
static void k_smsw(void) { ck_assert_uint_eq(c->reg[EAX], CR0_PE | CR0_ET | CR0_TS); }
static void k_pushf(void)
{
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 4);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 4), FL_1 | FL_IF | FL_CF);   /* the real IF */
}
static void k_popf(void)
{
    ck_assert(c->eflags & FL_CF);
    if (cpl == 0) {
        ck_assert_uint_eq(c->eflags, FL_1 | FL_CF | (3u << 12));      /* IF and IOPL changed */
    } else {
        ck_assert_uint_eq(c->eflags, FL_1 | FL_CF | FL_IF);           /* both kept, silently */
    }
    ck_assert_uint_eq(c->reg[ESP], FX_STACK);
}
static void k_lar(void)
{
    ck_assert(c->eflags & FL_ZF);
    ck_assert_uint_eq(c->reg[EAX], 0x00c00000u | ((uint32_t)ACC_CODE(cpl) << 8));   /* the real DPL */
}
static void k_lsl(void)
{
    ck_assert(c->eflags & FL_ZF);
    ck_assert_uint_eq(c->reg[EAX], 0xffffffff);
}
static void k_zf(void) { ck_assert(c->eflags & FL_ZF); }
static void k_pop_ds(void) { ck_assert_uint_eq(c->seg[SEG_DS].sel, FX_DS(cpl)); ck_assert_uint_eq(c->reg[ESP], FX_STACK); }
static void k_pop_es(void) { ck_assert_uint_eq(c->seg[SEG_ES].sel, FX_DS(cpl)); ck_assert_uint_eq(c->reg[ESP], FX_STACK); }
static void k_pop_fs(void) { ck_assert_uint_eq(c->seg[SEG_FS].sel, FX_DS(cpl)); ck_assert_uint_eq(c->reg[ESP], FX_STACK); }
static void k_pop_gs(void) { ck_assert_uint_eq(c->seg[SEG_GS].sel, FX_DS(cpl)); ck_assert_uint_eq(c->reg[ESP], FX_STACK); }
static void k_pop_ss(void)
{
    ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(cpl));
    ck_assert_uint_eq(c->reg[ESP], FX_STACK);
    ck_assert_int_eq(c->irq_shadow, BLOCK_MOV_SS);
}
static void k_push_cs(void) { ck_assert_uint_eq(fx_rd32(FX_STACK - 4) & 0xffff, FX_CS(cpl)); }
static void k_push_ds(void) { ck_assert_uint_eq(fx_rd32(FX_STACK - 4) & 0xffff, FX_DS(cpl)); }
static void k_mov_ds(void) { ck_assert_uint_eq(c->seg[SEG_DS].sel, FX_DS(cpl)); }
static void k_mov_ss(void) { ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(cpl)); ck_assert_int_eq(c->irq_shadow, BLOCK_MOV_SS); }
static void k_mov_from_cs(void) { ck_assert_uint_eq(c->reg[EAX], FX_CS(cpl)); }   /* the real RPL */
static void k_lds(void) { ck_assert_uint_eq(c->reg[ESI], 0x1234); ck_assert_uint_eq(c->seg[SEG_DS].sel, FX_DS(cpl)); }
static void k_les(void) { ck_assert_uint_eq(c->reg[ESI], 0x1234); ck_assert_uint_eq(c->seg[SEG_ES].sel, FX_DS(cpl)); }
static void k_lfs(void) { ck_assert_uint_eq(c->reg[ESI], 0x1234); ck_assert_uint_eq(c->seg[SEG_FS].sel, FX_DS(cpl)); }
static void k_lgs(void) { ck_assert_uint_eq(c->reg[ESI], 0x1234); ck_assert_uint_eq(c->seg[SEG_GS].sel, FX_DS(cpl)); }
static void k_lss(void) { ck_assert_uint_eq(c->reg[ESI], 0x1234); ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(cpl)); }
static void k_callf7(void)
{
    ck_assert_uint_eq(c->eip, 0x1234);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(cpl));
    ck_assert_uint_eq(fx_rd32(FX_STACK - 8), FX_CODE + 7);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 4) & 0xffff, FX_CS(cpl));
}
static void k_callf2(void)
{
    ck_assert_uint_eq(c->eip, 0x1234);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 8), FX_CODE + 2);
}
static void k_jmpf(void)
{
    ck_assert_uint_eq(c->eip, 0x1234);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(cpl));
    ck_assert_uint_eq(c->reg[ESP], FX_STACK);
}
static void k_retf(void) { ck_assert_uint_eq(c->eip, 0x1234); ck_assert_uint_eq(c->reg[ESP], FX_STACK); }
static void k_retf4(void) { ck_assert_uint_eq(c->eip, 0x1234); ck_assert_uint_eq(c->reg[ESP], FX_STACK + 4); }
static void k_iret(void)
{
    ck_assert_uint_eq(c->eip, 0x1234);
    ck_assert_uint_eq(c->reg[ESP], FX_STACK);
    if (cpl == 0)
        ck_assert_uint_eq(c->eflags, FL_1 | FL_CF | (3u << 12));
    else
        ck_assert_uint_eq(c->eflags, FL_1 | FL_CF | FL_IF);
}
static void k_lidt(void) { ck_assert_uint_eq(c->idtr.limit, 0x3ff); ck_assert_uint_eq(c->idtr.base, 0x5000); }
static void k_lgdt(void) { ck_assert_uint_eq(c->gdtr.limit, 0xff); ck_assert_uint_eq(c->gdtr.base, FX_GDT); }
static void k_lldt(void) { ck_assert_uint_eq(c->ldtr.sel, FX_LDT_SEL); ck_assert_int_eq(c->ldtr.usable, 1); }
static void k_ltr(void) { ck_assert_uint_eq(c->tr.sel, FX_SEL(D, 0)); ck_assert_uint_eq(c->tr.access, 0x8b); }
static void k_lmsw(void) { ck_assert_uint_eq(c->cr0, CR0_PE | CR0_ET | CR0_TS | CR0_MP); }
static void k_clts(void) { ck_assert_uint_eq(c->cr0, CR0_PE | CR0_ET); }
static void k_cr0_mp(void) { ck_assert_uint_eq(c->cr0, CR0_PE | CR0_ET | CR0_MP); }
static void k_from_cr0(void) { ck_assert_uint_eq(c->reg[EAX], CR0_PE | CR0_ET | CR0_TS); }
static void k_cr3(void) { ck_assert_uint_eq(c->cr3, 0x5000); }
static void k_cr4(void) { ck_assert_uint_eq(c->cr4, CR4_UMIP); }
static void k_dr7(void) { ck_assert_uint_eq(c->dr[7], 0x155); }
static void k_from_dr7(void) { ck_assert_uint_eq(c->reg[EAX], 0); }
static void k_rdmsr(void) { ck_assert_uint_eq(c->reg[EDX], 0); }
static void k_cli(void) { ck_assert(!(c->eflags & FL_IF)); }
static void k_sti(void) { ck_assert(c->eflags & FL_IF); ck_assert_int_eq(c->irq_shadow, 1); }
static void k_in_al(void) { ck_assert_uint_eq(c->reg[EAX], 0x123456ff); }
static void k_in_ax(void) { ck_assert_uint_eq(c->reg[EAX], 0x1234ffff); }
static void k_in_eax(void) { ck_assert_uint_eq(c->reg[EAX], 0xffffffff); }
static void k_insb(void) { ck_assert_uint_eq(fx_rd32(FX_DATA), 0x112233ff); ck_assert_uint_eq(c->reg[EDI], FX_DATA + 1); }
static void k_insd(void) { ck_assert_uint_eq(fx_rd32(FX_DATA), 0xffffffff); ck_assert_uint_eq(c->reg[EDI], FX_DATA + 4); }
static void k_outsb(void) { ck_assert_uint_eq(c->reg[ESI], FX_DATA + 1); }
static void k_outsd(void) { ck_assert_uint_eq(c->reg[ESI], FX_DATA + 4); }
static void k_int80(void) { ck_assert_int_eq(c->exc_vector, 0x80); ck_assert_uint_eq(c->eip, FX_CODE + 2); }

/* ---- the table ------------------------------------------------------------------ */
typedef struct tcase {
    const char *name;
    const char *bytes;
    int n;
    int patch_cs;       /* offset of a selector to replace with FX_CS(cpl), or 0 */
    int iopl;
    int bitmap;         /* the TSS I/O bitmap allows ports 0x80-0x87 */
    /* outcome: x86 rings 0 1 3, pg rings 0 1 3, umip rings 0 1 3:
     * R runs, G #GP(0), H halts, S software interrupt */
    const char *outcome;
    void (*setup)(void);
    void (*check)(void);
} tcase_t;

#define T(name, b, out, s, k) { name, b, (int)sizeof(b) - 1, 0, 0, 0, out, s, k }
#define TP(name, b, at, out, s, k) { name, b, (int)sizeof(b) - 1, at, 0, 0, out, s, k }
#define TIO(name, b, iopl, bm, out, s, k) { name, b, (int)sizeof(b) - 1, 0, iopl, bm, out, s, k }

#define TABLE_READ "RRR" "RGG" "RGG"   /* unprivileged on x86; UMIP and pg trap them */
#define SENSITIVE  "RRR" "RGG" "RRR"   /* sensitive but unprivileged: only pg traps */
#define PRIVILEGED "RGG" "RGG" "RGG"
#define IOPL0      "RGG" "RGG" "RGG"
#define IOPL1      "RRG" "RGG" "RRG"
#define IOPL3      "RRR" "RGG" "RRR"

static const tcase_t cases[] = {
    /* sensitive, unprivileged: behaviour */
    T("sgdt [ebx]", "\x0f\x01\x03", TABLE_READ, s_data_ptr, k_sgdt),
    T("sidt [ebx]", "\x0f\x01\x0b", TABLE_READ, s_data_ptr, k_sidt),
    T("sldt eax", "\x0f\x00\xc0", TABLE_READ, s_ldtr, k_sldt),
    T("smsw eax", "\x0f\x01\xe0", TABLE_READ, s_cr0_ts, k_smsw),
    T("str eax", "\x0f\x00\xc8", TABLE_READ, s_eax_ones, k_str),
    T("pushf", "\x9c", SENSITIVE, s_if, k_pushf),
    T("lar eax,ecx", "\x0f\x02\xc1", SENSITIVE, s_ecx_cs, k_lar),
    T("lsl eax,ecx", "\x0f\x03\xc1", SENSITIVE, s_ecx_ds, k_lsl),
    T("verr cx", "\x0f\x00\xe1", SENSITIVE, s_ecx_cs, k_zf),
    T("verw cx", "\x0f\x00\xe9", SENSITIVE, s_ecx_ds, k_zf),
    T("push es", "\x06", SENSITIVE, s_none, k_push_ds),
    T("push cs", "\x0e", SENSITIVE, s_none, k_push_cs),
    T("push ss", "\x16", SENSITIVE, s_none, k_push_ds),
    T("push ds", "\x1e", SENSITIVE, s_none, k_push_ds),
    T("push fs", "\x0f\xa0", SENSITIVE, s_none, k_push_ds),
    T("push gs", "\x0f\xa8", SENSITIVE, s_none, k_push_ds),
    T("mov eax,cs", "\x8c\xc8", SENSITIVE, s_eax_ones, k_mov_from_cs),
    /* sensitive, unprivileged: control */
    T("popf", "\x9d", SENSITIVE, s_popf, k_popf),
    T("pop es", "\x07", SENSITIVE, s_push_ds, k_pop_es),
    T("pop ss", "\x17", SENSITIVE, s_push_ds, k_pop_ss),
    T("pop ds", "\x1f", SENSITIVE, s_push_ds, k_pop_ds),
    T("pop fs", "\x0f\xa1", SENSITIVE, s_push_ds, k_pop_fs),
    T("pop gs", "\x0f\xa9", SENSITIVE, s_push_ds, k_pop_gs),
    T("mov ds,ax", "\x8e\xd8", SENSITIVE, s_ax_ds, k_mov_ds),
    T("mov ss,ax", "\x8e\xd0", SENSITIVE, s_ax_ds, k_mov_ss),
    T("lds esi,[ebx]", "\xc5\x33", SENSITIVE, s_data_ptr, k_lds),
    T("les esi,[ebx]", "\xc4\x33", SENSITIVE, s_data_ptr, k_les),
    T("lss esi,[ebx]", "\x0f\xb2\x33", SENSITIVE, s_data_ptr, k_lss),
    T("lfs esi,[ebx]", "\x0f\xb4\x33", SENSITIVE, s_data_ptr, k_lfs),
    T("lgs esi,[ebx]", "\x0f\xb5\x33", SENSITIVE, s_data_ptr, k_lgs),
    TP("lcall ptr16:32", "\x9a\x34\x12\x00\x00\x00\x00", 5, SENSITIVE, s_none, k_callf7),
    T("lcall [ebx]", "\xff\x1b", SENSITIVE, s_code_ptr, k_callf2),
    TP("ljmp ptr16:32", "\xea\x34\x12\x00\x00\x00\x00", 5, SENSITIVE, s_none, k_jmpf),
    T("ljmp [ebx]", "\xff\x2b", SENSITIVE, s_code_ptr, k_jmpf),
    T("lret", "\xcb", SENSITIVE, s_ret, k_retf),
    T("lret 4", "\xca\x04\x00", SENSITIVE, s_ret, k_retf4),
    T("iret", "\xcf", SENSITIVE, s_iret, k_iret),
    /* privileged */
    T("lgdt [ebx]", "\x0f\x01\x13", PRIVILEGED, s_lgdt, k_lgdt),
    T("lidt [ebx]", "\x0f\x01\x1b", PRIVILEGED, s_dtr, k_lidt),
    T("lldt ax", "\x0f\x00\xd0", PRIVILEGED, s_ax_ldt, k_lldt),
    T("ltr ax", "\x0f\x00\xd8", PRIVILEGED, s_ax_tss, k_ltr),
    T("lmsw ax", "\x0f\x01\xf0", PRIVILEGED, s_lmsw, k_lmsw),
    T("clts", "\x0f\x06", PRIVILEGED, s_cr0_ts, k_clts),
    T("mov cr0,eax", "\x0f\x22\xc0", PRIVILEGED, s_cr0_mp, k_cr0_mp),
    T("mov eax,cr0", "\x0f\x20\xc0", PRIVILEGED, s_cr0_ts, k_from_cr0),
    T("mov cr3,eax", "\x0f\x22\xd8", PRIVILEGED, s_cr3, k_cr3),
    T("mov cr4,eax", "\x0f\x22\xe0", PRIVILEGED, s_cr4, k_cr4),
    T("mov dr7,eax", "\x0f\x23\xf8", PRIVILEGED, s_dr7, k_dr7),
    T("mov eax,dr7", "\x0f\x21\xf8", PRIVILEGED, s_eax_ones, k_from_dr7),
    T("hlt", "\xf4", "HGG" "HGG" "HGG", s_none, k_none),
    T("invd", "\x0f\x08", PRIVILEGED, s_none, k_none),
    T("wbinvd", "\x0f\x09", PRIVILEGED, s_none, k_none),
    T("invlpg [ebx]", "\x0f\x01\x3b", PRIVILEGED, s_data_ptr, k_none),
    T("rdmsr (TSC)", "\x0f\x32", PRIVILEGED, s_msr, k_rdmsr),
    T("wrmsr (none writable)", "\x0f\x30", "GGG" "GGG" "GGG", s_msr, k_none),
    /* IOPL-sensitive, IOPL 0, 1 and 3; and the I/O bitmap */
    TIO("cli, IOPL 0", "\xfa", 0, 0, IOPL0, s_cli, k_cli),
    TIO("sti, IOPL 0", "\xfb", 0, 0, IOPL0, s_sti, k_sti),
    TIO("cli, IOPL 1", "\xfa", 1, 0, IOPL1, s_cli, k_cli),
    TIO("sti, IOPL 1", "\xfb", 1, 0, IOPL1, s_sti, k_sti),
    TIO("cli, IOPL 3", "\xfa", 3, 0, IOPL3, s_cli, k_cli),
    TIO("sti, IOPL 3", "\xfb", 3, 0, IOPL3, s_sti, k_sti),
    TIO("cli, I/O bitmap (does not apply)", "\xfa", 0, 1, IOPL0, s_cli, k_cli),
    TIO("in al,0x80", "\xe4\x80", 0, 0, IOPL0, s_io, k_in_al),
    TIO("in eax,0x80", "\xe5\x80", 0, 0, IOPL0, s_io, k_in_eax),
    TIO("in al,dx", "\xec", 0, 0, IOPL0, s_io, k_in_al),
    TIO("in ax,dx", "\x66\xed", 0, 0, IOPL0, s_io, k_in_ax),
    TIO("out 0x80,al", "\xe6\x80", 0, 0, IOPL0, s_io, k_none),
    TIO("out 0x80,eax", "\xe7\x80", 0, 0, IOPL0, s_io, k_none),
    TIO("out dx,al", "\xee", 0, 0, IOPL0, s_io, k_none),
    TIO("out dx,eax", "\xef", 0, 0, IOPL0, s_io, k_none),
    TIO("insb", "\x6c", 0, 0, IOPL0, s_io, k_insb),
    TIO("insd", "\x6d", 0, 0, IOPL0, s_io, k_insd),
    TIO("outsb", "\x6e", 0, 0, IOPL0, s_io, k_outsb),
    TIO("outsd", "\x6f", 0, 0, IOPL0, s_io, k_outsd),
    TIO("in al,dx, IOPL 1", "\xec", 1, 0, IOPL1, s_io, k_in_al),
    TIO("rep insb, IOPL 3", "\xf3\x6c", 3, 0, IOPL3, s_io, k_none),
    TIO("out dx,al, IOPL 3", "\xee", 3, 0, IOPL3, s_io, k_none),
    TIO("in al,dx, bitmap allows", "\xec", 0, 1, IOPL3, s_io, k_in_al),
    TIO("outsd, bitmap allows", "\x6f", 0, 1, IOPL3, s_io, k_outsd),
    TIO("in eax,0x84, bitmap allows 0x84-0x87", "\xe5\x84", 0, 1, IOPL3, s_io, k_in_eax),
    TIO("in eax,0x86, bitmap stops at 0x87", "\xe5\x86", 0, 1, IOPL0, s_io, k_in_eax),
    TIO("out 0x7f,al, bitmap denies", "\xe6\x7f", 0, 1, IOPL0, s_io, k_none),
    /* not sensitive: INT n enters the IDT under every profile */
    T("int 0x80 (for contrast)", "\xcd\x80", "SSS" "SSS" "SSS", s_none, k_int80),
};

static const char *const profiles[3] = { "x86", "pg", "umip" };
static const int rings[3] = { 0, 1, 3 };

/* An I/O permission bitmap: ports 0x80-0x87 allowed, the rest denied; its
 * last byte is 0xff as the SDM asks. */
static void io_bitmap(void)
{
    uint32_t map = 0x68;
    fx_wr(FX_TSS + 102, 2, map);
    for (uint32_t p = 0; p < 0x100 / 8; p++)
        fx_wr(FX_TSS + map + p, 1, p == 0x80 / 8 ? 0x00 : 0xff);
    fx_wr(FX_TSS + map + 0x100 / 8, 1, 0xff);
    fx_c->tr.limit = map + 0x100 / 8;
}

START_TEST(test_sensitive)
{
    const tcase_t *t = &cases[_i / 9];
    int pi = (_i % 9) / 3, ri = _i % 3;
    cpl = rings[ri];
    char want = t->outcome[3 * pi + ri];
    fx_new(profiles[pi], cpl);
    c = fx_c;
    c->cr0 = CR0_PE | CR0_ET;
    c->eflags = FL_1 | ((uint32_t)t->iopl << 12);
    if (t->bitmap)
        io_bitmap();
    t->setup();
    char b[16];
    memcpy(b, t->bytes, (size_t)t->n);
    if (t->patch_cs) {
        b[t->patch_cs] = (char)FX_CS(cpl);
        b[t->patch_cs + 1] = 0;
    }
    struct cpu before = *c;
    isa_result_t r = fx_exec(b, (size_t)t->n);
    const char *where = profiles[pi];
    switch (want) {
    case 'G':
        ck_assert_msg(r == ISA_FAULT && c->exc_vector == EXC_GP && c->exc_has_error && c->exc_error == 0,
                      "%s, %s, ring %d: result %d vector %d, expected #GP(0)", t->name, where, cpl, r, c->exc_vector);
        /* before any effect: the registers are as they were */
        ck_assert_msg(memcmp(before.reg, c->reg, sizeof c->reg) == 0, "%s, %s, ring %d: registers changed",
                      t->name, where, cpl);
        ck_assert_uint_eq(c->eflags, before.eflags);
        ck_assert_uint_eq(c->eip, FX_CODE);
        ck_assert(memcmp(before.seg, c->seg, sizeof c->seg) == 0);
        ck_assert_uint_eq(c->cr0, before.cr0);
        break;
    case 'R':
        ck_assert_msg(r == ISA_OK, "%s, %s, ring %d: result %d (vector %d error %#x), expected it to run",
                      t->name, where, cpl, r, c->exc_vector, c->exc_error);
        t->check();
        break;
    case 'H':
        ck_assert_msg(r == ISA_HALT, "%s, %s, ring %d: result %d, expected a halt", t->name, where, cpl, r);
        break;
    case 'S':
        ck_assert_msg(r == ISA_SOFTINT, "%s, %s, ring %d: result %d, expected INT", t->name, where, cpl, r);
        t->check();
        break;
    }
    fx_free();
}
END_TEST

/* The table names every sensitive row of insn.def. */
START_TEST(test_every_sensitive_row_covered)
{
    int seen[ROW_COUNT] = { 0 };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        isa_insn_t in;
        ck_assert_int_eq(isa_decode((const uint8_t *)cases[k].bytes, (size_t)cases[k].n, 1, &in), ISA_DECODE_OK);
        seen[in.row] = 1;
    }
    for (int row = 0; row < ROW_COUNT; row++)
        if (isa_row_is_sensitive(&isa_rows[row]))
            ck_assert_msg(seen[row], "sensitive row %s is not in the table", isa_rows[row].id);
}
END_TEST

/* isa_privilege_fault(), which `isa show` prints and the VMM may ask,
 * agrees with what executes (where no I/O bitmap is involved and the fault
 * is not the instruction's own). */
START_TEST(test_privilege_fault_agrees)
{
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const tcase_t *t = &cases[k];
        if (t->bitmap || strcmp(t->outcome, "GGGGGGGGG") == 0)
            continue;
        isa_insn_t in;
        isa_decode((const uint8_t *)t->bytes, (size_t)t->n, 1, &in);
        for (int pi = 0; pi < 3; pi++)
            for (int ri = 0; ri < 3; ri++) {
                char want = t->outcome[3 * pi + ri];
                int io = isa_rows[in.row].cls == IOPL && in.row != ROW_CLI && in.row != ROW_STI;
                int f = isa_privilege_fault(isa_profile_find(profiles[pi]), &in, rings[ri], t->iopl);
                /* I/O instructions: the bitmap may still allow them, so the
                 * function leaves them to execution; CLI/STI are decided here */
                if (io && rings[ri] > t->iopl && pi != 1)
                    continue;
                ck_assert_msg(f == (want == 'G'), "%s, %s, ring %d: isa_privilege_fault %d, outcome %c", t->name,
                              profiles[pi], rings[ri], f, want);
            }
    }
}
END_TEST

/* `isa show` numbers the unprivileged sensitive rows against Robin and
 * Irvine's list and explains the rows it does not name. */
START_TEST(test_table_numbers_robin_irvine)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    isa_print_table(isa_profile_find("x86"), f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(out, "\n    6 popf "));
    ck_assert_ptr_nonnull(strstr(out, "\n    5 pushf "));
    ck_assert_ptr_nonnull(strstr(out, "\n   18 mov %sreg,r/m "));
    ck_assert_ptr_nonnull(strstr(out, "\n    + iret "));
    ck_assert_ptr_nonnull(strstr(out, "\n    + lss "));
    ck_assert_ptr_nonnull(strstr(out, "\n   15 int $n "));
    ck_assert_ptr_nonnull(strstr(out, "iret restores IF and IOPL as popf does"));
    for (int k = 1; k <= 18; k++) {     /* every name of the list has a row */
        char want[24];
        snprintf(want, sizeof want, "\n  %3d ", k);
        ck_assert_msg(strstr(out, want) != NULL, "no row numbered %d", k);
    }
    free(out);
}
END_TEST

static Suite *sensitive_suite(void)
{
    Suite *s = suite_create("sensitive");
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, test_sensitive, 0, (int)(9 * (sizeof cases / sizeof cases[0])));
    tcase_add_test(tc, test_every_sensitive_row_covered);
    tcase_add_test(tc, test_privilege_fault_agrees);
    tcase_add_test(tc, test_table_numbers_robin_irvine);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sensitive_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
