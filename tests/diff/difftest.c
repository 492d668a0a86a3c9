/* difftest: the differential test of trapsim's CPU against a reference: the
 * host CPU (native.c) or QEMU running the reference kernel (qemu.c).
 *
 *   difftest [--seed S] [--count N] [--start K]      compare N cases
 *   difftest --seed S --case K                         replay one case, verbosely
 *   difftest --self-check [--seed S] [--count N]       native runner twice, no trapsim
 *   difftest --show K [--seed S]                       print a case and its native result
 * See tests/diff/README.md. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/diff/diff.h"

const char *const stop_names[] = { "none", "int3", "int", "exception", "hlt", "budget", "harness" };

static struct {
    uint64_t seed;
    uint64_t count, start;
    int64_t one_case;
    int self_check, show, quiet;
    int max_report;
    const char *child, *trapsim, *keep;
    const char *code;       /* --code HEX: a hand-written case */
    int nsets, nmems;
    char *sets[16];         /* --set REG=VALUE for --code */
    char *mems[16];         /* --mem ADDR=HEX for --code */
    int native_only;
    int jobs;
    char skip_arg[512];
    gen_opts_t gen;
    int ref;                /* enum ref_kind: asked for (REF_AUTO) or in use */
    const char *qemu, *refkernel;
    int hand_cpl, hand_std; /* --ring, --tables std, --cr0, --cr4 for --code */
    uint32_t hand_cr0, hand_cr4;
    const char *deviation;  /* --deviation NAME: the case must show it */
    int if_possible;        /* --ref native --if-possible: skip (status 0) where it cannot run */
} opt;

/* The reference the cases run on. */
enum ref_kind { REF_AUTO, REF_NATIVE, REF_QEMU };
static const char *const ref_names[] = { "auto", "native", "qemu" };
typedef struct ref {
    native_t *nat;
    qemu_t *q;
} ref_t;
#define QEMU_CHUNK 2000     /* cases per QEMU boot (the batch must fit in 64 MiB) */

/* A case from --code/--set: zero memory, registers zero unless set, ESP and
 * EFLAGS as trapsim raw's defaults, no instruction table (so no flags are
 * masked: the reader judges). */
static void hand_case(dcase_t *c)
{
    memset(c, 0, sizeof *c);
    c->regs[R_ESP] = STACK_TOP;
    c->eflags = 0x202;
    c->cpl = (uint8_t)opt.hand_cpl;
    c->std_tables = (uint8_t)opt.hand_std;
    c->cr0 = opt.hand_cr0;
    c->cr4 = opt.hand_cr4;
    c->stack_init_lo = c->stack_init_hi = STACK_TOP;
    c->uses_low = opt.gen.low_ok;
    for (const char *p = opt.code; *p;) {
        if (*p == ' ' || *p == ',' || *p == ':') { p++; continue; }
        unsigned v;
        if (sscanf(p, "%2x", &v) != 1 || c->code_len >= CODE_MAX - 1) {
            fprintf(stderr, "difftest: --code: bad hex at \"%s\"\n", p);
            exit(2);
        }
        c->code[c->code_len++] = (uint8_t)v;
        p += (p[1] && p[1] != ' ') ? 2 : 1;
    }
    if (!c->code_len || c->code[c->code_len - 1] != 0xcc)
        c->code[c->code_len++] = 0xcc;
    for (int i = 0; i < opt.nsets; i++) {
        char *eq = strchr(opt.sets[i], '=');
        int r = -1;
        if (eq) {
            *eq = 0;
            for (int k = 0; k < NREGS; k++)
                if (!strcmp(opt.sets[i], reg_names[k]))
                    r = k;
            if (!strcmp(opt.sets[i], "eflags"))
                r = NREGS;
            *eq = '=';
        }
        if (r < 0) {
            fprintf(stderr, "difftest: --set %s: expected REG=VALUE\n", opt.sets[i]);
            exit(2);
        }
        uint32_t v = (uint32_t)strtoul(eq + 1, 0, 0);
        if (r == NREGS) c->eflags = v | 2;
        else c->regs[r] = v;
    }
    for (int i = 0; i < opt.nmems; i++) {
        char *end;
        uint32_t a = (uint32_t)strtoul(opt.mems[i], &end, 0);
        if (*end != '=') {
            fprintf(stderr, "difftest: --mem %s: expected ADDR=HEX\n", opt.mems[i]);
            exit(2);
        }
        for (const char *p = end + 1; p[0] && p[1]; p += 2, a++) {
            unsigned v;
            if (sscanf(p, "%2x", &v) != 1) break;
            if (a >= DATA_BASE && a < DATA_BASE + DATA_SIZE) c->data[a - DATA_BASE] = (uint8_t)v;
            else if (a >= STACK_LO && a < STACK_TOP) {
                c->stack[a - STACK_LO] = (uint8_t)v;
                if (a < c->stack_init_lo) c->stack_init_lo = a;
                c->stack_init_hi = STACK_TOP;
            } else if (a >= LOW_BASE && a < LOW_BASE + LOW_SIZE) c->low[a - LOW_BASE] = (uint8_t)v;
            else {
                fprintf(stderr, "difftest: --mem: %08x is outside the areas\n", a);
                exit(2);
            }
        }
    }
}

static char tmpdir[1024];
static const char *refname = "native";  /* the reference in use, for the reports */

static const char *flag_names(uint32_t f, char *buf, size_t len)
{
    static const struct { uint32_t bit; const char *name; } t[] = {
        { F_CF, "CF" }, { F_PF, "PF" }, { F_AF, "AF" }, { F_ZF, "ZF" }, { F_SF, "SF" },
        { F_TF, "TF" }, { F_IF, "IF" }, { F_DF, "DF" }, { F_OF, "OF" }, { F_IOPL, "IOPL" },
        { F_NT, "NT" }, { F_RF, "RF" }, { F_VM, "VM" }, { F_AC, "AC" }, { F_VIF, "VIF" },
        { F_VIP, "VIP" }, { F_ID, "ID" }, { F_B1, "bit1" },
    };
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (f & t[i].bit)
            n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? " " : "", t[i].name);
    if (f & ~(uint32_t)0x3f7fd7)
        snprintf(buf + n, n < len ? len - n : 0, "%sother:%08x", n ? " " : "", f & ~(uint32_t)0x3f7fd7);
    if (!f)
        snprintf(buf, len, "-");
    return buf;
}

