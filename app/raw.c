/* `trapsim raw`: a contract external test suites drive (RAW-MODE.md).
 * Keep every line of its input and output exactly as documented there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/args.h"
#include "app/raw.h"
#include "app/raw_tables.h"
#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "isa/access.h"

#define RAW_RAM (64u << 20)
#define RAW_GDT (RAW_RAM - 0x1000)   /* trapsim's own GDT, at the top of RAM */
#define MAX_ITEMS 256

typedef struct raw_opts {
    uint32_t load, ring;
    int std_tables;           /* --tables std */
    uint32_t cr0, cr4;
    uint32_t reg[8], eflags;
    const char *mem[MAX_ITEMS];
    int nmem;
    uint32_t dump_addr[MAX_ITEMS], dump_len[MAX_ITEMS];
    int ndump;
    const isa_profile_t *isa;
    uint64_t max_insns;
    const char *file;
} raw_opts_t;

/* ---- raw mode as a monitor (cpu/hv.h), outside the run loop ----
 * The first event for the IDT stops the run (RAW-MODE.md): an exception,
 * INT3, INT n, INTO or INT1 (as exceptions), and HLT. Hardware interrupts
 * go through: raw_main masks every one at the PIC. */
static int raw_deliver(void *ctx, machine_t *m, const hv_event_t *ev)
{
    (void)ctx;
    const struct cpu *c = &m->cpu;
    if (ev->kind == DK_HARDWARE)
        return 0;
    m->stop_vector = (uint8_t)ev->vector;
    m->stop_has_error = (uint8_t)ev->has_error;
    m->stop_error = ev->error;
    if (ev->kind == DK_SOFTWARE && c->soft_kind == SOFT_INT3)
        machine_stop(m, STOP_RAW_INT3, "int3");
    else if (ev->kind == DK_SOFTWARE && c->soft_kind == SOFT_INTN)
        machine_stop(m, STOP_RAW_INT, "int 0x%x", ev->vector);
    else
        machine_stop(m, STOP_RAW_EXC, "exception %d", ev->vector);   /* faults; INTO, INT1: traps */
    return 1;
}

static int raw_halt(void *ctx, machine_t *m)
{
    (void)ctx;
    machine_stop(m, STOP_RAW_HLT, "hlt");
    return 1;
}

static const hv_ops_t raw_hv_ops = { .deliver = raw_deliver, .halt = raw_halt };

void raw_attach(machine_t *m)
{
    hv_attach(m, &raw_hv_ops, NULL, 0, 0);
}

static const char *const reg_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static int set_register(raw_opts_t *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        errorf("--set %s: expected REG=VALUE", arg);
        return -1;
    }
    size_t n = (size_t)(eq - arg);
    uint32_t v;
    if (parse_u32(eq + 1, &v)) {
        errorf("--set %s: '%s' is not a 32-bit number", arg, eq + 1);
        return -1;
    }
    for (int r = 0; r < 8; r++) {
        if (strlen(reg_names[r]) == n && strncmp(arg, reg_names[r], n) == 0) {
            o->reg[r] = v;
            return 0;
        }
    }
    if (n == 6 && strncmp(arg, "eflags", 6) == 0) {
        if (v & FL_VM) {
            errorf("--set %s: EFLAGS.VM = 1 (virtual-8086 mode) is not allowed", arg);
            return -1;
        }
        o->eflags = v;
        return 0;
    }
    errorf("--set %s: unknown register '%.*s' (eax ebx ecx edx esi edi ebp esp eflags)", arg, (int)n, arg);
    return -1;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* "--mem ADDR=HEX": validated when parsed, applied after the code. */
static int check_mem(const char *arg, uint32_t *addr, const char **hex)
{
    const char *eq = strchr(arg, '=');
    char a[32];
    if (!eq || (size_t)(eq - arg) >= sizeof a) {
        errorf("--mem %s: expected ADDR=HEXBYTES", arg);
        return -1;
    }
    memcpy(a, arg, (size_t)(eq - arg));
    a[eq - arg] = 0;
    if (parse_u32(a, addr)) {
        errorf("--mem %s: '%s' is not a 32-bit address", arg, a);
        return -1;
    }
    size_t n = strlen(eq + 1);
    if (n % 2) {
        errorf("--mem %s: odd number of hex digits", arg);
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        if (hexval(eq[1 + k]) < 0) {
            errorf("--mem %s: '%c' is not a hex digit", arg, eq[1 + k]);
            return -1;
        }
    }
    *hex = eq + 1;
    return 0;
}

