/* `trapsim scenario`: teaching scenarios (app/scenario.h; the file format is
 * in scenarios/README.md).
 *
 *   trapsim scenario --list
 *   trapsim scenario NAME [--check | --update] [--no-color]
 *                         [--dot FILE] [--svg FILE] [--timeline FILE] [--html FILE]
 *
 * A scenario's log, on standard output, is: a header (the description and
 * the equivalent `trapsim run` command), the trace as the scenario filters
 * it, with the guest's console lines in it where they were printed
 * ("cons"), then the end-of-run summary and the exit status. The log is a
 * pure function of the scenario, so --check compares it byte for byte with
 * scenarios/NAME.expected, and the trap-flow graph with scenarios/NAME.dot. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/args.h"
#include "app/compare.h"
#include "app/dot.h"
#include "app/html.h"
#include "app/linediff.h"
#include "app/scenario.h"
#include "app/scenario_cut.h"
#include "app/scenario_file.h"
#include "app/scenario_view.h"
#include "app/session.h"
#include "cpu/cpu.h"
#include "cpu/trace.h"

/* ------------------------------------------------------------------ */
/* Files and places                                                     */
/* ------------------------------------------------------------------ */

/* Reads a whole file; 0, or -1 with errno. */
static int read_whole(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *b = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                fclose(f);
                errno = ENOMEM;
                return -1;
            }
            b = nb;
        }
        errno = 0;
        size_t r = fread(b + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f), why = errno ? errno : EIO;   /* keep the reason: "Is a directory" */
    fclose(f);
    if (bad) {
        free(b);
        errno = why;
        return -1;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

/* A folder with at least one scenario file in it. */
static int has_scenarios(const char *path)
{
    DIR *dir = opendir(path);
    if (!dir)
        return 0;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(dir))) {
        size_t n = strlen(de->d_name);
        found = n > 4 && strcmp(de->d_name + n - 4, ".scn") == 0;
    }
    closedir(dir);
    return found;
}

/* Where scenarios live. The repository root is the directory of the
 * trapsim binary or the nearest one above it (up to 3 levels: build/san/
 * trapsim) whose scenarios/ folder has scenario files, or for an installed
 * trapsim (make install) PREFIX/share/trapsim; the built-in scenarios'
 * images are relative to it. TRAPSIM_SCENARIOS names another folder of scenario files. */
typedef struct places {
    char root[PATH_MAX];
    char dir[PATH_MAX];     /* the scenario files, as opened */
    char shown[PATH_MAX];   /* the same, as error messages name it */
} places_t;

static void find_places(places_t *pl)
{
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0) {
        snprintf(exe, sizeof exe, "./trapsim");
        k = (ssize_t)strlen(exe);
    }
    exe[k] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(exe, sizeof exe, ".");
    snprintf(pl->root, sizeof pl->root, "%s", exe);
    char dir[PATH_MAX + 16];
    /* installed (make install): PREFIX/bin/trapsim, PREFIX/share/trapsim/scenarios */
    char probe[PATH_MAX + 48];
    snprintf(probe, sizeof probe, "%.4000s/../share/trapsim/scenarios", exe);
    if (has_scenarios(probe))
        snprintf(pl->root, sizeof pl->root, "%.4000s/../share/trapsim", exe);
    snprintf(dir, sizeof dir, "%s", exe);
    for (int up = 0; up < 4 && !has_scenarios(probe); up++) {
        char here[PATH_MAX + 32];
        snprintf(here, sizeof here, "%.4000s/scenarios", dir);
        if (has_scenarios(here)) {
            snprintf(pl->root, sizeof pl->root, "%.4000s", dir);
            break;
        }
        char *s = strrchr(dir, '/');
        if (!s || s == dir)
            break;
        *s = 0;
    }
    const char *env = getenv("TRAPSIM_SCENARIOS");
    if (env && *env) {
        snprintf(pl->dir, sizeof pl->dir, "%s", env);
        snprintf(pl->shown, sizeof pl->shown, "%s", env);
    } else {
        snprintf(pl->dir, sizeof pl->dir, "%.4000s/scenarios", pl->root);
        snprintf(pl->shown, sizeof pl->shown, "scenarios");
    }
}

/* One scenario's files: NAME.scn, NAME.expected, NAME.dot, each as opened
 * and as shown. */
