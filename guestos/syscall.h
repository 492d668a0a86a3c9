// System call numbers, shared by the kernel and the user programs.
// Linux i386 numbers where Linux has the call; our own (1000 up) otherwise.
// eax = number, ebx, ecx, edx = arguments; the result comes back in eax.
#ifndef GUESTOS_SYSCALL_H
#define GUESTOS_SYSCALL_H
#define SYS_exit         1   // exit(code): never returns
#define SYS_write        4   // write(fd 1 or 2, buf, len) -> len
#define SYS_getpid      20   // getpid() -> pid
#define SYS_sched_yield 158  // yield(): let the next process run
#define SYS_ticks     1000   // ticks() -> timer ticks since boot
#define SYS_sleep     1001   // sleep(n): wait at least n timer ticks
#endif
