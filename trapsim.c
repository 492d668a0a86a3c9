/* trapsim: the command line, nothing else. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "app/args.h"
#include "app/compare.h"
#include "app/gdb.h"
#include "app/raw.h"
#include "app/scenario.h"
#include "app/session.h"
#include "app/step.h"
#include "cpu/cpu.h"
#include "cpu/trace.h"
#include "host/host.h"
#include "host/migrate.h"
#include "vmm/dbt.h"

#define TRAPSIM_VERSION "0.1.0"

static void usage(FILE *f)
{
    fputs(
"usage: trapsim COMMAND [options]\n"
"\n"
"commands:\n"
"  run [options] IMAGE       boot a Multiboot ELF image (bare, or under the VMM)\n"
"  run [options] --vm NAME [vm options] IMAGE --vm NAME ...\n"
"                            several VMs on one host, scheduled round robin\n"
"  raw [options] CODE.bin    run a code fragment and print the final state (docs/RAW-MODE.md)\n"
"  scenario NAME [--check|--update] [--no-color] [--dot/--svg/--timeline/--html FILE]\n"
"                            run a teaching scenario (scenario --list: all of them;\n"
"                            scenario compare: the table below without host times)\n"
"  compare [--csv] [--no-times] [--html FILE]\n"
"                            Adams & Agesen's microbenchmarks under every technique: one table\n"
"  resume FILE [options]     continue a run from its snapshot (--snapshot)\n"
"  migrate-listen ADDR [options] [--timeout S]\n"
"                            wait for a VM sent with --migrate-to ADDR and continue it\n"
"  isa list                  the ISA semantics profiles\n"
"  isa show NAME             the sensitive instructions and what they do in a profile\n"
"  --help, --version\n"
"\n"
"run options:\n"
"  --vmm, --vmm=te       run the guest deprivileged under trapsim's ring-0 VMM (trap and emulate)\n"
"  --vmm=vtx             run the guest unchanged under trapsim's hypervisor over VMX\n"
"  --vmm=pv              paravirtualized: the guest kernel in ring 1 asks with hypercalls (int $0x82);\n"
"                        a guest that does not paravirtualize stops (exit status 16)\n"
"  --vmm=dbt             as --vmm, the guest kernel's code run only from a translation cache\n"
"                        (binary translation, as VMware's VMM did)\n"
"  --tc-size SIZE        --vmm=dbt's translation cache, 4K to 768K (default 256K)\n"
"  --isa NAME            ISA semantics profile: x86 (default), pg, umip\n"
"  --expose-pg           under --vmm: name every sensitive instruction that ran without a trap\n"
"  --cmdline STRING      the Multiboot command line (like QEMU's -append)\n"
"  --mem SIZE            guest RAM (default 64M; K, M, G suffixes)\n"
"  --max-insns N         stop after N instructions (exit status 4); default: no limit\n"
"  --guest-ips N         nominal guest speed for the timer, instructions per second (default 10000000)\n"
"  --trace LIST          trace levels: insn, trap, io, vmm, pg, vmx, all (comma-separated)\n"
"  --trace-file FILE     write the trace to FILE (default: standard error)\n"
"  --no-color            no ring colours in the trace (the default when not on a terminal)\n"
"  --stats FILE          write the end-of-run statistics as key=value lines\n"
"  --quiet               no end-of-run summary (why trapsim stopped a run is still said)\n"
"  --success-exit V      exit status 0 when the guest writes V to isa-debug-exit (for scripts, make)\n"
"  --no-cache            decode every instruction afresh (the decoded-instruction cache off)\n"
"  --dot FILE            write the trap-flow graph of the run (Graphviz dot)\n"
"  --svg FILE            the same graph rendered as SVG (needs Graphviz's dot)\n"
"  --html FILE           the classroom view: lanes, events to step through, graph, summary (one HTML file)\n"
"  --timeline FILE       one round trip as a sequence diagram (dot; SVG when FILE ends in .svg;\n"
"                        long ones in pages FILE-p2, FILE-p3, ... before the extension)\n"
"  --timeline-from WHAT  the event that starts it, e.g. '#GP lidt', 'IRQ0' (default 'int 0x80')\n"
"  --step                pause after each traced event (default level: trap); commands on stdin:\n"
"                        Enter next, c [KIND] next trap, e next VM exit, g next break, r registers,\n"
"                        x memory, u disassembly, i/gdt/tss tables, vmm, v VMCS, b/d breakpoints, q quit, h help\n"
"  --break ADDR|SYMBOL   pause when EIP reaches ADDR or a symbol of the image (repeatable)\n"
"  --break-on WHAT       pause at: trap (any trap event), vector N, mnemonic M (before it runs)\n"
"  --gdb PORT            wait for gdb on 127.0.0.1:PORT (0: any free port, printed on stderr)\n"
"  --gdb-verbose         log the gdb packets and every bad one on stderr\n"
"\n"
"snapshots and migration (README, \"Snapshots and live migration\"):\n"
"  --snapshot FILE       write the run's complete state to FILE at --snapshot-at N (the VM's step N),\n"
"                        then stop; --snapshot-continue goes on; --snapshot-stored: not compressed\n"
"  --migrate-to ADDR     send the VM live to 'trapsim migrate-listen ADDR' at --migrate-at N;\n"
"                        --migrate-rounds N (8), --migrate-dirty PAGES (64), --migrate-page-steps N (100),\n"
"                        --migrate-timeout S (10)\n"
"\n"
"several VMs (README, \"Several VMs in one run\"):\n"
"  --vm NAME             a VM; the options after it until the next --vm, and its IMAGE, are its own:\n"
"                        --vmm, --isa, --expose-pg, --tc-size, --cmdline, --mem, --max-insns, --guest-ips, --weight\n"
"                        (given before the first --vm, they are every VM's defaults)\n"
"  --weight N            the VM's quanta are N times as long (1 to 1000; default 1)\n"
"  --quantum N           the VM scheduler's quantum in steps (default 100000)\n"
"\n"
"raw options: --load ADDR, --ring N, --set REG=VALUE, --mem ADDR=HEX, --dump ADDR:LEN,\n"
"  --isa NAME, --max-insns N, --tables std|flat, --cr0 V, --cr4 V (see docs/RAW-MODE.md)\n"
"\n"
"exit statuses: the guest's isa-debug-exit status (odd), 0 ok, 2 bad input, 4 budget,\n"
"  6 triple fault, 8 halted for ever, 10 not modelled, 12 scenario mismatch, 14 quit,\n"
"  16 --vmm=pv: the guest kernel ran a privileged instruction, not a hypercall\n", f);
}

static int cmd_isa(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "list") == 0) {
        for (const isa_profile_t *const *p = isa_profiles(); *p; p++)
            printf("%-6s %s\n", (*p)->name, (*p)->summary);
        return EXIT_OK;
    }
    if (argc >= 2 && strcmp(argv[0], "show") == 0) {
        const isa_profile_t *p = isa_profile_find(argv[1]);
        if (!p) {
            errorf("isa show: unknown profile '%s' (see 'trapsim isa list')", argv[1]);
            return EXIT_USAGE;
        }
        isa_print_table(p, stdout);
        return EXIT_OK;
    }
    errorf("isa: expected 'isa list' or 'isa show NAME'");
    return EXIT_USAGE;
}

/* The options of one VM (README, "Several VMs in one run"): 1 when argv[*i]
 * was one (into v), 0 when it is not, -1 after an error line. */
