// A small vsnprintf, shared by the kernel (cprintf) and the user programs
// (printf): there is one address space, so ring 3 calls this code too.
// Formats: %d %u %x %s %c %%, with an optional '-' or '0' flag and a width.
#include <stdarg.h>
#include "types.h"
#include "defs.h"

struct out {
  char *buf;
  int size;   // of buf, the final NUL included
  int n;      // characters produced (may exceed size)
};

static void put(struct out *o, char c) {
  if (o->n < o->size - 1)
    o->buf[o->n] = c;
  o->n++;
}

// s[0..len) padded to width: on the right with '-', else on the left.
static void field(struct out *o, const char *s, int len, int width, int left, char pad) {
  if (!left)
    for (; width > len; width--)
      put(o, pad);
  for (int i = 0; i < len; i++)
    put(o, s[i]);
  for (; width > len; width--)
    put(o, ' ');
}

static int utoa(char *dst, uint v, uint base) {
  char tmp[12];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v > 0);
  for (int i = 0; i < n; i++)
    dst[i] = tmp[n - 1 - i];
  return n;
}

int vsnprintf(char *buf, int size, const char *fmt, va_list ap) {
  struct out o = { buf, size, 0 };
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    fmt++;
    int left = 0, width = 0;
    char pad = ' ';
    if (*fmt == '-') {
      left = 1;
      fmt++;
    } else if (*fmt == '0') {
      pad = '0';
      fmt++;
    }
    while (*fmt >= '0' && *fmt <= '9')
      width = width * 10 + (*fmt++ - '0');

    char num[12];
    const char *s;
    int len;
    switch (*fmt) {
    case 'd': {
      int v = va_arg(ap, int);
      len = 0;
      if (v < 0)
        num[len++] = '-';
      len += utoa(num + len, v < 0 ? -(uint)v : (uint)v, 10);
      field(&o, num, len, width, left, pad);
      break;
    }
    case 'u':
    case 'x':
      len = utoa(num, va_arg(ap, uint), *fmt == 'u' ? 10 : 16);
      field(&o, num, len, width, left, pad);
      break;
    case 's':
      s = va_arg(ap, const char *);
      if (s == 0)
        s = "(null)";
      field(&o, s, strlen(s), width, left, ' ');
      break;
    case 'c':
      num[0] = va_arg(ap, int);
      field(&o, num, 1, width, left, ' ');
      break;
    case '\0':
      fmt--;    // a lone '%' at the end
      break;
    default:    // %% and anything unknown: print it
      put(&o, *fmt);
      break;
    }
  }
  if (size > 0)
    o.buf[o.n < size ? o.n : size - 1] = '\0';
  return o.n;
}

int snprintf(char *buf, int size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
