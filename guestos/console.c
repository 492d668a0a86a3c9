// The console: kernel lines, and process output in pid order.
//
// Processes run interleaved, at a pace that depends on the machine (QEMU's
// real-time timer, trapsim's virtual one), but the transcript must not. So
// a process's output is printed only once every lower pid has exited: the
// lowest live pid writes straight through, the others are kept in their
// proc's buffer until their turn. Each line is prefixed "[pid name] ".
#include <stdarg.h>
#include "types.h"
#include "defs.h"
#include "proc.h"

static int fg;   // the output of procs[0..fg) is all on the console

void cprintf(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 1)
    n = sizeof buf - 1;

  uint flags = irqsave();
  for (int i = 0; i < n; i++)
    uartputc(buf[i]);
  irqrestore(flags);
}

// Print what p has buffered, prefixing each line.
static void drain(struct proc *p) {
  char prefix[32];
  for (uint i = 0; i < p->outlen; i++) {
    if (p->atbol) {
      int n = snprintf(prefix, sizeof prefix, "[%d %s] ", p->pid, p->name);
      for (int j = 0; j < n; j++)
        uartputc(prefix[j]);
    }
    uartputc(p->out[i]);
    p->atbol = p->out[i] == '\n';
  }
  p->outlen = 0;
}

// Print all that may be printed now. Call in a critical section.
void console_flush(void) {
  for (; fg < nproc; fg++) {
    drain(&procs[fg]);
    if (procs[fg].state != EXITED)
      break;
  }
}

// Append s[0..n) to p's output, as far as p's buffer holds `limit` bytes;
// returns how many bytes were taken.
int proc_output(struct proc *p, const char *s, int n, int limit) {
  uint flags = irqsave();
  int room = limit - (int)p->outlen;
  if (n > room)
    n = room > 0 ? room : 0;
  memmove(p->out + p->outlen, s, n);
  p->outlen += n;
  if (n > 0)
    p->midline = s[n - 1] != '\n';
  console_flush();
  irqrestore(flags);
  return n;
}

// A kernel line in p's output (e.g. why it was killed). It may use the
// room that write() leaves free.
void proc_printf(struct proc *p, const char *fmt, ...) {
  char buf[OUTRESERVE];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 1)
    n = sizeof buf - 1;
  if (p->midline)
    proc_output(p, "\n", 1, OUTBUF);
  proc_output(p, buf, n, OUTBUF);
}
