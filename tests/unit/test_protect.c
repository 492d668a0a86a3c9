/* Unit tests for protection (isa/protect.c, isa/mem.c): segment register
 * loads and their faults, limit and type checks on accesses, far JMP, CALL
 * and RET (call gates, the TSS stack switch, parameter copy, the return to
 * an outer ring), LAR/LSL/VERR/VERW, LTR/LLDT and control-register writes.
 * Every expectation is from the SDM: vol. 2 (MOV, POP, LDS, JMP, CALL, RET,
 * LAR, LSL, VERR, LTR, LLDT, MOV CR) and vol. 3 chapter 5. */
#include "tests/unit/fixture.h"

#define OKAY 0xff          /* no fault expected */
#define D    FX_FREE_IDX   /* the descriptor a case writes */
#define D2   (FX_FREE_IDX + 1)

/* mov sreg, ax */
static isa_result_t mov_sreg(int sreg, uint16_t sel)
{
    char b[2] = { (char)0x8e, (char)(0xc0 | (sreg << 3)) };
    fx_c->reg[EAX] = 0xabcd0000u | sel;
    return fx_exec(b, 2);
}

static void expect(isa_result_t r, int vec, uint32_t err, const char *name)
{
    if (vec == OKAY) {
        ck_assert_msg(r == ISA_OK, "%s: result %d (vector %d error %#x), expected no fault", name, r,
                      fx_c->exc_vector, fx_c->exc_error);
        return;
    }
    ck_assert_msg(r == ISA_FAULT, "%s: result %d, expected vector %d", name, r, vec);
    ck_assert_msg(fx_c->exc_vector == vec && fx_c->exc_has_error && fx_c->exc_error == err,
                  "%s: vector %d error %#x, expected vector %d error %#x", name, fx_c->exc_vector,
                  fx_c->exc_error, vec, err);
    ck_assert_msg(fx_c->eip == FX_CODE, "%s: EIP moved on a fault", name);
}

/* ---- loads of DS, ES, FS, GS and SS ------------------------------------------ */
typedef struct scase {
    const char *name;
    int cpl, sreg;
    uint16_t sel;
    uint8_t access;   /* written at index D when nonzero */
    uint8_t gd;
    int vec;
    uint32_t err;
} scase_t;

#define SD(rpl) FX_SEL(D, rpl)
#define SD2(rpl) FX_SEL(D2, rpl)
static const scase_t scases[] = {
    { "ds null", 3, SEG_DS, 0x0000, 0, 0, OKAY, 0 },
    { "ds null RPL 3", 3, SEG_DS, 0x0003, 0, 0, OKAY, 0 },
    { "es null at CPL 0", 0, SEG_ES, 0x0002, 0, 0, OKAY, 0 },
    { "ds beyond the GDT limit", 3, SEG_DS, 0x0203, 0, 0, EXC_GP, 0x0200 },
    { "ds last GDT entry, empty", 0, SEG_DS, 0x01f8, 0, 0, EXC_GP, 0x01f8 },
    { "ds LDT selector, LDTR null", 3, SEG_DS, 0x000f, 0, 0, EXC_GP, 0x000c },
    { "ds system descriptor (TSS)", 0, SEG_DS, SD(0), 0x89, 0x0, EXC_GP, SD(0) },
    { "ds system descriptor (LDT)", 0, SEG_DS, FX_LDT_SEL, 0, 0, EXC_GP, FX_LDT_SEL },
    { "ds execute-only code", 3, SEG_DS, SD(3), 0xf8, 0xc, EXC_GP, SD(0) },
    { "ds readable code", 3, SEG_DS, SD(3), 0xfa, 0xc, OKAY, 0 },
    { "ds DPL 0 data at CPL 3", 3, SEG_DS, SD(3), 0x92, 0xc, EXC_GP, SD(0) },
    { "ds DPL 3 data, RPL 0, CPL 3", 3, SEG_DS, SD(0), 0xf2, 0xc, OKAY, 0 },
    { "ds DPL 2 data, RPL 3, CPL 2", 2, SEG_DS, SD(3), 0xd2, 0xc, EXC_GP, SD(0) },
    { "ds DPL 2 data, RPL 2, CPL 2", 2, SEG_DS, SD(2), 0xd2, 0xc, OKAY, 0 },
    { "ds DPL 1 data, RPL 0, CPL 2", 2, SEG_DS, SD(0), 0xb2, 0xc, EXC_GP, SD(0) },
    { "ds DPL 0 data, RPL 3, CPL 0", 0, SEG_DS, SD(3), 0x92, 0xc, EXC_GP, SD(0) },
    { "ds DPL 0 data, RPL 0, CPL 0", 0, SEG_DS, SD(0), 0x92, 0xc, OKAY, 0 },
    { "ds DPL 0 nonconforming readable code at CPL 3", 3, SEG_DS, SD(3), 0x9a, 0xc, EXC_GP, SD(0) },
    { "ds DPL 0 conforming readable code at CPL 3", 3, SEG_DS, SD(3), 0x9e, 0xc, OKAY, 0 },
    { "ds DPL 0 conforming execute-only code", 3, SEG_DS, SD(3), 0x9c, 0xc, EXC_GP, SD(0) },
    { "ds read-only data", 3, SEG_DS, SD(3), 0xf0, 0xc, OKAY, 0 },
    { "ds expand-down data", 3, SEG_DS, SD(3), 0xf6, 0x4, OKAY, 0 },
    { "ds not present", 3, SEG_DS, SD(3), 0x72, 0xc, EXC_NP, SD(0) },
    { "ds not present and DPL 0: #GP first", 3, SEG_DS, SD(3), 0x12, 0xc, EXC_GP, SD(0) },
    { "fs not present", 0, SEG_FS, SD(0), 0x12, 0xc, EXC_NP, SD(0) },
    { "gs DPL 0 data at CPL 1", 1, SEG_GS, SD(1), 0x92, 0xc, EXC_GP, SD(0) },
    { "ss null", 0, SEG_SS, 0x0000, 0, 0, EXC_GP, 0 },
    { "ss null RPL 3", 3, SEG_SS, 0x0003, 0, 0, EXC_GP, 0 },
    { "ss beyond the GDT limit", 3, SEG_SS, 0x0403, 0, 0, EXC_GP, 0x0400 },
    { "ss RPL != CPL", 3, SEG_SS, SD(2), 0xf2, 0xc, EXC_GP, SD(0) },
    { "ss DPL != CPL", 3, SEG_SS, SD(3), 0xd2, 0xc, EXC_GP, SD(0) },
    { "ss DPL 3 at CPL 0", 0, SEG_SS, SD(0), 0xf2, 0xc, EXC_GP, SD(0) },
    { "ss read-only data", 3, SEG_SS, SD(3), 0xf0, 0xc, EXC_GP, SD(0) },
    { "ss readable code", 3, SEG_SS, SD(3), 0xfa, 0xc, EXC_GP, SD(0) },
    { "ss system descriptor", 0, SEG_SS, FX_TSS_SEL, 0, 0, EXC_GP, FX_TSS_SEL },
    { "ss not present", 3, SEG_SS, SD(3), 0x72, 0xc, EXC_SS, SD(0) },
    { "ss writable DPL 3", 3, SEG_SS, SD(3), 0xf2, 0xc, OKAY, 0 },
    { "ss writable DPL 1 at CPL 1", 1, SEG_SS, SD(1), 0xb2, 0xc, OKAY, 0 },
    { "ss expand-down writable", 0, SEG_SS, SD(0), 0x96, 0x4, OKAY, 0 },
};

START_TEST(test_segment_loads)
{
    const scase_t *t = &scases[_i];
    fx_new("x86", t->cpl);
    if (t->access)
        fx_desc(D, 0x00300000, 0x12345, t->access, t->gd);
    seg_cache_t before = fx_c->seg[t->sreg];
    isa_result_t r = mov_sreg(t->sreg, t->sel);
    expect(r, t->vec, t->err, t->name);
    seg_cache_t *s = &fx_c->seg[t->sreg];
    if (t->vec != OKAY) {
        ck_assert_msg(memcmp(&before, s, sizeof before) == 0, "%s: the register changed on a fault", t->name);
        ck_assert_int_eq(fx_c->irq_shadow, 0);
    } else if ((t->sel & 0xfffc) == 0) {
        ck_assert_uint_eq(s->sel, t->sel);
        ck_assert_int_eq(s->usable, 0);
    } else {
        ck_assert_uint_eq(s->sel, t->sel);
        ck_assert_int_eq(s->usable, 1);
        ck_assert_uint_eq(s->base, 0x00300000);
        ck_assert_uint_eq(s->limit, (t->gd & 8) ? 0x12345fffu : 0x12345u);
        ck_assert_uint_eq(s->access, t->access | 1);                   /* accessed */
        ck_assert_uint_eq((fx_rd32(FX_GDT + D * 8 + 4) >> 8) & 0xff, t->access | 1u);
        ck_assert_int_eq(fx_c->irq_shadow, t->sreg == SEG_SS ? BLOCK_MOV_SS : 0);       /* MOV SS blocks interrupts */
    }
    fx_free();
}
END_TEST

