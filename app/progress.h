/* Progress of a long run on a terminal: while pictures are drawn a run may
 * take a while, and a silent terminal looks hung. */
#ifndef TRAPSIM_PROGRESS_H
#define TRAPSIM_PROGRESS_H
#include <stdio.h>
#include "cpu/cpu.h"

/* Runs `m` to its end as machine_run() does (the same run, step for step);
 * when `tty` is a terminal, a line "trapsim: N M instructions, WHAT" is
 * rewritten on it once a second after the first second, and erased at the
 * end. Host time paces the line only: nothing of it reaches the run. */
stop_kind_t progress_run(machine_t *m, FILE *tty, const char *what);
#endif
