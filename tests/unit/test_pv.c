/* Unit tests of --vmm=pv (vmm/pv.c, the ABI vmm/pv_abi.h): a machine with
 * a guest GDT written by hand and the pv monitor attached.
 *
 *   abi         the shared structures' layout, names, the unknown number
 *   validation  every hypercall refuses bad arguments with its error and
 *               changes nothing; good arguments do what the ABI says; the
 *               virtual IDT and TSS change only by hypercalls
 *   guest       int $0x82 from ring 1: the result in EAX, the run goes on;
 *               a privileged instruction instead: the one-line refusal
 *
 * Guest memory (1 MiB): GDT 0x1000, trap table 0x2000, lists 0x3000,
 * shared page 0x4000, stack 0x6000, code 0x10000, handlers 0x20000. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "isa/access.h"
#include "vmm/vmm_int.h"
#include "vmm/pv.h"
#include "vmm/pv_abi.h"

#define RAM      (1u << 20)
#define GDT      0x1000u
#define TABLE    0x2000u
#define LIST     0x3000u
#define SHARED   0x4000u
#define STACK    0x6000u
#define CODE     0x10000u
#define HANDLER  0x20000u
#define KCODE1   0x09      /* kernel code, RPL 1 */
#define KDATA1   0x11
#define UCODE3   0x1b

static machine_t *m;
static struct cpu *c;
static vmm_t *v;
static char *cons;
static size_t cons_len;
static FILE *console;

static void wr32(uint32_t pa, uint32_t x) { phys_write(c, pa, 4, x); }

static void desc(int idx, uint32_t base, uint32_t limit, uint8_t access, uint8_t gd)
{
    wr32(GDT + (uint32_t)idx * 8, (limit & 0xffff) | (base << 16));
    wr32(GDT + (uint32_t)idx * 8 + 4, ((base >> 16) & 0xff) | ((uint32_t)access << 8) | (limit & 0xf0000) |
                                      ((uint32_t)gd << 20) | (base & 0xff000000u));
}

static int32_t call(uint32_t nr, uint32_t a0, uint32_t a1, uint32_t a2)
{
    uint32_t a[5] = { a0, a1, a2, 0, 0 };
    return pv_hypercall(v, nr, a);
}

static void setup(void)
{
    m = machine_new(RAM, isa_profile_find("x86"));
    ck_assert_ptr_nonnull(m);
    c = &m->cpu;
    console = open_memstream(&cons, &cons_len);
    m->console = console;
    desc(1, 0, 0xfffff, 0x9b, 0xc);   /* kernel code */
    desc(2, 0, 0xfffff, 0x93, 0xc);   /* kernel data */
    desc(3, 0, 0xfffff, 0xfb, 0xc);   /* user code */
    desc(4, 0, 0xfffff, 0xf3, 0xc);   /* user data */
    machine_boot_state(m, CODE, 0);
    c->reg[ESP] = STACK;
    v = vmm_attach_pv(m);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(call(PV_set_gdt, GDT, 5, 0), 0);
}

static void teardown(void)
{
    vmm_free(v);
    machine_free(m);
    fclose(console);
    free(cons);
}

static void trap(int k, uint8_t vector, uint8_t flags, uint16_t cs, uint32_t address)
{
    pv_trap_info_t t = { vector, flags, cs, address };
    memcpy(c->ram + TABLE + k * sizeof t, &t, sizeof t);
}

/* the gate the virtual CPU sees for `vector` */
static uint32_t vgate_hi(int vector) { return phys_read(&v->vcpu, v->vcpu.idtr.base + (uint32_t)vector * 8 + 4, 4); }
static uint32_t vgate_lo(int vector) { return phys_read(&v->vcpu, v->vcpu.idtr.base + (uint32_t)vector * 8, 4); }
static uint32_t real_gate_hi(int vector) { return phys_read(c, v->base + VMM_IDT_OFF + (uint32_t)vector * 8 + 4, 4); }

/* ---- abi ---- */
START_TEST(test_abi_layout)
{
    ck_assert_uint_eq(sizeof(pv_trap_info_t), 8);
    ck_assert_uint_eq(sizeof(pv_port_op_t), 8);
    ck_assert_uint_eq(sizeof(pv_multicall_t), 32);
    ck_assert_uint_eq(sizeof(pv_shared_t), 8);
    ck_assert_uint_eq(strlen(PV_SIGNATURE), 12);
    ck_assert_str_eq(pv_hypercall_name(PV_set_trap_table), "set_trap_table");
    ck_assert_str_eq(pv_hypercall_name(PV_event_check), "event_check");
    ck_assert_ptr_null(pv_hypercall_name(PV_HYPERCALL_COUNT));
}
END_TEST