static void print_stop(FILE *f, const char *who, const dresult_t *r)
{
    fprintf(f, "    %-8s stop=%s", who, stop_names[r->stop]);
    if (r->stop == STOP_INT || r->stop == STOP_EXC)
        fprintf(f, " vector=%08x", (uint32_t)r->vector);
    if (r->has_error)
        fprintf(f, " error=%08x", r->error);
    if (r->stop != STOP_HARNESS)
        fprintf(f, " eip=%08x eflags=%08x", r->eip, r->eflags);
    if (r->note[0])
        fprintf(f, "  (%s)", r->note);
    fputc('\n', f);
}

/* Compares; writes one line per difference into out (if not NULL).
 * Returns the number of differences. */
static int compare(const dcase_t *c, const dresult_t *n, const dresult_t *s,
                   int mask_undef, uint32_t mask_more, char *out, size_t outlen)
{
    int nd = 0;
    size_t len = 0;
#define DIFF(...) do { nd++; if (out && len < outlen) \
        len += (size_t)snprintf(out + len, outlen - len, __VA_ARGS__); } while (0)
    if (n->stop == STOP_HARNESS || s->stop == STOP_HARNESS) {
        DIFF("      harness: %s\n", n->stop == STOP_HARNESS ? n->note : s->note);
        return nd;
    }
    if (n->stop != s->stop)
        DIFF("      stop      %s=%s trapsim=%s\n", refname, stop_names[n->stop], stop_names[s->stop]);
    else if ((n->stop == STOP_INT || n->stop == STOP_EXC) && n->vector != s->vector)
        DIFF("      vector    %s=%08x trapsim=%08x\n", refname, (uint32_t)n->vector, (uint32_t)s->vector);
    if (n->stop == STOP_EXC && s->stop == STOP_EXC && n->vector == s->vector &&
        n->has_error && s->has_error && n->error != s->error)
        DIFF("      error     %s=%08x trapsim=%08x\n", refname, n->error, s->error);
    if (n->stop == STOP_EXC && n->vector == 14)
        DIFF("      harness: %s\n", n->note);
    if (n->eip != s->eip)
        DIFF("      eip       %s=%08x trapsim=%08x\n", refname, n->eip, s->eip);
    for (int i = 0; i < NREGS; i++)
        if (n->regs[i] != s->regs[i])
            DIFF("      %-9s %s=%08x trapsim=%08x\n", reg_names[i], refname, n->regs[i], s->regs[i]);
    uint32_t mask = F_NEVER | mask_more | (mask_undef ? gen_undef_at_stop(c, n) : 0);
    uint32_t fd = (n->eflags ^ s->eflags) & ~mask;
    if (fd) {
        char b1[128], b2[128];
        DIFF("      eflags    %s=%08x trapsim=%08x differ in [%s] (not compared: %s)\n", refname,
             n->eflags, s->eflags, flag_names(fd, b1, sizeof b1), flag_names(mask, b2, sizeof b2));
    }
    struct { const char *name; uint32_t base, size; const uint8_t *a, *b; int on; } m[3] = {
        { "data", DATA_BASE, DATA_SIZE, n->data, s->data, 1 },
        { "stack", STACK_LO, STACK_SIZE, n->stack, s->stack, 1 },
        { "low", LOW_BASE, LOW_SIZE, n->low, s->low, c->uses_low },
    };
    for (int k = 0; k < 3; k++) {
        if (!m[k].on)
            continue;
        int shown = 0;
        for (uint32_t i = 0; i < m[k].size; i += 4) {
            if (memcmp(m[k].a + i, m[k].b + i, 4) == 0)
                continue;
            if (shown++ >= 6) {
                DIFF("      ... more %s differences\n", m[k].name);
                break;
            }
            DIFF("      mem %08x %s=%02x%02x%02x%02x trapsim=%02x%02x%02x%02x (bytes in memory order)\n",
                 m[k].base + i, refname, m[k].a[i], m[k].a[i + 1], m[k].a[i + 2], m[k].a[i + 3],
                 m[k].b[i], m[k].b[i + 1], m[k].b[i + 2], m[k].b[i + 3]);
        }
    }
#undef DIFF
    return nd;
}

/* ---- Known QEMU deviations (tests/diff/qemu-deviations.md) ----
 * The one place where a difference between QEMU and trapsim may pass: when
 * a deviation listed there explains it.  Each rule names its deviation. */
enum { DEV_CX8_FLAGS, DEV_SEG_CHECKS, DEV_LOCK_UD, DEV_LTR_NULL, DEV_OUTER_SS_NP, NDEVS };
static const char *const dev_names[NDEVS] = { "cmpxchg8b-flags", "data-segment-checks", "lock-ud",
                                              "ltr-null", "outer-return-ss-np" };

/* CMPXCHG8B (0F C7 /1) at code offset off, after its prefixes */
static int is_cmpxchg8b(const dcase_t *c, uint32_t off)
{
    while (off < c->code_len && x86_is_prefix(c->code[off]))
        off++;
    return off + 2 < c->code_len && c->code[off] == 0x0f && c->code[off + 1] == 0xc7 &&
           ((c->code[off + 2] >> 3) & 7) == 1;
}

/* cmpxchg8b-flags: QEMU 7.2 computes the flags CMPXCHG8B leaves alone (CF
 * PF AF SF OF) from a stale lazy-flags state, and its EFLAGS image then
 * carries garbage above them too.  The case passes if the differences are
 * only in flags a CMPXCHG8B may have left stale at the stop (the
 * generator's dataflow, with CMPXCHG8B leaving those five undefined), in
 * the garbage bits, or anything at all when the case reads a stale flag or
 * QEMU's EFLAGS show bits that must be 0 (QEMU made the garbage real). */
