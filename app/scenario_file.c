/* Scenario files: the parser (app/scenario_file.h; the format is in
 * scenarios/README.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/args.h"
#include "app/scenario_file.h"
#include "cpu/trace.h"

#define SCN_MAX_CONTEXT 200
#define SCN_MAX_TAIL 1000

/* ------------------------------------------------------------------ */
/* Parsing                                                              */
/* ------------------------------------------------------------------ */

enum key {
    K_DESCRIPTION, K_IMAGE, K_CMDLINE, K_MODE, K_ISA, K_EXPOSE_PG, K_TRACE, K_MAX_INSNS,
    K_GUEST_IPS, K_MEM, K_INSNS, K_PORTS, K_MATCH, K_FROM, K_UNTIL, K_CONTEXT, K_LIMIT, K_TAIL,
    K_TIMELINE, K_QUANTUM, K_WEIGHT, K_SNAPSHOT_AT, K_MIGRATE_AT, K_MIGRATE_DIRTY, K_MIGRATE_ROUNDS, K_HIDE_CODE,
    K_COUNT
};
static const char *const key_names[K_COUNT] = {
    "description", "image", "cmdline", "mode", "isa", "expose_pg", "trace", "max_insns",
    "guest_ips", "mem", "insns", "ports", "match", "from", "until", "context", "limit", "tail",
    "timeline", "quantum", "weight", "snapshot_at", "migrate_at", "migrate_dirty", "migrate_rounds", "hide_code",
};

/* Where a key may be: before the first section (the scenario's), in a
 * [run] section, in a [vm] section. */
enum { AT_TOP = 1, AT_RUN = 2, AT_VM = 4 };
static int key_places(int k)
{
    switch (k) {
    case K_IMAGE: case K_CMDLINE: case K_MODE: case K_ISA: case K_EXPOSE_PG: case K_MAX_INSNS:
    case K_GUEST_IPS: case K_MEM:
        return AT_TOP | AT_RUN | AT_VM;
    case K_QUANTUM: return AT_TOP | AT_RUN;
    case K_WEIGHT: return AT_VM;
    default: return AT_TOP;
    }
}

typedef struct parse {
    const char *file;
    int line;
    char *err;
    size_t errlen;
} parse_t;

static int fail(parse_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parse_t *p, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->line > 0)
        snprintf(p->err, p->errlen, "%s:%d: %s", p->file, p->line, msg);
    else
        snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
    return -1;
}