START_TEST(test_unknown_number)
{
    ck_assert_int_eq(call(PV_HYPERCALL_COUNT, 0, 0, 0), -PV_ENOSYS);
    ck_assert_int_eq(call(0xffffffffu, 0, 0, 0), -PV_ENOSYS);
}
END_TEST

/* ---- validation, one test per hypercall ---- */
START_TEST(test_set_gdt)
{
    ck_assert_int_eq(call(PV_set_gdt, GDT, 0, 0), -PV_EINVAL);
    ck_assert_int_eq(call(PV_set_gdt, GDT, PV_MAX_GDT + 1, 0), -PV_E2BIG);
    ck_assert_int_eq(call(PV_set_gdt, RAM - 8, 2, 0), -PV_EFAULT);
    ck_assert_int_eq(call(PV_set_gdt, 0xfffffff8u, 2, 0), -PV_EFAULT);
    desc(5, 0x00080000, 0, 0x8c, 0);   /* a call gate */
    ck_assert_int_eq(call(PV_set_gdt, GDT, 6, 0), -PV_EPERM);
    ck_assert_uint_eq(v->vcpu.gdtr.limit, 5 * 8 - 1);   /* unchanged */
    desc(5, 0, 0xfffff, 0x93, 0xc);
    ck_assert_int_eq(call(PV_set_gdt, GDT, 6, 0), 0);
    ck_assert_uint_eq(v->vcpu.gdtr.base, GDT);
    ck_assert_uint_eq(v->vcpu.gdtr.limit, 6 * 8 - 1);
    /* the shadow: the kernel's DPL 0 runs as 1 */
    uint32_t hi = phys_read(c, v->base + VMM_GDT_OFF + 8 + 4, 4);
    ck_assert_uint_eq((hi >> 13) & 3, 1);
    ck_assert_uint_eq(pv_hypercalls(v, PV_set_gdt), 7);
}
END_TEST

START_TEST(test_set_trap_table)
{
    ck_assert_int_eq(call(PV_set_trap_table, TABLE, PV_MAX_TRAPS + 1, 0), -PV_E2BIG);
    ck_assert_int_eq(call(PV_set_trap_table, RAM - 8, 2, 0), -PV_EFAULT);
    trap(0, 13, 0, KCODE1, HANDLER);
    trap(1, 0x80, 3, KCODE1, HANDLER + 16);
    ck_assert_int_eq(call(PV_set_trap_table, TABLE, 2, 0), 0);
    uint32_t lo80 = vgate_lo(0x80), hi80 = vgate_hi(0x80);
    ck_assert_uint_eq(hi80 & 0xffff, 0xef00);                 /* present, DPL 3, trap gate */
    ck_assert_uint_eq(lo80, (0x08u << 16) | ((HANDLER + 16) & 0xffff));
    ck_assert_uint_eq(vgate_hi(13) & 0xffff, 0x8f00);
    /* each bad entry refuses the whole table, and nothing changes */
    static const struct { uint8_t vector, flags; uint16_t cs; uint32_t address; int err; } bad[] = {
        { PV_HYPERCALL_VECTOR, 0, KCODE1, HANDLER, -PV_EINVAL },   /* the hypercall's vector */
        { 14, 0, 0x08, HANDLER, -PV_EPERM },                       /* RPL 0: ring 0 is the VMM's */
        { 14, 0, UCODE3, HANDLER, -PV_EPERM },                     /* RPL 3 */
        { 14, 0, 0x19, HANDLER, -PV_EINVAL },                      /* user code at RPL 1 */
        { 14, 0, 0x11, HANDLER, -PV_EINVAL },                      /* data */
        { 14, 0, 0xfff9, HANDLER, -PV_EINVAL },                    /* the VMM's code selector */
        { 14, 0, 0x0d, HANDLER, -PV_EINVAL },                      /* an LDT selector */
        { 14, 0, KCODE1, RAM, -PV_EFAULT },                        /* handler outside RAM */
        { 14, 0x10, KCODE1, HANDLER, -PV_EINVAL },                 /* unknown flags */
    };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        trap(0, 3, 0, KCODE1, HANDLER);
        trap(1, bad[k].vector, bad[k].flags, bad[k].cs, bad[k].address);
        ck_assert_msg(call(PV_set_trap_table, TABLE, 2, 0) == bad[k].err, "entry %u", k);
        ck_assert_uint_eq(vgate_lo(0x80), lo80);
        ck_assert_uint_eq(vgate_hi(3), 0);
    }
    /* a new table replaces the old */
    trap(0, 3, 3 | PV_TI_MASK_EVENTS, KCODE1, HANDLER);
    ck_assert_int_eq(call(PV_set_trap_table, TABLE, 1, 0), 0);
    ck_assert_uint_eq(vgate_hi(3) & 0xffff, 0xee00);
    ck_assert_uint_eq(vgate_hi(0x80), 0);
}
END_TEST

