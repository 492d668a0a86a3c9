/* Unit tests of the binary translator (vmm/dbt.h, vmm/dbt.c).
 *
 *   translator   dbt_translate() on byte arrays: IDENT copies, each
 *                sensitive and privileged instruction a callout, branch
 *                fix-ups (JMP, Jcc, CALL, LOOP), the 12-instruction unit,
 *                chaining patches, the map back from TC offsets
 *   runtime      a tiny guest kernel under --vmm=dbt: it runs from the TC;
 *                CALL pushes the guest's return address; a fault in a
 *                fragment reaches the guest at its guest instruction;
 *                CLI/STI/PUSHF/POPF/MOV %cs on the virtual CPU; inline CLI
 *                and PUSHF one step each, no exit, GS kept; a loop is
 *                chained; a write to translated code invalidates it; a tiny
 *                TC flushes and gives the same result
 *
 * The runtime guest's memory (4 MiB): GDT 0x1000, IDT 0x2000, pseudo-
 * descriptors 0x4000, stack 0x6000, code 0x10000, fault handlers 0x40000 +
 * 16 * vector (each `jmp .`), data 0x50000. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "vmm/dbt.h"
#include "vmm/vmm.h"
#include "vmm/vmm_int.h"

/* ================= the translator on byte arrays ================= */
#define G_BASE 0x1000u   /* the guest code below starts at this EIP (CS base 0) */

static uint8_t gmem[256];

static int read_gmem(void *ctx, uint32_t lin, uint8_t *buf, uint32_t n)
{
    (void)ctx;
    memset(buf, 0, n);
    if (lin < G_BASE || lin - G_BASE >= sizeof gmem)
        return -1;
    uint32_t have = (uint32_t)sizeof gmem - (lin - G_BASE);
    memcpy(buf, gmem + (lin - G_BASE), n < have ? n : have);
    return 0;
}

static dbt_block_t blk;
static uint8_t code[DBT_FRAG_MAX];

