// Processes: each has its own kernel stack (the TSS's esp0 while it runs)
// and its own user stack; all share the one flat address space.
#ifndef GUESTOS_PROC_H
#define GUESTOS_PROC_H
#include "types.h"

#define NPROC      8      // most processes on the command line
#define KSTACKSIZE 4096
#define USTACKSIZE 8192
#define OUTBUF     1024   // console output not yet printed (console.c)
#define OUTRESERVE 128    // ... of which write() leaves this much for kernel lines

enum procstate { UNUSED, RUNNABLE, RUNNING, SLEEPING, EXITED };

// Callee-saved registers and EFLAGS of a kernel context that called
// swtch(), in the order swtch.S pushes them; eip is swtch's return address.
// Keeping EFLAGS means each context gets its own IF back.
struct context {
  uint edi, esi, ebx, ebp, eflags, eip;
};

struct proc {
  int pid;               // 1, 2, ... in command-line order
  const char *name;      // the program's name
  enum procstate state;
  uint wake;             // SLEEPING: the tick to wake at
  struct context *ctx;   // where swtch() left it (when not RUNNING)
  char out[OUTBUF];      // output waiting for the lower pids to exit
  uint outlen;
  int midline;           // the last byte written was not a newline
  int atbol;             // the console's next byte of ours starts a line
  uchar kstack[KSTACKSIZE] __attribute__((aligned(16)));
  uchar ustack[USTACKSIZE] __attribute__((aligned(16)));
};

extern struct proc procs[NPROC];
extern int nproc;              // procs[0..nproc) are in use
extern struct proc *curproc;   // the process running, or 0 in the scheduler
#endif
