/* Unit tests for interrupt and exception delivery (cpu/intr.c) and IRET
 * (isa/protect.c): gate checks and their error codes (EXT and IDT bits),
 * the exact frame at the same ring and on the TSS stack of an inner ring,
 * which flags each gate clears, the DPL check of INT n/INT3/INTO (and not of
 * INT1 or hardware interrupts), double and triple fault, and IRET's
 * privilege and flag rules. SDM vol. 3 chapter 6 (6.12, 6.13, 6.15, table
 * 6-5) and vol. 2 INT n/INTO/INT3/INT1 and IRET. */
#include "tests/unit/fixture.h"

#define HANDLER(v) (0x00100000u + (uint32_t)(v) * 0x10)
#define D FX_FREE_IDX

static struct cpu *c;

static void setup_ring(int ring)
{
    fx_new("x86", ring);
    c = fx_c;
}

/* A present gate for every vector named: interrupt gates, DPL 0, to ring 0. */
static void gate(int v, uint8_t access, uint16_t sel)
{
    fx_idt_gate(v, sel, HANDLER(v), access);
}

static uint32_t frame(int k) { return fx_rd32(c->seg[SEG_SS].base + c->reg[ESP] + 4 * (uint32_t)k); }

/* Runs one machine step on the bytes placed at FX_CODE. */
static void step_at(const char *bytes, size_t n)
{
    fx_put(FX_CODE, bytes, n);
    c->eip = FX_CODE;
    machine_step(fx_m);
}
#define STEP(s) step_at((s), sizeof(s) - 1)

/* Where the run went: the handler of `v` at ring `ring`. */
static void expect_at(int v, int ring, const char *what)
{
    ck_assert_msg(fx_m->stop == STOP_NONE, "%s: stopped: %s", what, fx_m->stop_msg);
    ck_assert_msg(c->eip == HANDLER(v), "%s: EIP %08x, expected the handler of vector %d", what, c->eip, v);
    ck_assert_msg(c->cpl == ring, "%s: CPL %d, expected %d", what, c->cpl, ring);
    ck_assert_uint_eq(c->seg[SEG_CS].sel & 3, (unsigned)ring);
}

/* ---- frames ------------------------------------------------------------------ */
START_TEST(test_same_ring_interrupt_gate)
{
    setup_ring(0);
    gate(0x20, ACC_INTGATE(0), FX_CS(0));
    uint32_t fl = FL_1 | FL_IF | FL_TF | FL_NT | FL_CF | FL_ZF | (2u << 12) | FL_AC;
    c->eflags = fl;
    c->eip = 0x00012345;
    deliver_event(fx_m, 0x20, DK_HARDWARE, 0, 0, c->eip);
    expect_at(0x20, 0, "hardware interrupt, interrupt gate");
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(0));
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 12);
    ck_assert_uint_eq(frame(0), 0x00012345);
    ck_assert_uint_eq(frame(1), FX_CS(0));
    ck_assert_uint_eq(frame(2), fl);
    /* IF, TF and NT cleared; the rest (IOPL, AC, arithmetic) kept */
    ck_assert_uint_eq(c->eflags, fl & ~(FL_IF | FL_TF | FL_NT));
    ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(0));
    fx_free();
}
END_TEST

START_TEST(test_same_ring_trap_gate_error_code)
{
    setup_ring(0);
    gate(EXC_GP, ACC_TRAPGATE(0), FX_CS(0));
    uint32_t fl = FL_1 | FL_IF | FL_TF | FL_NT;
    c->eflags = fl;
    c->eip = 0x00012345;
    deliver_event(fx_m, EXC_GP, DK_EXCEPTION, 1, 0x1234, c->eip);
    expect_at(EXC_GP, 0, "#GP through a trap gate");
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 16);
    ck_assert_uint_eq(frame(0), 0x1234);
    ck_assert_uint_eq(frame(1), 0x00012345);
    ck_assert_uint_eq(frame(2), FX_CS(0));
    ck_assert_uint_eq(frame(3), fl);
    /* a trap gate keeps IF; TF and NT are cleared by every gate */
    ck_assert_uint_eq(c->eflags, FL_1 | FL_IF);
    fx_free();
}
END_TEST

/* From ring 3 (or 1) into ring 0 (or 1): SS:ESP from the TSS, the old SS:ESP
 * in the frame. */
typedef struct icase {
    const char *name;
    int from, to;            /* CPL before; DPL of the handler's code */
    int has_error;
    uint8_t gate_access;
} icase_t;

static const icase_t icases[] = {
    { "ring 3 to 0, interrupt gate", 3, 0, 0, ACC_INTGATE(0) },
    { "ring 3 to 0, trap gate, error code", 3, 0, 1, ACC_TRAPGATE(0) },
    { "ring 3 to 1", 3, 1, 0, ACC_INTGATE(0) },
    { "ring 3 to 2, error code", 3, 2, 1, ACC_INTGATE(3) },
    { "ring 1 to 0, error code", 1, 0, 1, ACC_INTGATE(0) },
    { "ring 2 to 1", 2, 1, 0, ACC_TRAPGATE(0) },
};