static int parse_dump(raw_opts_t *o, const char *arg)
{
    const char *colon = strchr(arg, ':');
    char a[32];
    if (o->ndump >= MAX_ITEMS) {
        errorf("--dump %s: too many --dump options (at most %d)", arg, MAX_ITEMS);
        return -1;
    }
    if (!colon || (size_t)(colon - arg) >= sizeof a) {
        errorf("--dump %s: expected ADDR:LEN", arg);
        return -1;
    }
    memcpy(a, arg, (size_t)(colon - arg));
    a[colon - arg] = 0;
    uint32_t addr, len;
    if (parse_u32(a, &addr) || parse_u32(colon + 1, &len) || len > (1u << 20)) {
        errorf("--dump %s: expected a 32-bit address and a length up to 1 MiB", arg);
        return -1;
    }
    o->dump_addr[o->ndump] = addr;
    o->dump_len[o->ndump++] = len;
    return 0;
}

/* CR0 bits MOV CR0 keeps (the others are reserved); CR4 bits MOV CR4
 * accepts (isa/protect.c). */
#define CR0_KNOWN (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | \
                   CR0_AM | CR0_NW | CR0_CD | CR0_PG)
#define CR4_KNOWN 0x00000fffu

static int parse_cr0(const char *v, uint32_t *cr0)
{
    if (parse_u32(v, cr0)) {
        errorf("--cr0 needs a 32-bit number");
        return -1;
    }
    if (!(*cr0 & CR0_PE) || (*cr0 & CR0_PG)) {
        errorf("--cr0 %s: raw mode needs PE = 1 and PG = 0 (protected mode, no paging)", v);
        return -1;
    }
    if (*cr0 & ~CR0_KNOWN) {
        errorf("--cr0 %s: reserved bits set (0x%08x)", v, *cr0 & ~CR0_KNOWN);
        return -1;
    }
    if ((*cr0 & CR0_NW) && !(*cr0 & CR0_CD)) {
        errorf("--cr0 %s: NW = 1 needs CD = 1", v);
        return -1;
    }
    *cr0 |= CR0_ET;   /* hardwired to 1, as MOV CR0 keeps it */
    return 0;
}

static int parse_raw(int argc, char **argv, raw_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->load = 0x00100000;
    o->ring = 3;
    o->cr0 = RAW_CR0_DEFAULT;
    o->reg[ESP] = 0x00800000;
    o->eflags = 0x00000202;
    o->isa = isa_profile_find("x86");
    o->max_insns = 1000000;
    for (int i = 0; i < argc; i++) {
        const char *v;
        int r;
        if ((r = opt_value(argc, argv, &i, "--load", &v))) {
            if (r < 0 || parse_u32(v, &o->load)) { errorf("--load needs a 32-bit address"); return -1; }
        } else if ((r = opt_value(argc, argv, &i, "--ring", &v))) {
            if (r < 0 || parse_u32(v, &o->ring) || o->ring > 3) { errorf("--ring needs 0, 1, 2 or 3"); return -1; }
        } else if ((r = opt_value(argc, argv, &i, "--tables", &v))) {
            if (r < 0 || (strcmp(v, "std") && strcmp(v, "flat"))) {
                errorf("--tables needs 'std' (the standard tables) or 'flat' (the default)");
                return -1;
            }
            o->std_tables = !strcmp(v, "std");
        } else if ((r = opt_value(argc, argv, &i, "--cr0", &v))) {
            if (r < 0) { errorf("--cr0 needs a 32-bit number"); return -1; }
            if (parse_cr0(v, &o->cr0)) return -1;
        } else if ((r = opt_value(argc, argv, &i, "--cr4", &v))) {
            if (r < 0 || parse_u32(v, &o->cr4)) { errorf("--cr4 needs a 32-bit number"); return -1; }
            if (o->cr4 & ~CR4_KNOWN) {
                errorf("--cr4 %s: bits 0x%08x are not CR4 bits trapsim models (0x%08x)", v,
                       o->cr4 & ~CR4_KNOWN, CR4_KNOWN);
                return -1;
            }
        } else if ((r = opt_value(argc, argv, &i, "--set", &v))) {
            if (r < 0) { errorf("--set needs REG=VALUE"); return -1; }
            if (set_register(o, v)) return -1;
        } else if ((r = opt_value(argc, argv, &i, "--mem", &v))) {
            uint32_t addr;
            const char *hex;
            if (r < 0) { errorf("--mem needs ADDR=HEXBYTES"); return -1; }
            if (o->nmem >= MAX_ITEMS) { errorf("too many --mem options (at most %d)", MAX_ITEMS); return -1; }
            if (check_mem(v, &addr, &hex)) return -1;
            o->mem[o->nmem++] = v;
        } else if ((r = opt_value(argc, argv, &i, "--dump", &v))) {
            if (r < 0) { errorf("--dump needs ADDR:LEN"); return -1; }
            if (parse_dump(o, v)) return -1;
        } else if ((r = opt_value(argc, argv, &i, "--isa", &v))) {
            if (r < 0 || !(o->isa = isa_profile_find(v))) {
                errorf("--isa: unknown profile '%s' (see 'trapsim isa list')", r < 0 ? "" : v);
                return -1;
            }
        } else if ((r = opt_value(argc, argv, &i, "--max-insns", &v))) {
            if (r < 0 || parse_u64(v, &o->max_insns)) { errorf("--max-insns needs a number"); return -1; }
        } else if (argv[i][0] == '-' && argv[i][1] != 0) {
            errorf("raw: unknown option '%s' (see 'trapsim raw --help')", argv[i]);
            return -1;
        } else if (o->file) {
            errorf("raw: more than one code file ('%s' and '%s')", o->file, argv[i]);
            return -1;
        } else {
            o->file = argv[i];
        }
    }
    if (!o->file) {
        errorf("raw: no code file given (trapsim raw [options] CODE.bin)");
        return -1;
    }
    return 0;
}

