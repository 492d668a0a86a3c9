/* Step mode (app/step.h). The stepper is a trace sink plus a loop around
 * machine_step(): the sink pauses after the events it is told to, the loop
 * checks the break conditions before each step. Pausing reads commands from
 * a stream and only ever reads the machine, except `q`, which stops it.
 * What a monitor shows of itself comes from its views (vmm/view.h). */
#include <ctype.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/args.h"
#include "app/step.h"
#include "cpu/names.h"
#include "cpu/show.h"
#include "cpu/vmx.h"

/* ---- options ---- */

static int mnemonic_known(const char *m)
{
    static const char *const cc[] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                      "s", "ns", "p", "np", "l", "ge", "le", "g" };
    static const char *const pre[] = { "j", "set", "cmov" };
    for (int r = 0; r < ROW_COUNT; r++)
        if (isa_rows[r].mnem && strcmp(isa_rows[r].mnem, m) == 0)
            return 1;
    for (size_t p = 0; p < sizeof pre / sizeof pre[0]; p++) {
        size_t n = strlen(pre[p]);
        if (strncmp(m, pre[p], n) != 0)
            continue;
        for (size_t k = 0; k < sizeof cc / sizeof cc[0]; k++)
            if (strcmp(m + n, cc[k]) == 0)
                return 1;
    }
    return 0;
}

/* "trap", "vector N", "mnemonic M" (also "vector:N", "vector=N"). */
static int parse_break_on(int argc, char **argv, int *i, const char *kind, step_opts_t *o)
{
    char k[32];
    const char *arg = NULL;
    size_t n = strcspn(kind, ":=");
    if (n >= sizeof k) {
        errorf("--break-on: expected trap, vector N or mnemonic M (got '%s')", kind);
        return -1;
    }
    memcpy(k, kind, n);
    k[n] = 0;
    if (kind[n])
        arg = kind + n + 1;
    if (strcmp(k, "trap") == 0 && !arg) {
        o->break_trap = 1;
        return 1;
    }
    int is_vector = strcmp(k, "vector") == 0, is_mnem = strcmp(k, "mnemonic") == 0;
    if (!is_vector && !is_mnem) {
        errorf("--break-on: expected trap, vector N or mnemonic M (got '%s')", kind);
        return -1;
    }
    if (!arg) {
        if (*i + 1 >= argc) {
            errorf("--break-on %s needs a %s", k, is_vector ? "vector number (0-255)" : "mnemonic");
            return -1;
        }
        arg = argv[++*i];
    }
    if (is_vector) {
        uint32_t v;
        if (parse_u32(arg, &v) || v > 255) {
            errorf("--break-on vector: '%s' is not a vector number (0-255)", arg);
            return -1;
        }
        o->break_vector[v / 8] |= (uint8_t)(1u << (v % 8));
        o->any_vector = 1;
        return 1;
    }
    char lower[16];
    size_t len = strlen(arg);
    if (len == 0 || len >= sizeof lower) {
        errorf("--break-on mnemonic: '%s' is not an instruction mnemonic", arg);
        return -1;
    }
    for (size_t c = 0; c <= len; c++)
        lower[c] = (char)tolower((unsigned char)arg[c]);
    if (!mnemonic_known(lower)) {
        errorf("--break-on mnemonic: trapsim knows no instruction '%s' (e.g. popf, lidt, cli, iret, int, jne)", arg);
        return -1;
    }
    if (o->nmnems >= STEP_MAX_MNEMS) {
        errorf("--break-on mnemonic: at most %d mnemonics", STEP_MAX_MNEMS);
        return -1;
    }
    memcpy(o->mnems[o->nmnems++], lower, len + 1);
    return 1;
}

/* A C identifier (what a symbol of the guest image looks like). */
static int is_symbol_name(const char *s)
{
    if (!*s || isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '$')
            return 0;
    return 1;
}