START_TEST(test_inner_ring_frame)
{
    const icase_t *t = &icases[_i];
    setup_ring(t->from);
    static const uint32_t esp_of[3] = { FX_ESP0, FX_ESP1, FX_ESP2 };
    gate(EXC_NP, t->gate_access, FX_CS(t->to));
    uint32_t fl = FL_1 | FL_IF | FL_TF | FL_SF;
    c->eflags = fl;
    c->eip = 0x00012345;
    c->reg[ESP] = 0x0007fff0;
    c->reg[EBX] = 0xb0b0b0b0;
    deliver_event(fx_m, EXC_NP, DK_EXCEPTION, t->has_error, 0x0058, c->eip);
    expect_at(EXC_NP, t->to, t->name);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(t->to));
    ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(t->to));
    uint32_t n = t->has_error ? 24 : 20;
    ck_assert_uint_eq(c->reg[ESP], esp_of[t->to] - n);
    int k = 0;
    if (t->has_error)
        ck_assert_uint_eq(frame(k++), 0x0058);
    ck_assert_uint_eq(frame(k++), 0x00012345);
    ck_assert_uint_eq(frame(k++), FX_CS(t->from));
    ck_assert_uint_eq(frame(k++), fl);
    ck_assert_uint_eq(frame(k++), 0x0007fff0);
    ck_assert_uint_eq(frame(k++) & 0xffff, FX_DS(t->from));
    uint32_t cleared = FL_TF | ((t->gate_access & 1) ? 0 : FL_IF);
    ck_assert_uint_eq(c->eflags, fl & ~cleared);
    /* data segments and general registers are not touched */
    ck_assert_uint_eq(c->seg[SEG_DS].sel, FX_DS(t->from));
    ck_assert_uint_eq(c->reg[EBX], 0xb0b0b0b0);
    fx_free();
}
END_TEST

/* A conforming handler runs at the CPL it was entered from, on that stack. */
START_TEST(test_conforming_handler)
{
    setup_ring(3);
    fx_desc(D, 0, 0xfffff, 0x9e, 0xc);   /* DPL 0 conforming code */
    gate(0x21, ACC_INTGATE(0), FX_SEL(D, 0));
    c->eflags = FL_1 | FL_IF;
    c->eip = 0x00012345;
    deliver_event(fx_m, 0x21, DK_HARDWARE, 0, 0, c->eip);
    expect_at(0x21, 3, "conforming handler");
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_SEL(D, 3));
    ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(3));
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 12);
    ck_assert_uint_eq(frame(1), FX_CS(3));
    fx_free();
}
END_TEST

/* ---- software interrupts: the gate DPL check ------------------------------------ */
typedef struct scase {
    const char *name;
    const char *bytes;
    int n;
    int vector;       /* the vector the instruction asks for */
    uint8_t gate_dpl;
    uint32_t eflags;
    int delivered;    /* 1: to its handler, EIP after it; 0: #GP(vector*8+2), EIP at it; 2: nothing */
} scase_t;

static const scase_t scases[] = {
    { "int 0x30, gate DPL 3", "\xcd\x30", 2, 0x30, 3, 0, 1 },
    { "int 0x30, gate DPL 0", "\xcd\x30", 2, 0x30, 0, 0, 0 },
    { "int 0x30, gate DPL 2 (< CPL 3)", "\xcd\x30", 2, 0x30, 2, 0, 0 },
    { "int3, gate DPL 3", "\xcc", 1, EXC_BP, 3, 0, 1 },
    { "int3, gate DPL 0", "\xcc", 1, EXC_BP, 0, 0, 0 },
    { "int 3 (CD 03), gate DPL 0", "\xcd\x03", 2, EXC_BP, 0, 0, 0 },
    { "into with OF, gate DPL 3", "\xce", 1, EXC_OF, 3, FL_OF, 1 },
    { "into with OF, gate DPL 0", "\xce", 1, EXC_OF, 0, FL_OF, 0 },
    { "into without OF", "\xce", 1, EXC_OF, 0, 0, 2 },
    { "int 0x0d (CD 0D) is a software #GP, gate DPL 0", "\xcd\x0d", 2, EXC_GP, 0, 0, 0 },
    { "int1 (F1), gate DPL 0: no DPL check", "\xf1", 1, EXC_DB, 0, 0, 1 },
};

START_TEST(test_software_interrupt_dpl)
{
    const scase_t *t = &scases[_i];
    setup_ring(3);
    gate(t->vector, (uint8_t)(0x8e | (t->gate_dpl << 5)), FX_CS(0));
    if (t->vector != EXC_GP)
        gate(EXC_GP, ACC_INTGATE(0), FX_CS(0));
    c->eflags = FL_1 | FL_IF | t->eflags;
    step_at(t->bytes, (size_t)t->n);
    if (t->delivered == 2) {
        ck_assert_uint_eq(c->eip, FX_CODE + (uint32_t)t->n);
        ck_assert_int_eq(c->cpl, 3);
    } else if (t->delivered == 1) {
        expect_at(t->vector, 0, t->name);
        ck_assert_uint_eq(c->reg[ESP], FX_ESP0 - 20);
        ck_assert_uint_eq(frame(0), FX_CODE + (uint32_t)t->n);     /* after the instruction */
        ck_assert_uint_eq(frame(1), FX_CS(3));
    } else {
        expect_at(EXC_GP, 0, t->name);
        ck_assert_uint_eq(c->reg[ESP], FX_ESP0 - 24);
        ck_assert_msg(frame(0) == (uint32_t)t->vector * 8 + 2, "%s: error %#x, expected %#x", t->name, frame(0),
                      t->vector * 8 + 2);                          /* IDT bit, EXT = 0 */
        ck_assert_msg(frame(1) == FX_CODE, "%s: frame EIP %08x, expected the INT itself", t->name, frame(1));
        ck_assert_uint_eq(frame(2), FX_CS(3));
    }
    fx_free();
}
END_TEST

