/* The decoded-instruction cache and the fast path it feeds change speed,
 * never results (STYLE.md "Caches must not change results"). Each test runs
 * the same machine twice, with the cache (bursts, fast handlers, lazy flags)
 * and without it (every instruction decoded afresh and run by isa_execute()),
 * and compares everything observable: registers, EFLAGS, segment caches,
 * counts, how the run stopped, the console and all of RAM.
 *   - guestos bare and under the VMM (pg and x86 with the PG audit), and
 *     the full text trace of such runs, byte for byte;
 *   - self-modifying code: an instruction rewritten after it ran, and the
 *     instruction right after the store, must run as rewritten;
 *   - random loops of innocuous instructions (the fast handlers' forms and
 *     more, Jcc reading the flags each left), in 32-bit, 16-bit and
 *     limit-checked code segments. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/loader.h"
#include "app/raw.h"
#include "isa/access.h"
#include "vmm/vmm.h"

typedef struct run {
    machine_t *m;
    vmm_t *vmm;
    FILE *console;
    char *out;
    size_t outlen;
    FILE *trace;        /* the text trace, when asked for */
    char *tr;
    size_t trlen;
    text_sink_t sink;
} run_t;

static void run_free(run_t *r)
{
    if (r->console)
        fclose(r->console);
    if (r->trace)
        fclose(r->trace);
    free(r->out);
    free(r->tr);
    vmm_free(r->vmm);
    machine_free(r->m);
}

/* A text sink for every level on an in-memory trace. */
static void trace_to_memory(run_t *r)
{
    r->trace = open_memstream(&r->tr, &r->trlen);
    r->sink = (text_sink_t){ r->trace, 0 };
    trace_sink_t s = { TL_ALL, text_sink_emit, NULL, &r->sink };
    trace_add_sink(&r->m->trace, &s);
}

/* Everything a run leaves that a user or a test could see. */
static void assert_same(const run_t *a, const run_t *b, const char *what)
{
    const struct cpu *x = &a->m->cpu, *y = &b->m->cpu;
    for (int r = 0; r < 8; r++)
        ck_assert_msg(x->reg[r] == y->reg[r], "%s: reg %d %08x (cache) vs %08x (no cache)", what, r,
                      x->reg[r], y->reg[r]);
    ck_assert_msg(x->eip == y->eip, "%s: eip %08x vs %08x", what, x->eip, y->eip);
    ck_assert_msg(x->eflags == y->eflags, "%s: eflags %08x vs %08x", what, x->eflags, y->eflags);
    /* field by field: the struct's padding is nobody's state */
    for (int k = 0; k < 6; k++) {
        const seg_cache_t *p = &x->seg[k], *q = &y->seg[k];
        ck_assert_msg(p->sel == q->sel && p->access == q->access && p->flags == q->flags && p->base == q->base &&
                      p->limit == q->limit && p->usable == q->usable && p->flat == q->flat,
                      "%s: segment cache %d differs: %04x %02x %02x %08x %08x %d %d vs %04x %02x %02x %08x %08x %d %d",
                      what, k, p->sel, p->access, p->flags, p->base, p->limit, p->usable, p->flat, q->sel, q->access,
                      q->flags, q->base, q->limit, q->usable, q->flat);
    }
    ck_assert_msg(x->cpl == y->cpl && x->irq_shadow == y->irq_shadow, "%s: cpl or shadow differ", what);
    ck_assert_msg(x->icount == y->icount, "%s: icount %llu vs %llu", what, (unsigned long long)x->icount,
                  (unsigned long long)y->icount);
    ck_assert_msg(a->m->now == b->m->now, "%s: virtual time differs", what);
    ck_assert_msg(memcmp(a->m->insns_by_ring, b->m->insns_by_ring, sizeof a->m->insns_by_ring) == 0,
                  "%s: instructions per ring differ", what);
    ck_assert_msg(a->m->stop == b->m->stop, "%s: stop %d vs %d", what, a->m->stop, b->m->stop);
    ck_assert_msg(strcmp(a->m->stop_msg, b->m->stop_msg) == 0, "%s: '%s' vs '%s'", what, a->m->stop_msg,
                  b->m->stop_msg);
    ck_assert_msg(a->m->stop_vector == b->m->stop_vector && a->m->stop_error == b->m->stop_error,
                  "%s: stop vector or error differ", what);
    ck_assert_msg(a->outlen == b->outlen && memcmp(a->out, b->out, a->outlen) == 0, "%s: console differs",
                  what);
    ck_assert_msg(x->ram_size == y->ram_size && memcmp(x->ram, y->ram, x->ram_size) == 0, "%s: RAM differs",
                  what);
}

