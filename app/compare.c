/* `trapsim compare` (app/compare.h). One run of the microbench guest per
 * technique, a sink that reads the guest's markers (port MB_PORT,
 * tests/guests/microbench.h): at each, what the run has counted so far (the
 * virtual time, VM exits, monitor steps, silent sensitive instructions) and
 * the host time. A row's cost per operation is the difference between its
 * long and its short run, divided by MB_LONG - MB_SHORT: what both runs
 * share (markers, setup) cancels. Host time is read only here, for the
 * report, never inside the simulation. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "app/args.h"
#include "app/compare.h"
#include "app/scenario.h"
#include "app/session.h"
#include "cpu/cpu.h"
#include "host/monitor.h"
#include "tests/guests/microbench.h"

#define MB_OPS (MB_LONG - MB_SHORT)
#define MB_BUDGET 50000000ull     /* instructions: a run that needs more is reported, not waited for */
#define MB_IMAGE "build/guests/tests/microbench.elf"

static const char *const op_name[MB_ROWS] = {
    [MB_SYSCALL] = "system call", [MB_IN] = "in (PIC IMR)", [MB_CR0] = "cr0 write", [MB_CLISTI] = "cli/sti",
    [MB_DIV0] = "divide by zero", [MB_CALLRET] = "call/ret", [MB_POPF] = "popf critical section",
};

/* The techniques of the lecture, in its order, each with the ISA profile it
 * runs under; te twice: under x86 it fails the POPF row (the lesson). A
 * monitor of host/monitor.h not listed here is added after them. */
typedef struct technique {
    const char *monitor, *isa;
} technique_t;
static const technique_t lecture[] = {
    { "bare", "x86" }, { "te", "pg" }, { "te", "x86" }, { "dbt", "x86" }, { "pv", "x86" }, { "vtx", "x86" },
};
#define MAX_TECHNIQUES (sizeof lecture / sizeof lecture[0] + MON_COUNT)

/* What the run had counted at a marker. */
typedef struct snap {
    uint64_t icount, exits, steps, silent, ns;
    int seen;
} snap_t;

enum { V_NA = 2 };        /* the technique has no such operation (MB_NA) */

enum { Q_EXITS, Q_GUEST, Q_STEPS, Q_SILENT, Q_NS, Q_COUNT };

typedef struct row {
    snap_t at[4];        /* short start, short end, long start, long end */
    int verdict;         /* -1 none, 0 wrong, 1 ok, V_NA */
    int64_t per100[Q_COUNT];   /* per operation, in hundredths */
    int measured;
} row_t;

typedef struct result {
    technique_t t;
    int built;           /* its monitor exists */
    int status;          /* the run's exit status */
    char stop[256];
    row_t rows[MB_ROWS];
    uint64_t exits, steps, silent;
} result_t;

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void compare_emit(void *ctx, const event_t *ev)
{
    result_t *r = ctx;
    switch (ev->kind) {
    case EV_VMM:
        r->steps++;
        r->exits += ev->action == VA_EXIT;
        break;
    case EV_VMX:
        r->steps++;
        r->exits += ev->vmx_kind == VX_EXIT;
        break;
    case EV_PG:
        r->silent++;
        break;
    case EV_STOP:
        snprintf(r->stop, sizeof r->stop, "%s", ev->text ? ev->text : "");
        break;
    case EV_IO: {
        if (ev->port != MB_PORT || !ev->is_write)
            break;
        unsigned v = ev->value & 0xff;
        if (v & (MB_OK | MB_WRONG)) {
            if ((v & 0x3f) < MB_ROWS)
                r->rows[v & 0x3f].verdict = (v & MB_NA) == MB_NA ? V_NA : (v & MB_OK) != 0;
        } else if (v / 4 < MB_ROWS) {
            r->rows[v / 4].at[v % 4] = (snap_t){ ev->icount, r->exits, r->steps, r->silent, host_ns(), 1 };
        }
        break;
    }
    default:
        break;
    }
}

/* Hundredths per operation: the long run's cost less the short run's. */
static int64_t per_op(uint64_t s0, uint64_t s1, uint64_t l0, uint64_t l1)
{
    int64_t d = ((int64_t)l1 - (int64_t)l0) - ((int64_t)s1 - (int64_t)s0);
    return (d * 100 + (d < 0 ? -MB_OPS / 2 : MB_OPS / 2)) / MB_OPS;
}

