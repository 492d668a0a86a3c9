/* A unified line diff (Myers' algorithm), as `diff -u` prints it: what
 * `scenario --check` shows when a log differs from its expected file. */
#ifndef TRAPSIM_LINEDIFF_H
#define TRAPSIM_LINEDIFF_H
#include <stddef.h>

/* A unified diff of `a` (expected, named a_name) against `b` (actual),
 * 3 lines of context, written to `out` (a FILE *). Returns the number of
 * the first line of `a` that differs (1-based; 0 when the texts are equal). */
size_t line_diff(const char *a, size_t alen, const char *a_name, const char *b, size_t blen,
                 const char *b_name, void *out);

#endif
