/* Step mode (app/step.h). The stepper is a trace sink plus a loop around
 * machine_step(): the sink pauses after the events it is told to, the loop
 * checks the break conditions before each step. Pausing reads commands from
 * a stream and only ever reads the machine, except `q`, which stops it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/args.h"
#include "app/step.h"
#include "cpu/names.h"
#include "cpu/vmx.h"
#include "isa/access.h"

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
        uint32_t addr;
        if (r < 0 || parse_u32(v, &addr)) {
            errorf("--break needs an address (e.g. 0x1006e0)");
            return -1;
        }
        if (o->nbreaks >= STEP_MAX_BREAKS) {
            errorf("--break: at most %d addresses", STEP_MAX_BREAKS);
            return -1;
        }
        o->breaks[o->nbreaks++] = addr;
        return 1;
    }
    return 0;
}

int step_opts_active(const step_opts_t *o)
{
    return o->step || o->nbreaks || o->break_trap || o->any_vector || o->nmnems;
}

/* ---- reading the machine without touching it ---- */

static int ram_read32(const struct cpu *c, uint32_t a, uint32_t *v)
{
    if (a >= c->ram_size || c->ram_size - a < 4)
        return -1;
    memcpy(v, c->ram + a, 4);
    return 0;
}

/* Decodes the instruction at CS:EIP (bytes outside RAM read as 0). */
static int decode_at_eip(const machine_t *m, isa_insn_t *insn)
{
    const struct cpu *c = &m->cpu;
    uint8_t buf[ISA_MAX_LEN];
    uint32_t lin = c->seg[SEG_CS].base + c->eip;
    for (int k = 0; k < ISA_MAX_LEN; k++) {
        uint32_t a = lin + (uint32_t)k;
        buf[k] = a < c->ram_size ? c->ram[a] : 0;
    }
    return isa_decode(buf, sizeof buf, DESC_DB(c->seg[SEG_CS].flags), insn);
}

static void print_flags(uint32_t fl, FILE *out)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        { FL_CF, "CF" }, { FL_PF, "PF" }, { FL_AF, "AF" }, { FL_ZF, "ZF" }, { FL_SF, "SF" },
        { FL_TF, "TF" }, { FL_IF, "IF" }, { FL_DF, "DF" }, { FL_OF, "OF" }, { FL_NT, "NT" },
        { FL_RF, "RF" }, { FL_VM, "VM" }, { FL_AC, "AC" }, { FL_VIF, "VIF" }, { FL_VIP, "VIP" },
        { FL_ID, "ID" },
    };
    fputc('[', out);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (fl & names[k].bit)
            fprintf(out, " %s", names[k].name);
    fprintf(out, " ] iopl=%u", IOPL_OF(fl));
}

static void print_seg(const char *name, const seg_cache_t *s, FILE *out)
{
    fprintf(out, "  %-4s %04x", name, s->sel);
    if (!s->usable) {
        fprintf(out, "  (null: unusable)\n");
        return;
    }
    fprintf(out, "  base=%08x limit=%08x dpl=%d", s->base, s->limit, DESC_DPL(s->access));
    uint8_t a = s->access;
    if (!DESC_S(a)) {
        static const char *const sys[16] = {
            [1] = "tss16", [2] = "ldt", [3] = "tss16 busy", [9] = "tss32", [11] = "tss32 busy",
        };
        fprintf(out, " %s", sys[DESC_TYPE(a)] ? sys[DESC_TYPE(a)] : "system");
    } else if (DESC_CODE(a)) {
        fprintf(out, " code %s%s %d-bit", DESC_READABLE(a) ? "r-x" : "--x",
                DESC_CONFORMING(a) ? " conforming" : "", DESC_DB(s->flags) ? 32 : 16);
    } else {
        fprintf(out, " data %s%s %d-bit", DESC_WRITABLE(a) ? "rw-" : "r--",
                DESC_EXPDOWN(a) ? " expand-down" : "", DESC_DB(s->flags) ? 32 : 16);
    }
    if (!DESC_P(a))
        fprintf(out, " not-present");
    fputc('\n', out);
}