static int dev_cx8_flags(const dcase_t *c, const dresult_t *n, const dresult_t *s)
{
    static dcase_t x;
    const uint32_t stale = F_CF | F_PF | F_AF | F_SF | F_OF;
    /* QEMU ORs the garbage into its EFLAGS image: bits outside the five
     * can only be set there, never cleared */
    const uint32_t garbage = ~(F_ZF | stale);
    int superset = !((s->eflags & ~n->eflags) & garbage & ~F_NEVER);
    int any = 0;
    if (!c->ninsns) {                   /* a --code case: any CMPXCHG8B in it */
        for (uint32_t o = 0; o < c->code_len && !any; o++)
            any = is_cmpxchg8b(c, o);
        return any && (n->eflags & REF_EFLAGS_ZERO ||
                       (superset && compare(c, n, s, 0, ~F_ZF, 0, 0) == 0));
    }
    memcpy(&x, c, sizeof x);
    for (int i = 0; i < x.ninsns; i++)
        if (is_cmpxchg8b(&x, x.insns[i].off)) {
            x.insns[i].gen |= stale;
            any = 1;
        }
    char msg[8];
    if (!any)
        return 0;
    /* bits that must be 0 are set: QEMU folded the garbage into its real
     * EFLAGS (TF, IOPL, AC... with them), so anything may follow */
    if (n->eflags & REF_EFLAGS_ZERO)
        return 1;
    if (gen_flow(&x, msg, sizeof msg))
        return 1;                       /* a stale flag was read: anything may follow */
    uint32_t at_stop = gen_undef_at_stop(&x, n) & stale;
    return at_stop && superset && compare(&x, n, s, 1, garbage, 0, 0) == 0;
}

/* The rules that QEMU does not fault where trapsim does, at trapsim's
 * faulting instruction: data-segment-checks (#GP(0)/#SS(0) from a null
 * selector, a limit, a write to a code or read-only segment: QEMU's TCG
 * checks segments only when they are loaded), lock-ud (#UD for LOCK on an
 * instruction that cannot take it: QEMU runs it) and ltr-null (#GP(0) for
 * LTR of a null selector: QEMU loads it, and the next task switch, the
 * case's end, fails, so there is no QEMU result at all). */