/* The other ways to load a segment register check the same things and
 * change nothing when they fault. */
START_TEST(test_pop_and_lds)
{
    fx_new("x86", 3);
    struct cpu *c = fx_c;
    fx_desc(D, 0, 0xfffff, 0x92, 0xc);                 /* DPL 0 data */
    c->reg[ESP] = FX_STACK - 4;
    fx_wr32(FX_STACK - 4, SD(3));
    expect(FX_EXEC("\x1f"), EXC_GP, SD(0), "pop ds DPL 0");              /* pop ds */
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 4);
    fx_wr32(FX_STACK - 4, FX_DS(3));
    expect(FX_EXEC("\x07"), OKAY, 0, "pop es");
    ck_assert_uint_eq(c->reg[ESP], FX_STACK);
    ck_assert_uint_eq(c->seg[SEG_ES].sel, FX_DS(3));
    c->reg[ESP] = FX_STACK - 4;
    fx_wr32(FX_STACK - 4, 0);
    expect(FX_EXEC("\x17"), EXC_GP, 0, "pop ss null");
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 4);
    fx_wr32(FX_STACK - 4, 0);
    expect(FX_EXEC("\x0f\xa1"), OKAY, 0, "pop fs null");
    ck_assert_int_eq(c->seg[SEG_FS].usable, 0);
    /* lds esi,[ebx]: offset then selector */
    c->reg[EBX] = FX_DATA;
    c->reg[ESI] = 0x11111111;
    fx_wr32(FX_DATA, 0x12345678);
    fx_wr32(FX_DATA + 4, SD(3));
    expect(FX_EXEC("\xc5\x33"), EXC_GP, SD(0), "lds DPL 0");
    ck_assert_uint_eq(c->reg[ESI], 0x11111111);
    ck_assert_uint_eq(c->seg[SEG_DS].sel, FX_DS(3));
    fx_wr32(FX_DATA + 4, FX_DS(3));
    expect(FX_EXEC("\x0f\xb4\x33"), OKAY, 0, "lfs");
    ck_assert_uint_eq(c->reg[ESI], 0x12345678);
    ck_assert_uint_eq(c->seg[SEG_FS].sel, FX_DS(3));
    /* lss at CPL 3 with a ring 3 stack */
    c->reg[ESI] = 0;
    fx_wr32(FX_DATA, 0x00012340);
    expect(FX_EXEC("\x0f\xb2\x23"), OKAY, 0, "lss esp,[ebx]");
    ck_assert_uint_eq(c->reg[ESP], 0x00012340);
    ck_assert_int_eq(c->irq_shadow, BLOCK_MOV_SS);
    fx_free();
}
END_TEST

/* ---- accesses through the loaded segments --------------------------------------- */
START_TEST(test_access_checks)
{
    fx_new("x86", 3);
    struct cpu *c = fx_c;
    /* a null DS faults on use, #GP(0) */
    ck_assert_int_eq(mov_sreg(SEG_DS, 0), ISA_OK);
    c->reg[EBX] = FX_DATA;
    expect(FX_EXEC("\x8b\x03"), EXC_GP, 0, "read through null DS");
    expect(FX_EXEC("\x89\x03"), EXC_GP, 0, "write through null DS");
    /* ... but an SS override works, and LEA never accesses memory */
    expect(FX_EXEC("\x36\x8b\x03"), OKAY, 0, "ss: read");
    expect(FX_EXEC("\x8d\x03"), OKAY, 0, "lea");
    /* null ES: STOS faults, EDI unchanged */
    ck_assert_int_eq(mov_sreg(SEG_ES, 3), ISA_OK);
    c->reg[EDI] = FX_DATA;
    expect(FX_EXEC("\xaa"), EXC_GP, 0, "stosb through null ES");
    ck_assert_uint_eq(c->reg[EDI], FX_DATA);
    /* byte-granular limit 0xfff at base FX_DATA */
    fx_desc(D, FX_DATA, 0xfff, 0xf2, 0x4);
    ck_assert_int_eq(mov_sreg(SEG_DS, SD(3)), ISA_OK);
    c->reg[EBX] = 0xffc;
    fx_wr32(FX_DATA + 0xffc, 0xcafef00d);
    expect(FX_EXEC("\x8b\x03"), OKAY, 0, "read at the limit");
    ck_assert_uint_eq(c->reg[EAX], 0xcafef00d);
    c->reg[EBX] = 0xffd;
    expect(FX_EXEC("\x8b\x03"), EXC_GP, 0, "dword crossing the limit");
    expect(FX_EXEC("\x8a\x43\x02"), OKAY, 0, "byte at the limit");
    expect(FX_EXEC("\x8a\x43\x03"), EXC_GP, 0, "byte past the limit");
    c->reg[EBX] = 0xfffffffe;
    expect(FX_EXEC("\x8b\x03"), EXC_GP, 0, "access wrapping around 4 GiB");
    /* read-only data: writes #GP(0), reads fine */
    fx_desc(D2, FX_DATA, 0xfff, 0xf0, 0x4);
    ck_assert_int_eq(mov_sreg(SEG_ES, FX_SEL(D2, 3)), ISA_OK);
    c->reg[EBX] = 0;
    expect(FX_EXEC("\x26\x8b\x03"), OKAY, 0, "read read-only");
    expect(FX_EXEC("\x26\x89\x03"), EXC_GP, 0, "write read-only");
    expect(FX_EXEC("\x26\x01\x03"), EXC_GP, 0, "add to read-only");
    /* a read-modify-write that faults changes no flag */
    c->eflags = FL_1;
    expect(FX_EXEC("\x26\xff\x03"), EXC_GP, 0, "inc read-only");
    ck_assert_uint_eq(c->eflags, FL_1);
    /* expand-down, 32-bit: valid offsets are limit+1 .. 0xffffffff */
    fx_desc(D2, 0, 0xfff, 0xf6, 0x4);
    ck_assert_int_eq(mov_sreg(SEG_ES, FX_SEL(D2, 3)), ISA_OK);
    c->reg[EBX] = 0x1000;
    expect(FX_EXEC("\x26\x8b\x03"), OKAY, 0, "expand-down above the limit");
    c->reg[EBX] = 0xffe;
    expect(FX_EXEC("\x26\x8b\x03"), EXC_GP, 0, "expand-down below the limit");
    /* expand-down, 16-bit (B = 0): the upper bound is 0xffff */
    fx_desc(D2, 0, 0xfff, 0xf6, 0x0);
    ck_assert_int_eq(mov_sreg(SEG_ES, FX_SEL(D2, 3)), ISA_OK);
    c->reg[EBX] = 0xfffc;
    expect(FX_EXEC("\x26\x8b\x03"), OKAY, 0, "16-bit expand-down at the top");
    c->reg[EBX] = 0xfffd;
    expect(FX_EXEC("\x26\x8b\x03"), EXC_GP, 0, "16-bit expand-down past 0xffff");
    /* CS: reading a readable code segment through CS is fine, writing is not */
    expect(FX_EXEC("\x2e\x8b\x03"), OKAY, 0, "read through CS");
    expect(FX_EXEC("\x2e\x89\x03"), EXC_GP, 0, "write through CS");
    /* SS limit: #SS(0) */
    fx_desc(D2, FX_DATA, 0xfff, 0xf2, 0x4);
    ck_assert_int_eq(mov_sreg(SEG_SS, FX_SEL(D2, 3)), ISA_OK);
    c->reg[ESP] = 2;
    expect(FX_EXEC("\x50"), EXC_SS, 0, "push below an SS limit");
    ck_assert_uint_eq(c->reg[ESP], 2);
    c->reg[ESP] = 0x1000;
    expect(FX_EXEC("\x58"), EXC_SS, 0, "pop above an SS limit");
    c->reg[EBP] = 0x1000;
    expect(FX_EXEC("\x8b\x45\x00"), EXC_SS, 0, "[ebp] past the limit is #SS");
    fx_free();
}
END_TEST

/* ---- far JMP ---------------------------------------------------------------- */
typedef struct jcase {
    const char *name;
    int cpl;
    uint16_t sel;
    uint32_t off;
    uint8_t access;          /* descriptor at D (0: none written) */
    uint8_t gd;
    uint32_t limit;
    int vec;                 /* OKAY, ISA_STOP as 100, or a vector */
    uint32_t err;
    uint16_t want_cs;
    int want_cpl;
} jcase_t;