typedef struct files {
    char name[64];
    char dir[PATH_MAX];     /* the folder of the scenario file, as opened */
    char scn[PATH_MAX], scn_shown[PATH_MAX];
    char log[PATH_MAX], log_shown[PATH_MAX];
    char dot[PATH_MAX], dot_shown[PATH_MAX];
} files_t;

static int valid_name(const char *n)
{
    if (!*n || strlen(n) >= 64)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '-' || *n == '_' || *n == '.'))
            return 0;
    return 1;
}

static void set_path(char *dst, const char *dir, const char *name, const char *ext)
{
    snprintf(dst, PATH_MAX, "%.*s/%s%s", PATH_MAX - 80, dir, name, ext);
}

/* NAME (in the scenarios folder) or a path to a .scn file. */
static int find_files(const places_t *pl, const char *arg, files_t *f)
{
    memset(f, 0, sizeof *f);
    size_t n = strlen(arg);
    int is_path = strchr(arg, '/') || (n > 4 && strcmp(arg + n - 4, ".scn") == 0);
    if (is_path) {
        if (n <= 4 || strcmp(arg + n - 4, ".scn") != 0 || n >= PATH_MAX - 16) {
            errorf("%s: a scenario file's name ends in .scn", arg);
            return -1;
        }
        const char *slash = strrchr(arg, '/');
        const char *base = slash ? slash + 1 : arg;
        size_t bn = strlen(base) - 4;
        snprintf(f->name, sizeof f->name, "%.*s", (int)(bn < 63 ? bn : 63), base);
        char dir[PATH_MAX];
        if (slash)
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - arg), arg);
        else
            snprintf(dir, sizeof dir, ".");
        snprintf(f->scn, PATH_MAX, "%s", arg);
        snprintf(f->scn_shown, PATH_MAX, "%s", arg);
        snprintf(f->dir, PATH_MAX, "%s", dir);
        set_path(f->log, dir, f->name, ".expected");
        set_path(f->dot, dir, f->name, ".dot");
        snprintf(f->log_shown, PATH_MAX, "%s", f->log);
        snprintf(f->dot_shown, PATH_MAX, "%s", f->dot);
        return 0;
    }
    if (!valid_name(arg)) {
        errorf("scenario '%s': a name has letters, digits, '-', '_' and '.' only (see 'trapsim scenario --list')", arg);
        return -1;
    }
    snprintf(f->name, sizeof f->name, "%s", arg);
    snprintf(f->dir, PATH_MAX, "%s", pl->dir);
    set_path(f->scn, pl->dir, arg, ".scn");
    set_path(f->log, pl->dir, arg, ".expected");
    set_path(f->dot, pl->dir, arg, ".dot");
    set_path(f->scn_shown, pl->shown, arg, ".scn");
    set_path(f->log_shown, pl->shown, arg, ".expected");
    set_path(f->dot_shown, pl->shown, arg, ".dot");
    return 0;
}