/* ---- guestos both ways ---- */
static const struct guest_case {
    const char *cmdline;
    int vmm, expose;
    const char *isa;
} guest_cases[] = {
    { "procs=isprime,counter,sysloop,faulty n=4000 loops=300", 0, 0, "x86" },
    { "procs=isprime,counter,sysloop,faulty n=4000 loops=300", 1, 0, "pg" },
    { "procs=isprime,sysloop,hello n=2000 loops=100", 1, 1, "x86" },
    { "probe=1", 1, 0, "umip" },
};

static void guest_run(run_t *r, const struct guest_case *g, int cache, int trace)
{
    const uint32_t ram = 16u << 20;
    memset(r, 0, sizeof *r);
    r->m = machine_new(ram, isa_profile_find(g->isa));
    ck_assert_ptr_nonnull(r->m);
    r->console = open_memstream(&r->out, &r->outlen);
    r->m->console = r->console;
    r->m->max_insns = 40000000;
    char err[256];
    boot_info_t bi;
    ck_assert_msg(loader_load_multiboot("build/guests/guestos.elf", r->m->cpu.ram, ram,
                                        ram, g->cmdline, &bi, err,
                                        sizeof err) == 0, "%s", err);
    machine_boot_state(r->m, bi.entry, bi.mbi);
    if (cache)
        ck_assert_int_eq(dcache_init(r->m, 1), 0);
    if (trace)
        trace_to_memory(r);
    if (g->vmm)
        ck_assert_ptr_nonnull(r->vmm = vmm_attach(r->m, g->expose));
    machine_run(r->m);
    fflush(r->console);
    if (r->trace)
        fflush(r->trace);
}

START_TEST(test_guest_both_ways)
{
    const struct guest_case *g = &guest_cases[_i];
    run_t a, b;
    guest_run(&a, g, 1, 0);
    guest_run(&b, g, 0, 0);
    ck_assert_msg(a.m->stop == STOP_DEBUG_EXIT, "%s: stopped: %s", g->cmdline, a.m->stop_msg);
    ck_assert_msg(a.m->cpu.icount > 100000, "%s: too short to mean anything", g->cmdline);
    assert_same(&a, &b, g->cmdline);
    run_free(&a);
    run_free(&b);
}
END_TEST

/* The full trace (every instruction, trap, port access and VMM decision)
 * is the same byte for byte: the insn lines from the cache's disassembly
 * text, the others from the same run. */
START_TEST(test_trace_both_ways)
{
    static const struct guest_case g[2] = {
        { "procs=isprime,sysloop,faulty n=300 loops=20", 0, 0, "x86" },
        { "procs=isprime,sysloop,faulty n=300 loops=20", 1, 1, "x86" },
    };
    run_t a, b;
    guest_run(&a, &g[_i], 1, 1);
    guest_run(&b, &g[_i], 0, 1);
    assert_same(&a, &b, g[_i].cmdline);
    ck_assert_msg(a.trlen > 1000000, "a trace of %zu bytes", a.trlen);
    ck_assert_msg(a.trlen == b.trlen && memcmp(a.tr, b.tr, a.trlen) == 0, "the traces differ");
    run_free(&a);
    run_free(&b);
}
END_TEST

/* ---- raw fragments: ring 0, flat data, code at CODE, HLT stops ---- */
#define RAM   (1u << 20)
#define CODE  0x1000u
#define COUNT 0x800u    /* the random loops' counter */