/* Hardware interrupts and exceptions ignore the gate's DPL. */
START_TEST(test_hardware_ignores_gate_dpl)
{
    setup_ring(3);
    gate(0x20, ACC_INTGATE(0), FX_CS(0));
    c->eflags = FL_1 | FL_IF;
    c->eip = 0x00012345;
    deliver_event(fx_m, 0x20, DK_HARDWARE, 0, 0, c->eip);
    expect_at(0x20, 0, "IRQ through a DPL 0 gate from ring 3");
    ck_assert_uint_eq(frame(0), 0x00012345);
    fx_free();
    /* an exception raised by an instruction at ring 3 */
    setup_ring(3);
    gate(EXC_UD, ACC_INTGATE(0), FX_CS(0));
    STEP("\x0f\x0b");
    expect_at(EXC_UD, 0, "#UD through a DPL 0 gate from ring 3");
    ck_assert_uint_eq(frame(0), FX_CODE);      /* a fault: EIP at the instruction */
    fx_free();
}
END_TEST

/* ---- gate faults and their error codes ------------------------------------------------ */
typedef struct fcase {
    const char *name;
    int vector;
    deliver_kind_t kind;
    int idt_limit;           /* IDT limit, or 0 for the full table */
    uint8_t access;          /* the gate's access byte (0: leave the vector's gate empty) */
    uint16_t sel;            /* the gate's code selector */
    uint32_t off;            /* the gate's offset */
    int fault;               /* the exception delivery raises */
    uint32_t err;
} fcase_t;

#define EXT 1
static const fcase_t fcases[] = {
    { "IRQ, gate not present", 0x31, DK_HARDWARE, 0, 0x0e, FX_CS(0), 0, EXC_NP, 0x31 * 8 + 2 + EXT },
    { "IRQ, empty IDT entry", 0x31, DK_HARDWARE, 0, 0, 0, 0, EXC_GP, 0x31 * 8 + 2 + EXT },
    { "IRQ beyond the IDT limit", 0x20, DK_HARDWARE, 0x20 * 8 - 1, 0x8e, FX_CS(0), 0, EXC_GP, 0x20 * 8 + 2 + EXT },
    { "IRQ, gate half past the limit", 0x20, DK_HARDWARE, 0x20 * 8 + 6, 0x8e, FX_CS(0), 0, EXC_GP, 0x20 * 8 + 2 + EXT },
    { "IRQ, call gate in the IDT", 0x31, DK_HARDWARE, 0, 0x8c, FX_CS(0), 0, EXC_GP, 0x31 * 8 + 2 + EXT },
    { "IRQ, code descriptor in the IDT", 0x31, DK_HARDWARE, 0, 0x9a, FX_CS(0), 0, EXC_GP, 0x31 * 8 + 2 + EXT },
    { "IRQ, gate to a null selector", 0x31, DK_HARDWARE, 0, 0x8e, 0, 0, EXC_GP, EXT },
    { "IRQ, gate to a data segment", 0x31, DK_HARDWARE, 0, 0x8e, FX_DS(0), 0, EXC_GP, FX_DS(0) + EXT },
    { "IRQ, gate beyond the GDT", 0x31, DK_HARDWARE, 0, 0x8e, 0x0800, 0, EXC_GP, 0x0800 + EXT },
    { "IRQ, gate to DPL 3 code from CPL 0", 0x31, DK_HARDWARE, 0, 0x8e, FX_CS(3), 0, EXC_GP, (FX_CS(3) & ~3) + EXT },
    { "IRQ, gate to not-present code", 0x31, DK_HARDWARE, 0, 0x8e, FX_SEL(D, 0), 0, EXC_NP, FX_SEL(D, 0) + EXT },
    { "IRQ, target beyond the code limit", 0x31, DK_HARDWARE, 0, 0x8e, FX_SEL(D + 1, 0), 0x2000, EXC_GP, EXT },
    { "IRQ, task gate to a busy TSS", 0x31, DK_HARDWARE, 0, 0x85, FX_TSS_SEL, 0, EXC_GP, FX_TSS_SEL + EXT },
    { "IRQ, task gate to a code segment", 0x31, DK_HARDWARE, 0, 0x85, FX_CS(0), 0, EXC_GP, (FX_CS(0) & ~3) + EXT },
    { "IRQ, task gate to an LDT selector", 0x31, DK_HARDWARE, 0, 0x85, FX_SEL(D, 0) | 4, 0, EXC_GP,
      (FX_SEL(D, 0) | 4) + EXT },
    { "IRQ, task gate not present", 0x31, DK_HARDWARE, 0, 0x05, FX_TSS_SEL, 0, EXC_NP, 0x31 * 8 + 2 + EXT },
    { "IRQ, 16-bit gate to a data segment", 0x31, DK_HARDWARE, 0, 0x86, FX_DS(0), 0, EXC_GP, FX_DS(0) + EXT },
    { "IRQ, 16-bit gate to not-present code", 0x31, DK_HARDWARE, 0, 0x87, FX_SEL(D, 0), 0, EXC_NP,
      FX_SEL(D, 0) + EXT },
    { "#UD (an exception), gate not present", EXC_UD, DK_EXCEPTION, 0, 0x0e, FX_CS(0), 0, EXC_NP, EXC_UD * 8 + 2 + EXT },
    { "#MF, beyond the IDT limit", EXC_MF, DK_EXCEPTION, 15 * 8 + 7, 0, 0, 0, EXC_GP, EXC_MF * 8 + 2 + EXT },
};