/* Loads and parses a scenario file; 0, or -1 after one error line. */
static int load(const files_t *f, scenario_t *s)
{
    char *text;
    size_t len;
    if (read_whole(f->scn, &text, &len)) {
        if (errno == ENOENT)
            errorf("%s: no such scenario (see 'trapsim scenario --list')", f->scn_shown);
        else
            errorf("%s: cannot read: %s", f->scn_shown, strerror(errno));
        return -1;
    }
    char err[512];
    int r = scenario_parse_buf(f->scn_shown, text, len, s, err, sizeof err);
    free(text);
    if (r) {
        errorf("%s", err);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The log                                                              */
/* ------------------------------------------------------------------ */

/* The argument as a shell would need it: quoted when it has to be. */
static void put_shell_word(FILE *out, const char *w)
{
    int plain = *w != 0;
    for (const char *c = w; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=,._/-+:", *c))
            plain = 0;
    if (plain) {
        fputs(w, out);
        return;
    }
    fputc('\'', out);
    for (const char *c = w; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", out);
        else
            fputc(*c, out);
    }
    fputc('\'', out);
}

/* The levels by name; `dbt` only for a run with a VM under the binary
 * translator (`all` has the bit whatever the monitor). */
static void put_levels(FILE *out, uint32_t levels, int dbt)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        { TL_INSN, "insn" }, { TL_TRAP, "trap" }, { TL_IO, "io" }, { TL_VMM, "vmm" }, { TL_PG, "pg" },
        { TL_VMX, "vmx" }, { TL_DBT, "dbt" },
    };
    if (levels == TL_ALL) {   /* the scenario's own word: stays right when a level is added */
        fputs("all", out);
        return;
    }
    if (!dbt)
        levels &= ~(uint32_t)TL_DBT;
    int any = 0;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (levels & names[k].bit)
            fprintf(out, "%s%s", any++ ? "," : "", names[k].name);
    if (!any)
        fputs("none", out);
}

/* A VM's options as `trapsim run` takes them; --trace where the one-VM
 * command has it when `levels` is given. */
static void put_vm_args(FILE *out, const scn_vm_t *v, const uint32_t *levels)
{
    if (v->monitor == MON_TE)
        fputs(" --vmm", out);
    else if (v->monitor != MON_BARE)
        fprintf(out, " --vmm=%s", vm_monitor_name(v->monitor));
    fprintf(out, " --isa %s", v->isa);
    if (v->expose_pg)
        fputs(" --expose-pg", out);
    if (levels) {
        fputs(" --trace ", out);
        put_levels(out, *levels, v->monitor == MON_DBT);
    }
    if (v->max_insns != SCN_DEFAULT_BUDGET)   /* the default budget is only a safety net */
        fprintf(out, " --max-insns %llu", (unsigned long long)v->max_insns);
    if (v->guest_ips)
        fprintf(out, " --guest-ips %llu", (unsigned long long)v->guest_ips);
    if (v->mem)
        fprintf(out, " --mem %lluK", (unsigned long long)(v->mem >> 10));
    if (v->weight > 1)
        fprintf(out, " --weight %u", v->weight);
    if (v->has_cmdline) {
        fputs(" --cmdline ", out);
        put_shell_word(out, v->cmdline);
    }
    fputc(' ', out);
    put_shell_word(out, v->image);
}

static void put_title(FILE *out, const scenario_t *s, int color)
{
    fprintf(out, "%s== trapsim scenario %s%s\n", color ? "\033[1m" : "", s->name, color ? "\033[0m" : "");
    fputs(s->description, out);
}

/* The equivalent `trapsim run` command: of the one VM `v`, or of a run's VMs. */
static void put_command(FILE *out, const scenario_t *s, const scn_vm_t *v, const scn_run_t *run, int color)
{
    fprintf(out, "%s== trapsim run", color ? "\033[1m" : "");
    if (!run || !run->nvms) {
        put_vm_args(out, v, &s->trace_levels);
    } else {
        fputs(" --trace ", out);
        int dbt = 0;
        for (int k = 0; k < run->nvms; k++)
            dbt |= v[k].monitor == MON_DBT;
        put_levels(out, s->trace_levels, dbt);
        if (run->quantum)
            fprintf(out, " --quantum %llu", (unsigned long long)run->quantum);
        for (int k = 0; k < run->nvms; k++) {
            fprintf(out, " --vm %s", v[k].vm_name);
            put_vm_args(out, &v[k], NULL);
        }
    }
    fprintf(out, "%s\n", color ? "\033[0m" : "");
}

static void put_filters(FILE *out, const scenario_t *s)
{
    /* the filters, in words */
    if (s->insns[0]) {
        fputs("== shown: insn lines only for ", out);
        size_t n = strlen(s->insns);
        for (size_t k = 1; k + 1 < n; k++) {
            fputc(s->insns[k], out);
            if (s->insns[k] == ',')
                fputc(' ', out);
        }
        fputc('\n', out);
    }
    if (s->nports) {
        fputs("== shown: io lines only for ports ", out);
        for (int k = 0; k < s->nports; k++) {
            fprintf(out, "%s0x%x", k ? ", " : "", s->ports[k][0]);
            if (s->ports[k][1] != s->ports[k][0])
                fprintf(out, "-0x%x", s->ports[k][1]);
        }
        fputc('\n', out);
    }
    if (s->match[0]) {
        fputs("== shown: only trace lines containing ", out);
        for (const char *m = s->match; *m; ) {
            size_t n = strcspn(m, "|");
            fprintf(out, "%s'%.*s'", m == s->match ? "" : m[n] ? ", " : " or ", (int)n, m);
            m += n;
            if (*m == '|')
                m++;
        }
        fputc('\n', out);
    }
    if (s->from[0]) {
        fprintf(out, "== shown: from the first line containing '%s'", s->from);
        if (s->context)
            fprintf(out, " (and the %u lines before it)", s->context);
        fputc('\n', out);
    }
    if (s->until[0])
        fprintf(out, "== shown: until the first line %scontaining '%s'\n", s->from[0] ? "after that " : "",
                s->until);
    if (s->limit)
        fprintf(out, "== shown: at most %llu trace lines, the first ones\n", (unsigned long long)s->limit);
    if (s->hide_hi)
        fprintf(out, "== shown: no lines of events in the code at %08x-%08x (%s)\n", s->hide_lo, s->hide_hi,
                s->hide_what);
    if (s->tail)
        fprintf(out, "== shown: the last %u trace lines only (and every console line)\n", s->tail);
}

static const char *status_meaning(int st)
{
    if (st & 1)
        return "the guest's isa-debug-exit";
    switch (st) {
    case EXIT_OK:         return "ok";
    case EXIT_BUDGET:     return "the instruction budget ran out";
    case EXIT_TRIPLE:     return "triple fault";
    case EXIT_HALTED:     return "halted for ever";
    case EXIT_UNMODELLED: return "something trapsim does not model";
    case EXIT_QUIT:       return "quit";
    case EXIT_NOT_PV:     return "not a paravirtual guest";
    default:              return "error";
    }
}

/* A VM's options from its scenario keys; 0, or EXIT_USAGE after an error
 * line. `image` holds the image's path as opened: a relative path is
 * relative to the scenario file's folder, or else (the built-in scenarios'
 * build/guests/...) to the repository root. */
static int vm_opts(const places_t *pl, const files_t *f, const scn_vm_t *v, session_opts_t *o, char *image,
                   size_t n)
{
    if (v->image[0] == '/') {
        snprintf(image, n, "%s", v->image);
    } else {
        snprintf(image, n, "%s/%s", f->dir, v->image);
        if (access(image, F_OK) != 0)
            snprintf(image, n, "%s/%s", pl->root, v->image);
    }
    if (access(image, R_OK) != 0) {
        if (v->image[0] == '/')
            errorf("%s: image %s: %s (build it with 'make')", f->scn_shown, v->image, strerror(errno));
        else
            errorf("%s: image %s: %s (looked for beside the scenario file, then in %s; build it with 'make')",
                   f->scn_shown, v->image, strerror(errno), pl->root);
        return EXIT_USAGE;
    }
    session_defaults(o);
    o->image = image;
    o->image_name = v->image;   /* what the guest sees, the same in every checkout */
    o->cmdline = v->has_cmdline ? v->cmdline : NULL;
    if (v->mem)
        o->ram = v->mem;
    o->max_insns = v->max_insns;
    if (v->guest_ips)
        o->guest_ips = v->guest_ips;
    o->isa = isa_profile_find(v->isa);
    o->monitor = v->monitor;
    o->expose_pg = v->expose_pg;
    o->vm_name = v->vm_name;
    o->weight = v->weight;
    return 0;
}

/* Runs one run of a scenario (`run` NULL: the one VM of a file without
 * sections), its log to `out`; the trap-flow picture into `dot` when
 * given. Returns the run's exit status (EXIT_USAGE when it could not run). */
static int run_one(const places_t *pl, const files_t *f, const scenario_t *s, const scn_run_t *run, FILE *out,
                   int color, dot_t *dot, html_t *html)
{
    const scn_vm_t *vms = !run ? &s->vm : run->nvms ? &s->vms[run->first] : &run->dflt;
    int n = run && run->nvms ? run->nvms : 1;
    static char images[SCN_MAX_VMS][PATH_MAX + 300];
    session_opts_t vo[SCN_MAX_VMS];
    for (int k = 0; k < n; k++)
        if (vm_opts(pl, f, &vms[k], &vo[k], images[k], sizeof images[k]))
            return EXIT_USAGE;
    FILE *null = fopen("/dev/null", "w");
    if (!null) {
        errorf("/dev/null: %s", strerror(errno));
        return EXIT_USAGE;
    }
    scenario_view_t *v = scenario_view_new(out, color, s);
    if (!v) {
        fclose(null);
        errorf("out of memory");
        return EXIT_USAGE;
    }
    trace_sink_t sinks[3] = {
        scenario_view_sink(v),
        { DOT_LEVELS, dot_emit, NULL, dot },
        { HTML_LEVELS, html_emit, NULL, html },
    };

    session_opts_t o = vo[0];
    if (run && run->nvms) {
        session_defaults(&o);
        o.vms = vo;
        o.nvms = n;
        o.quantum = run->quantum;
    }
    o.trace_levels = 0;               /* the view above is the text trace */
    o.console = null;                 /* the view prints the console lines */
    o.summary_out = out;
    o.extra_sinks = sinks;
    o.nextra_sinks = !dot ? 1 : html ? 3 : 2;

    if (!run) {
        put_title(out, s, color);
        put_command(out, s, vms, NULL, color);
        put_filters(out, s);
    } else {
        fprintf(out, "%s== run %d of %d: %s%s\n", color ? "\033[1m" : "", (int)(run - s->runs) + 1, s->nruns,
                run->title[0] ? run->title : "the VMs", color ? "\033[0m" : "");
        put_command(out, s, vms, run, color);
    }
    fflush(out);
    int st = s->snapshot_at || s->migrate_at ? scenario_run_cut(s, &o, out) : session_run(&o);
    fclose(null);
    scenario_view_free(v);
    if (st != EXIT_USAGE)
        fprintf(out, "%s== exit status %d: %s%s\n", color ? "\033[1m" : "", st, status_meaning(st),
                color ? "\033[0m" : "");
    fflush(out);
    return st;
}

/* Runs a scenario: its one VM, or each [run] in turn. Returns the last
 * run's exit status, EXIT_USAGE when one could not run. */
static int run_scenario(const places_t *pl, const files_t *f, const scenario_t *s, FILE *out, int color,
                        dot_t *dot, html_t *html)
{
    if (!s->nruns)
        return run_one(pl, f, s, NULL, out, color, dot, html);
    put_title(out, s, color);
    put_filters(out, s);
    int st = EXIT_OK;
    for (int r = 0; r < s->nruns && st != EXIT_USAGE; r++)
        st = run_one(pl, f, s, &s->runs[r], out, color, dot, html);
    return st;
}

/* The pictures' mode (app/dot.h) for the monitors of every VM. */
static int dot_mode(const scenario_t *s)
{
    int mode = s->nruns ? DOT_BARE : dot_mode_add(DOT_BARE, s->monitor);
    for (int r = 0; r < s->nruns; r++)
        mode = s->runs[r].nvms ? mode : dot_mode_add(mode, s->runs[r].dflt.monitor);
    for (int k = 0; k < s->nvms; k++)
        mode = dot_mode_add(mode, s->vms[k].monitor);
    return mode;
}

/* ------------------------------------------------------------------ */
/* Commands                                                             */
/* ------------------------------------------------------------------ */

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int list_scenarios(const places_t *pl)
{
    DIR *dir = opendir(pl->dir);
    if (!dir) {
        errorf("%s: cannot list the scenarios: %s", pl->shown, strerror(errno));
        return EXIT_USAGE;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len <= 4 || strcmp(de->d_name + len - 4, ".scn") != 0 || len - 4 >= 64)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        names[n] = strndup(de->d_name, len - 4);
        if (names[n])
            n++;
    }
    closedir(dir);
    qsort(names, n, sizeof *names, cmp_str);
    int status = EXIT_OK;
    for (size_t k = 0; k < n; k++) {
        files_t f;
        scenario_t s;
        if (find_files(pl, names[k], &f) || load(&f, &s)) {
            status = EXIT_USAGE;
        } else {
            size_t first = strcspn(s.description, "\n");
            printf("%-18s %-4s %-5s %.*s\n", s.name, s.nruns ? "host" : s.monitor == MON_TE ? "vmm" : vm_monitor_name(s.monitor), s.isa, (int)first,
                   s.description);
        }
        free(names[k]);
    }
    free(names);
    if (n == 0)
        printf("(no scenarios in %s)\n", pl->shown);
    return status;
}