enum { CS32, CS16, CS32_LIMIT };

static void raw_run(run_t *r, const uint8_t *code, size_t len, const uint32_t *regs, int cs_kind,
                    uint64_t budget, int cache, int trace)
{
    memset(r, 0, sizeof *r);
    r->m = machine_new(RAM, isa_profile_find("x86"));
    ck_assert_ptr_nonnull(r->m);
    machine_t *m = r->m;
    struct cpu *c = &m->cpu;
    r->console = open_memstream(&r->out, &r->outlen);
    m->console = r->console;
    raw_attach(m);
    m->max_insns = budget;
    memcpy(c->ram + CODE, code, len);
    phys_write(c, COUNT, 4, 40);
    c->cr0 = CR0_PE | CR0_ET;
    c->eflags = FL_1;
    seg_load_flat(&c->seg[SEG_CS], 0x08, 1, 0);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            seg_load_flat(&c->seg[s], 0x10, 0, 0);
    if (cs_kind == CS16) {
        c->seg[SEG_CS].flags = 0;   /* byte granularity, 16-bit */
        c->seg[SEG_CS].limit = 0xffff;
    } else if (cs_kind == CS32_LIMIT) {
        c->seg[SEG_CS].limit = 0x1fff;   /* the code ends near the limit: checked every time */
    }
    seg_cache_update(&c->seg[SEG_CS]);
    for (int k = 0; k < 8; k++)
        c->reg[k] = regs[k];
    c->eip = CODE;
    if (cache)
        ck_assert_int_eq(dcache_init(m, 1), 0);
    if (trace)
        trace_to_memory(r);
    machine_run(m);
    fflush(r->console);
    if (r->trace)
        fflush(r->trace);
}

/* Self-modifying code: a loop in one page patches the immediate of an
 * instruction in the next page, which it has already run, then jumps to it.
 * From the second time round, the store and the jump run from the cache (in
 * the fast path) and the patched instruction's entry is stale:
 *   1000: 88 0d 01 20 00 00   mov %cl,0x2001
 *   1006: e9 f5 0f 00 00      jmp 2000
 *   2000: ba 00 00 00 00      mov $0,%edx        ; runs as mov $CL,%edx
 *   2005: 01 d6               add %edx,%esi
 *   2007: 49                  dec %ecx
 *   2008: 0f 85 f2 ef ff ff   jne 1000
 *   200e: f4                  hlt
 * With ECX = 3: ESI = 3 + 2 + 1 (a stale entry would give 3 + 3 + 3). */
START_TEST(test_self_modifying)
{
    static const uint8_t code[0x1010] = {
        0x88, 0x0d, 0x01, 0x20, 0x00, 0x00, 0xe9, 0xf5, 0x0f, 0x00, 0x00,
        [0x1000] = 0xba, 0x00, 0x00, 0x00, 0x00, 0x01, 0xd6, 0x49, 0x0f, 0x85, 0xf2, 0xef, 0xff, 0xff, 0xf4,
    };
    const uint32_t regs[8] = { 0, 3, 0, 0, 0x8000, 0, 0, 0 };
    run_t a, b;
    raw_run(&a, code, sizeof code, regs, CS32, 1000, 1, 0);
    raw_run(&b, code, sizeof code, regs, CS32, 1000, 0, 0);
    for (int k = 0; k < 2; k++) {
        const run_t *r = k ? &b : &a;
        ck_assert_msg(r->m->stop == STOP_RAW_HLT, "%s: stopped: %s", k ? "no cache" : "cache", r->m->stop_msg);
        ck_assert_uint_eq(r->m->cpu.reg[ESI], 6);
        ck_assert_uint_eq(r->m->cpu.icount, 3 * 6 + 1);   /* HLT retires too */
    }
    assert_same(&a, &b, "self-modifying code");
    run_free(&a);
    run_free(&b);
}
END_TEST

