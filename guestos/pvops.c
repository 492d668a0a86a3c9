// Paravirtual operations (pvops.h): under --vmm=pv the kernel runs in
// ring 1 and, instead of the privileged instructions that would trap,
//
//   cli / sti, pushf / popf   the mask byte of the shared page: memory only;
//                             unmasking with an event pending: event_check
//   lgdt                      set_gdt
//   lidt                      set_trap_table (the IRQ gates become the event
//                             callback: set_callback) and set_fast_trap
//   ltr, TSS esp0             stack_switch
//   PIT programming           set_timer; the PIC is not used (events)
//   EOI                       clearing the pending bit: memory only
//   hlt                       sched_op(block)
//   UART                      console_write, a line at a time
//   in / out                  port_io, batched in lazy mode
//   iret                      a plain IRET: the frames have RPL 1, and
//                             pv_trapret() sets the mask from the frame first
//
// and boot's table loads and timer are one multicall (pv_lazy_begin/end).
// Found by CPUID: bit 31 of leaf 1 and the signature at 0x40000000.
#include "types.h"
#include "x86.h"
#include "mmu.h"
#include "traps.h"
#include "proc.h"
#include "defs.h"
#include "../vmm/pv_guest.h"

int pv_on;
static int fasttrap;
static volatile pv_shared_t shared __attribute__((aligned(16)));
static struct dtr gdtr_given, idtr_given;
static ushort tr_given;

// ---- lazy mode: one multicall ----
static pv_multicall_t mc[PV_MAX_MULTICALL];
static int nmc, lazy;
static pv_port_op_t ports[PV_MAX_PORT_OPS];
static int nports, ports_mc = -1;   // the queued port_io's entry in mc[]

static void check(uint nr, int r) {
  static const char *const names[] = PV_HYPERCALL_NAMES;
  if (r < 0)
    cprintf("guestos: pv: hypercall %s failed: %d\n", nr < PV_HYPERCALL_COUNT ? names[nr] : "?", r);
}

// A hypercall whose result the kernel does not need: queued in lazy mode.
static void call(uint nr, uint a, uint b, uint c) {
  if (lazy && nmc < PV_MAX_MULTICALL) {
    mc[nmc++] = (pv_multicall_t){ nr, { a, b, c, 0, 0 }, 0, 0 };
    return;
  }
  check(nr, pv_hypercall(nr, a, b, c));
}

void pv_lazy_begin(void) {
  if (pv_on)
    lazy = 1;
}

void pv_lazy_end(void) {
  if (!lazy)
    return;
  lazy = 0;
  if (nmc == 1) {
    check(mc[0].op, pv_hypercall(mc[0].op, mc[0].args[0], mc[0].args[1], mc[0].args[2]));
  } else if (nmc > 1) {
    check(PV_multicall, pv_hypercall(PV_multicall, (uint)mc, nmc, 0));
    for (int i = 0; i < nmc; i++)
      check(mc[i].op, mc[i].result);
  }
  nmc = nports = 0;
  ports_mc = -1;
}

// ---- detection ----
int pvops_option(const char *key) {
  return strcmp(key, "pv") == 0 || strcmp(key, "fasttrap") == 0;
}

void pvops_init(void) {
  if (!opt_num("pv", 1))
    return;
  uint a, b, c, d;
  pv_cpuid(1, &a, &b, &c, &d);
  if (!(c & (1u << 31)))
    return;                       // no hypervisor: native
  uint sig[3];
  pv_cpuid(PV_CPUID_LEAF, &a, &sig[0], &sig[1], &sig[2]);
  if (memcmp(sig, PV_SIGNATURE, 12) != 0)
    return;                       // another one (vtx): native
  pv_on = 1;
  fasttrap = opt_num("fasttrap", 1);
  check(PV_register_shared, pv_hypercall(PV_register_shared, (uint)&shared, 0, 0));
}

// ---- the virtual IF ----
void pv_irq_disable(void) {
  pv_events_mask(&shared);
}

void pv_irq_enable(void) {
  pv_events_unmask(&shared);
}

uint pv_save_fl(void) {
  uint f;
  asm volatile("pushfl; popl %0" : "=r"(f));
  return (f & ~FL_IF) | (shared.upcall_mask ? 0 : FL_IF);
}

void pv_restore_fl(uint flags) {
  if (flags & FL_IF)
    pv_irq_enable();
  else
    pv_irq_disable();
}

void pv_event_ack(void) {
  shared.pending &= ~(1u << PV_EVENT_TIMER);
  shared.upcall_pending = shared.pending != 0;
}

// Back to the interrupted context: its IF is the frame's.
void pv_trapret(struct trapframe *tf) {
  pv_restore_fl(tf->eflags);
}

void kswitch(struct context **old, struct context *new) {
  if (!pv_on) {
    swtch(old, new);    // its POPF restores IF
    return;
  }
  uint flags = pv_save_fl();
  swtch(old, new);
  pv_restore_fl(flags);
}

