#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "app/args.h"
#include "app/dot.h"
#include "app/progress.h"
#include "app/gdb.h"
#include "app/session.h"
#include "app/stats.h"
#include "app/step.h"
#include "cpu/cpu.h"
#include "host/host.h"
#include "vmm/vmm.h"

void session_defaults(session_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->ram = 64u << 20;
    o->max_insns = 0;
    o->guest_ips = DEFAULT_GUEST_IPS;
    o->isa = isa_profile_find("x86");
}

/* With several VMs each VM's console is a line at a time, after its name. */
typedef struct vm_console {
    FILE *out;
    const char *name;
    size_t n;
    char line[256];
} vm_console_t;

static void console_flush(vm_console_t *c)
{
    fprintf(c->out, "[%s] %.*s\n", c->name, (int)c->n, c->line);
    c->n = 0;
}

static void console_emit(void *ctx, const event_t *ev)
{
    vm_console_t *c = ctx;
    if (ev->kind != EV_CONSOLE || ev->value == '\r')
        return;
    if (ev->value == '\n') {
        console_flush(c);
        return;
    }
    c->line[c->n++] = (char)ev->value;
    if (c->n == sizeof c->line)
        console_flush(c);
}

static void console_finish(void *ctx)
{
    vm_console_t *c = ctx;
    if (c->n)
        console_flush(c);
    fflush(c->out);
}

/* One VM of the run and what belongs to it. */
typedef struct run_vm {
    vm_t *vm;
    stats_t *stats;
    vm_console_t console;
} run_vm_t;

typedef struct run {
    const session_opts_t *o;
    const session_opts_t *vo;   /* the VMs' options: o->vms, or o itself */
    int n;
    int named;                  /* several VMs: each named in events and lines */
    host_t *host;
    run_vm_t vm[HOST_MAX_VMS];
    FILE *null;
    FILE *trace_out;
    int close_trace;
    text_sink_t text;
    dot_t *dot;
} run_t;

static void run_free(run_t *r)
{
    for (int k = 0; k < r->n; k++)
        stats_free(r->vm[k].stats);
    host_free(r->host);
    dot_free(r->dot);
    if (r->close_trace)
        fclose(r->trace_out);
    if (r->null)
        fclose(r->null);
}

/* The VMs, their images loaded; 0, or -1 after one error line. */
static int create_vms(run_t *r)
{
    const session_opts_t *o = r->o;
    if (r->named && !(r->null = fopen("/dev/null", "w"))) {
        errorf("/dev/null: %s", strerror(errno));
        return -1;
    }
    if (!(r->host = host_new(o->quantum))) {
        errorf("out of memory");
        return -1;
    }
    for (int k = 0; k < r->n; k++) {
        const session_opts_t *v = &r->vo[k];
        vm_config_t c = {
            .name = r->named ? v->vm_name : NULL, .image = v->image, .image_name = v->image_name,
            .cmdline = v->cmdline, .ram = v->ram, .max_insns = v->max_insns, .guest_ips = v->guest_ips,
            .isa = v->isa, .monitor = v->monitor, .expose_pg = v->expose_pg, .no_cache = o->no_cache,
            .console = r->named ? r->null : o->console,
        };
        char err[512];
        vm_t *vm = vm_new(&c, err, sizeof err);
        if (!vm) {
            errorf("%s", err);
            return -1;
        }
        host_add(r->host, vm, v->weight);
        r->vm[k].vm = vm;
    }
    return 0;
}

/* The trace output and every sink of every VM; then the monitors. */
static int connect(run_t *r)
{
    const session_opts_t *o = r->o;
    r->trace_out = o->trace_out;
    if (!r->trace_out && o->trace_levels) {
        if (o->trace_file) {
            r->trace_out = fopen(o->trace_file, "w");
            if (!r->trace_out) {
                errorf("%s: cannot write the trace: %s", o->trace_file, strerror(errno));
                return -1;
            }
            r->close_trace = 1;
        } else {
            r->trace_out = stderr;
        }
    }
    r->text = (text_sink_t){ r->trace_out, o->color };
    if (o->dot_file || o->svg_file || o->timeline_file) {
        if (dot_check_paths(o->dot_file, o->svg_file, o->timeline_file))
            return -1;
        int any_vmm = 0;
        for (int k = 0; k < r->n; k++)
            any_vmm |= vm_monitor_deprivileges(r->vo[k].monitor);
        r->dot = dot_new(any_vmm, o->timeline_from);
    }
    for (int k = 0; k < r->n; k++) {
        run_vm_t *v = &r->vm[k];
        if (r->trace_out && o->trace_levels) {
            trace_sink_t s = { o->trace_levels, text_sink_emit, NULL, &r->text };
            vm_add_sink(v->vm, &s);
        }
        if ((v->stats = stats_new())) {
            trace_sink_t s = { TL_TRAP | TL_VMX, stats_emit, NULL, v->stats };
            vm_add_sink(v->vm, &s);
        }
        if (r->dot) {
            trace_sink_t s = { DOT_LEVELS | (o->timeline_file ? 0 : TL_TEXTLESS(DOT_GRAPH_TEXTLESS)), dot_emit, NULL, r->dot };
            vm_add_sink(v->vm, &s);
            if (!r->named)   /* one VM: the sink is its machine's own (host/vm.c wraps those of several) */
                dot_watch(r->dot, &vm_machine(v->vm)->trace, o->timeline_file != NULL);
        }
        for (int e = 0; e < o->nextra_sinks; e++)
            vm_add_sink(v->vm, &o->extra_sinks[e]);
        if (r->named) {
            v->console = (vm_console_t){ o->console ? o->console : stdout, vm_name(v->vm), 0, "" };
            trace_sink_t s = { trace_level_of(EV_CONSOLE), console_emit, console_finish, &v->console };
            vm_add_sink(v->vm, &s);
        }
        if (vm_start(v->vm)) {
            errorf(r->vo[k].monitor == MON_VTX ? "the VMX hypervisor could not launch the guest" : "out of memory for the VMM");
            return -1;
        }
    }
    return 0;
}

