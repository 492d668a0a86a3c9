/* Fuzz target `guest`: random guest code, data, GDT, IDT and TSS, run on a
 * machine_new() machine with a small instruction budget, at any ring, bare,
 * in raw mode (raw_attach(), app/raw.h) or under the VMM.
 *
 * Input layout (everything past the end of the input reads as 0):
 *
 *   0  mode    bits 0-1 ring (CPL) to start at
 *              bit 2    raw mode: the first event for the IDT stops the run
 *              bit 3    under the VMM (ring 0 start, Multiboot entry state)
 *              bit 4    CS/SS/DS from the fuzzed GDT (bytes 6-7) instead of
 *                       trapsim's flat segments, when those descriptors are
 *                       ones the CPU could hold at that ring
 *              bit 5    twice: with and without the decoded-instruction
 *                       cache, and the two runs must end identically
 *              bit 6    text trace of every level, to /dev/null
 *              bit 7    standard tables: a valid ring 0-3 GDT with a TSS and
 *                       an IDT whose gates lead back into the code; the
 *                       fuzzed GDT entries follow the standard ones and the
 *                       fuzzed IDT entries override the first gates
 *   1  profile index into isa_profiles()
 *   2  RAM size choice (ram_sizes[] below; includes sizes that are not a
 *      multiple of the page size)
 *   3  number of fuzzed GDT entries (mod 33)
 *   4  number of fuzzed IDT entries (mod 257)
 *   5  EFLAGS: bits 0-1 IOPL, bit 2 IF, bit 3 TF, bit 4 DF, bit 5 AC, bit 6 NT;
 *      bit 7: the TSS (104 bytes) comes from the input
 *   6  CS selector index (with bit 4 of mode), 7 SS/DS selector index
 *   8  the code, placed at CODE_ADDR; then, taking the last bytes of the
 *      input (so that mutations of the code do not shift them): the GDT
 *      entries (8 bytes each), the IDT entries and the TSS. When the input
 *      is shorter than those, the code is empty and the tables are short.
 *
 * Checked after each run: the run stopped, for a reason that fits the mode;
 * the stop message is one line; no more instructions retired than the
 * budget; CPL == CS.RPL; the fields of machine_t that the guest must not
 * reach (RAM pointer and size, profile, cache maps, sinks) are unchanged.
 * ASan catches any access outside the RAM buffer (it is exactly ram_size
 * bytes).
 *
 * The budget counts every step, retired or not (deliveries, REP pauses), so
 * a run still going after STEP_CAP machine steps is a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "isa/access.h"
#include "app/raw.h"
#include "tests/fuzz/fuzz_common.h"
#include "vmm/vmm.h"

#define BUDGET      2000u
#define STEP_CAP    (20u * BUDGET)
#define GDT_ADDR    0x0800u
#define PSEUDO_ADDR 0x0f00u     /* GDTR at 0x0f00, IDTR at 0x0f08 (for LGDT/LIDT) */
#define IDT_ADDR    0x1000u
#define TSS_ADDR    0x3000u
#define CODE_ADDR   0x4000u
#define CODE_MAX    0x10000u
#define STACK0      0x3c00u
#define STD_GDT_N   10u         /* null, 4 rings x code/data, TSS */
#define TSS_SEL     (9u * 8u)

static const uint32_t ram_sizes[] = {
    64u << 10, 256u << 10, 1u << 20, (1u << 20) + 0x123, 4u << 20,
    (2u << 20) - 1, 0x4000u + 0x800u, 3u << 20,
};

/* Speed, not correctness: a REP string instruction pauses (and counts
 * against the budget) every 65,536 iterations, so BUDGET steps of one with
 * ECX = 0xffffffff are 131 M iterations, minutes under ASan. The harness
 * clips the count of a REP string instruction about to run to REP_CLIP, so
 * that a run takes milliseconds (FUZZ_NO_REP_CLIP=1 leaves it). */
#define REP_CLIP 0x100u     /* x BUDGET = at most 512000 iterations a run */
static int rep_clip = -1;

