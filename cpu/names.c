#include <stdarg.h>
#include <stdio.h>
#include "cpu/names.h"

const char *exc_name(int vector)
{
    static const char *const names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS", "#NP",
        "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
    };
    return vector >= 0 && vector < 32 && names[vector] ? names[vector] : "exception";
}

size_t list_append(char *buf, size_t size, size_t len, uint64_t count, const char *fmt, ...)
{
    if (len + 1 >= size)
        return len;
    char name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    int k = snprintf(buf + len, size - len, "%s%s %llu", len ? ", " : "", name, (unsigned long long)count);
    if (k < 0)
        return len;
    len += (size_t)k;
    return len < size ? len : size - 1;
}

size_t list_counts(char *buf, size_t size, size_t len, const uint64_t *counts, int n, const char *fmt)
{
    if (len < size)
        buf[len] = 0;   /* an empty list when nothing counts */
    for (int i = 0; i < n; i++)
        if (counts[i])
            len = list_append(buf, size, len, counts[i], fmt, i);
    return len;
}

size_t list_exceptions(char *buf, size_t size, size_t len, const uint64_t counts[32])
{
    if (len < size)
        buf[len] = 0;
    for (int v = 0; v < 32; v++)
        if (counts[v])
            len = list_append(buf, size, len, counts[v], "%s", exc_name(v));
    return len;
}

uint64_t count_total(const uint64_t *counts, int n)
{
    uint64_t t = 0;
    for (int i = 0; i < n; i++)
        t += counts[i];
    return t;
}

void write_counts(FILE *f, const char *key_fmt, const uint64_t *counts, int n)
{
    for (int i = 0; i < n; i++)
        if (counts[i]) {
            fprintf(f, key_fmt, i);
            fprintf(f, "=%llu\n", (unsigned long long)counts[i]);
        }
}