void step_print_regs(const machine_t *m, FILE *out)
{
    static const char *const segname[6] = { "es", "cs", "ss", "ds", "fs", "gs" };
    static const int segorder[6] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
    const struct cpu *c = &m->cpu;
    fprintf(out, "registers at icount %llu:\n", (unsigned long long)c->icount);
    fprintf(out, "  eax=%08x ecx=%08x edx=%08x ebx=%08x\n", c->reg[EAX], c->reg[ECX], c->reg[EDX], c->reg[EBX]);
    fprintf(out, "  esp=%08x ebp=%08x esi=%08x edi=%08x\n", c->reg[ESP], c->reg[EBP], c->reg[ESI], c->reg[EDI]);
    fprintf(out, "  eip=%08x eflags=%08x ", c->eip, c->eflags);
    print_flags(c->eflags, out);
    fprintf(out, "  cpl=%d%s\n", c->cpl, m->halted ? "  (halted: waiting for an interrupt)" : "");
    for (int k = 0; k < 6; k++)
        print_seg(segname[segorder[k]], &c->seg[segorder[k]], out);
    fprintf(out, "  cr0=%08x [", c->cr0);
    static const struct { uint32_t bit; const char *name; } cr0[] = {
        { CR0_PE, "PE" }, { CR0_MP, "MP" }, { CR0_EM, "EM" }, { CR0_TS, "TS" }, { CR0_ET, "ET" },
        { CR0_NE, "NE" }, { CR0_WP, "WP" }, { CR0_AM, "AM" }, { CR0_NW, "NW" }, { CR0_CD, "CD" },
        { CR0_PG, "PG" },
    };
    for (size_t k = 0; k < sizeof cr0 / sizeof cr0[0]; k++)
        if (c->cr0 & cr0[k].bit)
            fprintf(out, " %s", cr0[k].name);
    fprintf(out, " ] cr2=%08x cr3=%08x cr4=%08x [", c->cr2, c->cr3, c->cr4);
    if (c->cr4 & CR4_TSD) fputs(" TSD", out);
    if (c->cr4 & CR4_DE) fputs(" DE", out);
    if (c->cr4 & CR4_UMIP) fputs(" UMIP", out);
    if (c->cr4 & CR4_VMXE) fputs(" VMXE", out);
    fputs(" ]\n", out);
    fprintf(out, "  gdtr base=%08x limit=%04x   idtr base=%08x limit=%04x\n",
            c->gdtr.base, c->gdtr.limit, c->idtr.base, c->idtr.limit);
    print_seg("tr", &c->tr, out);
    print_seg("ldtr", &c->ldtr, out);
    if (c->vmx.on)
        fprintf(out, "  vmx  %s operation (v: the VMCS)\n", c->vmx.nonroot ? "non-root" : "root");
}

void step_print_idt(const machine_t *m, FILE *out)
{
    const struct cpu *c = &m->cpu;
    uint32_t n = ((uint32_t)c->idtr.limit + 1) / 8;
    if (n > 256)
        n = 256;
    fprintf(out, "IDT (the CPU's IDTR): base=%08x limit=%04x, %u gate%s\n", c->idtr.base,
            c->idtr.limit, n, n == 1 ? "" : "s");
    if (c->idtr.limit == 0) {
        fprintf(out, "  (empty: no LIDT yet, any event would triple-fault)\n");
        return;
    }
    int absent = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t lo, hi;
        uint32_t a = c->idtr.base + v * 8;
        if (ram_read32(c, a, &lo) || ram_read32(c, a + 4, &hi)) {
            fprintf(out, "  0x%02x  (outside RAM at %08x)\n", v, a);
            continue;
        }
        uint8_t acc = (uint8_t)(hi >> 8);
        if (!DESC_P(acc)) {
            absent++;
            continue;
        }
        const char *type;
        switch (DESC_S(acc) ? -1 : DESC_TYPE(acc)) {
        case 5: type = "task"; break;
        case 6: type = "int16"; break;
        case 7: type = "trap16"; break;
        case 14: type = "int32"; break;
        case 15: type = "trap32"; break;
        default: type = "invalid"; break;
        }
        const char *name = v <= EXC_LAST_NAMED ? exc_name((int)v) : "";
        fprintf(out, "  0x%02x  %-7s %04x:%08x dpl=%d%s%s\n", v, type, (unsigned)(lo >> 16),
                (lo & 0xffff) | (hi & 0xffff0000u), DESC_DPL(acc), name[0] ? "  " : "", name);
    }
    if (absent)
        fprintf(out, "  (%d gate%s not present)\n", absent, absent == 1 ? "" : "s");
}

/* ---- the stepper ---- */

enum { MODE_EVENT, MODE_TRAP, MODE_RUN, MODE_FREE };