static int write_file(const char *path, const char *shown, const char *buf, size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
        errorf("%s: cannot write: %s", shown, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return 0;
}

static size_t count_lines(const char *b, size_t len)
{
    size_t n = 0;
    for (size_t k = 0; k < len; k++)
        n += b[k] == '\n';
    return n;
}

/* Compares `got` with the file `path`; 0 equal, 1 different (diff
 * printed), -1 when the file cannot be read. */
static int compare_with(const files_t *f, const char *what, const char *path, const char *shown,
                        const char *got, size_t glen)
{
    char *want;
    size_t wlen;
    if (read_whole(path, &want, &wlen)) {
        if (errno == ENOENT)
            errorf("%s: no expected %s to check against (write it with: trapsim scenario %s --update)",
                   shown, what, f->name);
        else
            errorf("%s: cannot read: %s", shown, strerror(errno));
        return -1;
    }
    int r = 0;
    if (wlen != glen || memcmp(want, got, glen) != 0) {
        char this_run[128];
        snprintf(this_run, sizeof this_run, "scenario %s (this run)", f->name);
        printf("scenario %s: MISMATCH: the %s differs from %s\n", f->name, what, shown);
        line_diff(want, wlen, shown, got, glen, this_run, stdout);
        r = 1;
    }
    free(want);
    return r;
}

/* The pictures asked for on the command line; 0, or -1 after an error line. */
static int write_pictures(const dot_t *dot, const html_t *html, const char *title, const char *dot_file,
                          const char *svg_file, const char *timeline_file, const char *html_file)
{
    int rc = dot_write_files(dot, title, dot_file, svg_file, timeline_file);
    if (html && html_write_file(html, html_file, title, dot))
        rc = -1;
    return rc;
}

void scenario_root(char *buf, size_t n)
{
    places_t pl;
    find_places(&pl);
    snprintf(buf, n, "%s", pl.root);
}

/* scenario compare: the table of `trapsim compare` without host times, its
 * expected log scenarios/compare.expected. */
static int compare_scenario(const places_t *pl, int check, int update)
{
    files_t f = { .name = "compare" };
    snprintf(f.log, sizeof f.log, "%.4000s/compare.expected", pl->dir);
    snprintf(f.log_shown, sizeof f.log_shown, "%.4000s/compare.expected", pl->shown);
    if (!check && !update)
        return compare_write_counts(stdout, pl->root);
    char *table = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&table, &len);
    if (!m) {
        errorf("out of memory");
        return EXIT_USAGE;
    }
    int status = compare_write_counts(m, pl->root);
    fclose(m);
    if (status == EXIT_OK && update) {
        if (write_file(f.log, f.log_shown, table, len))
            status = EXIT_USAGE;
        else
            printf("scenario compare: wrote %s (%zu lines)\n", f.log_shown, count_lines(table, len));
    } else if (status == EXIT_OK) {
        int r = compare_with(&f, "table", f.log, f.log_shown, table, len);
        status = r < 0 ? EXIT_USAGE : r ? EXIT_MISMATCH : EXIT_OK;
        if (!r)
            printf("scenario compare: ok (%zu lines as in %s)\n", count_lines(table, len), f.log_shown);
    }
    free(table);
    return status;
}

