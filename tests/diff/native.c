/* Native runner: runs cases on the host CPU in a persistent 32-bit child
 * (child32.c) under ptrace.  Per case: write code, data, stack (and LOW)
 * with process_vm_writev, set the registers with PTRACE_SETREGS (a 64-bit
 * tracer sees a 32-bit tracee through the 64-bit struct user_regs_struct),
 * continue, and wait for the stop:
 *   SIGTRAP at an int3            -> stop=int3 (EIP after it), or an `int 3`
 *                                    (CD 03) -> stop=int vector 3
 *   SIGSEGV/SIGFPE/SIGILL/SIGBUS  -> the registers are read at the
 *       signal-delivery stop (EIP at the faulting instruction, or after a
 *       trap such as INTO), then the signal is delivered to the child's
 *       handler, which reports the kernel's trap number and error code;
 *       `int N` with N not 3/4/0x80 is a #GP with error N*8+2 natively and
 *       is mapped to trapsim's `stop=int vector=N` (EIP after it).
 * EFLAGS bits that ptrace cannot set (NT, ID, AC via POPF...) are reset by a
 * tiny `push 0x202; popf; int3` snippet run in the child when needed. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/diff/diff.h"

struct child_finfo {        /* = finfo in child32.c */
    uint32_t count, signo, code, trapno, err, addr;
};

struct native {
    pid_t pid;
    uint32_t finfo_addr;
    int low_ok;
    uint32_t eflags_now;    /* child's EFLAGS at its last stop */
    unsigned long long ds, es, ss;  /* the child's selectors, restored per case */
    char path[4096];
};

#define RESET_SNIPPET (CODE_BASE + CODE_MAP - 16)

static volatile sig_atomic_t alarm_hit;
static void on_alarm(int sig) { (void)sig; alarm_hit = 1; }

static void set_alarm(int ms)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    setitimer(ITIMER_REAL, &it, 0);
}

/* waitpid with a timeout; returns 0 and the status, or -1 on timeout/error. */
static int wait_child(pid_t pid, int *status, int ms)
{
    alarm_hit = 0;
    set_alarm(ms);
    for (;;) {
        pid_t w = waitpid(pid, status, __WALL);
        if (w == pid) {
            set_alarm(0);
            return 0;
        }
        if (w < 0 && errno == EINTR && !alarm_hit)
            continue;
        set_alarm(0);
        return -1;
    }
}

static int vm_write(pid_t pid, uint32_t addr, const void *buf, size_t len)
{
    struct iovec l = { (void *)buf, len }, r = { (void *)(uintptr_t)addr, len };
    return process_vm_writev(pid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -1;
}

static int vm_read(pid_t pid, uint32_t addr, void *buf, size_t len)
{
    struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
    return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -1;
}

static int spawn(native_t *n, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execl(n->path, n->path, (char *)0);
        _exit(errno == ENOEXEC ? 126 : 127);
    }
    n->pid = pid;
    int st;
    /* the exec stop (SIGTRAP), then the child's own int3 */
    for (int stops = 0; stops < 2; stops++) {
        if (wait_child(pid, &st, 5000) != 0 || !WIFSTOPPED(st) ||
            WSTOPSIG(st) != SIGTRAP) {
            if (WIFEXITED(st) && WEXITSTATUS(st) >= 126)
                snprintf(err, errlen, "%s: %s", n->path, WEXITSTATUS(st) == 126 ?
                         "Exec format error: this host runs no 32-bit code" :
                         "cannot be executed (make build/diff/child32)");
            else if (WIFEXITED(st))
                snprintf(err, errlen, "%s: exited with status %d during set-up",
                         n->path, WEXITSTATUS(st));
            else
                snprintf(err, errlen, "%s: did not stop as expected (status %#x)",
                         n->path, st);
            kill(pid, SIGKILL);
            waitpid(pid, &st, __WALL);
            return -1;
        }
        if (stops == 0) {
            ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)PTRACE_O_EXITKILL);
            ptrace(PTRACE_CONT, pid, 0, 0);
        }
    }
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) {
        snprintf(err, errlen, "PTRACE_GETREGS: %s", strerror(errno));
        return -1;
    }
    n->finfo_addr = (uint32_t)regs.rax;
    n->ds = regs.ds;
    n->es = regs.es;
    n->ss = regs.ss;
    n->low_ok = (int)(regs.rbx & 1);
    n->eflags_now = (uint32_t)regs.eflags;
    return 0;
}

