/* Names for people: exception vectors, and the "name count" lists of the
 * end-of-run summary. */
#ifndef TRAPSIM_NAMES_H
#define TRAPSIM_NAMES_H
#include <stddef.h>
#include <stdint.h>

/* "#GP" for 13, ...; "exception" for a vector without a mnemonic (those
 * above EXC_LAST_NAMED, the reserved ones). */
const char *exc_name(int vector);
#define EXC_LAST_NAMED 19   /* #XM */

/* Appends ", NAME COUNT" (no comma first) to the list in buf, which holds
 * `len` characters of `size`; NAME comes from fmt. Returns the new length;
 * a full buffer keeps what fits. */
size_t list_append(char *buf, size_t size, size_t len, uint64_t count, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#endif