static void write_table(struct cpu *c, uint32_t base, const uint64_t *d, int n)
{
    for (int k = 0; k < n; k++) {
        phys_write(c, base + 8 * (uint32_t)k, 4, (uint32_t)d[k]);
        phys_write(c, base + 8 * (uint32_t)k + 4, 4, (uint32_t)(d[k] >> 32));
    }
}

/* trapsim's raw-mode GDT: flat 4 GiB code and data for each ring (the
 * accessed bits clear, unlike the standard table: old outputs stay). */
static void write_flat_gdt(struct cpu *c)
{
    uint64_t gdt[9] = { 0 };
    for (uint32_t ring = 0; ring < 4; ring++) {
        gdt[1 + 2 * ring] = RAW_DESC(0, 0xfffff, 0x9a | ring << 5, 0xc);
        gdt[2 + 2 * ring] = RAW_DESC(0, 0xfffff, 0x92 | ring << 5, 0xc);
    }
    write_table(c, RAW_GDT, gdt, 9);
    c->gdtr.base = RAW_GDT;
    c->gdtr.limit = 9 * 8 - 1;
}

static const uint32_t raw_std_tss[] = { RAW_STD_TSS_BASE, RAW_STD_TSS_AVAIL_BASE,
                                        RAW_STD_TSS_BUSY_BASE };

/* --tables std (app/raw_tables.h): GDT, LDT contents, TSSes without an I/O
 * bitmap, IDTR (no IDT: the first event ends the run anyway), TR; LDTR 0. */
static void write_std_tables(struct cpu *c)
{
    write_table(c, RAW_STD_GDT_BASE, raw_std_gdt, RAW_STD_GDT_ENTRIES);
    write_table(c, RAW_STD_LDT_BASE, raw_std_ldt, RAW_STD_LDT_ENTRIES);
    for (size_t k = 0; k < sizeof raw_std_tss / sizeof raw_std_tss[0]; k++)
        phys_write(c, raw_std_tss[k] + RAW_STD_TSS_IOMAP_OFF, 2, RAW_STD_TSS_IOMAP);
    c->gdtr.base = RAW_STD_GDT_BASE;
    c->gdtr.limit = RAW_STD_GDT_ENTRIES * 8 - 1;
    c->idtr.base = RAW_STD_IDT_BASE;
    c->idtr.limit = RAW_STD_IDT_LIMIT;
    uint64_t tss = raw_std_gdt[RAW_SEL_TSS >> 3];
    desc_to_cache(&c->tr, RAW_SEL_TSS, (uint32_t)tss, (uint32_t)(tss >> 32));
}

