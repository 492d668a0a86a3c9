// The few string functions the kernel and the user programs need (gcc may
// also call memset, memcpy and memmove on its own).
#include "types.h"
#include "defs.h"

void *memset(void *dst, int c, uint n) {
  uchar *d = dst;
  while (n-- > 0)
    *d++ = c;
  return dst;
}

void *memmove(void *dst, const void *src, uint n) {
  uchar *d = dst;
  const uchar *s = src;
  if (s < d && s + n > d) {   // overlapping, backwards
    while (n-- > 0)
      d[n] = s[n];
  } else {
    while (n-- > 0)
      *d++ = *s++;
  }
  return dst;
}

void *memcpy(void *dst, const void *src, uint n) {
  return memmove(dst, src, n);
}

int memcmp(const void *a, const void *b, uint n) {
  const uchar *x = a, *y = b;
  for (; n > 0; n--, x++, y++)
    if (*x != *y)
      return *x - *y;
  return 0;
}

uint strlen(const char *s) {
  uint n = 0;
  while (s[n])
    n++;
  return n;
}

int strncmp(const char *a, const char *b, uint n) {
  for (; n > 0 && *a && *a == *b; n--, a++, b++)
    ;
  return n == 0 ? 0 : (uchar)*a - (uchar)*b;
}

int strcmp(const char *a, const char *b) {
  return strncmp(a, b, ~0u);
}
