/* The classroom view of a run: one self-contained HTML page (no network)
 * drawn from the event stream. A lane per actor (each process in ring 3,
 * told apart by its kernel stack, event_t.kstack; the guest kernel, the VMM
 * in ring 0 or root mode, the devices), a lane group per VM; every trap, I/O, monitor, PG and VMX event a mark on the
 * virtual-time axis (the instruction count); stepping through them with
 * their trace line and an explanation; the trap-flow graph (app/dot.h) and
 * a summary with the PG violations.
 *
 * Long runs: the first HTML_MAX_MARKS events of each VM are marks, the rest
 * only counted (the page says how many of each kind it left out). Instructions
 * are not marks (the sink does not ask for them). */
#ifndef TRAPSIM_HTML_H
#define TRAPSIM_HTML_H
#include "cpu/trace.h"
#include "app/dot.h"

#define HTML_LEVELS (TL_TRAP | TL_IO | TL_VMM | TL_PG | TL_VMX | TL_KSTACK)
#define HTML_MAX_MARKS 5000
#define HTML_MAX_PROCS 64     /* ring-3 lanes per VM; the last takes any more processes */

typedef struct html html_t;

html_t *html_new(void);
void html_free(html_t *h);
void html_emit(void *ctx, const event_t *ev);   /* the sink */

/* Writes the page: `title` heads it, `dot` (may be NULL) gives the embedded
 * trap-flow graph (SVG through Graphviz; without Graphviz the page says so).
 * 0, or -1 after one "trapsim: FILE: ..." line. */
int html_write_file(const html_t *h, const char *file, const char *title, const dot_t *dot);
#endif