static int load_code(machine_t *m, const raw_opts_t *o)
{
    FILE *f = fopen(o->file, "rb");
    if (!f) {
        errorf("%s: cannot open: %s", o->file, strerror(errno));
        return -1;
    }
    uint32_t addr = o->load;
    int ch;
    while ((ch = fgetc(f)) != EOF)
        phys_write(&m->cpu, addr++, 1, (uint32_t)ch);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        errorf("%s: cannot read", o->file);
        return -1;
    }
    for (int k = 0; k < o->nmem; k++) {
        uint32_t a;
        const char *hex;
        check_mem(o->mem[k], &a, &hex);
        for (size_t j = 0; hex[j]; j += 2)
            phys_write(&m->cpu, a++, 1, (uint32_t)(hexval(hex[j]) * 16 + hexval(hex[j + 1])));
    }
    return 0;
}

static void print_state(const machine_t *m, const raw_opts_t *o)
{
    const struct cpu *c = &m->cpu;
    static const int order[8] = { EAX, EBX, ECX, EDX, ESI, EDI, EBP, ESP };
    for (int k = 0; k < 8; k++)
        printf("%s=%08x\n", reg_names[order[k]], c->reg[order[k]]);
    printf("eip=%08x\n", c->eip);
    printf("eflags=%08x\n", c->eflags);
    switch (m->stop) {
    case STOP_RAW_INT3: printf("stop=int3\n"); break;
    case STOP_RAW_INT:  printf("stop=int\nvector=%08x\n", m->stop_vector); break;
    case STOP_RAW_HLT:  printf("stop=hlt\n"); break;
    case STOP_BUDGET:   printf("stop=budget\n"); break;
    case STOP_RAW_EXC:
        printf("stop=exception\nvector=%08x\n", m->stop_vector);
        if (m->stop_has_error)
            printf("error=%08x\n", m->stop_error);
        break;
    default:            printf("stop=unmodelled\n"); break;
    }
    printf("icount=%llu\n", (unsigned long long)c->icount);
    for (int k = 0; k < o->ndump; k++) {
        printf("mem.%08x=", o->dump_addr[k]);
        for (uint32_t j = 0; j < o->dump_len[k]; j++)
            printf("%02x", phys_read((struct cpu *)c, o->dump_addr[k] + j, 1));
        printf("\n");
    }
}

int raw_main(int argc, char **argv)
{
    raw_opts_t o;
    if (parse_raw(argc, argv, &o))
        return EXIT_USAGE;
    machine_t *m = machine_new(RAW_RAM, o.isa);
    if (!m) {
        errorf("out of memory");
        return EXIT_USAGE;
    }
    struct cpu *c = &m->cpu;
    raw_attach(m);
    m->max_insns = o.max_insns;
    /* no device may interrupt a fragment */
    machine_pic_write(m, 0x21, 0xff);
    machine_pic_write(m, 0xa1, 0xff);
    if (o.std_tables)
        write_std_tables(c);
    else
        write_flat_gdt(c);
    if (load_code(m, &o)) {
        machine_free(m);
        return EXIT_USAGE;
    }
    dcache_init(m, 1);
    memcpy(c->reg, o.reg, sizeof c->reg);
    c->eflags = (o.eflags | FL_1) & ~FL_RF;
    c->cr0 = o.cr0;
    c->cr4 = o.cr4;
    c->eip = o.load;
    int ring = (int)o.ring;
    seg_load_flat(&c->seg[SEG_CS], RAW_SEL_CODE(ring), 1, ring);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            seg_load_flat(&c->seg[s], RAW_SEL_DATA(ring), 0, ring);
    /* execute/read, accessed or not, as in the GDT */
    c->seg[SEG_CS].access = (uint8_t)(0x80 | (ring << 5) | (o.std_tables ? 0x1b : 0x1a));
    seg_cache_update(&c->seg[SEG_CS]);
    c->cpl = (uint8_t)ring;
    if (o.max_insns == 0)
        machine_stop(m, STOP_BUDGET, "budget of 0");
    machine_run(m);
    print_state(m, &o);
    fflush(stdout);
    machine_free(m);
    return EXIT_OK;
}
