/* `trapsim scenario`: teaching scenarios, one file scenarios/NAME.scn each,
 * with the expected log scenarios/NAME.expected and the expected trap-flow
 * graph scenarios/NAME.dot (scenarios/README.md: the format). The parts:
 * app/scenario_file.h (the parser), app/scenario_view.h (the filtered
 * log), app/linediff.h (the diff of --check); this is the command. */
#ifndef TRAPSIM_SCENARIO_H
#define TRAPSIM_SCENARIO_H

#include <stddef.h>

int scenario_main(int argc, char **argv);
/* The repository root the scenarios and their images are found under. */
void scenario_root(char *buf, size_t n);
#endif