/* Translates `bytes` (zero padded) at G_BASE for TC offset 0x100. */
static void tr(const uint8_t *bytes, size_t n)
{
    memset(gmem, 0x90, sizeof gmem);   /* NOPs after it */
    memcpy(gmem, bytes, n);
    memset(code, 0xcc, sizeof code);
    dbt_guest_t g = { 0, 0xffffffffu, 0x08, 1, read_gmem, NULL };
    dbt_translate(&g, G_BASE, 0x100, &blk, code);
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Exit `k` is an ljmp $VMM_TC_CS|1 naming itself, to `target`, of `kind`. */
static void assert_exit(int k, int kind, uint32_t target)
{
    ck_assert_int_lt(k, blk.nexit);
    const dbt_exit_t *x = &blk.exit[k];
    ck_assert_uint_eq(code[x->at], 0xea);
    ck_assert_uint_eq(le32(code + x->at + 1), 0x100 + x->at);
    ck_assert_uint_eq(code[x->at + 5] | code[x->at + 6] << 8, VMM_TC_CS | 1);
    ck_assert_int_eq(x->kind, kind);
    ck_assert_uint_eq(x->target, target);
    ck_assert(!dbt_chained(&blk, k, code));
}

START_TEST(test_ident_copy)
{
    /* mov %eax,%ebx; add $5,%ecx; mov 0x1234(%esi),%edx; lea 8(%esp),%ebp; ds movl $1,(%eax); hlt */
    static const uint8_t g[] = { 0x89, 0xc3, 0x83, 0xc1, 0x05, 0x8b, 0x96, 0x34, 0x12, 0, 0,
                                 0x8d, 0x6c, 0x24, 0x08, 0x3e, 0xc7, 0x00, 1, 0, 0, 0, 0xf4 };
    tr(g, sizeof g);
    ck_assert_int_eq(blk.ident, 5);
    ck_assert_int_eq(blk.ninsns, 6);
    ck_assert_int_eq(memcmp(code, g, sizeof g - 1), 0);   /* byte for byte */
    ck_assert_int_eq(blk.map[0].how, DH_IDENT);
    uint32_t eip;
    ck_assert_int_eq(dbt_map_back(&blk, 2, &eip), 0);     /* the add */
    ck_assert_uint_eq(eip, G_BASE + 2);
    ck_assert_int_eq(dbt_map_back(&blk, 3, &eip), -1);    /* inside it: no boundary */
    /* HLT: a callout at its own guest address, the unit's end */
    ck_assert_int_eq(blk.nexit, 1);
    assert_exit(0, DX_CALLOUT, G_BASE + sizeof g - 1);
    ck_assert_uint_eq(blk.exit[0].at, sizeof g - 1);
    ck_assert_uint_eq(blk.len, sizeof g - 1 + DBT_EXIT_LEN);
    ck_assert_uint_eq(blk.guest_len, sizeof g);
}
END_TEST

/* Every sensitive or privileged instruction, and those reading through CS,
 * RET and the indirect transfers: a callout, after the NOP before it. */
START_TEST(test_sensitive_callout)
{
    static const struct { uint8_t n, b[8]; const char *what; } cases[] = {
        { 1, { 0xfb }, "sti" }, { 1, { 0x9d }, "popf" },
        { 6, { 0x65, 0xa1, 0, 0, 0, 0 }, "mov %gs:0,%eax" }, { 2, { 0x0f, 0xa8 }, "push %gs" },
        { 2, { 0x0f, 0xa9 }, "pop %gs" }, { 2, { 0x8c, 0xe8 }, "mov %gs,%eax" }, { 2, { 0x8e, 0xe8 }, "mov %eax,%gs" },
        { 3, { 0x0f, 0xb5, 0x00 }, "lgs (%eax),%eax" }, { 2, { 0x65, 0x9c }, "pushf with a GS prefix" },
        { 2, { 0x8c, 0xd0 }, "mov %ss,%eax" }, { 2, { 0x8c, 0x08 }, "mov %cs,(%eax)" },
        { 1, { 0x16 }, "push %ss" }, { 2, { 0x8e, 0xd8 }, "mov %eax,%ds" }, { 1, { 0x1f }, "pop %ds" },
        { 3, { 0x0f, 0x01, 0x00 }, "sgdt (%eax)" }, { 3, { 0x0f, 0x01, 0x08 }, "sidt (%eax)" },
        { 3, { 0x0f, 0x00, 0xc0 }, "sldt %eax" }, { 3, { 0x0f, 0x00, 0xc8 }, "str %eax" },
        { 3, { 0x0f, 0x01, 0xe0 }, "smsw %eax" }, { 3, { 0x0f, 0x02, 0xc0 }, "lar" }, { 3, { 0x0f, 0x03, 0xc0 }, "lsl" },
        { 3, { 0x0f, 0x00, 0xe0 }, "verr" }, { 3, { 0x0f, 0x00, 0xe8 }, "verw" }, { 1, { 0xcf }, "iret" },
        { 1, { 0xcb }, "lret" }, { 7, { 0xea, 0, 0, 0, 0, 8, 0 }, "ljmp" }, { 7, { 0x9a, 0, 0, 0, 0, 8, 0 }, "lcall" },
        { 2, { 0xcd, 0x80 }, "int $0x80" }, { 1, { 0xcc }, "int3" }, { 1, { 0xf4 }, "hlt" },
        { 3, { 0x0f, 0x01, 0x10 }, "lgdt" }, { 3, { 0x0f, 0x01, 0x18 }, "lidt" }, { 3, { 0x0f, 0x00, 0xd8 }, "ltr" },
        { 3, { 0x0f, 0x22, 0xc0 }, "mov %eax,%cr0" }, { 3, { 0x0f, 0x20, 0xc0 }, "mov %cr0,%eax" },
        { 2, { 0xe4, 0x21 }, "in" }, { 2, { 0xe6, 0x21 }, "out" }, { 1, { 0x6c }, "insb" },
        { 1, { 0xc3 }, "ret" }, { 3, { 0xc2, 4, 0 }, "ret $4" }, { 2, { 0xff, 0xd0 }, "call *%eax" },
        { 2, { 0xff, 0xe0 }, "jmp *%eax" }, { 6, { 0x2e, 0xa1, 0, 0, 0, 0 }, "mov %cs:0,%eax" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint8_t g[9] = { 0x90 };   /* a NOP first: the callout ends the unit after it */
        memcpy(g + 1, cases[k].b, cases[k].n);
        tr(g, 1u + cases[k].n);
        ck_assert_msg(blk.ident == 1 && blk.callouts == 1 && blk.nexit == 1, "%s: ident %d callouts %d",
                      cases[k].what, blk.ident, blk.callouts);
        assert_exit(0, DX_CALLOUT, G_BASE + 1);
        ck_assert_uint_eq(blk.exit[0].at, 1);
        ck_assert_uint_eq(blk.len, 1 + DBT_EXIT_LEN);
    }
}
END_TEST

/* What does not decode: after other instructions a unit of its own, where
 * it is a callout (the VMM raises what the CPU would). */
START_TEST(test_undefined_is_callout)
{
    static const uint8_t g[] = { 0x90, 0x0f, 0x04 };
    tr(g, sizeof g);
    ck_assert_int_eq(blk.ident, 1);
    assert_exit(0, DX_JUMP, G_BASE + 1);
    tr(g + 1, 2);
    ck_assert_int_eq(blk.callouts, 1);
    assert_exit(0, DX_CALLOUT, G_BASE);
}
END_TEST

/* PUSH and MOV from DS..GS read the guest's own selectors: IDENT. */
START_TEST(test_data_sreg_reads_ident)
{
    static const uint8_t g[] = { 0x1e, 0x06, 0x0f, 0xa0, 0x8c, 0xd8, 0x8c, 0x20, 0xf4 };
    tr(g, sizeof g);
    ck_assert_int_eq(blk.ident, 5);   /* push %ds, %es, %fs; mov %ds,%eax; mov %fs,(%eax) (not %gs: the VMM's) */
    ck_assert_int_eq(memcmp(code, g, sizeof g - 1), 0);
}
END_TEST

/* MOV %cs,reg and PUSH %cs: inline, the guest's selector as an immediate. */
START_TEST(test_cs_reads_inline)
{
    static const uint8_t g[] = { 0x8c, 0xce, 0x66, 0x8c, 0xca, 0x0e, 0x66, 0x0e, 0xf4 };
    tr(g, sizeof g);
    static const uint8_t want[] = { 0xbe, 0x08, 0, 0, 0, 0x66, 0xba, 0x08, 0, 0x68, 0x08, 0, 0, 0,
                                    0x66, 0x68, 0x08, 0 };   /* mov $8,%esi; mov $8,%dx; push $8; pushw $8 */
    ck_assert_int_eq(blk.rewritten, 4);
    ck_assert_int_eq(blk.callouts, 1);                        /* the hlt */
    ck_assert_int_eq(memcmp(code, want, sizeof want), 0);
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(blk.map[k].how, DH_INLINE);
}
END_TEST

/* CLI and PUSHF: inline code on the state page in %gs (dbt.h), no exit. */
START_TEST(test_cli_pushf_inline)
{
    static const uint8_t g[] = { 0xfa, 0x9c, 0x66, 0x9c, 0xf4 };   /* cli; pushf; pushfw; hlt */
    tr(g, sizeof g);
    static const uint8_t cli[] = { 0x65, 0xc6, 0x05, DBT_VIF + 1, 0, 0, 0, 0 };   /* movb $0,%gs:vif+1 */
    static const uint8_t pushf[] = {
        0x9c,                                             /* pushf */
        0x65, 0x89, 0x0d, DBT_SAVE, 0, 0, 0,              /* mov %ecx,%gs:save */
        0x65, 0x8b, 0x0d, DBT_VIF, 0, 0, 0,               /* mov %gs:vif,%ecx */
        0x65, 0x0b, 0x0d, DBT_VIOPL, 0, 0, 0,             /* or %gs:viopl,%ecx */
        0x81, 0x24, 0x24, 0xff, 0xcd, 0xff, 0xff,         /* andl $~(IF|IOPL),(%esp) */
        0x09, 0x0c, 0x24,                                 /* or %ecx,(%esp) */
        0x65, 0x8b, 0x0d, DBT_SAVE, 0, 0, 0,              /* mov %gs:save,%ecx */
        0x9d,                                             /* popf */
        0x8d, 0x64, 0x24, 0xfc,                           /* lea -4(%esp),%esp */
    };
    static const uint8_t pushfw[] = {
        0x66, 0x9c, 0x65, 0x89, 0x0d, DBT_SAVE, 0, 0, 0, 0x65, 0x8b, 0x0d, DBT_VIF, 0, 0, 0,
        0x65, 0x0b, 0x0d, DBT_VIOPL, 0, 0, 0, 0x66, 0x81, 0x24, 0x24, 0xff, 0xcd, 0x66, 0x09, 0x0c, 0x24,
        0x65, 0x8b, 0x0d, DBT_SAVE, 0, 0, 0, 0x66, 0x9d, 0x8d, 0x64, 0x24, 0xfe,
    };
    ck_assert_int_eq(blk.rewritten, 3);
    ck_assert_int_eq(blk.callouts, 1);                 /* the hlt */
    ck_assert_int_eq(blk.nmap, 4);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(blk.map[k].how, DH_INLINE);
        ck_assert_int_eq(blk.map[k].first, 1);
    }
    ck_assert_int_eq(memcmp(code, cli, sizeof cli), 0);
    ck_assert_uint_eq(blk.map[1].tc, sizeof cli);
    ck_assert_int_eq(memcmp(code + sizeof cli, pushf, sizeof pushf), 0);
    ck_assert_uint_eq(blk.map[2].tc, sizeof cli + sizeof pushf);
    ck_assert_int_eq(memcmp(code + blk.map[2].tc, pushfw, sizeof pushfw), 0);
    assert_exit(0, DX_CALLOUT, G_BASE + 4);
    ck_assert_uint_eq(blk.exit[0].at, blk.map[2].tc + sizeof pushfw);
    /* inside a sequence no instruction maps back: only its start does */
    uint32_t eip;
    ck_assert_int_eq(dbt_map_back(&blk, sizeof cli + 1, &eip), -1);
    ck_assert_int_eq(dbt_map_back(&blk, sizeof cli, &eip), 0);
    ck_assert_uint_eq(eip, G_BASE + 1);
}
END_TEST

START_TEST(test_jmp_rewritten)
{
    static const uint8_t g[] = { 0x90, 0xeb, 0x10 };   /* nop; jmp .+0x12 */
    tr(g, sizeof g);
    ck_assert_int_eq(blk.rewritten, 1);
    ck_assert_uint_eq(code[1], 0xe9);                  /* rel32, to the exit just after */
    ck_assert_uint_eq(le32(code + 2), 0);
    assert_exit(0, DX_JUMP, G_BASE + 3 + 0x10);
    ck_assert_uint_eq(blk.exit[0].branch, 2);
    /* chained: the rel32 and the exit both lead to the target's fragment */
    dbt_chain(&blk, 0, code, 0x400);
    ck_assert_uint_eq(le32(code + 2), 0x400 - (0x100 + 6));
    ck_assert(dbt_chained(&blk, 0, code));
    ck_assert_uint_eq(dbt_exit_dest(&blk, 0, code), 0x400);
}
END_TEST

START_TEST(test_jcc_fallthrough_stays)
{
    /* cmp %ebx,%ecx; jge .+0x20; inc %ecx; jne .-4 (to G_BASE + 2 + ... ) ; */
    static const uint8_t g[] = { 0x39, 0xd9, 0x7d, 0x1e, 0x41, 0x0f, 0x85, 0xf5, 0xff, 0xff, 0xff, 0xc3 };
    tr(g, sizeof g);
    ck_assert_int_eq(blk.ninsns, 5);                   /* on past both branches, to the RET */
    ck_assert_int_eq(blk.rewritten, 2);
    ck_assert_int_eq(blk.callouts, 1);
    /* cmp IDENT, jge as 0f 8d rel32, inc IDENT, jne 0f 85 rel32, then the RET's callout */
    ck_assert_uint_eq(code[2], 0x0f);
    ck_assert_uint_eq(code[3], 0x8d);
    ck_assert_uint_eq(code[8], 0x41);
    ck_assert_uint_eq(code[9], 0x0f);
    ck_assert_uint_eq(code[10], 0x85);
    assert_exit(0, DX_CALLOUT, G_BASE + 11);
    ck_assert_uint_eq(blk.exit[0].at, 15);
    /* the taken sides' exits after the unit, each reached by its rel32 */
    assert_exit(1, DX_JUMP, G_BASE + 4 + 0x1e);
    assert_exit(2, DX_JUMP, G_BASE + 11 - 11);
    ck_assert_uint_eq(4 + 4 + le32(code + 4), blk.exit[1].at);
    ck_assert_uint_eq(11 + 4 + le32(code + 11), blk.exit[2].at);
    uint32_t eip;
    ck_assert_int_eq(dbt_map_back(&blk, blk.exit[1].at, &eip), 0);
    ck_assert_uint_eq(eip, G_BASE + 4 + 0x1e);        /* an event there is at the target */
    ck_assert_int_eq(dbt_map_back(&blk, 8, &eip), 0);
    ck_assert_uint_eq(eip, G_BASE + 4);               /* the inc */
}
END_TEST

START_TEST(test_call_pushes_guest_return)
{
    static const uint8_t g[] = { 0xe8, 0x00, 0x01, 0x00, 0x00 };   /* call .+0x105 */
    tr(g, sizeof g);
    ck_assert_uint_eq(code[0], 0x68);                                /* push $guest_return */
    ck_assert_uint_eq(le32(code + 1), G_BASE + 5);
    assert_exit(0, DX_JUMP, G_BASE + 5 + 0x100);
    uint32_t eip;
    ck_assert_int_eq(dbt_map_back(&blk, 5, &eip), 0);
    ck_assert_uint_eq(eip, G_BASE + 0x105);    /* after the push: the call is done */
}
END_TEST

START_TEST(test_loop_rel8_over_exits)
{
    static const uint8_t g[] = { 0xe2, 0xfe };   /* loop . */
    tr(g, sizeof g);
    ck_assert_uint_eq(code[0], 0xe2);
    ck_assert_uint_eq(code[1], DBT_EXIT_LEN);
    assert_exit(0, DX_JUMP, G_BASE + 2);
    assert_exit(1, DX_JUMP, G_BASE);
    ck_assert_uint_eq(blk.exit[1].at, 2 + DBT_EXIT_LEN);
}
END_TEST

START_TEST(test_unit_of_twelve)
{
    uint8_t g[40];
    memset(g, 0x40, sizeof g);   /* inc %eax, 40 times */
    tr(g, sizeof g);
    ck_assert_int_eq(blk.ninsns, DBT_MAX_INSNS);
    ck_assert_int_eq(blk.ident, DBT_MAX_INSNS);
    assert_exit(0, DX_JUMP, G_BASE + DBT_MAX_INSNS);
}
END_TEST

START_TEST(test_16bit_operand_jump_is_callout)
{
    static const uint8_t g[] = { 0x66, 0xe9, 0x10, 0x00 };   /* jmpw: EIP truncated to 16 bits */
    tr(g, sizeof g);
    ck_assert_int_eq(blk.callouts, 1);
    assert_exit(0, DX_CALLOUT, G_BASE);
}
END_TEST

/* ================= the runtime: a tiny guest kernel ================= */
#define RAM      (4u << 20)
#define GDT      0x1000u
#define IDT      0x2000u
#define PD_GDT   0x4000u
#define PD_IDT   0x4008u
#define KSTACK   0x6000u
#define CODE     0x10000u
#define HANDLERS 0x40000u
#define DATA     0x50000u
#define H(v)     (HANDLERS + 16u * (v))

static machine_t *m;
static struct cpu *c;
static vmm_t *v;

static void wr(uint32_t pa, const uint8_t *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        phys_write(c, pa + (uint32_t)k, 1, b[k]);
}
static uint32_t rd32(uint32_t pa) { return phys_read(c, pa, 4); }

/* A guest at CODE in ring 0 under --vmm=dbt (TC `tc_size`, 0: default),
 * with a flat GDT, an IDT of `jmp .` handlers, loaded by the code itself:
 * the prologue below runs first and ends at the returned address. */
static uint32_t boot(uint32_t tc_size)
{
    m = machine_new(RAM, isa_profile_find("x86"));
    ck_assert_ptr_nonnull(m);
    c = &m->cpu;
    m->console = stderr;
    static const uint8_t gdt[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0,
                                   0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0 };
    wr(GDT, gdt, sizeof gdt);
    phys_write(c, PD_GDT, 2, sizeof gdt - 1);
    phys_write(c, PD_GDT + 2, 4, GDT);
    phys_write(c, PD_IDT, 2, 256 * 8 - 1);
    phys_write(c, PD_IDT + 2, 4, IDT);
    for (uint32_t vec = 0; vec < 256; vec++) {
        phys_write(c, IDT + vec * 8, 4, (H(vec) & 0xffff) | 0x08u << 16);
        phys_write(c, IDT + vec * 8 + 4, 4, (H(vec) & 0xffff0000u) | 0x8e00u);
        phys_write(c, H(vec), 2, 0xfeeb);
    }
    /* lgdt PD_GDT; lidt PD_IDT; mov $KSTACK,%esp */
    static const uint8_t pro[] = { 0x0f, 0x01, 0x15, 0x00, 0x40, 0, 0, 0x0f, 0x01, 0x1d, 0x08, 0x40, 0, 0,
                                   0xbc, 0x00, 0x60, 0, 0 };
    wr(CODE, pro, sizeof pro);
    machine_boot_state(m, CODE, 0);
    v = vmm_attach_dbt(m, tc_size);
    ck_assert_ptr_nonnull(v);
    return CODE + sizeof pro;
}

static void teardown(void)
{
    vmm_free(v);
    machine_free(m);
}

/* The guest EIP now: where the CPU is in the TC stands for one. */
static uint32_t guest_eip(void)
{
    uint32_t eip;
    ck_assert_int_eq(dbt_guest_eip(v, &eip), 0);
    return eip;
}

static int run_to(uint32_t eip, long max)
{
    for (long k = 0; k < max && m->stop == STOP_NONE; k++) {
        if (guest_eip() == eip)
            return 1;
        machine_step(m);
    }
    return 0;
}
#define RUN_TO(a) ck_assert_msg(run_to((a), 100000), "did not reach %08x: guest EIP %08x, stop %d: %s", \
                                (unsigned)(a), guest_eip(), m->stop, m->stop_msg)

