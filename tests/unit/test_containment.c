/* Containment, in process (tests/robust/README.md): guest code that attacks
 * the machine runs in a machine_new() machine whose RAM buffer is swapped
 * for one with guard zones on both sides. After the run the guards must be
 * intact, the stop must be the expected one, and the machine's own fields
 * (RAM pointer and size, profile, cache hooks, console, sinks, budget) must
 * be unchanged. ASan (make sanitize) checks every other byte.
 *
 * The attackers are small x86 fragments, written as bytes with their
 * assembly beside them, loaded at CODE (or near the end of RAM) and run at
 * ring 0 with flat segments and a raw-mode-like GDT. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "isa/access.h"

#define GUARD   4096u
#define PATTERN 0xc3
#define GDT     0x1000u
#define CODE    0x2000u
#define STACK   0x8000u
#define BUDGET  100000u

typedef struct box {
    machine_t *m;
    uint8_t *buf;          /* GUARD + ram_size + GUARD */
    uint8_t *orig_ram;     /* machine_new's buffer, given back before machine_free */
    uint32_t ram_size;
    FILE *console;
    char *out;
    size_t outlen;
    machine_t before;
} box_t;

static void box_new(box_t *b, uint32_t ram_size, int cache)
{
    memset(b, 0, sizeof *b);
    b->ram_size = ram_size;
    b->m = machine_new(ram_size, isa_profile_find("x86"));
    ck_assert_ptr_nonnull(b->m);
    struct cpu *c = &b->m->cpu;
    b->buf = malloc(GUARD + ram_size + GUARD);
    ck_assert_ptr_nonnull(b->buf);
    memset(b->buf, PATTERN, GUARD);
    memset(b->buf + GUARD, 0, ram_size);
    memset(b->buf + GUARD + ram_size, PATTERN, GUARD);
    b->orig_ram = c->ram;
    c->ram = b->buf + GUARD;
    if (cache)
        ck_assert_int_eq(dcache_init(b->m, 1), 0);
    b->console = open_memstream(&b->out, &b->outlen);
    ck_assert_ptr_nonnull(b->console);
    b->m->console = b->console;
    b->m->max_insns = BUDGET;

    /* flat ring 0-3 code and data (RAW-MODE.md's GDT) */
    for (uint32_t r = 0; r < 4; r++) {
        phys_write(c, GDT + (1 + 2 * r) * 8, 4, 0x0000ffff);
        phys_write(c, GDT + (1 + 2 * r) * 8 + 4, 4, 0x00cf9a00u | r << 13);
        phys_write(c, GDT + (2 + 2 * r) * 8, 4, 0x0000ffff);
        phys_write(c, GDT + (2 + 2 * r) * 8 + 4, 4, 0x00cf9200u | r << 13);
    }
    c->gdtr.base = GDT;
    c->gdtr.limit = 9 * 8 - 1;
    c->cr0 = CR0_PE | CR0_ET;
    c->eflags = FL_1;
    seg_load_flat(&c->seg[SEG_CS], 0x08, 1, 0);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            seg_load_flat(&c->seg[s], 0x10, 0, 0);
    c->cpl = 0;
    c->reg[ESP] = STACK;
}

static void box_load(box_t *b, uint32_t at, const uint8_t *code, size_t len)
{
    for (size_t k = 0; k < len; k++)
        phys_write(&b->m->cpu, at + (uint32_t)k, 1, code[k]);
    b->m->cpu.eip = at;
}

static stop_kind_t box_run(box_t *b)
{
    b->before = *b->m;
    return machine_run(b->m);
}

