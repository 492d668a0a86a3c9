/* Progress of a long run on a terminal (app/progress.h). */
#include <time.h>
#include <unistd.h>
#include "app/progress.h"

#define PROGRESS_QUANTUM 20000000ull   /* steps between looks at the clock */

static double host_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

stop_kind_t progress_run(machine_t *m, FILE *tty, const char *what)
{
    if (!tty || !isatty(fileno(tty)))
        return machine_run(m);
    double start = host_seconds(), next = start + 1.0;
    int shown = 0;
    stop_kind_t st;
    while ((st = machine_run_for(m, PROGRESS_QUANTUM)) == STOP_NONE) {
        double now = host_seconds();
        if (now >= next) {
            fprintf(tty, "\rtrapsim: %llu M instructions, %s ", (unsigned long long)(machine_steps(m) / 1000000), what);
            fflush(tty);
            shown = 1;
            next = now + 1.0;
        }
    }
    if (shown) {
        fputs("\r\033[K", tty);
        fflush(tty);
    }
    return st;
}