/* A counter of vmm_write_stats(): the public view of the translator's. */
static unsigned long long stat(const char *key)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vmm_write_stats(v, f);
    fclose(f);
    unsigned long long n = 0;
    size_t kl = strlen(key);
    for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
        if (strncmp(p, key, kl) == 0 && p[kl] == '=')
            n = strtoull(p + kl + 1, NULL, 10);
    free(buf);
    return n;
}

START_TEST(test_kernel_runs_from_tc)
{
    uint32_t at = boot(0);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, VMM_TC_CS | 1);
    ck_assert_uint_eq(c->cpl, 1);
    ck_assert_uint_eq(c->seg[SEG_CS].base, 0);
    static const uint8_t g[] = { 0xb8, 1, 0, 0, 0, 0xeb, 0xfe };   /* mov $1,%eax; jmp . */
    wr(at, g, sizeof g);
    RUN_TO(at + 5);
    ck_assert_uint_eq(c->reg[EAX], 1);
    /* every instruction the CPU ran in ring 1 came from the TC */
    ck_assert_uint_eq(c->seg[SEG_CS].sel, VMM_TC_CS | 1);
    ck_assert_uint_ge(c->eip, v->base + DBT_TC_OFF);
    ck_assert_uint_lt(c->eip, v->base + DBT_TC_OFF + DBT_TC_DEFAULT);
    ck_assert_uint_ge(stat("dbt.translations"), 2);
    teardown();
}
END_TEST