int step_parse_opt(int argc, char **argv, int *i, step_opts_t *o)
{
    const char *a = argv[*i], *v;
    int r;
    if (strcmp(a, "--step") == 0) {
        o->step = 1;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "--break-on", &v))) {
        if (r < 0) {
            errorf("--break-on needs trap, vector N or mnemonic M");
            return -1;
        }
        return parse_break_on(argc, argv, i, v, o);
    }
    if ((r = opt_value(argc, argv, i, "--break", &v))) {
        uint32_t addr = 0;
        if (r < 0 || (parse_u32(v, &addr) && !is_symbol_name(v))) {
            errorf("--break needs an address or a symbol of the image (e.g. 0x1006e0, main)");
            return -1;
        }
        if (o->nbreaks >= STEP_MAX_BREAKS) {
            errorf("--break: at most %d addresses", STEP_MAX_BREAKS);
            return -1;
        }
        o->break_syms[o->nbreaks] = parse_u32(v, &addr) ? v : NULL;
        o->breaks[o->nbreaks++] = addr;
        return 1;
    }
    return 0;
}

int step_opts_active(const step_opts_t *o)
{
    return o->step || o->nbreaks || o->break_trap || o->any_vector || o->nmnems;
}

int step_check_symbols(const step_opts_t *o, const symtab_t *syms, const char *image)
{
    for (int k = 0; k < o->nbreaks; k++) {
        uint32_t a;
        if (o->break_syms[k] && symtab_find(syms, o->break_syms[k], &a)) {
            if (syms)
                errorf("--break %s: %s has no symbol of that name", o->break_syms[k], image);
            else
                errorf("--break %s: %s has no symbol table (give an address)", o->break_syms[k], image);
            return -1;
        }
    }
    return 0;
}

/* ---- the stepper ---- */

enum { MODE_EVENT, MODE_TRAP, MODE_RUN, MODE_FREE };

/* What `c KIND` runs to (MODE_TRAP): a set of these. */
enum {
    W_EXC = 1,          /* every exception, each #GP a monitor emulates too */
    W_GUEST_EXC = 2,    /* exceptions, but not a #GP into a monitor (it emulates them) */
    W_IRQ = 4,
    W_INT = 8,          /* INT n, INT3, INTO */
    W_RET = 16,         /* IRET/far RET to an outer ring */
    W_REFLECT = 32,     /* a monitor gives the guest its own fault */
    W_EXIT = 64,        /* a VM exit (trap-and-emulate's, or VMX's) */
    W_VECTOR = 128,     /* a delivery of one vector */
    W_DEFAULT = W_GUEST_EXC | W_IRQ | W_INT | W_RET | W_REFLECT,
};

typedef struct stepper {
    const step_opts_t *o;
    machine_t *m;
    monitor_view_t view;
    const symtab_t *syms;
    uint32_t pause_levels;   /* the levels Enter steps through */
    uint32_t shown_levels;   /* the levels whose lines already went to stderr */
    FILE *in, *ui;
    int tty, hinted, mode, quitting;
    unsigned want;           /* MODE_TRAP: W_* */
    int want_vector;
    /* breakpoints: --break's, then b's; `d N` deletes number N */
    int nbreaks;
    uint32_t breaks[STEP_MAX_BREAKS];
    int break_no[STEP_MAX_BREAKS];
    int next_no;
    /* where the user last had control: no break is reported twice there */
    int seen;
    uint64_t seen_icount;
    uint32_t seen_eip;
    uint16_t seen_cs;
} stepper_t;

static int is_trap_event(ev_kind_t k)
{
    return k == EV_EXC || k == EV_IRQ || k == EV_SOFTINT || k == EV_RETURN;
}

