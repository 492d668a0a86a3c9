/* segments: descriptor checks without faults (LAR, LSL, VERR, VERW) in ring 0
 * and ring 3, far CALL/JMP/RET through the GDT (a second code segment, a
 * conforming one), transfers to ring 0 that must fault, segment register
 * loads that fault (#GP, #NP, #SS with the selector as error code) or not,
 * a not-present interrupt gate, segment bases and the descriptor cache, the
 * LDT, and what IRET to ring 3 does to DS..GS.
 *
 * Nothing here depends on limit checks of data accesses or on the use of a
 * null data selector: QEMU's TCG checks neither (PLATFORM.md). */
#include "rt.h"

const char guest_name[] = "segments";

#define SEL_SMALL   0x30    /* data, DPL 0, limit 0xfff (byte granular) */
#define SEL_NP      0x38    /* data, not present */
#define SEL_RO      0x40    /* data, DPL 0, read-only */
#define SEL_XO      0x48    /* code, DPL 0, execute-only */
#define SEL_CGATE   0x50    /* a call gate, DPL 3 (only looked at) */
#define SEL_CONF    0x58    /* code, DPL 0, conforming, readable */
#define SEL_IGATE   0x60    /* an interrupt gate in the GDT (only looked at) */
#define SEL_KCODE2  0x68    /* code, DPL 0, flat: a second ring-0 code segment */
#define SEL_BASED   0x73    /* data, DPL 3, base seg_buf, limit 0xff */
#define SEL_LDT     0x78    /* LDT descriptor: ldt[], 2 entries */
#define SEL_LDATA   0x0F    /* LDT entry 1, RPL 3: data, DPL 3, base seg_buf2 */

void seg_query(uint32_t sel, uint32_t out[4]);
void far_calls(uint32_t out[8]);
void seg_bases(uint32_t out[10]);
void probe_int_np(void);
extern char far_ret1[], u_query_all[], u_conforming[], u_lcall_r0[], u_lret_r0[];
extern char u_iret_r0[], u_sregs[];
extern uint32_t qsel[24], qres[24 * 4], u_far[2], u_sregs_val[4];

uint64_t ldt[2] __attribute__((aligned(8)));
static uint32_t seg_buf[8] __attribute__((aligned(16))) = {
    0xa0a0a0a0, 0xa1a1a1a1, 0xa2a2a2a2, 0xa3a3a3a3,
    0xa4a4a4a4, 0xa5a5a5a5, 0xa6a6a6a6, 0xa7a7a7a7,
};
static uint32_t seg_buf2[4] __attribute__((aligned(16))) = {
    0xb0b0b0b0, 0xb1b1b1b1, 0xb2b2b2b2, 0xb3b3b3b3,
};

static uint64_t gate_desc(uint32_t off, uint16_t sel, uint8_t type_attr)
{
    return ((uint64_t)((off & 0xFFFF0000) | ((uint32_t)type_attr << 8)) << 32) |
           ((off & 0xFFFF) | ((uint32_t)sel << 16));
}

static void setup(void)
{
    gdt_set(6, seg_desc(0, 0xFFF, 0x93, 0x4));
    gdt_set(7, seg_desc(0, 0xFFFFF, 0x13, 0xC));
    gdt_set(8, seg_desc(0, 0xFFFFF, 0x91, 0xC));
    gdt_set(9, seg_desc(0, 0xFFFFF, 0x99, 0xC));
    gdt_set(10, gate_desc((uint32_t)far_ret1, SEL_KCODE, 0xEC));
    gdt_set(11, seg_desc(0, 0xFFFFF, 0x9F, 0xC));
    gdt_set(12, gate_desc((uint32_t)far_ret1, SEL_KCODE, 0x8E));
    gdt_set(13, seg_desc(0, 0xFFFFF, 0x9B, 0xC));
    gdt_set(14, seg_desc((uint32_t)seg_buf, 0xFF, 0xF3, 0x4));
    gdt_set(15, seg_desc((uint32_t)ldt, sizeof(ldt) - 1, 0x82, 0x0));
    ldt[1] = seg_desc((uint32_t)seg_buf2, 0xFF, 0xF3, 0x4);
    idt_set(0x41, (uint32_t)vector_stubs + 16 * 0x41, SEL_KCODE, 0x0E); /* P = 0 */
}

