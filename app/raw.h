/* `trapsim raw`: one code fragment, one final state (RAW-MODE.md). */
#ifndef TRAPSIM_RAW_H
#define TRAPSIM_RAW_H
/* Parses the raw-mode options in argv[0..argc) (after "raw"), runs, prints
 * the final state on stdout; returns the process exit status. */
int raw_main(int argc, char **argv);

/* Raw mode's monitor (cpu/hv.h) on a machine: the first event for the IDT
 * (an exception, INT3, INT n, INTO, INT1) or a HLT stops the run, with
 * machine_t.stop_vector, stop_has_error and stop_error set. */
struct machine;
void raw_attach(struct machine *m);
#endif