#define STOP 100
static const jcase_t jcases[] = {
    { "same ring", 3, FX_CS(3), 0x1234, 0, 0, 0, OKAY, 0, FX_CS(3), 3 },
    { "RPL 0 selector at CPL 3: CS.RPL = CPL", 3, SD(0), 0x1234, 0xfa, 0xc, 0xfffff, OKAY, 0, SD(3), 3 },
    { "to DPL 0 code from CPL 3", 3, FX_CS(0) | 3, 0, 0, 0, 0, EXC_GP, FX_CS(0), 0, 0 },
    { "RPL 3 to DPL 0 code at CPL 0", 0, FX_CS(0) | 3, 0, 0, 0, 0, EXC_GP, FX_CS(0), 0, 0 },
    { "to DPL 3 code from CPL 0", 0, FX_CS(3), 0, 0, 0, 0, EXC_GP, FX_CS(3) & ~3, 0, 0 },
    { "conforming DPL 0 from CPL 3 keeps CPL 3", 3, SD(0), 0x10, 0x9e, 0xc, 0xfffff, OKAY, 0, SD(3), 3 },
    { "conforming DPL 1 from CPL 2", 2, SD(2), 0x10, 0xbe, 0xc, 0xfffff, OKAY, 0, SD(2), 2 },
    { "conforming DPL 3 from CPL 0", 0, SD(0), 0x10, 0xfe, 0xc, 0xfffff, EXC_GP, SD(0), 0, 0 },
    { "null selector", 3, 0x0003, 0, 0, 0, 0, EXC_GP, 0, 0, 0 },
    { "beyond the GDT", 3, 0x0403, 0, 0, 0, 0, EXC_GP, 0x0400, 0, 0 },
    { "a data segment", 3, FX_DS(3), 0, 0, 0, 0, EXC_GP, FX_DS(3) & ~3, 0, 0 },
    { "not present", 3, SD(3), 0, 0x7a, 0xc, 0xfffff, EXC_NP, SD(0), 0, 0 },
    { "offset at the limit", 3, SD(3), 0xfff, 0xfa, 0x4, 0xfff, OKAY, 0, SD(3), 3 },
    { "offset beyond the limit", 3, SD(3), 0x1000, 0xfa, 0x4, 0xfff, EXC_GP, 0, 0, 0 },
    { "an available TSS: task switch not modelled", 0, SD(0), 0, 0x89, 0x0, 0x67, STOP, 0, 0, 0 },
    { "a busy TSS", 0, SD(0), 0, 0x8b, 0x0, 0x67, EXC_GP, SD(0), 0, 0 },
    { "an LDT descriptor", 0, FX_LDT_SEL, 0, 0, 0, 0, EXC_GP, FX_LDT_SEL, 0, 0 },
    { "an interrupt gate", 0, SD(0), 0, 0x8e, 0x0, 0, EXC_GP, SD(0), 0, 0 },
};

START_TEST(test_far_jmp)
{
    const jcase_t *t = &jcases[_i];
    fx_new("x86", t->cpl);
    struct cpu *c = fx_c;
    if (t->access)
        fx_desc(D, 0, t->limit, t->access, t->gd);
    char b[7] = { (char)0xea, (char)t->off, (char)(t->off >> 8), (char)(t->off >> 16), (char)(t->off >> 24),
                  (char)t->sel, (char)(t->sel >> 8) };
    uint32_t esp = c->reg[ESP];
    isa_result_t r = fx_exec(b, 7);
    if (t->vec == STOP) {
        ck_assert_int_eq(r, ISA_STOP);
        ck_assert_ptr_nonnull(strstr(c->stop_reason, "not modelled"));
    } else if (t->vec == OKAY) {
        expect(r, OKAY, 0, t->name);
        ck_assert_uint_eq(c->eip, t->off);
        ck_assert_uint_eq(c->seg[SEG_CS].sel, t->want_cs);
        ck_assert_int_eq(c->cpl, t->want_cpl);
        ck_assert_uint_eq(c->reg[ESP], esp);
    } else {
        expect(r, t->vec, t->err, t->name);
        ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(t->cpl));
    }
    fx_free();
}
END_TEST

/* Far JMP and CALL to a TSS or a task gate, and IRET with NT = 1: the
 * SDM's checks come first, each with its fault; only a task switch that
 * would really happen stops as not modelled (SDM JMP, CALL, IRET; vol. 3
 * 7.3, table 7-1). D is the TSS or gate named, D2 a TSS a gate names. */
typedef struct tcase_ts {
    const char *name;
    int cpl;
    uint16_t sel;            /* the selector of the JMP/CALL */
    uint8_t access;          /* descriptor at D */
    uint32_t limit;          /* D's limit (a TSS's) */
    uint16_t gate_tss;       /* a task gate at D names this TSS selector */
    uint8_t tss_access;      /* the TSS at D2 (0: none written) */
    uint32_t tss_limit;
    int vec;                 /* STOP or a vector */
    uint32_t err;
} tcase_ts_t;

static const tcase_ts_t tscases[] = {
    { "TSS DPL 0 from CPL 3", 3, SD(3), 0x89, 0x67, 0, 0, 0, EXC_GP, SD(0) },
    { "TSS DPL 3 with RPL 3 from CPL 0: allowed", 0, SD(3), 0xe9, 0x67, 0, 0, 0, STOP, 0 },
    { "TSS DPL 2 with RPL 3 from CPL 0", 0, SD(3), 0xc9, 0x67, 0, 0, 0, EXC_GP, SD(0) },
    { "TSS DPL 0, not present, from CPL 3: the DPL first", 3, SD(3), 0x09, 0x67, 0, 0, 0, EXC_GP, SD(0) },
    { "TSS not present", 0, SD(0), 0x09, 0x67, 0, 0, 0, EXC_NP, SD(0) },
    { "TSS DPL 3 not present from CPL 3", 3, SD(3), 0x69, 0x67, 0, 0, 0, EXC_NP, SD(0) },
    { "32-bit TSS limit 0x66", 0, SD(0), 0x89, 0x66, 0, 0, 0, EXC_TS, SD(0) },
    { "16-bit TSS limit 0x2b: allowed", 0, SD(0), 0x81, 0x2b, 0, 0, 0, STOP, 0 },
    { "16-bit TSS limit 0x2a", 0, SD(0), 0x81, 0x2a, 0, 0, 0, EXC_TS, SD(0) },
    { "busy TSS DPL 3 from CPL 3", 3, SD(3), 0xeb, 0x67, 0, 0, 0, EXC_GP, SD(0) },
    { "task gate DPL 0 from CPL 3", 3, SD(3), 0x85, 0, SD2(0), 0x89, 0x67, EXC_GP, SD(0) },
    { "task gate DPL 3, RPL 3 from CPL 0", 0, SD(3), 0xe5, 0, SD2(0), 0x89, 0x67, STOP, 0 },
    { "task gate not present", 3, SD(3), 0x65, 0, SD2(0), 0x89, 0x67, EXC_NP, SD(0) },
    { "task gate: the TSS's DPL is not checked", 3, SD(3), 0xe5, 0, SD2(0), 0x89, 0x67, STOP, 0 },
    { "task gate to an LDT selector", 3, SD(3), 0xe5, 0, SD2(0) | 4, 0x89, 0x67, EXC_GP, SD2(0) | 4 },
    { "task gate to a selector beyond the GDT", 3, SD(3), 0xe5, 0, 0x0400, 0, 0, EXC_GP, 0x0400 },
    { "task gate to a busy TSS", 3, SD(3), 0xe5, 0, SD2(0), 0x8b, 0x67, EXC_GP, SD2(0) },
    { "task gate to a data segment", 3, SD(3), 0xe5, 0, SD2(0), 0x93, 0xfffff, EXC_GP, SD2(0) },
    { "task gate to a TSS not present", 3, SD(3), 0xe5, 0, SD2(0), 0x09, 0x67, EXC_NP, SD2(0) },
    { "task gate to a TSS too short", 3, SD(3), 0xe5, 0, SD2(0), 0x89, 0x20, EXC_TS, SD2(0) },
};

START_TEST(test_task_switch_checks)
{
    const tcase_ts_t *t = &tscases[_i / 2];
    int call = _i & 1;
    fx_new("x86", t->cpl);
    struct cpu *c = fx_c;
    if (t->gate_tss || (t->access & 0x1f) == 0x05)
        fx_gate_at(FX_GDT, D, t->gate_tss, 0, t->access, 0);
    else
        fx_desc(D, FX_DATA, t->limit, t->access, 0);
    if (t->tss_access)
        fx_desc(D2, FX_DATA + 0x100, t->tss_limit, t->tss_access, 0);
    char b[7] = { (char)(call ? 0x9a : 0xea), 0, 0, 0, 0, (char)t->sel, (char)(t->sel >> 8) };
    uint32_t esp = c->reg[ESP];
    isa_result_t r = fx_exec(b, 7);
    if (t->vec == STOP) {
        ck_assert_msg(r == ISA_STOP, "%s (%s): result %d (vector %d error %#x), expected the stop", t->name,
                      call ? "call" : "jmp", r, c->exc_vector, c->exc_error);
        ck_assert_ptr_nonnull(strstr(c->stop_reason, call ? "far CALL" : "far JMP"));
    } else {
        expect(r, t->vec, t->err, t->name);
    }
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(t->cpl));
    ck_assert_uint_eq(c->reg[ESP], esp);
    fx_free();
}
END_TEST

