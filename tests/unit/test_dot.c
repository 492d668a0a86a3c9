/* Unit tests for the pictures (app/dot.c): synthetic event streams, bare
 * and under the VMM, and the exact dot text they must give. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/dot.h"
#include "cpu/symbols.h"
#include "isa/isa.h"
#include "isa/vmx.h"

/* A small builder of event streams: instructions are decoded from bytes so
 * that the sink sees real mnemonics. */
typedef struct stream {
    dot_t *d;
    uint64_t icount;
    isa_insn_t insn[64];
    int ninsn;
} stream_t;

static void insn(stream_t *s, int ring, uint32_t eip, const char *hex)
{
    uint8_t bytes[16] = { 0 };
    size_t n = strlen(hex) / 2;
    for (size_t k = 0; k < n; k++)
        sscanf(hex + 2 * k, "%2hhx", &bytes[k]);
    isa_insn_t *in = &s->insn[s->ninsn++];
    ck_assert_int_eq(isa_decode(bytes, sizeof bytes, 1, in), ISA_DECODE_OK);
    event_t ev = { .kind = EV_INSN, .icount = s->icount, .ring = (uint8_t)ring, .eip = eip, .insn = in,
                   .irq = -1 };
    dot_emit(s->d, &ev);
    s->icount++;
}

static void deliver(stream_t *s, ev_kind_t kind, int ring, int to, int vector, int irq, uint32_t eip)
{
    event_t ev = { .kind = kind, .icount = kind == EV_EXC ? s->icount - 1 : s->icount, .ring = (uint8_t)ring,
                   .to_ring = (uint8_t)to, .vector = (uint8_t)vector, .irq = irq, .eip = eip,
                   .has_error = kind == EV_EXC, .insn = kind == EV_EXC ? &s->insn[s->ninsn - 1] : NULL };
    dot_emit(s->d, &ev);
}

static void ret(stream_t *s, int ring, int to)
{
    event_t ev = { .kind = EV_RETURN, .icount = s->icount, .ring = (uint8_t)ring, .to_ring = (uint8_t)to,
                   .text = "iret", .irq = -1 };
    dot_emit(s->d, &ev);
}

static void io(stream_t *s, int ring, uint16_t port, int write)
{
    event_t ev = { .kind = EV_IO, .icount = s->icount, .ring = (uint8_t)ring, .port = port, .size = 1,
                   .is_write = (uint8_t)write, .irq = -1 };
    dot_emit(s->d, &ev);
}

static void vmm(stream_t *s, int ring, vmm_action_t action, const char *text)
{
    event_t ev = { .kind = EV_VMM, .icount = s->icount, .ring = (uint8_t)ring, .action = (uint8_t)action,
                   .text = text, .irq = -1, .exit_reason = action == VA_EXIT ? XR_EXCEPTION : XR_NONE };
    dot_emit(s->d, &ev);
}

static void other(stream_t *s, ev_kind_t kind, int ring, uint32_t eip, const char *text)
{
    event_t ev = { .kind = kind, .icount = s->icount, .ring = (uint8_t)ring, .eip = eip, .text = text,
                   .irq = -1 };
    dot_emit(s->d, &ev);
}

static char *graph(const dot_t *d, int timeline)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (timeline)
        dot_write_timeline(d, f, "t", 0);
    else
        dot_write_graph(d, f, "t");
    fclose(f);
    return out;
}