static int dev_missed_fault(const dcase_t *c, const dresult_t *n, const dresult_t *s, int dev)
{
    uint32_t off = s->eip - CODE_BASE;
    if (s->stop != STOP_EXC || off >= c->code_len ||
        (n->stop == STOP_EXC && n->eip == s->eip) || (n->stop == STOP_HARNESS && dev != DEV_LTR_NULL))
        return 0;
    int lock = 0, mem = 0;
    uint32_t o = off;
    for (; o < c->code_len && x86_is_prefix(c->code[o]); o++)
        lock |= c->code[o] == 0xf0;
    if (o + 1 < c->code_len) {
        uint8_t op = c->code[o], modrm = c->code[o + (op == 0x0f ? 2 : 1)];
        /* a ModRM memory operand, moffs, or a string instruction */
        mem = (modrm >> 6) != 3 || (op >= 0xa0 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
              op == 0xd7;
    }
    if (dev == DEV_LOCK_UD)
        return lock && s->vector == 6;
    if (dev == DEV_LTR_NULL)                   /* 0F 00 /3 */
        return o + 2 < c->code_len && c->code[o] == 0x0f && c->code[o + 1] == 0x00 &&
               ((c->code[o + 2] >> 3) & 7) == 3 && s->vector == 13 && s->has_error && s->error == 0;
    return mem && (s->vector == 13 || s->vector == 12) && s->has_error && s->error == 0;
}

/* outer-return-ss-np: RETF or IRET to an outer ring whose new SS is not
 * present: #SS(SS) by the SDM (and trapsim), #NP(SS) in QEMU.  Everything
 * else must agree. */
static int dev_outer_ss_np(const dcase_t *c, const dresult_t *n, const dresult_t *s)
{
    uint32_t o = s->eip - CODE_BASE;
    if (n->stop != STOP_EXC || s->stop != STOP_EXC || n->vector != 11 || s->vector != 12 ||
        n->eip != s->eip || o >= c->code_len)
        return 0;
    while (o < c->code_len && x86_is_prefix(c->code[o]))
        o++;
    if (o >= c->code_len || (c->code[o] != 0xca && c->code[o] != 0xcb && c->code[o] != 0xcf))
        return 0;
    static dresult_t m;
    m = *n;
    m.vector = 12;
    return compare(c, &m, s, c->ninsns != 0, 0, 0, 0) == 0;
}

/* The known deviation that explains the differences between the QEMU
 * result n and trapsim's s, or -1. */
static int qemu_deviation(const dcase_t *c, const dresult_t *n, const dresult_t *s)
{
    if (s->stop == STOP_HARNESS)
        return -1;
    if (dev_missed_fault(c, n, s, DEV_LTR_NULL))
        return DEV_LTR_NULL;
    if (n->stop == STOP_HARNESS)
        return -1;
    if (dev_missed_fault(c, n, s, DEV_LOCK_UD))
        return DEV_LOCK_UD;
    if (dev_missed_fault(c, n, s, DEV_SEG_CHECKS))
        return DEV_SEG_CHECKS;
    if (dev_outer_ss_np(c, n, s))
        return DEV_OUTER_SS_NP;
    if (dev_cx8_flags(c, n, s))
        return DEV_CX8_FLAGS;
    return -1;
}

static void disassemble(FILE *f, const dcase_t *c)
{
    char path[4200], cmd[8600];
    snprintf(path, sizeof path, "%s/dis.bin", tmpdir);
    if (write_code_file(c, path) != 0)
        return;
    snprintf(cmd, sizeof cmd,
             "objdump -D -b binary -m i386 --adjust-vma=0x%x '%s' 2>/dev/null", CODE_BASE, path);
    FILE *p = popen(cmd, "r");
    if (!p) {
        fprintf(f, "    (objdump not available)\n");
        return;
    }
    char line[512];
    int started = 0;
    while (fgets(line, sizeof line, p)) {
        if (strstr(line, "<.data>:")) {
            started = 1;
            continue;
        }
        if (started && line[0] != '\n')
            fprintf(f, "    %s", line);
    }
    pclose(p);
}

static void print_case(FILE *f, const dcase_t *c)
{
    fprintf(f, "    code (%u bytes):", c->code_len);
    for (uint32_t i = 0; i < c->code_len; i++)
        fprintf(f, " %02x", c->code[i]);
    fprintf(f, "\n");
    disassemble(f, c);
    fprintf(f, "    initial:");
    for (int i = 0; i < NREGS; i++)
        fprintf(f, " %s=%08x", reg_names[i], c->regs[i]);
    fprintf(f, " eflags=%08x\n", c->eflags);
    fprintf(f, "    memory: data %08x-%08x (random), stack %08x-%08x (random; rest of %08x-%08x zero)%s\n",
            DATA_BASE, DATA_BASE + DATA_SIZE - 1, c->stack_init_lo, c->stack_init_hi - 1,
            STACK_LO, STACK_TOP - 1, c->uses_low ? ", low 00008000-00008fff (random)" : "");
}

static void keep_case(const dcase_t *c)
{
    if (!opt.keep)
        return;
    mkdir(opt.keep, 0777);
    char path[4200], sh[4300];
    snprintf(path, sizeof path, "%s/case-%llu-%llu.bin", opt.keep,
             (unsigned long long)c->seed, (unsigned long long)c->index);
    write_code_file(c, path);
    snprintf(sh, sizeof sh, "%s/case-%llu-%llu.sh", opt.keep,
             (unsigned long long)c->seed, (unsigned long long)c->index);
    FILE *f = fopen(sh, "w");
    if (f) {
        fprintf(f, "#!/bin/sh\n# difftest --seed %llu --case %llu\n",
                (unsigned long long)c->seed, (unsigned long long)c->index);
        sim_print_cmd(f, "${TRAPSIM:-./trapsim}", c, path, 0);
        fclose(f);
    }
}

static void report(const dcase_t *c, const dresult_t *n, const dresult_t *s,
                   const char *diffs, const char *what)
{
    char extra[700] = "";
    if (opt.gen.max_len != 12)
        snprintf(extra, sizeof extra, " --max-len %d", opt.gen.max_len);
    if (!opt.gen.allow_div_fault)
        strcat(extra, " --no-div-fault");
    if (!opt.gen.allow_priv)
        strcat(extra, " --no-priv");
    if (opt.gen.any_ring)
        strcat(extra, " --rings all");
    if (opt.ref == REF_QEMU)
        strcat(extra, " --ref qemu");
    if (opt.skip_arg[0] && strlen(extra) + strlen(opt.skip_arg) + 8 < sizeof extra)
        strcat(extra, " --skip "), strcat(extra, opt.skip_arg);
    printf("%s: seed=%llu case=%llu   (replay: difftest --seed %llu --case %llu%s)\n",
           what, (unsigned long long)c->seed, (unsigned long long)c->index,
           (unsigned long long)c->seed, (unsigned long long)c->index, extra);
    print_case(stdout, c);
    char who[32];
    snprintf(who, sizeof who, "%s:", refname);
    print_stop(stdout, who, n);
    print_stop(stdout, opt.self_check ? "again:" : "trapsim:", s);
    printf("    differences:\n%s", diffs);
    if (!opt.self_check) {
        printf("    trapsim command (in full: difftest --case %llu ...):\n      ",
               (unsigned long long)c->index);
        sim_print_cmd(stdout, opt.trapsim, c, "CODE.bin", 1);
    }
    fflush(stdout);
    keep_case(c);
}

typedef struct stats {
    uint64_t passed, failed, genbad, reported;
    uint64_t stops[8], vectors[256];
    uint32_t covered[4];
    uint64_t ring_cases[4], ring_failed[4];     /* by the case's CPL */
    uint64_t deviations[NDEVS];                 /* passed only by a known QEMU deviation */
    uint64_t class_cases[128], class_failed[128];   /* cases using the class */
} stats_t;

/* Opens the reference opt.ref (REF_NATIVE or REF_QEMU) in dir. */
static int ref_open(ref_t *r, const char *dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (opt.ref == REF_QEMU)
        r->q = qemu_open(opt.qemu, opt.refkernel, dir, err, errlen);
    else
        r->nat = native_open(opt.child, err, errlen);
    return r->q || r->nat ? 0 : -1;
}

static void ref_close(ref_t *r)
{
    native_close(r->nat);
    qemu_close(r->q);
    memset(r, 0, sizeof *r);
}

/* One case on the reference (a batch of one on QEMU). */
static void ref_run_one(ref_t *r, const dcase_t *c, dresult_t *res)
{
    if (r->nat) {
        native_run(r->nat, c, res);
        return;
    }
    qemu_begin(r->q);
    qemu_add(r->q, c);
    qemu_run(r->q);
    qemu_result(r->q, 0, c, res);
}

static void cleanup_tmp(const char *dir)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/case.bin", dir); unlink(path);
    snprintf(path, sizeof path, "%s/dis.bin", dir); unlink(path);
    snprintf(path, sizeof path, "%s/out.txt", dir); unlink(path);
    snprintf(path, sizeof path, "%s/stats.bin", dir); unlink(path);
    rmdir(dir);
}

static void count_case(stats_t *st, const dcase_t *c, int failed)
{
    st->ring_cases[c->cpl & 3]++;
    st->ring_failed[c->cpl & 3] += (uint64_t)failed;
    for (int k = 0; k < gen_nclasses() && k < 128; k++)
        if (c->classes[k / 32] & (1u << (k % 32))) {
            st->class_cases[k]++;
            st->class_failed[k] += (uint64_t)failed;
        }
}

