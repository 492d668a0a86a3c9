/* `trapsim raw`: a contract external test suites drive (RAW-MODE.md).
 * Keep every line of its input and output exactly as documented there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/args.h"
#include "app/raw.h"
#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "isa/access.h"

#define RAW_RAM (64u << 20)
#define RAW_GDT (RAW_RAM - 0x1000)   /* trapsim's own GDT, at the top of RAM */
#define MAX_ITEMS 256

typedef struct raw_opts {
    uint32_t load, ring;
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

static int parse_raw(int argc, char **argv, raw_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->load = 0x00100000;
    o->ring = 3;
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

/* trapsim's raw-mode GDT: flat 4 GiB code and data for each ring. */
static void write_gdt(struct cpu *c)
{
    for (int ring = 0; ring < 4; ring++) {
        for (int code = 1; code >= 0; code--) {
            uint32_t idx = 1 + 2 * (uint32_t)ring + (code ? 0 : 1);
            uint32_t access = 0x80u | ((uint32_t)ring << 5) | 0x10 | (code ? 0xa : 0x2);
            phys_write(c, RAW_GDT + idx * 8, 4, 0x0000ffff);
            phys_write(c, RAW_GDT + idx * 8 + 4, 4, 0x00cf0000u | (access << 8));
        }
    }
    c->gdtr.base = RAW_GDT;
    c->gdtr.limit = 9 * 8 - 1;
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
    write_gdt(c);
    if (load_code(m, &o)) {
        machine_free(m);
        return EXIT_USAGE;
    }
    dcache_init(m, 1);
    memcpy(c->reg, o.reg, sizeof c->reg);
    c->eflags = (o.eflags | FL_1) & ~FL_RF;
    c->cr0 = CR0_PE | CR0_ET;
    c->eip = o.load;
    int ring = (int)o.ring;
    seg_load_flat(&c->seg[SEG_CS], (uint16_t)((1 + 2 * ring) * 8 + ring), 1, ring);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            seg_load_flat(&c->seg[s], (uint16_t)((2 + 2 * ring) * 8 + ring), 0, ring);
    c->seg[SEG_CS].access = (uint8_t)(0x80 | (ring << 5) | 0x1a);   /* execute/read, as in the GDT */
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
