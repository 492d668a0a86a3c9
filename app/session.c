#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "app/args.h"
#include "app/dot.h"
#include "app/gdb.h"
#include "app/session.h"
#include "app/stats.h"
#include "app/step.h"
#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/loader.h"
#include "vmm/vmm.h"
#include "vmm/vtx.h"

void session_defaults(session_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->ram = 64u << 20;
    o->max_insns = 0;
    o->guest_ips = DEFAULT_GUEST_IPS;
    o->isa = isa_profile_find("x86");
}

int session_run(const session_opts_t *o)
{
    machine_t *m = machine_new((uint32_t)o->ram, o->isa);
    if (!m) {
        errorf("out of memory for %llu bytes of guest RAM", (unsigned long long)o->ram);
        return EXIT_USAGE;
    }
    m->guest_ips = o->guest_ips;
    m->max_insns = o->max_insns;
    m->console = o->console ? o->console : stdout;
    machine_schedule(m);

    vmm_t *vmm = NULL;
    char err[512];
    boot_info_t bi;
    /* QEMU always passes a command line: the image path, then -append. */
    if (loader_load_multiboot_as(o->image, o->image_name ? o->image_name : o->image, m->cpu.ram,
                                 m->cpu.ram_size, m->cpu.ram_size, o->cmdline ? o->cmdline : "", &bi, err,
                                 sizeof err)) {
        errorf("%s", err);
        machine_free(m);
        return EXIT_USAGE;
    }
    machine_boot_state(m, bi.entry, bi.mbi);
    if (!o->no_cache)
        dcache_init(m, 1);

    FILE *trace_out = o->trace_out;
    int close_trace = 0;
    if (!trace_out && o->trace_levels) {
        if (o->trace_file) {
            trace_out = fopen(o->trace_file, "w");
            if (!trace_out) {
                errorf("%s: cannot write the trace: %s", o->trace_file, strerror(errno));
                machine_free(m);
                return EXIT_USAGE;
            }
            close_trace = 1;
        } else {
            trace_out = stderr;
        }
    }
    text_sink_t text = { trace_out, o->color };
    if (trace_out && o->trace_levels) {
        trace_sink_t s = { o->trace_levels, text_sink_emit, NULL, &text };
        trace_add_sink(&m->trace, &s);
    }
    stats_t *stats = stats_new();
    if (stats) {
        trace_sink_t s = { TL_TRAP | TL_VMX, stats_emit, NULL, stats };
        trace_add_sink(&m->trace, &s);
    }
    dot_t *dot = NULL;
    if (o->dot_file || o->svg_file || o->timeline_file) {
        dot = dot_new(o->vmm, o->timeline_from);
        if (dot) {
            trace_sink_t s = { DOT_LEVELS, dot_emit, NULL, dot };
            trace_add_sink(&m->trace, &s);
        }
    }
    for (int k = 0; k < o->nextra_sinks; k++)
        trace_add_sink(&m->trace, &o->extra_sinks[k]);
    vtx_t *vtx = NULL;
    if (o->vtx && !(vtx = vtx_attach(m))) {
        errorf("the VMX hypervisor could not launch the guest");
        dot_free(dot);
        stats_free(stats);
        machine_free(m);
        return EXIT_USAGE;
    }
    if (o->vmm) {
        vmm = vmm_attach(m, o->expose_pg);
        if (!vmm) {
            errorf("out of memory for the VMM");
            dot_free(dot);
            stats_free(stats);
            machine_free(m);
            return EXIT_USAGE;
        }
    }

    int no_run = 0;   /* --gdb could not listen: nothing ran */
    if (o->gdb)
        no_run = gdb_serve(o->gdb, m) != 0;
    else if (o->step)
        step_run(o->step, m, vmm, o->trace_levels, trace_out == stderr, stdin);
    else
        machine_run(m);
    trace_finish(&m->trace);

    FILE *sum = o->summary_out ? o->summary_out : stderr;
    int status = no_run ? EXIT_USAGE : machine_exit_status(m);
    /* --quiet drops the summary, and the stop line too when the guest ended
     * the run itself (isa-debug-exit: an odd status), but never the reason
     * trapsim stopped it (budget, triple fault, halted, not modelled). */
    if (!no_run && (!o->quiet || (status != 0 && status % 2 == 0)))
        fprintf(sum, "trapsim: %s\n", m->stop_msg);
    if (!no_run && !o->quiet)
        stats_print(stats, m, vmm, sum);
    if (o->stats_file && stats_write_file(stats, m, vmm, o->stats_file)) {
        errorf("%s: cannot write the statistics: %s", o->stats_file, strerror(errno));
        status = EXIT_USAGE;
    }
    if (dot) {
        char title[512];
        const char *base = strrchr(o->image, '/');
        snprintf(title, sizeof title, "%s, %s, isa %s%s%s", base ? base + 1 : o->image,
                 o->vmm ? "under the VMM" : o->vtx ? "under VT-x" : "bare", o->isa->name, o->cmdline ? ", " : "",
                 o->cmdline ? o->cmdline : "");
        if (dot_write_files(dot, title, o->dot_file, o->svg_file, o->timeline_file))
            status = EXIT_USAGE;
        dot_free(dot);
    }
    if (close_trace)
        fclose(trace_out);
    stats_free(stats);
    vmm_free(vmm);
    vtx_free(vtx);
    machine_free(m);
    return status;
}
