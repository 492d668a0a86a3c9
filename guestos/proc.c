// Processes and the round-robin scheduler.
//
// The scheduler is the boot thread's last job: it runs on the boot stack,
// picks a RUNNABLE process and swtch()es to it. A process gives the CPU
// back by swtch()ing to the scheduler: when the timer preempts it in ring 3
// (trap.c), or when it calls yield, sleep or exit. Its state in between is
// its trapframe (user registers) and context (kernel registers), both on
// its own kernel stack.
//
// The timer handler wakes sleepers, so the process table is shared with an
// interrupt handler: the rest of the kernel changes it only in a critical
// section (the handler itself runs with interrupts off).
#include "types.h"
#include "x86.h"
#include "mmu.h"
#include "proc.h"
#include "defs.h"

struct proc procs[NPROC];
int nproc;
struct proc *curproc;
static struct context *schedctx;   // the scheduler, while a process runs

void ustart(int (*main)(int), int arg);   // user/ulib.c

// A process that starts in ring 3 at ustart(main, arg). Returns its pid,
// or -1 when the table is full.
int proc_create(const char *name, int (*main)(int), int arg) {
  if (nproc == NPROC)
    return -1;
  struct proc *p = &procs[nproc];
  p->pid = ++nproc;
  p->name = name;
  p->atbol = 1;

  // The user stack: ustart's arguments under a return address it never uses.
  uint *usp = (uint *)(p->ustack + USTACKSIZE);
  *--usp = arg;
  *--usp = (uint)main;
  *--usp = 0;

  // The kernel stack: a trapframe for trapret's IRET to ring 3 ...
  uchar *sp = p->kstack + KSTACKSIZE;
  sp -= sizeof(struct trapframe);
  struct trapframe *tf = (struct trapframe *)sp;
  memset(tf, 0, sizeof *tf);
  tf->cs = (SEG_UCODE << 3) | DPL_USER;
  tf->ds = tf->es = tf->fs = tf->gs = tf->ss = (SEG_UDATA << 3) | DPL_USER;
  tf->eflags = FL_IF | FL_RSV1;      // IOPL 0: no I/O, CLI or STI in ring 3
  tf->esp = (uint)usp;
  tf->eip = (uint)ustart;

  // ... under a context that swtch() "returns" to trapret from.
  sp -= sizeof(struct context);
  p->ctx = (struct context *)sp;
  memset(p->ctx, 0, sizeof *p->ctx);
  p->ctx->eflags = FL_RSV1;          // IF = 0 until the IRET
  p->ctx->eip = (uint)trapret;

  p->state = RUNNABLE;
  return p->pid;
}

// The next RUNNABLE process after `last`, round robin, or 0.
static struct proc *pick(int *last) {
  for (int i = 1; i <= nproc; i++) {
    int k = (*last + i) % nproc;
    if (procs[k].state == RUNNABLE) {
      *last = k;
      procs[k].state = RUNNING;
      return &procs[k];
    }
  }
  return 0;
}

static int alive(void) {
  int n = 0;
  for (int i = 0; i < nproc; i++)
    if (procs[i].state != EXITED)
      n++;
  return n;
}

// Run processes until all have exited. Entered once, with IF = 1.
void scheduler(void) {
  int last = -1;
  for (;;) {
    uint flags = irqsave();
    struct proc *p = pick(&last);
    int n = alive();
    irqrestore(flags);

    if (p) {
      curproc = p;
      set_kstack((uint)p->kstack + KSTACKSIZE);
      kswitch(&schedctx, p->ctx);
      curproc = 0;
    } else if (n == 0) {
      return;
    } else {
      // All asleep: wait for the next timer tick. This relies on the POPF
      // in irqrestore having put IF back to 1.
      hlt();
    }
  }
}

// Give the CPU back to the scheduler; returns when picked again.
static void sched(void) {
  kswitch(&curproc->ctx, schedctx);
}

void yield(void) {
  uint flags = irqsave();
  curproc->state = RUNNABLE;
  irqrestore(flags);
  sched();
}

void sleep(uint n) {
  uint flags = irqsave();
  curproc->wake = ticks + n;
  curproc->state = SLEEPING;
  irqrestore(flags);
  sched();
}

// Timer tick `now`: wake the sleepers that are due. Interrupts are off.
void wakeup(uint now) {
  for (int i = 0; i < nproc; i++)
    if (procs[i].state == SLEEPING && (int)(now - procs[i].wake) >= 0)
      procs[i].state = RUNNABLE;
}

// End the current process; its output can now make way for the next pid's.
void proc_exit(void) {
  struct proc *p = curproc;
  if (p->midline)
    proc_output(p, "\n", 1, OUTBUF);
  uint flags = irqsave();
  p->state = EXITED;
  console_flush();
  irqrestore(flags);
  sched();
  for (;;)
    ;   // not reached: nobody picks an EXITED process
}

#ifdef GUESTOS_SHARES
// CPU accounting (the guestos-shares image): each timer tick is charged to
// the process it interrupted, or to the idle loop; at the end, each one's
// share of the ticks. Interrupts are off in the tick.
static uint cputicks[NPROC + 1];   // [0]: idle (the scheduler)

void account_tick(void) {
  cputicks[curproc ? curproc->pid : 0]++;
}

void print_shares(void) {
  uint total = 0;
  for (int i = 0; i <= nproc; i++)
    total += cputicks[i];
  cprintf("guestos: CPU time by process (timer ticks, round robin):\n");
  for (int i = 0; i <= nproc; i++) {
    uint permille = total ? (cputicks[i] * 1000 + total / 2) / total : 0;
    if (i == 0)
      cprintf("guestos:   %-14s %5u ticks %3u.%u%%\n", "idle", cputicks[i], permille / 10, permille % 10);
    else
      cprintf("guestos:   pid %d %-8s %5u ticks %3u.%u%%\n", i, procs[i - 1].name, cputicks[i],
              permille / 10, permille % 10);
  }
}
#endif
