// System calls: int $0x80 with the number in eax and the arguments in ebx,
// ecx, edx, as on Linux i386 (numbers in syscall.h). The result goes back
// in the trapframe's eax. They run with interrupts on (a trap gate).
#include "types.h"
#include "x86.h"
#include "proc.h"
#include "syscall.h"
#include "defs.h"

// write(fd, buf, len): to the console, in pid order (console.c). If our
// buffer is full we are not the lowest pid: wait for our turn.
static int sys_write(int fd, const char *buf, int len) {
  if ((fd != 1 && fd != 2) || len < 0 || (uint)buf + len < (uint)buf)
    return -1;
  int done = 0;
  for (;;) {
    done += proc_output(curproc, buf + done, len - done, OUTBUF - OUTRESERVE);
    if (done == len)
      return len;
    yield();
  }
}

static void sys_exit(int status) {
  if (status != 0)
    proc_printf(curproc, "exit status %d\n", status);
  proc_exit();
}

void syscall(struct trapframe *tf) {
  switch (tf->eax) {
  case SYS_exit:
    sys_exit(tf->ebx);
    break;
  case SYS_write:
    tf->eax = sys_write(tf->ebx, (const char *)tf->ecx, tf->edx);
    break;
  case SYS_getpid:
    tf->eax = curproc->pid;
    break;
  case SYS_sched_yield:
    yield();
    tf->eax = 0;
    break;
  case SYS_ticks:
    tf->eax = ticks;
    break;
  case SYS_sleep:
    if (tf->ebx > 0)
      sleep(tf->ebx);
    tf->eax = 0;
    break;
  default:
    tf->eax = -1;   // no such system call
    break;
  }
}