/* The guards, the machine's own fields, and the bookkeeping. */
static void box_check(box_t *b)
{
    machine_t *m = b->m;
    struct cpu *c = &m->cpu;
    for (uint32_t k = 0; k < GUARD; k++) {
        ck_assert_msg(b->buf[k] == PATTERN, "guard below RAM hit at -%u", GUARD - k);
        ck_assert_msg(b->buf[GUARD + b->ram_size + k] == PATTERN, "guard above RAM hit at +%u", k);
    }
    ck_assert_ptr_eq(c->ram, b->buf + GUARD);
    ck_assert_uint_eq(c->ram_size, b->ram_size);
    ck_assert_ptr_eq(c->profile, b->before.cpu.profile);
    ck_assert_ptr_eq(c->bus.ctx, m);
    ck_assert_ptr_eq(c->bus.code_pages, b->before.cpu.bus.code_pages);
    ck_assert_ptr_eq((const void *)c->bus.ops, (const void *)b->before.cpu.bus.ops);
    ck_assert_ptr_eq(m->dcache, b->before.dcache);
    ck_assert_ptr_eq(m->console, b->console);
    ck_assert_int_eq(m->trace.nsinks, b->before.trace.nsinks);
    ck_assert_uint_eq(m->max_insns, BUDGET);
    ck_assert_ptr_eq((const void *)m->hv.ops, (const void *)b->before.hv.ops);
    ck_assert_ptr_eq(m->hv.ctx, b->before.hv.ctx);
    ck_assert_uint_eq(m->guest_ips, b->before.guest_ips);
    ck_assert_uint_le(c->icount, BUDGET);
    ck_assert_uint_eq(m->insns_by_ring[0] + m->insns_by_ring[1] + m->insns_by_ring[2] + m->insns_by_ring[3],
                      c->icount);
    ck_assert_uint_ge(m->now, c->icount);
    ck_assert_int_eq(c->cpl, c->seg[SEG_CS].sel & 3);
    ck_assert_ptr_null(strchr(m->stop_msg, '\n'));
}

static void box_free(box_t *b)
{
    fclose(b->console);
    free(b->out);
    b->m->cpu.ram = b->orig_ram;
    machine_free(b->m);
    free(b->buf);
}

static uint32_t rd(box_t *b, uint32_t pa, int size)
{
    return phys_read(&b->m->cpu, pa, size);
}

/* Writes around and beyond the end of RAM, through every kind of access. */
static const uint8_t wild[] = {
    0xbf, 0xfe, 0xff, 0x00, 0x00,       /* mov edi, 0xfffe (RAM end - 2 for 64 KiB) */
    0xc7, 0x07, 0x44, 0x33, 0x22, 0x11, /* mov dword [edi], 0x11223344 */
    0xc7, 0x05, 0xfc, 0xff, 0xff, 0xff, 0x78, 0x56, 0x34, 0x12, /* mov dword [0xfffffffc], 0x12345678 */
    0xa1, 0xfc, 0xff, 0xff, 0xff,       /* mov eax, [0xfffffffc] */
    0xa3, 0x00, 0x10, 0x01, 0x00,       /* mov [0x11000], eax (beyond RAM) */
    0xbf, 0x00, 0xff, 0x00, 0x00,       /* mov edi, 0xff00 */
    0xb9, 0x00, 0x04, 0x00, 0x00,       /* mov ecx, 0x400 */
    0xb8, 0xef, 0xbe, 0xad, 0xde,       /* mov eax, 0xdeadbeef */
    0xfc,                               /* cld */
    0xf3, 0xab,                         /* rep stosd: across the end of RAM */
    0xfd,                               /* std */
    0xbf, 0x08, 0x00, 0x00, 0x00,       /* mov edi, 8 */
    0xb9, 0x00, 0x04, 0x00, 0x00,       /* mov ecx, 0x400 */
    0xf3, 0xab,                         /* rep stosd: down through 0 to 0xfffff... */
    0xfc,                               /* cld */
    0xbe, 0x00, 0xf0, 0xff, 0xff,       /* mov esi, 0xfffff000 */
    0xbf, 0x00, 0x40, 0x00, 0x00,       /* mov edi, 0x4000 */
    0xb9, 0x00, 0x04, 0x00, 0x00,       /* mov ecx, 0x400 */
    0xf3, 0xa5,                         /* rep movsd: zeros from above RAM into 0x4000 */
    0xbc, 0x00, 0x00, 0x00, 0x00,       /* mov esp, 0 */
    0x68, 0x78, 0x56, 0x34, 0x12,       /* push 0x12345678 (to 0xfffffffc: dropped) */
    0x5b,                               /* pop ebx: 0 */
    0xf4,                               /* hlt (IF = 0): halted for ever */
};