/* Bare: two system calls, a timer interrupt, console and PIC output. */
static void bare_stream(stream_t *s)
{
    insn(s, 3, 0x1000, "cd80");                 /* int $0x80 */
    deliver(s, EV_SOFTINT, 3, 0, 0x80, -1, 0x1000);
    insn(s, 0, 0x2000, "ee");                   /* out %al,(%dx) */
    io(s, 0, 0x3f8, 1);
    insn(s, 0, 0x2001, "ec");                   /* in (%dx),%al */
    io(s, 0, 0x3fd, 0);
    insn(s, 0, 0x2002, "cf");
    ret(s, 0, 3);
    insn(s, 3, 0x1002, "90");
    deliver(s, EV_IRQ, 3, 0, 0x20, 0, 0x1003);
    insn(s, 0, 0x2100, "ee");
    io(s, 0, 0x20, 1);
    insn(s, 0, 0x2101, "cf");
    ret(s, 0, 3);
    insn(s, 3, 0x1003, "cd80");
    deliver(s, EV_SOFTINT, 3, 0, 0x80, -1, 0x1003);
    insn(s, 0, 0x2002, "cf");
    ret(s, 0, 3);
    insn(s, 3, 0x1005, "90");
    other(s, EV_STOP, 3, 0x1005, "the end");
}

START_TEST(test_bare_graph)
{
    stream_t s = { .d = dot_new(0, NULL) };
    bare_stream(&s);
    char *g = graph(s.d, 0);
    ck_assert_str_eq(g,
        "digraph trapflow {\n"
        "  graph [labelloc=t, fontname=\"Helvetica\", fontsize=16, rankdir=LR, nodesep=0.5, ranksep=1.1, label=\"t\\nthe end\"];\n"
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=15];\n"
        "  edge [fontname=\"Helvetica\", fontsize=13];\n"
        "  proc [label=\"processes\\nring 3\", fillcolor=\"#d9ead3\"];\n"
        "  kernel [label=\"OS kernel\\nring 0\", fillcolor=\"#f4cccc\"];\n"
        "  timer [label=\"timer\\nPIT + PIC\", fillcolor=\"#e8e8e8\", shape=component, style=filled];\n"
        "  console [label=\"console\\nCOM1, port 0xe9\", fillcolor=\"#e8e8e8\", shape=component, style=filled];\n"
        "  proc -> kernel [style=invis];\n"
        "  kernel -> timer [style=invis];\n"
        "  { rank=same; timer; console; }\n"
        "  proc -> kernel [label=\"int 0x80 x2\", penwidth=1.2];\n"
        "  kernel -> console [label=\"out x1\\nin x1\", penwidth=1.2, style=dotted, color=\"gray45\"];\n"
        "  proc -> kernel [label=\"iret x3\", penwidth=1.2, style=dashed, color=\"gray35\", dir=back];\n"
        "  kernel -> timer [label=\"IRQ0 (timer) x1\", penwidth=1.2, dir=back];\n"
        "  kernel -> timer [label=\"out x1\", penwidth=1.2, style=dotted, color=\"gray45\"];\n"
        "}\n");
    free(g);
    dot_free(s.d);
}
END_TEST

/* The timeline of the first int 0x80: in, out, iret, and no more. */
START_TEST(test_bare_timeline)
{
    stream_t s = { .d = dot_new(0, NULL) };
    bare_stream(&s);
    char *t = graph(s.d, 1);
    ck_assert(strstr(t, "label=\"t\\nthe round trip of the first int 0x80\"") != NULL);
    ck_assert(strstr(t, "layout=neato") != NULL);
    ck_assert(strstr(t, "  t0 [shape=plaintext, fontsize=13, label=\"int 0x80\", pos=\"1.90,-0.54!\"];\n") != NULL);
    ck_assert(strstr(t, "label=\"out 0x3f8\"") != NULL);
    ck_assert(strstr(t, "label=\"in 0x3fd\"") != NULL);
    ck_assert(strstr(t, "  a3 -> b3 [style=dashed, color=\"gray35\"];\n  t3 [shape=plaintext, fontsize=13, label=\"iret\"") != NULL);
    ck_assert(strstr(t, "a4") == NULL);          /* back in ring 3: done */
    ck_assert(strstr(t, "IRQ0") == NULL);
    ck_assert(strstr(t, "h2") == NULL);          /* no VMM lane when bare */
    free(t);
    dot_free(s.d);
}
END_TEST

