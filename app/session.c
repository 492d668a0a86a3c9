#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "app/args.h"
#include "app/dot.h"
#include "app/progress.h"
#include "app/gdb.h"
#include "app/html.h"
#include "app/session.h"
#include "app/stats.h"
#include "app/step.h"
#include "cpu/cpu.h"
#include "host/host.h"
#include "host/migrate.h"
#include "host/snapshot.h"
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
    html_t *html;
} run_t;

static void run_free(run_t *r)
{
    for (int k = 0; k < r->n; k++)
        stats_free(r->vm[k].stats);
    host_free(r->host);
    dot_free(r->dot);
    html_free(r->html);
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
            .isa = v->isa, .monitor = v->monitor, .expose_pg = v->expose_pg, .tc_size = v->tc_size, .no_cache = o->no_cache,
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

/* A console line not yet printed is part of a snapshot (section "console"),
 * so a resumed run prints the rest of it on the same line. */
static void console_save(void *ctx, int k, snap_io_t *io)
{
    vm_console_t *c = &((run_t *)ctx)->vm[k].console;
    uint32_t n = (uint32_t)c->n;
    snap_u32(io, &n);
    snap_bytes(io, c->line, c->n);
}

static void console_load(void *ctx, int k, snap_io_t *io)
{
    vm_console_t *c = &((run_t *)ctx)->vm[k].console;
    uint32_t n = 0;
    snap_u32(io, &n);
    if (n > sizeof c->line) {
        snap_fail(io, "a console line of %u bytes", n);
        return;
    }
    snap_bytes(io, c->line, n);
    c->n = n;
}

static snap_extra_t console_extra(run_t *r)
{
    return (snap_extra_t){ "console", console_save, console_load, r };
}

/* What a run saves beside its VMs: the console lines, with several VMs. */
static const snap_extra_t *saved_extra(run_t *r, snap_extra_t *e)
{
    *e = console_extra(r);
    return r->named ? e : NULL;
}

/* The VMs of `trapsim resume FILE` and `trapsim migrate-listen ADDR`: from
 * the snapshot or the stream; 0, or -1 after one error line. */
static int restore_vms(run_t *r)
{
    static session_opts_t vo[HOST_MAX_VMS];
    const session_opts_t *o = r->o;
    snap_extra_t extra = console_extra(r);
    snap_target_t t = { .console = o->console, .no_cache = o->no_cache, .extra = &extra };
    char err[512];
    t.host = o->resume_host;
    int rc = o->resume_host ? 0
             : o->resume_file ? snapshot_load(o->resume_file, &t, err, sizeof err)
                              : migrate_listen(o->listen_addr, o->listen_timeout, &t, err, sizeof err);
    r->host = t.host;
    if (rc) {
        if (o->resume_file)
            errorf("%s", err);
        else
            errorf("migrate-listen %s: %s", o->listen_addr, err);
        return -1;
    }
    r->n = host_count(r->host);
    r->named = vm_name(host_vm(r->host, 0))[0] != 0;
    r->vo = vo;
    if (r->named && !(r->null = fopen("/dev/null", "w"))) {
        errorf("/dev/null: %s", strerror(errno));
        return -1;
    }
    for (int k = 0; k < r->n; k++) {
        const vm_config_t *c = vm_config(host_vm(r->host, k));
        vo[k] = *o;
        vo[k].image = o->resume_file ? o->resume_file : o->listen_addr ? o->listen_addr : "the migrated VM";
        vo[k].monitor = c->monitor;
        vo[k].isa = c->isa;
        vo[k].vm_name = vm_name(host_vm(r->host, k));
        r->vm[k].vm = host_vm(r->host, k);
        vm_machine(r->vm[k].vm)->console = r->named ? r->null : o->console ? o->console : stdout;
    }
    return 0;
}

/* --snapshot-at: runs to the snapshot's point, writes it; 1 when the run
 * ends there (the default), 0 when it goes on, -1 after an error line. */
static int take_snapshot(run_t *r)
{
    const session_opts_t *o = r->o;
    if (r->named) {
        while (host_steps(r->host) < o->snapshot_at && host_run_turns(r->host, 1) > 0)
            ;
    } else {
        vm_t *vm = r->vm[0].vm;
        if (vm_steps(vm) < o->snapshot_at)
            vm_run_for(vm, o->snapshot_at - vm_steps(vm));
    }
    snap_extra_t extra;
    char err[512];
    if (snapshot_save(o->snapshot_file, r->host, saved_extra(r, &extra), o->snapshot_stored ? SNAP_STORED : 0, err,
                      sizeof err)) {
        errorf("%s", err);
        return -1;
    }
    if (!o->quiet)
        fprintf(o->summary_out ? o->summary_out : stderr, "trapsim: snapshot of step %llu written to %s\n",
                (unsigned long long)host_steps(r->host), o->snapshot_file);
    if (o->snapshot_continue)
        return 0;
    for (int k = 0; k < r->n; k++)
        r->vm[k].console.n = 0;   /* the unfinished line is the snapshot's */
    return 1;
}

/* --migrate-to: runs to the migration's point and sends the VM; 1 when it
 * went (the run ends here), 0 when it failed and the VM runs on here. */
static int migrate_away(run_t *r)
{
    const migrate_opts_t *mo = r->o->migrate;
    vm_t *vm = r->vm[0].vm;
    if (vm_steps(vm) < mo->at)
        vm_run_for(vm, mo->at - vm_steps(vm));
    if (vm_stopped(vm))
        return 0;
    snap_extra_t extra;
    if (mo->link)
        return migrate_send(r->host, saved_extra(r, &extra), mo, mo->link) == 0;
    return migrate_send_tcp(r->host, saved_extra(r, &extra), mo) == 0;
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
    if (o->html_file && !(r->html = html_new())) {
        errorf("out of memory");
        return -1;
    }
    if (o->dot_file || o->svg_file || o->timeline_file || o->html_file) {
        if (dot_check_paths(o->dot_file, o->svg_file, o->timeline_file))
            return -1;
        int mode = DOT_BARE;
        for (int k = 0; k < r->n; k++)
            mode = dot_mode_add(mode, r->vo[k].monitor);
        r->dot = dot_new(mode, o->timeline_from);
    }
    for (int k = 0; k < r->n; k++) {
        run_vm_t *v = &r->vm[k];
        if (r->trace_out && o->trace_levels) {
            trace_sink_t s = { o->trace_levels, text_sink_emit, NULL, &r->text };
            vm_add_sink(v->vm, &s);
        }
        if ((v->stats = stats_new())) {
            trace_sink_t s = { TL_TRAP, stats_emit, NULL, v->stats };
            vm_add_sink(v->vm, &s);
        }
        if (r->dot) {
            trace_sink_t s = { DOT_LEVELS | (o->timeline_file ? 0 : TL_TEXTLESS(DOT_GRAPH_TEXTLESS)), dot_emit, NULL, r->dot };
            vm_add_sink(v->vm, &s);
            if (!r->named)   /* one VM: the sink is its machine's own (host/vm.c wraps those of several) */
                dot_watch(r->dot, &vm_machine(v->vm)->trace, o->timeline_file != NULL);
        }
        if (r->html) {
            trace_sink_t s = { HTML_LEVELS, html_emit, NULL, r->html };
            vm_add_sink(v->vm, &s);
        }
        for (int e = 0; e < o->nextra_sinks; e++)
            vm_add_sink(v->vm, &o->extra_sinks[e]);
        if (r->named) {
            /* a resumed VM's console may hold a line begun before the snapshot */
            v->console.out = o->console ? o->console : stdout;
            v->console.name = vm_name(v->vm);
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
        if (r->html && html_write_file(r->html, o->html_file, title, r->dot))
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
    if ((o->resume_file || o->listen_addr || o->resume_host ? restore_vms(&r) : create_vms(&r)) ||
        (o->step && step_check_symbols(o->step, vm_symbols(r.vm[0].vm), o->image)) || connect(&r)) {
        run_free(&r);
        return EXIT_USAGE;
    }
    int no_run = 0;   /* --gdb could not listen: nothing ran */
    machine_t *m = vm_machine(r.vm[0].vm);
    int ended = o->snapshot_file ? take_snapshot(&r) : o->migrate ? migrate_away(&r) : 0;
    if (ended) {   /* the snapshot's or the destination's run goes on, not this one */
        for (int k = 0; k < r.n; k++)
            vm_finish(r.vm[k].vm);
        run_free(&r);
        return ended < 0 ? EXIT_USAGE : EXIT_OK;
    }
    if (r.named)
        host_run(r.host);
    else if (o->gdb)
        no_run = gdb_serve(o->gdb, m, vm_monitor_view(r.vm[0].vm)) != 0;
    else if (o->step)
        step_run(o->step, m, vm_monitor_view(r.vm[0].vm), o->trace_levels, r.trace_out == stderr, stdin);
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