START_TEST(test_call_and_ret_exact)
{
    uint32_t at = boot(0);
    /* call f; mov %eax,%ebx; jmp .;  f: mov (%esp),%eax; ret */
    static const uint8_t g[] = { 0xe8, 4, 0, 0, 0, 0x89, 0xc3, 0xeb, 0xfe, 0x8b, 0x04, 0x24, 0xc3 };
    wr(at, g, sizeof g);
    RUN_TO(at + 7);
    ck_assert_uint_eq(c->reg[EBX], at + 5);   /* the guest's return address, not the TC's */
    ck_assert_uint_eq(c->reg[ESP], KSTACK);
    ck_assert_uint_ge(stat("dbt.exit.lookup"), 1);
    teardown();
}
END_TEST

START_TEST(test_fault_in_fragment_at_guest_eip)
{
    uint32_t at = boot(0);
    /* xor %ecx,%ecx; inc %eax; div %ecx (#DE); jmp . */
    static const uint8_t g[] = { 0x31, 0xc9, 0x40, 0xf7, 0xf1, 0xeb, 0xfe };
    wr(at, g, sizeof g);
    RUN_TO(H(0));
    uint32_t sp = c->reg[ESP];
    ck_assert_uint_eq(rd32(sp), at + 3);        /* the frame's EIP: the guest's div */
    ck_assert_uint_eq(rd32(sp + 4), 0x08);      /* the guest's CS, RPL 0 */
    ck_assert_uint_eq(sp, KSTACK - 12);
    ck_assert_uint_eq(v->reflected[EXC_DE], 1);
    teardown();
}
END_TEST