START_TEST(test_stack_switch)
{
    ck_assert_int_eq(call(PV_stack_switch, 0x10, STACK, 0), -PV_EPERM);        /* RPL 0 */
    ck_assert_int_eq(call(PV_stack_switch, 0x10011, STACK, 0), -PV_EPERM);     /* not a selector */
    ck_assert_int_eq(call(PV_stack_switch, KCODE1, STACK, 0), -PV_EINVAL);     /* code */
    ck_assert_int_eq(call(PV_stack_switch, 0x21, STACK, 0), -PV_EINVAL);       /* user data */
    ck_assert_int_eq(call(PV_stack_switch, 0x31, STACK, 0), -PV_EINVAL);       /* beyond the GDT */
    ck_assert_int_eq(call(PV_stack_switch, KDATA1, RAM + 4, 0), -PV_EFAULT);
    ck_assert_int_eq(call(PV_stack_switch, KDATA1, 0, 0), -PV_EFAULT);
    ck_assert_uint_eq(phys_read(c, v->base + VMM_TSS_OFF + 12, 4), 0);         /* nothing set */
    ck_assert_int_eq(call(PV_stack_switch, KDATA1, STACK, 0), 0);
    ck_assert_uint_eq(phys_read(c, v->base + VMM_TSS_OFF + 12, 4), STACK);     /* real ESP1 */
    ck_assert_uint_eq(phys_read(c, v->base + VMM_TSS_OFF + 16, 2), KDATA1);    /* real SS1 */
    ck_assert_uint_eq(phys_read(&v->vcpu, v->vcpu.tr.base + 4, 4), STACK);     /* virtual ESP0 */
    ck_assert_uint_eq(phys_read(&v->vcpu, v->vcpu.tr.base + 8, 2), 0x10);      /* virtual SS0 */
}
END_TEST

START_TEST(test_set_timer)
{
    ck_assert_int_eq(call(PV_set_timer, 65537, 0, 0), -PV_EINVAL);
    ck_assert_int_eq(call(PV_set_timer, 11932, 0, 0), 0);
    ck_assert_int_eq(call(PV_set_timer, 65536, 0, 0), 0);
    ck_assert_int_eq(call(PV_set_timer, 0, 0, 0), 0);
}
END_TEST

START_TEST(test_sched_op)
{
    ck_assert_int_eq(call(PV_sched_op, 0, 0, 0), -PV_EINVAL);
    ck_assert_int_eq(call(PV_sched_op, 2, 0, 0), -PV_EINVAL);
    ck_assert_int_eq(call(PV_register_shared, SHARED, 0, 0), 0);
    c->ram[SHARED] = 0;   /* events on */
    ck_assert_int_eq(call(PV_sched_op, PV_SCHEDOP_block, 0, 0), 0);
    ck_assert_int_eq(v->guest_halted, 1);
    ck_assert_int_eq(m->stop, STOP_NONE);
    c->ram[SHARED] = 1;   /* events masked: nothing will ever wake it */
    call(PV_sched_op, PV_SCHEDOP_block, 0, 0);
    ck_assert_int_eq(m->stop, STOP_HALTED);
}
END_TEST

