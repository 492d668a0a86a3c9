/* Pictures of a run, drawn from the event stream (Graphviz dot).
 *
 * The trap-flow graph, landscape (rankdir=LR): who trapped to whom, and how
 * often. One node per party: the processes (ring 3), the OS kernel (ring 0
 * bare, ring 1 under the VMM), the VMM (ring 0, only under --vmm; its node
 * counts its actions as the summary does: "VM exits x96") and the devices
 * (timer/PIC, console, debug exit); one arrow per pair of parties and kind of
 * transfer, labelled with each cause and its count, most frequent first, one
 * a line ("int 0x80 x12", "#GP on lidt x1", "IRQ0 (timer) x40"). Arrows:
 *   solid    an event delivered through the IDT (exception, interrupt, INT n)
 *   dashed   a return to an outer ring (IRET), or the VMM resuming the guest
 *   dotted   port I/O
 *   red      sensitive instructions that ran without a trap (--expose-pg):
 *            a line from the ring they ran in to a note "ran without a trap:
 *            the VMM never sees these", not to the VMM
 * Under the VMM, the edge from the VMM back into the guest says what the VMM
 * did in that visit ("emulated, resumed", "forwarded to the guest's
 * handler", "interrupt injected", ...; the most telling of its actions), or
 * names the event it delivered into the guest through the CPU; under --vmm=pv
 * the guest kernel's int $0x82 is labelled "hypercall".
 * Under VT-x (--vmm=vtx) the kernel and the processes are in non-root
 * operation (a dashed box) and the hypervisor, in root operation, takes the
 * VMM's place: an arrow into it is a VM exit with its SDM name ("I/O
 * instruction x426", counted as the summary counts), the way back is a VM
 * entry ("VM entry", "VM entry, inject IRQ0"); its own port I/O is dotted.
 *
 * The timeline: one round trip as a sequence diagram, lanes left to right
 * process / guest kernel / VMM / devices, time downwards. It starts at the
 * first event delivered through the IDT whose key begins with the anchor
 * (default "int 0x80": the first system call; keys are "int 0x80", "IRQ0",
 * "#GP lidt") and ends when control is back in the ring that event came
 * from. The anchor "end" shows the last steps before the run ended instead
 * (a halt, a triple fault). A run without the anchor's event shows its first
 * DOT_TIMELINE_STEPS steps. A block of up to 12 steps that repeats is drawn
 * once, marked "(xN)", with the labels of its first round; at most
 * DOT_TIMELINE_STEPS steps are drawn, on pages that each fit a 16:9 slide.
 *
 * Both are sinks: attach with DOT_LEVELS. Output is a pure function of the event stream,
 * so it diffs like the text trace. */
#ifndef TRAPSIM_DOT_H
#define TRAPSIM_DOT_H
#include <stddef.h>
#include <stdio.h>
#include "cpu/trace.h"
#include "host/monitor.h"

/* Not TL_INSN: where the CPU is follows from the other events (a picture
 * costs little more than the run without it). TL_VMX: VT-x's exits and
 * entries; TL_DBT: the translator's entries. */
#define DOT_LEVELS (TL_TRAP | TL_IO | TL_VMM | TL_PG | TL_VMX | TL_DBT)
/* The levels whose text the graph does without (TL_TEXTLESS, cpu/trace.h):
 * only the timeline's notes quote the VMM's and the PG audit's words (VM
 * exits and entries are drawn from their reason and interruption information,
 * the translator's entries from their action). */
#define DOT_GRAPH_TEXTLESS (TL_VMM | TL_PG | TL_VMX | TL_DBT)
#define DOT_TIMELINE_STEPS 40
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
/* Optional, after attaching the sink to trace `t` (context: d): the sink
 * then asks for the VMM's and PG events' text only while the timeline (when
 * `timeline`) keeps steps, so that a picture costs little more than the run. */
void dot_watch(dot_t *d, trace_t *t, int timeline);

/* The graph, and one page (from 0) of the timeline, as dot text; `title`
 * heads the picture. dot_write_timeline() returns the number of pages: each
 * fits a 16:9 slide with readable text. */
void dot_write_graph(const dot_t *d, FILE *out, const char *title);
int dot_write_timeline(const dot_t *d, FILE *out, const char *title, int page);

/* Writes what was asked (each may be NULL): the graph as dot, the graph as
 * SVG (through Graphviz's `dot -Tsvg`), the timeline as dot, or as SVG when
 * its name ends in ".svg", its pages after the first in FILE-p2.EXT, ...
 * (dot_page_name()). 0, or -1 after one "trapsim: ..." line. */
int dot_write_files(const dot_t *d, const char *title, const char *dot_file,
                    const char *svg_file, const char *timeline_file);

/* The name of page `page` (from 0) of a timeline written to `file`. */
void dot_page_name(const char *file, int page, char *buf, size_t n);

/* Whether the pictures asked for (each may be NULL) can be written, checked
 * before the run: 0, or -1 after one "trapsim: FILE: cannot write the
 * picture: REASON" line. */
int dot_check_paths(const char *dot_file, const char *svg_file, const char *timeline_file);

/* Renders dot text to an SVG file with `dot -Tsvg`; 0, or -1 with a
 * message in err (e.g. Graphviz missing). */
int dot_render_svg(const char *text, size_t len, const char *svg_file, char *err, size_t errlen);
#endif
