/* Pictures of a run, drawn from the event stream (Graphviz dot).
 *
 * The trap-flow graph: who trapped to whom, and how often. One node per
 * party: the processes (ring 3), the OS kernel (ring 0 bare, ring 1 under
 * the VMM), the VMM (ring 0, only under --vmm) and the devices (timer/PIC,
 * console, debug exit); one arrow per pair of parties and kind of transfer,
 * labelled with each cause and its count, most frequent first, one a line
 * ("int 0x80 x12", "#GP lidt x1", "IRQ0 x40"). Arrows:
 *   solid    an event delivered through the IDT (exception, interrupt, INT n)
 *   dashed   a return to an outer ring (IRET), or the VMM resuming the guest
 *   dotted   port I/O
 *   red      a sensitive instruction that ran without a trap (--expose-pg)
 * Under VT-x (--vmm=vtx) the kernel and the processes are in non-root
 * operation and the hypervisor, in root operation, takes the VMM's place:
 * an arrow into it is a VM exit with its SDM name ("I/O instruction x426",
 * counted as the summary counts), the way back is a VM entry ("VM entry",
 * "VM entry, inject IRQ0"); the hypervisor's own port I/O is dotted.
 * Under the VMM, the edge from the VMM back into the guest is labelled with
 * what the VMM did in that visit, from the actors of its events:
 * inject, forward, reflect, emulate, defer (in that order of precedence, before
 * bookkeeping such as exit and shadow), or with the event it delivered into
 * the guest through the CPU, or "return".
 *
 * The timeline: one round trip as a sequence diagram, lanes left to right
 * process / guest kernel / VMM / devices, time downwards. It starts at the
 * first event delivered through the IDT whose label begins with the anchor
 * (default "int 0x80": the first system call) and ends when control is back
 * in the ring that event came from. The anchor "end" shows the last steps
 * before the run ended instead (a halt, a triple fault). A run without the
 * anchor's event shows its first DOT_TIMELINE_STEPS steps. A block of up to 12 steps that
 * repeats is drawn once, marked "(xN)", with the labels of its first round;
 * at most DOT_TIMELINE_STEPS steps are drawn.
 *
 * Both are sinks: attach with DOT_LEVELS (they need the instruction events
 * to know where the CPU is). Output is a pure function of the event stream,
 * so it diffs like the text trace. */
#ifndef TRAPSIM_DOT_H
#define TRAPSIM_DOT_H
#include <stddef.h>
#include <stdio.h>
#include "cpu/trace.h"
#include "host/monitor.h"

#define DOT_LEVELS (TL_INSN | TL_TRAP | TL_IO | TL_VMM | TL_PG | TL_VMX | TL_DBT)
#define DOT_TIMELINE_STEPS 60
#define DOT_DEFAULT_ANCHOR "int 0x80"

typedef struct dot dot_t;

/* What the pictures draw as ring 0 and what as the monitor (dot_new's mode). */
enum dot_mode {
    DOT_BARE,   /* ring 0 is the OS kernel */
    DOT_TE,     /* under the VMM: ring 0 is the VMM, the kernel is in ring 1 */
    DOT_VTX     /* under VT-x: the kernel in ring 0 and the processes in ring 3 of
                 * non-root operation; the hypervisor in root operation, entered by
                 * VM exits (labelled with the SDM's exit reasons), left by VM
                 * entries (labelled with the event each injects) */
};
/* The mode for a run whose VMs have these monitors, folded one VM at a time
 * from DOT_BARE: te when any VM is under the VMM, else vtx when any is under VT-x. */
int dot_mode_add(int mode, vm_monitor_t mon);

/* mode: enum dot_mode. anchor: where the timeline starts (NULL:
 * DOT_DEFAULT_ANCHOR; under VT-x an exit reason's name also starts it). */
dot_t *dot_new(int mode, const char *anchor);
void dot_free(dot_t *d);
void dot_emit(void *ctx, const event_t *ev);     /* the sink */

/* The graph and the timeline as dot text; `title` heads the picture. */
void dot_write_graph(const dot_t *d, FILE *out, const char *title);
void dot_write_timeline(const dot_t *d, FILE *out, const char *title);

/* Writes what was asked (each may be NULL): the graph as dot, the graph as
 * SVG (through Graphviz's `dot -Tsvg`), the timeline as dot, or as SVG when
 * its name ends in ".svg". 0, or -1 after one "trapsim: ..." line. */
int dot_write_files(const dot_t *d, const char *title, const char *dot_file,
                    const char *svg_file, const char *timeline_file);

/* Renders dot text to an SVG file with `dot -Tsvg`; 0, or -1 with a
 * message in err (e.g. Graphviz missing). */
int dot_render_svg(const char *text, size_t len, const char *svg_file, char *err, size_t errlen);
#endif