START_TEST(test_gate_faults)
{
    const fcase_t *t = &fcases[_i];
    setup_ring(0);
    fx_desc(D, 0, 0xfffff, 0x1a, 0xc);        /* not-present code */
    fx_desc(D + 1, 0, 0xfff, 0x9a, 0x4);      /* code, byte limit 0xfff */
    if (t->access)
        fx_gate_at(FX_IDT, t->vector, t->sel, t->off ? t->off : HANDLER(t->vector), t->access, 0);
    gate(EXC_GP, ACC_INTGATE(0), FX_CS(0));
    gate(EXC_NP, ACC_INTGATE(0), FX_CS(0));
    if (t->idt_limit)
        c->idtr.limit = (uint16_t)t->idt_limit;
    c->eflags = FL_1 | FL_IF;
    c->eip = 0x00012345;
    deliver_event(fx_m, t->vector, t->kind, 0, 0, c->eip);
    expect_at(t->fault, 0, t->name);
    ck_assert_msg(frame(0) == t->err, "%s: error %#x, expected %#x", t->name, frame(0), t->err);
    ck_assert_uint_eq(frame(1), 0x00012345);
    fx_free();
}
END_TEST

/* A task gate (to an available TSS) or a 16-bit gate (to valid code) in
 * the IDT stops the run: not modelled. */
START_TEST(test_unmodelled_gates)
{
    static const uint8_t kinds[] = { 0x85, 0x86, 0x87 };
    for (int k = 0; k < 3; k++) {
        setup_ring(0);
        fx_desc(D + 2, FX_DATA, 0x67, 0x89, 0x0);   /* an available 32-bit TSS */
        gate(0x40, kinds[k], k == 0 ? FX_SEL(D + 2, 0) : FX_CS(0));
        deliver_event(fx_m, 0x40, DK_HARDWARE, 0, 0, c->eip);
        ck_assert_int_eq(fx_m->stop, STOP_UNMODELLED);
        ck_assert_ptr_nonnull(strstr(fx_m->stop_msg, "not modelled"));
        ck_assert_int_eq(machine_exit_status(fx_m), EXIT_UNMODELLED);
        fx_free();
    }
}
END_TEST

/* The TSS stack of an inner ring is checked like a stack load, #TS and
 * #SS with EXT, and a stack without room is #SS(SS selector). */
START_TEST(test_tss_stack_faults)
{
    static const struct { const char *name; uint16_t ss0; uint32_t esp0; uint32_t tss_limit; int fault; uint32_t err; } t[] = {
        { "SS0 null", 0, FX_ESP0, 103, EXC_TS, EXT },
        { "SS0 RPL 3", FX_DS(0) | 3, FX_ESP0, 103, EXC_TS, FX_DS(0) + EXT },
        { "SS0 read-only", FX_SEL(D, 0), FX_ESP0, 103, EXC_TS, FX_SEL(D, 0) + EXT },
        { "SS0 not present", FX_SEL(D + 1, 0), FX_ESP0, 103, EXC_SS, FX_SEL(D + 1, 0) + EXT },
        { "TSS too short", FX_DS(0), FX_ESP0, 8, EXC_TS, FX_TSS_SEL + EXT },
        { "no room for the frame", FX_SEL(D + 2, 0), 16, 103, EXC_SS, FX_SEL(D + 2, 0) + EXT },
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        setup_ring(3);
        fx_desc(D, 0, 0xfffff, 0x90, 0xc);       /* read-only data */
        fx_desc(D + 1, 0, 0xfffff, 0x12, 0xc);   /* not present */
        fx_desc(D + 2, 0, 0xfff, 0x92, 0x4);     /* byte limit 0xfff */
        fx_desc(D + 3, 0, 0xfffff, 0x9e, 0xc);   /* conforming DPL 0 code */
        gate(0x20, ACC_INTGATE(0), FX_CS(0));
        /* the fault's handlers are conforming: they run on the ring 3 stack */
        gate(EXC_TS, ACC_INTGATE(0), FX_SEL(D + 3, 0));
        gate(EXC_SS, ACC_INTGATE(0), FX_SEL(D + 3, 0));
        fx_wr32(FX_TSS + 4, t[k].esp0);
        fx_wr32(FX_TSS + 8, t[k].ss0);
        c->tr.limit = t[k].tss_limit;
        c->eip = 0x00012345;
        deliver_event(fx_m, 0x20, DK_HARDWARE, 0, 0, c->eip);
        expect_at(t[k].fault, 3, t[k].name);
        ck_assert_uint_eq(c->reg[ESP], FX_STACK - 16);
        ck_assert_msg(frame(0) == t[k].err, "%s: error %#x, expected %#x", t[k].name, frame(0), t[k].err);
        fx_free();
    }
}
END_TEST