static int parse_vm_opt(int argc, char **argv, int *i, session_opts_t *v)
{
    const char *a = argv[*i], *val;
    int r;
    if (strcmp(a, "--vmm") == 0) v->monitor = MON_TE;
    else if (strncmp(a, "--vmm=", 6) == 0) {
        int mon = vm_monitor_find(a + 6);
        if (mon <= MON_BARE) {
            errorf("--vmm=%s: unknown monitor (%s)", a + 6, vm_monitor_names());
            return -1;
        }
        v->monitor = (vm_monitor_t)mon;
    }
    else if (strcmp(a, "--expose-pg") == 0) v->expose_pg = 1;
    else if ((r = opt_value(argc, argv, i, "--tc-size", &val))) {
        uint64_t n;
        if (r < 0 || parse_size(val, &n) || n < DBT_TC_MIN || n > DBT_TC_MAX) {
            errorf("--tc-size needs a size from %uK to %uK (e.g. 64K)", DBT_TC_MIN >> 10, DBT_TC_MAX >> 10);
            return -1;
        }
        v->tc_size = (uint32_t)n;
    }
    else if ((r = opt_value(argc, argv, i, "--isa", &val))) {
        if (r < 0) {
            errorf("--isa needs a profile name (see 'trapsim isa list')");
            return -1;
        }
        if (!(v->isa = isa_profile_find(val))) {
            errorf("--isa: unknown profile '%s' (see 'trapsim isa list')", val);
            return -1;
        }
    } else if ((r = opt_value(argc, argv, i, "--cmdline", &val))) {
        if (r < 0) { errorf("--cmdline needs a string"); return -1; }
        v->cmdline = val;
    } else if ((r = opt_value(argc, argv, i, "--mem", &val))) {
        if (r < 0 || parse_size(val, &v->ram) || v->ram < (2u << 20) || v->ram > (3ull << 30)) {
            errorf("--mem needs a size from 2M to 3G (e.g. 64M)");
            return -1;
        }
    } else if ((r = opt_value(argc, argv, i, "--max-insns", &val))) {
        if (r < 0 || parse_u64(val, &v->max_insns)) { errorf("--max-insns needs a number"); return -1; }
    } else if ((r = opt_value(argc, argv, i, "--guest-ips", &val))) {
        if (r < 0 || parse_u64(val, &v->guest_ips) || v->guest_ips < 1000) {
            errorf("--guest-ips needs a number of instructions per second (at least 1000)");
            return -1;
        }
    } else if ((r = opt_value(argc, argv, i, "--weight", &val))) {
        uint64_t w;
        if (r < 0 || parse_u64(val, &w) || w < 1 || w > HOST_MAX_WEIGHT) {
            errorf("--weight needs a number from 1 to %d", HOST_MAX_WEIGHT);
            return -1;
        }
        v->weight = (unsigned)w;
    } else {
        return 0;
    }
    return 1;
}