/* What LAR, LSL, VERR and VERW give in ring 0 and in ring 3. */
#define NONE 0xdeadbeef
static const struct {
    uint32_t sel;
    uint32_t lar0, lsl0, r0, w0;    /* ring 0 */
    uint32_t lar3, lsl3, r3, w3;    /* ring 3 */
} qtab[] = {
    { SEL_KCODE,  0x00c09b00, 0xffffffff, 1, 0,   NONE, NONE, 0, 0 },
    { SEL_KDATA,  0x00c09300, 0xffffffff, 1, 1,   NONE, NONE, 0, 0 },
    { 0x13,       NONE, NONE, 0, 0,               NONE, NONE, 0, 0 },
    { SEL_UCODE,  0x00c0fb00, 0xffffffff, 1, 0,   0x00c0fb00, 0xffffffff, 1, 0 },
    { SEL_UDATA,  0x00c0f300, 0xffffffff, 1, 1,   0x00c0f300, 0xffffffff, 1, 1 },
    { SEL_TSS,    0x00008b00, 0x00000067, 0, 0,   NONE, NONE, 0, 0 },
    { SEL_SMALL,  0x00409300, 0x00000fff, 1, 1,   NONE, NONE, 0, 0 },
    { SEL_RO,     0x00c09100, 0xffffffff, 1, 0,   NONE, NONE, 0, 0 },
    { SEL_XO,     0x00c09900, 0xffffffff, 0, 0,   NONE, NONE, 0, 0 },
    { SEL_CGATE,  0 /* set below */, NONE, 0, 0,  0 /* set below */, NONE, 0, 0 },
    { SEL_CONF,   0x00c09f00, 0xffffffff, 1, 0,   0x00c09f00, 0xffffffff, 1, 0 },
    { SEL_IGATE,  NONE, NONE, 0, 0,               NONE, NONE, 0, 0 },
    { SEL_KCODE2, 0x00c09b00, 0xffffffff, 1, 0,   NONE, NONE, 0, 0 },
    { SEL_BASED,  0x0040f300, 0x000000ff, 1, 1,   0x0040f300, 0x000000ff, 1, 1 },
    { SEL_LDT,    0x00008200, 0x0000000f, 0, 0,   NONE, NONE, 0, 0 },
    { 0,          NONE, NONE, 0, 0,               NONE, NONE, 0, 0 },
    { 0x1F8,      NONE, NONE, 0, 0,               NONE, NONE, 0, 0 },
};
#define NQ (sizeof(qtab) / sizeof(qtab[0]))

static void query_line(int ring, uint32_t sel, const uint32_t got[4],
                       uint32_t lar, uint32_t lsl, uint32_t r, uint32_t w)
{
    kprintf("  ring %d sel %04x: lar ", ring, sel);
    if (got[0] == NONE) puts_("--------"); else kprintf("%08x", got[0]);
    puts_(" lsl ");
    if (got[1] == NONE) puts_("--------"); else kprintf("%08x", got[1]);
    kprintf(" verr %u verw %u", got[2], got[3]);
    verdict(got[0] == lar && got[1] == lsl && got[2] == r && got[3] == w);
}

static void queries(void)
{
    uint32_t cg = (uint32_t)(gdt[SEL_CGATE >> 3] >> 32) & 0x00F0FF00;
    puts_("lar, lsl, verr, verw (-------- when ZF = 0)\n");
    for (unsigned i = 0; i < NQ; i++) {
        uint32_t got[4];
        seg_query(qtab[i].sel, got);
        query_line(0, qtab[i].sel, got,
                   qtab[i].sel == SEL_CGATE ? cg : qtab[i].lar0, qtab[i].lsl0,
                   qtab[i].r0, qtab[i].w0);
        qsel[i] = qtab[i].sel | 3;
    }
    qsel[NQ] = 0xFFFF;
    enter_user((uint32_t)u_query_all, FL_1 | FL_IF, SEL_UDATA);
    for (unsigned i = 0; i < NQ; i++)
        query_line(3, qsel[i], &qres[4 * i],
                   qtab[i].sel == SEL_CGATE ? cg : qtab[i].lar3, qtab[i].lsl3,
                   qtab[i].r3, qtab[i].w3);
}

