/* The event stream and its text view. A text line is
 *   ICOUNT     RING KIND  details
 *   0000001234 r3   trap  int 0x80 at 00400123 via idt[0x80] -> 0008:00101a40, ring 3->0, stack 0010:0010f000
 * fixed-width, no host addresses or times, so traces diff cleanly. */
#include <string.h>
#include "cpu/names.h"
#include "cpu/symbols.h"
#include "cpu/trace.h"

const event_t event_blank;

const char *vmm_action_name(int action)
{
    static const char *const names[VA_COUNT] = {
        [VA_NONE] = "vmm", [VA_SETUP] = "setup", [VA_EXIT] = "exit", [VA_SHADOW] = "shadow",
        [VA_DEFER] = "defer", [VA_EMULATE] = "emulate", [VA_REFLECT] = "reflect",
        [VA_FORWARD] = "forward", [VA_INJECT] = "inject", [VA_HYPERCALL] = "hypercall",
    };
    return action >= 0 && action < VA_COUNT ? names[action] : "vmm";
}

static const struct { const char *name; int sdm; } exit_reasons[XR_COUNT] = {
    [XR_NONE] = { "none", -1 },
    [XR_EXCEPTION] = { "exception", 0 },
    [XR_EXTINT] = { "external interrupt", 1 },
    [XR_SOFTINT] = { "software interrupt", 0 },
    [XR_HYPERCALL] = { "hypercall", -1 },
    [XR_CPUID] = { "cpuid", 10 },
};

const char *exit_reason_name(int reason)
{
    return reason >= 0 && reason < XR_COUNT ? exit_reasons[reason].name : "?";
}

int exit_reason_sdm(int reason)
{
    return reason >= 0 && reason < XR_COUNT ? exit_reasons[reason].sdm : -1;
}

void trace_add_sink(trace_t *t, const trace_sink_t *s)
{
    if (t->nsinks >= TRACE_MAX_SINKS)
        return;
    t->sinks[t->nsinks++] = *s;
    t->kstack_wanted |= (s->levels & TL_KSTACK) != 0;
    uint32_t levels = s->levels & ~TL_TEXTLESS(0xff) & ~TL_KSTACK;
    t->levels |= levels;
    t->text_levels |= levels & ~((s->levels >> 8) & 0xffu);
}

void trace_set_textless(trace_t *t, const void *ctx, uint32_t textless)
{
    t->text_levels = 0;
    for (int k = 0; k < t->nsinks; k++) {
        trace_sink_t *s = &t->sinks[k];
        if (s->ctx == ctx)
            s->levels = (s->levels & ~TL_TEXTLESS(0xff)) | TL_TEXTLESS(textless);
        t->text_levels |= s->levels & ~TL_TEXTLESS(0xff) & ~TL_KSTACK & ~((s->levels >> 8) & 0xffu);
    }
}

void trace_emit_slow(trace_t *t, const event_t *ev)
{
    event_t named;
    if (t->syms && !ev->syms) {   /* the sinks name addresses with the image's symbols */
        named = *ev;
        named.syms = t->syms;
        ev = &named;
    }
    uint32_t level = trace_level_of(ev->kind);
    for (int k = 0; k < t->nsinks; k++)
        if (t->sinks[k].levels & level)
            t->sinks[k].emit(t->sinks[k].ctx, ev);
}

void trace_finish(trace_t *t)
{
    for (int k = 0; k < t->nsinks; k++)
        if (t->sinks[k].finish)
            t->sinks[k].finish(t->sinks[k].ctx);
}

int trace_parse_levels(const char *list, uint32_t *out)
{
    static const struct { const char *name; uint32_t bits; } names[] = {
        { "insn", TL_INSN }, { "trap", TL_TRAP }, { "io", TL_IO }, { "vmm", TL_VMM },
        { "pg", TL_PG }, { "vmx", TL_VMX }, { "dbt", TL_DBT }, { "all", TL_ALL }, { "none", 0 },
    };
    uint32_t bits = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = 0;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            if (strlen(names[k].name) == n && strncmp(p, names[k].name, n) == 0) {
                bits |= names[k].bits;
                found = 1;
            }
        }
        if (!found)
            return -1;
        p += n;
        if (*p == ',')
            p++;
    }
    *out = bits;
    return 0;
}

