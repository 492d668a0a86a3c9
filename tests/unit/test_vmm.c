/* Unit tests of the VMM (vmm/): a machine with a tiny guest written into
 * RAM by hand, the VMM attached, and the guest stepped one instruction (or
 * one trap and its emulation) at a time. After each step the tests look at
 * both sides: the virtual CPU the guest believes in (struct vmm, from
 * vmm/vmm_int.h) and the real one (which must stay the VMM's: its GDTR,
 * IDTR, TR, CR0, IF = 1, IOPL 0, and the guest outside ring 0).
 *
 *   emulation   each privileged instruction from ring 1 changes the virtual
 *               CPU and not the real one
 *   shadow IDT  a second LIDT rebuilds it; a gate rewritten after LIDT is
 *               the one used
 *   injection   virtual IF and PIC decide; the STI shadow; system calls and
 *               faults from ring 3 arrive with the frame x86 pushes
 *   rings       ring compression and segment truncation
 *   isolation   what a guest kernel must not reach: the VMM's area, ring 0
 *
 * The guest's memory (4 MiB of RAM; the VMM's area is the top MiB):
 *   GDT 0x1000 (16 entries), IDT 0x2000 and a second IDT 0x2800, TSS 0x3000
 *   (ESP0 0x7000), LDT 0x3800, pseudo-descriptors 0x4000, boot stack 0x6000,
 *   kernel code 0x10000, user code 0x20000, user stack 0x30000, handlers
 *   0x40000 + 16 * vector (0x48000 + 16 * vector for the second IDT), each a
 *   `jmp .` unless a test writes one, scratch data 0x50000. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "isa/access.h"
#include "vmm/vmm.h"
#include "vmm/vmm_int.h"

#define RAM        (4u << 20)
#define GDT        0x1000u
#define GDT_N      16
#define IDT        0x2000u
#define IDT2       0x2800u
#define TSS        0x3000u
#define LDT        0x3800u
#define PD_GDT     0x4000u
#define PD_IDT     0x4008u
#define PD_IDT2    0x4010u
#define KSTACK     0x6000u
#define ESP0       0x7000u
#define CODE       0x10000u
#define UCODE      0x20000u
#define USTACK     0x30000u
#define HANDLERS   0x40000u
#define HANDLERS2  0x48000u
#define DATA       0x50000u
#define H(v)       (HANDLERS + 16u * (v))
#define H2(v)      (HANDLERS2 + 16u * (v))

/* The guest's selectors. */
#define KCODE      0x08
#define KDATA      0x10
#define UCODE_SEL  0x1b
#define UDATA_SEL  0x23
#define TSS_SEL    0x28
#define LDT_SEL    0x30
#define HIGH_SEL   0x38    /* data, base 0x200000, 4 GiB: truncated to end below the VMM */
#define INSIDE_SEL 0x40    /* data, base at the VMM's area */
#define EXPDN_SEL  0x48    /* expand-down data, base 0, limit 0: offsets 1..4 GiB-1 */
#define GATE_SEL   0x50    /* written by a test: a call gate */
#define PAYLD_SEL  0x58    /* written by a test: bytes that are code */

#define VIRQ_BASE  0x20    /* where the guest puts its (virtual) PIC */

static machine_t *m;
static struct cpu *c;
static struct vmm *v;
static char *console_buf;
static size_t console_len;
static FILE *console;

/* ---- guest memory ---- */
static void wr32(uint32_t pa, uint32_t x) { phys_write(c, pa, 4, x); }
static uint32_t rd32(uint32_t pa) { return phys_read(c, pa, 4); }

static void desc(uint32_t table, int idx, uint32_t base, uint32_t limit, uint8_t access, uint8_t gd)
{
    wr32(table + (uint32_t)idx * 8, (limit & 0xffff) | (base << 16));
    wr32(table + (uint32_t)idx * 8 + 4, ((base >> 16) & 0xff) | ((uint32_t)access << 8) | (limit & 0xf0000) |
                                            ((uint32_t)gd << 20) | (base & 0xff000000u));
}

static void gate(uint32_t idt, int vec, uint16_t sel, uint32_t off, uint8_t access)
{
    wr32(idt + (uint32_t)vec * 8, (off & 0xffff) | ((uint32_t)sel << 16));
    wr32(idt + (uint32_t)vec * 8 + 4, (off & 0xffff0000u) | ((uint32_t)access << 8));
}

static void pseudo(uint32_t pa, uint16_t limit, uint32_t base)
{
    phys_write(c, pa, 2, limit);
    wr32(pa + 2, base);
}

/* ---- a tiny assembler: bytes at `pc` ---- */
static uint32_t pc;
static void b(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++)
        phys_write(c, pc++, 1, (uint32_t)va_arg(ap, int));
    va_end(ap);
}
static void d32(uint32_t x) { wr32(pc, x); pc += 4; }
static void w16(uint32_t x) { phys_write(c, pc, 2, x); pc += 2; }

static void mov_eax(uint32_t x) { b(1, 0xb8); d32(x); }             /* mov $x,%eax */
static void mov_ax(uint16_t x) { b(2, 0x66, 0xb8); w16(x); }        /* mov $x,%ax */
static void mov_esp(uint32_t x) { b(1, 0xbc); d32(x); }
static void mov_sreg_ax(int s) { b(2, 0x8e, 0xc0 | (s << 3)); }    /* mov %ax,%sreg */
static void mov_mem_imm(uint32_t a, uint32_t x) { b(2, 0xc7, 0x05); d32(a); d32(x); }
static void mov_eax_mem(int seg_prefix, uint32_t a)                   /* mov [seg:]a,%eax */
{
    if (seg_prefix)
        b(1, seg_prefix);
    b(1, 0xa1);
    d32(a);
}
static void lgdt(uint32_t a) { b(3, 0x0f, 0x01, 0x15); d32(a); }
static void lidt(uint32_t a) { b(3, 0x0f, 0x01, 0x1d); d32(a); }
static void ltr_ax(void) { b(3, 0x0f, 0x00, 0xd8); }
static void lldt_ax(void) { b(3, 0x0f, 0x00, 0xd0); }
static void ljmp(uint16_t sel, uint32_t off) { b(1, 0xea); d32(off); w16(sel); }
static void lcall(uint16_t sel, uint32_t off) { b(1, 0x9a); d32(off); w16(sel); }
static void outb(uint16_t port, uint8_t x)
{
    if (port < 0x100) {
        b(4, 0xb0, x, 0xe6, port);                 /* mov $x,%al; out %al,$port */
    } else {
        b(4, 0x66, 0xba, port & 0xff, port >> 8);  /* mov $port,%dx */
        b(3, 0xb0, x, 0xee);                       /* mov $x,%al; out %al,(%dx) */
    }
}
static void push(uint32_t x) { b(1, 0x68); d32(x); }
static void cli(void) { b(1, 0xfa); }
static void sti(void) { b(1, 0xfb); }
static void hlt(void) { b(1, 0xf4); }
static void nop(void) { b(1, 0x90); }
static void iret(void) { b(1, 0xcf); }
static void jmp_self(void) { b(2, 0xeb, 0xfe); }

/* The guest programs its PIC (vectors VIRQ_BASE.., IMR `mask`) and its PIT
 * (channel 0, mode 2, `reload` input ticks: about 8.4 * reload instructions). */
static void guest_pic(uint8_t mask)
{
    outb(0x20, 0x11); outb(0x21, VIRQ_BASE); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0xa0, 0x11); outb(0xa1, VIRQ_BASE + 8); outb(0xa1, 0x02); outb(0xa1, 0x01);
    outb(0x21, mask); outb(0xa1, 0xff);
}
static void guest_pit(uint16_t reload)
{
    outb(0x43, 0x34); outb(0x40, (uint8_t)reload); outb(0x40, (uint8_t)(reload >> 8));
}

/* ---- running ---- */
/* Steps until EIP is `a` or `b2` (use 0 for none); 1 for a, 2 for b2, 0 when
 * the run stopped or `max` steps went by. */
static int run_to2(uint32_t a, uint32_t b2, long max)
{
    for (long k = 0; k <= max && m->stop == STOP_NONE; k++) {
        if (c->eip == a)
            return 1;
        if (b2 && c->eip == b2)
            return 2;
        machine_step(m);
    }
    return 0;
}
#define RUN_TO(a) ck_assert_msg(run_to2((a), 0, 200000) == 1, "did not reach %08x: EIP %08x, stop %d: %s", \
                                (unsigned)(a), c->eip, m->stop, m->stop_msg)

/* The frame on the current stack, dword k. */
static uint32_t frame(int k) { return rd32(c->seg[SEG_SS].base + c->reg[ESP] + 4u * (uint32_t)k); }

/* The real machine stays the VMM's whatever the guest does. */
static void assert_real_is_vmms(void)
{
    ck_assert_uint_eq(c->gdtr.base, v->base + VMM_GDT_OFF);
    ck_assert_uint_eq(c->gdtr.limit, VMM_GDT_ENTRIES * 8 - 1);
    ck_assert_uint_eq(c->idtr.base, v->base + VMM_IDT_OFF);
    ck_assert_uint_eq(c->idtr.limit, 256 * 8 - 1);
    ck_assert_uint_eq(c->tr.sel, VMM_TSS);
    ck_assert_uint_eq(c->tr.base, v->base + VMM_TSS_OFF);
    ck_assert_uint_eq(c->ldtr.sel, 0);
    /* of the guest's CR0 and CR4, only the bits that change code outside ring 0 */
    ck_assert_uint_eq(c->cr0, CR0_PE | CR0_ET | (v->vcr0 & VMM_GUEST_CR0));
    ck_assert_uint_eq(c->cr4, v->vcr4 & VMM_GUEST_CR4);
    ck_assert_uint_eq(c->cr3, 0);
    ck_assert_msg(c->eflags & FL_IF, "real IF is 0: the VMM would lose the timer");
    ck_assert_uint_eq(IOPL_OF(c->eflags), 0);
    ck_assert_uint_ne(c->cpl, 0);
    ck_assert_uint_eq(c->seg[SEG_CS].sel & 3, c->cpl);
    ck_assert_uint_eq(c->seg[SEG_SS].sel & 3, c->cpl);
    ck_assert_int_eq(m->in_vmm, 0);
    ck_assert_ptr_null(m->port_in_override);
}