/* Under the VMM: LIDT trapped and emulated, a POPF that did not trap, a
 * system call forwarded, an interrupt deferred, an OUT emulated. */
static void vmm_stream(stream_t *s)
{
    vmm(s, 1, VA_SETUP, "guest kernel deprivileged");
    insn(s, 1, 0x100, "0f011d00200000");         /* lidt 0x2000 */
    deliver(s, EV_EXC, 1, 0, 13, -1, 0x100);
    vmm(s, 1, VA_EXIT, "VM exit: #GP");
    vmm(s, 1, VA_EMULATE, "lidt: guest IDTR := 00002000/07ff");
    vmm(s, 1, VA_SHADOW, "shadow IDT rebuilt");
    insn(s, 1, 0x107, "9d");                     /* popf */
    other(s, EV_PG, 1, 0x107, "popf at 0009:00000107 ring 1: IF unchanged");
    insn(s, 3, 0x1000, "cd80");
    deliver(s, EV_SOFTINT, 3, 0, 0x80, -1, 0x1000);
    vmm(s, 3, VA_EXIT, "VM exit: int 0x80");
    vmm(s, 3, VA_FORWARD, "int 0x80 -> guest's idt[0x80]");
    insn(s, 1, 0x200, "90");
    deliver(s, EV_IRQ, 1, 0, 0x20, 0, 0x201);
    vmm(s, 1, VA_EXIT, "VM exit: IRQ0");
    vmm(s, 1, VA_DEFER, "IRQ0 waits: virtual IF = 0");
    insn(s, 1, 0x201, "ee");
    deliver(s, EV_EXC, 1, 0, 13, -1, 0x201);
    vmm(s, 1, VA_EXIT, "VM exit: #GP");
    io(s, 0, 0x3f8, 1);
    vmm(s, 1, VA_EMULATE, "out %al,(%dx)");
    insn(s, 1, 0x202, "90");
    other(s, EV_STOP, 1, 0x202, "halted for ever");
}

START_TEST(test_vmm_graph)
{
    stream_t s = { .d = dot_new(1, NULL) };
    vmm_stream(&s);
    char *g = graph(s.d, 0);
    ck_assert_str_eq(g,
        "digraph trapflow {\n"
        "  graph [labelloc=t, fontname=\"Helvetica\", fontsize=16, rankdir=LR, nodesep=0.5, ranksep=1.1, label=\"t\\nhalted for ever\"];\n"
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=15];\n"
        "  edge [fontname=\"Helvetica\", fontsize=13];\n"
        "  proc [label=\"processes\\nring 3\", fillcolor=\"#d9ead3\"];\n"
        "  kernel [label=\"guest OS kernel\\nring 1 (deprivileged)\", fillcolor=\"#fff2cc\"];\n"
        "  vmm [label=\"VMM\\nring 0\\nsetup x1\\nVM exits x4\\nshadow updates x1\\ninterrupts deferred (vIF=0) x1\\nemulated instructions x2\\nINT n forwarded x1\", fillcolor=\"#f4cccc\"];\n"
        "  unseen [label=\"ran without a trap:\\nthe VMM never sees these\", fillcolor=\"#ffe8e8\", shape=note, style=\"filled,dashed\", color=red, fontcolor=red];\n"
        "  timer [label=\"timer\\nPIT + PIC\", fillcolor=\"#e8e8e8\", shape=component, style=filled];\n"
        "  console [label=\"console\\nCOM1, port 0xe9\", fillcolor=\"#e8e8e8\", shape=component, style=filled];\n"
        "  proc -> kernel [style=invis];\n"
        "  kernel -> vmm [style=invis];\n"
        "  vmm -> timer [style=invis];\n"
        "  { rank=same; kernel; unseen; }\n"
        "  { rank=same; timer; console; }\n"
        "  kernel -> vmm [label=\"emulated, resumed x2\\nstarted the guest x1\\nforwarded to the guest's handler x1\\ninterrupt deferred, resumed x1\", penwidth=1.2, style=dashed, color=\"gray35\", dir=back];\n"
        "  kernel -> vmm [label=\"#GP on lidt x1\\n#GP on out port x1\", penwidth=1.2];\n"
        "  kernel -> unseen [label=\"popf x1\", penwidth=1.2, style=dashed, color=\"red\", fontcolor=\"red\", arrowhead=none];\n"
        "  proc -> vmm [label=\"int 0x80 x1\", penwidth=1.2];\n"
        "  vmm -> timer [label=\"IRQ0 (timer) x1\", penwidth=1.2, dir=back];\n"
        "  vmm -> console [label=\"out x1\", penwidth=1.2, style=dotted, color=\"gray45\"];\n"
        "}\n");
    free(g);
    dot_free(s.d);
}
END_TEST