/* "via idt[0x80] -> 0008:00101a40 <vector128>, ring 3->0, stack 0010:0010f000"
 * (the handler named when the image has a symbol there) */
static int format_delivery(const event_t *ev, char *b, size_t n)
{
    char sym[80];
    symtab_format(ev->syms, ev->target, sym, sizeof sym);
    int k = snprintf(b, n, " via idt[0x%02x] -> %04x:%08x%s, ring %d->%d", ev->vector, ev->cs,
                     ev->target, sym, ev->ring, ev->to_ring);
    if (ev->to_ring != ev->ring && k >= 0 && (size_t)k < n)
        k += snprintf(b + k, n - (size_t)k, ", stack %04x:%08x", ev->ss, ev->esp);
    return k;
}

/* The insn line by hand, being most of a full trace: the bytes
 * "%010llu r%d insn  %08x: %s" gives, for the usual icount and ring; the
 * disassembly is the event's cached text when it has one. Returns the
 * length, or -1 when it is not the usual case or does not fit. */
static int format_insn(const event_t *ev, char *buf, size_t size)
{
    static const char hex[16] = "0123456789abcdef";
    char d[160];
    const char *text = ev->text;
    if (ev->icount >= 10000000000ull || ev->ring > 9)
        return -1;
    if (!text) {
        isa_disasm(ev->insn, ev->eip, d, sizeof d);
        text = d;
    }
    size_t n = strlen(text);
    if (n + 31 > size)
        return -1;
    char *p = buf;
    uint64_t v = ev->icount;
    for (int k = 9; k >= 0; k--, v /= 10)
        p[k] = (char)('0' + v % 10);
    memcpy(p + 10, " r0 insn  ", 10);
    p[12] = (char)('0' + ev->ring);
    p += 20;
    for (int k = 7; k >= 0; k--)
        *p++ = hex[(ev->eip >> (4 * k)) & 15];
    *p++ = ':';
    *p++ = ' ';
    memcpy(p, text, n + 1);
    return (int)(p - buf + n);
}

static int format_plain(const event_t *ev, char *buf, size_t size)
{
    char d[160];
    if (ev->kind == EV_INSN) {
        int n = format_insn(ev, buf, size);
        if (n >= 0)
            return n;
    }
    int k = snprintf(buf, size, "%010llu r%d ", (unsigned long long)ev->icount, ev->ring);
    if (k < 0 || (size_t)k >= size)
        return k;
    char *b = buf + k;
    size_t n = size - (size_t)k;
    switch (ev->kind) {
    case EV_INSN:
        if (!ev->text)
            isa_disasm(ev->insn, ev->eip, d, sizeof d);
        k += snprintf(b, n, "insn  %08x: %s", ev->eip, ev->text ? ev->text : d);
        break;
    case EV_EXC: {
        const char *name = exc_name(ev->vector);
        format_delivery(ev, d, sizeof d);
        if (ev->has_error)
            k += snprintf(b, n, "trap  %s(0x%04x) at %08x%s", name, ev->error, ev->eip, d);
        else
            k += snprintf(b, n, "trap  %s at %08x%s", name, ev->eip, d);
        break;
    }
    case EV_IRQ:   /* an interrupt a VMX VM entry injects has no IRQ line */
        format_delivery(ev, d, sizeof d);
        if (ev->irq < 0)
            k += snprintf(b, n, "trap  interrupt 0x%02x at %08x%s", ev->vector, ev->eip, d);
        else
            k += snprintf(b, n, "trap  IRQ%d at %08x%s", ev->irq, ev->eip, d);
        break;
    case EV_SOFTINT:
        format_delivery(ev, d, sizeof d);
        k += snprintf(b, n, "trap  int 0x%02x at %08x%s", ev->vector, ev->eip, d);
        break;
    case EV_RETURN:
        symtab_format(ev->syms, ev->target, d, sizeof d);
        k += snprintf(b, n, "trap  %s at %08x -> %04x:%08x%s, ring %d->%d, stack %04x:%08x",
                      ev->text ? ev->text : "return", ev->eip, ev->cs, ev->target, d, ev->ring,
                      ev->to_ring, ev->ss, ev->esp);
        break;
    case EV_IO: {
        int w = 2 * ev->size;
        if (ev->is_write)
            k += snprintf(b, n, "io    out 0x%04x <- 0x%0*x", ev->port, w, ev->value);
        else
            k += snprintf(b, n, "io    in  0x%04x -> 0x%0*x", ev->port, w, ev->value);
        break;
    }
    case EV_VMM:
        k += snprintf(b, n, "vmm   %s: %s", vmm_action_name(ev->action), ev->text);
        break;
    case EV_PG:
        k += snprintf(b, n, "pg    %s", ev->text);
        break;
    case EV_VMX:
        k += snprintf(b, n, "vmx   %s: %s", ev->vmx_kind == VX_EXIT ? "exit" : ev->vmx_kind == VX_VMFAIL ? "vmfail" : "entry", ev->text);
        break;
    case EV_DBT:
        k += snprintf(b, n, "dbt   %s", ev->text);
        break;
    case EV_STOP:
        k += snprintf(b, n, "stop  %s", ev->text);
        break;
    case EV_CONSOLE:
        k += snprintf(b, n, "out   0x%02x", ev->value);
        break;
    }
    return k;
}