/* IRET with NT = 1 returns to the TSS the current TSS's link names, at any
 * CPL: #TS(link) unless it is a busy TSS in the GDT, #NP when not present,
 * #TS when too short; only then the stop. */
START_TEST(test_iret_task_return_checks)
{
    static const struct { const char *name; uint16_t link; uint8_t access; uint32_t limit; int vec; uint32_t err; }
    t[] = {
        { "link null", 0, 0, 0, EXC_TS, 0 },
        { "link in the LDT", SD2(0) | 4, 0x8b, 0x67, EXC_TS, SD2(0) | 4 },
        { "link beyond the GDT", 0x0400, 0, 0, EXC_TS, 0x0400 },
        { "link to an available TSS", SD2(0), 0x89, 0x67, EXC_TS, SD2(0) },
        { "link to a data segment", SD2(0), 0x93, 0xfffff, EXC_TS, SD2(0) },
        { "link to a busy TSS not present", SD2(0), 0x0b, 0x67, EXC_NP, SD2(0) },
        { "link to a busy TSS too short", SD2(0), 0x8b, 0x66, EXC_TS, SD2(0) },
        { "link RPL 3 to a busy TSS DPL 0: no privilege check", SD2(0) | 3, 0x8b, 0x67, STOP, 0 },
    };
    const int n = (int)(sizeof t / sizeof t[0]);
    int k = _i % n, cpl = _i < n ? 0 : 3;
    fx_new("x86", cpl);
    struct cpu *c = fx_c;
    c->eflags = FL_1 | FL_NT;
    fx_wr(FX_TSS, 2, t[k].link);
    if (t[k].access)
        fx_desc(D2, FX_DATA + 0x100, t[k].limit, t[k].access, 0);
    uint32_t esp = c->reg[ESP];
    isa_result_t r = FX_EXEC("\xcf");
    if (t[k].vec == STOP) {
        ck_assert_msg(r == ISA_STOP, "%s at CPL %d: result %d (vector %d error %#x)", t[k].name, cpl, r,
                      c->exc_vector, c->exc_error);
        ck_assert_ptr_nonnull(strstr(c->stop_reason, "task return"));
    } else {
        expect(r, t[k].vec, t[k].err, t[k].name);
    }
    ck_assert_uint_eq(c->reg[ESP], esp);
    ck_assert_uint_eq(c->eflags, FL_1 | FL_NT);
    fx_free();
}
END_TEST

/* JMP through a call gate: no stack switch, CPL unchanged. */
START_TEST(test_jmp_call_gate)
{
    fx_new("x86", 3);
    struct cpu *c = fx_c;
    fx_gate_at(FX_GDT, D, FX_CS(3), 0x00405060, ACC_CALLGATE(3), 0);
    expect(FX_EXEC("\xea\x00\x00\x00\x00\x5b\x00"), OKAY, 0, "jmp via gate");
    ck_assert_uint_eq(c->eip, 0x00405060);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(3));
    ck_assert_uint_eq(c->reg[ESP], FX_STACK);
    /* a JMP cannot go to an inner ring through a gate */
    fx_gate_at(FX_GDT, D, FX_CS(0), 0x1000, ACC_CALLGATE(3), 0);
    fx_ring(3);
    expect(FX_EXEC("\xea\x00\x00\x00\x00\x5b\x00"), EXC_GP, FX_CS(0), "jmp via gate to ring 0");
    /* gate DPL < CPL, gate DPL < RPL, gate not present */
    fx_gate_at(FX_GDT, D, FX_CS(3), 0x1000, ACC_CALLGATE(2), 0);
    expect(FX_EXEC("\xea\x00\x00\x00\x00\x5b\x00"), EXC_GP, SD(0), "gate DPL 2 at CPL 3");
    fx_ring(2);
    fx_load(SEG_CS, FX_CS(2));
    fx_gate_at(FX_GDT, D, FX_CS(2), 0x1000, ACC_CALLGATE(2), 0);
    expect(FX_EXEC("\xea\x00\x00\x00\x00\x5b\x00"), EXC_GP, SD(0), "gate DPL 2, RPL 3");
    expect(FX_EXEC("\xea\x00\x00\x00\x00\x5a\x00"), OKAY, 0, "gate DPL 2, RPL 2");
    fx_gate_at(FX_GDT, D, FX_CS(2), 0x1000, (uint8_t)(ACC_CALLGATE(2) & 0x7f), 0);
    expect(FX_EXEC("\xea\x00\x00\x00\x00\x5a\x00"), EXC_NP, SD(0), "gate not present");
    /* gate to a null or absent code selector; target beyond the limit */
    fx_gate_at(FX_GDT, D, 0, 0x1000, ACC_CALLGATE(3), 0);
    expect(FX_EXEC("\xea\x00\x00\x00\x00\x5a\x00"), EXC_GP, 0, "gate to null");
    fx_gate_at(FX_GDT, D, 0x0800, 0x1000, ACC_CALLGATE(3), 0);
    expect(FX_EXEC("\xea\x00\x00\x00\x00\x5a\x00"), EXC_GP, 0x0800, "gate beyond the GDT");
    fx_desc(D2, 0, 0xfff, 0xda, 0x4);
    fx_gate_at(FX_GDT, D, FX_SEL(D2, 0), 0x1000, ACC_CALLGATE(3), 0);
    expect(FX_EXEC("\xea\x00\x00\x00\x00\x5a\x00"), EXC_GP, 0, "gate target beyond the limit");
    fx_free();
}
END_TEST

/* ---- far CALL and RET at the same ring ------------------------------------------- */
START_TEST(test_far_call_ret_same_ring)
{
    fx_new("x86", 3);
    struct cpu *c = fx_c;
    /* lcall 0x3b:0x00405060 pushes CS then EIP */
    expect(FX_EXEC("\x9a\x60\x50\x40\x00\x3b\x00"), OKAY, 0, "lcall");
    ck_assert_uint_eq(c->eip, 0x00405060);
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 8);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 8), FX_CODE + 7);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 4) & 0xffff, FX_CS(3));
    /* lret */
    expect(FX_EXEC("\xcb"), OKAY, 0, "lret");
    ck_assert_uint_eq(c->eip, FX_CODE + 7);
    ck_assert_uint_eq(c->reg[ESP], FX_STACK);
    /* lret 12 releases 12 more bytes */
    c->reg[ESP] = FX_STACK - 8;
    expect(FX_EXEC("\xca\x0c\x00"), OKAY, 0, "lret 12");
    ck_assert_uint_eq(c->reg[ESP], FX_STACK + 12);
    /* 16-bit lcall: pushes CS and IP as words */
    c->reg[ESP] = FX_STACK;
    expect(FX_EXEC("\x66\x9a\x34\x12\x3b\x00"), OKAY, 0, "lcall ptr16:16");
    ck_assert_uint_eq(c->eip, 0x1234);
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 4);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 4), ((uint32_t)FX_CS(3) << 16) | (FX_CODE + 6) % 0x10000);
    /* lcall through memory (FF /3) */
    c->reg[ESP] = FX_STACK;
    c->reg[EBX] = FX_DATA;
    fx_wr32(FX_DATA, 0x00102030);
    fx_wr32(FX_DATA + 4, FX_CS(3));
    expect(FX_EXEC("\xff\x1b"), OKAY, 0, "lcall [ebx]");
    ck_assert_uint_eq(c->eip, 0x00102030);
    ck_assert_uint_eq(fx_rd32(FX_STACK - 8), FX_CODE + 2);
    /* a stack that cannot hold the return address: #SS(0), nothing changes */
    fx_desc(D2, FX_DATA, 0xfff, 0xf2, 0x4);
    fx_load(SEG_SS, FX_SEL(D2, 3));
    c->reg[ESP] = 4;
    expect(FX_EXEC("\x9a\x60\x50\x40\x00\x3b\x00"), EXC_SS, 0, "lcall with no room");
    ck_assert_uint_eq(c->reg[ESP], 4);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(3));
    fx_free();
}
END_TEST

/* RET to a more privileged or mismatched CS faults with the CS selector. */
typedef struct rcase {
    const char *name;
    int cpl;
    uint16_t cs;
    uint32_t eip;
    uint8_t access;   /* descriptor at D */
    uint32_t limit;
    int vec;
    uint32_t err;
} rcase_t;

static const rcase_t rcases[] = {
    { "to CPL 0 from CPL 3", 3, FX_CS(0), 0, 0, 0, EXC_GP, FX_CS(0) },
    { "to a DPL 0 code with RPL 3", 3, FX_CS(0) | 3, 0, 0, 0, EXC_GP, FX_CS(0) },
    { "to a data segment", 3, FX_DS(3), 0, 0, 0, EXC_GP, FX_DS(3) & ~3 },
    { "null CS", 3, 0x0003, 0, 0, 0, EXC_GP, 0 },
    { "CS beyond the GDT", 3, 0x0403, 0, 0, 0, EXC_GP, 0x0400 },
    { "conforming DPL 0, RPL 3: allowed", 3, SD(3), 0x10, 0x9e, 0xfffff, OKAY, 0 },
    { "conforming DPL 3, RPL 2 at CPL 2", 2, SD(2), 0x10, 0xfe, 0xfffff, EXC_GP, SD(0) },
    { "not present", 3, SD(3), 0, 0x7a, 0xfffff, EXC_NP, SD(0) },
    { "EIP beyond the limit", 3, SD(3), 0x1000, 0xfa, 0xfff, EXC_GP, 0 },
};

