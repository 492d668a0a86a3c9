/* trapsim: the command line, nothing else. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "app/args.h"
#include "app/gdb.h"
#include "app/raw.h"
#include "app/scenario.h"
#include "app/session.h"
#include "app/step.h"
#include "cpu/cpu.h"
#include "cpu/trace.h"
#include "host/host.h"

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
"  scenario NAME [--check|--update] [--no-color] [--dot/--svg/--timeline FILE]\n"
"                            run a teaching scenario (scenario --list: all of them)\n"
"  isa list                  the ISA semantics profiles\n"
"  isa show NAME             the sensitive instructions and what they do in a profile\n"
"  --help, --version\n"
"\n"
"run options:\n"
"  --vmm, --vmm=te       run the guest deprivileged under trapsim's ring-0 VMM (trap and emulate)\n"
"  --vmm=vtx             run the guest unchanged under trapsim's hypervisor over VMX\n"
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
"  --timeline FILE       one round trip as a sequence diagram (dot; SVG when FILE ends in .svg;\n"
"                        long ones in pages FILE-p2, FILE-p3, ... before the extension)\n"
"  --timeline-from WHAT  the event that starts it, e.g. '#GP lidt', 'IRQ0' (default 'int 0x80')\n"
"  --step                pause after each traced event (default level: trap); commands on stdin:\n"
"                        Enter next, c next trap, g next break, r registers, i IDT, q quit\n"
"  --break ADDR          pause when EIP reaches ADDR (repeatable)\n"
"  --break-on WHAT       pause at: trap (any trap event), vector N, mnemonic M (before it runs)\n"
"  --gdb PORT            wait for gdb on 127.0.0.1:PORT (0: any free port, printed on stderr)\n"
"  --gdb-verbose         log the gdb packets and every bad one on stderr\n"
"\n"
"several VMs (README, \"Several VMs in one run\"):\n"
"  --vm NAME             a VM; the options after it until the next --vm, and its IMAGE, are its own:\n"
"                        --vmm, --isa, --expose-pg, --cmdline, --mem, --max-insns, --guest-ips, --weight\n"
"                        (given before the first --vm, they are every VM's defaults)\n"
"  --weight N            the VM's quanta are N times as long (1 to 1000; default 1)\n"
"  --quantum N           the VM scheduler's quantum in steps (default 100000)\n"
"\n"
"raw options: --load ADDR, --ring N, --set REG=VALUE, --mem ADDR=HEX, --dump ADDR:LEN,\n"
"  --isa NAME, --max-insns N, --tables std|flat, --cr0 V, --cr4 V (see docs/RAW-MODE.md)\n"
"\n"
"exit statuses: the guest's isa-debug-exit status (odd), 0 ok, 2 bad input, 4 budget,\n"
"  6 triple fault, 8 halted for ever, 10 not modelled, 12 scenario mismatch, 14 quit\n", f);
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

/* Parses `run` options into o; returns 0, or an exit status. Options
 * before the first --vm are the run's, and the defaults of every VM; after
 * `--vm NAME`, a VM's own options and its image (several VMs, host/). */
static int parse_run(int argc, char **argv, session_opts_t *o)
{
    int color = isatty(STDERR_FILENO);
    static step_opts_t step;   /* app/step.h, app/gdb.h: o points at them */
    static gdb_opts_t gdb;
    static session_opts_t vms[HOST_MAX_VMS];
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
    o->vms = nvms ? vms : NULL;
    o->nvms = nvms;
    o->color = color;
    return 0;
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