/* The same, traced: the insn trace shows the rewritten instruction as it
 * now reads, though the cache had made the text of the old one. ECX = 4,
 * the patch at ECX = 2; the instruction at 2000 runs from the cache (and
 * its text is made) at ECX = 3 and, rewritten, at ECX = 1:
 *   1000: 83 f9 02               cmp $2,%ecx
 *   1003: 75 07                  jne 100c
 *   1005: c6 05 01 20 00 00 42   movb $0x42,0x2001
 *   100c: e9 ef 0f 00 00         jmp 2000
 *   2000: ba 00 00 00 00         mov $0,%edx       ; mov $0x42,%edx from ECX = 2
 *   2005: 01 d6                  add %edx,%esi
 *   2007: 49                     dec %ecx
 *   2008: 0f 85 f2 ef ff ff      jne 1000
 *   200e: f4                     hlt */
START_TEST(test_self_modifying_traced)
{
    static const uint8_t code[0x1010] = {
        0x83, 0xf9, 0x02, 0x75, 0x07, 0xc6, 0x05, 0x01, 0x20, 0x00, 0x00, 0x42, 0xe9, 0xef, 0x0f, 0x00, 0x00,
        [0x1000] = 0xba, 0x00, 0x00, 0x00, 0x00, 0x01, 0xd6, 0x49, 0x0f, 0x85, 0xf2, 0xef, 0xff, 0xff, 0xf4,
    };
    const uint32_t regs[8] = { 0, 4, 0, 0, 0x8000, 0, 0, 0 };
    run_t a, b;
    raw_run(&a, code, sizeof code, regs, CS32, 1000, 1, 1);
    raw_run(&b, code, sizeof code, regs, CS32, 1000, 0, 1);
    ck_assert_uint_eq(a.m->cpu.reg[ESI], 0x84);
    assert_same(&a, &b, "self-modifying code, traced");
    ck_assert_msg(a.trlen == b.trlen && memcmp(a.tr, b.tr, a.trlen) == 0, "the traces differ:\n%.*s",
                  (int)a.trlen, a.tr);
    ck_assert_ptr_nonnull(strstr(a.tr, "mov    $0x42,%edx"));
    run_free(&a);
    run_free(&b);
}
END_TEST

/* DIV and IDIV from the cache take a 32-bit shortcut when the dividend
 * fits; every other case (#DE included) must come out as without it. Each
 * case runs three times round a loop, the divisor times ECX = 3, 2, 1, so
 * that the case's own divisor comes last, from the cache:
 *   ba EDX          mov $EDX,%edx
 *   b8 EAX          mov $EAX,%eax
 *   89 dd           mov %ebx,%ebp
 *   0f af e9        imul %ecx,%ebp
 *   f7 fd / f7 f5   idiv %ebp / div %ebp
 *   01 c6           add %eax,%esi
 *   01 d7           add %edx,%edi
 *   49              dec %ecx
 *   75 e8           jne back
 *   f4              hlt */
static const struct div_case { int is_signed; uint32_t edx, eax, divisor; } div_cases[] = {
    { 1, 0, 100, 7 }, { 1, 0xffffffffu, (uint32_t)-100, 7 }, { 1, 0, (uint32_t)-100, 7 },
    { 1, 0xffffffffu, 0x80000000u, 0xffffffffu }, { 1, 0, 0x80000000u, 0xffffffffu },
    { 1, 1, 0, 4 }, { 1, 0, 5, 0 }, { 1, 0xffffffffu, 5, 3 }, { 1, 0x80000000u, 0, 2 },
    { 1, 0x3fffffffu, 0xffffffffu, 0x7fffffffu }, { 1, 0, 0x7fffffffu, 0xffffffffu },
    { 0, 0, 100, 7 }, { 0, 1, 0, 2 }, { 0, 1, 0, 1 }, { 0, 0, 5, 0 }, { 0, 0, 0xffffffffu, 0xffffffffu },
    { 0, 0xfffffffeu, 0xffffffffu, 0xffffffffu }, { 0, 2, 0, 1 },
};