typedef struct stepper {
    const step_opts_t *o;
    machine_t *m;
    const vmm_t *vmm;
    uint32_t pause_levels;   /* the levels Enter steps through */
    uint32_t shown_levels;   /* the levels whose lines already went to stderr */
    FILE *in, *ui;
    int tty, hinted, mode, quitting;
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

static void help(FILE *out)
{
    fputs("step commands: Enter next event | c run to the next trap | g run to the next break\n"
          "  r registers | i IDT | v VMCS | q quit | h this help\n", out);
}

static void print_idts(stepper_t *s)
{
    /* Under --vmm: the guest's own IDT beside the VMM's shadow IDT. */
    if (s->vmm) {
        vmm_print_idts(s->vmm, s->ui);
        return;
    }
    step_print_idt(s->m, s->ui);
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
    s->seen = 1;
    s->seen_icount = m->cpu.icount;
    s->seen_eip = m->cpu.eip;
    s->seen_cs = m->cpu.seg[SEG_CS].sel;
    for (;;) {
        if (s->tty) {
            if (!s->hinted) {
                help(s->ui);
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
        if (!cmd[0] || !strcmp(cmd, "n") || !strcmp(cmd, "s") || !strcmp(cmd, "next")) {
            s->mode = MODE_EVENT;
            return;
        } else if (!strcmp(cmd, "c") || !strcmp(cmd, "continue")) {
            s->mode = MODE_TRAP;
            return;
        } else if (!strcmp(cmd, "g") || !strcmp(cmd, "go")) {
            s->mode = MODE_RUN;
            return;
        } else if (!strcmp(cmd, "r") || !strcmp(cmd, "regs")) {
            step_print_regs(m, s->ui);
        } else if (!strcmp(cmd, "i") || !strcmp(cmd, "idt")) {
            print_idts(s);
        } else if (!strcmp(cmd, "v") || !strcmp(cmd, "vmcs")) {
            vmx_print_vmcs(&m->cpu, s->ui);
        } else if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
            s->quitting = 1;
            machine_stop(m, STOP_QUIT, "quit from step mode at %04x:%08x", m->cpu.seg[SEG_CS].sel,
                         m->cpu.eip);
            return;
        } else if (!strcmp(cmd, "h") || !strcmp(cmd, "?") || !strcmp(cmd, "help")) {
            help(s->ui);
        } else {
            fprintf(s->ui, "unknown command '%s' (h: help)\n", cmd);
        }
    }
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
    else if (s->mode == MODE_TRAP && trap)
        pause = 1;
    if (trap && s->o->break_trap)
        pause = 1;
    if (trap && ev->kind != EV_RETURN && s->o->any_vector &&
        (s->o->break_vector[ev->vector / 8] & (1u << (ev->vector % 8))))
        pause = 1;
    if (pause)
        step_pause(s, ev, NULL);
}

/* A break condition at CS:EIP, before the next step; writes why. */
static int break_hit(stepper_t *s, char *why, size_t n)
{
    const machine_t *m = s->m;
    const struct cpu *c = &m->cpu;
    if (s->seen && s->seen_icount == c->icount && s->seen_eip == c->eip &&
        s->seen_cs == c->seg[SEG_CS].sel)
        return 0;   /* the user already has control here */
    const char *reason = NULL;
    char rbuf[48];
    for (int k = 0; k < s->o->nbreaks; k++) {
        if (c->eip == s->o->breaks[k]) {
            snprintf(rbuf, sizeof rbuf, "--break 0x%x", s->o->breaks[k]);
            reason = rbuf;
            break;
        }
    }
    isa_insn_t insn;
    int decoded = 0;
    if (!reason && s->o->nmnems && !m->halted) {
        decode_at_eip(m, &insn);
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
        decode_at_eip(m, &insn);
    char dis[96];
    isa_disasm(&insn, c->eip, dis, sizeof dis);
    snprintf(why, n, "%010llu r%d break %04x:%08x: %s  (%s)", (unsigned long long)c->icount, c->cpl,
             c->seg[SEG_CS].sel, c->eip, dis, reason);
    return 1;
}

stop_kind_t step_run(const step_opts_t *o, machine_t *m, const vmm_t *vmm,
                     uint32_t text_levels, int text_on_stderr, FILE *in)
{
    stepper_t s = {
        .o = o, .m = m, .vmm = vmm, .in = in ? in : stdin, .ui = stderr,
        .pause_levels = text_levels ? text_levels : TL_TRAP,
        .shown_levels = text_on_stderr ? text_levels : 0,
        .mode = o->step ? MODE_EVENT : MODE_RUN,
    };
    s.tty = isatty(fileno(s.in)) && isatty(STDERR_FILENO);
    trace_sink_t sink = { s.pause_levels | TL_TRAP, step_emit, NULL, &s };
    int slot = m->trace.nsinks;
    trace_add_sink(&m->trace, &sink);
    int check = o->nbreaks || o->nmnems;
    char why[256];
    while (m->stop == STOP_NONE) {
        if (check && s.mode != MODE_FREE && break_hit(&s, why, sizeof why)) {
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
