/* `trapsim compare`: Adams & Agesen's microbenchmarks (a system call, IN
 * from a device, a control-register write, a CLI/STI pair, divide by zero,
 * call/ret, a POPF-based critical section: the guest
 * tests/guests/microbench.c) under each virtualization technique trapsim
 * has, one table: per operation and technique the VM exits, the guest's
 * instructions, the monitor's steps, the sensitive instructions that ran
 * without a trap, host nanoseconds (each per operation) and whether the
 * guest got the right result. The techniques are a table over
 * host/monitor.h's monitors: one not built yet is a row that says so. */
#ifndef TRAPSIM_COMPARE_H
#define TRAPSIM_COMPARE_H
#include <stdio.h>

/* trapsim compare [--csv] [--no-times] [--html FILE] [--image FILE] */
int compare_main(int argc, char **argv);

/* The table without host times (scenario compare: it diffs), for the
 * microbench image under `root`; returns an exit status (README). */
int compare_write_counts(FILE *out, const char *root);
#endif