static int set_str(parse_t *p, char *dst, size_t n, const char *key, const char *v)
{
    if (strlen(v) >= n)
        return fail(p, "'%s' is too long (at most %zu characters)", key, n - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

static int known_mnemonic(const char *m)
{
    for (int r = 0; r < ROW_COUNT; r++)
        if (isa_rows[r].mnem && strcmp(isa_rows[r].mnem, m) == 0)
            return 1;
    return 0;
}

/* "popf, lidt" -> ",popf,lidt," */
static int parse_insns(parse_t *p, scenario_t *s, char *v)
{
    size_t k = 0;
    s->insns[k++] = ',';
    for (char *tok = strtok(v, ","); tok; tok = strtok(NULL, ",")) {
        tok = trim(tok);
        if (!*tok)
            return fail(p, "'insns': an empty name in the list");
        if (!known_mnemonic(tok))
            return fail(p, "'insns': unknown instruction '%s'", tok);
        size_t n = strlen(tok);
        if (k + n + 2 > sizeof s->insns)
            return fail(p, "'insns': the list is too long");
        memcpy(s->insns + k, tok, n);
        k += n;
        s->insns[k++] = ',';
    }
    s->insns[k] = 0;
    if (k == 1)
        return fail(p, "'insns' needs at least one instruction name");
    return 0;
}

/* "0x20-0x21, 0x40-0x43, 0x3f8" */
static int parse_ports(parse_t *p, scenario_t *s, char *v)
{
    for (char *tok = strtok(v, ","); tok; tok = strtok(NULL, ",")) {
        tok = trim(tok);
        char *dash = strchr(tok, '-');
        uint32_t lo, hi;
        if (dash)
            *dash = 0;
        if (parse_u32(trim(tok), &lo) || parse_u32(dash ? trim(dash + 1) : trim(tok), &hi) ||
            lo > hi || hi > 0xffff)
            return fail(p, "'ports': expected port ranges like 0x20-0x21, 0x40 (got '%s%s%s')", tok,
                        dash ? "-" : "", dash ? dash + 1 : "");
        if (s->nports == SCN_MAX_PORTS)
            return fail(p, "'ports': at most %d ranges", SCN_MAX_PORTS);
        s->ports[s->nports][0] = (uint16_t)lo;
        s->ports[s->nports][1] = (uint16_t)hi;
        s->nports++;
    }
    if (!s->nports)
        return fail(p, "'ports' needs at least one port range");
    return 0;
}

/* `vm`: where the VM keys go (the scenario's own, or a section's);
 * `quantum`: where `quantum` goes. */
static int parse_value(parse_t *p, scenario_t *s, scn_vm_t *vm, uint64_t *quantum, int key, char *v)
{
    uint64_t n;
    switch (key) {
    case K_DESCRIPTION: {
        size_t used = strlen(s->description), len = strlen(v);
        if (used + len + 2 > sizeof s->description)
            return fail(p, "the description is too long (at most %zu characters)", sizeof s->description - 2);
        memcpy(s->description + used, v, len);
        s->description[used + len] = '\n';
        s->description[used + len + 1] = 0;
        return 0;
    }
    case K_IMAGE:
        if (!*v)
            return fail(p, "'image' needs a file name");
        return set_str(p, vm->image, sizeof vm->image, "image", v);
    case K_CMDLINE:
        vm->has_cmdline = 1;
        return set_str(p, vm->cmdline, sizeof vm->cmdline, "cmdline", v);
    case K_MODE:
    {
        int mon = vm_monitor_find(v);
        if (mon < 0)
            return fail(p, "'mode' is bare, vmm or one of %s (got '%s')", vm_monitor_names(), v);
        vm->monitor = (vm_monitor_t)mon;
        return 0;
    }
    case K_ISA:
        if (!isa_profile_find(v)) {
            char names[128] = "";
            for (const isa_profile_t *const *q = isa_profiles(); *q; q++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         names[0] ? ", " : "", (*q)->name);
            return fail(p, "unknown isa '%s' (%s)", v, names);
        }
        return set_str(p, vm->isa, sizeof vm->isa, "isa", v);
    case K_EXPOSE_PG:
        if (strcmp(v, "yes") && strcmp(v, "no"))
            return fail(p, "'expose_pg' is yes or no (got '%s')", v);
        vm->expose_pg = strcmp(v, "yes") == 0;
        return 0;
    case K_TRACE: {
        char *w = v;    /* "trap, vmm" -> "trap,vmm" */
        for (char *r = v; *r; r++)
            if (*r != ' ' && *r != '\t')
                *w++ = *r;
        *w = 0;
        if (!*v || trace_parse_levels(v, &s->trace_levels))
            return fail(p, "'trace' is a list of insn, trap, io, vmm, pg, all, none (got '%s')", v);
        return set_str(p, s->trace, sizeof s->trace, "trace", v);
    }
    case K_MAX_INSNS:
        if (parse_u64(v, &vm->max_insns))
            return fail(p, "'max_insns' needs a number (0: no budget)");
        return 0;
    case K_GUEST_IPS:
        if (parse_u64(v, &vm->guest_ips) || vm->guest_ips < 1000)
            return fail(p, "'guest_ips' needs a number of instructions per second (at least 1000)");
        return 0;
    case K_MEM:
        if (parse_size(v, &vm->mem) || vm->mem < (2u << 20) || vm->mem > (3ull << 30))
            return fail(p, "'mem' needs a size from 2M to 3G (e.g. 64M)");
        return 0;
    case K_INSNS:
        return parse_insns(p, s, v);
    case K_PORTS:
        return parse_ports(p, s, v);
    case K_MATCH: {
        /* "a | b | c" -> "a|b|c", each alternative trimmed */
        char buf[sizeof s->match];
        size_t k = 0;
        for (char *alt = v; alt; ) {
            char *bar = strchr(alt, '|');
            if (bar)
                *bar = 0;
            char *t = trim(alt);
            if (!*t)
                return fail(p, "'match': an empty alternative (write 'a | b | c')");
            if (k + strlen(t) + 2 > sizeof buf)
                return fail(p, "'match' is too long (at most %zu characters)", sizeof buf - 2);
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", k ? "|" : "", t);
            alt = bar ? bar + 1 : NULL;
        }
        memcpy(s->match, buf, k + 1);
        return 0;
    }
    case K_FROM:
        if (!*v)
            return fail(p, "'from' needs the text of a trace line to start at");
        return set_str(p, s->from, sizeof s->from, "from", v);
    case K_UNTIL:
        if (!*v)
            return fail(p, "'until' needs the text of a trace line to end at");
        return set_str(p, s->until, sizeof s->until, "until", v);
    case K_CONTEXT:
        if (parse_u64(v, &n) || n > SCN_MAX_CONTEXT)
            return fail(p, "'context' needs a number of lines from 0 to %d", SCN_MAX_CONTEXT);
        s->context = (uint32_t)n;
        return 0;
    case K_LIMIT:
        if (parse_u64(v, &s->limit))
            return fail(p, "'limit' needs a number of lines (0: no limit)");
        return 0;
    case K_TAIL:
        if (parse_u64(v, &n) || n > SCN_MAX_TAIL)
            return fail(p, "'tail' needs a number of lines from 0 to %d", SCN_MAX_TAIL);
        s->tail = (uint32_t)n;
        return 0;
    case K_HIDE_CODE: {
        /* "0x101fb0-0x101fcf uartputc: UART polling" */
        char *sp = v + strcspn(v, " \t"), *rest = *sp ? trim(sp + 1) : sp;
        *sp = 0;
        char *dash = strchr(v, '-');
        uint32_t lo, hi;
        if (!dash || (*dash = 0, parse_u32(trim(v), &lo)) || parse_u32(trim(dash + 1), &hi) || lo > hi || hi == 0)
            return fail(p, "'hide_code': expected an address range and what it is, like 0x101fb0-0x101fcf uart polling");
        s->hide_lo = lo;
        s->hide_hi = hi;
        return set_str(p, s->hide_what, sizeof s->hide_what, "hide_code", rest);
    }
    case K_TIMELINE:
        if (!*v)
            return fail(p, "'timeline' needs an event, e.g. 'int 0x80' or '#GP lidt'");
        return set_str(p, s->timeline, sizeof s->timeline, "timeline", v);
    case K_QUANTUM:
        if (parse_u64(v, quantum) || *quantum < 1)
            return fail(p, "'quantum' needs a number of steps (at least 1)");
        return 0;
    case K_WEIGHT:
        if (parse_u64(v, &n) || n < 1 || n > 1000)
            return fail(p, "'weight' needs a number from 1 to 1000");
        vm->weight = (unsigned)n;
        return 0;
    case K_SNAPSHOT_AT:
    case K_MIGRATE_AT:
    case K_MIGRATE_DIRTY:
    case K_MIGRATE_ROUNDS:
        if (parse_u64(v, &n) || n < (key == K_MIGRATE_ROUNDS) || n > (key == K_MIGRATE_ROUNDS ? 1000 : UINT32_MAX))
            return fail(p, "'%s' needs a number%s", key_names[key], key == K_MIGRATE_ROUNDS ? " from 1 to 1000" : "");
        *(key == K_SNAPSHOT_AT ? &s->snapshot_at : key == K_MIGRATE_AT ? &s->migrate_at
          : key == K_MIGRATE_DIRTY ? &s->migrate_dirty : &s->migrate_rounds) = n;
        return 0;
    }
    return 0;
}

/* "[run TITLE]" or "[vm NAME]": a new section; 0 or -1. */
static int parse_section(parse_t *p, scenario_t *s, char *line, scn_vm_t **vm, uint64_t **quantum)
{
    size_t n = strlen(line);
    if (line[n - 1] != ']')
        return fail(p, "a section is '[run TITLE]' or '[vm NAME]' (no closing ']')");
    line[n - 1] = 0;
    char *word = trim(line + 1);
    size_t w = strcspn(word, " \t");
    char *arg = trim(word + w);
    if (w == 3 && strncmp(word, "run", 3) == 0) {
        if (s->nruns == SCN_MAX_RUNS)
            return fail(p, "at most %d [run] sections", SCN_MAX_RUNS);
        if (s->nruns == 1 && !s->runs[0].title[0] && s->runs[0].nvms)
            return fail(p, "[run] after a [vm] outside any run: put each [vm] in a [run], or use no [run]");
        scn_run_t *r = &s->runs[s->nruns++];
        if (set_str(p, r->title, sizeof r->title, "[run] title", arg))
            return -1;
        if (!*arg)
            return fail(p, "[run] needs a title: [run TITLE]");
        r->dflt = s->vm;
        r->quantum = s->quantum;
        r->first = s->nvms;
        *vm = &r->dflt;
        *quantum = &r->quantum;
        return 0;
    }
    if (w == 2 && strncmp(word, "vm", 2) == 0) {
        size_t an = strlen(arg);
        if (!an || an >= sizeof s->vm.vm_name ||
            strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != an)
            return fail(p, "[vm NAME]: a name of letters, digits, '-' and '_' (at most %zu)", sizeof s->vm.vm_name - 1);
        if (s->nruns == 0) {   /* VMs without a [run]: one run of them */
            scn_run_t *r = &s->runs[s->nruns++];
            r->dflt = s->vm;
            r->quantum = s->quantum;
            r->first = s->nvms;
        }
        scn_run_t *r = &s->runs[s->nruns - 1];
        for (int k = r->first; k < s->nvms; k++)
            if (strcmp(s->vms[k].vm_name, arg) == 0)
                return fail(p, "two VMs named '%s' in one run", arg);
        if (s->nvms == SCN_MAX_VMS)
            return fail(p, "at most %d [vm] sections", SCN_MAX_VMS);
        scn_vm_t *v = &s->vms[s->nvms++];
        *v = r->dflt;
        memcpy(v->vm_name, arg, an + 1);
        r->nvms++;
        *vm = v;
        *quantum = NULL;
        return 0;
    }
    return fail(p, "unknown section '[%.40s]' (a section is [run TITLE] or [vm NAME])", word);
}

/* A VM of a scenario with sections, complete: 0 or -1 naming its section. */
static int check_vm(parse_t *p, const scn_vm_t *v, const char *what)
{
    if (!v->image[0])
        return fail(p, "%s has no 'image': which guest image to run", what);
    if (v->expose_pg && v->monitor != MON_TE)
        return fail(p, "%s: 'expose_pg = yes' needs 'mode = vmm' (it names what the VMM could not see)", what);
    return 0;
}

int scenario_parse_buf(const char *name, const char *text, size_t len, scenario_t *out,
                       char *err, size_t errlen)
{
    parse_t p = { name ? name : "scenario", 0, err, errlen };
    int seen[K_COUNT] = { 0 };       /* before the first section: the line of each key */
    int sec_seen[K_COUNT] = { 0 };   /* in the current section */
    int *seenp = seen;
    int place = AT_TOP;
    scn_vm_t *vm = &out->vm;
    uint64_t *quantum = &out->quantum;
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = 0;

    /* the name: the file's base name without ".scn" */
    const char *base = strrchr(p.file, '/');
    base = base ? base + 1 : p.file;
    size_t bn = strlen(base);
    if (bn > 4 && strcmp(base + bn - 4, ".scn") == 0)
        bn -= 4;
    snprintf(out->name, sizeof out->name, "%.*s", (int)(bn < sizeof out->name ? bn : sizeof out->name - 1), base);
    snprintf(out->isa, sizeof out->isa, "x86");
    snprintf(out->trace, sizeof out->trace, "trap");
    out->trace_levels = TL_TRAP;
    out->max_insns = SCN_DEFAULT_BUDGET;

    /* a UTF-8 byte-order mark, as some Windows editors write one */
    size_t pos = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (pos < len) {
        p.line++;
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        char buf[1024];
        size_t n = end - pos;
        if (n >= sizeof buf)
            return fail(&p, "line too long (at most %zu characters)", sizeof buf - 1);
        memcpy(buf, text + pos, n);
        buf[n] = 0;
        pos = end + 1;
        if (strlen(buf) != n)
            return fail(&p, "a NUL byte in the line");
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)buf[k] < 0x20 && buf[k] != '\t' && buf[k] != '\r')
                return fail(&p, "a control character (0x%02x) in the line", (unsigned char)buf[k]);
        char *line = trim(buf);
        if (!*line || *line == '#')
            continue;
        if (*line == '[') {
            if (parse_section(&p, out, line, &vm, &quantum))
                return -1;
            place = quantum ? AT_RUN : AT_VM;
            memset(sec_seen, 0, sizeof sec_seen);
            seenp = sec_seen;
            continue;
        }
        char *eq = strchr(line, '=');
        if (!eq)
            return fail(&p, "expected 'key = value' (or a '#' comment)");
        *eq = 0;
        char *key = trim(line), *val = trim(eq + 1);
        if (!*key)
            return fail(&p, "expected 'key = value': the key is missing");
        int k;
        for (k = 0; k < K_COUNT; k++)
            if (strcmp(key, key_names[k]) == 0)
                break;
        if (k == K_COUNT)
            return fail(&p, "unknown key '%.60s'", key);
        if (!(key_places(k) & place))
            return fail(&p, "'%s' %s", key, k == K_WEIGHT ? "belongs in a [vm] section"
                                                       : "belongs before the first section");
        if (k != K_DESCRIPTION && seenp[k])
            return fail(&p, "'%s' given twice (first on line %d)", key, seenp[k]);
        seenp[k] = p.line;
        if (parse_value(&p, out, vm, quantum, k, val))
            return -1;
    }
    p.line = 0;
    if (!seen[K_DESCRIPTION])
        return fail(&p, "no 'description': say what the scenario shows");
    if (!out->nruns && !seen[K_IMAGE])
        return fail(&p, "no 'image': which guest image to run");
    for (int r = 0; r < out->nruns; r++) {
        const scn_run_t *run = &out->runs[r];
        char what[200];
        snprintf(what, sizeof what, "[run %s]", run->title);
        if (!run->nvms && check_vm(&p, &run->dflt, what))
            return -1;
        for (int k = run->first; k < run->first + run->nvms; k++) {
            snprintf(what, sizeof what, "[vm %s]", out->vms[k].vm_name);
            if (check_vm(&p, &out->vms[k], what))
                return -1;
            if (out->vms[k].expose_pg)
                out->trace_levels |= TL_PG;
        }
    }
    if (out->expose_pg && out->monitor != MON_TE) {
        p.line = seen[K_EXPOSE_PG];
        return fail(&p, "'expose_pg = yes' needs 'mode = vmm' (it names what the VMM could not see)");
    }
    if (out->context && !out->from[0]) {
        p.line = seen[K_CONTEXT];
        return fail(&p, "'context' needs 'from' (the lines before which line?)");
    }
    if (out->limit && out->tail) {
        p.line = seen[K_TAIL];
        return fail(&p, "'tail' and 'limit' do not go together (the last lines, or the first?)");
    }
    if (out->insns[0])
        out->trace_levels |= TL_INSN;
    if (out->nports)
        out->trace_levels |= TL_IO;
    if (out->expose_pg)
        out->trace_levels |= TL_PG;
    return 0;
}

