/* A scenario's run cut in two (scenarios/README.md, `snapshot_at`,
 * `migrate_at`): run to the cut, then on from a snapshot (`trapsim
 * resume`) or at a destination the VM migrated to live (in this process:
 * the same stream, no socket); the log shows both parts and whether
 * together they are the uninterrupted run. */
#ifndef TRAPSIM_SCENARIO_CUT_H
#define TRAPSIM_SCENARIO_CUT_H
#include <stdio.h>
#include "app/scenario_file.h"
#include "app/session.h"

/* `o` is the run as scenario.c made it (its sinks: the view, then the
 * graph's); returns the run's exit status (the second part's). */
int scenario_run_cut(const scenario_t *s, const session_opts_t *o, FILE *out);
#endif