START_TEST(test_flags_and_cs_on_virtual_cpu)
{
    uint32_t at = boot(0);
    /* sti; pushf; pop %ebx; cli; pushf; pop %edx; push $0x202; popf; mov %cs,%esi; pushf; pop %edi; jmp . */
    static const uint8_t g[] = { 0xfb, 0x9c, 0x5b, 0xfa, 0x9c, 0x5a, 0x68, 0x02, 0x02, 0, 0, 0x9d,
                                 0x8c, 0xce, 0x9c, 0x5f, 0xeb, 0xfe };
    wr(at, g, sizeof g);
    RUN_TO(at + 16);
    ck_assert_uint_eq(c->reg[EBX] & (FL_IF | FL_IOPL), FL_IF);   /* PUSHF: the virtual IF */
    ck_assert_uint_eq(c->reg[EDX] & (FL_IF | FL_IOPL), 0);       /* after CLI */
    ck_assert_uint_eq(c->reg[EDI] & FL_IF, FL_IF);               /* POPF set IF: the lesson */
    ck_assert_int_eq(vmm_vif(v), 1);
    ck_assert_uint_eq(c->reg[ESI] & 0xffff, 0x08);               /* MOV %cs: the guest's selector */
    ck_assert(c->eflags & FL_IF);                                /* the real IF stays the VMM's */
    teardown();
}
END_TEST

