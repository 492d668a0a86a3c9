/* The scenario's text view: a trace sink that filters the trace as a
 * scenario file says (insns, ports, match, from/until, context, limit,
 * tail) and prints the guest's console lines inline, where they happened. */
#ifndef TRAPSIM_SCENARIO_VIEW_H
#define TRAPSIM_SCENARIO_VIEW_H
#include <stdio.h>
#include "app/scenario_file.h"
#include "cpu/trace.h"

typedef struct scenario_view scenario_view_t;

/* A view printing to out (ANSI colours when color); NULL when out of memory. */
scenario_view_t *scenario_view_new(FILE *out, int color, const scenario_t *s);
void scenario_view_free(scenario_view_t *v);
/* The sink that feeds the view: the scenario's trace levels and the console. */
trace_sink_t scenario_view_sink(scenario_view_t *v);

#endif
