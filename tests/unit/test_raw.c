/* `trapsim raw` against its contract (docs/RAW-MODE.md): drives the built binary
 * (environment TRAPSIM, default ./trapsim) and checks the output line by
 * line: key order, 8-digit lower-case hex, the icount rules, every stop
 * kind, each option, and the exit status and one-line message of bad
 * arguments. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "app/raw_tables.h"

static char dir[64];
static const char *trapsim;

typedef struct result {
    int status;          /* exit status, or -1 when it did not exit normally */
    char out[8192];
    char err[4096];
} result_t;

static void read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
}

/* Writes a code file and returns its path (static storage, one per name). */
static const char *code_file(const char *name, const char *bytes, size_t n)
{
    static char paths[16][128];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 128, "%s/%s.bin", dir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(bytes, 1, n, f);
    fclose(f);
    return p;
}
#define CODE(name, s) code_file((name), (s), sizeof(s) - 1)

/* Runs trapsim raw with the arguments (NULL-terminated). */
static void run(result_t *r, ...)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)trapsim;
    argv[argc++] = "raw";
    va_list ap;
    va_start(ap, r);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    char out[128], err[128];
    snprintf(out, sizeof out, "%s/stdout", dir);
    snprintf(err, sizeof err, "%s/stderr", dir);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0)
            _exit(127);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(trapsim, argv);
        _exit(127);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    ck_assert_msg(r->status != 127, "cannot run %s (set TRAPSIM)", trapsim);
    read_file(out, r->out, sizeof r->out);
    read_file(err, r->err, sizeof r->err);
}

/* The value of `key=` in the output, or NULL. */
static const char *value(const result_t *r, const char *key)
{
    static char buf[600];
    size_t n = strlen(key);
    for (const char *p = r->out; *p; ) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > n && strncmp(p, key, n) == 0 && p[n] == '=') {
            snprintf(buf, sizeof buf, "%.*s", (int)(len - n - 1), p + n + 1);
            return buf;
        }
        p += len + (e ? 1 : 0);
    }
    return NULL;
}

#define ck_value(r, key, want) do { \
    const char *v_ = value((r), (key)); \
    ck_assert_msg(v_ && strcmp(v_, (want)) == 0, "%s=%s, expected %s\n%s", (key), v_ ? v_ : "(none)", (want), \
                  (r)->out); \
} while (0)
#define ck_no_value(r, key) ck_assert_msg(value((r), (key)) == NULL, "unexpected %s=\n%s", (key), (r)->out)
#define ck_ok(r) ck_assert_msg((r)->status == 0 && (r)->err[0] == 0, "status %d, stderr: %s", (r)->status, (r)->err)