START_TEST(test_far_ret_faults)
{
    const rcase_t *t = &rcases[_i];
    fx_new("x86", t->cpl);
    struct cpu *c = fx_c;
    if (t->access)
        fx_desc(D, 0, t->limit, t->access, t->limit > 0xfff ? 0xc : 0x4);
    fx_push32(t->cs);
    fx_push32(t->eip);
    uint32_t esp = c->reg[ESP];
    isa_result_t r = FX_EXEC("\xcb");
    expect(r, t->vec, t->err, t->name);
    if (t->vec == OKAY) {
        ck_assert_uint_eq(c->eip, t->eip);
        ck_assert_uint_eq(c->seg[SEG_CS].sel, t->cs);
        ck_assert_int_eq(c->cpl, t->cpl);
    } else {
        ck_assert_uint_eq(c->reg[ESP], esp);
        ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(t->cpl));
    }
    fx_free();
}
END_TEST

/* ---- a call gate to ring 0 and the return to ring 3 ---------------------------------- */
START_TEST(test_call_gate_inner_ring)
{
    fx_new("x86", 3);
    struct cpu *c = fx_c;
    /* a 32-bit call gate, DPL 3, to ring 0 code, 2 dword parameters */
    fx_gate_at(FX_GDT, D, FX_CS(0), 0x00405060, ACC_CALLGATE(3), 2);
    fx_push32(0x22222222);   /* parameter 2 */
    fx_push32(0x11111111);   /* parameter 1 */
    uint32_t esp3 = c->reg[ESP];
    c->eflags = FL_1 | FL_IF | FL_CF;
    expect(FX_EXEC("\x9a\x00\x00\x00\x00\x5b\x00"), OKAY, 0, "lcall gate");
    ck_assert_int_eq(c->cpl, 0);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(0));
    ck_assert_uint_eq(c->eip, 0x00405060);
    ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(0));      /* TSS SS0 */
    ck_assert_uint_eq(c->reg[ESP], FX_ESP0 - 24);
    ck_assert_uint_eq(c->eflags, FL_1 | FL_IF | FL_CF);   /* a call gate leaves EFLAGS alone */
    /* the new stack: EIP, CS, the parameters in order, ESP, SS */
    ck_assert_uint_eq(fx_rd32(FX_ESP0 - 24), FX_CODE + 7);
    ck_assert_uint_eq(fx_rd32(FX_ESP0 - 20) & 0xffff, FX_CS(3));
    ck_assert_uint_eq(fx_rd32(FX_ESP0 - 16), 0x11111111);
    ck_assert_uint_eq(fx_rd32(FX_ESP0 - 12), 0x22222222);
    ck_assert_uint_eq(fx_rd32(FX_ESP0 - 8), esp3);
    ck_assert_uint_eq(fx_rd32(FX_ESP0 - 4) & 0xffff, FX_DS(3));
    /* the data segments the callee loads */
    fx_load(SEG_DS, FX_DS(0));
    fx_load(SEG_ES, FX_DS(3));
    fx_desc(D2, 0, 0xfffff, 0x9e, 0xc);          /* conforming readable code, DPL 0 */
    fx_load(SEG_FS, FX_SEL(D2, 0));
    fx_load(SEG_GS, FX_CS(0));                   /* nonconforming code, DPL 0 */
    /* lret 8: back to ring 3, the callee's parameters released on both stacks */
    expect(FX_EXEC("\xca\x08\x00"), OKAY, 0, "lret 8 to ring 3");
    ck_assert_int_eq(c->cpl, 3);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(3));
    ck_assert_uint_eq(c->eip, FX_CODE + 7);
    ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(3));
    ck_assert_uint_eq(c->reg[ESP], esp3 + 8);
    /* DS (DPL 0 data) and GS (DPL 0 nonconforming code) are made null; ES
     * (DPL 3) and FS (conforming code) stay */
    ck_assert_int_eq(c->seg[SEG_DS].usable, 0);
    ck_assert_uint_eq(c->seg[SEG_DS].sel & 0xfffc, 0);
    ck_assert_int_eq(c->seg[SEG_GS].usable, 0);
    ck_assert_int_eq(c->seg[SEG_ES].usable, 1);
    ck_assert_uint_eq(c->seg[SEG_ES].sel, FX_DS(3));
    ck_assert_int_eq(c->seg[SEG_FS].usable, 1);
    fx_free();
}
END_TEST

/* A 16-bit call gate pushes words, copies word parameters. */
START_TEST(test_call_gate16)
{
    fx_new("x86", 3);
    struct cpu *c = fx_c;
    fx_gate_at(FX_GDT, D, FX_CS(0), 0x00003456, 0x84 | (3 << 5), 1);
    c->reg[ESP] -= 2;
    fx_wr(FX_STACK - 2, 2, 0xbeef);
    expect(FX_EXEC("\x9a\x00\x00\x00\x00\x5b\x00"), OKAY, 0, "lcall 16-bit gate");
    ck_assert_uint_eq(c->eip, 0x3456);
    ck_assert_uint_eq(c->reg[ESP], FX_ESP0 - 10);
    ck_assert_uint_eq(fx_rd(FX_ESP0 - 10, 2), (FX_CODE + 7) & 0xffff);
    ck_assert_uint_eq(fx_rd(FX_ESP0 - 8, 2), FX_CS(3));
    ck_assert_uint_eq(fx_rd(FX_ESP0 - 6, 2), 0xbeef);
    ck_assert_uint_eq(fx_rd(FX_ESP0 - 4, 2), (FX_STACK - 2) & 0xffff);
    ck_assert_uint_eq(fx_rd(FX_ESP0 - 2, 2), FX_DS(3));
    fx_free();
}
END_TEST

/* The checks of a call through a gate, each with its fault. */
typedef struct gcase {
    const char *name;
    int cpl;
    uint16_t gate_sel;
    uint8_t gate_access;
    uint16_t target;          /* the gate's code selector */
    uint32_t target_off;
    uint16_t ss0;             /* TSS SS0, ESP0 */
    uint32_t esp0;
    uint32_t tss_limit;
    int vec;
    uint32_t err;
} gcase_t;

#define GATE3 ACC_CALLGATE(3)
static const gcase_t gcases[] = {
    { "gate DPL 0 from CPL 3", 3, SD(3), ACC_CALLGATE(0), FX_CS(0), 0, FX_DS(0), FX_ESP0, 103, EXC_GP, SD(0) },
    { "gate DPL 2, RPL 3, CPL 2", 2, SD(3), ACC_CALLGATE(2), FX_CS(0), 0, FX_DS(0), FX_ESP0, 103, EXC_GP, SD(0) },
    { "gate not present", 3, SD(3), GATE3 & 0x7f, FX_CS(0), 0, FX_DS(0), FX_ESP0, 103, EXC_NP, SD(0) },
    { "gate to null", 3, SD(3), GATE3, 0, 0, FX_DS(0), FX_ESP0, 103, EXC_GP, 0 },
    { "gate to a data segment", 3, SD(3), GATE3, FX_DS(0), 0, FX_DS(0), FX_ESP0, 103, EXC_GP, FX_DS(0) },
    { "gate to an outer ring", 1, SD(3), GATE3, FX_CS(3), 0, FX_DS(0), FX_ESP0, 103, EXC_GP, FX_CS(3) & ~3 },
    { "TSS too short for SS0:ESP0", 3, SD(3), GATE3, FX_CS(0), 0, FX_DS(0), FX_ESP0, 8, EXC_TS, FX_TSS_SEL },
    { "TSS SS0 null", 3, SD(3), GATE3, FX_CS(0), 0, 0, FX_ESP0, 103, EXC_TS, 0 },
    { "TSS SS0 RPL 3", 3, SD(3), GATE3, FX_CS(0), 0, FX_DS(0) | 3, FX_ESP0, 103, EXC_TS, FX_DS(0) },
    { "TSS SS0 DPL 3", 3, SD(3), GATE3, FX_CS(0), 0, FX_DS(3) & ~3, FX_ESP0, 103, EXC_TS, FX_DS(3) & ~3 },
    { "TSS SS0 a code segment", 3, SD(3), GATE3, FX_CS(0), 0, FX_CS(0), FX_ESP0, 103, EXC_TS, FX_CS(0) },
    { "TSS SS0 not present", 3, SD(3), GATE3, FX_CS(0), 0, FX_SEL(D2, 0), FX_ESP0, 103, EXC_SS, FX_SEL(D2, 0) },
    { "new stack too small", 3, SD(3), GATE3, FX_CS(0), 0, FX_SEL(D2 + 1, 0), 8, 103, EXC_SS, FX_SEL(D2 + 1, 0) },
    { "target beyond the code limit", 3, SD(3), GATE3, FX_SEL(D2 + 2, 0), 0x2000, FX_DS(0), FX_ESP0, 103, EXC_GP, 0 },
};