static void help(const stepper_t *s, FILE *out)
{
    fputs("step commands:\n"
          "  Enter, n        next event (at the trace level)\n"
          "  c [KIND]        run to the next trap; KIND: all (each #GP a monitor emulates too: plain c\n"
          "                  skips those), exc, irq, int, iret, exit, or a vector (13, 0x80, gp, #PF)\n"
          "  e               run to the next VM exit (c exit)\n"
          "  g               run to the next breakpoint\n"
          "  r               registers (under a monitor: the guest's virtual CPU beside the real one)\n"
          "  x ADDR [N]      N bytes of memory at linear address ADDR (default 64)\n"
          "  u [ADDR] [N]    disassemble N instructions (default 8) from ADDR (default CS:EIP)\n"
          "  i [N]           the IDT, or its entry N   gdt  the GDT   tss  the TSS\n"
          "                  (under a monitor: the guest's beside the ones the CPU uses)\n"
          "  vmm             what the monitor keeps\n"
          "  v               VMX: root or non-root operation and the current VMCS\n"
          "  b [ADDR]        a breakpoint at ADDR (without: list them)   d N  delete breakpoint N\n"
          "  q               quit (exit status 14)   h  this help\n"
          "  ADDR: a number (0x101000), a symbol of the image (main), or a register (eip, esp, ...)\n", out);
    if (s->view.ops)
        fprintf(out, "  monitor: %s\n", s->view.ops->name);
}

/* Reads one command line; 0 at the end of input. */
static int read_command(stepper_t *s, char *buf, size_t n)
{
    if (!fgets(buf, (int)n, s->in))
        return 0;
    size_t len = strlen(buf);
    if (len && buf[len - 1] != '\n') {   /* too long: drop the rest of the line */
        int ch;
        while ((ch = fgetc(s->in)) != EOF && ch != '\n')
            ;
    }
    char *p = buf;
    while (*p && isspace((unsigned char)*p))
        p++;
    len = strlen(p);
    while (len && isspace((unsigned char)p[len - 1]))
        p[--len] = 0;
    memmove(buf, p, len + 1);
    return 1;
}

/* An address: a number, a symbol of the image, or eip (linear: CS's base
 * added). 0, or -1 after saying why. */
static int parse_addr(const stepper_t *s, const char *arg, uint32_t *addr)
{
    const struct cpu *c = &s->m->cpu;
    static const char *const regs[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    if (arg[0] == '$')
        arg++;
    if (!strcmp(arg, "eip") || !strcmp(arg, ".")) {   /* the guest's, also in a monitor's code */
        hv_guest_regs_t g;
        hv_guest_regs(s->m, &g);
        *addr = g.cs.base + g.eip;
        return 0;
    }
    for (int r = 0; r < 8; r++) {   /* a register's value (esp, ebp: SS's base added) */
        if (!strcmp(arg, regs[r])) {
            *addr = c->reg[r] + (r == ESP || r == EBP ? c->seg[SEG_SS].base : c->seg[SEG_DS].base);
            return 0;
        }
    }
    if (!parse_u32(arg, addr) || !symtab_find(s->syms, arg, addr))
        return 0;
    fprintf(s->ui, "'%s' is not an address (a number such as 0x101000%s)\n", arg,
            s->syms ? ", a symbol of the image, a register" : " or a register: the image has no symbols");
    return -1;
}

/* A count argument: absent gives def; -1 after saying why. */
static int parse_count(const stepper_t *s, const char *arg, uint32_t def, uint32_t max, uint32_t *n)
{
    *n = def;
    if (!arg)
        return 0;
    if (parse_u32(arg, n) || *n == 0 || *n > max) {
        fprintf(s->ui, "'%s' is not a count from 1 to %u\n", arg, max);
        return -1;
    }
    return 0;
}

/* `c KIND`: sets s->want; -1 after saying why. */
static int parse_trap_kind(stepper_t *s, const char *k)
{
    static const struct { const char *name; unsigned want; } kinds[] = {
        { "all", W_EXC | W_IRQ | W_INT | W_RET }, { "exc", W_EXC }, { "irq", W_IRQ }, { "int", W_INT },
        { "iret", W_RET }, { "ret", W_RET }, { "exit", W_EXIT },
    };
    s->want = W_DEFAULT;
    if (!k)
        return 0;
    for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++) {
        if (!strcmp(k, kinds[j].name)) {
            s->want = kinds[j].want;
            return 0;
        }
    }
    uint32_t v;
    if (!parse_u32(k, &v) && v < 256) {
        s->want = W_VECTOR;
        s->want_vector = (int)v;
        return 0;
    }
    for (int e = 0; e <= EXC_LAST_NAMED; e++) {   /* "gp", "#gp", "#GP" */
        const char *name = exc_name(e);
        if (!strcasecmp(k, name) || (name[0] == '#' && !strcasecmp(k, name + 1))) {
            s->want = W_VECTOR;
            s->want_vector = e;
            return 0;
        }
    }
    fprintf(s->ui, "c: '%s' is no kind of trap (all, exc, irq, int, iret, exit, a vector, gp, #PF)\n", k);
    return -1;
}

