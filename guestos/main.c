// Boot: set up the machine, create the processes named on the command
// line, run them, and report.
#include "types.h"
#include "x86.h"
#include "multiboot.h"
#include "proc.h"
#include "defs.h"

#define DEFAULT_PROCS "isprime,counter"
#define DEBUG_EXIT    0xF4   // isa-debug-exit: QEMU exits with status (v << 1) | 1

static void startprocs(const char *list);

void main(uint magic, struct mbinfo *mbi) {
  cmdline_init(magic, mbi);
  pvops_init();  // native, or hypercalls under --vmm=pv (pvops.c)
  uartinit();
  const char *list = opt_str("procs");
  if (list == 0)
    list = DEFAULT_PROCS;
  cprintf("guestos: booting, procs=%s\n", list);
  cmdline_check();

  seginit();     // GDT, TSS
  pv_lazy_begin();   // pv: the three below are one multicall
  idtinit();     // IDT
  picinit();     // IRQ0 on vector 32
  timerinit();   // 100 Hz
  pv_lazy_end();
  startprocs(list);

  sti();         // the only STI: from here each context keeps its own IF
  if (opt_num("lidt2", 0))
    idt_second();
  if (opt_num("probe", 0))
    probe();
#ifdef GUESTOS_KPRIME
  if (opt_num("kprime", 0))
    kprime(opt_num("kprime", 0));
#endif
  scheduler();

  if (opt_num("lidt2", 0))
    cprintf("guestos: second IDT timer handler used: %s\n", ticks2 > 0 ? "yes" : "no");
#ifdef GUESTOS_SHARES
  print_shares();
#endif
  cprintf("guestos: all processes exited; critical-section violations: %u\n",
          crit_violations);
  halt(0);
}

// Create a process for each name in the comma-separated list.
static void startprocs(const char *list) {
  for (const char *s = list; *s; ) {
    int len = 0;
    while (s[len] && s[len] != ',')
      len++;
    const struct program *prog = program_lookup(s, len);
    if (prog == 0) {
      char name[32];
      int n = len < (int)sizeof name - 1 ? len : (int)sizeof name - 1;
      memmove(name, s, n);
      name[n] = '\0';
      cprintf("guestos: no program named '%s' (skipped)\n", name);
    } else if (proc_create(prog->name, prog->main,
                         prog->opt ? opt_num(prog->opt, prog->dflt) : prog->dflt) < 0)
      cprintf("guestos: more than %d processes: %s not started\n", NPROC, prog->name);
    s += s[len] ? len + 1 : len;
  }
}

// End the run: 0 = all went well, 1 = kernel panic.
void halt(int code) {
  outb(DEBUG_EXIT, code);
  for (;;) {     // no isa-debug-exit device: stop here
    cli();
    hlt();
  }
}