int scenario_main(int argc, char **argv)
{
    const char *name = NULL, *dot_file = NULL, *svg_file = NULL, *timeline_file = NULL, *html_file = NULL;
    int check = 0, update = 0, list = 0, color = isatty(STDOUT_FILENO);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (strcmp(a, "--check") == 0) check = 1;
        else if (strcmp(a, "--update") == 0) update = 1;
        else if (strcmp(a, "--list") == 0) list = 1;
        else if (strcmp(a, "--no-color") == 0) color = 0;
        else if ((r = opt_value(argc, argv, &i, "--dot", &v))) {
            if (r < 0) { errorf("--dot needs a file name"); return EXIT_USAGE; }
            dot_file = v;
        } else if ((r = opt_value(argc, argv, &i, "--svg", &v))) {
            if (r < 0) { errorf("--svg needs a file name"); return EXIT_USAGE; }
            svg_file = v;
        } else if ((r = opt_value(argc, argv, &i, "--timeline", &v))) {
            if (r < 0) { errorf("--timeline needs a file name"); return EXIT_USAGE; }
            timeline_file = v;
        } else if ((r = opt_value(argc, argv, &i, "--html", &v))) {
            if (r < 0) { errorf("--html needs a file name"); return EXIT_USAGE; }
            html_file = v;
        } else if (a[0] == '-' && a[1]) {
            errorf("scenario: unknown option '%s' (see 'trapsim --help')", a);
            return EXIT_USAGE;
        } else if (name) {
            errorf("scenario: one scenario at a time ('%s' and '%s')", name, a);
            return EXIT_USAGE;
        } else {
            name = a;
        }
    }
    places_t pl;
    find_places(&pl);
    if (list) {
        if (name || check || update) {
            errorf("scenario --list takes nothing else");
            return EXIT_USAGE;
        }
        return list_scenarios(&pl);
    }
    if (!name) {
        errorf("scenario: which one? (trapsim scenario NAME; 'trapsim scenario --list' shows them)");
        return EXIT_USAGE;
    }
    if (check && update) {
        errorf("scenario: --check or --update, not both");
        return EXIT_USAGE;
    }
    if (strcmp(name, "compare") == 0) {
        if (dot_file || svg_file || timeline_file || html_file) {
            errorf("scenario compare draws no pictures ('trapsim compare --html FILE' draws its table)");
            return EXIT_USAGE;
        }
        return compare_scenario(&pl, check, update);
    }
    files_t f;
    scenario_t s;
    if (find_files(&pl, name, &f) || load(&f, &s))
        return EXIT_USAGE;
    /* the file's own name wins over what the argument looked like */
    snprintf(s.name, sizeof s.name, "%s", f.name);

    if (dot_check_paths(dot_file, svg_file, timeline_file))
        return EXIT_USAGE;
    dot_t *dot = dot_new(dot_mode(&s), s.timeline[0] ? s.timeline : NULL);
    html_t *html = html_file ? html_new() : NULL;
    if (!dot || (html_file && !html)) {
        dot_free(dot);
        html_free(html);
        errorf("out of memory");
        return EXIT_USAGE;
    }
    char title[512];
    size_t first = strcspn(s.description, "\n");
    snprintf(title, sizeof title, "scenario %s: %.*s", s.name, (int)(first < 200 ? first : 200), s.description);

    int status;
    if (!check && !update) {
        /* The run's own end (the guest's exit status, a halt, ...) is part
         * of the scenario and its log's last line: having shown it, the
         * command succeeded. */
        status = run_scenario(&pl, &f, &s, stdout, color, dot, html) == EXIT_USAGE ? EXIT_USAGE : EXIT_OK;
        if (status != EXIT_USAGE && write_pictures(dot, html, title, dot_file, svg_file, timeline_file, html_file))
            status = EXIT_USAGE;
        dot_free(dot);
        html_free(html);
        return status;
    }

    char *log = NULL, *graph = NULL;
    size_t loglen = 0, graphlen = 0;
    FILE *mlog = open_memstream(&log, &loglen);
    if (!mlog) {
        dot_free(dot);
        html_free(html);
        errorf("out of memory");
        return EXIT_USAGE;
    }
    int st = run_scenario(&pl, &f, &s, mlog, 0, dot, html);
    fclose(mlog);
    if (st == EXIT_USAGE) {
        free(log);
        dot_free(dot);
        html_free(html);
        return EXIT_USAGE;
    }
    FILE *mg = open_memstream(&graph, &graphlen);
    if (!mg) {
        free(log);
        dot_free(dot);
        html_free(html);
        errorf("out of memory");
        return EXIT_USAGE;
    }
    dot_write_graph(dot, mg, title);
    fclose(mg);
    status = EXIT_OK;
    if (update) {
        if (write_file(f.log, f.log_shown, log, loglen) || write_file(f.dot, f.dot_shown, graph, graphlen))
            status = EXIT_USAGE;
        else
            printf("scenario %s: wrote %s (%zu lines) and %s\n", s.name, f.log_shown, count_lines(log, loglen),
                   f.dot_shown);
    } else {
        int r1 = compare_with(&f, "log", f.log, f.log_shown, log, loglen);
        int r2 = r1 < 0 ? -1 : compare_with(&f, "trap-flow graph", f.dot, f.dot_shown, graph, graphlen);
        if (r1 < 0 || r2 < 0)
            status = EXIT_USAGE;
        else if (r1 || r2)
            status = EXIT_MISMATCH;
        else
            printf("scenario %s: ok (%zu lines as in %s; the graph as in %s)\n", s.name,
                   count_lines(log, loglen), f.log_shown, f.dot_shown);
    }
    if (status != EXIT_USAGE && write_pictures(dot, html, title, dot_file, svg_file, timeline_file, html_file))
        status = EXIT_USAGE;
    free(log);
    free(graph);
    dot_free(dot);
    html_free(html);
    return status;
}