native_t *native_open(const char *child_path, char *err, size_t errlen)
{
    static int sig_done;
    if (!sig_done) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;   /* no SA_RESTART: waitpid gets EINTR */
        sigaction(SIGALRM, &sa, 0);
        sig_done = 1;
    }
    native_t *n = calloc(1, sizeof *n);
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return 0;
    }
    snprintf(n->path, sizeof n->path, "%s", child_path);
    if (spawn(n, err, errlen) != 0) {
        free(n);
        return 0;
    }
    return n;
}

int native_low_ok(const native_t *n) { return n->low_ok; }

void native_close(native_t *n)
{
    if (!n)
        return;
    int st;
    kill(n->pid, SIGKILL);
    waitpid(n->pid, &st, __WALL);
    free(n);
}

static void respawn(native_t *n)
{
    char err[256];
    int st;
    kill(n->pid, SIGKILL);
    waitpid(n->pid, &st, __WALL);
    if (spawn(n, err, sizeof err) != 0) {
        fprintf(stderr, "difftest: cannot restart the native child: %s\n", err);
        exit(2);
    }
}

static void harness(dresult_t *r, const char *fmt, const char *detail)
{
    r->stop = STOP_HARNESS;
    snprintf(r->note, sizeof r->note, fmt, detail);
}

/* Runs the child from its current stop until the next one; returns the wait
 * status, or -1 on timeout (the child is then restarted). */
static int cont_wait(native_t *n, int sig)
{
    int st;
    if (ptrace(PTRACE_CONT, n->pid, 0, (void *)(long)sig) != 0)
        return -1;
    if (wait_child(n->pid, &st, 3000) != 0) {
        respawn(n);
        return -1;
    }
    return st;
}

/* Clears EFLAGS bits that ptrace cannot clear (NT, ID, ...) by running
 * `push 0x202; popf; int3` in the child. */
static int reset_eflags(native_t *n)
{
    static const uint8_t snip[] = { 0x68, 0x02, 0x02, 0x00, 0x00, 0x9d, 0xcc };
    struct user_regs_struct regs;
    if (vm_write(n->pid, RESET_SNIPPET, snip, sizeof snip) != 0 ||
        ptrace(PTRACE_GETREGS, n->pid, 0, &regs) != 0)
        return -1;
    regs.rip = RESET_SNIPPET;
    regs.rsp = STACK_TOP - 64;
    regs.eflags = 0x202;
    regs.orig_rax = (unsigned long long)-1;
    regs.ds = n->ds;        /* PTRACE_SETREGS refuses a selector with RPL != 3, */
    regs.es = n->es;        /* which a case may have loaded (a null one) */
    regs.ss = n->ss;
    if (ptrace(PTRACE_SETREGS, n->pid, 0, &regs) != 0)
        return -1;
    int st = cont_wait(n, 0);
    if (st < 0 || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP ||
        ptrace(PTRACE_GETREGS, n->pid, 0, &regs) != 0)
        return -1;
    n->eflags_now = (uint32_t)regs.eflags;
    return 0;
}

static const dinsn_t *insn_ending_at(const dcase_t *c, uint32_t off)
{
    for (int i = 0; i < c->ninsns; i++)
        if ((uint32_t)c->insns[i].off + c->insns[i].len == off)
            return &c->insns[i];
    return 0;
}

static const dinsn_t *insn_at(const dcase_t *c, uint32_t off)
{
    for (int i = 0; i < c->ninsns; i++)
        if (c->insns[i].off == off)
            return &c->insns[i];
    return 0;
}