/* Runs cases first, first+stride, ... below opt.start + opt.count; on QEMU
 * QEMU_CHUNK of them per boot (generated twice: once for the batch, once
 * to compare, so that no more than one dcase_t is kept). */
static void run_range(ref_t *ref, native_t *nat2, uint64_t first, uint64_t stride,
                      stats_t *st, int progress)
{
    static dcase_t c, c2;
    static dresult_t rn, rs;
    static char diffs[8192];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t done = 0, end = opt.start + opt.count;
    for (uint64_t k0 = first; k0 < end;) {
        uint64_t n = ref->q ? QEMU_CHUNK : 1, k1 = k0;
        for (uint64_t i = 0; i < n && k1 < end; i++)
            k1 += stride;
        if (ref->q) {
            qemu_begin(ref->q);
            for (uint64_t k = k0; k < k1; k += stride) {
                gen_case(&opt.gen, opt.seed, k, &c);
                qemu_add(ref->q, &c);
            }
            qemu_run(ref->q);
        }
        uint32_t pos = 0;
        for (uint64_t k = k0; k < k1; k += stride, pos++) {
            gen_case(&opt.gen, opt.seed, k, &c);
            char gmsg[256];
            if (gen_flow(&c, gmsg, sizeof gmsg)) {
                st->genbad++;
                if (st->genbad <= 3)
                    printf("difftest: generator: seed=%llu case=%llu: %s\n",
                           (unsigned long long)opt.seed, (unsigned long long)k, gmsg);
            }
            for (int i = 0; i < 4; i++)
                st->covered[i] |= c.classes[i];
            if (ref->q)
                qemu_result(ref->q, pos, &c, &rn);
            else
                native_run(ref->nat, &c, &rn);
            st->stops[rn.stop]++;
            if (rn.stop == STOP_EXC || rn.stop == STOP_INT)
                st->vectors[rn.vector & 255]++;
            int nd;
            if (opt.self_check) {
                /* the second child runs another case first, so that leftovers
                 * of one case would show up in the next */
                gen_case(&opt.gen, opt.seed, k * 7 + 12345, &c2);
                native_run(nat2, &c2, &rs);
                native_run(nat2, &c, &rs);
                nd = compare(&c, &rn, &rs, 0, 0, diffs, sizeof diffs);
                if (rn.stop == STOP_HARNESS || (rn.stop == STOP_EXC && rn.vector == 14)) {
                    nd++;
                    snprintf(diffs + strlen(diffs), sizeof diffs - strlen(diffs),
                             "      native run: %s\n", rn.note);
                }
            } else {
                sim_run(opt.trapsim, &c, tmpdir, &rs);
                if (rs.stop == STOP_HARNESS && !strncmp(rs.note, "cannot run", 10)) {
                    /* e.g. trapsim being rebuilt under us: stop, do not count */
                    printf("difftest: %s: stopping at case %llu\n", rs.note, (unsigned long long)k);
                    st->failed++;
                    return;
                }
                nd = compare(&c, &rn, &rs, 1, 0, diffs, sizeof diffs);
                int dev = nd && ref->q ? qemu_deviation(&c, &rn, &rs) : -1;
                if (dev >= 0) {
                    st->deviations[dev]++;
                    nd = 0;
                }
            }
            count_case(st, &c, nd != 0);
            if (nd) {
                st->failed++;
                if ((int)st->reported < opt.max_report) {
                    st->reported++;
                    report(&c, &rn, &rs, diffs, opt.self_check ? "NATIVE NOT DETERMINISTIC" : "MISMATCH");
                } else if (opt.keep) {
                    keep_case(&c);
                }
            } else {
                st->passed++;
            }
            done++;
            if (progress && !opt.quiet && opt.count >= 20000 &&
                (done * stride) % 10000 < stride) {
                clock_gettime(CLOCK_MONOTONIC, &t1);
                fprintf(stderr, "difftest: ~%llu cases, %.0f s\n", (unsigned long long)(done * stride),
                        (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
            }
        }
        k0 = k1;
    }
}

/* -j N: N worker processes, each with its own native child and directory,
 * running every N-th case; their reports are printed in worker order. */
static void run_parallel(stats_t *st)
{
    int n = opt.jobs;
    pid_t pids[64];
    char dirs[64][1100];
    int maxrep = opt.max_report;
    for (int j = 0; j < n; j++) {
        snprintf(dirs[j], sizeof dirs[j], "%s/w%d", tmpdir, j);
        mkdir(dirs[j], 0700);
        fflush(stdout);
        pids[j] = fork();
        if (pids[j] < 0) {
            fprintf(stderr, "difftest: fork: %s\n", strerror(errno));
            exit(2);
        }
        if (pids[j] == 0) {
            char path[4200], err[512];
            snprintf(tmpdir, sizeof tmpdir, "%.1000s", dirs[j]);
            snprintf(path, sizeof path, "%s/out.txt", tmpdir);
            if (!freopen(path, "w", stdout))
                _exit(2);
            ref_t a;
            native_t *b = 0;
            int bad = ref_open(&a, tmpdir, err, sizeof err);
            if (!bad && opt.self_check && !(b = native_open(opt.child, err, sizeof err)))
                bad = 1;
            if (bad) {
                printf("difftest: worker %d: %s\n", j, err);
                _exit(2);
            }
            opt.max_report = (maxrep + n - 1) / n;
            stats_t ws;
            memset(&ws, 0, sizeof ws);
            run_range(&a, b, opt.start + (uint64_t)j, (uint64_t)n, &ws, j == 0);
            ref_close(&a);
            native_close(b);
            fflush(stdout);
            snprintf(path, sizeof path, "%s/stats.bin", tmpdir);
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(&ws, sizeof ws, 1, f) != 1 || fclose(f) != 0)
                _exit(2);
            _exit(0);
        }
    }
    for (int j = 0; j < n; j++) {
        int wst;
        waitpid(pids[j], &wst, 0);
        char path[4200];
        snprintf(path, sizeof path, "%.1000s/out.txt", dirs[j]);
        FILE *f = fopen(path, "r");
        if (f) {
            char buf[8192];
            size_t k;
            while ((k = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, k, stdout);
            fclose(f);
        }
        stats_t ws;
        snprintf(path, sizeof path, "%.1000s/stats.bin", dirs[j]);
        f = fopen(path, "rb");
        if (!f || fread(&ws, sizeof ws, 1, f) != 1 || !WIFEXITED(wst) || WEXITSTATUS(wst)) {
            printf("difftest: worker %d failed\n", j);
            st->failed++;
        } else {
            st->passed += ws.passed;
            st->failed += ws.failed;
            st->genbad += ws.genbad;
            st->reported += ws.reported;
            for (int i = 0; i < 8; i++) st->stops[i] += ws.stops[i];
            for (int i = 0; i < 256; i++) st->vectors[i] += ws.vectors[i];
            for (int i = 0; i < 4; i++) st->covered[i] |= ws.covered[i];
            for (int i = 0; i < 4; i++) st->ring_cases[i] += ws.ring_cases[i];
            for (int i = 0; i < 4; i++) st->ring_failed[i] += ws.ring_failed[i];
            for (int i = 0; i < NDEVS; i++) st->deviations[i] += ws.deviations[i];
            for (int i = 0; i < 128; i++) st->class_cases[i] += ws.class_cases[i];
            for (int i = 0; i < 128; i++) st->class_failed[i] += ws.class_failed[i];
        }
        if (f) fclose(f);
        cleanup_tmp(dirs[j]);
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: difftest [--seed S|random] [--count N] [--start K] [--case K]\n"
            "                [--self-check] [--show K] [--max-len N] [--no-div-fault]\n"
            "                [--no-priv] [--skip CLASS,...] [--max-report N] [--keep DIR]\n"
            "                [--child PATH]\n"
            "                [--trapsim PATH] [-j JOBS] [-q] [--rings all|3]\n"
            "                [--ref native|qemu|auto] [--if-possible] [--qemu PATH] [--refkernel PATH]\n"
            "       difftest --code HEX [--set REG=VALUE]... [--mem ADDR=HEX]... [--native-only]\n"
            "                [--ring N] [--tables std] [--cr0 V] [--cr4 V] [--deviation NAME]\n");
    exit(2);
}

/* The index of v among names[0..n-1]; anything else is a bad argument. */
static int choice(const char *option, const char *v, const char *const *names, int n)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(v, names[k]))
            return k;
    fprintf(stderr, "difftest: %s %s: expected", option, v);
    for (int k = 0; k < n; k++)
        fprintf(stderr, "%s %s", k ? (k == n - 1 ? " or" : ",") : "", names[k]);
    fprintf(stderr, "\n");
    exit(2);
}