/* Inline CLI and PUSHF: no exit, one guest instruction each in virtual
 * time, one step each; the guest's GS kept aside while %gs is the VMM's. */
START_TEST(test_inline_on_state_page)
{
    uint32_t at = boot(0);
    /* mov $0x10,%eax; mov %eax,%gs; sti; cli; pushf; pop %ebx; mov %gs,%edx; jmp . */
    static const uint8_t g[] = { 0xb8, 0x10, 0, 0, 0, 0x8e, 0xe8, 0xfb, 0xfa, 0x9c, 0x5b, 0x8c, 0xea, 0xeb, 0xfe };
    wr(at, g, sizeof g);
    RUN_TO(at + 8);                                              /* at the cli */
    ck_assert_int_eq(vmm_vif(v), 1);
    ck_assert_uint_eq(c->seg[SEG_GS].sel, VMM_STATE_DS | 1);     /* in the TC: the VMM's */
    ck_assert_uint_eq(c->seg[SEG_GS].base, v->base + DBT_STATE_OFF);
    unsigned long long callouts = stat("dbt.exit.callout");
    uint64_t icount = c->icount;
    machine_step(m);                                             /* cli: one step, one instruction */
    ck_assert_uint_eq(guest_eip(), at + 9);
    ck_assert_uint_eq(c->icount, icount + 1);
    ck_assert_int_eq(vmm_vif(v), 0);
    ck_assert(c->eflags & FL_IF);                                /* the real IF stays the VMM's */
    uint32_t esp = c->reg[ESP], ecx = c->reg[ECX] = 0x5a5a5a5a;
    machine_step(m);                                             /* pushf: nine real ones, one step */
    ck_assert_uint_eq(guest_eip(), at + 10);
    ck_assert_uint_eq(c->icount, icount + 2);
    ck_assert_uint_eq(c->reg[ESP], esp - 4);
    ck_assert_uint_eq(c->reg[ECX], ecx);
    ck_assert_uint_eq(rd32(esp - 4) & (FL_IF | FL_IOPL), 0);     /* the virtual IF, in the real flags */
    ck_assert_uint_eq(rd32(esp - 4) & 2, 2);
    ck_assert_uint_eq(stat("dbt.exit.callout"), callouts);      /* neither left the TC */
    RUN_TO(at + 13);
    ck_assert_uint_eq(c->reg[EDX] & 0xffff, 0x10);               /* MOV %gs: the guest's, by a callout */
    ck_assert_uint_eq(stat("dbt.exit.callout"), callouts + 1);
    /* out of the TC the real GS is the guest's again, IF as CLI left it */
    dbt_park_t park;
    ck_assert_int_eq(dbt_snap_park(v, &park), 0);
    ck_assert_uint_eq(c->seg[SEG_GS].sel, 0x10);
    ck_assert_uint_eq(v->vcpu.eflags & FL_IF, 0);
    dbt_snap_unpark(v, &park);
    ck_assert_uint_eq(c->seg[SEG_GS].sel, VMM_STATE_DS | 1);
    teardown();
}
END_TEST

