/* bench/bochs/stage2.c: the second stage of the Bochs boot floppy. It runs
 * guestos's isprime program (the very object file built for guestos, so the
 * loop is the same instructions trapsim counts) and gives it a printf that
 * writes to Bochs' debug port 0xE9. */
#include <stdarg.h>

int isprime_main(int n);

/* n: patched into the image at offset 512 by bench/bench.sh. */
__attribute__((section(".bench_n"), used)) const volatile int bench_n = 1000;

static void putc_e9(char c) { __asm__ volatile("outb %0, $0xE9" : : "a"(c)); }

static void put_uint(unsigned v, unsigned base) {
  char buf[12];
  int k = 0;
  do {
    buf[k++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  while (k)
    putc_e9(buf[--k]);
}

/* Enough of printf for isprime: %d %u %x %s %%. */
int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      putc_e9(*fmt);
      continue;
    }
    switch (*++fmt) {
    case 'd': {
      int v = va_arg(ap, int);
      if (v < 0) {
        putc_e9('-');
        put_uint(-(unsigned)v, 10);
      } else {
        put_uint((unsigned)v, 10);
      }
      break;
    }
    case 'u': put_uint(va_arg(ap, unsigned), 10); break;
    case 'x': put_uint(va_arg(ap, unsigned), 16); break;
    case 's':
      for (const char *s = va_arg(ap, const char *); *s; s++)
        putc_e9(*s);
      break;
    case '\0': fmt--; break;
    default: putc_e9(*fmt); break;
    }
  }
  va_end(ap);
  return 0;
}

void bench_main(void) {
  const char *hello = "bench: isprime on Bochs\n";
  while (*hello)
    putc_e9(*hello++);
  isprime_main(bench_n);
}