/* The timeline from "#GP lidt": the trap, the VMM's notes (not its exit),
 * the way back; and a run without the anchor shows its first steps. */
START_TEST(test_vmm_timeline)
{
    stream_t s = { .d = dot_new(1, "#GP lidt") };
    vmm_stream(&s);
    char *t = graph(s.d, 1);
    ck_assert(strstr(t, "the round trip of the first #GP lidt") != NULL);
    ck_assert(strstr(t, "label=\"#GP on lidt\"") != NULL);
    ck_assert(strstr(t, "label=\"emulate: lidt: guest IDTR :=\\n00002000/07ff\"") != NULL);
    ck_assert(strstr(t, "label=\"shadow: shadow IDT rebuilt\"") != NULL);
    ck_assert(strstr(t, "VM exit") == NULL);
    ck_assert(strstr(t, "popf") == NULL);        /* after the round trip */
    ck_assert(strstr(t, "h2 [label=\"VMM\\nring 0\"") != NULL);
    free(t);
    dot_free(s.d);

    s = (stream_t){ .d = dot_new(1, "int 0x99") };
    vmm_stream(&s);
    t = graph(s.d, 1);
    ck_assert(strstr(t, "the first 18 steps of the run (no int 0x99 in it), page 1 of 2") != NULL);
    ck_assert(strstr(t, "label=\"no trap: popf at 0009:00000107 ring 1:\\nIF unchanged\"") != NULL);
    ck_assert(strstr(t, "... continued on page 2") != NULL);
    ck_assert(strstr(t, "stop: halted for ever") == NULL);
    free(t);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(dot_write_timeline(s.d, f, "t", 1), 2);
    fclose(f);
    t = buf;
    ck_assert(strstr(t, "page 2 of 2") != NULL);
    ck_assert(strstr(t, "stop: halted for ever") != NULL);
    free(t);
    dot_free(s.d);
}
END_TEST

/* A block of steps that repeats is drawn once, marked with its count. */
START_TEST(test_timeline_folds)
{
    stream_t s = { .d = dot_new(0, NULL) };
    insn(&s, 3, 0x1000, "cd80");
    deliver(&s, EV_SOFTINT, 3, 0, 0x80, -1, 0x1000);
    for (int k = 0; k < 18; k++) {
        insn(&s, 0, 0x2000, "ec");
        io(&s, 0, 0x3fd, 0);
        insn(&s, 0, 0x2001, "ee");
        io(&s, 0, 0x3f8, 1);
    }
    insn(&s, 0, 0x2002, "cf");
    ret(&s, 0, 3);
    insn(&s, 3, 0x1002, "90");
    char *t = graph(s.d, 1);
    ck_assert(strstr(t, "label=\"in 0x3fd (x18)\"") != NULL);
    ck_assert(strstr(t, "label=\"out 0x3f8 (x18)\"") != NULL);
    ck_assert(strstr(t, "t4 ") == NULL);          /* int, in, out, iret: four steps */
    ck_assert(strstr(t, "label=\"iret\"") != NULL);
    free(t);
    dot_free(s.d);
}
END_TEST