static void print_break_list(const stepper_t *s)
{
    if (!s->nbreaks)
        fprintf(s->ui, "no breakpoints\n");
    for (int k = 0; k < s->nbreaks; k++) {
        char sym[96];
        symtab_format(s->syms, s->breaks[k], sym, sizeof sym);
        fprintf(s->ui, "  %d  %08x%s\n", s->break_no[k], s->breaks[k], sym);
    }
}

static void add_break(stepper_t *s, uint32_t addr)
{
    if (s->nbreaks == STEP_MAX_BREAKS) {
        fprintf(s->ui, "at most %d breakpoints\n", STEP_MAX_BREAKS);
        return;
    }
    s->breaks[s->nbreaks] = addr;
    s->break_no[s->nbreaks++] = s->next_no++;
    char sym[96];
    symtab_format(s->syms, addr, sym, sizeof sym);
    fprintf(s->ui, "breakpoint %d at %08x%s\n", s->next_no - 1, addr, sym);
}

static void delete_break(stepper_t *s, const char *arg)
{
    uint32_t no;
    if (!arg || parse_u32(arg, &no)) {
        fprintf(s->ui, "d needs a breakpoint number (b lists them)\n");
        return;
    }
    for (int k = 0; k < s->nbreaks; k++) {
        if ((uint32_t)s->break_no[k] == no) {
            memmove(&s->breaks[k], &s->breaks[k + 1], (size_t)(s->nbreaks - k - 1) * sizeof s->breaks[0]);
            memmove(&s->break_no[k], &s->break_no[k + 1], (size_t)(s->nbreaks - k - 1) * sizeof s->break_no[0]);
            s->nbreaks--;
            fprintf(s->ui, "breakpoint %u deleted\n", no);
            return;
        }
    }
    fprintf(s->ui, "no breakpoint %u (b lists them)\n", no);
}

/* One command that shows something (everything but the ones that resume
 * or quit); 0 when cmd is none of them. */