START_TEST(test_console_write)
{
    memcpy(c->ram + LIST, "hello\n", 6);
    ck_assert_int_eq(call(PV_console_write, LIST, PV_MAX_CONSOLE + 1, 0), -PV_E2BIG);
    ck_assert_int_eq(call(PV_console_write, RAM - 3, 6, 0), -PV_EFAULT);
    ck_assert_int_eq(call(PV_console_write, 0xffffffffu, 2, 0), -PV_EFAULT);
    ck_assert_int_eq(call(PV_console_write, LIST, 6, 0), 6);
    fflush(console);
    ck_assert_uint_eq(cons_len, 6);
    ck_assert(memcmp(cons, "hello\n", 6) == 0);
}
END_TEST

static void port_op(int k, uint16_t port, uint8_t size, uint8_t dir, uint32_t value)
{
    pv_port_op_t op = { port, size, dir, value };
    memcpy(c->ram + LIST + k * sizeof op, &op, sizeof op);
}

START_TEST(test_port_io)
{
    ck_assert_int_eq(call(PV_port_io, LIST, PV_MAX_PORT_OPS + 1, 0), -PV_E2BIG);
    ck_assert_int_eq(call(PV_port_io, RAM - 8, 2, 0), -PV_EFAULT);
    port_op(0, 0x21, 1, PV_PORT_OUT, 0xa5);
    port_op(1, 0x21, 3, PV_PORT_OUT, 0);           /* size 3 */
    ck_assert_int_eq(call(PV_port_io, LIST, 2, 0), -PV_EINVAL);
    port_op(1, 0x21, 1, 2, 0);                     /* direction 2 */
    ck_assert_int_eq(call(PV_port_io, LIST, 2, 0), -PV_EINVAL);
    port_op(1, 0xffff, 2, PV_PORT_IN, 0);          /* past port 0xffff */
    ck_assert_int_eq(call(PV_port_io, LIST, 2, 0), -PV_EINVAL);
    ck_assert_uint_eq(pic_read(&v->vpic, 0x21), 0);   /* the refused batch did nothing */
    /* the virtual PIC's IMR, written then read back in one batch */
    port_op(1, 0x21, 1, PV_PORT_IN, 0);
    ck_assert_int_eq(call(PV_port_io, LIST, 2, 0), 2);
    pv_port_op_t back;
    memcpy(&back, c->ram + LIST + sizeof back, sizeof back);
    ck_assert_uint_eq(back.value, 0xa5);
}
END_TEST

static void mc_entry(int k, uint32_t op, uint32_t a0, uint32_t a1)
{
    pv_multicall_t e = { op, { a0, a1, 0, 0, 0 }, 12345, 0 };
    memcpy(c->ram + LIST + k * sizeof e, &e, sizeof e);
}

static int32_t mc_result(int k)
{
    pv_multicall_t e;
    memcpy(&e, c->ram + LIST + k * sizeof e, sizeof e);
    return e.result;
}

START_TEST(test_multicall)
{
    ck_assert_int_eq(call(PV_multicall, LIST, PV_MAX_MULTICALL + 1, 0), -PV_E2BIG);
    ck_assert_int_eq(call(PV_multicall, RAM - 32, 2, 0), -PV_EFAULT);
    mc_entry(0, PV_set_timer, 11932, 0);
    mc_entry(1, PV_multicall, LIST, 1);                  /* no nesting */
    mc_entry(2, PV_sched_op, PV_SCHEDOP_block, 0);       /* no blocking */
    mc_entry(3, 77, 0, 0);                               /* unknown */
    mc_entry(4, PV_set_timer, 70000, 0);                 /* its own check */
    uint64_t before = pv_hypercalls(v, PV_set_timer);
    ck_assert_int_eq(call(PV_multicall, LIST, 5, 0), 0);
    ck_assert_int_eq(mc_result(0), 0);
    ck_assert_int_eq(mc_result(1), -PV_EINVAL);
    ck_assert_int_eq(mc_result(2), -PV_EINVAL);
    ck_assert_int_eq(mc_result(3), -PV_ENOSYS);
    ck_assert_int_eq(mc_result(4), -PV_EINVAL);
    ck_assert_uint_eq(pv_hypercalls(v, PV_set_timer), before + 2);
    ck_assert_int_eq(v->guest_halted, 0);
}
END_TEST