START_TEST(test_call_gate_checks)
{
    const gcase_t *t = &gcases[_i];
    fx_new("x86", t->cpl);
    struct cpu *c = fx_c;
    fx_gate_at(FX_GDT, D, t->target, t->target_off, t->gate_access, 0);
    fx_desc(D2, 0, 0xfffff, 0x12, 0xc);                 /* not present DPL 0 data */
    fx_desc(D2 + 1, 0, 0xfff, 0x92, 0x4);               /* DPL 0 data, byte limit 0xfff */
    fx_desc(D2 + 2, 0, 0xfff, 0x9a, 0x4);               /* DPL 0 code, byte limit 0xfff */
    fx_wr32(FX_TSS + 4, t->esp0);
    fx_wr32(FX_TSS + 8, t->ss0);
    c->tr.limit = t->tss_limit;
    char b[7] = { (char)0x9a, 0, 0, 0, 0, (char)t->gate_sel, (char)(t->gate_sel >> 8) };
    uint32_t esp = c->reg[ESP];
    expect(fx_exec(b, 7), t->vec, t->err, t->name);
    ck_assert_uint_eq(c->reg[ESP], esp);
    ck_assert_int_eq(c->cpl, t->cpl);
    ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(t->cpl));
    fx_free();
}
END_TEST

/* Return to an outer ring: the checks of the SS:ESP popped after CS. */
typedef struct ocase {
    const char *name;
    uint16_t ss;
    uint8_t access;     /* descriptor at D */
    int vec;
    uint32_t err;
} ocase_t;

static const ocase_t ocases[] = {
    { "ring 3 stack", FX_DS(3), 0, OKAY, 0 },
    { "SS null", 0x0003, 0, EXC_GP, 0 },
    { "SS beyond the GDT", 0x0403, 0, EXC_GP, 0x0400 },
    { "SS RPL != CS RPL", FX_DS(3) & ~1, 0, EXC_GP, FX_DS(3) & ~3 },
    { "SS DPL != CS RPL", SD(3), 0xd2, EXC_GP, SD(0) },
    { "SS read-only", SD(3), 0xf0, EXC_GP, SD(0) },
    { "SS a code segment", FX_CS(3), 0, EXC_GP, FX_CS(3) & ~3 },
    { "SS not present", SD(3), 0x72, EXC_SS, SD(0) },
};

START_TEST(test_ret_outer_checks)
{
    const ocase_t *t = &ocases[_i];
    fx_new("x86", 0);
    struct cpu *c = fx_c;
    if (t->access)
        fx_desc(D, 0, 0xfffff, t->access, 0xc);
    fx_push32(t->ss);
    fx_push32(0x00123450);
    fx_push32(FX_CS(3));
    fx_push32(0x00405060);
    uint32_t esp = c->reg[ESP];
    expect(FX_EXEC("\xcb"), t->vec, t->err, t->name);
    if (t->vec == OKAY) {
        ck_assert_int_eq(c->cpl, 3);
        ck_assert_uint_eq(c->reg[ESP], 0x00123450);
        ck_assert_uint_eq(c->seg[SEG_SS].sel, t->ss);
        ck_assert_uint_eq(c->eip, 0x00405060);
    } else {
        ck_assert_uint_eq(c->reg[ESP], esp);
        ck_assert_int_eq(c->cpl, 0);
        ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(0));
    }
    fx_free();
}
END_TEST

/* ---- LAR, LSL, VERR, VERW ------------------------------------------------------ */
typedef struct qcase {
    const char *name;
    int cpl;
    uint16_t sel;
    uint8_t access;    /* descriptor at D (0: use the selector as it is) */
    uint8_t gd;
    uint32_t limit;
    int lar, lsl, verr, verw;    /* expected ZF of each */
    uint32_t lar_val, lsl_val;
} qcase_t;

