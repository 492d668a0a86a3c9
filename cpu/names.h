/* Names for people: exception vectors, the "name count" lists of the
 * end-of-run summary and the "key=count" lines of --stats. */
#ifndef TRAPSIM_NAMES_H
#define TRAPSIM_NAMES_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "#GP" for 13, ...; "exception" for a vector without a mnemonic (those
 * above EXC_LAST_NAMED, the reserved ones). */
const char *exc_name(int vector);
#define EXC_LAST_NAMED 19   /* #XM */

/* Appends ", NAME COUNT" (no comma first) to the list in buf, which holds
 * `len` characters of `size`; NAME comes from fmt. Returns the new length;
 * a full buffer keeps what fits. */
size_t list_append(char *buf, size_t size, size_t len, uint64_t count, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* list_append() for each nonzero counts[i], i < n: NAME is fmt with i
 * ("IRQ%d"), or for list_exceptions() the exception's name. The list in
 * buf ends at len: with len 0, a new (possibly empty) list. */
size_t list_counts(char *buf, size_t size, size_t len, const uint64_t *counts, int n, const char *fmt)
    __attribute__((format(printf, 6, 0)));
size_t list_exceptions(char *buf, size_t size, size_t len, const uint64_t counts[32]);
/* The sum of counts[0..n). */
uint64_t count_total(const uint64_t *counts, int n);
/* A "KEY=COUNT" line for each nonzero counts[i], i < n: KEY is key_fmt
 * with i ("irq.%d"). */
void write_counts(FILE *f, const char *key_fmt, const uint64_t *counts, int n)
    __attribute__((format(printf, 2, 0)));
#endif