static void far_transfers(void)
{
    uint32_t out[8];
    puts_("far call, jmp, ret through the GDT (ring 0)\n");
    far_calls(out);
    check("cs in a far call to 0x68", out[0], SEL_KCODE2);
    check("cs it pushed", out[1], SEL_KCODE);
    check("eip it pushed", out[2], (uint32_t)far_ret1);
    check("cs after ljmp 0x68", out[3], SEL_KCODE2);
    check("cs after ljmp 0x08", out[4], SEL_KCODE);
    check("cs in a far call to conforming 0x58", out[5], SEL_CONF);
    check("cs after lret", out[6], SEL_KCODE);
    check("esp after the far calls (delta)", out[7], 0);

    puts_("far transfers in ring 3\n");
    enter_user((uint32_t)u_conforming, FL_1 | FL_IF, SEL_UDATA);
    check("cs in a far call to conforming 0x58 (CPL stays 3)", u_far[0], SEL_CONF | 3);
    check("cs after lret", u_far[1], SEL_UCODE);
    reset_faults(); enter_user((uint32_t)u_lcall_r0, FL_1 | FL_IF, SEL_UDATA);
    check_fault("lcall 0x08 (ring 0 code)", 3, 13, SEL_KCODE, AT, FL_1 | FL_IF);
    reset_faults(); enter_user((uint32_t)u_lret_r0, FL_1 | FL_IF, SEL_UDATA);
    check_fault("lret to 0x08 (inner ring)", 3, 13, SEL_KCODE, AT, FL_1 | FL_IF | FL_CF);
    reset_faults(); enter_user((uint32_t)u_iret_r0, FL_1 | FL_IF, SEL_UDATA);
    check_fault("iret to 0x08 (inner ring)", 3, 13, SEL_KCODE, AT, FL_1 | FL_IF | FL_ZF);
    reset_faults();
}

static void load0_ds(const char *what, uint32_t sel, int vec, int err)
{
    reset_faults();
    probe_load_ds(sel);
    check_fault(what, 0, vec, err, AT, FL_1);
}

static void load0_ss(const char *what, uint32_t sel, int vec, int err)
{
    reset_faults();
    probe_load_ss(sel);
    check_fault(what, 0, vec, err, AT, FL_1 | FL_ZF);
}

static void load3(const char *what, char *routine, uint32_t sel, int vec, int err,
                  uint32_t fl)
{
    reset_faults();
    u_arg = sel;
    enter_user((uint32_t)routine, FL_1 | FL_IF, SEL_UDATA);
    check_fault(what, 3, vec, err, AT, fl);
}