/* A machine under `profile`, the guest's tables in RAM, the CPU at the
 * Multiboot entry (CODE), the VMM attached. `pc` is CODE. */
static void boot(const char *profile)
{
    const isa_profile_t *p = isa_profile_find(profile);
    ck_assert_ptr_nonnull(p);
    m = machine_new(RAM, p);
    ck_assert_ptr_nonnull(m);
    c = &m->cpu;
    console_buf = NULL;
    console_len = 0;
    console = open_memstream(&console_buf, &console_len);
    ck_assert_ptr_nonnull(console);
    m->console = console;

    desc(GDT, 1, 0, 0xfffff, 0x9b, 0xc);          /* kernel code, DPL 0 */
    desc(GDT, 2, 0, 0xfffff, 0x93, 0xc);          /* kernel data */
    desc(GDT, 3, 0, 0xfffff, 0xfb, 0xc);          /* user code, DPL 3 */
    desc(GDT, 4, 0, 0xfffff, 0xf3, 0xc);          /* user data */
    desc(GDT, 5, TSS, 103, 0x89, 0x0);            /* 32-bit TSS, available */
    desc(GDT, 6, LDT, 3 * 8 - 1, 0x82, 0x0);      /* LDT */
    desc(GDT, 7, 0x200000, 0xfffff, 0x93, 0xc);   /* data over the VMM's area: truncated */
    uint32_t vbase = VMM_AREA_BASE;
    desc(GDT, 8, vbase, 0xfffff, 0x93, 0xc);      /* data based in the VMM's area */
    desc(GDT, 9, 0, 0, 0x97, 0x4);                /* expand-down, B = 1: offsets 1..0xffffffff */
    pseudo(PD_GDT, GDT_N * 8 - 1, GDT);
    pseudo(PD_IDT, 256 * 8 - 1, IDT);
    pseudo(PD_IDT2, 256 * 8 - 1, IDT2);
    for (int vec = 0; vec < 256; vec++) {
        uint8_t acc = vec == 0x80 ? 0xef : 0x8e;  /* 0x80: trap gate, DPL 3 */
        gate(IDT, vec, KCODE, H(vec), acc);
        gate(IDT2, vec, KCODE, H2(vec), acc);
        phys_write(c, H(vec), 2, 0xfeeb);         /* jmp . */
        phys_write(c, H2(vec), 2, 0xfeeb);
    }
    wr32(TSS + 4, ESP0);
    wr32(TSS + 8, KDATA);
    phys_write(c, TSS + 102, 2, 104);             /* no I/O bitmap */
    desc(LDT, 1, DATA, 0xfff, 0x93, 0x4);

    machine_boot_state(m, CODE, 0);
    c->reg[ESP] = KSTACK;
    v = (struct vmm *)vmm_attach(m, 0);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(v->base, vbase);
    pc = CODE;
}

/* The guest kernel's first steps, as every kernel does them: LGDT, LIDT,
 * reload CS (far jump) and the data and stack segments, LTR. Runs them. */
static void prologue(void)
{
    lgdt(PD_GDT);
    lidt(PD_IDT);
    ljmp(KCODE, pc + 7);
    mov_ax(KDATA);
    mov_sreg_ax(SEG_DS); mov_sreg_ax(SEG_ES); mov_sreg_ax(SEG_FS); mov_sreg_ax(SEG_GS);
    mov_sreg_ax(SEG_SS);
    mov_esp(KSTACK);
    mov_ax(TSS_SEL);
    ltr_ax();
    b(2, 0xe4, 0x21);   /* in $0x21,%al: a VM exit, so the shadow GDT has the busy TSS */
    RUN_TO(pc);
}

/* The kernel enters ring 3 at UCODE (IRET with EFLAGS `fl`); runs to it. */
static void to_user(uint32_t fl)
{
    push(UDATA_SEL); push(USTACK); push(fl); push(UCODE_SEL); push(UCODE);
    mov_ax(UDATA_SEL);
    mov_sreg_ax(SEG_DS); mov_sreg_ax(SEG_ES);
    iret();
    RUN_TO(UCODE);
    ck_assert_uint_eq(c->cpl, 3);
}

static void teardown(void)
{
    vmm_free((vmm_t *)v);
    machine_free(m);
    fclose(console);
    free(console_buf);
    m = NULL;
    c = NULL;
    v = NULL;
}

/* ================= emulation of each privileged instruction ================= */

START_TEST(test_attach_deprivileges)
{
    boot(_i ? "pg" : "x86");
    ck_assert_uint_eq(c->cpl, 1);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, 0x09);
    ck_assert_uint_eq(c->seg[SEG_SS].sel, 0x11);
    ck_assert_uint_eq(DESC_DPL(c->seg[SEG_CS].access), 1);
    ck_assert_uint_eq(DESC_DPL(c->seg[SEG_SS].access), 1);
    for (int s = 0; s < 6; s++)
        ck_assert_msg(c->seg[s].limit == v->base - 1, "segment %d ends at %08x, not below the VMM's %08x", s,
                      c->seg[s].limit, v->base);
    assert_real_is_vmms();
    /* the virtual CPU: the Multiboot entry state */
    ck_assert_uint_eq(v->vcpl, 0);
    ck_assert_uint_eq(v->vif, 0);
    ck_assert_uint_eq(v->viopl, 0);
    ck_assert_uint_eq(v->vcr0, CR0_PE | CR0_ET);
    ck_assert_uint_eq(v->idt_rebuilds, 1);
    teardown();
}
END_TEST

START_TEST(test_lgdt)
{
    boot(_i ? "pg" : "x86");
    lgdt(PD_GDT);
    uint32_t next = pc;
    RUN_TO(next);
    ck_assert_uint_eq(v->vgdtr.base, GDT);
    ck_assert_uint_eq(v->vgdtr.limit, GDT_N * 8 - 1);
    ck_assert_uint_eq(v->emulated[ROW_LGDT], 1);
    assert_real_is_vmms();
    /* the shadow: DPL 0 runs as 1, DPL 3 stays, limits end below the VMM */
    uint32_t s = v->base + VMM_GDT_OFF;
    uint32_t lo, hi;
    lo = rd32(s + 8), hi = rd32(s + 12);
    ck_assert_uint_eq((hi >> 13) & 3, 1);
    seg_cache_t sc;
    desc_to_cache(&sc, KCODE, lo, hi);
    ck_assert_uint_le(sc.base + sc.limit, v->base - 1);
    lo = rd32(s + 24), hi = rd32(s + 28);
    ck_assert_uint_eq((hi >> 13) & 3, 3);
    desc_to_cache(&sc, UCODE_SEL, lo, hi);
    ck_assert_uint_le(sc.limit, v->base - 1);
    /* base inside the VMM's area: not present */
    ck_assert_uint_eq((rd32(s + 8 * 8 + 4) >> 15) & 1, 0);
    /* the guest's own table is untouched */
    ck_assert_uint_eq((rd32(GDT + 12) >> 13) & 3, 0);
    ck_assert_uint_eq(c->eip, next);
    teardown();
}
END_TEST

START_TEST(test_lidt)
{
    boot(_i ? "pg" : "x86");
    lidt(PD_IDT);
    RUN_TO(pc);
    ck_assert_uint_eq(v->vidtr.base, IDT);
    ck_assert_uint_eq(v->vidtr.limit, 0x7ff);
    ck_assert_uint_eq(v->idt_rebuilds, 2);
    ck_assert_uint_eq(v->emulated[ROW_LIDT], 1);
    assert_real_is_vmms();
    /* every shadow gate enters the VMM */
    for (int vec = 0; vec < 256; vec++) {
        uint32_t lo = rd32(v->base + VMM_IDT_OFF + 8u * (uint32_t)vec);
        ck_assert_uint_eq(lo >> 16, VMM_CS);
    }
    teardown();
}
END_TEST

START_TEST(test_ltr_lldt)
{
    boot(_i ? "pg" : "x86");
    prologue();
    ck_assert_uint_eq(v->vtr.sel, TSS_SEL);
    ck_assert_uint_eq(v->vtr.base, TSS);
    ck_assert_uint_eq(v->emulated[ROW_LTR], 1);
    /* LTR marks the guest's TSS descriptor busy, in the guest's GDT */
    ck_assert_uint_eq((rd32(GDT + 5 * 8 + 4) >> 8) & 0xf, 0xb);
    mov_ax(LDT_SEL);
    lldt_ax();
    RUN_TO(pc);
    ck_assert_uint_eq(v->vldtr.sel, LDT_SEL);
    ck_assert_uint_eq(v->vldtr.base, LDT);
    ck_assert_uint_eq(v->emulated[ROW_LLDT], 1);
    assert_real_is_vmms();
    /* the guest's LDT works: a load of LDT entry 1 (TI = 1) */
    mov_ax(0x0c);
    mov_sreg_ax(SEG_FS);
    RUN_TO(pc);
    ck_assert_uint_eq(c->seg[SEG_FS].base, DATA);
    ck_assert_uint_eq(c->seg[SEG_FS].limit, 0xfff);
    assert_real_is_vmms();
    teardown();
}
END_TEST