static void measure(row_t *w)
{
    for (int k = 0; k < 4; k++)
        if (!w->at[k].seen)
            return;
    const snap_t *a = w->at;
#define PER(f) per_op(a[0].f, a[1].f, a[2].f, a[3].f)
    w->per100[Q_EXITS] = PER(exits);
    w->per100[Q_GUEST] = PER(icount);
    w->per100[Q_STEPS] = PER(steps);
    w->per100[Q_SILENT] = PER(silent);
    w->per100[Q_NS] = PER(ns);
#undef PER
    if (w->per100[Q_NS] < 0)
        w->per100[Q_NS] = 0;   /* host noise larger than the operation */
    w->measured = 1;
}

/* One run of the guest under a technique. */
static void run_technique(result_t *r, const char *image, FILE *null)
{
    int mon = vm_monitor_find(r->t.monitor);
    r->built = mon >= 0;
    for (int k = 0; k < MB_ROWS; k++)
        r->rows[k].verdict = -1;
    if (!r->built)
        return;
    session_opts_t o;
    session_defaults(&o);
    trace_sink_t sink = { TL_IO | TL_VMM | TL_VMX | TL_PG | TL_TRAP, compare_emit, NULL, r };
    o.image = image;
    o.image_name = "microbench.elf";
    o.isa = isa_profile_find(r->t.isa);
    o.monitor = (vm_monitor_t)mon;
    o.expose_pg = mon != MON_BARE;
    o.max_insns = MB_BUDGET;
    o.console = null;
    o.summary_out = null;
    o.quiet = 1;
    o.extra_sinks = &sink;
    o.nextra_sinks = 1;
    r->status = session_run(&o);
    for (int k = 0; k < MB_ROWS; k++)
        measure(&r->rows[k]);
}

/* The techniques: the lecture's, then any other monitor. */
static size_t techniques(technique_t *t)
{
    size_t n = 0;
    for (size_t k = 0; k < sizeof lecture / sizeof lecture[0]; k++)
        t[n++] = lecture[k];
    for (int m = 0; m < MON_COUNT; m++) {
        int listed = 0;
        for (size_t k = 0; k < sizeof lecture / sizeof lecture[0]; k++)
            listed |= vm_monitor_find(lecture[k].monitor) == m;
        if (!listed)
            t[n++] = (technique_t){ vm_monitor_name((vm_monitor_t)m), "x86" };
    }
    return n;
}

static void technique_label(const technique_t *t, char *buf, size_t n)
{
    int te = vm_monitor_find(t->monitor) == MON_TE;
    snprintf(buf, n, "%s%s%s%s", t->monitor, te ? " (" : "", te ? t->isa : "", te ? ")" : "");
}

/* The result of a row as the table says it. */
static const char *verdict_text(const result_t *r, const row_t *w)
{
    if (!r->built)
        return "not built yet";
    if (w->verdict < 0)
        return "no result";
    if (w->verdict == V_NA)
        return "n/a: a pv kernel does not write CR0 (see below)";
    return w->verdict ? "ok" : "WRONG";
}

/* Under the text table when a row says n/a: why. */
static const char na_note[] =
    "\nn/a: a paravirtualized kernel leaves the control registers to the VMM: vmm/pv_abi.h has no\n"
    "  call that writes CR0 (paging, protection and the FPU bits stay as the VMM set them), so\n"
    "  there is nothing to measure; the rows that a pv kernel does replace are measured through\n"
    "  their replacement (system call: the fast trap; in: port_io; cli/sti and popf: the mask\n"
    "  byte of the shared page, the timer as an event; divide by zero: reflected by the VMM).\n";

static void put_num(FILE *out, int64_t v100, int width)
{
    char b[32];
    snprintf(b, sizeof b, "%s%lld.%02lld", v100 < 0 ? "-" : "", (long long)(llabs(v100) / 100),
             (long long)(llabs(v100) % 100));
    fprintf(out, "%*s", width, b);
}