static int show_command(stepper_t *s, int argc, char **argv)
{
    const char *cmd = argv[0];
    const monitor_view_ops_t *v = s->view.ops;
    const void *mon = s->view.mon;
    const struct cpu *c = &s->m->cpu;
    FILE *ui = s->ui;
    uint32_t addr, n;
    if (!strcmp(cmd, "r") || !strcmp(cmd, "regs")) {
        show_regs(c, s->m->halted, s->syms, ui);
        if (v && v->vcpu)
            v->vcpu(mon, ui);
    } else if (!strcmp(cmd, "i") || !strcmp(cmd, "idt")) {
        uint32_t vec = 0;
        if (argc > 1 && (parse_u32(argv[1], &vec) || vec > 255)) {
            fprintf(ui, "'%s' is not a vector (0-255)\n", argv[1]);
        } else if (v && v->idt) {
            v->idt(mon, argc > 1 ? (int)vec : -1, ui);
        } else {
            show_idt(c, "the CPU's IDTR", argc > 1 ? (int)vec : -1, s->syms, ui);
        }
    } else if (!strcmp(cmd, "gdt")) {
        if (v && v->gdt)
            v->gdt(mon, ui);
        else
            show_gdt(c, "the CPU's GDTR", ui);
    } else if (!strcmp(cmd, "tss")) {
        if (v && v->tss)
            v->tss(mon, ui);
        else
            show_tss(c, "the CPU's TR", ui);
    } else if (!strcmp(cmd, "vmm") || !strcmp(cmd, "mon")) {
        if (v && v->state)
            v->state(mon, ui);
        else
            monitor_view_none(&s->view, ui);
    } else if (!strcmp(cmd, "x")) {
        if (argc < 2)
            fprintf(ui, "x needs an address (x ADDR [N])\n");
        else if (!parse_addr(s, argv[1], &addr) && !parse_count(s, argc > 2 ? argv[2] : NULL, 64, 4096, &n))
            show_mem(c, addr, n, ui);
    } else if (!strcmp(cmd, "u")) {
        parse_addr(s, ".", &addr);
        if ((argc < 2 || !parse_addr(s, argv[1], &addr)) &&
            !parse_count(s, argc > 2 ? argv[2] : NULL, 8, 256, &n))
            show_disasm(c, addr, DESC_DB(c->seg[SEG_CS].flags), (int)n, s->syms, ui);
    } else if (!strcmp(cmd, "b") || !strcmp(cmd, "break")) {
        if (argc < 2)
            print_break_list(s);
        else if (!parse_addr(s, argv[1], &addr))
            add_break(s, addr);
    } else if (!strcmp(cmd, "d") || !strcmp(cmd, "delete")) {
        delete_break(s, argc > 1 ? argv[1] : NULL);
    } else if (!strcmp(cmd, "h") || !strcmp(cmd, "?") || !strcmp(cmd, "help")) {
        help(s, ui);
    } else {
        return 0;
    }
    return 1;
}

static void step_pause(stepper_t *s, const event_t *ev, const char *why)
{
    machine_t *m = s->m;
    fflush(stdout);
    if (m->console)
        fflush(m->console);
    if (ev && !(trace_level_of(ev->kind) & s->shown_levels)) {
        char line[512];
        trace_format(ev, line, sizeof line);
        fprintf(s->ui, "%s\n", line);
    }
    if (why)
        fprintf(s->ui, "%s\n", why);
    hv_guest_regs_t at;
    hv_guest_regs(m, &at);
    s->seen = 1;
    s->seen_icount = m->cpu.icount;
    s->seen_eip = at.eip;
    s->seen_cs = at.cs.sel;
    for (;;) {
        if (s->tty) {
            if (!s->hinted) {
                help(s, s->ui);
                s->hinted = 1;
            }
            fputs("step> ", s->ui);
        }
        fflush(s->ui);
        char cmd[128];
        if (!read_command(s, cmd, sizeof cmd)) {
            /* end of input: run on to the end, as if nobody were watching */
            if (s->tty)
                fputc('\n', s->ui);
            s->mode = MODE_FREE;
            return;
        }
        char *argv[4] = { cmd, NULL, NULL, NULL };
        int argc = cmd[0] ? 1 : 0;
        for (char *p = cmd; argc && argc < 4 && (p = strpbrk(p, " \t"));) {
            *p++ = 0;
            p += strspn(p, " \t");
            if (*p)
                argv[argc++] = p;
        }
        if (!argc || !strcmp(cmd, "n") || !strcmp(cmd, "s") || !strcmp(cmd, "next")) {
            s->mode = MODE_EVENT;
            return;
        } else if (!strcmp(cmd, "c") || !strcmp(cmd, "continue") || !strcmp(cmd, "e")) {
            if (!parse_trap_kind(s, cmd[0] == 'e' ? "exit" : argc > 1 ? argv[1] : NULL)) {
                s->mode = MODE_TRAP;
                return;
            }
        } else if (!strcmp(cmd, "g") || !strcmp(cmd, "go")) {
            s->mode = MODE_RUN;
            return;
        } else if (!strcmp(cmd, "v") || !strcmp(cmd, "vmcs")) {
            vmx_print_vmcs(&m->cpu, s->ui);
        } else if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
            s->quitting = 1;
            machine_stop(m, STOP_QUIT, "quit from step mode at %04x:%08x", at.cs.sel, at.eip);
            return;
        } else if (!show_command(s, argc, argv)) {
            fprintf(s->ui, "unknown command '%s' (h: help)\n", cmd);
        }
    }
}