START_TEST(test_loop_chained)
{
    uint32_t at = boot(0);
    /* mov $1000,%ecx; l: inc %eax; dec %ecx; jne l; jmp . */
    static const uint8_t g[] = { 0xb9, 0xe8, 0x03, 0, 0, 0x40, 0x49, 0x75, 0xfc, 0xeb, 0xfe };
    wr(at, g, sizeof g);
    RUN_TO(at + 9);
    ck_assert_uint_eq(c->reg[ECX], 0);
    ck_assert_uint_eq(c->reg[EAX] - 0x2badb002u, 1000);   /* from the Multiboot magic */
    ck_assert_uint_ge(stat("dbt.chained"), 1);
    ck_assert_uint_le(stat("dbt.translations"), 6);               /* the loop translated once or twice */
    ck_assert_uint_le(stat("dbt.exit.translator"), 6);            /* not once per iteration */
    teardown();
}
END_TEST

START_TEST(test_write_invalidates)
{
    uint32_t at = boot(0);
    /* l: mov $1,%eax; inc %ebx; cmp $2,%ebx; je done; movb $7,(l+1); jmp l; done: jmp . */
    uint32_t l = at;
    uint8_t g[] = { 0xb8, 1, 0, 0, 0, 0x43, 0x83, 0xfb, 0x02, 0x74, 0x09, 0xc6, 0x05, 0, 0, 0, 0, 7,
                    0xeb, 0xec, 0xeb, 0xfe };
    uint32_t imm = l + 1;
    memcpy(g + 13, &imm, 4);
    wr(at, g, sizeof g);
    RUN_TO(at + 20);
    ck_assert_uint_eq(c->reg[EAX], 7);          /* the second time round, the new immediate */
    ck_assert_uint_ge(stat("dbt.invalidated"), 1);
    teardown();
}
END_TEST