/* A VM's name: letters, digits, '-' and '_', at most VM_NAME_MAX - 1. */
static int valid_vm_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len >= VM_NAME_MAX)
        return 0;
    return strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len;
}

/* Checks one VM's options once parsed; 0 or -1 after an error line. */
static int check_vm(const session_opts_t *v)
{
    const char *who = v->vm_name ? v->vm_name : "run";
    if (!v->image) {
        if (v->vm_name)
            errorf("--vm %s: no image given (--vm NAME [options] IMAGE)", who);
        else
            errorf("run: no image given (trapsim run [options] IMAGE)");
        return -1;
    }
    if (v->expose_pg && v->monitor != MON_TE) {
        if (v->vm_name)
            errorf("--vm %s: --expose-pg needs --vmm (it names what the VMM could not see)", who);
        else
            errorf("--expose-pg needs --vmm (it names what the VMM could not see)");
        return -1;
    }
    return 0;
}

/* --snapshot*, --migrate-*: 1 when argv[*i] was one, 0 when not, -1 after
 * an error line. */
static int parse_snapshot_opt(int argc, char **argv, int *i, session_opts_t *o, migrate_opts_t *m)
{
    static const struct { const char *name; uint64_t min, max; } nums[] = {
        { "--snapshot-at", 0, UINT64_MAX }, { "--migrate-at", 0, UINT64_MAX }, { "--migrate-rounds", 1, 1000 },
        { "--migrate-dirty", 0, UINT32_MAX }, { "--migrate-page-steps", 1, 1000000000 },
        { "--migrate-timeout", 1, 3600 },
    };
    const char *v;
    int r;
    if (strcmp(argv[*i], "--snapshot-continue") == 0 || strcmp(argv[*i], "--snapshot-stored") == 0) {
        *(argv[*i][11] == 'c' ? &o->snapshot_continue : &o->snapshot_stored) = 1;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "--snapshot", &v)) || (r = opt_value(argc, argv, i, "--migrate-to", &v))) {
        const char *name = argv[*i - (r > 0)];
        if (r < 0) {
            errorf("%s needs a %s", name, strcmp(name, "--snapshot") == 0 ? "file name" : "HOST:PORT");
            return -1;
        }
        if (strcmp(name, "--snapshot") == 0)
            o->snapshot_file = v;
        else
            m->addr = v;
        return 1;
    }
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        if (!(r = opt_value(argc, argv, i, nums[k].name, &v)))
            continue;
        uint64_t n;
        if (r < 0 || parse_u64(v, &n) || n < nums[k].min || n > nums[k].max) {
            errorf("%s needs a number from %llu to %llu", nums[k].name, (unsigned long long)nums[k].min,
                   (unsigned long long)nums[k].max);
            return -1;
        }
        uint64_t *dst[] = { &o->snapshot_at, &m->at, NULL, NULL, &m->page_steps, NULL };
        if (dst[k])
            *dst[k] = n;
        else if (k == 2)
            m->max_rounds = (unsigned)n;
        else if (k == 3)
            m->max_dirty = (uint32_t)n;
        else
            m->timeout = (unsigned)n;
        return 1;
    }
    return 0;
}