// ---- console and ports ----
static char line[128];
static int nline;

static void console_flush_pv(void) {
  if (nline)
    pv_hypercall(PV_console_write, (uint)line, nline, 0);
  nline = 0;
}

void pv_console_putc(int c) {
  line[nline++] = c;
  if (c == '\n' || nline == sizeof line)
    console_flush_pv();
}

void pv_halt(void) {
  console_flush_pv();
  pv_hypercall(PV_sched_op, PV_SCHEDOP_block, 0, 0);
}

void pv_outb(ushort port, uchar v) {
  console_flush_pv();   // what was printed comes first
  if (lazy && nports < PV_MAX_PORT_OPS && (ports_mc >= 0 || nmc < PV_MAX_MULTICALL)) {
    ports[nports++] = (pv_port_op_t){ port, 1, PV_PORT_OUT, v };
    if (ports_mc < 0) {
      ports_mc = nmc;
      call(PV_port_io, (uint)ports, 0, 0);
    }
    mc[ports_mc].args[1] = nports;
    return;
  }
  pv_port_op_t op = { port, 1, PV_PORT_OUT, v };
  check(PV_port_io, pv_hypercall(PV_port_io, (uint)&op, 1, 0));
}

uchar pv_inb(ushort port) {
  pv_lazy_end();        // an IN needs its answer now
  pv_port_op_t op = { port, 1, PV_PORT_IN, 0 };
  check(PV_port_io, pv_hypercall(PV_port_io, (uint)&op, 1, 0));
  return op.value;
}

// ---- tables ----
void pv_load_gdt(struct dtr *d) {
  gdtr_given = *d;
  call(PV_set_gdt, d->base, (d->limit + 1) / 8, 0);
}

// The IDT as a trap table: the exception and INT n gates; the IRQ0 gate is
// where events arrive (there is no PIC), the others have nothing to do.
static pv_trap_info_t traps[PV_MAX_TRAPS];

void pv_load_idt(struct dtr *d) {
  struct gatedesc *idt = (struct gatedesc *)d->base;
  int n = (d->limit + 1) / 8, count = 0;
  idtr_given = *d;
  for (int v = 0; v < n && v < 256; v++) {
    struct gatedesc *g = &idt[v];
    if (!g->p || (v >= T_IRQ0 && v < T_IRQ0 + NIRQ) || v == PV_HYPERCALL_VECTOR)
      continue;
    traps[count++] = (pv_trap_info_t){ v, g->dpl | (g->type == STS_IG32 ? PV_TI_MASK_EVENTS : 0),
                                       g->cs | PV_KERNEL_RPL, g->off_15_0 | (uint)g->off_31_16 << 16 };
  }
  call(PV_set_trap_table, (uint)traps, count, 0);
  if (n > T_IRQ0 && idt[T_IRQ0].p)
    call(PV_set_callback, idt[T_IRQ0].cs | PV_KERNEL_RPL, idt[T_IRQ0].off_15_0 | (uint)idt[T_IRQ0].off_31_16 << 16, 0);
  if (fasttrap && n > T_SYSCALL && idt[T_SYSCALL].p && idt[T_SYSCALL].dpl == DPL_USER)
    call(PV_set_fast_trap, T_SYSCALL, 1, 0);
}

void pv_load_tr(ushort sel) {
  tr_given = sel;       // nothing to load: stack_switch names the kernel stack
}

void pv_stack_switch(uint ss, uint esp) {
  static uint last_ss, last_esp;
  if (ss == last_ss && esp == last_esp)
    return;             // the same process again: the VMM has it
  last_ss = ss;
  last_esp = esp;
  call(PV_stack_switch, ss, esp, 0);
}

void pv_set_timer(uint reload) {
  call(PV_set_timer, reload, 0, 0);
}

// What the store instructions would show: what the kernel gave (Linux's
// pv-ops store_gdt, store_idt, store_tr do the same).
void pv_store_gdt(struct dtr *d) { *d = gdtr_given; }
void pv_store_idt(struct dtr *d) { *d = idtr_given; }
ushort pv_store_tr(void) { return tr_given; }

// LAR, LSL, VERR, VERW by the kernel's own GDT: 1 when visible from the
// kernel's ring 0 at the selector's RPL.
int pv_desc(ushort sel, uint *ar, uint *limit, int *r, int *w) {
  uint idx = sel >> 3;
  if ((sel & 4) || idx == 0 || idx >= NSEGS)
    return 0;
  struct segdesc *d = &gdt[idx];
  if (!d->p || d->dpl < (sel & 3))
    return 0;
  uint lim = d->lim_19_16 << 16 | d->lim_15_0;
  *ar = ((uint *)d)[1] & 0x00ffff00;
  *limit = d->g ? lim << 12 | 0xfff : lim;
  int code = d->s && (d->type & STA_X);
  *r = d->s && (!code || (d->type & STA_R));
  *w = d->s && !code && (d->type & STA_W);
  return 1;
}