/* ---- double and triple fault --------------------------------------------------------- */
START_TEST(test_double_fault)
{
    /* #GP whose gate is not present: #NP while delivering a contributory
     * exception is a double fault, error code 0 */
    setup_ring(0);
    gate(EXC_DF, ACC_INTGATE(0), FX_CS(0));
    fx_idt_gate(EXC_GP, FX_CS(0), HANDLER(EXC_GP), 0x0e);
    gate(EXC_NP, ACC_INTGATE(0), FX_CS(0));
    c->eip = 0x00012345;
    deliver_event(fx_m, EXC_GP, DK_EXCEPTION, 1, 0, c->eip);
    expect_at(EXC_DF, 0, "#GP -> #NP -> #DF");
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 16);
    ck_assert_uint_eq(frame(0), 0);
    ck_assert_uint_eq(frame(1), 0x00012345);
    fx_free();
    /* #DE with an empty IDT entry: #GP during #DE, a double fault */
    setup_ring(3);
    gate(EXC_DF, ACC_INTGATE(0), FX_CS(0));
    c->reg[ECX] = 0;
    STEP("\xf7\xf1");                               /* div ecx */
    expect_at(EXC_DF, 0, "#DE -> #GP -> #DF");
    ck_assert_uint_eq(frame(0), 0);
    ck_assert_uint_eq(frame(1), FX_CODE);
    fx_free();
    /* a benign exception (#UD) whose gate is missing: the #NP is delivered */
    setup_ring(0);
    gate(EXC_DF, ACC_INTGATE(0), FX_CS(0));
    gate(EXC_NP, ACC_INTGATE(0), FX_CS(0));
    fx_idt_gate(EXC_UD, FX_CS(0), HANDLER(EXC_UD), 0x0e);
    STEP("\x0f\x0b");
    expect_at(EXC_NP, 0, "#UD -> #NP");
    ck_assert_uint_eq(frame(0), EXC_UD * 8 + 2 + EXT);
    fx_free();
    /* a hardware interrupt whose gate is missing, then #NP's gate too: the
     * #NP during #NP is a double fault */
    setup_ring(0);
    gate(EXC_DF, ACC_INTGATE(0), FX_CS(0));
    deliver_event(fx_m, 0x20, DK_HARDWARE, 0, 0, c->eip);
    expect_at(EXC_DF, 0, "IRQ -> #NP -> #NP -> #DF");
    ck_assert_uint_eq(frame(0), 0);
    fx_free();
    /* a #TS from the TSS while delivering #GP from ring 3: double fault */
    setup_ring(3);
    gate(EXC_DF, ACC_INTGATE(0), FX_CS(3));      /* a ring 3 #DF handler needs no TSS stack */
    gate(EXC_GP, ACC_INTGATE(0), FX_CS(0));
    fx_wr32(FX_TSS + 8, 0);                       /* SS0 null */
    deliver_event(fx_m, EXC_GP, DK_EXCEPTION, 1, 0, c->eip);
    expect_at(EXC_DF, 3, "#GP -> #TS -> #DF");
    fx_free();
}
END_TEST

START_TEST(test_triple_fault)
{
    /* #GP, #NP and #DF gates all not present */
    setup_ring(3);
    fx_idt_gate(EXC_GP, FX_CS(0), HANDLER(EXC_GP), 0x0e);
    fx_idt_gate(EXC_DF, FX_CS(0), HANDLER(EXC_DF), 0x0e);
    fx_idt_gate(EXC_NP, FX_CS(0), HANDLER(EXC_NP), 0x0e);
    c->reg[EAX] = FX_CS(0);
    STEP("\x8e\xd8");                               /* mov ds,ax at ring 3: #GP(0x08) */
    ck_assert_int_eq(fx_m->stop, STOP_TRIPLE);
    ck_assert_int_eq(machine_exit_status(fx_m), EXIT_TRIPLE);
    ck_assert_msg(strstr(fx_m->stop_msg, "triple fault: #GP (13), then #NP (11) while delivering it, then #NP (11) "
                         "while delivering the double fault") != NULL, "message: %s", fx_m->stop_msg);
    ck_assert_msg(strstr(fx_m->stop_msg, "003b:00020000") != NULL, "message: %s", fx_m->stop_msg);
    fx_free();
}
END_TEST