START_TEST(test_tiny_tc_flushes_same_result)
{
    uint32_t at = boot(DBT_TC_MIN);
    /* 600 blocks of `inc %eax; jmp` over a NOP to the next (each its own
     * unit, 13 bytes of fragment), then jmp . */
    enum { N = 600 };
    uint8_t *g = malloc(N * 4 + 2);
    for (int k = 0; k < N; k++) {
        g[4 * k] = 0x40;
        g[4 * k + 1] = 0xeb;
        g[4 * k + 2] = 0x01;
        g[4 * k + 3] = 0x90;
    }
    g[4 * N] = 0xeb;
    g[4 * N + 1] = 0xfe;
    wr(at, g, N * 4 + 2);
    free(g);
    RUN_TO(at + 4 * N);
    ck_assert_uint_eq(c->reg[EAX] - 0x2badb002u, N);
    ck_assert_uint_ge(stat("dbt.flushes"), 1);
    teardown();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dbt");
    TCase *t = tcase_create("translator");
    tcase_add_test(t, test_ident_copy);
    tcase_add_test(t, test_sensitive_callout);
    tcase_add_test(t, test_undefined_is_callout);
    tcase_add_test(t, test_cs_reads_inline);
    tcase_add_test(t, test_cli_pushf_inline);
    tcase_add_test(t, test_data_sreg_reads_ident);
    tcase_add_test(t, test_jmp_rewritten);
    tcase_add_test(t, test_jcc_fallthrough_stays);
    tcase_add_test(t, test_call_pushes_guest_return);
    tcase_add_test(t, test_loop_rel8_over_exits);
    tcase_add_test(t, test_unit_of_twelve);
    tcase_add_test(t, test_16bit_operand_jump_is_callout);
    suite_add_tcase(s, t);
    t = tcase_create("runtime");
    tcase_add_test(t, test_kernel_runs_from_tc);
    tcase_add_test(t, test_call_and_ret_exact);
    tcase_add_test(t, test_fault_in_fragment_at_guest_eip);
    tcase_add_test(t, test_flags_and_cs_on_virtual_cpu);
    tcase_add_test(t, test_inline_on_state_page);
    tcase_add_test(t, test_loop_chained);
    tcase_add_test(t, test_write_invalidates);
    tcase_add_test(t, test_tiny_tc_flushes_same_result);
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
