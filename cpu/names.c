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