/* ---- IRET ------------------------------------------------------------------------ */
START_TEST(test_iret_same_ring)
{
    setup_ring(0);
    fx_push32(FL_1 | FL_CF | FL_IF | FL_AC | FL_RF);
    fx_push32(FX_CS(0));
    fx_push32(0x00405060);
    c->eflags = FL_1 | FL_ZF;
    ck_assert_int_eq(FX_EXEC("\xcf"), ISA_OK);
    ck_assert_uint_eq(c->eip, 0x00405060);
    ck_assert_uint_eq(c->reg[ESP], FX_STACK);
    ck_assert_uint_eq(c->eflags, FL_1 | FL_CF | FL_IF | FL_AC | FL_RF);
    /* 16-bit IRET pops words and keeps the upper EFLAGS */
    c->reg[ESP] = FX_STACK - 6;
    fx_wr(FX_STACK - 6, 2, 0x1234);
    fx_wr(FX_STACK - 4, 2, FX_CS(0));
    fx_wr(FX_STACK - 2, 2, FL_1 | FL_OF);
    c->eflags = FL_1 | FL_AC | FL_CF;
    ck_assert_int_eq(FX_EXEC("\x66\xcf"), ISA_OK);
    ck_assert_uint_eq(c->eip, 0x1234);
    ck_assert_uint_eq(c->reg[ESP], FX_STACK);
    ck_assert_uint_eq(c->eflags, FL_1 | FL_AC | FL_OF);
    fx_free();
}
END_TEST

START_TEST(test_iret_outer_ring)
{
    setup_ring(0);
    fx_push32(FX_DS(3));
    fx_push32(0x00123450);
    fx_push32(FL_1 | FL_IF | (3u << 12));
    fx_push32(FX_CS(3));
    fx_push32(0x00405060);
    fx_load(SEG_ES, FX_DS(3));            /* stays */
    /* DS, FS, GS: DPL 0 data, made null */
    ck_assert_int_eq(FX_EXEC("\xcf"), ISA_OK);
    ck_assert_int_eq(c->cpl, 3);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, FX_CS(3));
    ck_assert_uint_eq(c->seg[SEG_SS].sel, FX_DS(3));
    ck_assert_uint_eq(c->reg[ESP], 0x00123450);
    ck_assert_uint_eq(c->eip, 0x00405060);
    ck_assert_uint_eq(c->eflags, FL_1 | FL_IF | (3u << 12));
    ck_assert_int_eq(c->seg[SEG_DS].usable, 0);
    ck_assert_int_eq(c->seg[SEG_FS].usable, 0);
    ck_assert_int_eq(c->seg[SEG_GS].usable, 0);
    ck_assert_int_eq(c->seg[SEG_ES].usable, 1);
    /* an interrupt from ring 3 and IRET back give the same state */
    gate(0x20, ACC_INTGATE(0), FX_CS(0));
    fx_load(SEG_DS, FX_DS(3));
    c->reg[EDI] = 0x11;
    deliver_event(fx_m, 0x20, DK_HARDWARE, 0, 0, c->eip);
    ck_assert_int_eq(c->cpl, 0);
    ck_assert_int_eq(FX_EXEC("\xcf"), ISA_OK);
    ck_assert_int_eq(c->cpl, 3);
    ck_assert_uint_eq(c->eip, 0x00405060);
    ck_assert_uint_eq(c->reg[ESP], 0x00123450);
    ck_assert_uint_eq(c->eflags, FL_1 | FL_IF | (3u << 12));
    ck_assert_uint_eq(c->seg[SEG_DS].sel, FX_DS(3));
    fx_free();
}
END_TEST

/* IRET's flag rules: IOPL changes only at CPL 0, IF only at CPL <= IOPL;
 * the other flags (and AC, ID, RF with a 32-bit operand) always; VIF and VIP
 * only at CPL 0; VM is never set by a same-ring IRET at CPL > 0. */
START_TEST(test_iret_flag_rules)
{
    static const int cpls[3] = { 0, 1, 3 };
    for (int k = 0; k < 3; k++) {
        for (int iopl = 0; iopl <= 3; iopl += 3) {
            for (int ifon = 0; ifon <= 1; ifon++) {
                int cpl = cpls[k];
                setup_ring(cpl);
                uint32_t before = FL_1 | ((uint32_t)iopl << 12) | (ifon ? FL_IF : 0) | FL_ZF;
                uint32_t image = FL_1 | ((uint32_t)(3 - iopl) << 12) | (ifon ? 0 : FL_IF) | FL_CF | FL_AC | FL_ID |
                                 FL_VIF | FL_VIP;
                if (cpl > 0)
                    image |= FL_VM;    /* ignored below CPL 0 */
                fx_push32(image);
                fx_push32(FX_CS(cpl));
                fx_push32(0x00405060);
                c->eflags = before;
                ck_assert_int_eq(FX_EXEC("\xcf"), ISA_OK);
                uint32_t want = FL_1 | FL_CF | FL_AC | FL_ID;
                want |= cpl == 0 ? ((uint32_t)(3 - iopl) << 12) | FL_VIF | FL_VIP : ((uint32_t)iopl << 12);
                want |= cpl <= iopl ? (image & FL_IF) : (before & FL_IF);
                ck_assert_msg(c->eflags == want, "CPL %d IOPL %d IF %d: EFLAGS %08x, expected %08x", cpl, iopl,
                              ifon, c->eflags, want);
                fx_free();
            }
        }
    }
}
END_TEST

