/* Shared helpers of trapsim's libFuzzer targets (tests/fuzz/README.md).
 *
 * A finding is reported the libFuzzer way: a sanitizer report, a timeout,
 * or FUZZ_CHECK failing (which prints what was wrong and aborts, so the
 * input is saved as a crash artifact). */
#ifndef TRAPSIM_FUZZ_COMMON_H
#define TRAPSIM_FUZZ_COMMON_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(fuzz_real_stderr(), "fuzz check failed at %s:%d: %s: ",    \
                    __FILE__, __LINE__, #cond);                                \
            fprintf(fuzz_real_stderr(), __VA_ARGS__);                          \
            fputc('\n', fuzz_real_stderr());                                   \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The stderr that was in place before any capture: where findings go. */
static FILE *fuzz_saved_stderr;
static inline FILE *fuzz_real_stderr(void)
{
    return fuzz_saved_stderr ? fuzz_saved_stderr : stderr;
}

/* stdio capture: the simulator prints its messages through stdio (errorf,
 * printf), so swapping glibc's `stdout`/`stderr` FILE pointers captures
 * them without touching file descriptor 2, where the sanitizers and
 * libFuzzer itself report. */
typedef struct fuzz_capture {
    FILE *old_out, *old_err;
    FILE *err;           /* open_memstream */
    char *err_text;
    size_t err_len;
} fuzz_capture_t;

static inline FILE *fuzz_devnull(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    if (!f)
        abort();
    return f;
}

static inline void fuzz_capture_begin(fuzz_capture_t *cap)
{
    memset(cap, 0, sizeof *cap);
    cap->err = open_memstream(&cap->err_text, &cap->err_len);
    if (!cap->err)
        abort();
    fflush(stdout);
    fflush(stderr);
    cap->old_out = stdout;
    cap->old_err = stderr;
    if (!fuzz_saved_stderr)
        fuzz_saved_stderr = stderr;
    stdout = fuzz_devnull();
    stderr = cap->err;
}

/* Ends the capture; cap->err_text holds what went to stderr (NUL-terminated,
 * free with fuzz_capture_free). */
static inline void fuzz_capture_end(fuzz_capture_t *cap)
{
    fflush(stdout);
    stdout = cap->old_out;
    stderr = cap->old_err;
    fclose(cap->err);
    cap->err = NULL;
}

static inline void fuzz_capture_free(fuzz_capture_t *cap)
{
    free(cap->err_text);
    cap->err_text = NULL;
}

/* trapsim's rule for a bad-input message (README "Exit statuses"): exactly
 * one line, "trapsim: " and some text, ending in one newline. */
static inline int fuzz_one_line_message(const char *s, size_t n)
{
    static const char prefix[] = "trapsim: ";
    if (n < sizeof prefix || memcmp(s, prefix, sizeof prefix - 1) != 0)
        return 0;
    if (s[n - 1] != '\n')
        return 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '\n' || s[i] == '\0')
            return 0;
    return 1;
}

/* Little-endian reads from the fuzz input, 0 past its end. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n, pos;
} fuzz_in_t;

static inline uint8_t fin_u8(fuzz_in_t *in)
{
    return in->pos < in->n ? in->p[in->pos++] : 0;
}

static inline uint32_t fin_u32(fuzz_in_t *in)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++)
        v |= (uint32_t)fin_u8(in) << (8 * k);
    return v;
}

/* Up to `want` bytes; returns how many were there. */
static inline size_t fin_bytes(fuzz_in_t *in, uint8_t *dst, size_t want)
{
    size_t have = in->n - in->pos < want ? in->n - in->pos : want;
    if (have)
        memcpy(dst, in->p + in->pos, have);
    memset(dst + have, 0, want - have);
    in->pos += have;
    return have;
}
#endif