START_TEST(test_cli_sti)
{
    boot(_i ? "pg" : "x86");
    prologue();
    sti();
    uint32_t after_sti = pc;
    cli();
    uint32_t after_cli = pc;
    RUN_TO(after_sti);
    ck_assert_uint_eq(v->vif, 1);
    assert_real_is_vmms();
    RUN_TO(after_cli);
    ck_assert_uint_eq(v->vif, 0);
    assert_real_is_vmms();
    ck_assert_uint_eq(v->emulated[ROW_CLI], 1);
    ck_assert_uint_eq(v->emulated[ROW_STI], 1);
    teardown();
}
END_TEST

START_TEST(test_hlt_vif1_waits)
{
    boot(_i ? "pg" : "x86");
    prologue();
    guest_pic(0xfe);
    guest_pit(100);
    sti();
    hlt();
    uint32_t after = pc;
    jmp_self();
    RUN_TO(after - 1);
    machine_step(m);   /* the HLT */
    ck_assert_int_eq(m->stop, STOP_NONE);
    ck_assert_uint_eq(c->eip, after);
    ck_assert_int_eq(v->guest_halted, 1);
    ck_assert_int_eq(m->halted, 1);
    assert_real_is_vmms();
    uint64_t t = m->now;
    RUN_TO(H(VIRQ_BASE));
    ck_assert_uint_gt(m->now, t + 100);     /* time went by while it waited */
    ck_assert_uint_eq(frame(0), after);     /* woke after the HLT */
    ck_assert_uint_eq(v->injected[0], 1);
    ck_assert_int_eq(v->guest_halted, 0);
    teardown();
}
END_TEST

START_TEST(test_hlt_vif0_halts_for_ever)
{
    boot(_i ? "pg" : "x86");
    prologue();
    guest_pic(0xfe);
    guest_pit(100);
    cli();
    hlt();
    ck_assert_int_eq(run_to2(pc, 0, 1000), 0);
    ck_assert_int_eq(m->stop, STOP_HALTED);
    ck_assert_int_eq(machine_exit_status(m), EXIT_HALTED);
    ck_assert_ptr_nonnull(strstr(m->stop_msg, "virtual IF = 0"));
    teardown();
}
END_TEST

START_TEST(test_io_pic)
{
    boot(_i ? "pg" : "x86");
    prologue();
    guest_pic(0xfa);
    b(2, 0xe4, 0x21);                      /* in $0x21,%al */
    RUN_TO(pc);
    ck_assert_uint_eq(c->reg[EAX] & 0xff, 0xfa);
    ck_assert_uint_eq(v->vpic.chip[0].vector_base, VIRQ_BASE);
    ck_assert_uint_eq(v->vpic.chip[1].vector_base, VIRQ_BASE + 8);
    ck_assert_uint_eq(v->vpic.chip[0].imr, 0xfa);
    /* the physical PIC stays the VMM's: vectors 0x20/0x28, only the timer */
    ck_assert_uint_eq(m->pic.chip[0].imr, 0xfe);
    ck_assert_uint_eq(m->pic.chip[1].imr, 0xff);
    ck_assert_uint_eq(v->emulated[ROW_OUT_IbAL], 10);
    ck_assert_uint_eq(v->emulated[ROW_IN_ALIb], 2);   /* the prologue's and this one */
    assert_real_is_vmms();
    /* the guest's ICW2 does not reach the physical PIC */
    outb(0x20, 0x11); outb(0x21, 0x50); outb(0x21, 0x04); outb(0x21, 0x01);
    RUN_TO(pc);
    ck_assert_uint_eq(v->vpic.chip[0].vector_base, 0x50);
    ck_assert_uint_eq(m->pic.chip[0].vector_base, 0x20);
    teardown();
}
END_TEST

START_TEST(test_io_pit)
{
    boot(_i ? "pg" : "x86");
    prologue();
    guest_pit(0x1234);
    RUN_TO(pc);
    ck_assert_uint_eq(v->vpit.reload, 0x1234);
    ck_assert_uint_eq(v->vpit.mode, 2);
    /* the physical timer follows the guest's, so IRQ0 comes when it would */
    ck_assert_uint_eq(m->pit.reload, 0x1234);
    ck_assert_uint_eq(m->pit.mode, 2);
    assert_real_is_vmms();
    teardown();
}
END_TEST

START_TEST(test_io_uart)
{
    boot(_i ? "pg" : "x86");
    prologue();
    outb(0x3fb, 0x80);                     /* DLAB: the divisor, prints nothing */
    outb(0x3f8, 0x01);
    outb(0x3fb, 0x03);
    outb(0x3f8, 'o');
    outb(0x3f8, 'k');
    b(4, 0x66, 0xba, 0xfd, 0x03);          /* mov $0x3fd,%dx */
    b(1, 0xec);                            /* in (%dx),%al */
    RUN_TO(pc);
    fflush(console);
    ck_assert_uint_eq(console_len, 2);
    ck_assert_int_eq(memcmp(console_buf, "ok", 2), 0);
    ck_assert_uint_eq(c->reg[EAX] & 0xff, 0x60);
    ck_assert_uint_eq(v->vuart.divisor, 1);
    ck_assert_uint_eq(v->vuart.lcr, 0x03);
    ck_assert_uint_eq(m->uart.lcr, 0);     /* the physical UART is not the guest's */
    assert_real_is_vmms();
    teardown();
}
END_TEST

START_TEST(test_mov_cr)
{
    boot(_i ? "pg" : "x86");
    prologue();
    b(3, 0x0f, 0x20, 0xc0);                /* mov %cr0,%eax */
    uint32_t a1 = pc;
    b(3, 0x83, 0xc8, 0x08);                /* or $8,%eax (TS) */
    b(3, 0x0f, 0x22, 0xc0);                /* mov %eax,%cr0 */
    uint32_t a2 = pc;
    mov_eax(0x00123000);
    b(3, 0x0f, 0x22, 0xd8);                /* mov %eax,%cr3 */
    mov_eax(0);
    b(3, 0x0f, 0x20, 0xd9);                /* mov %cr3,%ecx */
    uint32_t a3 = pc;
    RUN_TO(a1);
    ck_assert_uint_eq(c->reg[EAX], CR0_PE | CR0_ET);
    RUN_TO(a2);
    ck_assert_uint_eq(v->vcr0, CR0_PE | CR0_ET | CR0_TS);
    assert_real_is_vmms();
    RUN_TO(a3);
    ck_assert_uint_eq(v->vcr3, 0x00123000);
    ck_assert_uint_eq(c->reg[ECX], 0x00123000);
    ck_assert_uint_eq(v->emulated[ROW_MOV_CdRd], 2);
    ck_assert_uint_eq(v->emulated[ROW_MOV_RdCd], 2);
    assert_real_is_vmms();
    teardown();
}
END_TEST