/* The same rules for POPF, and PUSHF shows the real flags. */
START_TEST(test_popf_flag_rules)
{
    static const int cpls[3] = { 0, 1, 3 };
    for (int k = 0; k < 3; k++) {
        for (int iopl = 0; iopl <= 3; iopl++) {
            int cpl = cpls[k];
            setup_ring(cpl);
            uint32_t before = FL_1 | ((uint32_t)iopl << 12) | FL_IF | FL_ZF;
            uint32_t image = FL_1 | ((uint32_t)(3 - iopl) << 12) | FL_CF | FL_RF | FL_VM | FL_VIF | FL_NT | FL_AC;
            fx_push32(image);
            c->eflags = before;
            ck_assert_int_eq(FX_EXEC("\x9d"), ISA_OK);
            uint32_t want = FL_1 | FL_CF | FL_NT | FL_AC;
            want |= cpl == 0 ? ((uint32_t)(3 - iopl) << 12) : ((uint32_t)iopl << 12);
            want |= cpl <= iopl ? 0 : FL_IF;
            ck_assert_msg(c->eflags == want, "POPF CPL %d IOPL %d: EFLAGS %08x, expected %08x", cpl, iopl,
                          c->eflags, want);
            ck_assert_int_eq(FX_EXEC("\x9c"), ISA_OK);
            ck_assert_uint_eq(fx_rd32(FX_STACK - 4), want);
            fx_free();
        }
    }
}
END_TEST

/* The single-step trap: #DB with DR6.BS after the instruction that ran
 * with TF set; MOV SS and POP SS hold it back to the end of the next
 * instruction (SDM vol. 3 6.8.3), STI does not (it holds interrupts only);
 * not after a fault, INT n or a paused REP chunk. */
START_TEST(test_single_step)
{
    static const struct { const char *name; const char *code; int len; int steps; uint32_t after; } t[] = {
        { "nop", "\x90", 1, 1, 1 },
        { "mov %ax,%ss; nop: after the nop", "\x8e\xd0\x90", 3, 2, 3 },
        { "pop %ss; nop: after the nop", "\x17\x90", 2, 2, 2 },
        { "sti: right after it", "\xfb\x90", 2, 1, 1 },
        { "popf clearing TF: after it", "\x9d\x90", 2, 1, 1 },
        { "rep stosb of 0x10001 bytes: after the whole of it", "\xf3\xaa\x90", 3, 2, 2 },
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        setup_ring(0);
        gate(EXC_DB, ACC_INTGATE(0), FX_CS(0));
        c->eflags = FL_1 | FL_TF;
        c->reg[EAX] = FX_DS(0);
        c->reg[ECX] = 0x10001;
        c->reg[EDI] = FX_DATA;
        fx_push32(FX_DS(0));            /* for POP SS */
        if (t[k].code[0] == '\x9d')
            fx_wr32(c->seg[SEG_SS].base + c->reg[ESP], FL_1);   /* POPF pops TF = 0 */
        fx_put(FX_CODE, t[k].code, (size_t)t[k].len);
        c->eip = FX_CODE;
        for (int n = 0; n < t[k].steps; n++) {
            ck_assert_msg(c->eip != HANDLER(EXC_DB), "%s: #DB too early, after step %d", t[k].name, n);
            machine_step(fx_m);
        }
        expect_at(EXC_DB, 0, t[k].name);
        ck_assert_msg(frame(0) == FX_CODE + t[k].after, "%s: #DB frame EIP %08x, expected %08x", t[k].name,
                      frame(0), FX_CODE + t[k].after);
        ck_assert_msg(c->dr[6] & DR6_BS, "%s: DR6.BS not set", t[k].name);
        fx_free();
    }
    /* a faulting instruction: its fault, no #DB */
    setup_ring(3);
    gate(EXC_DB, ACC_INTGATE(0), FX_CS(0));
    gate(EXC_GP, ACC_INTGATE(0), FX_CS(0));
    c->eflags = FL_1 | FL_TF;
    STEP("\xfa");
    expect_at(EXC_GP, 0, "cli at ring 3, TF set");
    ck_assert_uint_eq(c->dr[6] & DR6_BS, 0);
    fx_free();
}
END_TEST

/* WAIT/FWAIT: #NM when CR0.MP and TS are both set; an x87 escape (D8-DF):
 * #NM when CR0.EM or TS is set, else #UD (no FPU); MMX (0F 77): #UD at
 * any CR0 (no MMX). SDM vol. 3 2.5, tables 2-1 and 2-2. */