void case_insns_around(const dcase_t *c, uint32_t off, dinsn_t tmp[2],
                       const dinsn_t **before, const dinsn_t **at)
{
    if (c->ninsns) {
        *before = insn_ending_at(c, off);
        *at = insn_at(c, off);
        return;
    }
    *before = *at = 0;
    if (off < 1 || off > c->code_len)
        return;
    /* a hand-written case: no instruction table, look at the bytes */
    memset(tmp, 0, 2 * sizeof *tmp);
    tmp[0].off = (uint16_t)(off - 1); tmp[0].len = 1;
    if (off >= 2 && c->code[off - 2] == 0xcd) { tmp[0].off = (uint16_t)(off - 2); tmp[0].len = 2; }
    tmp[1].off = (uint16_t)off; tmp[1].len = (c->code[off] == 0xcd) ? 2 : 1;
    *before = &tmp[0];
    *at = &tmp[1];
}

int case_int_n(const dcase_t *c, const dinsn_t *in)
{
    if (!in || in->len != 2 || c->code[in->off] != 0xcd)
        return -1;
    return c->code[in->off + 1];
}

static void get_regs(const struct user_regs_struct *u, dresult_t *r)
{
    r->regs[R_EAX] = (uint32_t)u->rax;
    r->regs[R_EBX] = (uint32_t)u->rbx;
    r->regs[R_ECX] = (uint32_t)u->rcx;
    r->regs[R_EDX] = (uint32_t)u->rdx;
    r->regs[R_ESI] = (uint32_t)u->rsi;
    r->regs[R_EDI] = (uint32_t)u->rdi;
    r->regs[R_EBP] = (uint32_t)u->rbp;
    r->regs[R_ESP] = (uint32_t)u->rsp;
    r->eip = (uint32_t)u->rip;
    r->eflags = (uint32_t)u->eflags;
}