static const qcase_t qcases[] = {
    { "flat DPL 3 data at CPL 3", 3, FX_DS(3), 0, 0, 0, 1, 1, 1, 1, 0x00c0f200, 0xffffffff },
    { "flat DPL 3 code at CPL 3", 3, FX_CS(3), 0, 0, 0, 1, 1, 1, 0, 0x00c0fa00, 0xffffffff },
    { "DPL 0 data at CPL 3", 3, FX_DS(0) | 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "DPL 0 data, RPL 3, at CPL 0", 0, FX_DS(0) | 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "DPL 0 data at CPL 0", 0, FX_DS(0), 0, 0, 0, 1, 1, 1, 1, 0x00c09200, 0xffffffff },
    { "byte-granular limit", 3, SD(3), 0xf2, 0x4, 0x01234, 1, 1, 1, 1, 0x0040f200, 0x01234 },
    { "page-granular limit", 3, SD(3), 0xf2, 0xc, 0x00012, 1, 1, 1, 1, 0x00c0f200, 0x00012fff },
    { "read-only data", 3, SD(3), 0xf0, 0x4, 0xfff, 1, 1, 1, 0, 0x0040f000, 0xfff },
    { "execute-only code", 3, SD(3), 0xf8, 0x4, 0xfff, 1, 1, 0, 0, 0x0040f800, 0xfff },
    { "conforming DPL 0 readable code at CPL 3", 3, SD(3), 0x9e, 0x4, 0xfff, 1, 1, 1, 0, 0x00409e00, 0xfff },
    { "conforming DPL 0 execute-only at CPL 3", 3, SD(3), 0x9c, 0x4, 0xfff, 1, 1, 0, 0, 0x00409c00, 0xfff },
    { "not present data", 3, SD(3), 0x72, 0x4, 0xfff, 1, 1, 1, 1, 0x00407200, 0xfff },
    { "busy TSS at CPL 0", 0, FX_TSS_SEL, 0, 0, 0, 1, 1, 0, 0, 0x00008b00, 103 },
    { "busy TSS at CPL 3", 3, FX_TSS_SEL | 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "LDT descriptor", 0, FX_LDT_SEL, 0, 0, 0, 1, 1, 0, 0, 0x00008200, 63 },
    { "available 32-bit TSS", 0, SD(0), 0x89, 0x0, 0x67, 1, 1, 0, 0, 0x00008900, 0x67 },
    { "16-bit TSS", 0, SD(0), 0x81, 0x0, 0x2b, 1, 1, 0, 0, 0x00008100, 0x2b },
    { "32-bit call gate", 0, SD(0), 0x8c, 0x0, 0, 1, 0, 0, 0, 0x00008c00, 0 },
    { "task gate", 0, SD(0), 0x85, 0x0, 0, 1, 0, 0, 0, 0x00008500, 0 },
    { "32-bit interrupt gate", 0, SD(0), 0x8e, 0x0, 0, 0, 0, 0, 0, 0, 0 },
    { "32-bit trap gate", 0, SD(0), 0x8f, 0x0, 0, 0, 0, 0, 0, 0, 0 },
    { "16-bit interrupt gate", 0, SD(0), 0x86, 0x0, 0, 0, 0, 0, 0, 0, 0 },
    { "reserved system type 0", 0, SD(0), 0x80, 0x0, 0, 0, 0, 0, 0, 0, 0 },
    { "reserved system type 8", 0, SD(0), 0x88, 0x0, 0, 0, 0, 0, 0, 0, 0 },
    { "null selector", 0, 0x0000, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "null selector RPL 3", 3, 0x0003, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "beyond the GDT", 0, 0x0400, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "LDT selector with LDTR null", 0, 0x0004, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

START_TEST(test_lar_lsl_verr_verw)
{
    const qcase_t *t = &qcases[_i];
    fx_new("x86", t->cpl);
    struct cpu *c = fx_c;
    if (t->access)
        fx_desc(D, 0x00345678, t->limit, t->access, t->gd);
    static const struct { const char *name, *bytes; int n; } ins[4] = {
        { "lar", "\x0f\x02\xc1", 3 }, { "lsl", "\x0f\x03\xc1", 3 },
        { "verr", "\x0f\x00\xe1", 3 }, { "verw", "\x0f\x00\xe9", 3 } };
    const int want[4] = { t->lar, t->lsl, t->verr, t->verw };
    for (int k = 0; k < 4; k++) {
        c->reg[EAX] = 0xdeadbeef;
        c->reg[ECX] = 0xffff0000u | t->sel;
        c->eflags = FL_1 | (want[k] ? 0 : FL_ZF) | FL_CF;
        expect(fx_exec(ins[k].bytes, (size_t)ins[k].n), OKAY, 0, t->name);
        ck_assert_msg(!!(c->eflags & FL_ZF) == want[k], "%s: %s ZF %d", t->name, ins[k].name, !want[k]);
        ck_assert_msg(c->eflags & FL_CF, "%s: %s changed CF", t->name, ins[k].name);
        uint32_t v = k == 0 ? t->lar_val : t->lsl_val;
        if (k < 2)
            ck_assert_msg(c->reg[EAX] == (want[k] ? v : 0xdeadbeef), "%s: %s gives %08x, expected %08x",
                          t->name, ins[k].name, c->reg[EAX], want[k] ? v : 0xdeadbeef);
    }
    /* 16-bit LAR keeps the access byte only; 16-bit LSL the low word */
    if (t->lar) {
        c->reg[EAX] = 0xdeadbeef;
        ck_assert_int_eq(FX_EXEC("\x66\x0f\x02\xc1"), ISA_OK);
        ck_assert_uint_eq(c->reg[EAX], 0xdead0000u | (t->lar_val & 0xff00));
    }
    if (t->lsl) {
        c->reg[EAX] = 0xdeadbeef;
        ck_assert_int_eq(FX_EXEC("\x66\x0f\x03\xc1"), ISA_OK);
        ck_assert_uint_eq(c->reg[EAX], 0xdead0000u | (t->lsl_val & 0xffff));
    }
    fx_free();
}
END_TEST

/* LAR/LSL/VERR/VERW read their selector from memory too, and see the LDT. */
START_TEST(test_lar_ldt)
{
    fx_new("x86", 0);
    struct cpu *c = fx_c;
    fx_desc_at(FX_LDT, 1, 0, 0xfff, 0xf2, 0x4);
    c->reg[EAX] = FX_LDT_SEL;
    ck_assert_int_eq(FX_EXEC("\x0f\x00\xd0"), ISA_OK);                   /* lldt ax */
    c->reg[EBX] = FX_DATA;
    fx_wr32(FX_DATA, 0x000f);      /* LDT entry 1, RPL 3 */
    ck_assert_int_eq(FX_EXEC("\x0f\x03\x03"), ISA_OK);                   /* lsl eax,[ebx] */
    ck_assert(c->eflags & FL_ZF);
    ck_assert_uint_eq(c->reg[EAX], 0xfff);
    ck_assert_int_eq(FX_EXEC("\x0f\x00\x2b"), ISA_OK);                   /* verw [ebx] */
    ck_assert(c->eflags & FL_ZF);
    fx_wr32(FX_DATA, 0x0017);      /* LDT entry 2: empty */
    ck_assert_int_eq(FX_EXEC("\x0f\x00\x23"), ISA_OK);                   /* verr [ebx] */
    ck_assert(!(c->eflags & FL_ZF));
    fx_wr32(FX_DATA, 0x0047);      /* beyond the LDT's limit (8 entries) */
    ck_assert_int_eq(FX_EXEC("\x0f\x02\x03"), ISA_OK);
    ck_assert(!(c->eflags & FL_ZF));
    fx_free();
}
END_TEST

/* ---- LTR and LLDT ------------------------------------------------------------------ */
START_TEST(test_ltr)
{
    fx_new("x86", 0);
    struct cpu *c = fx_c;
    static const struct { const char *name; uint16_t sel; uint8_t access; int vec; uint32_t err; } t[] = {
        { "null", 0x0000, 0, EXC_GP, 0 },
        { "null RPL 3", 0x0003, 0, EXC_GP, 0 },
        { "LDT selector", 0x0004 | (D << 3), 0x89, EXC_GP, 0x0004 | (D << 3) },
        { "beyond the GDT", 0x0400, 0, EXC_GP, 0x0400 },
        { "data segment", SD(0), 0x92, EXC_GP, SD(0) },
        { "busy TSS", SD(0), 0x8b, EXC_GP, SD(0) },
        { "LDT descriptor", SD(0), 0x82, EXC_GP, SD(0) },
        { "call gate", SD(0), 0x8c, EXC_GP, SD(0) },
        { "not present TSS", SD(0), 0x09, EXC_NP, SD(0) },
        { "available 32-bit TSS", SD(0), 0x89, OKAY, 0 },
        { "available 16-bit TSS", SD(0), 0x81, OKAY, 0 },
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        fx_desc(D, FX_TSS + 0x100, 0x67, t[k].access, 0);
        seg_cache_t before = c->tr;
        c->reg[EAX] = t[k].sel;
        expect(FX_EXEC("\x0f\x00\xd8"), t[k].vec, t[k].err, t[k].name);   /* ltr ax */
        if (t[k].vec != OKAY) {
            ck_assert(memcmp(&before, &c->tr, sizeof before) == 0);
            continue;
        }
        ck_assert_uint_eq(c->tr.sel, t[k].sel);
        ck_assert_uint_eq(c->tr.base, FX_TSS + 0x100);
        ck_assert_uint_eq(c->tr.limit, 0x67);
        ck_assert_uint_eq(c->tr.access, t[k].access | 2);                   /* busy */
        ck_assert_uint_eq((fx_rd32(FX_GDT + D * 8 + 4) >> 8) & 0xff, t[k].access | 2u);
        c->tr = before;
    }
    /* STR stores it */
    ck_assert_int_eq(FX_EXEC("\x0f\x00\xc9"), ISA_OK);                      /* str ecx */
    ck_assert_uint_eq(c->reg[ECX], FX_TSS_SEL);
    fx_free();
}
END_TEST

START_TEST(test_lldt)
{
    fx_new("x86", 0);
    struct cpu *c = fx_c;
    static const struct { const char *name; uint16_t sel; uint8_t access; int vec; uint32_t err; } t[] = {
        { "LDT selector", 0x0004 | (D << 3), 0x82, EXC_GP, 0x0004 | (D << 3) },
        { "beyond the GDT", 0x0400, 0, EXC_GP, 0x0400 },
        { "data segment", SD(0), 0x92, EXC_GP, SD(0) },
        { "TSS", SD(0), 0x89, EXC_GP, SD(0) },
        { "not present LDT", SD(0), 0x02, EXC_NP, SD(0) },
        { "LDT", SD(0), 0x82, OKAY, 0 },
        { "LDT DPL 3 with RPL 3 (no privilege check)", SD(3), 0xe2, OKAY, 0 },
        { "null: LDTR unusable", 0x0000, 0, OKAY, 0 },
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        fx_desc(D, FX_LDT + 0x40, 0x1f, t[k].access, 0);
        seg_cache_t before = c->ldtr;
        c->reg[EAX] = t[k].sel;
        expect(FX_EXEC("\x0f\x00\xd0"), t[k].vec, t[k].err, t[k].name);   /* lldt ax */
        if (t[k].vec != OKAY) {
            ck_assert(memcmp(&before, &c->ldtr, sizeof before) == 0);
            continue;
        }
        ck_assert_uint_eq(c->ldtr.sel, t[k].sel);
        ck_assert_int_eq(c->ldtr.usable, t[k].sel != 0);
        if (t[k].sel) {
            ck_assert_uint_eq(c->ldtr.base, FX_LDT + 0x40);
            ck_assert_uint_eq(c->ldtr.limit, 0x1f);
        }
    }
    /* with an LDT loaded, TI = 1 selectors load from it */
    c->reg[EAX] = FX_LDT_SEL;
    ck_assert_int_eq(FX_EXEC("\x0f\x00\xd0"), ISA_OK);
    fx_desc_at(FX_LDT, 2, 0x00500000, 0xfff, 0x92, 0x4);
    expect(mov_sreg(SEG_DS, 0x0014), OKAY, 0, "mov ds, LDT entry 2");
    ck_assert_uint_eq(c->seg[SEG_DS].base, 0x00500000);
    ck_assert_uint_eq(fx_rd32(FX_LDT + 2 * 8 + 4) & 0x100, 0x100);          /* accessed, in the LDT */
    expect(mov_sreg(SEG_DS, 0x0044), EXC_GP, 0x0044, "beyond the LDT limit");
    ck_assert_int_eq(FX_EXEC("\x0f\x00\xc1"), ISA_OK);                      /* sldt ecx */
    ck_assert_uint_eq(c->reg[ECX], FX_LDT_SEL);
    fx_free();
}
END_TEST

/* ---- control registers -------------------------------------------------------------- */
/* SGDT/SIDT store the limit and all 32 bits of the base whatever the
 * operand size (SDM vol. 2, SGDT: "16 or 32 bits ... the 32-bit base");
 * LGDT/LIDT with a 16-bit operand size load 24 bits of base. */
START_TEST(test_descriptor_table_registers)
{
    fx_new("x86", 0);
    struct cpu *c = fx_c;
    c->gdtr.base = 0x12345678; c->gdtr.limit = 0x01ff;
    c->idtr.base = 0x9abcdef0; c->idtr.limit = 0x07ff;
    fx_wr32(FX_DATA, 0xaaaaaaaa); fx_wr32(FX_DATA + 4, 0xaaaaaaaa);
    ck_assert_int_eq(FX_EXEC("\x0f\x01\x05\x00\x00\x03\x00"), ISA_OK);       /* sgdtl FX_DATA */
    ck_assert_uint_eq(fx_rd(FX_DATA, 2), 0x01ff);
    ck_assert_uint_eq(fx_rd32(FX_DATA + 2), 0x12345678);
    fx_wr32(FX_DATA, 0xaaaaaaaa); fx_wr32(FX_DATA + 4, 0xaaaaaaaa);
    ck_assert_int_eq(FX_EXEC("\x66\x0f\x01\x0d\x00\x00\x03\x00"), ISA_OK);   /* sidtw FX_DATA */
    ck_assert_uint_eq(fx_rd(FX_DATA, 2), 0x07ff);
    ck_assert_uint_eq(fx_rd32(FX_DATA + 2), 0x9abcdef0);
    ck_assert_uint_eq(fx_rd(FX_DATA + 6, 2), 0xaaaa);                           /* 6 bytes only */
    fx_wr(FX_DATA, 2, 0x00ff);
    fx_wr32(FX_DATA + 2, 0xfe123456);
    ck_assert_int_eq(FX_EXEC("\x66\x0f\x01\x15\x00\x00\x03\x00"), ISA_OK);   /* lgdtw FX_DATA */
    ck_assert_uint_eq(c->gdtr.base, 0x00123456);
    ck_assert_uint_eq(c->gdtr.limit, 0x00ff);
    ck_assert_int_eq(FX_EXEC("\x0f\x01\x1d\x00\x00\x03\x00"), ISA_OK);       /* lidtl FX_DATA */
    ck_assert_uint_eq(c->idtr.base, 0xfe123456);
    fx_free();
}
END_TEST

START_TEST(test_control_registers)
{
    fx_new("x86", 0);
    struct cpu *c = fx_c;
    /* CR0.PG: paging is not modelled, a clear stop */
    c->reg[EAX] = CR0_PE | CR0_ET | CR0_PG;
    ck_assert_int_eq(FX_EXEC("\x0f\x22\xc0"), ISA_STOP);
    ck_assert_ptr_nonnull(strstr(c->stop_reason, "paging"));
    ck_assert_uint_eq(c->cr0, CR0_PE | CR0_ET);
    /* PG without PE, NW without CD: #GP(0) */
    c->reg[EAX] = CR0_PG | CR0_ET;
    expect(FX_EXEC("\x0f\x22\xc0"), EXC_GP, 0, "PG without PE");
    c->reg[EAX] = CR0_PE | CR0_NW;
    expect(FX_EXEC("\x0f\x22\xc0"), EXC_GP, 0, "NW without CD");
    ck_assert_uint_eq(c->cr0, CR0_PE | CR0_ET);
    /* clearing PE: real mode is not modelled */
    c->reg[EAX] = 0;
    ck_assert_int_eq(FX_EXEC("\x0f\x22\xc0"), ISA_STOP);
    /* TS, MP, NE, WP, CD|NW can be written; ET stays set */
    c->reg[EAX] = CR0_PE | CR0_MP | CR0_TS | CR0_NE | CR0_WP | CR0_CD | CR0_NW;
    expect(FX_EXEC("\x0f\x22\xc0"), OKAY, 0, "mov cr0");
    ck_assert_uint_eq(c->cr0, CR0_PE | CR0_MP | CR0_TS | CR0_NE | CR0_WP | CR0_CD | CR0_NW | CR0_ET);
    ck_assert_int_eq(FX_EXEC("\x0f\x20\xc3"), ISA_OK);                      /* mov ebx,cr0 */
    ck_assert_uint_eq(c->reg[EBX], c->cr0);
    /* CLTS clears TS only */
    ck_assert_int_eq(FX_EXEC("\x0f\x06"), ISA_OK);
    ck_assert_uint_eq(c->cr0, CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_CD | CR0_NW | CR0_ET);
    /* LMSW loads PE MP EM TS, cannot clear PE */
    c->reg[EAX] = 0xfff8 | CR0_EM;
    ck_assert_int_eq(FX_EXEC("\x0f\x01\xf0"), ISA_OK);                      /* lmsw ax */
    ck_assert_uint_eq(c->cr0 & 0xf, CR0_PE | CR0_EM | CR0_TS);
    ck_assert_uint_eq(c->cr0 & CR0_NE, CR0_NE);
    /* SMSW: the low word, or all of CR0 into a 32-bit register */
    c->reg[EDX] = 0xffffffff;
    ck_assert_int_eq(FX_EXEC("\x66\x0f\x01\xe2"), ISA_OK);                  /* smsw dx */
    ck_assert_uint_eq(c->reg[EDX], 0xffff0000u | (c->cr0 & 0xffff));
    ck_assert_int_eq(FX_EXEC("\x0f\x01\xe2"), ISA_OK);                      /* smsw edx */
    ck_assert_uint_eq(c->reg[EDX], c->cr0);
    /* CR4: reserved bits #GP(0); UMIP, DE, TSD, PSE are writable */
    c->reg[EAX] = 1u << 12;
    expect(FX_EXEC("\x0f\x22\xe0"), EXC_GP, 0, "CR4 bit 12");
    c->reg[EAX] = 1u << 31;
    expect(FX_EXEC("\x0f\x22\xe0"), EXC_GP, 0, "CR4 bit 31");
    ck_assert_uint_eq(c->cr4, 0);
    c->reg[EAX] = CR4_UMIP | CR4_DE | CR4_TSD;
    expect(FX_EXEC("\x0f\x22\xe0"), OKAY, 0, "CR4 UMIP|DE|TSD");
    ck_assert_uint_eq(c->cr4, CR4_UMIP | CR4_DE | CR4_TSD);
    ck_assert_int_eq(FX_EXEC("\x0f\x20\xe1"), ISA_OK);                      /* mov ecx,cr4 */
    ck_assert_uint_eq(c->reg[ECX], CR4_UMIP | CR4_DE | CR4_TSD);
    /* CR2, CR3 */
    c->reg[EAX] = 0x12345000;
    ck_assert_int_eq(FX_EXEC("\x0f\x22\xd8"), ISA_OK);                      /* mov cr3,eax */
    ck_assert_int_eq(FX_EXEC("\x0f\x20\xda"), ISA_OK);                      /* mov edx,cr3 */
    ck_assert_uint_eq(c->reg[EDX], 0x12345000);
    /* with CR4.DE, DR4/DR5 are #UD; without, they alias DR6/DR7 */
    ck_assert_int_eq(FX_EXEC("\x0f\x21\xe0"), ISA_FAULT);                   /* mov eax,dr4 */
    ck_assert_int_eq(c->exc_vector, EXC_UD);
    c->cr4 = 0;
    c->reg[EAX] = 0x155;
    ck_assert_int_eq(FX_EXEC("\x0f\x23\xf8"), ISA_OK);                      /* mov dr7,eax */
    ck_assert_int_eq(FX_EXEC("\x0f\x21\xe9"), ISA_OK);                      /* mov ecx,dr5 */
    ck_assert_uint_eq(c->reg[ECX], 0x155);
    /* CR4.TSD makes RDTSC privileged */
    c->cr4 = CR4_TSD;
    fx_ring(3);
    expect(FX_EXEC("\x0f\x31"), EXC_GP, 0, "rdtsc at CPL 3 with TSD");
    fx_free();
}
END_TEST

static Suite *protect_suite(void)
{
    Suite *s = suite_create("protect");
    TCase *tc = tcase_create("segments");
    tcase_add_loop_test(tc, test_segment_loads, 0, (int)(sizeof scases / sizeof scases[0]));
    tcase_add_test(tc, test_pop_and_lds);
    tcase_add_test(tc, test_access_checks);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("far");
    tcase_add_loop_test(tf, test_far_jmp, 0, (int)(sizeof jcases / sizeof jcases[0]));
    tcase_add_test(tf, test_jmp_call_gate);
    tcase_add_loop_test(tf, test_task_switch_checks, 0, 2 * (int)(sizeof tscases / sizeof tscases[0]));
    tcase_add_loop_test(tf, test_iret_task_return_checks, 0, 16);
    tcase_add_test(tf, test_far_call_ret_same_ring);
    tcase_add_loop_test(tf, test_far_ret_faults, 0, (int)(sizeof rcases / sizeof rcases[0]));
    tcase_add_test(tf, test_call_gate_inner_ring);
    tcase_add_test(tf, test_call_gate16);
    tcase_add_loop_test(tf, test_call_gate_checks, 0, (int)(sizeof gcases / sizeof gcases[0]));
    tcase_add_loop_test(tf, test_ret_outer_checks, 0, (int)(sizeof ocases / sizeof ocases[0]));
    suite_add_tcase(s, tf);
    TCase *tq = tcase_create("system");
    tcase_add_loop_test(tq, test_lar_lsl_verr_verw, 0, (int)(sizeof qcases / sizeof qcases[0]));
    tcase_add_test(tq, test_lar_ldt);
    tcase_add_test(tq, test_ltr);
    tcase_add_test(tq, test_lldt);
    tcase_add_test(tq, test_descriptor_table_registers);
    tcase_add_test(tq, test_control_registers);
    suite_add_tcase(s, tq);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(protect_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