START_TEST(test_fpu_escapes_and_cr0)
{
    for (uint32_t k = 0; k < 8; k++) {
        int mp = (k & 1) != 0, em = (k & 2) != 0, ts = (k & 4) != 0;
        setup_ring(3);
        c->cr0 = CR0_PE | CR0_ET | (mp ? CR0_MP : 0) | (em ? CR0_EM : 0) | (ts ? CR0_TS : 0);
        isa_result_t r = FX_EXEC("\x9b");
        if (mp && ts) {
            ck_assert_int_eq(r, ISA_FAULT);
            ck_assert_int_eq(c->exc_vector, EXC_NM);
            ck_assert_int_eq(c->exc_has_error, 0);
            ck_assert_uint_eq(c->eip, FX_CODE);
        } else {
            ck_assert_int_eq(r, ISA_OK);
            ck_assert_uint_eq(c->eip, FX_CODE + 1);
        }
        static const char *const x87[] = { "\xd9\xe8", "\xdb\xe3", "\xd9\x3d\x00\x00\x03\x00", "\xdf\xe0",
                                           "\xd8\xc1", "\xdd\x00" };
        for (size_t j = 0; j < sizeof x87 / sizeof x87[0]; j++) {
            r = fx_exec(x87[j], j == 2 ? 6 : 2);
            ck_assert_int_eq(r, ISA_FAULT);
            ck_assert_int_eq(c->exc_vector, (em || ts) ? EXC_NM : EXC_UD);
            ck_assert_uint_eq(c->eip, FX_CODE);
        }
        r = FX_EXEC("\x0f\x77");
        ck_assert_int_eq(r, ISA_FAULT);
        ck_assert_int_eq(c->exc_vector, EXC_UD);
        fx_free();
    }
}
END_TEST

START_TEST(test_iret_unmodelled_and_faults)
{
    /* NT = 1: a task return, to a busy TSS (test_protect.c has its faults) */
    setup_ring(0);
    c->eflags = FL_1 | FL_NT;
    fx_wr(FX_TSS, 2, FX_TSS_SEL);
    ck_assert_int_eq(FX_EXEC("\xcf"), ISA_STOP);
    fx_free();
    /* VM = 1 in the image at CPL 0: virtual-8086 mode */
    setup_ring(0);
    fx_push32(FL_1 | FL_VM);
    fx_push32(FX_CS(0));
    fx_push32(0);
    ck_assert_int_eq(FX_EXEC("\xcf"), ISA_STOP);
    fx_free();
    /* to CPL 0 from CPL 3: #GP(selector), nothing changes */
    setup_ring(3);
    fx_push32(FL_1);
    fx_push32(FX_CS(0));
    fx_push32(0);
    c->eflags = FL_1 | FL_IF;
    ck_assert_fault(FX_EXEC("\xcf"), EXC_GP, FX_CS(0));
    ck_assert_uint_eq(c->reg[ESP], FX_STACK - 12);
    ck_assert_uint_eq(c->eflags, FL_1 | FL_IF);
    fx_free();
    /* to ring 3 with SS RPL 2: #GP(SS selector) */
    setup_ring(0);
    fx_push32(FX_DS(3) & ~1);
    fx_push32(0x1000);
    fx_push32(FL_1);
    fx_push32(FX_CS(3));
    fx_push32(0);
    ck_assert_fault(FX_EXEC("\xcf"), EXC_GP, FX_DS(3) & ~3);
    ck_assert_int_eq(c->cpl, 0);
    fx_free();
    /* the frame is not readable: #SS(0) */
    setup_ring(0);
    fx_desc(D, FX_DATA, 0xfff, 0x92, 0x4);
    fx_load(SEG_SS, FX_SEL(D, 0));
    c->reg[ESP] = 0xff8;
    ck_assert_fault(FX_EXEC("\xcf"), EXC_SS, 0);
    fx_free();
}
END_TEST

static Suite *intr_suite(void)
{
    Suite *s = suite_create("intr");
    TCase *tc = tcase_create("delivery");
    tcase_add_test(tc, test_same_ring_interrupt_gate);
    tcase_add_test(tc, test_same_ring_trap_gate_error_code);
    tcase_add_loop_test(tc, test_inner_ring_frame, 0, (int)(sizeof icases / sizeof icases[0]));
    tcase_add_test(tc, test_conforming_handler);
    tcase_add_loop_test(tc, test_software_interrupt_dpl, 0, (int)(sizeof scases / sizeof scases[0]));
    tcase_add_test(tc, test_hardware_ignores_gate_dpl);
    tcase_add_loop_test(tc, test_gate_faults, 0, (int)(sizeof fcases / sizeof fcases[0]));
    tcase_add_test(tc, test_unmodelled_gates);
    tcase_add_test(tc, test_tss_stack_faults);
    tcase_add_test(tc, test_double_fault);
    tcase_add_test(tc, test_triple_fault);
    tcase_add_test(tc, test_single_step);
    tcase_add_test(tc, test_fpu_escapes_and_cr0);
    suite_add_tcase(s, tc);
    TCase *ti = tcase_create("iret");
    tcase_add_test(ti, test_iret_same_ring);
    tcase_add_test(ti, test_iret_outer_ring);
    tcase_add_test(ti, test_iret_flag_rules);
    tcase_add_test(ti, test_popf_flag_rules);
    tcase_add_test(ti, test_iret_unmodelled_and_faults);
    suite_add_tcase(s, ti);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(intr_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