/* Whether `c` with s->want stops at this event. */
static int wanted_trap(const stepper_t *s, const event_t *ev)
{
    unsigned w = s->want;
    switch (ev->kind) {
    case EV_EXC:
        if (w & W_EXC)
            return 1;
        /* a #GP into a monitor is how trap-and-emulate sees a sensitive
         * instruction: it emulates it, the guest never sees it */
        if ((w & W_GUEST_EXC) && !(s->view.ops && ev->vector == EXC_GP && ev->to_ring == 0))
            return 1;
        break;
    case EV_IRQ: if (w & W_IRQ) return 1; break;
    case EV_SOFTINT: if (w & W_INT) return 1; break;
    case EV_RETURN: return (w & W_RET) != 0;
    case EV_VMM:
        return ((w & W_EXIT) && ev->action == VA_EXIT) || ((w & W_REFLECT) && ev->action == VA_REFLECT);
    case EV_VMX:
        return (w & W_EXIT) && ev->vmx_kind == VX_EXIT;
    default:
        return 0;
    }
    return (w & W_VECTOR) && ev->vector == s->want_vector;
}

static void step_emit(void *ctx, const event_t *ev)
{
    stepper_t *s = ctx;
    if (s->mode == MODE_FREE || s->quitting || ev->kind == EV_STOP)
        return;
    int trap = is_trap_event(ev->kind);
    int pause = 0;
    if (s->mode == MODE_EVENT && (trace_level_of(ev->kind) & s->pause_levels))
        pause = 1;
    else if (s->mode == MODE_TRAP && wanted_trap(s, ev))
        pause = 1;
    if (trap && s->o->break_trap)
        pause = 1;
    if (trap && ev->kind != EV_RETURN && s->o->any_vector &&
        (s->o->break_vector[ev->vector / 8] & (1u << (ev->vector % 8))))
        pause = 1;
    if (pause)
        step_pause(s, ev, NULL);
}

/* Decodes the guest's instruction at `at` (bytes outside memory read as 0). */
static void decode_at_eip(const machine_t *m, const hv_guest_regs_t *at, isa_insn_t *insn)
{
    const struct cpu *c = &m->cpu;
    uint8_t buf[ISA_MAX_LEN];
    uint32_t lin = at->cs.base + at->eip;
    for (int k = 0; k < ISA_MAX_LEN; k++) {
        uint32_t a = lin + (uint32_t)k;
        buf[k] = a < c->ram_size ? c->ram[a] : 0;
    }
    isa_decode(buf, sizeof buf, DESC_DB(at->cs.flags), insn);
}

/* A break condition at the guest's CS:EIP (hv_guest_regs(): also while
 * the CPU runs a translation of it), before the next step; writes why. */