START_TEST(test_division)
{
    const struct div_case *dc = &div_cases[_i];
    uint8_t code[25] = { 0xba, 0, 0, 0, 0, 0xb8, 0, 0, 0, 0, 0x89, 0xdd, 0x0f, 0xaf, 0xe9, 0xf7, 0,
                         0x01, 0xc6, 0x01, 0xd7, 0x49, 0x75, 0xe8, 0xf4 };
    for (int k = 0; k < 4; k++) {
        code[1 + k] = (uint8_t)(dc->edx >> (8 * k));
        code[6 + k] = (uint8_t)(dc->eax >> (8 * k));
    }
    code[16] = dc->is_signed ? 0xfd : 0xf5;
    const uint32_t regs[8] = { 0, 3, 0, dc->divisor, 0x8000, 0, 0, 0 };
    run_t a, b;
    raw_run(&a, code, sizeof code, regs, CS32, 1000, 1, 0);
    raw_run(&b, code, sizeof code, regs, CS32, 1000, 0, 0);
    assert_same(&a, &b, "division");
    run_free(&a);
    run_free(&b);
}
END_TEST

/* ---- random loops ---- */
static uint32_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* Opcodes to start from: the fast handlers' rows and their neighbours. */
static const uint8_t one_byte[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x10, 0x11, 0x13, 0x15,
    0x18, 0x19, 0x1b, 0x1d, 0x20, 0x21, 0x22, 0x23, 0x25, 0x28, 0x29, 0x2a, 0x2b, 0x2d, 0x30, 0x31,
    0x32, 0x33, 0x35, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x40, 0x43, 0x45, 0x48, 0x4a, 0x4e, 0x50,
    0x53, 0x56, 0x58, 0x5b, 0x5e, 0x68, 0x69, 0x6a, 0x6b, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8a, 0x8b, 0x8d, 0x90, 0x92, 0x98, 0x99, 0x9e, 0x9f, 0xa1, 0xa3, 0xa8, 0xa9, 0xb0,
    0xb3, 0xb8, 0xbd, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
    0xfe, 0xff,
};
static const uint8_t two_byte[] = {
    0x40, 0x42, 0x44, 0x47, 0x4c, 0x4f, 0x90, 0x93, 0x94, 0x97, 0x9c, 0x9e, 0xa3, 0xab, 0xaf, 0xb1,
    0xb3, 0xb6, 0xb7, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc1, 0xc8, 0xcb,
};

/* One random instruction that stays in the loop: innocuous, not a string
 * instruction or a control transfer (those that read flags come as Jcc over
 * an INC below), no division by a random divisor most of the time. */
static size_t random_insn(uint8_t *out, int code32)
{
    for (;;) {
        uint8_t b[16];
        size_t k = 0;
        if (rnd() % 8 == 0)
            b[k++] = 0x66;
        if (rnd() % 3 == 0) {
            b[k++] = 0x0f;
            b[k++] = two_byte[rnd() % sizeof two_byte];
        } else {
            b[k++] = one_byte[rnd() % sizeof one_byte];
        }
        for (size_t j = k; j < sizeof b; j++)   /* zeros often: zero immediates, (%eax) */
            b[j] = rnd() % 4 ? (uint8_t)rnd() : 0;
        isa_insn_t in;
        if (isa_decode(b, sizeof b, code32, &in) != ISA_DECODE_OK)
            continue;
        const isa_row_info_t *ri = &isa_rows[in.row];
        if (ri->cls != INNOC || (ri->flags & SO) || in.lock)
            continue;
        const char *mn = ri->mnem;
        if (!strcmp(mn, "jmp") || !strcmp(mn, "call") || !strcmp(mn, "ret") || !strncmp(mn, "loop", 4) ||
            !strcmp(mn, "jecxz") || !strcmp(mn, "enter") || !strcmp(mn, "bound") || !strcmp(mn, "icebp") ||
            !strcmp(mn, "rdtsc") || in.row == ROW_JCC_Jb || in.row == ROW_JCC_Jz)
            continue;
        if ((!strcmp(mn, "div") || !strcmp(mn, "idiv")) && rnd() % 2)
            continue;
        memcpy(out, b, in.len);
        return in.len;
    }
}