/* Quotes, backslashes and control bytes cannot break the dot syntax. */
START_TEST(test_escaping)
{
    stream_t s = { .d = dot_new(1, NULL) };
    vmm(&s, 1, VA_EMULATE, "text \"quoted\" \\ and\ta tab");
    insn(&s, 1, 0x200, "90");
    other(&s, EV_STOP, 1, 0x200, "stop \"here\"\n");
    char *g = graph(s.d, 0);
    ck_assert(strstr(g, "emulated instructions x1") != NULL);   /* actions are typed: their names need no escaping */
    ck_assert(strstr(g, "label=\"t\\nstop \\\"here\\\"\\n\"") != NULL);
    free(g);
    g = graph(s.d, 1);
    ck_assert(strstr(g, "text \\\"quoted\\\" \\\\ anda tab") != NULL);
    free(g);
    dot_free(s.d);
}
END_TEST

/* Under VT-x: VM exits from both rings of non-root operation into the
 * hypervisor, VM entries back (one injecting IRQ0), the hypervisor's own
 * I/O, a system call without an exit, a VM-entry failure. */
static void vmx(stream_t *s, int kind, int ring, int to, uint32_t reason)
{
    event_t ev = { .kind = EV_VMX, .icount = s->icount, .ring = (uint8_t)ring, .to_ring = (uint8_t)to,
                   .vmx_kind = (uint8_t)kind, .vmx_reason = reason, .irq = -1 };
    dot_emit(s->d, &ev);
}

static void vtx_stream(stream_t *s)
{
    vmx(s, VX_ENTRY, 0, 0, 0);                   /* vmlaunch */
    insn(s, 0, 0x100, "90");
    vmx(s, VX_EXIT, 0, 0, VMX_EXIT_IO);          /* out, run by the hypervisor */
    io(s, 0, 0x3f8, 1);
    vmx(s, VX_ENTRY, 0, 0, 0);
    insn(s, 0, 0x101, "cf");                     /* iret to the process */
    ret(s, 0, 3);
    insn(s, 3, 0x1000, "cd80");                  /* a system call: no exit */
    deliver(s, EV_SOFTINT, 3, 0, 0x80, -1, 0x1000);
    insn(s, 0, 0x102, "cf");
    ret(s, 0, 3);
    insn(s, 3, 0x1002, "90");
    vmx(s, VX_EXIT, 3, 3, VMX_EXIT_EXTINT);      /* the timer */
    vmx(s, VX_ENTRY, 3, 3, INTR_INFO(0x20, INTR_EXT));
    deliver(s, EV_IRQ, 3, 0, 0x20, 0, 0x1003);
    insn(s, 0, 0x200, "f4");
    vmx(s, VX_EXIT, 0, 0, VMX_EXIT_HLT);
    vmx(s, VX_ENTRY, 0, 0, INTR_INFO(13, INTR_HW_EXC) | INTR_HAS_ERROR);
    vmx(s, VX_EXIT, 0, 0, VMX_EXIT_EXCEPTION);   /* its delivery exited at once */
    vmx(s, VX_EXIT, 0, 0, VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_BAD_GUEST);
    other(s, EV_STOP, 0, 0x200, "the end");
}

