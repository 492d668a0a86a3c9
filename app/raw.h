/* `trapsim raw`: one code fragment, one final state (RAW-MODE.md). */
#ifndef TRAPSIM_RAW_H
#define TRAPSIM_RAW_H
/* Parses the raw-mode options in argv[0..argc) (after "raw"), runs, prints
 * the final state on stdout; returns the process exit status. */
int raw_main(int argc, char **argv);
#endif