START_TEST(wild_writes)
{
    box_t b;
    box_new(&b, 64u << 10, _i);
    phys_write(&b.m->cpu, 0x4000, 4, 0xa5a5a5a5);
    box_load(&b, CODE, wild, sizeof wild);
    ck_assert_int_eq(box_run(&b), STOP_HALTED);
    box_check(&b);
    struct cpu *c = &b.m->cpu;
    ck_assert_uint_eq(c->reg[EAX], 0xdeadbeef);                 /* rep stosd's value */
    ck_assert_uint_eq(c->reg[EBX], 0);                          /* popped from above RAM */
    ck_assert_uint_eq(rd(&b, 0x4000, 4), 0);                    /* copied from above RAM */
    ck_assert_uint_eq(rd(&b, 0xfffc, 4), 0xdeadbeef);           /* the last dword of RAM */
    ck_assert_uint_eq(rd(&b, 0xfffe, 2), 0xdead);
    ck_assert_uint_eq(rd(&b, 0x11000, 4), 0);                   /* beyond RAM reads 0 */
    ck_assert_uint_eq(rd(&b, 0xfffffffc, 4), 0);
    ck_assert_uint_eq(rd(&b, 0, 4), 0xdeadbeef);                /* std; rep stosd from 8 down */
    ck_assert_uint_eq(b.outlen, 0);
    box_free(&b);
}
END_TEST

/* Code that runs off the end of RAM: the last bytes of RAM are NOPs, then
 * the fetch reads zeros (add [eax], al) until the budget ends; EIP wraps
 * through 4 GiB without touching anything outside the buffer. */
START_TEST(run_off_the_end)
{
    box_t b;
    uint32_t size = (64u << 10) + 0x123;   /* not a multiple of the page size */
    box_new(&b, size, _i);
    static const uint8_t nops[16] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
                                      0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x0f };
    box_load(&b, size - sizeof nops, nops, sizeof nops);
    b.m->cpu.reg[EAX] = 0x00ffff00;        /* add [eax], al writes above RAM */
    ck_assert_int_eq(box_run(&b), STOP_BUDGET);
    box_check(&b);
    ck_assert_uint_eq(b.m->cpu.icount, BUDGET);
    box_free(&b);
}
END_TEST

/* Descriptor tables straddling the end of RAM and the 4 GiB wrap: LGDT
 * and LIDT with such bases, segment loads and an INT through them. */
static const uint8_t tables[] = {
    0x0f, 0x01, 0x15, 0x00, 0x30, 0x00, 0x00,   /* lgdt [0x3000]: base RAM end - 12 */
    0x0f, 0x01, 0x1d, 0x08, 0x30, 0x00, 0x00,   /* lidt [0x3008]: base 0xfffffff8 */
    0x66, 0xb8, 0x08, 0x00,                     /* mov ax, 8 */
    0x8e, 0xd8,                                 /* mov ds, ax: descriptor half outside RAM */
    0xcd, 0x21,                                 /* int 0x21 */
    0xf4,
};

START_TEST(tables_at_the_edge)
{
    box_t b;
    uint32_t size = 64u << 10;
    box_new(&b, size, _i);
    struct cpu *c = &b.m->cpu;
    phys_write(c, 0x3000, 2, 0xffff);
    phys_write(c, 0x3002, 4, size - 12);
    phys_write(c, 0x3008, 2, 0xffff);
    phys_write(c, 0x300a, 4, 0xfffffff8);
    box_load(&b, CODE, tables, sizeof tables);
    stop_kind_t st = box_run(&b);
    ck_assert_msg(st == STOP_TRIPLE, "stop %d: %s", st, b.m->stop_msg);
    box_check(&b);
    box_free(&b);
}
END_TEST