/* The snapshot and migration options together; 0 or -1 after an error line. */
static int check_snapshot_opts(session_opts_t *o, migrate_opts_t *m, int nvms)
{
    if (o->snapshot_file && m->addr) {
        errorf("--snapshot and --migrate-to: one at a time");
        return -1;
    }
    if ((o->snapshot_at || o->snapshot_continue || o->snapshot_stored) && !o->snapshot_file) {
        errorf("--snapshot-at, --snapshot-continue and --snapshot-stored need --snapshot FILE");
        return -1;
    }
    if (m->at && !m->addr) {
        errorf("--migrate-at needs --migrate-to ADDR");
        return -1;
    }
    if ((o->snapshot_file || m->addr) && (o->step || o->gdb)) {
        errorf("--snapshot and --migrate-to do not go with --step, --break, --break-on or --gdb");
        return -1;
    }
    if (m->addr && nvms) {
        errorf("--migrate-to takes a run of one VM, not --vm");
        return -1;
    }
    m->host_ms = 1;
    o->migrate = m->addr ? m : NULL;
    return 0;
}

/* Parses `run` options into o; returns 0, or an exit status. Options
 * before the first --vm are the run's, and the defaults of every VM; after
 * `--vm NAME`, a VM's own options and its image (several VMs, host/). */