START_TEST(test_vtx_graph)
{
    ck_assert_int_eq(dot_mode_add(DOT_BARE, MON_VTX), DOT_VTX);
    ck_assert_int_eq(dot_mode_add(DOT_VTX, MON_TE), DOT_TE);
    ck_assert_int_eq(dot_mode_add(DOT_TE, MON_VTX), DOT_TE);
    ck_assert_int_eq(dot_mode_add(DOT_BARE, MON_BARE), DOT_BARE);
    stream_t s = { .d = dot_new(DOT_VTX, NULL) };
    vtx_stream(&s);
    char *g = graph(s.d, 0);
    const char *want[] = {
        "  proc [label=\"processes\\nring 3, non-root\", fillcolor=\"#d9ead3\"];\n",
        "  kernel [label=\"guest OS kernel\\nring 0, non-root\", fillcolor=\"#f4cccc\"];\n",
        "  vmm [label=\"hypervisor\\nroot mode (VMX root, ring 0)\", fillcolor=\"#f4cccc\"];\n",
        "  subgraph cluster_nonroot { label=\"VMX non-root operation: the VM\"; style=dashed; proc; kernel; }\n",
        "  subgraph cluster_root { label=\"VMX root operation\"; style=dashed; vmm; }\n",
        "  kernel -> vmm [label=\"VM entry x2\\nVM entry, inject IRQ0 x1\\nVM entry, inject #GP x1\", "
        "penwidth=1.2, style=dashed, color=\"gray35\", dir=back];\n",
        "  kernel -> vmm [label=\"I/O instruction x1\\nHLT x1\\nexception or NMI x1\", penwidth=1.2];\n",
        "  vmm -> console [label=\"out x1\", penwidth=1.2, style=dotted, color=\"gray45\"];\n",
        "  proc -> kernel [label=\"iret x2\", penwidth=1.2, style=dashed, color=\"gray35\", dir=back];\n",
        "  proc -> kernel [label=\"int 0x80 x1\", penwidth=1.2];\n",
        "  proc -> vmm [label=\"external interrupt x1\", penwidth=1.2];\n",
        "  vmm -> vmm [label=\"VM-entry failure due to invalid guest state x1\", penwidth=1.2];\n",
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        ck_assert_msg(strstr(g, want[k]) != NULL, "missing %s in:\n%s", want[k], g);
    ck_assert_msg(strstr(g, "timer") == NULL, "%s", g);   /* the interrupt is the exit's, not the guest's */
    free(g);
    dot_free(s.d);
    /* the timeline of the first external interrupt: exit, entry with injection */
    s = (stream_t){ .d = dot_new(DOT_VTX, "external interrupt") };
    vtx_stream(&s);
    char *t = graph(s.d, 1);
    ck_assert(strstr(t, "label=\"t\\nthe round trip of the first external interrupt\"") != NULL);
    ck_assert(strstr(t, "h2 [label=\"hypervisor\\nroot mode\"") != NULL);
    ck_assert_msg(strstr(t, "  t0 [shape=plaintext, fontsize=13, label=\"VM exit: external interrupt\", pos=\"3.80,-0.54!\"];\n") != NULL, "%s", t);
    ck_assert(strstr(t, "  t1 [shape=plaintext, fontsize=13, label=\"VM entry, inject IRQ0\", pos=\"5.70,-1.00!\"];\n") != NULL);
    ck_assert_msg(strstr(t, "VM exit: HLT") != NULL, "%s", t);   /* ring 3 not reached again: goes on */
    free(t);
    dot_free(s.d);
}
END_TEST

/* The VMM's node counts as the summary does: a note made at an exit
 * ("the guest is in ring 3: it returned there without a trap") is no exit. */
START_TEST(test_counts_agree)
{
    stream_t s = { .d = dot_new(1, "end") };
    insn(&s, 1, 0x100, "fa");                    /* cli */
    deliver(&s, EV_EXC, 1, 0, 13, -1, 0x100);
    vmm(&s, 1, VA_EXIT, "VM exit: #GP");
    event_t note = { .kind = EV_VMM, .icount = s.icount, .ring = 1, .action = VA_EXIT, .exit_reason = XR_NONE,
                     .text = "the guest is in ring 3: it returned there without a trap", .irq = -1 };
    dot_emit(s.d, &note);
    vmm(&s, 1, VA_EMULATE, "cli: virtual IF := 0");
    char *g = graph(s.d, 0);
    ck_assert(strstr(g, "VM exits x1\\n") != NULL);
    ck_assert(strstr(g, "emulated instructions x1") != NULL);
    free(g);
    /* the note stays in the timeline */
    g = graph(s.d, 1);
    ck_assert(strstr(g, "returned there without") != NULL);
    free(g);
    dot_free(s.d);
}
END_TEST

/* A long run under the VMM: system calls, each with VM exits for the
 * guest kernel's segment pushes and pops, emulated. */
static void exits_stream(stream_t *s, int calls)
{
    vmm(s, 1, VA_SETUP, "guest kernel deprivileged");
    for (int k = 0; k < calls; k++) {
        insn(s, 3, 0x1000, "cd80");                  /* int $0x80 */
        deliver(s, EV_SOFTINT, 3, 0, 0x80, -1, 0x1000);
        vmm(s, 3, VA_EXIT, "VM exit: int 0x80");
        vmm(s, 3, VA_FORWARD, "int 0x80 -> guest's idt[0x80]");
        insn(s, 1, 0x200, "90");
        insn(s, 1, 0x201, "1e");                     /* push %ds */
        deliver(s, EV_EXC, 1, 0, 13, -1, 0x201);
        vmm(s, 1, VA_EXIT, "VM exit: #GP");
        vmm(s, 1, VA_EMULATE, "push %ds");
        insn(s, 1, 0x202, "90");
        insn(s, 1, 0x203, "1f");                     /* pop %ds */
        deliver(s, EV_EXC, 1, 0, 13, -1, 0x203);
        vmm(s, 1, VA_EXIT, "VM exit: #GP");
        vmm(s, 1, VA_EMULATE, "pop %ds");
        insn(s, 1, 0x204, "90");
        insn(s, 1, 0x205, "cf");
        ret(s, 1, 3);
        insn(s, 3, 0x1002, "90");
        s->ninsn = 0;
    }
    other(s, EV_STOP, 3, 0x1002, "the end");
}

/* Once the timeline has its round trip, a trap seen before and the VMM's
 * notes about it are counted on a short path: the graph is the one drawn
 * when every event takes the full path (anchor "end": the timeline never
 * has its round trip). */
START_TEST(test_repeats_counted)
{
    stream_t quick = { .d = dot_new(1, NULL) }, full = { .d = dot_new(1, "end") };
    exits_stream(&quick, 300);
    exits_stream(&full, 300);
    char *gq = graph(quick.d, 0), *gf = graph(full.d, 0);
    ck_assert_str_eq(gq, gf);
    ck_assert(strstr(gq, "VM exits x900\\n") != NULL);
    ck_assert(strstr(gq, "emulated instructions x600") != NULL);
    ck_assert(strstr(gq, "emulated, resumed x600") != NULL);
    ck_assert(strstr(gq, "int 0x80 x300") != NULL);
    free(gq);
    free(gf);
    dot_free(quick.d);
    dot_free(full.d);
}
END_TEST

/* A long last note is drawn whole, wrapped, not cut at a fixed length. */
START_TEST(test_long_note_whole)
{
    stream_t s = { .d = dot_new(1, "end") };
    char text[600];
    memset(text, 0, sizeof text);
    for (int k = 0; k < 40; k++)
        strcat(text, "word ");
    strcat(text, "LASTWORD");
    insn(&s, 1, 0x100, "90");
    other(&s, EV_STOP, 1, 0x100, text);
    char *t = graph(s.d, 1);
    ck_assert(strstr(t, "LASTWORD") != NULL);
    free(t);
    dot_free(s.d);
}
END_TEST

/* --vmm=pv: int $0x82 from the guest kernel is a hypercall; from a process,
 * or in a run without the VMM, it is an ordinary int 0x82. */
START_TEST(test_hypercall_arrows)
{
    stream_t s = { .d = dot_new(DOT_TE, NULL) };
    deliver(&s, EV_SOFTINT, 1, 0, 0x82, -1, 0x100);
    vmm(&s, 1, VA_HYPERCALL, "console_write(5) = 5");
    deliver(&s, EV_SOFTINT, 1, 0, 0x82, -1, 0x100);
    deliver(&s, EV_SOFTINT, 3, 0, 0x82, -1, 0x1000);
    char *g = graph(s.d, 0);
    ck_assert_msg(strstr(g, "  kernel -> vmm [label=\"hypercall x2\", penwidth=1.2];\n") != NULL, "%s", g);
    ck_assert_msg(strstr(g, "  proc -> vmm [label=\"int 0x82 x1\", penwidth=1.2];\n") != NULL, "%s", g);
    ck_assert_msg(strstr(g, "\\nhypercalls x1") != NULL, "%s", g);
    ck_assert_msg(strstr(g, "hypercall answered x1") != NULL, "%s", g);
    free(g);
    dot_free(s.d);
    s = (stream_t){ .d = dot_new(DOT_BARE, NULL) };
    deliver(&s, EV_SOFTINT, 1, 0, 0x82, -1, 0x100);
    g = graph(s.d, 0);
    ck_assert_msg(strstr(g, "int 0x82 x1") != NULL && strstr(g, "hypercall") == NULL, "%s", g);
    free(g);
    dot_free(s.d);
}
END_TEST

/* The timeline's trap steps name the handler when the image has symbols. */
START_TEST(test_timeline_symbols)
{
    symtab_t *t = symtab_load("build/guests/guestos.elf");
    ck_assert_ptr_nonnull(t);
    uint32_t handler;
    ck_assert_int_eq(symtab_find(t, "vector_syscall", &handler), 0);
    stream_t s = { .d = dot_new(DOT_BARE, NULL) };
    event_t ev = { .kind = EV_SOFTINT, .ring = 3, .to_ring = 0, .vector = 0x80, .irq = -1, .eip = 0x1000,
                   .target = handler, .syms = t };
    dot_emit(s.d, &ev);
    char *tl = graph(s.d, 1), *g = graph(s.d, 0);
    ck_assert_msg(strstr(tl, "label=\"int 0x80 <vector_syscall>\"") != NULL, "%s", tl);
    ck_assert_msg(strstr(g, "int 0x80 x1") != NULL, "%s", g);   /* the graph counts causes, not handlers */
    free(tl);
    free(g);
    dot_free(s.d);
    symtab_free(t);
}
END_TEST

/* Pages after the first go to FILE-pN.EXT; a picture path is checked before the run. */
START_TEST(test_page_names_and_paths)
{
    char buf[256];
    dot_page_name("out/t.svg", 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "out/t.svg");
    dot_page_name("out/t.svg", 2, buf, sizeof buf);
    ck_assert_str_eq(buf, "out/t-p3.svg");
    dot_page_name("a.b/t", 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "a.b/t-p2");
    ck_assert_int_eq(dot_check_paths(NULL, "/nonexistent-dir-trapsim/x.svg", NULL), -1);
    char tmp[] = "/tmp/trapsim-dot-XXXXXX";
    int fd = mkstemp(tmp);
    ck_assert(fd >= 0);
    close(fd);
    unlink(tmp);
    ck_assert_int_eq(dot_check_paths(tmp, NULL, tmp), 0);
    ck_assert_int_ne(access(tmp, F_OK), 0);     /* the check leaves nothing behind */
}
END_TEST

static Suite *dot_suite(void)
{
    Suite *s = suite_create("dot");
    TCase *tc = tcase_create("pictures");
    tcase_add_test(tc, test_bare_graph);
    tcase_add_test(tc, test_bare_timeline);
    tcase_add_test(tc, test_vmm_graph);
    tcase_add_test(tc, test_vmm_timeline);
    tcase_add_test(tc, test_timeline_folds);
    tcase_add_test(tc, test_escaping);
    tcase_add_test(tc, test_vtx_graph);
    tcase_add_test(tc, test_counts_agree);
    tcase_add_test(tc, test_repeats_counted);
    tcase_add_test(tc, test_long_note_whole);
    tcase_add_test(tc, test_page_names_and_paths);
    tcase_add_test(tc, test_hypercall_arrows);
    tcase_add_test(tc, test_timeline_symbols);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dot_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
