/* The native side of the differential test: a 32-bit static program that maps
 * the case's memory areas and then lives under ptrace control of difftest
 * (native.c).  Built with gcc -m32 -static (tests/diff/diff.mk).
 *
 * Protocol: after setting up, the child stops with int3 (SIGTRAP) with
 *   EAX = address of `finfo` (fault details, see below)
 *   EBX = bit 0: the LOW area (16-bit addressing) is mapped
 * From then on the parent writes code and data, sets the registers, and lets
 * the child run the case until it stops.  A fault signal (SIGSEGV, SIGFPE,
 * SIGILL, SIGBUS) is delivered to `handler` below on an alternate stack; it
 * copies the kernel's trap number and error code (from the signal context:
 * ptrace cannot read them) into `finfo` and stops with int3. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <ucontext.h>
#include <unistd.h>
#include "tests/diff/diff.h"

/* Read by the parent with process_vm_readv: keep the layout in sync with
 * struct child_finfo in native.c. */
volatile struct {
    uint32_t count;         /* incremented per fault */
    uint32_t signo, code, trapno, err, addr;
} finfo;

static uint8_t altstack[256 * 1024];

static void handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    finfo.signo = (uint32_t)sig;
    finfo.code = (uint32_t)si->si_code;
    finfo.trapno = (uint32_t)uc->uc_mcontext.gregs[REG_TRAPNO];
    finfo.err = (uint32_t)uc->uc_mcontext.gregs[REG_ERR];
    finfo.addr = (uint32_t)(uintptr_t)si->si_addr;
    finfo.count++;
    for (;;)
        __asm__ volatile("int3");
}

static int map(uint32_t addr, uint32_t len, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, len, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    return p == (void *)(uintptr_t)addr ? 0 : -1;
}

int main(void)
{
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
        return 10;
    if (map(CODE_BASE, CODE_MAP, PROT_READ | PROT_WRITE | PROT_EXEC) ||
        map(DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE) ||
        map(STACK_LO, STACK_SIZE, PROT_READ | PROT_WRITE))
        return 11;
    uint32_t status = 0;
    if (map(LOW_BASE, LOW_SIZE, PROT_READ | PROT_WRITE) == 0)
        status |= 1;

    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    if (sigaltstack(&ss, 0) != 0)
        return 12;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    /* NODEFER: the handler is never returned from (the parent moves the
     * child on to the next case), so the signal must not stay blocked. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGSEGV, SIGFPE, SIGILL, SIGBUS };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, 0) != 0)
            return 13;

    uint32_t a = (uint32_t)(uintptr_t)&finfo;
    for (;;)
        __asm__ volatile("int3" : : "a"(a), "b"(status) : "memory");
}