static void write_text(FILE *out, const result_t *res, size_t n, int times)
{
    fprintf(out, "Adams & Agesen's microbenchmarks, per operation (%d operations: a run of %d less one of %d)\n",
            MB_OPS, MB_LONG, MB_SHORT);
    fputs("  exits: VM exits; guest: guest instructions retired; vmm: the monitor's steps (its actions,\n"
          "  VMX entries and exits); silent: sensitive instructions that ran without a trap", out);
    fputs(times ? ";\n  ns: host time (with this table's sink listening)\n\n" : "\n\n", out);
    fprintf(out, "%-22s %-10s %8s %8s %8s %8s%s  %s\n", "operation", "technique", "exits", "guest", "vmm", "silent",
            times ? "        ns" : "", "result");
    for (int row = 0; row < MB_ROWS; row++) {
        for (size_t k = 0; k < n; k++) {
            const result_t *r = &res[k];
            const row_t *w = &r->rows[row];
            char label[64];
            technique_label(&r->t, label, sizeof label);
            fprintf(out, "%-22s %-10s", k ? "" : op_name[row], label);
            if (w->measured) {
                for (int q = Q_EXITS; q <= Q_SILENT; q++) {
                    fputc(' ', out);
                    put_num(out, w->per100[q], 8);
                }
                if (times)
                    fprintf(out, " %9lld", (long long)((w->per100[Q_NS] + 50) / 100));
                fprintf(out, "  %s\n", verdict_text(r, w));
            } else {
                fprintf(out, "  %s", verdict_text(r, w));
                if (r->built && r->stop[0] && w->verdict != V_NA)
                    fprintf(out, " (%s)", r->stop);
                fputc('\n', out);
            }
        }
    }
    for (size_t k = 0; k < n; k++)
        for (int row = 0; row < MB_ROWS; row++)
            if (res[k].rows[row].verdict == V_NA) {
                fputs(na_note, out);
                return;
            }
}

static void write_csv(FILE *out, const result_t *res, size_t n, int times)
{
    fputs("operation,technique,monitor,isa,exits_per_op,guest_insns_per_op,vmm_steps_per_op,"
          "silent_per_op,host_ns_per_op,result\n", out);
    for (int row = 0; row < MB_ROWS; row++) {
        for (size_t k = 0; k < n; k++) {
            const result_t *r = &res[k];
            const row_t *w = &r->rows[row];
            char label[64];
            technique_label(&r->t, label, sizeof label);
            fprintf(out, "%s,%s,%s,%s", op_name[row], label, r->t.monitor, r->t.isa);
            for (int q = Q_EXITS; q <= Q_SILENT; q++) {
                fputc(',', out);
                if (w->measured)
                    put_num(out, w->per100[q], 0);
            }
            fputc(',', out);
            if (w->measured && times)
                fprintf(out, "%lld", (long long)((w->per100[Q_NS] + 50) / 100));
            fprintf(out, ",%s\n", verdict_text(r, w));
        }
    }
}

/* A page of the table with bars (exits and host time per operation). */
static int write_html(const char *file, const result_t *res, size_t n)
{
    FILE *out = fopen(file, "w");
    if (!out) {
        errorf("%s: cannot write: %s", file, strerror(errno));
        return -1;
    }
    int64_t max_exits = 1, max_ns = 1;
    for (size_t k = 0; k < n; k++)
        for (int row = 0; row < MB_ROWS; row++)
            if (res[k].rows[row].measured) {
                if (res[k].rows[row].per100[Q_EXITS] > max_exits)
                    max_exits = res[k].rows[row].per100[Q_EXITS];
                if (res[k].rows[row].per100[Q_NS] > max_ns)
                    max_ns = res[k].rows[row].per100[Q_NS];
            }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>trapsim compare</title>\n<style>\n"
          "body{font:15px/1.3 'DejaVu Sans',Helvetica,sans-serif;margin:16px 24px;color:#222}\n"
          "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}\n"
          "td.n{text-align:right;font-variant-numeric:tabular-nums}tr.first td{border-top:2px solid #999}\n"
          ".bar{display:inline-block;height:11px;vertical-align:middle}.b1{background:#d62728}.b2{background:#1f77b4}\n"
          ".WRONG{color:#b71c1c;font-weight:700}.ok{color:#1b5e20}.na{color:#888}\n"
          "</style></head><body>\n<h1>Adams &amp; Agesen's microbenchmarks under each technique</h1>\n", out);
    fprintf(out, "<p>Per operation (%d operations measured). Bars: VM exits (red) and host ns (blue).</p>\n<table>\n"
            "<tr><th>operation</th><th>technique</th><th>exits</th><th></th><th>guest insns</th><th>vmm steps</th>"
            "<th>silent</th><th>host ns</th><th></th><th>result</th></tr>\n", MB_OPS);
    for (int row = 0; row < MB_ROWS; row++) {
        for (size_t k = 0; k < n; k++) {
            const result_t *r = &res[k];
            const row_t *w = &r->rows[row];
            char label[64];
            technique_label(&r->t, label, sizeof label);
            fprintf(out, "<tr%s><td>%s</td><td>%s</td>", k ? "" : " class=\"first\"", k ? "" : op_name[row], label);
            if (w->measured) {
                fputs("<td class=\"n\">", out);
                put_num(out, w->per100[Q_EXITS], 0);
                fprintf(out, "</td><td><span class=\"bar b1\" style=\"width:%lldpx\"></span></td>",
                        (long long)(w->per100[Q_EXITS] * 160 / max_exits));
                for (int q = Q_GUEST; q <= Q_SILENT; q++) {
                    fputs("<td class=\"n\">", out);
                    put_num(out, w->per100[q], 0);
                    fputs("</td>", out);
                }
                fprintf(out, "<td class=\"n\">%lld</td><td><span class=\"bar b2\" style=\"width:%lldpx\"></span></td>",
                        (long long)((w->per100[Q_NS] + 50) / 100), (long long)(w->per100[Q_NS] * 160 / max_ns));
            } else {
                fputs("<td colspan=\"7\" class=\"na\"></td>", out);
            }
            const char *v = verdict_text(r, w);
            fprintf(out, "<td class=\"%s\">%s</td></tr>\n", w->measured ? v : "na", v);
        }
    }
    fputs("</table>\n</body></html>\n", out);
    if (ferror(out) | fclose(out)) {
        errorf("%s: cannot write: %s", file, strerror(errno));
        return -1;
    }
    return 0;
}

