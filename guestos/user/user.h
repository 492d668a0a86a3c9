// What a user program (ring 3) may use: the system calls and printf.
// The calls are inline so that their names stay out of the kernel's way.
#ifndef GUESTOS_USER_H
#define GUESTOS_USER_H
#include "types.h"
#include "syscall.h"

static inline int syscall3(int num, int a, int b, int c) {
  int ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(num), "b"(a), "c"(b), "d"(c) : "memory");
  return ret;
}

static inline int write(int fd, const void *buf, int len) {
  return syscall3(SYS_write, fd, (int)buf, len);
}
static inline int getpid(void) { return syscall3(SYS_getpid, 0, 0, 0); }
static inline void yield(void) { syscall3(SYS_sched_yield, 0, 0, 0); }
static inline uint ticks(void) { return syscall3(SYS_ticks, 0, 0, 0); }
static inline void sleep(uint n) { syscall3(SYS_sleep, n, 0, 0); }
static inline void __attribute__((noreturn)) exit(int status) {
  syscall3(SYS_exit, status, 0, 0);
  for (;;)
    ;
}

// ulib.c
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