static void clip_rep(machine_t *m)
{
    struct cpu *c = &m->cpu;
    const seg_cache_t *cs = &c->seg[SEG_CS];
    if (m->halted || c->eip > cs->limit)
        return;
    uint8_t b[ISA_MAX_LEN];
    for (int k = 0; k < ISA_MAX_LEN; k++)
        b[k] = (uint8_t)phys_read(c, cs->base + c->eip + (uint32_t)k, 1);
    isa_insn_t insn;
    if (isa_decode(b, sizeof b, DESC_DB(cs->flags), &insn) != ISA_DECODE_OK || !insn.rep ||
        insn.has_modrm)
        return;
    uint8_t op = b[insn.len - 1];
    int string = (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) || (op >= 0x6c && op <= 0x6f);
    if (!string || (insn.len >= 2 && b[insn.len - 2] == 0x0f))
        return;
    if (insn.adsize == 4 && c->reg[ECX] > REP_CLIP)
        c->reg[ECX] = REP_CLIP;
    else if (insn.adsize == 2 && (c->reg[ECX] & 0xffff) > REP_CLIP)
        c->reg[ECX] = (c->reg[ECX] & 0xffff0000u) | REP_CLIP;
}

static void put_desc(uint8_t *ram, uint32_t at, uint32_t base, uint32_t limit,
                     uint8_t access, uint8_t flags)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | ((uint32_t)access << 8) | (limit & 0xf0000) |
                  ((uint32_t)flags << 16) | (base & 0xff000000u);
    memcpy(ram + at, &lo, 4);
    memcpy(ram + at + 4, &hi, 4);
}

static void put_gate(uint8_t *ram, uint32_t at, uint16_t sel, uint32_t off, uint8_t access)
{
    uint32_t lo = (off & 0xffff) | ((uint32_t)sel << 16);
    uint32_t hi = (off & 0xffff0000u) | ((uint32_t)access << 8);
    memcpy(ram + at, &lo, 4);
    memcpy(ram + at + 4, &hi, 4);
}

static void put32(uint8_t *ram, uint32_t at, uint32_t v)
{
    memcpy(ram + at, &v, 4);
}

/* A descriptor the CPU could hold in CS (code, present, DPL fits) or in
 * SS/DS (writable data, present, DPL == CPL). */
static int load_from_gdt(struct cpu *c, int sreg, uint16_t sel, int ring)
{
    uint32_t lo, hi;
    if ((sel & 0xfffc) == 0 || desc_read(c, sel, &lo, &hi))
        return -1;
    uint8_t a = (uint8_t)(hi >> 8);
    if (!DESC_P(a))
        return -1;
    if (sreg == SEG_CS) {
        if (!DESC_CODE(a) || (DESC_CONFORMING(a) ? DESC_DPL(a) > ring : DESC_DPL(a) != ring))
            return -1;
    } else if (!DESC_WRITABLE(a) || DESC_DPL(a) != ring) {
        return -1;
    }
    desc_to_cache(&c->seg[sreg], (uint16_t)((sel & ~3u) | (unsigned)ring), lo, hi);
    return 0;
}

typedef struct outcome {
    uint32_t reg[8], eip, eflags;
    uint64_t icount;
    stop_kind_t stop;
    int status;
    uint8_t cpl;
    char msg[256];
    uint8_t *ram;           /* a copy of RAM at the end (when kept) */
    uint32_t ram_size;
    char *console;
    size_t console_len;
} outcome_t;