/* Every port, every width, except the exit port, the debug console and
 * COM1: nothing printed, nothing stopped, and the devices still answer. */
START_TEST(all_ports)
{
    box_t b;
    box_new(&b, 1u << 20, _i);
    machine_t *m = b.m;
    for (uint32_t p = 0; p < 0x10000; p++) {
        for (int size = 1; size <= 4; size <<= 1) {
            uint32_t last = p + (uint32_t)size - 1;
            if ((p <= 0xe9 && last >= 0xe9) || (p <= 0xf4 && last >= 0xf4) ||
                (p <= 0x3ff && last >= 0x3f8))
                continue;
            machine_port_out(m, (uint16_t)p, size, 0xffffffffu);
            (void)machine_port_in(m, (uint16_t)p, size);
        }
    }
    ck_assert_int_eq(m->stop, STOP_NONE);
    ck_assert_uint_eq(b.outlen, 0);
    static const uint8_t hlt[] = { 0xf4 };
    box_load(&b, CODE, hlt, sizeof hlt);
    ck_assert_int_eq(box_run(&b), STOP_HALTED);
    box_check(&b);
    box_free(&b);
}
END_TEST

/* A ring 3 attacker: privileged instructions, I/O, and a ring change
 * through a TSS that lies across the end of RAM. */
static const uint8_t user[] = {
    0xfa,                               /* cli: #GP at CPL 3, IOPL 0 */
    0x0f, 0x01, 0x15, 0x00, 0x30, 0x00, 0x00,   /* lgdt: #GP */
    0xe6, 0xf4,                         /* out 0xf4, al: #GP */
    0xcd, 0x80,                         /* int 0x80 */
    0xf4,                               /* hlt: #GP */
};

START_TEST(ring3_attacker)
{
    box_t b;
    uint32_t size = 64u << 10;
    box_new(&b, size, _i);
    struct cpu *c = &b.m->cpu;
    /* TSS descriptor (index 9): base RAM end - 8, limit 103 */
    uint32_t tss = size - 8;
    phys_write(c, GDT + 9 * 8, 4, 103 | (tss << 16));
    phys_write(c, GDT + 9 * 8 + 4, 4, ((tss >> 16) & 0xff) | 0x8900u | (tss & 0xff000000u));
    c->gdtr.limit = 10 * 8 - 1;
    uint32_t lo, hi;
    ck_assert_int_eq(desc_read(c, 0x48, &lo, &hi), 0);
    desc_to_cache(&c->tr, 0x48, lo, hi);
    /* IDT at 0x5000: every gate to CODE (an interrupt gate, DPL 3) */
    for (uint32_t v = 0; v < 256; v++) {
        phys_write(c, 0x5000 + v * 8, 4, (CODE & 0xffff) | 0x00080000u);
        phys_write(c, 0x5000 + v * 8 + 4, 4, (CODE & 0xffff0000u) | 0xee00u);
    }
    c->idtr.base = 0x5000;
    c->idtr.limit = 256 * 8 - 1;
    seg_load_flat(&c->seg[SEG_CS], 0x3b, 1, 3);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            seg_load_flat(&c->seg[s], 0x43, 0, 3);
    c->cpl = 3;
    box_load(&b, CODE, user, sizeof user);
    stop_kind_t st = box_run(&b);
    ck_assert_msg(st == STOP_TRIPLE || st == STOP_BUDGET || st == STOP_HALTED,
                  "stop %d: %s", st, b.m->stop_msg);
    box_check(&b);
    box_free(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("containment");
    TCase *t = tcase_create("attackers");
    /* _i: 0 without, 1 with the decoded-instruction cache */
    tcase_add_loop_test(t, wild_writes, 0, 2);
    tcase_add_loop_test(t, run_off_the_end, 0, 2);
    tcase_add_loop_test(t, tables_at_the_edge, 0, 2);
    tcase_add_loop_test(t, all_ports, 0, 2);
    tcase_add_loop_test(t, ring3_attacker, 0, 2);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