int trace_vm_prefix(const event_t *ev, char *buf, size_t size)
{
    if (!ev->vm || size == 0) {
        if (size)
            buf[0] = 0;
        return 0;
    }
    int k = snprintf(buf, size, "[%s] ", ev->vm);
    return k < 0 ? 0 : (size_t)k >= size ? (int)size - 1 : k;
}

int trace_format(const event_t *ev, char *buf, size_t size)
{
    int k = trace_vm_prefix(ev, buf, size);
    int n = format_plain(ev, buf + k, size - (size_t)k);
    return n < 0 ? n : k + n;
}

int trace_actor(const event_t *ev)
{
    switch (ev->kind) {
    case EV_VMM: return ACTOR_VMM;
    case EV_PG: return ACTOR_PG;
    case EV_VMX: return ACTOR_VMX;
    case EV_CONSOLE: return ACTOR_CONSOLE;
    default: return ev->ring & 3;
    }
}

const char *trace_actor_color(int actor)
{
    static const char *const color[ACTOR_COUNT] = {
        "\033[31m", "\033[33m", "\033[35m", "\033[32m",   /* rings 0-3: red, yellow, magenta, green */
        [ACTOR_VMM] = "\033[1;36m",                          /* the monitor: bold cyan */
        [ACTOR_PG] = "\033[1;31m",                           /* a PG violation: bold red */
        [ACTOR_VMX] = "\033[1;34m",                          /* the CPU's VMX: bold blue */
        [ACTOR_CONSOLE] = "\033[1m",                         /* the guest's console: bold */
    };
    return actor >= 0 && actor < ACTOR_COUNT ? color[actor] : "";
}

void text_sink_emit(void *ctx, const event_t *ev)
{
    text_sink_t *s = ctx;
    char line[512];
    int n = trace_format(ev, line, sizeof line);
    if (s->color) {
        fprintf(s->out, "%s%s\033[0m\n", trace_actor_color(trace_actor(ev)), line);
    } else if (n >= 0 && (size_t)n < sizeof line - 1) {   /* not cut short: room for the newline */
        line[n] = '\n';
        fwrite(line, 1, (size_t)n + 1, s->out);
    } else {
        fprintf(s->out, "%s\n", line);
    }
}

void summary_row(FILE *out, const char *label, uint64_t n, const char *detail)
{
    fprintf(out, "  %-34s %12llu%s%s%s\n", label, (unsigned long long)n,
            detail[0] ? "  (" : "", detail, detail[0] ? ")" : "");
}
