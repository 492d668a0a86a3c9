/* Step mode for demos (`run --step`, `--break`, `--break-on`): the run
 * pauses after each event at the chosen trace level, or when a break
 * condition holds, and reads commands from standard input (`h` lists them:
 * next event, c [KIND] to the next trap of a kind, e to the next VM exit,
 * g to the next breakpoint, r registers, x memory, u disassembly, i/gdt/tss
 * the tables, vmm the monitor's state, b/d breakpoints, q quit with exit
 * status 14). Under a monitor, r, i, gdt and tss show the guest's view
 * beside the real one through the monitor's views (vmm/view.h).
 *
 * On a terminal a prompt goes to stderr; from a pipe no prompt is printed,
 * and the end of input lets the run go on to its end. Break conditions:
 *   --break ADDR|SYMBOL       EIP reaches ADDR (checked before each step)
 *   --break-on trap           every exception/interrupt/INT/return event
 *   --break-on vector N       every delivery of vector N
 *   --break-on mnemonic M     before an instruction with mnemonic M executes
 * The stepper drives machine_step() itself: the core run loop is unchanged. */
#ifndef TRAPSIM_STEP_H
#define TRAPSIM_STEP_H
#include <stdint.h>
#include <stdio.h>
#include "cpu/cpu.h"
#include "cpu/symbols.h"
#include "vmm/view.h"

#define STEP_MAX_BREAKS 64
#define STEP_MAX_MNEMS 16

typedef struct step_opts {
    int step;                           /* --step: pause after every traced event */
    int nbreaks;
    uint32_t breaks[STEP_MAX_BREAKS];   /* --break ADDR: EIP values */
    const char *break_syms[STEP_MAX_BREAKS]; /* --break SYMBOL: the name (breaks[] then resolved at the run) */
    int break_trap;                     /* --break-on trap */
    uint8_t break_vector[256 / 8];      /* --break-on vector N: bitmap */
    int any_vector;
    int nmnems;
    char mnems[STEP_MAX_MNEMS][16];     /* --break-on mnemonic M (lower case) */
} step_opts_t;

/* Parses one step-mode option at argv[*i] (--step, --break ADDR,
 * --break-on KIND [ARG]) into o: 1 when it was one (*i advanced past its
 * values), 0 when argv[*i] is another option, -1 after printing an error. */
int step_parse_opt(int argc, char **argv, int *i, step_opts_t *o);
/* Whether any step-mode option was given. */
int step_opts_active(const step_opts_t *o);

/* Checks that every --break SYMBOL names a symbol of the image (`image`
 * is its name for the message): 0, or -1 after printing an error. */
int step_check_symbols(const step_opts_t *o, const symtab_t *syms, const char *image);

/* Runs the machine under the stepper until it stops; returns m->stop.
 * `text_levels` are the levels the text trace prints, `text_on_stderr`
 * whether it prints them on stderr (else a paused event's line is echoed
 * there). `view` is the monitor's (ops NULL: a bare run); the image's
 * symbols are the machine's (m->trace.syms). Commands come from `in`
 * (stdin). */
stop_kind_t step_run(const step_opts_t *o, machine_t *m, monitor_view_t view,
                     uint32_t text_levels, int text_on_stderr, FILE *in);
#endif
