#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/args.h"

int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (parse_u64(s, &v) || v > 0xffffffffull)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    size_t n = strlen(s);
    uint64_t mul = 1;
    char buf[64];
    if (n >= sizeof buf)
        return -1;
    strcpy(buf, s);
    switch (buf[n - 1]) {
    case 'k': case 'K': mul = 1ull << 10; buf[n - 1] = 0; break;
    case 'm': case 'M': mul = 1ull << 20; buf[n - 1] = 0; break;
    case 'g': case 'G': mul = 1ull << 30; buf[n - 1] = 0; break;
    }
    uint64_t v;
    if (parse_u64(buf, &v) || v > (UINT64_MAX / mul))
        return -1;
    *out = v * mul;
    return 0;
}

int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != 0)
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

void errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("trapsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
