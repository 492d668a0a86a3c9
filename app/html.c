/* The classroom view (app/html.h): the sink keeps the first HTML_MAX_MARKS
 * events with their trace lines; the page is the data as one JSON object
 * plus the view's script and style (app/html_view.js, app/html_view.css,
 * built in by app/html_assets.c). Which lane an event is on is decided when
 * the page is written: ring 0 is the VMM only in a VM where a monitor spoke
 * (an EV_VMM event), the guest kernel otherwise. Ring 3 has a lane per
 * process: the marks that concern ring 3 are grouped by the kernel stack
 * the machine stamped on them (event_t.kstack), in order of first
 * appearance. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/args.h"
#include "app/html.h"
#include "cpu/symbols.h"

extern const char html_view_js[], html_view_css[];

#define HTML_MAX_VMS 16
#define HTML_MAX_PG 200      /* PG violations listed in the summary */
#define HTML_SYM_LEN 64

typedef struct mark {
    uint64_t t;
    uint8_t vm, kind, ring, to_ring, action;
    int16_t proc;                   /* its process (vm_info_t.procs) when ring 3 is concerned, else -1 */
    char *line;
} mark_t;

/* A process of a VM: its key and the first two functions it ran in ring 3
 * (the first, and the first other one), by the image's symbols. */
typedef struct proc_info {
    uint32_t kstack;
    char first[HTML_SYM_LEN], then[HTML_SYM_LEN];
    int entered;            /* it entered ring 3 at the very start of `first`: a return to its first byte */
} proc_info_t;

typedef struct vm_info {
    char name[64];
    int has_vmm, has_vmx;
    uint64_t count[EV_VMX + 1];     /* every event of each kind, shown or not */
    uint64_t hidden[EV_VMX + 1];    /* beyond HTML_MAX_MARKS */
    uint64_t exits[XR_COUNT];
    uint64_t last_t;
    size_t shown;                   /* its marks */
    char stop[256];
    proc_info_t procs[HTML_MAX_PROCS];  /* in order of first appearance */
    int nprocs;
    int procs_more;                 /* more processes than HTML_MAX_PROCS: the last lane takes them too */
} vm_info_t;

struct html {
    mark_t *marks;
    size_t n, cap;
    vm_info_t vms[HTML_MAX_VMS];
    int nvms;
    char *pg[HTML_MAX_PG];
    size_t npg, pg_total;
};

html_t *html_new(void)
{
    return calloc(1, sizeof(html_t));
}

void html_free(html_t *h)
{
    if (!h)
        return;
    for (size_t k = 0; k < h->n; k++)
        free(h->marks[k].line);
    for (size_t k = 0; k < h->npg; k++)
        free(h->pg[k]);
    free(h->marks);
    free(h);
}

static int vm_index(html_t *h, const char *name)
{
    const char *n = name ? name : "";
    for (int k = 0; k < h->nvms; k++)
        if (strcmp(h->vms[k].name, n) == 0)
            return k;
    if (h->nvms == HTML_MAX_VMS)
        return HTML_MAX_VMS - 1;
    snprintf(h->vms[h->nvms].name, sizeof h->vms[h->nvms].name, "%s", n);
    return h->nvms++;
}

/* The process a mark concerns (-1: none): the one a trap or an interrupt
 * left ring 3 from, a return went to, or a PG violation or the stop was in
 * (mark_lanes() puts all but the interrupt on its lane), recorded on its
 * first appearance, with the function of its ring-3 address. */
static int proc_of(vm_info_t *vi, const event_t *ev)
{
    uint32_t addr;
    int transfer = ev->kind == EV_EXC || ev->kind == EV_SOFTINT || ev->kind == EV_RETURN;
    if (ev->ring == 3 && (transfer || ev->kind == EV_IRQ || ev->kind == EV_PG || ev->kind == EV_STOP))
        addr = ev->eip;
    else if (ev->to_ring == 3 && transfer)
        addr = ev->target;
    else if (ev->to_ring == 3 && ev->kind == EV_VMM)   /* the VMM resumes a process (an emulated IRET, ...) */
        addr = ev->eip;
    else
        return -1;
    int p = 0;
    while (p < vi->nprocs && vi->procs[p].kstack != ev->kstack)
        p++;
    if (p == vi->nprocs) {
        if (p == HTML_MAX_PROCS) {
            vi->procs_more = 1;
            return HTML_MAX_PROCS - 1;
        }
        vi->procs[vi->nprocs++] = (proc_info_t){ .kstack = ev->kstack };
    }
    proc_info_t *pi = &vi->procs[p];
    uint32_t off;
    const char *sym = symtab_lookup(ev->syms, addr, &off);
    if (sym && !pi->first[0]) {
        snprintf(pi->first, sizeof pi->first, "%s", sym);
        pi->entered = ev->kind == EV_RETURN && ev->ring != 3 && off == 0;
    } else if (sym && !pi->then[0] && strncmp(sym, pi->first, sizeof pi->first - 1) != 0)
        snprintf(pi->then, sizeof pi->then, "%s", sym);
    return p;
}