static void run_once(const uint8_t *data, size_t size, int use_cache, int keep, outcome_t *out)
{
    fuzz_in_t in = { data, size, 0 };
    uint8_t mode = fin_u8(&in);
    const isa_profile_t *const *profiles = isa_profiles();
    int nprof = 0;
    while (profiles[nprof])
        nprof++;
    const isa_profile_t *prof = profiles[fin_u8(&in) % nprof];
    uint32_t ram_size = ram_sizes[fin_u8(&in) % (sizeof ram_sizes / sizeof ram_sizes[0])];
    unsigned gdt_n = fin_u8(&in) % 33u;
    unsigned idt_n = fin_u8(&in) % 257u;
    uint8_t fl = fin_u8(&in);
    int fuzz_tss = (fl >> 7) & 1;
    uint8_t cs_idx = fin_u8(&in), ss_idx = fin_u8(&in);

    int ring = mode & 3;
    int raw = (mode >> 2) & 1;
    int want_vmm = !raw && ((mode >> 3) & 1);
    int from_gdt = (mode >> 4) & 1;
    int trace = (mode >> 6) & 1;
    int std = (mode >> 7) & 1;
    if (want_vmm) {
        ring = 0;
        ram_size = 4u << 20;
    }

    machine_t *m = machine_new(ram_size, prof);
    FUZZ_CHECK(m != NULL, "machine_new(%u) failed", ram_size);
    struct cpu *c = &m->cpu;
    uint8_t *ram = c->ram;
    FILE *console = open_memstream(&out->console, &out->console_len);
    FUZZ_CHECK(console != NULL, "open_memstream");
    m->console = console;
    m->max_insns = BUDGET;
    if (raw)
        raw_attach(m);

    /* --- the code after the header, the tables from the tail --- */
    size_t tail = (size_t)gdt_n * 8 + (size_t)idt_n * 8 + (fuzz_tss ? 104 : 0);
    size_t body = in.n - in.pos;
    size_t code_len = body > tail ? body - tail : 0;
    const uint8_t *code = in.p + in.pos;
    in.pos += code_len;
    if (code_len > CODE_MAX)
        code_len = CODE_MAX;
    if (code_len > ram_size - CODE_ADDR)
        code_len = ram_size - CODE_ADDR;
    memcpy(ram + CODE_ADDR, code, code_len);
    unsigned first = std ? STD_GDT_N : 1;
    if (std) {
        for (int r = 0; r < 4; r++) {
            put_desc(ram, GDT_ADDR + (1 + 2 * (uint32_t)r) * 8, 0, 0xfffff, (uint8_t)(0x9a | r << 5), 0xc0);
            put_desc(ram, GDT_ADDR + (2 + 2 * (uint32_t)r) * 8, 0, 0xfffff, (uint8_t)(0x92 | r << 5), 0xc0);
        }
        put_desc(ram, GDT_ADDR + TSS_SEL, TSS_ADDR, 103, 0x89, 0);
    }
    for (unsigned k = 0; k < gdt_n; k++)
        fin_bytes(&in, ram + GDT_ADDR + (first + k) * 8, 8);
    unsigned gdt_entries = first + gdt_n;
    c->gdtr.base = GDT_ADDR;
    c->gdtr.limit = (uint16_t)(gdt_entries * 8 - 1);
    for (unsigned k = 0; k < idt_n; k++)
        fin_bytes(&in, ram + IDT_ADDR + k * 8, 8);
    if (fuzz_tss)
        fin_bytes(&in, ram + TSS_ADDR, 104);
    if (std) {
        for (unsigned v = idt_n; v < 256; v++)
            put_gate(ram, IDT_ADDR + v * 8, 0x08,
                     CODE_ADDR + (code_len ? (v * 13u) % code_len : 0), 0xee);
        for (int r = 0; r < 3; r++) {
            put32(ram, TSS_ADDR + 4 + 8 * (uint32_t)r, STACK0 - 0x200u * (uint32_t)r);
            put32(ram, TSS_ADDR + 8 + 8 * (uint32_t)r, (2u + 2u * (uint32_t)r) * 8u + (uint32_t)r);
        }
    }
    c->idtr.base = IDT_ADDR;
    c->idtr.limit = std ? 256 * 8 - 1 : (uint16_t)(idt_n ? idt_n * 8 - 1 : 0);
    /* pseudo-descriptors for the guest's own LGDT / LIDT */
    ram[PSEUDO_ADDR] = (uint8_t)c->gdtr.limit;
    ram[PSEUDO_ADDR + 1] = (uint8_t)(c->gdtr.limit >> 8);
    put32(ram, PSEUDO_ADDR + 2, GDT_ADDR);
    ram[PSEUDO_ADDR + 8] = (uint8_t)c->idtr.limit;
    ram[PSEUDO_ADDR + 9] = (uint8_t)(c->idtr.limit >> 8);
    put32(ram, PSEUDO_ADDR + 10, IDT_ADDR);

    /* --- CPU state --- */
    vmm_t *vmm = NULL;
    if (want_vmm) {
        machine_boot_state(m, CODE_ADDR, 0x9500u < ram_size ? 0x9500u : 0);
    } else {
        memset(c->reg, 0, sizeof c->reg);
        c->eip = CODE_ADDR;
        c->cr0 = CR0_PE | CR0_ET;
        uint16_t csel = (uint16_t)((1 + 2 * ring) * 8 + ring);
        uint16_t dsel = (uint16_t)((2 + 2 * ring) * 8 + ring);
        seg_load_flat(&c->seg[SEG_CS], csel, 1, ring);
        for (int s = 0; s < 6; s++)
            if (s != SEG_CS)
                seg_load_flat(&c->seg[s], dsel, 0, ring);
        c->cpl = (uint8_t)ring;
        if (from_gdt) {
            load_from_gdt(c, SEG_CS, (uint16_t)((cs_idx % gdt_entries) * 8), ring);
            uint16_t ss = (uint16_t)((ss_idx % gdt_entries) * 8);
            if (load_from_gdt(c, SEG_SS, ss, ring) == 0) {
                c->seg[SEG_DS] = c->seg[SEG_ES] = c->seg[SEG_SS];
            }
        }
        uint32_t ef = FL_1 | ((uint32_t)(fl & 3) << 12);
        if (fl & 4) ef |= FL_IF;
        if (fl & 8) ef |= FL_TF;
        if (fl & 16) ef |= FL_DF;
        if (fl & 32) ef |= FL_AC;
        if (fl & 64) ef |= FL_NT;
        c->eflags = ef;
    }
    if (std && !want_vmm) {
        uint32_t lo, hi;
        if (desc_read(c, TSS_SEL, &lo, &hi) == 0)
            desc_to_cache(&c->tr, TSS_SEL, lo, hi);
    }
    c->reg[ESP] = CODE_ADDR - 0x100;
    c->reg[ESI] = PSEUDO_ADDR;
    c->reg[EDI] = PSEUDO_ADDR + 8;
    c->reg[EBX] = GDT_ADDR;
    if (raw) {
        pic_write(&m->pic, 0x21, 0xff);
        pic_write(&m->pic, 0xa1, 0xff);
    }
    if (use_cache)
        FUZZ_CHECK(dcache_init(m, 1) == 0, "dcache_init");
    static FILE *devnull;
    text_sink_t text = { NULL, 0 };
    if (trace) {
        if (!devnull)
            devnull = fopen("/dev/null", "w");
        text.out = devnull;
        trace_sink_t s = { TL_ALL, text_sink_emit, NULL, &text };
        trace_add_sink(&m->trace, &s);
    }
    if (want_vmm)
        vmm = vmm_attach(m, 1);

    /* what the guest must not reach */
    machine_t before = *m;

    /* --- run --- */
    uint32_t steps = 0;
    if (rep_clip < 0) {
        const char *e = getenv("FUZZ_NO_REP_CLIP");
        rep_clip = !(e && *e == '1');
    }
    while (m->stop == STOP_NONE && steps < STEP_CAP) {
        if (rep_clip)
            clip_rep(m);
        machine_step(m);
        steps++;
    }
    FUZZ_CHECK(m->stop != STOP_NONE,
               "%u steps, %llu instructions retired, budget %u: the budget did not end the run "
               "(eip %08x cpl %d)", steps, (unsigned long long)c->icount, BUDGET, c->eip, c->cpl);
    trace_finish(&m->trace);
    fflush(console);

    /* --- checks --- */
    FUZZ_CHECK(c->icount <= BUDGET, "icount %llu past the budget", (unsigned long long)c->icount);
    FUZZ_CHECK(strchr(m->stop_msg, '\n') == NULL, "stop message has a newline: %s", m->stop_msg);
    FUZZ_CHECK(m->stop_msg[0] != 0, "empty stop message (stop %d)", m->stop);
    if (raw)
        FUZZ_CHECK(m->stop != STOP_TRIPLE && m->stop != STOP_HALTED,
                   "raw mode stopped with %d: %s", m->stop, m->stop_msg);
    else
        FUZZ_CHECK(m->stop < STOP_RAW_INT3, "bare run stopped the raw way (%d): %s", m->stop, m->stop_msg);
    int st = machine_exit_status(m);
    FUZZ_CHECK(st >= 0 && st <= 255, "exit status %d", st);
    FUZZ_CHECK(m->stop == STOP_DEBUG_EXIT ? (st & 1) : !(st & 1), "exit status %d for stop %d", st, m->stop);
    FUZZ_CHECK(c->cpl == (c->seg[SEG_CS].sel & 3), "CPL %d but CS %04x", c->cpl, c->seg[SEG_CS].sel);
    FUZZ_CHECK(c->cpl <= 3, "CPL %d", c->cpl);
    FUZZ_CHECK(c->ram == before.cpu.ram && c->ram_size == before.cpu.ram_size, "RAM pointer or size changed");
    FUZZ_CHECK(c->profile == before.cpu.profile && c->bus.ctx == m, "profile or machine pointer changed");
    FUZZ_CHECK(c->bus.code_pages == before.cpu.bus.code_pages && c->bus.ops == before.cpu.bus.ops,
               "decoded-instruction cache hooks changed");
    FUZZ_CHECK(m->dcache == before.dcache && m->code_page_map == before.code_page_map, "cache pointers changed");
    FUZZ_CHECK(m->trace.nsinks == before.trace.nsinks && m->console == console, "sinks or console changed");
    FUZZ_CHECK(m->hv.ops == before.hv.ops && m->hv.ctx == before.hv.ctx, "monitor (hv) changed");
    FUZZ_CHECK(m->max_insns == BUDGET, "machine settings changed");

    memcpy(out->reg, c->reg, sizeof out->reg);
    out->eip = c->eip;
    out->eflags = c->eflags;
    out->icount = c->icount;
    out->stop = m->stop;
    out->status = st;
    out->cpl = c->cpl;
    memcpy(out->msg, m->stop_msg, sizeof out->msg);
    if (keep) {
        out->ram = malloc(ram_size ? ram_size : 1);
        FUZZ_CHECK(out->ram != NULL, "malloc");
        memcpy(out->ram, ram, ram_size);
        out->ram_size = ram_size;
    }
    fclose(console);
    vmm_free(vmm);
    machine_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    outcome_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int twice = (data[0] >> 5) & 1;
    run_once(data, size, twice, twice, &a);
    if (twice) {
        /* Caches must not change results (DESIGN.md "Speed"). */
        run_once(data, size, 0, 1, &b);
        FUZZ_CHECK(a.stop == b.stop && a.status == b.status && strcmp(a.msg, b.msg) == 0,
                   "with the cache: stop %d \"%s\"; without: stop %d \"%s\"", a.stop, a.msg, b.stop, b.msg);
        FUZZ_CHECK(memcmp(a.reg, b.reg, sizeof a.reg) == 0 && a.eip == b.eip && a.eflags == b.eflags &&
                   a.icount == b.icount && a.cpl == b.cpl,
                   "the cache changed the final state (eip %08x/%08x icount %llu/%llu)", a.eip, b.eip,
                   (unsigned long long)a.icount, (unsigned long long)b.icount);
        FUZZ_CHECK(a.ram_size == b.ram_size && memcmp(a.ram, b.ram, a.ram_size) == 0,
                   "the cache changed RAM");
        FUZZ_CHECK(a.console_len == b.console_len &&
                   (a.console_len == 0 || memcmp(a.console, b.console, a.console_len) == 0),
                   "the cache changed the console output");
    }
    free(a.console);
    free(b.console);
    free(a.ram);
    free(b.ram);
    return 0;
}
