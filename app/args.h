/* Small helpers for parsing command-line values, shared by the commands. */
#ifndef TRAPSIM_ARGS_H
#define TRAPSIM_ARGS_H
#include <stdint.h>
/* A number in C syntax (0x.., 0.., decimal) that fits in 32 bits; 0 or -1. */
int parse_u32(const char *s, uint32_t *out);
int parse_u64(const char *s, uint64_t *out);
/* A size with an optional K, M or G suffix (bytes). */
int parse_size(const char *s, uint64_t *out);
/* Option matching: "--name VALUE" or "--name=VALUE". Returns 1 and sets
 * *val (advancing *i) when argv[*i] is that option; -1 when the value is
 * missing; 0 when argv[*i] is another option. */
int opt_value(int argc, char **argv, int *i, const char *name, const char **val);
/* Prints "trapsim: MESSAGE" on stderr (one line). */
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