/* NAME in the directory of this program (argv0) */
static const char *beside_self(const char *argv0, const char *name)
{
    char self[4096], *buf = malloc(4200);
    if (!buf)
        exit(2);
    snprintf(self, sizeof self, "%s", argv0);
    snprintf(buf, 4200, "%s/%s", dirname(self), name);
    return buf;
}

static uint64_t parse_num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    opt.seed = 1;
    opt.count = 3000;
    opt.one_case = -1;
    opt.max_report = 5;
    gen_default_opts(&opt.gen);
    opt.trapsim = getenv("TRAPSIM") && *getenv("TRAPSIM") ? getenv("TRAPSIM") : "./trapsim";
    opt.qemu = getenv("QEMU") && *getenv("QEMU") ? getenv("QEMU") : "qemu-system-i386";
    opt.hand_cpl = 3;
    opt.hand_cr0 = 0x11;
    int show = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define ARG() (i + 1 < argc ? argv[++i] : (usage(), ""))
        if (!strcmp(a, "--seed")) {
            const char *v = ARG();
            if (!strcmp(v, "random")) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                opt.seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
                opt.seed %= 1000000000000ull;
            } else {
                opt.seed = parse_num(v);
            }
        } else if (!strcmp(a, "--count")) opt.count = parse_num(ARG());
        else if (!strcmp(a, "--start")) opt.start = parse_num(ARG());
        else if (!strcmp(a, "--case")) opt.one_case = (int64_t)parse_num(ARG());
        else if (!strcmp(a, "--self-check")) opt.self_check = 1;
        else if (!strcmp(a, "--show")) show = (int)parse_num(ARG());
        else if (!strcmp(a, "--max-len")) opt.gen.max_len = (int)parse_num(ARG());
        else if (!strcmp(a, "--no-div-fault")) opt.gen.allow_div_fault = 0;
        else if (!strcmp(a, "--no-priv")) opt.gen.allow_priv = 0;
        else if (!strcmp(a, "--max-report")) opt.max_report = (int)parse_num(ARG());
        else if (!strcmp(a, "--keep")) opt.keep = ARG();
        else if (!strcmp(a, "--child")) opt.child = ARG();
        else if (!strcmp(a, "--trapsim")) opt.trapsim = ARG();
        else if (!strcmp(a, "--code")) opt.code = ARG();
        else if (!strcmp(a, "--set")) { if (opt.nsets < 16) opt.sets[opt.nsets++] = ARG(); }
        else if (!strcmp(a, "--mem")) { if (opt.nmems < 16) opt.mems[opt.nmems++] = ARG(); }
        else if (!strcmp(a, "--native-only")) opt.native_only = 1;
        else if (!strcmp(a, "-j")) opt.jobs = (int)parse_num(ARG());
        else if (!strcmp(a, "--skip")) {
            static char buf[512];
            snprintf(buf, sizeof buf, "%s", ARG());
            snprintf(opt.skip_arg, sizeof opt.skip_arg, "%s", buf);
            for (char *t = strtok(buf, ","); t; t = strtok(0, ",")) {
                int k = gen_class_by_name(t);
                if (k < 0) {
                    fprintf(stderr, "difftest: --skip: no class %s (see the coverage line)\n", t);
                    return 2;
                }
                opt.gen.skip[k / 32] |= 1u << (k % 32);
            }
        }
        else if (!strcmp(a, "-q")) opt.quiet = 1;
        else if (!strcmp(a, "--ref")) opt.ref = choice(a, ARG(), ref_names, 3);
        else if (!strcmp(a, "--qemu")) opt.qemu = ARG();
        else if (!strcmp(a, "--refkernel")) opt.refkernel = ARG();
        else if (!strcmp(a, "--rings")) {
            static const char *const rings[2] = { "3", "all" };
            opt.gen.any_ring = choice(a, ARG(), rings, 2);
        }
        else if (!strcmp(a, "--ring")) {
            opt.hand_cpl = (int)parse_num(ARG());
            if (opt.hand_cpl > 3) {
                fprintf(stderr, "difftest: --ring needs 0, 1, 2 or 3\n");
                return 2;
            }
        }
        else if (!strcmp(a, "--tables")) {
            static const char *const tables[2] = { "flat", "std" };
            opt.hand_std = choice(a, ARG(), tables, 2);
        }
        else if (!strcmp(a, "--deviation")) opt.deviation = ARG();
        else if (!strcmp(a, "--if-possible")) opt.if_possible = 1;
        else if (!strcmp(a, "--cr0")) opt.hand_cr0 = (uint32_t)parse_num(ARG());
        else if (!strcmp(a, "--cr4")) opt.hand_cr4 = (uint32_t)parse_num(ARG());
        else usage();