void html_emit(void *ctx, const event_t *ev)
{
    html_t *h = ctx;
    if (ev->kind == EV_INSN || ev->kind == EV_CONSOLE)
        return;
    int v = vm_index(h, ev->vm);
    vm_info_t *vi = &h->vms[v];
    vi->count[ev->kind]++;
    vi->last_t = ev->icount;
    if (ev->kind == EV_VMM) {
        vi->has_vmm = 1;
        if (ev->action == VA_EXIT && ev->exit_reason < XR_COUNT)
            vi->exits[ev->exit_reason]++;
    }
    if (ev->kind == EV_VMX)
        vi->has_vmx = 1;
    if (ev->kind == EV_STOP)
        snprintf(vi->stop, sizeof vi->stop, "%s", ev->text ? ev->text : "");
    char line[512];
    int p = trace_vm_prefix(ev, line, sizeof line);
    trace_format(ev, line + p, sizeof line - (size_t)p);
    if (ev->kind == EV_PG) {
        h->pg_total++;
        if (h->npg < HTML_MAX_PG && (h->pg[h->npg] = strdup(line)))
            h->npg++;
    }
    if (vi->shown >= HTML_MAX_MARKS) {
        vi->hidden[ev->kind]++;
        return;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 256;
        mark_t *m = realloc(h->marks, cap * sizeof *m);
        if (!m) {
            vi->hidden[ev->kind]++;
            return;
        }
        h->marks = m;
        h->cap = cap;
    }
    char *copy = strdup(line);
    if (!copy) {
        vi->hidden[ev->kind]++;
        return;
    }
    vi->shown++;
    h->marks[h->n++] = (mark_t){ ev->icount, (uint8_t)v, (uint8_t)ev->kind, ev->ring & 3, ev->to_ring & 3,
                                 ev->action, (int16_t)proc_of(vi, ev), copy };
}

/* ---- the page ---- */

/* A JSON string that is also safe inside <script>: '<' as \u003c. */
static void put_json(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Text as HTML element content. */
static void put_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        default: fputc(*s, out);
        }
    }
}

enum { LANE_PROC, LANE_KERNEL, LANE_VMM, LANE_DEV };

static int lane_of_ring(const vm_info_t *vi, int ring)
{
    return ring == 3 ? LANE_PROC : ring == 0 && vi->has_vmm ? LANE_VMM : LANE_KERNEL;
}

/* The lane of the actor that made the event, and where control went
 * (-1: nowhere else). */
static void mark_lanes(const vm_info_t *vi, const mark_t *m, int *lane, int *to)
{
    *to = -1;
    switch (m->kind) {
    case EV_IRQ:
        *lane = LANE_DEV;
        *to = lane_of_ring(vi, m->to_ring);
        break;
    case EV_IO:
        *lane = LANE_DEV;
        break;
    case EV_VMM:
        *lane = LANE_VMM;
        if (m->to_ring == 3)   /* it resumes a process: a line to its lane */
            *to = LANE_PROC;
        break;
    case EV_VMX:
        *lane = LANE_VMM;
        break;
    case EV_EXC: case EV_SOFTINT: case EV_RETURN:
        *lane = lane_of_ring(vi, m->ring);
        *to = lane_of_ring(vi, m->to_ring);
        if (*to == *lane)
            *to = -1;
        break;
    default:
        *lane = lane_of_ring(vi, m->ring);
    }
}

static const char *const kind_key[EV_VMX + 1] = {
    [EV_INSN] = "insn", [EV_EXC] = "exc", [EV_IRQ] = "irq", [EV_SOFTINT] = "softint",
    [EV_RETURN] = "return", [EV_IO] = "io", [EV_VMM] = "vmm", [EV_PG] = "pg",
    [EV_CONSOLE] = "console", [EV_STOP] = "stop", [EV_VMX] = "vmx",
};

static void put_counts(FILE *out, const uint64_t *c)
{
    fputc('{', out);
    int first = 1;
    for (int k = 0; k <= EV_VMX; k++)
        if (c[k]) {
            fprintf(out, "%s\"%s\":%llu", first ? "" : ",", kind_key[k], (unsigned long long)c[k]);
            first = 0;
        }
    fputc('}', out);
}

/* The function a process's lane is labelled with: the first one it ran in
 * ring 3, unless every process of its VM entered ring 3 at the start of
 * that one (an entry they all share, as guestos's ustart): then the first
 * other one it ran. */
static const char *proc_symbol(const vm_info_t *vi, int p)
{
    const proc_info_t *pi = &vi->procs[p];
    for (int k = 0; k < vi->nprocs; k++)
        if (!vi->procs[k].entered || strcmp(vi->procs[k].first, pi->first) != 0)
            return pi->first;
    return pi->then[0] ? pi->then : pi->first;
}