static void loads(void)
{
    puts_("segment register loads\n");
    load0_ds("mov 0x0000 (null) to ds", 0, -1, 0);
    load0_ds("mov 0x0003 (null, RPL 3) to ds", 3, -1, 0);
    load0_ds("mov 0x0008 (readable code) to ds", SEL_KCODE, -1, 0);
    load0_ds("mov 0x0058 (conforming code) to ds", SEL_CONF, -1, 0);
    load0_ds("mov 0x0038 (not present) to ds", SEL_NP, 11, SEL_NP);
    load0_ds("mov 0x0048 (execute-only code) to ds", SEL_XO, 13, SEL_XO);
    load0_ds("mov 0x0050 (call gate) to ds", SEL_CGATE, 13, SEL_CGATE);
    load0_ds("mov 0x0060 (interrupt gate) to ds", SEL_IGATE, 13, SEL_IGATE);
    load0_ds("mov 0x0004 (LDT, none loaded) to ds", 0x04, 13, 0x04);
    load0_ss("mov 0x0038 (not present) to ss", SEL_NP, 12, SEL_NP);
    load0_ss("mov 0x0040 (read-only) to ss", SEL_RO, 13, SEL_RO);
    load0_ss("mov 0x0013 (RPL 3 != CPL) to ss", 0x13, 13, SEL_KDATA);
    load0_ss("mov 0x0030 (small limit) to ss", SEL_SMALL, -1, 0);
    load3("mov 0x0010 (DPL 0) to ds", u_load_ds, SEL_KDATA, 13, SEL_KDATA, FL_1 | FL_IF);
    load3("mov 0x0013 (DPL 0) to ds", u_load_ds, 0x13, 13, SEL_KDATA, FL_1 | FL_IF);
    load3("mov 0x0008 (ring 0 code) to ds", u_load_ds, SEL_KCODE, 13, SEL_KCODE, FL_1 | FL_IF);
    load3("mov 0x005b (conforming code) to ds", u_load_ds, SEL_CONF | 3, -1, 0, 0);
    load3("mov 0x0073 (DPL 3 data) to ds", u_load_ds, SEL_BASED, -1, 0, 0);
    load3("mov 0x0000 (null) to ds", u_load_ds, 0, -1, 0, 0);
    load3("mov 0x0010 (DPL 0) to ss", u_load_ss, SEL_KDATA, 13, SEL_KDATA, FL_1 | FL_IF | FL_ZF);
    load3("mov 0x0000 (null) to ss", u_load_ss, 0, 13, 0, FL_1 | FL_IF | FL_ZF);
    load3("mov 0x0073 (DPL 3 data) to ss", u_load_ss, SEL_BASED, -1, 0, 0);

    puts_("a not-present interrupt gate\n");
    reset_faults(); probe_int_np();
    check_fault("int 0x41", 0, 11, 0x41 * 8 + 2, AT, FL_1 | FL_SF);
    reset_faults();
}

static void bases(void)
{
    uint32_t out[10];
    puts_("segment bases, the descriptor cache, the LDT\n");
    seg_bases(out);
    check("es:0 (base seg_buf)", out[0], seg_buf[0]);
    check("es:4", out[1], seg_buf[1]);
    check("es:0 after the descriptor moved (cached)", out[2], seg_buf[0]);
    check("es:0 after reloading es", out[3], seg_buf[2]);
    check("fs:0", out[4], seg_buf[2]);
    check("gs:8", out[5], seg_buf[4]);
    check("es", out[6], SEL_BASED);
    check("es:0 through LDT entry 1", out[7], seg_buf2[0]);
    check("sldt", out[8], SEL_LDT);
    check("es:0 after the LDT entry moved and es reloaded", out[9], seg_buf2[1]);
    __asm__ volatile("lldt %w0" : : "r"(0));
}

static void iret_sregs(void)
{
    static const struct { const char *what; uint32_t ds, want; } t[] = {
        { "iret to ring 3 with ds..gs = 0x0023", SEL_UDATA, SEL_UDATA },
        { "iret to ring 3 with ds..gs = 0x0010 (nulled)", SEL_KDATA, 0 },
        { "iret to ring 3 with ds..gs = 0x0058 (conforming: kept)", SEL_CONF, SEL_CONF },
    };
    puts_("data segment registers after iret to ring 3\n");
    for (unsigned i = 0; i < 3; i++) {
        enter_user((uint32_t)u_sregs, FL_1 | FL_IF, t[i].ds);
        kprintf("  %s: ds %04x es %04x fs %04x gs %04x", t[i].what,
                u_sregs_val[0], u_sregs_val[1], u_sregs_val[2], u_sregs_val[3]);
        verdict(u_sregs_val[0] == t[i].want && u_sregs_val[1] == t[i].want &&
                u_sregs_val[2] == t[i].want && u_sregs_val[3] == t[i].want);
    }
}

void guest_main(void)
{
    setup();
    queries();
    far_transfers();
    loads();
    bases();
    iret_sregs();
}