static int parse_run(int argc, char **argv, session_opts_t *o)
{
    int color = isatty(STDERR_FILENO);
    static step_opts_t step;   /* app/step.h, app/gdb.h: o points at them */
    static gdb_opts_t gdb;
    static session_opts_t vms[HOST_MAX_VMS];
    static migrate_opts_t mig;
    migrate_defaults(&mig);
    int nvms = 0;
    session_opts_t *cur = o;   /* where a VM's options go */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if ((r = parse_vm_opt(argc, argv, &i, cur))) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "--vm", &v))) {
            if (r < 0 || !valid_vm_name(v)) {
                errorf("--vm needs a name of letters, digits, '-' and '_' (at most %d characters)", VM_NAME_MAX - 1);
                return EXIT_USAGE;
            }
            if (o->image) {
                errorf("run: the image '%s' comes before --vm: with --vm, each VM names its own", o->image);
                return EXIT_USAGE;
            }
            for (int k = 0; k < nvms; k++) {
                if (strcmp(vms[k].vm_name, v) == 0) {
                    errorf("--vm %s: two VMs of that name", v);
                    return EXIT_USAGE;
                }
            }
            if (nvms == HOST_MAX_VMS) {
                errorf("--vm: at most %d VMs in one run", HOST_MAX_VMS);
                return EXIT_USAGE;
            }
            cur = &vms[nvms++];
            *cur = *o;
            cur->vm_name = v;
        } else if (strcmp(a, "--no-color") == 0) color = 0;
        else if (strcmp(a, "--quiet") == 0) o->quiet = 1;
        else if (strcmp(a, "--no-cache") == 0) o->no_cache = 1;
        else if ((r = opt_value(argc, argv, &i, "--success-exit", &v))) {
            uint64_t code;
            if (r < 0 || parse_u64(v, &code) || code > 127) {
                errorf("--success-exit needs the guest's success value, 0 to 127");
                return EXIT_USAGE;
            }
            o->success_exit = (int)code + 1;
        }
        else if ((r = opt_value(argc, argv, &i, "--quantum", &v))) {
            if (r < 0 || parse_u64(v, &o->quantum) || o->quantum < 1) {
                errorf("--quantum needs a number of steps (at least 1)");
                return EXIT_USAGE;
            }
        } else if ((r = opt_value(argc, argv, &i, "--trace", &v))) {
            if (r < 0) {
                errorf("--trace needs a list of insn, trap, io, vmm, pg, all");
                return EXIT_USAGE;
            }
            if (trace_parse_levels(v, &o->trace_levels)) {
                errorf("--trace: expected a list of insn, trap, io, vmm, pg, all (got '%s')", v);
                return EXIT_USAGE;
            }
        } else if ((r = opt_value(argc, argv, &i, "--trace-file", &v))) {
            if (r < 0) { errorf("--trace-file needs a file name"); return EXIT_USAGE; }
            o->trace_file = v;
            color = 0;
        } else if ((r = opt_value(argc, argv, &i, "--dot", &v))) {
            if (r < 0) { errorf("--dot needs a file name"); return EXIT_USAGE; }
            o->dot_file = v;
        } else if ((r = opt_value(argc, argv, &i, "--html", &v))) {
            if (r < 0) { errorf("--html needs a file name"); return EXIT_USAGE; }
            o->html_file = v;
        } else if ((r = opt_value(argc, argv, &i, "--svg", &v))) {
            if (r < 0) { errorf("--svg needs a file name"); return EXIT_USAGE; }
            o->svg_file = v;
        } else if ((r = opt_value(argc, argv, &i, "--timeline-from", &v))) {
            if (r < 0 || !*v) { errorf("--timeline-from needs an event, e.g. 'int 0x80'"); return EXIT_USAGE; }
            o->timeline_from = v;
        } else if ((r = opt_value(argc, argv, &i, "--timeline", &v))) {
            if (r < 0) { errorf("--timeline needs a file name"); return EXIT_USAGE; }
            o->timeline_file = v;
        } else if ((r = opt_value(argc, argv, &i, "--stats", &v))) {
            if (r < 0) { errorf("--stats needs a file name"); return EXIT_USAGE; }
            o->stats_file = v;
        } else if ((r = parse_snapshot_opt(argc, argv, &i, o, &mig))) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = step_parse_opt(argc, argv, &i, &step)) || (r = gdb_parse_opt(argc, argv, &i, &gdb))) {
            if (r < 0)
                return EXIT_USAGE;
        } else if (a[0] == '-' && a[1] != 0) {
            errorf("run: unknown option '%s' (see 'trapsim --help')", a);
            return EXIT_USAGE;
        } else if (cur->image) {
            if (cur->vm_name)
                errorf("--vm %s: more than one image ('%s' and '%s')", cur->vm_name, cur->image, a);
            else
                errorf("run: more than one image ('%s' and '%s')", o->image, a);
            return EXIT_USAGE;
        } else {
            cur->image = a;
        }
    }
    if (nvms == 0 && check_vm(o))
        return EXIT_USAGE;
    for (int k = 0; k < nvms; k++) {
        if (check_vm(&vms[k]))
            return EXIT_USAGE;
        o->expose_pg |= vms[k].expose_pg;
    }
    if (o->expose_pg)
        o->trace_levels |= TL_PG;
    if (step_opts_active(&step))
        o->step = &step;
    if (gdb.given)
        o->gdb = &gdb;
    if (nvms && (o->step || o->gdb)) {
        errorf("--step, --break, --break-on and --gdb take one VM, not --vm");
        return EXIT_USAGE;
    }
    if (o->step && o->gdb) {
        errorf("--gdb cannot be combined with --step, --break or --break-on (use gdb's breakpoints)");
        return EXIT_USAGE;
    }
    if (gdb.verbose && !gdb.given) {
        errorf("--gdb-verbose needs --gdb PORT");
        return EXIT_USAGE;
    }
    if (check_snapshot_opts(o, &mig, nvms))
        return EXIT_USAGE;
    o->vms = nvms ? vms : NULL;
    o->nvms = nvms;
    o->color = color;
    return 0;
}