/* Runs every technique; 0, or EXIT_USAGE after an error line. */
static int run_all(const char *image, result_t *res, size_t *n)
{
    if (access(image, R_OK) != 0) {
        errorf("%s: the microbenchmark guest: %s (build it with 'make')", image, strerror(errno));
        return EXIT_USAGE;
    }
    FILE *null = fopen("/dev/null", "w");
    if (!null) {
        errorf("/dev/null: %s", strerror(errno));
        return EXIT_USAGE;
    }
    technique_t t[MAX_TECHNIQUES];
    *n = techniques(t);
    for (size_t k = 0; k < *n; k++) {
        memset(&res[k], 0, sizeof res[k]);
        res[k].t = t[k];
        run_technique(&res[k], image, null);
        if (res[k].status == EXIT_USAGE) {
            fclose(null);
            return EXIT_USAGE;
        }
    }
    fclose(null);
    return 0;
}

int compare_write_counts(FILE *out, const char *root)
{
    char image[PATH_MAX + 64];
    snprintf(image, sizeof image, "%.*s/%s", PATH_MAX, root, MB_IMAGE);
    result_t res[MAX_TECHNIQUES];
    size_t n;
    if (run_all(image, res, &n))
        return EXIT_USAGE;
    write_text(out, res, n, 0);
    return EXIT_OK;
}

int compare_main(int argc, char **argv)
{
    int csv = 0, times = 1;
    const char *html = NULL, *image = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (strcmp(a, "--csv") == 0) csv = 1;
        else if (strcmp(a, "--no-times") == 0) times = 0;
        else if ((r = opt_value(argc, argv, &i, "--html", &v))) {
            if (r < 0) { errorf("--html needs a file name"); return EXIT_USAGE; }
            html = v;
        } else if ((r = opt_value(argc, argv, &i, "--image", &v))) {
            if (r < 0) { errorf("--image needs a file name"); return EXIT_USAGE; }
            image = v;
        } else {
            errorf("compare: unknown argument '%s' (see 'trapsim --help')", a);
            return EXIT_USAGE;
        }
    }
    char path[PATH_MAX + 64];
    if (!image) {
        char root[PATH_MAX];
        scenario_root(root, sizeof root);
        snprintf(path, sizeof path, "%.*s/%s", PATH_MAX, root, MB_IMAGE);
        image = path;
    }
    result_t res[MAX_TECHNIQUES];
    size_t n;
    if (run_all(image, res, &n))
        return EXIT_USAGE;
    if (csv)
        write_csv(stdout, res, n, times);
    else
        write_text(stdout, res, n, times);
    if (html && write_html(html, res, n))
        return EXIT_USAGE;
    return EXIT_OK;
}