static int break_hit(stepper_t *s, char *why, size_t n)
{
    const machine_t *m = s->m;
    const struct cpu *c = &m->cpu;
    hv_guest_regs_t at;
    hv_guest_regs(m, &at);
    if (s->seen && s->seen_icount == c->icount && s->seen_eip == at.eip && s->seen_cs == at.cs.sel)
        return 0;   /* the user already has control here */
    const char *reason = NULL;
    char rbuf[96];
    for (int k = 0; k < s->nbreaks; k++) {
        if (at.eip == s->breaks[k]) {
            int given = s->break_no[k] <= s->o->nbreaks;   /* numbered from 1: --break's first */
            const char *sym = given ? s->o->break_syms[s->break_no[k] - 1] : NULL;
            if (sym)
                snprintf(rbuf, sizeof rbuf, "--break %s", sym);
            else if (given)
                snprintf(rbuf, sizeof rbuf, "--break 0x%x", s->breaks[k]);
            else
                snprintf(rbuf, sizeof rbuf, "breakpoint %d", s->break_no[k]);
            reason = rbuf;
            break;
        }
    }
    isa_insn_t insn;
    int decoded = 0;
    if (!reason && s->o->nmnems && !m->halted) {
        decode_at_eip(m, &at, &insn);
        decoded = 1;
        const char *mn = isa_mnemonic(&insn);
        for (int k = 0; k < s->o->nmnems; k++) {
            if (strcmp(mn, s->o->mnems[k]) == 0) {
                snprintf(rbuf, sizeof rbuf, "--break-on mnemonic %s", s->o->mnems[k]);
                reason = rbuf;
                break;
            }
        }
    }
    if (!reason)
        return 0;
    if (!decoded)
        decode_at_eip(m, &at, &insn);
    char dis[96], sym[64], tc[48] = "";
    isa_disasm(&insn, at.eip, dis, sizeof dis);
    symtab_format(s->syms, at.cs.base + at.eip, sym, sizeof sym);
    if (at.eip != c->eip || at.cs.sel != c->seg[SEG_CS].sel)
        snprintf(tc, sizeof tc, "; the CPU runs its translation at %04x:%08x", c->seg[SEG_CS].sel, c->eip);
    snprintf(why, n, "%010llu r%d break %04x:%08x%s: %s  (%s%s)", (unsigned long long)c->icount, c->cpl,
             at.cs.sel, at.eip, sym, dis, reason, tc);
    return 1;
}

stop_kind_t step_run(const step_opts_t *o, machine_t *m, monitor_view_t view,
                     uint32_t text_levels, int text_on_stderr, FILE *in)
{
    stepper_t s = {
        .o = o, .m = m, .view = view, .syms = m->trace.syms, .in = in ? in : stdin, .ui = stderr,
        .pause_levels = text_levels ? text_levels : TL_TRAP,
        .shown_levels = text_on_stderr ? text_levels : 0,
        .mode = o->step ? MODE_EVENT : MODE_RUN, .want = W_DEFAULT, .next_no = 1,
    };
    for (int k = 0; k < o->nbreaks; k++) {   /* step_check_symbols() found the names */
        uint32_t a = o->breaks[k];
        if (o->break_syms[k])
            symtab_find(s.syms, o->break_syms[k], &a);
        s.breaks[s.nbreaks] = a;
        s.break_no[s.nbreaks++] = s.next_no++;
    }
    s.tty = isatty(fileno(s.in)) && isatty(STDERR_FILENO);
    /* the monitor's events too: `e` and `c exit` stop at VM exits */
    trace_sink_t sink = { s.pause_levels | TL_TRAP | TL_VMM | TL_VMX, step_emit, NULL, &s };
    int slot = m->trace.nsinks;
    trace_add_sink(&m->trace, &sink);
    char why[400];
    while (m->stop == STOP_NONE) {
        if ((s.nbreaks || o->nmnems) && s.mode != MODE_FREE && break_hit(&s, why, sizeof why)) {
            step_pause(&s, NULL, why);
            if (m->stop != STOP_NONE)
                break;
        }
        machine_step(m);
    }
    fflush(m->console);
    /* The sink points at this frame: take it out of the stream. */
    if (slot < m->trace.nsinks && m->trace.sinks[slot].ctx == &s) {
        memmove(&m->trace.sinks[slot], &m->trace.sinks[slot + 1],
                (size_t)(m->trace.nsinks - slot - 1) * sizeof m->trace.sinks[0]);
        m->trace.nsinks--;
        m->trace.levels = 0;
        for (int k = 0; k < m->trace.nsinks; k++)
            m->trace.levels |= m->trace.sinks[k].levels;
    }
    return m->stop;
}