/* trapsim resume FILE [options], trapsim migrate-listen ADDR [options]:
 * the run's options (trace, statistics, ...) but not a VM's, which come
 * with the VM. */
static int cmd_restore(const char *cmd, int argc, char **argv)
{
    if (argc == 0) {
        errorf("%s needs %s", cmd, strcmp(cmd, "resume") == 0 ? "a snapshot FILE" : "an ADDR (e.g. 127.0.0.1:7000)");
        return EXIT_USAGE;
    }
    session_opts_t o, dflt;
    session_defaults(&o);
    session_defaults(&dflt);
    unsigned timeout = 60;
    char *args[256];
    int n = 0;
    for (int i = 0; i < argc && n < 256; i++) {
        const char *v;
        uint64_t t;
        int r = opt_value(argc, argv, &i, "--timeout", &v);
        if (r < 0 || (r > 0 && (parse_u64(v, &t) || t < 1 || t > 86400))) {
            errorf("--timeout needs a number of seconds from 1 to 86400");
            return EXIT_USAGE;
        }
        if (r > 0 && strcmp(cmd, "resume") == 0) {
            errorf("resume: --timeout is migrate-listen's");
            return EXIT_USAGE;
        }
        if (r > 0)
            timeout = (unsigned)t;
        else
            args[n++] = argv[i];
    }
    int r = parse_run(n, args, &o);
    if (r) {
        return r;
    }
    if (o.nvms || o.monitor != dflt.monitor || o.isa != dflt.isa || o.cmdline || o.ram != dflt.ram ||
        o.max_insns || o.guest_ips != dflt.guest_ips || o.expose_pg) {
        errorf("%s: the VM's options (--vm, --vmm, --isa, --mem, --cmdline, --max-insns, --guest-ips, --expose-pg) "
               "come with the VM", cmd);
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "resume") == 0)
        o.resume_file = o.image;
    else
        o.listen_addr = o.image;
    o.listen_timeout = timeout;
    return session_run(&o);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        errorf("no command given (see 'trapsim --help')");
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("trapsim %s\n", TRAPSIM_VERSION);
        return EXIT_OK;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        }
    }
    if (strcmp(cmd, "raw") == 0)
        return raw_main(argc - 2, argv + 2);
    if (strcmp(cmd, "isa") == 0)
        return cmd_isa(argc - 2, argv + 2);
    if (strcmp(cmd, "scenario") == 0)
        return scenario_main(argc - 2, argv + 2);
    if (strcmp(cmd, "compare") == 0)
        return compare_main(argc - 2, argv + 2);
    if (strcmp(cmd, "resume") == 0 || strcmp(cmd, "migrate-listen") == 0)
        return cmd_restore(cmd, argc - 2, argv + 2);
    if (strcmp(cmd, "run") == 0) {
        session_opts_t o;
        session_defaults(&o);
        int r = parse_run(argc - 2, argv + 2, &o);
        if (r)
            return r;
        int st = session_run(&o);
        /* --success-exit V: the guest wrote V to isa-debug-exit, status (V << 1) | 1: success */
        return o.success_exit && st == (((o.success_exit - 1) << 1) | 1) ? EXIT_OK : st;
    }
    errorf("unknown command '%s' (see 'trapsim --help')", cmd);
    return EXIT_USAGE;
}