START_TEST(test_set_callback)
{
    ck_assert_int_eq(call(PV_set_callback, 0x08, HANDLER, 0), -PV_EPERM);
    ck_assert_int_eq(call(PV_set_callback, 0x10009, HANDLER, 0), -PV_EPERM);
    ck_assert_int_eq(call(PV_set_callback, KDATA1, HANDLER, 0), -PV_EINVAL);
    ck_assert_int_eq(call(PV_set_callback, KCODE1, RAM, 0), -PV_EFAULT);
    ck_assert_uint_eq(vgate_hi(PV_HYPERCALL_VECTOR), 0);
    ck_assert_int_eq(call(PV_set_callback, KCODE1, HANDLER, 0), 0);
    ck_assert_uint_eq(vgate_hi(PV_HYPERCALL_VECTOR) & 0xffff, 0x8e00);   /* interrupt gate: events masked */
}
END_TEST

START_TEST(test_register_shared)
{
    ck_assert_int_eq(call(PV_register_shared, SHARED + 2, 0, 0), -PV_EFAULT);   /* misaligned */
    ck_assert_int_eq(call(PV_register_shared, RAM - 4, 0, 0), -PV_EFAULT);      /* across the end */
    ck_assert_int_eq(call(PV_register_shared, RAM, 0, 0), -PV_EFAULT);
    memset(c->ram + SHARED, 0x5a, 8);
    ck_assert_int_eq(call(PV_register_shared, SHARED, 0, 0), 0);
    pv_shared_t sh;
    memcpy(&sh, c->ram + SHARED, sizeof sh);
    ck_assert_uint_eq(sh.upcall_mask, 1);   /* IF = 0 at boot */
    ck_assert_uint_eq(sh.upcall_pending, 0);
    ck_assert_uint_eq(sh.pending, 0);
}
END_TEST

START_TEST(test_set_fast_trap)
{
    ck_assert_int_eq(call(PV_set_fast_trap, PV_HYPERCALL_VECTOR, 1, 0), -PV_EINVAL);
    ck_assert_int_eq(call(PV_set_fast_trap, 300, 1, 0), -PV_EINVAL);
    ck_assert_int_eq(call(PV_set_fast_trap, 13, 1, 0), -PV_EINVAL);     /* an exception */
    ck_assert_int_eq(call(PV_set_fast_trap, 0x80, 1, 0), -PV_EINVAL);   /* no handler */
    trap(0, 0x80, 0, KCODE1, HANDLER);                                   /* DPL 0 */
    trap(1, 0x81, 3 | PV_TI_MASK_EVENTS, KCODE1, HANDLER);               /* masks events */
    ck_assert_int_eq(call(PV_set_trap_table, TABLE, 2, 0), 0);
    ck_assert_int_eq(call(PV_set_fast_trap, 0x80, 1, 0), -PV_EINVAL);
    ck_assert_int_eq(call(PV_set_fast_trap, 0x81, 1, 0), -PV_EINVAL);
    ck_assert_uint_eq(real_gate_hi(0x80), 0x0000ee00u);                 /* still the VMM's */
    trap(0, 0x80, 3, KCODE1, HANDLER + 0x1234);
    ck_assert_int_eq(call(PV_set_trap_table, TABLE, 1, 0), 0);
    ck_assert_int_eq(call(PV_set_fast_trap, 0x80, 1, 0), 0);
    ck_assert_uint_eq(real_gate_hi(0x80), ((HANDLER + 0x1234) & 0xffff0000u) | 0xef00u);
    ck_assert_uint_eq(phys_read(c, v->base + VMM_IDT_OFF + 0x80 * 8, 4) >> 16, KCODE1);
    ck_assert_int_eq(call(PV_set_fast_trap, 0x80, 0, 0), 0);
    ck_assert_uint_eq(real_gate_hi(0x80), 0x0000ee00u);
    /* a table without the vector turns it off */
    ck_assert_int_eq(call(PV_set_fast_trap, 0x80, 1, 0), 0);
    ck_assert_int_eq(call(PV_set_trap_table, TABLE, 0, 0), 0);
    ck_assert_uint_eq(real_gate_hi(0x80), 0x0000ee00u);
}
END_TEST

/* What lands in the virtual IDT and TSS other than by a hypercall (a frame
 * pushed there through a guest stack segment based up there) is undone
 * before the next delivery. */