static void setup(void)
{
    trapsim = getenv("TRAPSIM");
    if (!trapsim || !*trapsim)
        trapsim = "./trapsim";
    strcpy(dir, "/tmp/trapsim-test-raw.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* ---- the output format ------------------------------------------------------ */
START_TEST(test_format_int3)
{
    result_t r;
    run(&r, CODE("int3", "\xb8\x78\x56\x34\x12\xcc"), NULL);   /* mov eax,0x12345678; int3 */
    ck_ok(&r);
    ck_assert_str_eq(r.out,
                     "eax=12345678\n"
                     "ebx=00000000\n"
                     "ecx=00000000\n"
                     "edx=00000000\n"
                     "esi=00000000\n"
                     "edi=00000000\n"
                     "ebp=00000000\n"
                     "esp=00800000\n"
                     "eip=00100006\n"
                     "eflags=00000202\n"
                     "stop=int3\n"
                     "icount=2\n");
}
END_TEST

START_TEST(test_format_exception_with_error)
{
    result_t r;
    /* ring 3: mov ax,0x08; mov ds,ax -> #GP(0x08); dump two ranges */
    run(&r, "--dump", "0x00100000:4", "--dump=0x7fffff:2", CODE("gp", "\x66\xb8\x08\x00\x8e\xd8"), NULL);
    ck_ok(&r);
    ck_assert_str_eq(r.out,
                     "eax=00000008\n"
                     "ebx=00000000\n"
                     "ecx=00000000\n"
                     "edx=00000000\n"
                     "esi=00000000\n"
                     "edi=00000000\n"
                     "ebp=00000000\n"
                     "esp=00800000\n"
                     "eip=00100004\n"
                     "eflags=00000202\n"
                     "stop=exception\n"
                     "vector=0000000d\n"
                     "error=00000008\n"
                     "icount=1\n"
                     "mem.00100000=66b80800\n"
                     "mem.007fffff=0000\n");
}
END_TEST

START_TEST(test_format_int_n)
{
    result_t r;
    run(&r, "--set", "ebx=0xABCDEF", CODE("int", "\xcd\x21"), NULL);
    ck_ok(&r);
    ck_assert_str_eq(r.out,
                     "eax=00000000\n"
                     "ebx=00abcdef\n"
                     "ecx=00000000\n"
                     "edx=00000000\n"
                     "esi=00000000\n"
                     "edi=00000000\n"
                     "ebp=00000000\n"
                     "esp=00800000\n"
                     "eip=00100002\n"
                     "eflags=00000202\n"
                     "stop=int\n"
                     "vector=00000021\n"
                     "icount=1\n");
}
END_TEST

/* ---- every stop and the icount rules ------------------------------------------- */
typedef struct scase {
    const char *name;
    const char *bytes;
    int n;
    const char *opt[8];          /* extra options */
    const char *stop, *vector, *error;   /* error NULL: no error= line */
    const char *eip;
    const char *icount;
} scase_t;

#define NOV NULL
static const scase_t scases[] = {
    { "int3 at ring 0", "\xcc", 1, { "--ring", "0" }, "int3", NOV, NOV, "00100001", "1" },
    { "int 3 (CD 03) is an int N", "\xcd\x03", 2, { 0 }, "int", "00000003", NOV, "00100002", "1" },
    { "int 0x80 at ring 3, no gate check", "\x90\xcd\x80", 3, { 0 }, "int", "00000080", NOV, "00100003", "2" },
    { "int 0xff at ring 1", "\xcd\xff", 2, { "--ring", "1" }, "int", "000000ff", NOV, "00100002", "1" },
    { "hlt at ring 0", "\x90\xf4", 2, { "--ring", "0" }, "hlt", NOV, NOV, "00100002", "2" },
    { "hlt at ring 3: #GP(0), not counted", "\x90\xf4", 2, { 0 }, "exception", "0000000d", "00000000", "00100001", "1" },
    { "hlt at ring 1: #GP(0)", "\xf4", 1, { "--ring", "1" }, "exception", "0000000d", "00000000", "00100000", "0" },
    { "ud2: #UD has no error code", "\x90\x90\x0f\x0b", 4, { 0 }, "exception", "00000006", NOV, "00100002", "2" },
    { "div by zero", "\x31\xc9\xf7\xf1", 4, { 0 }, "exception", "00000000", NOV, "00100002", "1" },
    { "into with OF = 1: a trap, counted", "\xce", 1, { "--set", "eflags=0x802" }, "exception", "00000004", NOV,
      "00100001", "1" },
    { "into with OF = 0 runs on", "\xce\xcc", 2, { 0 }, "int3", NOV, NOV, "00100002", "2" },
    { "bound out of range: a fault", "\x62\x03", 2, { "--set", "ebx=0x200000", "--set", "eax=20", "--mem",
      "0x200000=000000000a000000" }, "exception", "00000005", NOV, "00100000", "0" },
    { "bound in range runs on", "\x62\x03\xcc", 3, { "--set", "ebx=0x200000", "--set", "eax=10", "--mem",
      "0x200000=000000000a000000" }, "int3", NOV, NOV, "00100003", "2" },
    { "in at ring 3, IOPL 0: #GP(0)", "\xe4\x80", 2, { 0 }, "exception", "0000000d", "00000000", "00100000", "0" },
    { "cli at ring 3, IOPL 3 runs", "\xfa\xcc", 2, { "--set", "eflags=0x3202" }, "int3", NOV, NOV, "00100002", "2" },
    { "rep movsb counts once", "\xf3\xa4\xcc", 3, { "--set", "ecx=5", "--set", "esi=0x200000", "--set",
      "edi=0x201000" }, "int3", NOV, NOV, "00100003", "2" },
    { "rep stosd with ECX = 0 still counts", "\xf3\xab\xcc", 3, { 0 }, "int3", NOV, NOV, "00100003", "2" },
    { "budget", "\xeb\xfe", 2, { "--max-insns", "10" }, "budget", NOV, NOV, "00100000", "10" },
    { "budget of 0", "\x90", 1, { "--max-insns", "0" }, "budget", NOV, NOV, "00100000", "0" },
    { "budget ends exactly at int3", "\x90\xcc", 2, { "--max-insns=2" }, "int3", NOV, NOV, "00100002", "2" },
    { "pushf under pg at ring 3", "\x9c", 1, { "--isa", "pg" }, "exception", "0000000d", "00000000", "00100000",
      "0" },
    { "pushf under x86 at ring 3", "\x9c\xcc", 2, { "--isa", "x86" }, "int3", NOV, NOV, "00100002", "2" },
    { "sidt under umip at ring 3", "\x0f\x01\x0b", 3, { "--isa", "umip", "--set", "ebx=0x200000" }, "exception",
      "0000000d", "00000000", "00100000", "0" },
    { "sidt under umip at ring 0", "\x0f\x01\x0b\xcc", 4, { "--isa", "umip", "--ring", "0", "--set",
      "ebx=0x200000" }, "int3", NOV, NOV, "00100004", "2" },
    { "int 0x80 under pg still stops as int", "\xcd\x80", 2, { "--isa", "pg" }, "int", "00000080", NOV,
      "00100002", "1" },
    /* TF: #DB after each instruction, but MOV SS and POP SS hold it (and
     * interrupts) until after the next one; STI holds only interrupts */
    { "TF: #DB after the first instruction", "\x90\x90", 2, { "--set", "eflags=0x102" }, "exception",
      "00000001", NOV, "00100001", "1" },
    { "TF: mov ss holds the #DB one instruction", "\x8e\xd0\x90\x90", 4, { "--set", "eflags=0x102", "--set",
      "eax=0x43" }, "exception", "00000001", NOV, "00100003", "2" },
    { "TF: pop ss holds the #DB one instruction", "\x17\x90\x90", 3, { "--set", "eflags=0x102", "--set",
      "esp=0x7ffffc", "--mem", "0x7ffffc=43000000" }, "exception", "00000001", NOV, "00100002", "2" },
    { "TF: sti does not hold it", "\xfb\x90", 2, { "--set", "eflags=0x3102" }, "exception", "00000001", NOV,
      "00100001", "1" },
    { "zero bytes run as add [eax],al", "\xe9\x00\x00\x20\x00", 5, { "--max-insns", "3" }, "budget",
      NOV, NOV, "00300009", "3" },
};

START_TEST(test_stops)
{
    const scase_t *t = &scases[_i];
    const char *args[24];
    int n = 0;
    for (int k = 0; k < 8 && t->opt[k]; k++)
        args[n++] = t->opt[k];
    args[n++] = code_file("stop", t->bytes, (size_t)t->n);
    while (n < 24)
        args[n++] = NULL;
    result_t r;
    run(&r, args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9], NULL);
    ck_assert_msg(r.status == 0, "%s: status %d (%s)", t->name, r.status, r.err);
    ck_value(&r, "stop", t->stop);
    if (t->vector)
        ck_value(&r, "vector", t->vector);
    else
        ck_no_value(&r, "vector");
    if (t->error)
        ck_value(&r, "error", t->error);
    else
        ck_no_value(&r, "error");
    ck_value(&r, "eip", t->eip);
    ck_value(&r, "icount", t->icount);
    /* vector= and error= come right after stop=, icount after them */
    const char *s = strstr(r.out, "stop=");
    ck_assert_ptr_nonnull(s);
    const char *next = strchr(s, '\n') + 1;
    if (t->vector) {
        ck_assert(strncmp(next, "vector=", 7) == 0);
        next = strchr(next, '\n') + 1;
    }
    if (t->error) {
        ck_assert(strncmp(next, "error=", 6) == 0);
        next = strchr(next, '\n') + 1;
    }
    ck_assert(strncmp(next, "icount=", 7) == 0);
}
END_TEST

/* A faulting instruction leaves registers and EFLAGS as they were before it;
 * what retired before it stays done. */
START_TEST(test_state_before_fault)
{
    result_t r;
    /* push eax; add eax,1 (sets flags); mov ds,ax (eax = 9 -> #GP(8)) */
    run(&r, "--set", "eax=8", CODE("state", "\x50\x83\xc0\x01\x8e\xd8"), NULL);
    ck_ok(&r);
    ck_value(&r, "eax", "00000009");
    ck_value(&r, "esp", "007ffffc");
    ck_value(&r, "eflags", "00000206");     /* PF from the ADD, before the fault */
    ck_value(&r, "eip", "00100004");
    ck_value(&r, "error", "00000008");
    ck_value(&r, "icount", "2");
    /* a REP MOVSB copies, ECX reaches 0 */
    run(&r, "--mem", "0x200000=0102030405", "--set", "ecx=5", "--set", "esi=0x200000", "--set", "edi=0x201000",
        "--dump", "0x201000:6", CODE("rep", "\xf3\xa4\xcc"), NULL);
    ck_ok(&r);
    ck_value(&r, "ecx", "00000000");
    ck_value(&r, "esi", "00200005");
    ck_value(&r, "edi", "00201005");
    ck_value(&r, "mem.00201000", "010203040500");
}
END_TEST

/* ---- options ------------------------------------------------------------------ */
START_TEST(test_set_registers)
{
    result_t r;
    run(&r, "--set", "eax=1", "--set", "ebx=0x2", "--set", "ecx=10", "--set", "edx=0xffffffff", "--set", "esi=0x5",
        "--set", "edi=0X6", "--set", "ebp=0x7", "--set=esp=0x1000", CODE("regs", "\xcc"), NULL);
    ck_ok(&r);
    ck_value(&r, "eax", "00000001");
    ck_value(&r, "ebx", "00000002");
    ck_value(&r, "ecx", "0000000a");
    ck_value(&r, "edx", "ffffffff");
    ck_value(&r, "esi", "00000005");
    ck_value(&r, "edi", "00000006");
    ck_value(&r, "ebp", "00000007");
    ck_value(&r, "esp", "00001000");
    /* a later --set wins */
    run(&r, "--set", "eax=1", "--set", "eax=2", CODE("regs2", "\xcc"), NULL);
    ck_value(&r, "eax", "00000002");
    /* EFLAGS: bit 1 forced; IOPL and the arithmetic flags from --set */
    run(&r, "--set", "eflags=0", CODE("fl0", "\xcc"), NULL);
    ck_ok(&r);
    ck_value(&r, "eflags", "00000002");
    run(&r, "--set", "eflags=0x3ad7", CODE("fl1", "\xcc"), NULL);
    ck_value(&r, "eflags", "00003ad7");
    /* IOPL 3 at ring 3: CLI clears IF */
    run(&r, "--set", "eflags=0x3202", CODE("cli", "\xfa\xcc"), NULL);
    ck_value(&r, "eflags", "00003002");
    /* POPF at ring 3, IOPL 0: IF and IOPL kept */
    run(&r, "--set", "eflags=0x202", CODE("popf", "\x68\xd5\x30\x00\x00\x9d\xcc"), NULL);   /* push 0x30d5; popf */
    ck_value(&r, "eflags", "000002d7");
    /* ... and at ring 0 both change */
    run(&r, "--ring", "0", "--set", "eflags=0x202", CODE("popf0", "\x68\xd5\x30\x00\x00\x9d\xcc"), NULL);
    ck_value(&r, "eflags", "000030d7");
}
END_TEST

START_TEST(test_mem_dump_load)
{
    result_t r;
    run(&r, "--mem", "0x200000=deadbeef", "--dump", "0x200000:4", "--dump", "0x200002:2", "--dump", "0x200004:1",
        "--dump", "0x200000:0", CODE("mem", "\xcc"), NULL);
    ck_ok(&r);
    ck_value(&r, "mem.00200000", "deadbeef");   /* the first --dump of this address */
    ck_assert_ptr_nonnull(strstr(r.out, "\nmem.00200000=deadbeef\nmem.00200002=beef\nmem.00200004=00\n"
                                        "mem.00200000=\n"));
    /* upper-case hex is read, printed in lower case; --mem is applied in order */
    run(&r, "--mem", "0x200000=AABBCCDD", "--mem", "0x200001=11", "--dump", "0x200000:4", CODE("mem2", "\xcc"), NULL);
    ck_value(&r, "mem.00200000", "aa11ccdd");
    /* --mem after the code: it can patch the code */
    run(&r, "--mem", "0x100001=cc", CODE("patch", "\x90\x90\x90\xcc"), NULL);
    ck_value(&r, "eip", "00100002");
    ck_value(&r, "icount", "2");
    /* unwritten memory reads as zero; outside RAM too */
    run(&r, "--dump", "0x300000:2", "--dump", "0xfffffffe:2", CODE("zero", "\xa1\x00\x00\x30\x00\xcc"), NULL);
    ck_value(&r, "eax", "00000000");
    ck_value(&r, "mem.00300000", "0000");
    ck_value(&r, "mem.fffffffe", "0000");
    /* --load: the code and EIP elsewhere */
    run(&r, "--load", "0x300000", "--dump", "0x300000:2", CODE("load", "\x90\xcc"), NULL);
    ck_ok(&r);
    ck_value(&r, "eip", "00300002");
    ck_value(&r, "mem.00300000", "90cc");
    run(&r, "--load=0x7000", CODE("load2", "\xcc"), NULL);
    ck_value(&r, "eip", "00007001");
}
END_TEST

/* --ring: CS, SS, DS... are trapsim's flat selectors of that ring. */
START_TEST(test_rings)
{
    static const char *const want_cs[4] = { "00000008", "00000019", "0000002a", "0000003b" };
    static const char *const want_ds[4] = { "00000010", "00000021", "00000032", "00000043" };
    for (int ring = 0; ring < 4; ring++) {
        char rs[16];
        snprintf(rs, sizeof rs, "%d", ring);
        result_t r;
        /* mov eax,cs; mov ebx,ss; mov ecx,ds; mov edx,es; mov esi,fs; mov edi,gs; int3 */
        run(&r, "--ring", rs, CODE("ring", "\x8c\xc8\x8c\xd3\x8c\xd9\x8c\xc2\x8c\xe6\x8c\xef\xcc"), NULL);
        ck_ok(&r);
        ck_value(&r, "eax", want_cs[ring]);
        ck_value(&r, "ebx", want_ds[ring]);
        ck_value(&r, "ecx", want_ds[ring]);
        ck_value(&r, "edx", want_ds[ring]);
        ck_value(&r, "esi", want_ds[ring]);
        ck_value(&r, "edi", want_ds[ring]);
    }
    /* the GDT's selectors load at their ring: mov ax,0x2a... far jump to ring 1 code from ring 1 */
    result_t r;
    run(&r, "--ring", "1", CODE("ljmp", "\xea\x07\x00\x10\x00\x19\x00\xcc"), NULL);
    ck_value(&r, "stop", "int3");
    ck_value(&r, "eip", "00100008");
    run(&r, "--ring", "2", "--set", "eax=0x32", CODE("movss", "\x8e\xd0\x8e\xd8\xcc"), NULL);
    ck_value(&r, "stop", "int3");
    run(&r, "--ring", "2", "--set", "eax=0x43", CODE("movss3", "\x8e\xd0"), NULL);
    ck_value(&r, "stop", "exception");
    ck_value(&r, "error", "00000040");
}
END_TEST

/* --tables std: the tables of app/raw_tables.h, as the reference kernel has them. */
START_TEST(test_tables_std)
{
    result_t r;
    /* ring 0: sgdt [0x200000]; sidt [0x200008]; str eax; sldt [0x200010]; hlt */
    const char *tables = CODE("tables", "\x0f\x01\x05\x00\x00\x20\x00\x0f\x01\x0d\x08\x00\x20\x00\x0f\x00\xc8"
                                        "\x0f\x00\x05\x10\x00\x20\x00\xf4");
    run(&r, "--ring", "0", "--tables", "std", "--mem", "0x200010=ffff", "--dump", "0x200000:18", tables, NULL);
    ck_ok(&r);
    ck_value(&r, "stop", "hlt");
    ck_value(&r, "eax", "00000048");                                /* TR = RAW_SEL_TSS */
    ck_value(&r, "mem.00200000", "cf00" "00003000" "0000" "ff07" "00003100" "0000" "0000");   /* GDTR, IDTR, LDTR 0 */
    /* without it, the flat table at the top of RAM, as before; no TR */
    run(&r, "--ring", "0", "--tables", "flat", "--dump", "0x200000:6", tables, NULL);
    ck_ok(&r);
    ck_value(&r, "eax", "00000000");
    ck_value(&r, "mem.00200000", "4700" "00f0ff03");
    /* ring 3: lar eax,ecx; lsl ebx,edx; verr si; int3 */
    const char *lar = CODE("lar", "\x0f\x02\xc1\x0f\x03\xda\x0f\x00\xe6\xcc");
    run(&r, "--tables", "std", "--set", "ecx=0x63", "--set", "edx=0x93", "--set", "esi=0x6b", lar, NULL);
    ck_value(&r, "eax", "00c07200");      /* not present: LAR does not care */
    ck_value(&r, "ebx", "000000ff");      /* the small-limit segment */
    ck_value(&r, "eflags", "00000202");   /* execute-only: not readable */
    /* ring 0: lldt ax; mov ds,bx (an LDT selector); ltr cx; str edx; lar esi,ecx; int3 */
    run(&r, "--ring", "0", "--tables", "std", "--set", "eax=0x50", "--set", "ebx=0x14", "--set", "ecx=0xa0",
        CODE("ltr", "\x0f\x00\xd0\x8e\xdb\x0f\x00\xd9\x0f\x00\xca\x0f\x02\xf1\xcc"), NULL);
    ck_value(&r, "stop", "int3");
    ck_value(&r, "edx", "000000a0");
    ck_value(&r, "esi", "00008b00");      /* LTR marked it busy */
    /* ltr of the busy TSS: #GP(sel) */
    run(&r, "--ring", "0", "--tables", "std", "--set", "ecx=0xa8", CODE("ltrbusy", "\x0f\x00\xd9"), NULL);
    ck_value(&r, "vector", "0000000d");
    ck_value(&r, "error", "000000a8");
    /* a not-present data segment: #NP(sel) */
    run(&r, "--tables", "std", "--set", "eax=0x63", CODE("np", "\x8e\xd8"), NULL);
    ck_value(&r, "vector", "0000000b");
    ck_value(&r, "error", "00000060");
    /* the TSS has no I/O bitmap: IN at CPL > IOPL is #GP(0) */
    run(&r, "--tables", "std", CODE("in", "\xe4\x80"), NULL);
    ck_value(&r, "vector", "0000000d");
    ck_value(&r, "error", "00000000");
}
END_TEST

/* --tables std writes app/raw_tables.h's tables byte for byte (the QEMU
 * reference kernel copies the same arrays). */
START_TEST(test_tables_std_bytes)
{
    char gdt[32], ldt[32], tss[32], want[RAW_STD_GDT_ENTRIES * 16 + 1];
    snprintf(gdt, sizeof gdt, "0x%x:%d", RAW_STD_GDT_BASE, RAW_STD_GDT_ENTRIES * 8);
    snprintf(ldt, sizeof ldt, "0x%x:%d", RAW_STD_LDT_BASE, RAW_STD_LDT_ENTRIES * 8);
    snprintf(tss, sizeof tss, "0x%x:2", RAW_STD_TSS_BASE + RAW_STD_TSS_IOMAP_OFF);
    result_t r;
    run(&r, "--tables", "std", "--dump", gdt, "--dump", ldt, "--dump", tss, CODE("bytes", "\xcc"), NULL);
    ck_ok(&r);
    const uint64_t *tables[2] = { raw_std_gdt, raw_std_ldt };
    const int n[2] = { RAW_STD_GDT_ENTRIES, RAW_STD_LDT_ENTRIES };
    const uint32_t base[2] = { RAW_STD_GDT_BASE, RAW_STD_LDT_BASE };
    for (int t = 0; t < 2; t++) {
        for (int k = 0; k < n[t]; k++)
            for (int b = 0; b < 8; b++)
                snprintf(want + 16 * k + 2 * b, 3, "%02x", (unsigned)(tables[t][k] >> (8 * b)) & 0xff);
        char key[32];
        snprintf(key, sizeof key, "mem.%08x", base[t]);
        ck_value(&r, key, want);
    }
    char key[32];
    snprintf(key, sizeof key, "mem.%08x", RAW_STD_TSS_BASE + RAW_STD_TSS_IOMAP_OFF);
    snprintf(want, sizeof want, "%02x%02x", RAW_STD_TSS_IOMAP & 0xff, RAW_STD_TSS_IOMAP >> 8);
    ck_value(&r, key, want);                   /* the I/O map base, past the limit */
    ck_assert_uint_gt(RAW_STD_TSS_IOMAP, RAW_STD_TSS_LIMIT);
}
END_TEST

/* --cr0 and --cr4: the initial control registers. */
START_TEST(test_control_registers)
{
    result_t r;
    /* ring 0: clts; mov eax,cr0; smsw ebx; mov ecx,cr4; int3 */
    const char *cr = CODE("cr", "\x0f\x06\x0f\x20\xc0\x0f\x01\xe3\x0f\x20\xe1\xcc");
    run(&r, "--ring", "0", CODE("cr0", "\x0f\x20\xc0\x0f\x20\xe1\xcc"), NULL);
    ck_value(&r, "eax", "00000011");      /* PE | ET by default */
    ck_value(&r, "ecx", "00000000");
    run(&r, "--ring", "0", "--cr0", "0x0b", "--cr4", "0x0c", cr, NULL);
    ck_ok(&r);
    ck_value(&r, "eax", "00000013");      /* ET forced to 1, TS cleared by CLTS */
    ck_value(&r, "ebx", "00000013");
    ck_value(&r, "ecx", "0000000c");
    /* CR4.TSD: RDTSC faults outside ring 0 */
    const char *rdtsc = CODE("rdtsc", "\x0f\x31\xcc");
    run(&r, "--cr4", "4", rdtsc, NULL);
    ck_value(&r, "vector", "0000000d");
    ck_value(&r, "error", "00000000");
    run(&r, "--cr4", "4", "--ring", "0", rdtsc, NULL);
    ck_value(&r, "stop", "int3");
    /* CR4.DE: DR4 is #UD */
    run(&r, "--ring", "0", "--cr4", "8", CODE("dr4", "\x0f\x21\xe0\xcc"), NULL);
    ck_value(&r, "vector", "00000006");
}
END_TEST

/* ---- bad arguments -------------------------------------------------------------- */
typedef struct bcase {
    const char *name;
    const char *args[6];
    int with_file;       /* append a valid code file */
    const char *msg;     /* the exact message, where a test pins it */
} bcase_t;

static const bcase_t bcases[] = {
    { "unknown option", { "--bogus" }, 1, NULL },
    { "bad register", { "--set", "xyz=1" }, 1, NULL },
    { "register without a value", { "--set", "eax" }, 1, NULL },
    { "bad register value", { "--set", "eax=zz" }, 1, NULL },
    { "register value over 32 bits", { "--set", "eax=0x100000000" }, 1, NULL },
    { "VM = 1 in eflags", { "--set", "eflags=0x20202" }, 1, NULL },
    { "odd number of hex digits", { "--mem", "0x200000=abc" }, 1, NULL },
    { "not a hex digit", { "--mem", "0x200000=zz" }, 1, NULL },
    { "--mem without =", { "--mem", "0x200000" }, 1, NULL },
    { "--dump without a length", { "--dump", "0x200000" }, 1, NULL },
    { "ring 4", { "--ring", "4" }, 1, NULL },
    { "unknown profile", { "--isa", "nope" }, 1, NULL },
    { "bad budget", { "--max-insns", "lots" }, 1, NULL },
    { "negative budget", { "--max-insns", "-1" }, 1, NULL },
    { "option without its value", { "--load" }, 0, NULL },
    { "bad load address", { "--load", "0x1g" }, 1, NULL },
    { "missing file", { "/nonexistent/code.bin" }, 0, NULL },
    { "no file", { "--ring", "0" }, 0, NULL },
    { "two files", { "TWO" }, 1, NULL },
    { "unknown table set", { "--tables", "gdt" }, 1,
      "trapsim: --tables needs 'std' (the standard tables) or 'flat' (the default)\n" },
    { "--tables without its value", { "--tables" }, 0,
      "trapsim: --tables needs 'std' (the standard tables) or 'flat' (the default)\n" },
    { "CR0 not a number", { "--cr0", "pe" }, 1, "trapsim: --cr0 needs a 32-bit number\n" },
    { "CR0 without PE", { "--cr0", "0x10" }, 1,
      "trapsim: --cr0 0x10: raw mode needs PE = 1 and PG = 0 (protected mode, no paging)\n" },
    { "CR0 with PG", { "--cr0", "0x80000011" }, 1,
      "trapsim: --cr0 0x80000011: raw mode needs PE = 1 and PG = 0 (protected mode, no paging)\n" },
    { "CR0 reserved bit", { "--cr0", "0x1011" }, 1, "trapsim: --cr0 0x1011: reserved bits set (0x00001000)\n" },
    { "CR0 NW without CD", { "--cr0", "0x20000011" }, 1, "trapsim: --cr0 0x20000011: NW = 1 needs CD = 1\n" },
    { "CR4 not a number", { "--cr4", "-1" }, 1, "trapsim: --cr4 needs a 32-bit number\n" },
    { "CR4 unmodelled bit", { "--cr4", "0x2000" }, 1,
      "trapsim: --cr4 0x2000: bits 0x00002000 are not CR4 bits trapsim models (0x00000fff)\n" },
};

START_TEST(test_bad_arguments)
{
    const bcase_t *t = &bcases[_i];
    const char *args[8] = { 0 };
    int n = 0;
    for (int k = 0; k < 6 && t->args[k]; k++)
        args[n++] = strcmp(t->args[k], "TWO") == 0 ? CODE("other", "\xcc") : t->args[k];
    if (t->with_file)
        args[n++] = CODE("good", "\xcc");
    result_t r;
    run(&r, args[0], args[1], args[2], args[3], args[4], args[5], args[6], NULL);
    ck_assert_msg(r.status == 2, "%s: status %d, expected 2", t->name, r.status);
    ck_assert_msg(r.out[0] == 0, "%s: printed on stdout: %s", t->name, r.out);
    size_t len = strlen(r.err);
    ck_assert_msg(len > 1 && r.err[len - 1] == '\n' && strchr(r.err, '\n') == r.err + len - 1,
                  "%s: stderr is not one line: '%s'", t->name, r.err);
    if (t->msg)
        ck_assert_str_eq(r.err, t->msg);
}
END_TEST

static Suite *raw_suite(void)
{
    Suite *s = suite_create("raw");
    TCase *tc = tcase_create("raw");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_format_int3);
    tcase_add_test(tc, test_format_exception_with_error);
    tcase_add_test(tc, test_format_int_n);
    tcase_add_loop_test(tc, test_stops, 0, (int)(sizeof scases / sizeof scases[0]));
    tcase_add_test(tc, test_state_before_fault);
    tcase_add_test(tc, test_set_registers);
    tcase_add_test(tc, test_mem_dump_load);
    tcase_add_test(tc, test_rings);
    tcase_add_test(tc, test_tables_std);
    tcase_add_test(tc, test_tables_std_bytes);
    tcase_add_test(tc, test_control_registers);
    tcase_add_loop_test(tc, test_bad_arguments, 0, (int)(sizeof bcases / sizeof bcases[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(raw_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
