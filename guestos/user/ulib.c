// The user-side runtime: the first code of every process, and printf.
#include <stdarg.h>
#include "user.h"

int vsnprintf(char *buf, int size, const char *fmt, va_list ap);   // printf.c

// Every process starts here in ring 3 (see proc_create).
void ustart(int (*main)(int), int arg) {
  exit(main(arg));
}

// Format into a buffer, then one write system call.
int printf(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 1)
    n = sizeof buf - 1;
  return write(1, buf, n);
}