/* A loop body of random instructions, and Jcc or LOOPcc/JECXZ over
 * `inc %edi` (EDI counts the branches not taken), then decl COUNT; jnz
 * back; hlt. */
static size_t random_loop(uint8_t *code, int code32)
{
    size_t n = 0;
    int body = 4 + (int)(rnd() % 14);
    for (int k = 0; k < body; k++) {
        if (rnd() % 8 == 0) {
            code[n++] = (uint8_t)(0xe0 + rnd() % 4);   /* loopne, loope, loop, jecxz */
            code[n++] = 1;
            code[n++] = 0x47;   /* inc %edi */
        } else if (rnd() % 4 == 0) {
            uint8_t cc = (uint8_t)(rnd() % 16);
            if (rnd() % 2) {
                code[n++] = (uint8_t)(0x70 | cc);
                code[n++] = 1;
            } else {
                code[n++] = 0x0f;
                code[n++] = (uint8_t)(0x80 | cc);
                code[n++] = 1;
                code[n++] = 0;
                if (code32) {
                    code[n++] = 0;
                    code[n++] = 0;
                }
            }
            code[n++] = 0x47;   /* inc %edi */
        } else {
            n += random_insn(code + n, code32);
        }
    }
    /* decl COUNT (32-bit operand, address as the code size says) */
    if (code32) {
        static const uint8_t dec32[] = { 0xff, 0x0d, COUNT & 0xff, COUNT >> 8, 0, 0 };
        memcpy(code + n, dec32, sizeof dec32);
        n += sizeof dec32;
    } else {
        static const uint8_t dec16[] = { 0x66, 0xff, 0x0e, COUNT & 0xff, COUNT >> 8 };
        memcpy(code + n, dec16, sizeof dec16);
        n += sizeof dec16;
    }
    /* jnz back to the start */
    code[n++] = 0x0f;
    code[n++] = 0x85;
    int32_t rel = -(int32_t)(n + (code32 ? 4 : 2));
    for (int j = 0; j < (code32 ? 4 : 2); j++)
        code[n++] = (uint8_t)((uint32_t)rel >> (8 * j));
    code[n++] = 0xf4;
    return n;
}

START_TEST(test_random_loops)
{
    static const int kinds[3] = { CS32, CS16, CS32_LIMIT };
    int kind = kinds[_i % 3];
    rng_state = 0x9e3779b9u * (uint32_t)(_i + 1);
    uint8_t code[512];
    size_t len = random_loop(code, kind != CS16);
    uint32_t regs[8];
    for (int k = 0; k < 8; k++) {   /* addresses in RAM, edge values, small numbers, anything */
        static const uint32_t edge[] = { 0, 1, 0x7fffffff, 0x80000000u, 0xffffffffu, 0xffff, 0x8000 };
        uint32_t v = rnd();
        regs[k] = rnd() % 3 == 0 ? 0x10000 + (v & 0xeffc) : rnd() % 3 == 0 ? edge[v % 7]
                : rnd() % 2 ? v & 0xff : v ^ (rnd() << 24);
    }
    regs[ESP] = 0x80000;
    run_t a, b;
    raw_run(&a, code, len, regs, kind, 3000, 1, 0);
    raw_run(&b, code, len, regs, kind, 3000, 0, 0);
    char what[64];
    snprintf(what, sizeof what, "random loop %d (code size %d)", _i, kind == CS16 ? 16 : 32);
    assert_same(&a, &b, what);
    run_free(&a);
    run_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dcache");
    TCase *tc = tcase_create("both ways");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_guest_both_ways, 0, (int)(sizeof guest_cases / sizeof guest_cases[0]));
    tcase_add_loop_test(tc, test_trace_both_ways, 0, 2);
    tcase_add_test(tc, test_self_modifying);
    tcase_add_test(tc, test_self_modifying_traced);
    tcase_add_loop_test(tc, test_division, 0, (int)(sizeof div_cases / sizeof div_cases[0]));
    tcase_add_loop_test(tc, test_random_loops, 0, 1500);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