START_TEST(test_view_restored)
{
    trap(0, 13, 0, KCODE1, HANDLER);
    ck_assert_int_eq(call(PV_set_trap_table, TABLE, 1, 0), 0);
    ck_assert_int_eq(call(PV_stack_switch, KDATA1, STACK, 0), 0);
    uint32_t lo = vgate_lo(13), hi = vgate_hi(13);
    phys_write(&v->vcpu, v->vcpu.idtr.base + 13 * 8, 4, 0xdeadbeef);
    phys_write(&v->vcpu, v->vcpu.tr.base + 4, 4, 0x1234);
    ck_assert_uint_eq(vgate_lo(13), 0xdeadbeef);
    pv_vif_to_vcpu(v);   /* what every delivery starts with */
    ck_assert_uint_eq(vgate_lo(13), lo);
    ck_assert_uint_eq(vgate_hi(13), hi);
    ck_assert_uint_eq(phys_read(&v->vcpu, v->vcpu.tr.base + 4, 4), STACK);
}
END_TEST

START_TEST(test_event_check)
{
    ck_assert_int_eq(call(PV_event_check, 0, 0, 0), 0);
    ck_assert_uint_eq(pv_hypercalls(v, PV_event_check), 1);
}
END_TEST

/* ---- the guest's side ---- */
static void code(const uint8_t *bytes, size_t n) { memcpy(c->ram + CODE, bytes, n); }

static void run(int steps)
{
    for (int k = 0; k < steps && m->stop == STOP_NONE; k++)
        machine_step(m);
}

START_TEST(test_guest_hypercall)
{
    /* mov $99,%eax; int $0x82; mov $PV_set_timer,%eax; mov $70000,%ebx; int $0x82; jmp . */
    static const uint8_t prog[] = { 0xb8, 99, 0, 0, 0, 0xcd, 0x82, 0x89, 0xc6,
                                    0xb8, PV_set_timer, 0, 0, 0, 0xbb, 0x70, 0x11, 0x01, 0x00, 0xcd, 0x82,
                                    0xeb, 0xfe };
    code(prog, sizeof prog);
    run(8);
    ck_assert_int_eq(m->stop, STOP_NONE);
    ck_assert_int_eq((int32_t)c->reg[ESI], -PV_ENOSYS);
    ck_assert_int_eq((int32_t)c->reg[EAX], -PV_EINVAL);
    ck_assert_uint_eq(c->eip, CODE + sizeof prog - 2);
    ck_assert_uint_eq(c->cpl, 1);
    ck_assert_uint_eq(v->exit_hypercall, 2);
}
END_TEST

START_TEST(test_refusal)
{
    static const struct { uint8_t bytes[8]; size_t n; const char *insn, *instead; } cases[] = {
        { { 0xfa }, 1, "cli", "mask byte" },
        { { 0xf4 }, 1, "hlt", "sched_op(block)" },
        { { 0x0f, 0x01, 0x15, 0, 0x40, 0, 0 }, 7, "lgdt", "set_gdt" },
        { { 0x0f, 0x01, 0x1d, 0, 0x40, 0, 0 }, 7, "lidt", "set_trap_table" },
        { { 0xe6, 0x80 }, 2, "out", "port_io" },
    };
    int k = _i;
    code(cases[k].bytes, cases[k].n);
    run(4);
    ck_assert_int_eq(m->stop, STOP_NOT_PV);
    ck_assert_int_eq(machine_exit_status(m), EXIT_NOT_PV);
    ck_assert_msg(strstr(m->stop_msg, cases[k].insn) && strstr(m->stop_msg, cases[k].instead) &&
                  strstr(m->stop_msg, "00010000") && !strchr(m->stop_msg, '\n'), "%s", m->stop_msg);
}
END_TEST

static Suite *pv_suite(void)
{
    Suite *s = suite_create("pv");
    TCase *t = tcase_create("abi");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_abi_layout);
    tcase_add_test(t, test_unknown_number);
    suite_add_tcase(s, t);

    t = tcase_create("validation");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_set_trap_table);
    tcase_add_test(t, test_set_gdt);
    tcase_add_test(t, test_stack_switch);
    tcase_add_test(t, test_set_timer);
    tcase_add_test(t, test_sched_op);
    tcase_add_test(t, test_console_write);
    tcase_add_test(t, test_port_io);
    tcase_add_test(t, test_multicall);
    tcase_add_test(t, test_set_callback);
    tcase_add_test(t, test_register_shared);
    tcase_add_test(t, test_set_fast_trap);
    tcase_add_test(t, test_event_check);
    tcase_add_test(t, test_view_restored);
    suite_add_tcase(s, t);

    t = tcase_create("guest");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_guest_hypercall);
    tcase_add_loop_test(t, test_refusal, 0, 5);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pv_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