START_TEST(test_lmsw_clts)
{
    boot(_i ? "pg" : "x86");
    prologue();
    mov_ax(CR0_PE | CR0_MP | CR0_TS);
    b(3, 0x0f, 0x01, 0xf0);                /* lmsw %ax */
    uint32_t a1 = pc;
    b(2, 0x0f, 0x06);                      /* clts */
    uint32_t a2 = pc;
    RUN_TO(a1);
    ck_assert_uint_eq(v->vcr0, CR0_PE | CR0_MP | CR0_TS | CR0_ET);
    assert_real_is_vmms();
    RUN_TO(a2);
    ck_assert_uint_eq(v->vcr0, CR0_PE | CR0_MP | CR0_ET);
    ck_assert_uint_eq(v->emulated[ROW_LMSW], 1);
    ck_assert_uint_eq(v->emulated[ROW_CLTS], 1);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* IRET in the guest kernel to its own ring (CS RPL 0): at real ring 1 that
 * is a return to an inner ring, so it traps under x86 too. */
START_TEST(test_iret_ring1)
{
    boot(_i ? "pg" : "x86");
    prologue();
    uint32_t target = DATA;                /* somewhere to land: jmp . there */
    phys_write(c, target, 2, 0xfeeb);
    push(FL_1 | FL_IF); push(KCODE); push(target);
    iret();
    RUN_TO(target);
    ck_assert_uint_eq(c->cpl, 1);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, 0x09);
    ck_assert_uint_eq(c->reg[ESP], KSTACK);
    ck_assert_uint_eq(v->vcpl, 0);
    ck_assert_uint_eq(v->vif, 1);
    ck_assert_uint_eq(v->emulated[ROW_IRET], 1);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* IRET to ring 3 with IF = 1 and with IF = 0. Under pg it traps and the VMM
 * knows at once; under x86 it runs without a trap (a PG violation) and the
 * VMM learns it at the next exit. Either way the process runs in ring 3
 * with the real IF = 1 and IOPL 0. */
START_TEST(test_iret_ring3)
{
    int pg = _i & 1, fl_if = !(_i & 2);
    boot(pg ? "pg" : "x86");
    prologue();
    phys_write(c, UCODE, 2, 0xfeeb);
    to_user(FL_1 | (fl_if ? FL_IF : 0));
    ck_assert_uint_eq(c->seg[SEG_CS].sel, UCODE_SEL);
    ck_assert_uint_eq(c->seg[SEG_SS].sel, UDATA_SEL);
    ck_assert_uint_eq(c->reg[ESP], USTACK);
    assert_real_is_vmms();
    if (pg) {
        ck_assert_uint_eq(v->vcpl, 3);
        ck_assert_uint_eq(v->vif, fl_if);
        ck_assert_uint_eq(v->emulated[ROW_IRET], 1);
    } else {
        ck_assert_uint_eq(v->emulated[ROW_IRET], 0);
    }
    teardown();
}
END_TEST

/* MOV to SS of the kernel's stack selector (RPL 0) at real ring 1: #GP
 * (RPL != CPL), emulated: SS is the guest's, compressed to RPL/DPL 1. */
START_TEST(test_mov_ss_rpl0)
{
    boot(_i ? "pg" : "x86");
    lgdt(PD_GDT);
    mov_ax(KDATA);
    mov_sreg_ax(SEG_SS);
    uint32_t next = pc;
    RUN_TO(next);
    ck_assert_uint_eq(c->seg[SEG_SS].sel, KDATA | 1);
    ck_assert_uint_eq(DESC_DPL(c->seg[SEG_SS].access), 1);
    ck_assert_uint_eq(c->seg[SEG_SS].limit, v->base - 1);
    ck_assert_uint_eq(v->emulated[ROW_MOV_SwEw], 1);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* ================= the shadow IDT ================= */

START_TEST(test_second_lidt)
{
    boot(_i ? "pg" : "x86");
    prologue();
    ck_assert_uint_eq(v->idt_rebuilds, 2);
    lidt(PD_IDT2);
    uint32_t at = pc;
    b(2, 0xcd, 0x80);                      /* int $0x80 */
    RUN_TO(at);
    ck_assert_uint_eq(v->idt_rebuilds, 3);
    ck_assert_uint_eq(v->vidtr.base, IDT2);
    assert_real_is_vmms();
    RUN_TO(H2(0x80));
    ck_assert_uint_eq(frame(0), at + 2);
    ck_assert_uint_eq(frame(1), KCODE);
    teardown();
}
END_TEST

/* The guest rewrites gates after LIDT: the next delivery uses the new ones
 * (a software interrupt, then the timer). */
START_TEST(test_gate_rewritten_after_lidt)
{
    boot(_i ? "pg" : "x86");
    prologue();
    uint32_t new80 = DATA + 0x100, new_timer = DATA + 0x200;
    phys_write(c, new80, 2, 0xfeeb);
    mov_mem_imm(IDT + 0x80 * 8, (new80 & 0xffff) | (KCODE << 16));
    mov_mem_imm(IDT + 0x80 * 8 + 4, (new80 & 0xffff0000u) | 0xef00);
    uint32_t at = pc;
    b(2, 0xcd, 0x80);
    RUN_TO(new80);
    ck_assert_uint_eq(frame(0), at + 2);
    ck_assert_uint_eq(v->idt_rebuilds, 2);       /* no LIDT: nothing rebuilt */

    /* the timer's gate, after the timer is running */
    teardown();
    boot(_i ? "pg" : "x86");
    prologue();
    phys_write(c, new_timer, 2, 0xfeeb);
    guest_pic(0xfe);
    guest_pit(100);
    mov_mem_imm(IDT + VIRQ_BASE * 8, (new_timer & 0xffff) | (KCODE << 16));
    mov_mem_imm(IDT + VIRQ_BASE * 8 + 4, (new_timer & 0xffff0000u) | 0x8e00);
    sti();
    jmp_self();
    ck_assert_int_eq(run_to2(new_timer, H(VIRQ_BASE), 200000), 1);
    ck_assert_uint_eq(v->injected[0], 1);
    teardown();
}
END_TEST

/* ================= injection ================= */

/* A timer interrupt while the virtual IF is 0 waits in the virtual PIC and
 * is counted as deferred; `sti; hlt` then wakes from the HLT: the interrupt
 * comes after the instruction that follows STI, so the frame's EIP is the
 * one after the HLT. */
START_TEST(test_irq_deferred_then_sti_hlt)
{
    boot(_i ? "pg" : "x86");
    prologue();
    guest_pic(0xfe);
    guest_pit(100);
    uint32_t loop = pc;
    b(2, 0xe2, 0xfe);                      /* loop . (ECX times) */
    uint32_t at_sti = pc;
    sti();
    uint32_t at_hlt = pc;
    hlt();
    uint32_t after = pc;
    jmp_self();
    RUN_TO(loop);
    c->reg[ECX] = 3000;                    /* ~3 timer periods */
    RUN_TO(at_sti);
    ck_assert_uint_gt(v->exit_irq[0], 0);
    ck_assert_uint_gt(v->deferred[0], 0);
    ck_assert_uint_eq(v->injected[0], 0);
    ck_assert_int_eq(pic_intr_pending(&v->vpic), 1);
    machine_step(m);                       /* sti: nothing injected yet */
    ck_assert_uint_eq(c->eip, at_hlt);
    ck_assert_uint_eq(v->vif, 1);
    ck_assert_uint_eq(v->injected[0], 0);
    machine_step(m);                       /* hlt, then the interrupt */
    ck_assert_uint_eq(v->injected[0], 1);
    ck_assert_uint_eq(c->eip, H(VIRQ_BASE));
    ck_assert_uint_eq(frame(0), after);
    ck_assert_uint_eq(frame(1), KCODE);
    ck_assert_uint_eq(frame(2) & (FL_IF | FL_IOPL), FL_IF);
    ck_assert_uint_eq(v->vif, 0);          /* an interrupt gate */
    ck_assert_int_eq(m->halted, 0);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* `sti; hlt` when the timer's edge comes just as the HLT is next: the
 * interrupt still comes after the HLT (the STI shadow covers the
 * instruction after STI, not the VM exit that the edge causes), so the
 * guest does not sleep a whole tick in the HLT it meant to leave. */
START_TEST(test_sti_hlt_edge_at_the_hlt)
{
    boot(_i ? "pg" : "x86");
    prologue();
    guest_pic(0xfe);
    guest_pit(100);
    uint32_t loop = pc;
    b(2, 0xe2, 0xfe);
    uint32_t at_sti = pc;
    sti();
    uint32_t at_hlt = pc;
    hlt();
    uint32_t after = pc;
    jmp_self();
    RUN_TO(loop);
    c->reg[ECX] = 3000;
    RUN_TO(at_sti);
    RUN_TO(at_hlt);
    ck_assert_uint_eq(v->injected[0], 0);
    pic_pulse_irq(&m->pic, 0);             /* the physical timer's edge, now */
    RUN_TO(H(VIRQ_BASE));
    ck_assert_msg(frame(0) == after, "the interrupt came before the HLT it was to end (frame EIP %08x, "
                  "the HLT is at %08x)", frame(0), at_hlt);
    teardown();
}
END_TEST

/* `sti; nop` with an interrupt waiting: it comes after the NOP. */
START_TEST(test_sti_shadow)
{
    boot(_i ? "pg" : "x86");
    prologue();
    guest_pic(0xfe);
    guest_pit(100);
    uint32_t loop = pc;
    b(2, 0xe2, 0xfe);
    uint32_t at_sti = pc;
    sti();
    nop();
    uint32_t after = pc;
    nop();
    jmp_self();
    RUN_TO(loop);
    c->reg[ECX] = 3000;
    RUN_TO(at_sti);
    ck_assert_uint_gt(v->deferred[0], 0);
    RUN_TO(H(VIRQ_BASE));
    ck_assert_uint_eq(frame(0), after);
    teardown();
}
END_TEST

/* An IRQ masked in the virtual PIC is not injected, whatever the virtual
 * IF; HLT then waits for ever. */
START_TEST(test_masked_irq_not_injected)
{
    boot(_i ? "pg" : "x86");
    prologue();
    guest_pic(0xff);
    guest_pit(100);
    sti();
    uint32_t loop = pc;
    b(2, 0xe2, 0xfe);
    hlt();
    RUN_TO(loop);
    c->reg[ECX] = 3000;
    ck_assert_int_eq(run_to2(H(VIRQ_BASE), 0, 10000), 0);
    ck_assert_uint_gt(v->exit_irq[0], 0);
    ck_assert_uint_eq(v->injected[0], 0);
    ck_assert_int_eq(m->stop, STOP_HALTED);
    ck_assert_ptr_nonnull(strstr(m->stop_msg, "masked"));
    teardown();
}
END_TEST

/* `int 0x80` from ring 3 arrives at the guest's handler in ring 1, on the
 * stack the guest's TSS names, with the frame x86 pushes: SS, ESP, EFLAGS
 * (with the virtual IF), CS (RPL 3), EIP after the INT. */
START_TEST(test_int80_from_ring3)
{
    int pg = _i & 1, fl_if = !(_i & 2);
    if (!pg && !fl_if)
        return;   /* x86 cannot enter ring 3 with IF = 0 from ring 1 (POPF/IRET keep it) */
    boot(pg ? "pg" : "x86");
    prologue();
    uint32_t saved = pc;
    pc = UCODE;
    b(2, 0xcd, 0x80);
    pc = saved;
    to_user(FL_1 | (fl_if ? FL_IF : 0));
    RUN_TO(H(0x80));
    ck_assert_uint_eq(c->cpl, 1);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, KCODE | 1);
    ck_assert_uint_eq(c->seg[SEG_SS].sel, KDATA | 1);
    ck_assert_uint_eq(c->reg[ESP], ESP0 - 20);
    ck_assert_uint_eq(frame(0), UCODE + 2);
    ck_assert_uint_eq(frame(1), UCODE_SEL);
    ck_assert_uint_eq(frame(2) & ~(uint32_t)FL_ARITH, FL_1 | (fl_if ? FL_IF : 0));
    ck_assert_uint_eq(frame(3), USTACK);
    ck_assert_uint_eq(frame(4), UDATA_SEL);
    ck_assert_uint_eq(v->vcpl, 0);
    ck_assert_uint_eq(v->vif, fl_if);      /* a trap gate keeps IF */
    ck_assert_uint_eq(v->forwarded_soft, 1);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* Guest faults in ring 3 are reflected to the guest's handler with x86's
 * frame and error code: #UD, #DE (none), #GP(selector) from a MOV to DS,
 * #GP(vector * 8 + 2) from an INT through a DPL 0 gate. */
static const struct {
    const char *what;
    uint8_t code[8];
    int len, fault_at, vec, err;           /* err -1: none pushed */
} ring3_faults[] = {
    { "ud2", { 0x0f, 0x0b }, 2, 0, EXC_UD, -1 },
    { "div %ecx (0)", { 0x31, 0xc9, 0xf7, 0xf1 }, 4, 2, EXC_DE, -1 },
    { "mov $0x10,%ax; mov %ax,%ds", { 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8 }, 6, 4, EXC_GP, KDATA },
    { "int $0x20 (DPL 0 gate)", { 0xcd, 0x20 }, 2, 0, EXC_GP, 0x20 * 8 + 2 },
    { "hlt", { 0xf4 }, 1, 0, EXC_GP, 0 },
    { "cli", { 0xfa }, 1, 0, EXC_GP, 0 },
};

START_TEST(test_ring3_fault_reflected)
{
    int k = _i / 2;
    boot(_i & 1 ? "pg" : "x86");
    prologue();
    for (int j = 0; j < ring3_faults[k].len; j++)
        phys_write(c, UCODE + (uint32_t)j, 1, ring3_faults[k].code[j]);
    to_user(FL_1 | FL_IF);
    int vec = ring3_faults[k].vec, err = ring3_faults[k].err;
    ck_assert_msg(run_to2(H(vec), 0, 1000) == 1, "%s: not at the guest's handler of vector %d: EIP %08x, %s",
                  ring3_faults[k].what, vec, c->eip, m->stop_msg);
    int e = err >= 0;
    ck_assert_uint_eq(c->reg[ESP], ESP0 - 20 - (e ? 4 : 0));
    if (e)
        ck_assert_uint_eq(frame(0), (uint32_t)err);
    ck_assert_uint_eq(frame(e + 0), UCODE + (uint32_t)ring3_faults[k].fault_at);
    ck_assert_uint_eq(frame(e + 1), UCODE_SEL);
    ck_assert_uint_eq(frame(e + 2) & (FL_IF | FL_IOPL), FL_IF);
    ck_assert_uint_eq(frame(e + 3), USTACK);
    ck_assert_uint_eq(frame(e + 4), UDATA_SEL);
    ck_assert_uint_eq(v->vcpl, 0);
    ck_assert_uint_eq(v->vif, 0);          /* interrupt gate */
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* ================= what follows an emulated instruction ================= */
static const char *const profiles3[3] = { "x86", "pg", "umip" };

/* A REP OUTSB longer than a chunk (65,536 iterations) traps and is emulated
 * chunk by chunk; the instruction right after it, whose event is not a VM
 * exit of the VMM's own (INT n, INT3, INTO), must still have it delivered,
 * and the REP counts as one retired instruction. _i: profile + 3 * kind. */
START_TEST(test_long_rep_then_soft_int)
{
    static const struct { const char *what; uint8_t code[2]; int len, vec; uint32_t fl; } k[] = {
        { "int $0x41", { 0xcd, 0x41 }, 2, 0x41, FL_1 },
        { "int3", { 0xcc }, 1, EXC_BP, FL_1 },
        { "into", { 0xce }, 1, EXC_OF, FL_1 | FL_OF },
    };
    int n = _i / 3;
    boot(profiles3[_i % 3]);
    prologue();
    gate(IDT, 0x41, KCODE, H(0x41), 0x8e);
    gate(IDT, EXC_BP, KCODE, H(EXC_BP), 0x8e);
    gate(IDT, EXC_OF, KCODE, H(EXC_OF), 0x8e);
    push(k[n].fl);
    b(1, 0x9d);                            /* popf */
    b(1, 0xb9); d32(0x20001);              /* mov $0x20001,%ecx: three chunks */
    b(1, 0xbe); d32(DATA);                 /* mov $DATA,%esi */
    b(4, 0x66, 0xba, 0x80, 0x00);          /* mov $0x80,%dx */
    uint32_t rep = pc;
    b(2, 0xf3, 0x6e);                      /* rep outsb */
    for (int j = 0; j < k[n].len; j++)
        b(1, k[n].code[j]);
    uint32_t after = pc;
    jmp_self();
    RUN_TO(rep);
    uint64_t i0 = c->icount;
    ck_assert_msg(run_to2(H(k[n].vec), after, 1000) == 1, "%s after a long rep outsb under %s: not delivered, "
                  "EIP %08x, %s", k[n].what, profiles3[_i % 3], c->eip, m->stop_msg);
    ck_assert_uint_eq(frame(0), after);
    ck_assert_uint_eq(c->reg[ECX], 0);
    ck_assert_uint_eq(c->reg[ESI], DATA + 0x20001);
    ck_assert_uint_eq(c->icount - i0, 2);  /* the REP and the interrupt instruction */
    ck_assert_uint_eq(v->emulated[ROW_OUTSB], 1);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* The single-step trap after an instruction the VMM emulates, as after one
 * that runs directly: #DB to the guest's handler with EIP after it and
 * DR6.BS. MOV SS holds it back to the end of the next instruction. _i:
 * profile + 3 * case. */
START_TEST(test_single_step_after_emulation)
{
    static const struct { const char *what; uint8_t code[7]; int len, extra; } k[] = {
        { "out %al,$0x80", { 0xe6, 0x80 }, 2, 0 },
        { "in $0x21,%al", { 0xe4, 0x21 }, 2, 0 },
        { "cli", { 0xfa }, 1, 0 },
        { "pushf", { 0x9c }, 1, 0 },
        { "popf (pops TF = 0)", { 0x9d }, 1, 0 },
        { "lidt", { 0x0f, 0x01, 0x1d, PD_IDT & 0xff, (PD_IDT >> 8) & 0xff, 0, 0 }, 7, 0 },
        { "mov %cr0,%eax", { 0x0f, 0x20, 0xc0 }, 3, 0 },
        { "push %ds", { 0x1e }, 1, 0 },
        { "mov %ax,%ss; nop", { 0x8e, 0xd0 }, 2, 1 },
    };
    int n = _i / 3;
    boot(profiles3[_i % 3]);
    prologue();
    gate(IDT, EXC_DB, KCODE, H(EXC_DB), 0x8e);
    mov_ax(KDATA);
    push(FL_1);                            /* what the POPF case pops */
    push(FL_1 | FL_TF);
    b(1, 0x9d);                            /* popf: TF from here on */
    uint32_t at = pc;
    for (int j = 0; j < k[n].len; j++)
        b(1, k[n].code[j]);
    if (k[n].extra)
        nop();
    uint32_t after = pc;
    nop();
    jmp_self();
    RUN_TO(at);
    ck_assert_msg(run_to2(H(EXC_DB), 0, 1000) == 1, "%s under %s: no #DB, EIP %08x, %s", k[n].what,
                  profiles3[_i % 3], c->eip, m->stop_msg);
    ck_assert_msg(frame(0) == after, "%s under %s: #DB with EIP %08x, expected %08x", k[n].what,
                  profiles3[_i % 3], frame(0), after);
    ck_assert(c->dr[6] & DR6_BS);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* The guest's CR0.MP, EM and TS act on its FWAIT and x87 instructions, in
 * its kernel and in its processes: #NM to the guest's handler, as bare. */
START_TEST(test_guest_cr0_fpu_bits)
{
    boot(profiles3[_i % 3]);
    int user = _i >= 3;
    prologue();
    gate(IDT, EXC_NM, KCODE, H(EXC_NM), 0x8e);
    b(3, 0x0f, 0x20, 0xc0);                /* mov %cr0,%eax */
    b(3, 0x83, 0xc8, 0x0a);                /* or $0xa,%eax: MP, TS */
    b(3, 0x0f, 0x22, 0xc0);                /* mov %eax,%cr0 */
    uint32_t code = user ? UCODE : pc;
    if (user)
        to_user(FL_1 | FL_IF);
    phys_write(c, code, 1, 0x9b);          /* fwait */
    phys_write(c, code + 1, 2, 0xfeeb);
    ck_assert_msg(run_to2(H(EXC_NM), code + 1, 1000) == 1, "fwait with the guest's CR0.MP and TS under %s, "
                  "ring %d: no #NM, EIP %08x", profiles3[_i % 3], user ? 3 : 0, c->eip);
    ck_assert_uint_eq(frame(0), code);
    ck_assert_uint_eq(c->cr0 & (CR0_MP | CR0_TS), CR0_MP | CR0_TS);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* Task switches a guest attempts: the SDM's checks against the guest's own
 * descriptors and TSS, whatever the shadow GDT makes of them (DPL 0 runs as
 * 1, gates not present), and whatever the real TR is (the VMM's): the fault
 * the guest gets is the bare machine's. _i: profile + 3 * case. */
START_TEST(test_task_switch_checks_under_vmm)
{
    static const struct { const char *what; int user; uint8_t code[8]; int len, vec; uint32_t err; } k[] = {
        { "ring 3: ljmp to a DPL 0 TSS", 1, { 0xea, 0, 0, 0, 0, 0x63, 0x00 }, 7, EXC_GP, 0x60 },
        { "ring 3: lcall to a task gate whose TSS is not present", 1, { 0x9a, 0, 0, 0, 0, 0x6b, 0x00 }, 7,
          EXC_NP, 0x70 },
        { "ring 3: iret with NT = 1, link null", 1, { 0x68, 0x02, 0x42, 0, 0, 0x9d, 0xcf }, 7, EXC_TS, 0 },
        { "kernel: ljmp to a TSS not present", 0, { 0xea, 0, 0, 0, 0, 0x70, 0x00 }, 7, EXC_NP, 0x70 },
    };
    int n = _i / 3;
    boot(profiles3[_i % 3]);
    desc(GDT, 12, DATA, 0x67, 0x89, 0x0);         /* 0x60: TSS, DPL 0, available */
    gate(GDT, 13, 0x70, 0, 0xe5);                 /* 0x68: task gate, DPL 3, to 0x70 */
    desc(GDT, 14, DATA, 0x67, 0x09, 0x0);         /* 0x70: TSS, DPL 0, not present */
    prologue();
    uint32_t code = k[n].user ? UCODE : pc;
    for (int j = 0; j < k[n].len; j++)
        phys_write(c, code + (uint32_t)j, 1, k[n].code[j]);
    uint32_t at = code + (uint32_t)k[n].len - (k[n].code[0] == 0x68 ? 1 : 7);
    if (k[n].user)
        to_user(FL_1 | FL_IF);
    ck_assert_msg(run_to2(H(k[n].vec), 0, 1000) == 1, "%s under %s: EIP %08x, stop %d: %s", k[n].what,
                  profiles3[_i % 3], c->eip, m->stop, m->stop_msg);
    ck_assert_uint_eq(frame(0), k[n].err);
    ck_assert_uint_eq(frame(1), at);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* The summary's "faults reflected to guest" counts every fault the VMM
 * sends back to the guest, not only #GP. */
START_TEST(test_reflected_counts_every_vector)
{
    boot("x86");
    prologue();
    phys_write(c, UCODE, 2, 0x0b0f);       /* ud2 */
    to_user(FL_1 | FL_IF);
    RUN_TO(H(EXC_UD));
    ck_assert_uint_eq(v->exit_exc[EXC_UD], 1);
    ck_assert_msg(v->reflected[EXC_UD] == 1, "a #UD sent to the guest's handler is not counted as reflected");
    teardown();
}
END_TEST

/* A call gate (DPL 3) into the kernel's code, used from ring 3: the CPU
 * switches to the stack the guest's TSS names for the kernel and pushes
 * SS, ESP, CS and EIP there, as on bare hardware (old Linux's lcall7). */
START_TEST(test_call_gate_from_ring3)
{
    boot(_i ? "pg" : "x86");
    uint32_t target = DATA + 0x300;
    phys_write(c, target, 2, 0xfeeb);
    wr32(GDT + 10 * 8, ((uint32_t)KCODE << 16) | (target & 0xffff));
    wr32(GDT + 10 * 8 + 4, (target & 0xffff0000u) | 0xec00);   /* 32-bit call gate, DPL 3 */
    prologue();
    uint32_t saved = pc;
    pc = UCODE;
    lcall(GATE_SEL | 3, 0);
    pc = saved;
    to_user(FL_1 | FL_IF);
    ck_assert_msg(run_to2(target, 0, 100) == 1, "not at the gate's target: EIP %08x CS %04x, %s", c->eip,
                  c->seg[SEG_CS].sel, m->stop_msg);
    ck_assert_uint_eq(c->cpl, 1);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, KCODE | 1);
    ck_assert_uint_eq(c->seg[SEG_SS].sel, KDATA | 1);
    ck_assert_uint_eq(c->reg[ESP], ESP0 - 16);
    ck_assert_uint_eq(frame(0), UCODE + 7);
    ck_assert_uint_eq(frame(1), UCODE_SEL);
    ck_assert_uint_eq(frame(2), USTACK);
    ck_assert_uint_eq(frame(3), UDATA_SEL);
    ck_assert_uint_eq(v->vcpl, 0);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* ================= rings and segments ================= */

/* A guest segment that reaches into the VMM's area is truncated below it:
 * an access beyond is the guest's #GP(0). */
START_TEST(test_truncation)
{
    boot(_i ? "pg" : "x86");
    prologue();
    mov_ax(HIGH_SEL);
    mov_sreg_ax(SEG_ES);
    uint32_t a1 = pc;
    mov_eax_mem(0x26, VMM_AREA_BASE - 0x200000 - 4);   /* just below the VMM's area */
    uint32_t a2 = pc;
    mov_eax_mem(0x26, VMM_AREA_BASE - 0x200000);       /* linear v->base */
    RUN_TO(a1);
    ck_assert_uint_eq(c->seg[SEG_ES].base, 0x200000);
    ck_assert_uint_eq(c->seg[SEG_ES].limit, v->base - 1 - 0x200000);
    RUN_TO(a2);
    RUN_TO(H(EXC_GP));
    ck_assert_uint_eq(frame(0), 0);
    ck_assert_uint_eq(frame(1), a2);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* ================= isolation: what a guest kernel must not reach ================= */

static uint8_t vmm_area_before[VMM_STACK_TOP - 0x1000];
static int shadow_may_change;   /* the guest changed its GDT: the shadow follows it */

/* The VMM's area below its stack, as it is now. */
static void snapshot_vmm_area(void)
{
    memcpy(vmm_area_before, v->area, sizeof vmm_area_before);
    shadow_may_change = 0;
}
/* ... must be as it was, but for the shadow of the guest's descriptors
 * when the guest changed them (the VMM's own descriptors at the top of the
 * shadow GDT, its IDT and its TSS never change). */
static void assert_vmm_area_unchanged(const char *after)
{
    uint32_t from = shadow_may_change ? (VMM_GDT_ENTRIES - 8) * 8 : 0;
    for (uint32_t k = from; k < sizeof vmm_area_before; k++)
        ck_assert_msg(v->area[k] == vmm_area_before[k],
                      "after %s the VMM's area changed at %08x: %02x -> %02x", after, v->base + k,
                      vmm_area_before[k], v->area[k]);
}

/* The access (at `at`) reaches the end (`done`) only if it got through. */
static void assert_blocked(uint32_t done, const char *what)
{
    int r = run_to2(done, H(EXC_GP), 2000);
    if (r == 0 && m->stop == STOP_NONE)
        r = run_to2(done, H(EXC_NP), 2000);
    ck_assert_msg(r != 1, "%s got through: the guest read %08x from the VMM's area", what, c->reg[EAX]);
}

/* A data segment based inside the VMM's area (x86: the shadow descriptor is
 * not present, #NP; pg: MOV to FS traps and is emulated). */
START_TEST(test_segment_based_in_vmm_area)
{
    boot(_i ? "pg" : "x86");
    prologue();
    snapshot_vmm_area();
    mov_ax(INSIDE_SEL);
    mov_sreg_ax(SEG_FS);
    mov_eax_mem(0x64, 0x10000);            /* mov %fs:0x10000,%eax: the VMM's IDT */
    b(3, 0x64, 0xa3, 0x00); b(3, 0x00, 0x01, 0x00);   /* mov %eax,%fs:0x10000 */
    uint32_t done = pc;
    jmp_self();
    assert_blocked(done, "a segment based in the VMM's area");
    assert_real_is_vmms();
    assert_vmm_area_unchanged("a load of a segment based in the VMM's area");
    teardown();
}
END_TEST

/* An expand-down segment with base 0 and limit 0 covers every offset above
 * 0: the VMM's area too, unless the shadow does something about it. */
START_TEST(test_expand_down_segment)
{
    boot(_i ? "pg" : "x86");
    prologue();
    snapshot_vmm_area();
    mov_ax(EXPDN_SEL);
    mov_sreg_ax(SEG_ES);
    mov_eax_mem(0x26, v->base + VMM_IDT_OFF);          /* mov %es:<VMM IDT>,%eax */
    uint32_t done = pc;
    jmp_self();
    assert_blocked(done, "an expand-down segment");
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* A call gate in the guest's GDT naming the VMM's code selector: a far
 * call through it would run guest-chosen bytes at real CPL 0 (the shadow
 * GDT, at the start of the VMM's code segment, is a copy of the guest's). */
START_TEST(test_call_gate_to_vmm_code)
{
    boot(_i ? "pg" : "x86");
    /* entry 11, not present: its first bytes are copied as they are:
     * mov %cs,%eax; lret */
    wr32(GDT + 11 * 8, 0x90cbc88cu);
    wr32(GDT + 11 * 8 + 4, 0);
    /* entry 10: 32-bit call gate, DPL 0, to VMM_CS:0x58 */
    wr32(GDT + 10 * 8, ((uint32_t)VMM_CS << 16) | PAYLD_SEL);
    wr32(GDT + 10 * 8 + 4, 0x8c00);
    prologue();
    lcall(GATE_SEL, 0);
    uint32_t done = pc;
    jmp_self();
    for (int k = 0; k < 50 && m->stop == STOP_NONE && c->eip != done && c->eip != H(EXC_GP) &&
                    c->eip != H(EXC_NP); k++) {
        machine_step(m);
        ck_assert_msg(c->cpl != 0 || m->in_vmm, "the guest runs at real CPL 0, CS %04x EIP %08x",
                      c->seg[SEG_CS].sel, c->eip);
    }
    ck_assert_msg(c->eip != done, "the call through the gate returned: EAX (CS seen there) %08x", c->reg[EAX]);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* The guest's TSS names a ring-0 stack inside the VMM's area: delivering
 * `int 0x80` from ring 3 must not write the frame there. */
START_TEST(test_tss_stack_in_vmm_area)
{
    boot(_i ? "pg" : "x86");
    prologue();
    phys_write(c, UCODE, 2, 0x80cd);       /* int $0x80 */
    wr32(TSS + 4, v->base + VMM_IDT_OFF + 0x100);   /* ESP0: over the VMM's IDT */
    to_user(FL_1 | FL_IF);
    snapshot_vmm_area();
    for (int k = 0; k < 10 && m->stop == STOP_NONE && c->eip != H(0x80); k++)
        machine_step(m);
    /* For the guest the VMM's area is past the end of its RAM: the frame's
     * writes are dropped, as they would be bare on a machine whose RAM ends
     * there (PLATFORM.md), and nothing of the VMM changes. */
    assert_vmm_area_unchanged("int 0x80 with the guest's ESP0 inside the VMM's area");
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* LGDT of a table whose entry is based inside the VMM's area, then a load
 * of it: the VMM's area stays out of reach. */
START_TEST(test_crafted_lgdt)
{
    boot(_i ? "pg" : "x86");
    prologue();
    snapshot_vmm_area();
    uint32_t crafted = DATA + 0x400;
    for (uint32_t k = 0; k < GDT_N * 8; k += 4)
        wr32(crafted + k, rd32(GDT + k));
    desc(crafted, 12, v->base, 0xfffff, 0x93, 0xc);
    pseudo(DATA + 0x3f0, GDT_N * 8 - 1, crafted);
    lgdt(DATA + 0x3f0);
    shadow_may_change = 1;
    mov_ax(0x60);
    mov_sreg_ax(SEG_GS);
    mov_eax_mem(0x65, VMM_IDT_OFF);        /* mov %gs:0x10000,%eax */
    uint32_t done = pc;
    jmp_self();
    assert_blocked(done, "a descriptor of a crafted GDT based in the VMM's area");
    assert_vmm_area_unchanged("LGDT of a crafted table");
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* Accesses at the end of RAM and of the address space, through the
 * expand-down segment (the widest a guest can build): blocked or not, they
 * must stay inside the simulator's RAM buffer (reads outside RAM give 0,
 * writes there are dropped; the ASan build checks the rest). */
START_TEST(test_no_access_outside_ram)
{
    static const uint32_t where[] = { RAM - 2, 0xfffffffeu, RAM + 0x1000 };
    uint32_t addr = where[_i / 2];
    int write = _i & 1;
    boot("x86");
    prologue();
    mov_ax(EXPDN_SEL);
    mov_sreg_ax(SEG_ES);
    mov_eax(0xa1b2c3d4);
    b(2, 0x26, write ? 0xa3 : 0xa1);       /* mov %eax,%es:addr / mov %es:addr,%eax */
    d32(addr);
    uint32_t done = pc;
    jmp_self();
    int r = run_to2(done, H(EXC_GP), 2000);
    ck_assert_int_eq(m->stop, STOP_NONE);
    if (r == 1 && !write && addr >= RAM)
        ck_assert_uint_eq(c->reg[EAX], 0);   /* nothing there */
    teardown();
}
END_TEST

/* Between the guest's RAM and the VMM's area there is nothing, as on the
 * bare machine: through the guest's flat DS a read gives 0 and a write is
 * dropped, with no fault (the guest keeps all its RAM; only the top MiB,
 * the VMM's, is beyond its segments). */
START_TEST(test_above_ram_as_bare)
{
    static const uint32_t where[] = { RAM, RAM + 0x1000, 0x80000000u, VMM_AREA_BASE - 4 };
    uint32_t addr = where[_i / 2];
    boot(_i & 1 ? "pg" : "x86");
    prologue();
    snapshot_vmm_area();
    mov_eax(0xa1b2c3d4);
    b(1, 0xa3); d32(addr);                 /* mov %eax,addr: dropped */
    mov_eax(0x5a5a5a5a);
    b(1, 0xa1); d32(addr);                 /* mov addr,%eax: 0 */
    uint32_t done = pc;
    jmp_self();
    ck_assert_int_eq(run_to2(done, H(EXC_GP), 2000), 1);
    ck_assert_uint_eq(c->reg[EAX], 0);
    assert_vmm_area_unchanged("a write above RAM");
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* ================= issue 13: rings 1 and 2, control bits, tables ================= */

/* Entries 12-15 of the guest's GDT: code and data of DPL 2 and of DPL 1. */
#define R2CODE_SEL 0x62
#define R2DATA_SEL 0x6a
#define R1CODE_SEL 0x71
#define R1DATA_SEL 0x79
static void outer_ring_descs(void)
{
    desc(GDT, 12, 0, 0xfffff, 0xdb, 0xc);
    desc(GDT, 13, 0, 0xfffff, 0xd3, 0xc);
    desc(GDT, 14, 0, 0xfffff, 0xbb, 0xc);
    desc(GDT, 15, 0, 0xfffff, 0xb3, 0xc);
}

/* The kernel IRETs to UCODE in ring `ring` (1 or 2) with EFLAGS `fl`. */
static void to_ring(int ring, uint32_t fl)
{
    uint16_t cs = ring == 1 ? R1CODE_SEL : R2CODE_SEL, ss = ring == 1 ? R1DATA_SEL : R2DATA_SEL;
    push(ss); push(USTACK); push(fl); push(cs); push(UCODE);
    iret();
    RUN_TO(UCODE);
}

/* Guest code in ring 1 or 2 runs in real ring 2, never with the guest
 * kernel's rights: CLI, MOV to CR0, LGDT, IN there are the guest's #GP(0),
 * on the stack its TSS names for ring 0, with the ring's own CS and SS in
 * the frame; the VMM's virtual CPL is the guest's ring at the exit. */
START_TEST(test_outer_ring_is_not_ring0)
{
    static const struct { uint8_t code[8]; int len; const char *what; } insns[] = {
        { { 0xfa }, 1, "cli" },
        { { 0x0f, 0x22, 0xc0 }, 3, "mov %eax,%cr0" },
        { { 0x0f, 0x01, 0x15, 0x00, 0x40, 0x00, 0x00 }, 7, "lgdt" },
        { { 0xe4, 0x21 }, 2, "in $0x21,%al" },
    };
    int ring = 1 + _i % 2, k = (_i / 2) % 4;
    boot(profiles3[_i / 8]);
    outer_ring_descs();
    prologue();
    for (int j = 0; j < insns[k].len; j++)
        phys_write(c, UCODE + (uint32_t)j, 1, insns[k].code[j]);
    to_ring(ring, FL_1 | FL_IF);
    ck_assert_uint_eq(c->cpl, 2);
    ck_assert_msg(run_to2(H(EXC_GP), 0, 1000) == 1, "ring %d %s: not the guest's #GP: EIP %08x, %s", ring,
                  insns[k].what, c->eip, m->stop_msg);
    ck_assert_uint_eq(c->reg[ESP], ESP0 - 24);
    ck_assert_uint_eq(frame(0), 0);
    ck_assert_uint_eq(frame(1), UCODE);
    ck_assert_uint_eq(frame(2), ring == 1 ? R1CODE_SEL : R2CODE_SEL);
    ck_assert_uint_eq(frame(4), USTACK);
    ck_assert_uint_eq(frame(5), ring == 1 ? R1DATA_SEL : R2DATA_SEL);
    ck_assert_uint_eq(v->vcpl, 0);
    ck_assert_uint_eq(v->vgdtr.base, GDT);
    ck_assert_uint_eq(v->vcr0, CR0_PE | CR0_ET);
    ck_assert_uint_eq(v->emulated[ROW_CLI] + v->emulated[ROW_MOV_CdRd], 0);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* Ring 1 with IOPL 1 may run CLI (the virtual IF drops); ring 2 with the
 * same IOPL may not. The VMM tells the two apart at the exit, from the
 * guest's own descriptor of CS, though both run in real ring 2. */
START_TEST(test_ring1_and_ring2_apart)
{
    int ring = 1 + _i % 2;
    boot(profiles3[_i / 2]);
    outer_ring_descs();
    prologue();
    phys_write(c, UCODE, 1, 0xfa);   /* cli */
    phys_write(c, UCODE + 1, 2, 0xfeeb);
    to_ring(ring, FL_1 | FL_IF | (1u << 12));
    ck_assert_uint_eq(c->cpl, 2);
    if (ring == 1) {
        RUN_TO(UCODE + 1);
        ck_assert_uint_eq(v->vcpl, 1);
        ck_assert_uint_eq(v->vif, 0);
        ck_assert_uint_eq(c->seg[SEG_CS].sel, (R1CODE_SEL & ~3u) | 2);
        ck_assert_uint_eq(c->seg[SEG_SS].sel, (R1DATA_SEL & ~3u) | 2);
    } else {
        RUN_TO(H(EXC_GP));
        ck_assert_uint_eq(frame(2), R2CODE_SEL);
    }
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* CR4.TSD: the real CR4 carries it while the guest runs; the kernel's
 * RDTSC (which faults in real ring 1) is run on the virtual CPU, a
 * process's is the guest's #GP(0). */
START_TEST(test_cr4_tsd)
{
    boot(profiles3[_i]);
    prologue();
    mov_eax(CR4_TSD);
    b(3, 0x0f, 0x22, 0xe0);          /* mov %eax,%cr4 */
    uint32_t set = pc;
    b(2, 0x0f, 0x31);                /* rdtsc */
    RUN_TO(set);
    ck_assert_uint_eq(v->vcr4, CR4_TSD);
    ck_assert_uint_eq(c->cr4 & CR4_TSD, CR4_TSD);
    assert_real_is_vmms();
    RUN_TO(pc);
    ck_assert_uint_eq(v->emulated[ROW_RDTSC], 1);
    ck_assert_uint_eq(v->reflected[EXC_GP], 0);
    phys_write(c, UCODE, 2, 0x310f);  /* rdtsc in ring 3 */
    to_user(FL_1 | FL_IF);
    RUN_TO(H(EXC_GP));
    ck_assert_uint_eq(frame(0), 0);
    ck_assert_uint_eq(frame(1), UCODE);
    ck_assert_uint_eq(frame(2), UCODE_SEL);
    ck_assert_uint_eq(v->emulated[ROW_RDTSC], 1);
    assert_real_is_vmms();
    teardown();
}
END_TEST

/* An LGDT whose table lies in the VMM's area: the shadow is built from
 * what the guest sees there (0), never from the VMM's bytes, so every
 * entry is empty and LSL fails. `_i` picks the base: the area's start (the
 * shadow GDT itself), its IDT, and a table starting just below it. */
START_TEST(test_lgdt_in_vmm_area)
{
    static const uint32_t bases[3] = { VMM_AREA_BASE, VMM_AREA_BASE + VMM_IDT_OFF, VMM_AREA_BASE - 8 };
    boot(profiles3[_i / 3]);
    prologue();
    pseudo(DATA, 0xffff, bases[_i % 3]);
    lgdt(DATA);
    mov_eax(KDATA);
    b(3, 0x0f, 0x03, 0xd8);          /* lsl %eax,%ebx */
    uint32_t done = pc;
    RUN_TO(done);
    uint32_t sg = v->base + VMM_GDT_OFF;
    for (uint32_t i = 1; i < VMM_GDT_ENTRIES - 8; i++) {
        ck_assert_msg((rd32(sg + i * 8 + 4) & 0x8000) == 0 && rd32(sg + i * 8) == 0,
                      "shadow entry %u: %08x %08x, from the VMM's own bytes", i, rd32(sg + i * 8),
                      rd32(sg + i * 8 + 4));
    }
    for (uint32_t k = 0; k < v->gdt_copy_len; k++)
        ck_assert_uint_eq(v->gdt_copy[k], 0);
    ck_assert_msg(!(c->eflags & FL_ZF), "LSL of %04x succeeded: limit %08x", KDATA, c->reg[EBX]);
    teardown();
}
END_TEST

/* A GDT across the end of RAM: the part above RAM reads 0, and a
 * descriptor rewritten in the part in RAM reaches the shadow at the next
 * exit; an exit with nothing changed syncs nothing. */
START_TEST(test_gdt_across_ram_end)
{
    boot(_i ? "pg" : "x86");
    prologue();
    uint32_t t = RAM - 24;
    desc(t, 1, 0, 0xfffff, 0x9b, 0xc);
    desc(t, 2, 0, 0xfffff, 0x93, 0xc);
    pseudo(DATA, 0xffff, t);
    lgdt(DATA);
    b(2, 0xe4, 0x21);                /* in $0x21,%al: an exit */
    uint32_t in1 = pc;
    b(2, 0xe4, 0x21);
    uint32_t in2 = pc;
    jmp_self();
    RUN_TO(in1);
    uint32_t sg = v->base + VMM_GDT_OFF;
    ck_assert_uint_eq((rd32(sg + 2 * 8 + 4) >> 15) & 1, 1);
    ck_assert_uint_eq(rd32(sg + 3 * 8 + 4), 0x2000);   /* zeros above RAM: only DPL 0 -> 1 */
    ck_assert_uint_eq(v->gdt_copy_len, (VMM_GDT_ENTRIES - 8) * 8);
    uint64_t syncs = v->gdt_syncs;
    desc(t, 2, 0x1000, 0xfff, 0x93, 0x4);            /* rewritten: base 1000, limit fff */
    RUN_TO(in2);
    ck_assert_uint_eq(v->gdt_syncs, syncs + 1);
    seg_cache_t sc;
    desc_to_cache(&sc, KDATA, rd32(sg + 16), rd32(sg + 20));
    ck_assert_uint_eq(sc.base, 0x1000);
    ck_assert_uint_eq(sc.limit, 0xfff);
    phys_write(c, in2, 2, 0x21e4);                   /* one more exit, nothing changed */
    c->eip = in1;
    RUN_TO(in2);
    ck_assert_uint_eq(v->gdt_syncs, syncs + 1);
    teardown();
}
END_TEST

/* Expand-down segments whose valid offsets wrap around 4 GiB into low
 * memory stay usable: one that lies wholly below the wrap (base 400000,
 * limit ffc00fff), and one that reaches the VMM's area before the wrap
 * (base 100000, limit fff), whose low part is kept (its limit is raised to
 * ffefffff). Loaded into ES, they read DATA. */
START_TEST(test_expand_down_wrap)
{
    int straddle = _i % 2;
    boot(profiles3[_i / 2]);
    uint32_t base = straddle ? 0x100000 : 0x400000;
    if (straddle)
        desc(GDT, 12, base, 0xfff, 0x97, 0x4);
    else
        desc(GDT, 12, base, 0xffc00, 0x97, 0xc);
    wr32(DATA, 0xfeedf00d);
    prologue();
    mov_ax(0x60);
    mov_sreg_ax(SEG_ES);
    mov_eax_mem(0x26, DATA - base);                  /* mov %es:(DATA - base),%eax */
    uint32_t done = pc;
    jmp_self();
    ck_assert_msg(run_to2(done, H(EXC_GP), 1000) == 1, "no read through the segment: EIP %08x", c->eip);
    ck_assert_uint_eq(c->reg[EAX], 0xfeedf00d);
    ck_assert(c->seg[SEG_ES].usable);
    ck_assert_uint_eq(c->seg[SEG_ES].limit, straddle ? 0xffefffff : 0xffc00fff);
    /* the shadow descriptor is present, with the same limit */
    seg_cache_t sc;
    uint32_t sg = v->base + VMM_GDT_OFF;
    desc_to_cache(&sc, 0x60, rd32(sg + 12 * 8), rd32(sg + 12 * 8 + 4));
    ck_assert_uint_eq((rd32(sg + 12 * 8 + 4) >> 15) & 1, 1);
    ck_assert_uint_eq(sc.limit, straddle ? 0xffefffff : 0xffc00fff);
    assert_real_is_vmms();
    teardown();
}
END_TEST
static Suite *vmm_suite(void)
{
    Suite *s = suite_create("vmm");
    TCase *t = tcase_create("emulation");
    /* _i: 0 = x86, 1 = pg (and for some tests bit 1 = IF 0) */
    tcase_add_loop_test(t, test_attach_deprivileges, 0, 2);
    tcase_add_loop_test(t, test_lgdt, 0, 2);
    tcase_add_loop_test(t, test_lidt, 0, 2);
    tcase_add_loop_test(t, test_ltr_lldt, 0, 2);
    tcase_add_loop_test(t, test_cli_sti, 0, 2);
    tcase_add_loop_test(t, test_hlt_vif1_waits, 0, 2);
    tcase_add_loop_test(t, test_hlt_vif0_halts_for_ever, 0, 2);
    tcase_add_loop_test(t, test_io_pic, 0, 2);
    tcase_add_loop_test(t, test_io_pit, 0, 2);
    tcase_add_loop_test(t, test_io_uart, 0, 2);
    tcase_add_loop_test(t, test_mov_cr, 0, 2);
    tcase_add_loop_test(t, test_lmsw_clts, 0, 2);
    tcase_add_loop_test(t, test_iret_ring1, 0, 2);
    tcase_add_loop_test(t, test_iret_ring3, 0, 4);
    tcase_add_loop_test(t, test_mov_ss_rpl0, 0, 2);
    suite_add_tcase(s, t);

    t = tcase_create("shadow_idt");
    tcase_add_loop_test(t, test_second_lidt, 0, 2);
    tcase_add_loop_test(t, test_gate_rewritten_after_lidt, 0, 2);
    suite_add_tcase(s, t);

    t = tcase_create("injection");
    tcase_add_loop_test(t, test_irq_deferred_then_sti_hlt, 0, 2);
    tcase_add_loop_test(t, test_sti_hlt_edge_at_the_hlt, 0, 2);
    tcase_add_loop_test(t, test_sti_shadow, 0, 2);
    tcase_add_loop_test(t, test_masked_irq_not_injected, 0, 2);
    tcase_add_loop_test(t, test_int80_from_ring3, 0, 4);
    tcase_add_loop_test(t, test_ring3_fault_reflected, 0,
                        2 * (int)(sizeof ring3_faults / sizeof ring3_faults[0]));
    tcase_add_test(t, test_reflected_counts_every_vector);
    suite_add_tcase(s, t);

    t = tcase_create("after_emulation");
    tcase_add_loop_test(t, test_long_rep_then_soft_int, 0, 3 * 3);
    tcase_add_loop_test(t, test_single_step_after_emulation, 0, 3 * 9);
    tcase_add_loop_test(t, test_guest_cr0_fpu_bits, 0, 6);
    tcase_add_loop_test(t, test_task_switch_checks_under_vmm, 0, 3 * 4);
    suite_add_tcase(s, t);

    t = tcase_create("rings");
    tcase_add_loop_test(t, test_truncation, 0, 2);
    tcase_add_loop_test(t, test_call_gate_from_ring3, 0, 2);
    tcase_add_loop_test(t, test_outer_ring_is_not_ring0, 0, 24);
    tcase_add_loop_test(t, test_ring1_and_ring2_apart, 0, 6);
    tcase_add_loop_test(t, test_cr4_tsd, 0, 3);
    suite_add_tcase(s, t);

    t = tcase_create("isolation");
    tcase_add_loop_test(t, test_segment_based_in_vmm_area, 0, 2);
    tcase_add_loop_test(t, test_expand_down_segment, 0, 2);
    tcase_add_loop_test(t, test_call_gate_to_vmm_code, 0, 2);
    tcase_add_loop_test(t, test_tss_stack_in_vmm_area, 0, 2);
    tcase_add_loop_test(t, test_crafted_lgdt, 0, 2);
    tcase_add_loop_test(t, test_no_access_outside_ram, 0, 6);
    tcase_add_loop_test(t, test_above_ram_as_bare, 0, 8);
    tcase_add_loop_test(t, test_lgdt_in_vmm_area, 0, 9);
    tcase_add_loop_test(t, test_gdt_across_ram_end, 0, 2);
    tcase_add_loop_test(t, test_expand_down_wrap, 0, 6);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(vmm_suite());
    srunner_run_all(sr, CK_ENV);   /* CK_VERBOSITY=verbose lists every test */
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
