/* One run of a guest image, or of several VMs on one host, configured from
 * options: the shared path of `trapsim run` and `trapsim scenario`. Loads
 * the images, attaches the VMM when asked, connects the trace sinks, runs
 * (the VM scheduler of host/ when there are several VMs), and reports. */
#ifndef TRAPSIM_SESSION_H
#define TRAPSIM_SESSION_H
#include <stdint.h>
#include <stdio.h>
#include "isa/isa.h"
#include "cpu/trace.h"
#include "host/monitor.h"

typedef struct session_opts {
    const char *image;          /* Multiboot ELF file */
    const char *image_name;     /* the kernel's name in the guest's command line (NULL: image) */
    const char *cmdline;        /* --cmdline (NULL: none) */
    uint64_t ram;               /* --mem, bytes */
    uint64_t max_insns;         /* --max-insns (0: none) */
    uint64_t guest_ips;         /* --guest-ips */
    const isa_profile_t *isa;   /* --isa */
    uint32_t trace_levels;      /* --trace */
    const char *trace_file;     /* --trace-file (NULL: stderr) */
    FILE *trace_out;            /* overrides trace_file when set (scenarios) */
    FILE *console;              /* where the guest's console goes (NULL: stdout) */
    int color;                  /* ring colours in the text trace */
    vm_monitor_t monitor;       /* --vmm[=NAME] (host/monitor.h) */
    int expose_pg;              /* --expose-pg */
    uint32_t tc_size;           /* --tc-size: --vmm=dbt's translation cache (0: its default) */
    int no_cache;               /* --no-cache */
    int quiet;                  /* --quiet: no end-of-run summary */
    int success_exit;           /* --success-exit V, as V + 1 (0: not given): main() maps the guest's V to 0 */
    FILE *summary_out;          /* where the summary goes (NULL: stderr) */
    const char *stats_file;     /* --stats */
    const char *dot_file;       /* --dot */
    const char *svg_file;       /* --svg */
    const char *timeline_file;  /* --timeline */
    const char *timeline_from;  /* --timeline-from: the event that starts the timeline (app/dot.h) */
    const char *html_file;      /* --html: the classroom view (app/html.h) */
    const trace_sink_t *extra_sinks;  /* more sinks on the run (scenarios: their text view, dot) */
    int nextra_sinks;
    const struct step_opts *step;     /* --step, --break, --break-on (NULL: none): app/step.h */
    const struct gdb_opts *gdb;       /* --gdb (NULL: none): app/gdb.h */
    /* Several VMs in one run (host/host.h): each element of `vms` is one
     * VM's options (image, cmdline, ram, max_insns, guest_ips, isa, monitor,
     * expose_pg, vm_name, weight); everything else is the run's, here. */
    const struct session_opts *vms;
    int nvms;                         /* 0: one VM, the fields above */
    const char *vm_name;              /* --vm NAME */
    unsigned weight;                  /* --weight (0: 1) */
    uint64_t quantum;                 /* --quantum (0: HOST_DEFAULT_QUANTUM) */
    /* Snapshots and live migration (README, "Snapshots and live migration") */
    const char *snapshot_file;        /* --snapshot FILE */
    uint64_t snapshot_at;             /* --snapshot-at N: the VM's step N (several VMs: the end of the turn the host reaches step N in) */
    int snapshot_continue;            /* --snapshot-continue: the run goes on after writing it */
    int snapshot_stored;              /* --snapshot-stored: sections not compressed (tests, fuzzing seeds) */
    const char *resume_file;          /* trapsim resume FILE: the VMs come from the snapshot */
    const char *listen_addr;          /* trapsim migrate-listen ADDR: the VM comes from another trapsim */
    struct host *resume_host;         /* the VMs come from this host, already filled (a scenario's migration); the run owns it */
    unsigned listen_timeout;          /* --timeout for migrate-listen (seconds) */
    const struct migrate_opts *migrate;   /* --migrate-to ADDR ... (NULL: none): host/migrate.h */
} session_opts_t;

void session_defaults(session_opts_t *o);
/* Runs; returns trapsim's exit status (README, "Exit statuses"). */
int session_run(const session_opts_t *o);
#endif