static void put_data(const html_t *h, FILE *out, const char *title, const char *graph_note)
{
    fputs("{\"title\":", out);
    put_json(out, title);
    fputs(",\"graphNote\":", out);
    put_json(out, graph_note);
    fprintf(out, ",\"maxMarks\":%d,\"pgTotal\":%zu,\"vms\":[", HTML_MAX_MARKS, h->pg_total);
    for (int v = 0; v < h->nvms; v++) {
        const vm_info_t *vi = &h->vms[v];
        fprintf(out, "%s{\"name\":", v ? "," : "");
        put_json(out, vi->name);
        fprintf(out, ",\"vmm\":%d,\"vmx\":%d,\"end\":%llu,\"stop\":", vi->has_vmm, vi->has_vmx,
                (unsigned long long)vi->last_t);
        put_json(out, vi->stop);
        fputs(",\"count\":", out);
        put_counts(out, vi->count);
        fputs(",\"hidden\":", out);
        put_counts(out, vi->hidden);
        fputs(",\"exits\":{", out);
        int first = 1;
        for (int r = 1; r < XR_COUNT; r++)
            if (vi->exits[r]) {
                fprintf(out, "%s", first ? "" : ",");
                put_json(out, exit_reason_name(r));
                fprintf(out, ":%llu", (unsigned long long)vi->exits[r]);
                first = 0;
            }
        fprintf(out, "},\"procsMore\":%d,\"procs\":[", vi->procs_more);
        for (int p = 0; p < vi->nprocs; p++) {
            fprintf(out, "%s{\"kstack\":%lu,\"sym\":", p ? "," : "", (unsigned long)vi->procs[p].kstack);
            put_json(out, proc_symbol(vi, p));
            fputs(",\"first\":", out);
            put_json(out, vi->procs[p].first);
            fputc('}', out);
        }
        fputs("]}", out);
    }
    fputs("],\"pg\":[", out);
    for (size_t k = 0; k < h->npg; k++) {
        if (k)
            fputc(',', out);
        put_json(out, h->pg[k]);
    }
    /* events: [time, vm, lane, to-lane, kind, action, line, process (of the lane or to-lane that is ring 3; -1: none)] */
    fputs("],\"ev\":[", out);
    for (size_t k = 0; k < h->n; k++) {
        const mark_t *m = &h->marks[k];
        int lane, to;
        mark_lanes(&h->vms[m->vm], m, &lane, &to);
        fprintf(out, "%s\n[%llu,%d,%d,%d,\"%s\",", k ? "," : "", (unsigned long long)m->t, m->vm, lane, to,
                kind_key[m->kind]);
        put_json(out, m->kind == EV_VMM ? vmm_action_name(m->action < VA_COUNT ? m->action : VA_NONE) : "");
        fputc(',', out);
        put_json(out, m->line);
        fprintf(out, ",%d]", m->proc);
    }
    fputs("]}", out);
}

/* The trap-flow graph as inline SVG (Graphviz), or a note why not; *note
 * says which. Returns malloc'ed text or NULL. */
static char *graph_svg(const dot_t *dot, const char *title, const char **note)
{
    *note = "";
    if (!dot) {
        *note = "no trap-flow graph for this run";
        return NULL;
    }
    char *text = NULL, *svg = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return NULL;
    dot_write_graph(dot, mem, title);
    fclose(mem);
    char tmp[] = "/tmp/trapsim-html-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) {
        *note = "the trap-flow graph is missing: no temporary file for Graphviz";
        free(text);
        return NULL;
    }
    close(fd);
    char err[512];
    if (dot_render_svg(text, len, tmp, err, sizeof err)) {
        *note = "the trap-flow graph is missing: Graphviz's dot is not installed (apt-get install graphviz)";
    } else {
        FILE *f = fopen(tmp, "r");
        char *all = NULL;
        size_t n = 0;
        FILE *m = f ? open_memstream(&all, &n) : NULL;
        if (m) {
            char buf[8192];
            size_t r;
            while ((r = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, r, m);
            fclose(m);
            char *at = strstr(all, "<svg");   /* without the XML prolog and doctype */
            svg = at ? strdup(at) : NULL;
            free(all);
        }
        if (f)
            fclose(f);
        if (!svg)
            *note = "the trap-flow graph is missing: Graphviz's output could not be read";
    }
    unlink(tmp);
    free(text);
    return svg;
}

int html_write_file(const html_t *h, const char *file, const char *title, const dot_t *dot)
{
    const char *note;
    char *svg = graph_svg(dot, title, &note);
    FILE *out = fopen(file, "w");
    if (!out) {
        errorf("%s: cannot write the HTML view: %s", file, strerror(errno));
        free(svg);
        return -1;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", out);
    put_text(out, title);
    fputs("</title>\n<style>\n", out);
    fputs(html_view_css, out);
    fputs("</style>\n</head>\n<body>\n<div id=\"graph-src\" hidden>", out);
    if (svg)
        fputs(svg, out);
    fputs("</div>\n<script id=\"trapsim-data\" type=\"application/json\">", out);
    put_data(h, out, title, note);
    fputs("</script>\n<script>\n", out);
    fputs(html_view_js, out);
    fputs("</script>\n</body>\n</html>\n", out);
    free(svg);
    if (ferror(out) | fclose(out)) {
        errorf("%s: cannot write the HTML view: %s", file, strerror(errno));
        return -1;
    }
    return 0;
}