void native_run(native_t *n, const dcase_t *c, dresult_t *r)
{
    memset(r, 0, sizeof *r);
    /* F_AC: ptrace could set it, but clear it the same way. */
    if ((n->eflags_now & (F_NT | F_ID | F_AC | F_VIP | F_VIF | F_IOPL)) &&
        reset_eflags(n) != 0) {
        harness(r, "%s", "native: EFLAGS reset snippet failed");
        respawn(n);
        return;
    }
    static uint8_t zero[CODE_MAX];
    if (vm_write(n->pid, CODE_BASE, c->code, c->code_len) != 0 ||
        vm_write(n->pid, CODE_BASE + c->code_len, zero, CODE_MAX - c->code_len) != 0 ||
        vm_write(n->pid, DATA_BASE, c->data, DATA_SIZE) != 0 ||
        vm_write(n->pid, STACK_LO, c->stack, STACK_SIZE) != 0 ||
        (n->low_ok && vm_write(n->pid, LOW_BASE, c->low, LOW_SIZE) != 0)) {
        harness(r, "native: process_vm_writev: %s", strerror(errno));
        return;
    }
    struct user_regs_struct u;
    if (ptrace(PTRACE_GETREGS, n->pid, 0, &u) != 0) {
        harness(r, "native: PTRACE_GETREGS: %s", strerror(errno));
        return;
    }
    u.rax = c->regs[R_EAX];
    u.rbx = c->regs[R_EBX];
    u.rcx = c->regs[R_ECX];
    u.rdx = c->regs[R_EDX];
    u.rsi = c->regs[R_ESI];
    u.rdi = c->regs[R_EDI];
    u.rbp = c->regs[R_EBP];
    u.rsp = c->regs[R_ESP];
    u.rip = CODE_BASE;
    u.eflags = c->eflags;
    u.ds = n->ds;           /* a case may have loaded another (or null) selector */
    u.es = n->es;
    u.ss = n->ss;
    u.orig_rax = (unsigned long long)-1;
    if (ptrace(PTRACE_SETREGS, n->pid, 0, &u) != 0) {
        harness(r, "native: PTRACE_SETREGS: %s", strerror(errno));
        return;
    }
    int st = cont_wait(n, 0);
    if (st < 0) {
        harness(r, "%s", "native: timeout (the case did not stop in 3 s)");
        return;
    }
    if (!WIFSTOPPED(st)) {
        harness(r, "%s", "native: the child died");
        respawn(n);
        return;
    }
    int sig = WSTOPSIG(st);
    if (ptrace(PTRACE_GETREGS, n->pid, 0, &u) != 0) {
        harness(r, "native: PTRACE_GETREGS: %s", strerror(errno));
        return;
    }
    get_regs(&u, r);
    n->eflags_now = r->eflags;
    uint32_t off = r->eip - CODE_BASE;
    dinsn_t tmp[2];
    const dinsn_t *before, *at;
    case_insns_around(c, off, tmp, &before, &at);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (sig == SIGTRAP)
        ptrace(PTRACE_GETSIGINFO, n->pid, 0, &si);
    if (sig == SIGTRAP && si.si_code == TRAP_TRACE) {
        r->stop = STOP_EXC;         /* single step (EFLAGS.TF): #DB, a trap */
        r->vector = 1;
    } else if (sig == SIGTRAP) {
        const dinsn_t *in = before;
        int v = case_int_n(c, in);
        if (v >= 0) {
            r->stop = STOP_INT;
            r->vector = v;
        } else if (in && c->code[in->off + in->len - 1] == 0xcc) {
            r->stop = STOP_INT3;
        } else {
            harness(r, "%s", "native: SIGTRAP not at an int3");
        }
    } else if (sig == SIGSEGV || sig == SIGFPE || sig == SIGILL || sig == SIGBUS) {
        struct child_finfo fi0, fi;
        if (vm_read(n->pid, n->finfo_addr, &fi0, sizeof fi0) != 0) {
            harness(r, "%s", "native: cannot read finfo");
            return;
        }
        st = cont_wait(n, sig);
        struct user_regs_struct u2;
        if (st < 0 || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP ||
            vm_read(n->pid, n->finfo_addr, &fi, sizeof fi) != 0 ||
            fi.count != fi0.count + 1 ||
            ptrace(PTRACE_GETREGS, n->pid, 0, &u2) != 0) {
            harness(r, "%s", "native: the fault handler did not report");
            if (st >= 0)
                respawn(n);
            return;
        }
        n->eflags_now = (uint32_t)u2.eflags;
        r->stop = STOP_EXC;
        r->vector = (int)fi.trapno;
        int v;
        if (fi.trapno == 13 && (v = case_int_n(c, at)) >= 0 && fi.err == (uint32_t)v * 8 + 2) {
            r->stop = STOP_INT;         /* int N through a DPL-0 gate */
            r->vector = v;
            r->eip += at->len;
        } else if (fi.trapno == 4 && case_int_n(c, before) == 4) {
            r->stop = STOP_INT;         /* int 4: Linux's gate 4 has DPL 3 */
            r->vector = 4;
        } else if (fi.trapno == 8 || (fi.trapno >= 10 && fi.trapno <= 14) ||
                   fi.trapno == 17) {
            r->has_error = 1;
            r->error = fi.err;
        }
        if (fi.trapno == 14)
            snprintf(r->note, sizeof r->note,
                     "native page fault at %08x: the case escaped its memory "
                     "areas (a generator bug)", fi.addr);
    } else {
        char what[64];
        snprintf(what, sizeof what, "%d", sig);
        harness(r, "native: unexpected signal %s", what);
        ptrace(PTRACE_CONT, n->pid, 0, 0);
        respawn(n);
        return;
    }
    if (vm_read(n->pid, DATA_BASE, r->data, DATA_SIZE) != 0 ||
        vm_read(n->pid, STACK_LO, r->stack, STACK_SIZE) != 0 ||
        (n->low_ok && vm_read(n->pid, LOW_BASE, r->low, LOW_SIZE) != 0))
        harness(r, "native: process_vm_readv: %s", strerror(errno));
}