/* "guestos.elf, under the VMM, isa pg, procs=hello" */
static void describe_vm(const session_opts_t *v, char *buf, size_t n)
{
    const char *base = strrchr(v->image, '/');
    snprintf(buf, n, "%s, %s, isa %s%s%s", base ? base + 1 : v->image, vm_monitor_label(v->monitor),
             v->isa->name, v->cmdline ? ", " : "", v->cmdline ? v->cmdline : "");
}

/* The VMs' statistics after the run's: each key of VM NAME as vm.NAME.KEY. */
static void write_vm_stats(const run_t *r, FILE *f)
{
    host_write_stats(r->host, f);
    for (int k = 0; k < r->n; k++) {
        vm_t *vm = r->vm[k].vm;
        const char *name = vm_name(vm);
        const vmm_t *vmm = vm_monitor(vm);
        fprintf(f, "vm.%s.instructions=%llu\nvm.%s.exits=%llu\n", name,
                (unsigned long long)vm_instructions(vm), name, (unsigned long long)(vmm ? vmm_exits(vmm) : 0));
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m)
            continue;
        stats_write(r->vm[k].stats, vm_machine_c(vm), vmm, m);
        fclose(m);
        for (char *line = text; line < text + len; ) {
            char *nl = memchr(line, '\n', (size_t)(text + len - line));
            size_t l = nl ? (size_t)(nl - line) : (size_t)(text + len - line);
            fprintf(f, "vm.%s.%.*s\n", name, (int)l, line);
            line += l + 1;
        }
        free(text);
    }
}

/* The end of the run: why each VM stopped, the summaries, the table of
 * shares, the statistics and the pictures. Returns the run's status. */
static int report(run_t *r, int no_run)
{
    const session_opts_t *o = r->o;
    FILE *sum = o->summary_out ? o->summary_out : stderr;
    int status = no_run ? EXIT_USAGE : host_exit_status(r->host);
    for (int k = 0; k < r->n && !no_run; k++) {
        vm_t *vm = r->vm[k].vm;
        int st = vm_exit_status(vm);
        /* --quiet drops the summary, and the stop line too when the guest
         * ended the run itself (isa-debug-exit: an odd status), but never
         * the reason trapsim stopped it (budget, triple fault, halted, not
         * modelled). */
        if (!o->quiet || (st != 0 && st % 2 == 0)) {
            if (r->named)
                fprintf(sum, "trapsim: [%s] %s\n", vm_name(vm), vm_stop_msg(vm));
            else
                fprintf(sum, "trapsim: %s\n", vm_stop_msg(vm));
        }
    }
    if (!no_run && !o->quiet) {
        for (int k = 0; k < r->n; k++)
            stats_print(r->vm[k].stats, vm_machine_c(r->vm[k].vm), vm_monitor(r->vm[k].vm),
                        r->named ? vm_name(r->vm[k].vm) : NULL, sum);
        if (r->named)
            host_print_shares(r->host, sum);
    }
    if (o->stats_file) {
        int bad;
        if (r->named) {
            FILE *f = fopen(o->stats_file, "w");
            bad = !f;
            if (f) {
                write_vm_stats(r, f);
                bad = fclose(f) != 0;
            }
        } else {
            vm_t *vm = r->vm[0].vm;
            bad = stats_write_file(r->vm[0].stats, vm_machine_c(vm), vm_monitor(vm), o->stats_file) != 0;
        }
        if (bad) {
            errorf("%s: cannot write the statistics: %s", o->stats_file, strerror(errno));
            status = EXIT_USAGE;
        }
    }
    if (r->dot) {
        char title[1024];
        size_t k = 0;
        title[0] = 0;
        for (int v = 0; v < r->n && k < sizeof title; v++) {
            char d[512];
            describe_vm(&r->vo[v], d, sizeof d);
            if (r->named)
                k += (size_t)snprintf(title + k, sizeof title - k, "%s%s: %s", v ? "; " : "", vm_name(r->vm[v].vm), d);
            else
                k += (size_t)snprintf(title + k, sizeof title - k, "%s", d);
        }
        if (dot_write_files(r->dot, title, o->dot_file, o->svg_file, o->timeline_file))
            status = EXIT_USAGE;
    }
    return status;
}

int session_run(const session_opts_t *o)
{
    run_t r = { .o = o, .vo = o->nvms ? o->vms : o, .n = o->nvms ? o->nvms : 1, .named = o->nvms > 0 };
    if (r.n > HOST_MAX_VMS) {
        errorf("at most %d VMs in one run", HOST_MAX_VMS);
        return EXIT_USAGE;
    }
    if (create_vms(&r) || connect(&r)) {
        run_free(&r);
        return EXIT_USAGE;
    }
    int no_run = 0;   /* --gdb could not listen: nothing ran */
    machine_t *m = vm_machine(r.vm[0].vm);
    if (r.named)
        host_run(r.host);
    else if (o->gdb)
        no_run = gdb_serve(o->gdb, m) != 0;
    else if (o->step)
        step_run(o->step, m, vm_monitor(r.vm[0].vm), o->trace_levels, r.trace_out == stderr, stdin);
    else if (r.dot)
        progress_run(m, stderr, "drawing the pictures at the end");
    else
        machine_run(m);
    for (int k = 0; k < r.n; k++)
        vm_finish(r.vm[k].vm);
    int status = report(&r, no_run);
    run_free(&r);
    return status;
}