#undef ARG
    }
    if (!opt.child)
        opt.child = beside_self(argv[0], "child32");
    if (!opt.refkernel)
        opt.refkernel = beside_self(argv[0], "refkernel.elf");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/difftest.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "difftest: mkdtemp: %s\n", strerror(errno));
        return 2;
    }

    int hand_machine = opt.code && (opt.hand_cpl != 3 || opt.hand_std || opt.hand_cr0 != 0x11 ||
                                    opt.hand_cr4 != 0);
    if ((opt.self_check || opt.native_only) && opt.ref == REF_QEMU) {
        fprintf(stderr, "difftest: --self-check and --native-only need the native reference\n");
        rmdir(tmpdir);
        return 2;
    }
    if (opt.ref == REF_NATIVE && (opt.gen.any_ring || hand_machine)) {
        fprintf(stderr, "difftest: --ref native runs only ring-3 cases with the default machine "
                        "(drop --rings all / --ring / --tables / --cr0 / --cr4)\n");
        rmdir(tmpdir);
        return 2;
    }

    /* the reference: native where asked or possible, else QEMU; one line
     * always says which, and why not native when it fell back */
    char err[512], why[600] = "";
    ref_t ref;
    memset(&ref, 0, sizeof ref);
    int asked = opt.ref;
    if (opt.ref != REF_QEMU && !opt.gen.any_ring && !hand_machine) {
        ref.nat = native_open(opt.child, err, sizeof err);
        if (ref.nat) {
            opt.ref = REF_NATIVE;
        } else if (opt.ref == REF_NATIVE && opt.if_possible) {
            printf("difftest: reference: native not possible on this host (%s): "
                   "skipped, not a failure\n", err);
            rmdir(tmpdir);
            return 0;
        } else if (opt.ref == REF_NATIVE || opt.self_check || opt.native_only) {
            fprintf(stderr, "difftest: native reference: %s\n", err);
            rmdir(tmpdir);
            return 2;
        } else {
            snprintf(why, sizeof why, "; native not possible: %s", err);
        }
    } else if (opt.ref == REF_AUTO) {
        snprintf(why, sizeof why, "; native not possible: the cases need rings 0-2, CR0/CR4 "
                 "or the standard tables");
    }
    if (!ref.nat) {
        opt.ref = REF_QEMU;
        if (ref_open(&ref, tmpdir, err, sizeof err) != 0) {
            fprintf(stderr, "difftest: QEMU reference: %s%s\n", err, why);
            rmdir(tmpdir);
            return 2;
        }
    }
    refname = ref_names[opt.ref];
    if (opt.ref == REF_NATIVE)
        printf("difftest: reference: native (the host CPU runs %s under ptrace)%s\n", opt.child,
               asked == REF_NATIVE ? ", as asked" : "");
    else
        printf("difftest: reference: qemu (%s running %s)%s%s\n", opt.qemu, opt.refkernel,
               asked == REF_QEMU ? ", as asked" : "", why);
    native_t *nat2 = 0;
    opt.gen.low_ok = ref.nat ? native_low_ok(ref.nat) : 1;
    if (!opt.gen.low_ok)
        printf("difftest: note: cannot map %08x natively (vm.mmap_min_addr?): "
               "no memory accesses with 16-bit addressing\n", LOW_BASE);
    if (opt.self_check) {
        nat2 = native_open(opt.child, err, sizeof err);
        if (!nat2) {
            fprintf(stderr, "difftest: %s\n", err);
            ref_close(&ref);
            rmdir(tmpdir);
            return 2;
        }
    } else if (show < 0 && !opt.native_only && access(opt.trapsim, X_OK) != 0) {
        fprintf(stderr, "difftest: %s: not found or not executable (set TRAPSIM)\n", opt.trapsim);
        ref_close(&ref);
        rmdir(tmpdir);
        return 2;
    }

    static dcase_t c;
    static dresult_t rn, rs;
    static char diffs[8192];

    if (opt.native_only && show < 0 && opt.one_case < 0 && !opt.code) {
        ref_close(&ref);
        rmdir(tmpdir);
        usage();
    }
    if (opt.native_only && show < 0)
        show = opt.one_case >= 0 ? (int)opt.one_case : 0;
    if (show >= 0 || opt.one_case >= 0 || opt.code) {
        uint64_t k = show >= 0 ? (uint64_t)show : (uint64_t)opt.one_case;
        if (opt.code) {
            hand_case(&c);
            printf("case: --code");
            for (int i = 0; i < opt.nsets; i++)
                printf(" --set %s", opt.sets[i]);
            if (hand_machine)
                printf(" --ring %d --tables %s --cr0 0x%x --cr4 0x%x", opt.hand_cpl,
                       opt.hand_std ? "std" : "flat", opt.hand_cr0, opt.hand_cr4);
            printf("\n");
        } else {
            gen_case(&opt.gen, opt.seed, k, &c);
            printf("case: seed=%llu case=%llu\n", (unsigned long long)opt.seed, (unsigned long long)k);
        }
        ref_run_one(&ref, &c, &rn);
        print_case(stdout, &c);
        char b[128];
        if (!opt.code)
            printf("    flags undefined at the stop: %s\n",
                   flag_names(gen_undef_at_stop(&c, &rn), b, sizeof b));
        char who[32];
        snprintf(who, sizeof who, "%s:", refname);
        print_stop(stdout, who, &rn);
        for (int i = 0; i < NREGS; i++)
            printf("%s%s=%08x", i ? " " : (opt.ref == REF_NATIVE ? "    native:  " : "    qemu:    "),
                   reg_names[i], rn.regs[i]);
        printf("\n");
        int rc = 0;
        if (show < 0) {
            sim_run(opt.trapsim, &c, tmpdir, &rs);
            print_stop(stdout, "trapsim:", &rs);
            for (int i = 0; i < NREGS; i++)
                printf("%s%s=%08x", i ? " " : "    trapsim: ", reg_names[i], rs.regs[i]);
            printf("\n");
            int nd = compare(&c, &rn, &rs, !opt.code, 0, diffs, sizeof diffs);
            printf("    %s\n%s", nd ? "differences:" : "no differences", diffs);
            int dev = nd && ref.q ? qemu_deviation(&c, &rn, &rs) : -1;
            if (dev >= 0)
                printf("    explained by the known QEMU deviation %s (tests/diff/qemu-deviations.md)\n",
                       dev_names[dev]);
            rc = nd != 0 && dev < 0;
            if (opt.deviation)          /* its test: QEMU must still deviate, exactly so */
                rc = !(dev >= 0 && !strcmp(dev_names[dev], opt.deviation));
        }
        printf("    trapsim command (CODE.bin: the code bytes above):\n      ");
        sim_print_cmd(stdout, opt.trapsim, &c, "CODE.bin", 0);
        if (opt.deviation && show < 0)
            printf("difftest: deviation %s: %s\n", opt.deviation,
                   rc ? "NOT SHOWN (QEMU fixed? then drop it from tests/diff/qemu-deviations.md)"
                      : "QEMU still deviates");
        ref_close(&ref);
        cleanup_tmp(tmpdir);
        return rc;
    }

    if (!opt.quiet)
        printf("difftest: seed=%llu cases %llu..%llu%s (replay one: difftest --seed %llu --case K)\n",
               (unsigned long long)opt.seed, (unsigned long long)opt.start,
               (unsigned long long)(opt.start + opt.count - 1),
               opt.self_check ? ", native self-check" : "", (unsigned long long)opt.seed);
    fflush(stdout);
    stats_t st;
    memset(&st, 0, sizeof st);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (opt.jobs <= 1) {
        run_range(&ref, nat2, opt.start, 1, &st, 0);
    } else {
        ref_close(&ref);
        native_close(nat2);
        nat2 = 0;
        run_parallel(&st);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!opt.quiet) {
        printf("difftest: %s stops:", refname);
        for (int i = 0; i < 7; i++)
            if (st.stops[i])
                printf(" %s=%llu", stop_names[i], (unsigned long long)st.stops[i]);
        printf("  vectors:");
        for (int v = 0; v < 256; v++)
            if (st.vectors[v])
                printf(" %d:%llu", v, (unsigned long long)st.vectors[v]);
        printf("\ndifftest: classes not covered:");
        int none = 1;
        for (int k = 0; k < gen_nclasses(); k++)
            if (!(st.covered[k / 32] & (1u << (k % 32))) &&
                !(opt.gen.skip[k / 32] & (1u << (k % 32))) &&
                (opt.gen.any_ring || !gen_class_any_ring_only(k))) {
                printf(" %s", gen_class_name(k));
                none = 0;
            }
        printf("%s\n", none ? " none" : "");
        printf("difftest: cases (failed) per ring:");
        for (int i = 0; i < 4; i++)
            printf(" %d:%llu(%llu)", i, (unsigned long long)st.ring_cases[i],
                   (unsigned long long)st.ring_failed[i]);
        printf("\ndifftest: cases (failed) per class:");
        for (int k = 0; k < gen_nclasses() && k < 128; k++)
            if (st.class_cases[k])
                printf(" %s:%llu(%llu)", gen_class_name(k), (unsigned long long)st.class_cases[k],
                       (unsigned long long)st.class_failed[k]);
        printf("\n");
        if (opt.ref == REF_QEMU) {
            printf("difftest: passed only by a known QEMU deviation (tests/diff/qemu-deviations.md):");
            for (int i = 0; i < NDEVS; i++)
                printf(" %s:%llu", dev_names[i], (unsigned long long)st.deviations[i]);
            printf("\n");
        }
        printf("difftest: %.1f s, seed=%llu\n",
               (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
               (unsigned long long)opt.seed);
    }
    if (st.genbad) {
        printf("difftest: generator let %llu cases read undefined flags\n",
               (unsigned long long)st.genbad);
        st.failed += st.genbad;
    }
    if (st.failed > st.reported)
        printf("difftest: (only %llu of the failures shown)\n", (unsigned long long)st.reported);
    printf("%llu passed, %llu failed\n", (unsigned long long)st.passed, (unsigned long long)st.failed);
    ref_close(&ref);
    native_close(nat2);
    cleanup_tmp(tmpdir);
    return st.failed ? 1 : 0;
}
