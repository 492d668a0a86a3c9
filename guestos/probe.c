// probe=1: what do the sensitive-but-unprivileged instructions show the
// kernel? Each runs at any CPL without a trap, so under a VMM they reveal
// the VMM's tables and the real ring instead of what the kernel loaded.
// On bare hardware every line ends "as loaded".
#include "types.h"
#include "x86.h"
#include "mmu.h"
#include "defs.h"

// One line: what the instruction showed against what the kernel expects.
static void report(const char *what, const char *expect, const char *got) {
  if (strcmp(expect, got) == 0)
    cprintf("probe: %s %s: as loaded\n", what, got);
  else
    cprintf("probe: %s: differs: expected %s, got %s\n", what, expect, got);
}

static void dtr_text(char *buf, int size, struct dtr *d) {
  snprintf(buf, size, "base=%08x limit=%04x", d->base, d->limit);
}

// LAR's access rights, LSL's limit, VERR and VERW for one of our selectors.
static void probe_selector(const char *name, ushort sel) {
  struct segdesc *d = &gdt[sel >> 3];
  uint hi = ((uint *)d)[1];
  uint lim = d->lim_19_16 << 16 | d->lim_15_0;
  if (d->g)
    lim = lim << 12 | 0xfff;
  int code = (d->type & STA_X) != 0;
  char expect[64], got[64];
  snprintf(expect, sizeof expect, "ar=%08x limit=%08x r=%d w=%d", hi & 0x00f0ff00, lim,
           !code || (d->type & STA_R) != 0, !code && (d->type & STA_W) != 0);

  // LAR leaves bits 16-19 undefined; keep the ones the SDM defines.
  uint ar, limit;
  int arok = lar(sel, &ar), limok = lsl(sel, &limit);
  snprintf(got, sizeof got, "ar=%08x limit=%08x r=%d w=%d", arok ? ar & 0x00f0ff00 : 0,
           limok ? limit : 0, verr(sel), verw(sel));

  char what[64];
  snprintf(what, sizeof what, "lar/lsl/verr/verw %04x (%s)", sel, name);
  report(what, expect, got);
}

void probe(void) {
  char expect[64], got[64];
  struct dtr d;

  sgdt(&d);
  dtr_text(expect, sizeof expect, &gdtr_loaded);
  dtr_text(got, sizeof got, &d);
  report("sgdt", expect, got);

  sidt(&d);
  dtr_text(expect, sizeof expect, &idtr_loaded);
  dtr_text(got, sizeof got, &d);
  report("sidt", expect, got);

  snprintf(got, sizeof got, "ldtr=%04x", sldt());
  report("sldt", "ldtr=0000", got);            // we never load an LDT

  snprintf(expect, sizeof expect, "tr=%04x", SEG_TSS << 3);
  snprintf(got, sizeof got, "tr=%04x", str());
  report("str", expect, got);

  snprintf(expect, sizeof expect, "msw=%04x", rcr0() & 0xffff);   // PE set
  snprintf(got, sizeof got, "msw=%04x", smsw());
  report("smsw", expect, got);

  snprintf(got, sizeof got, "cpl=%d", readcs() & 3);
  report("mov %cs", "cpl=0", got);

  uint flags = irqsave();
  uint f = readeflags();
  irqrestore(flags);
  snprintf(got, sizeof got, "IF=%d IOPL=%d", (f & FL_IF) != 0, (f & FL_IOPL) >> 12);
  report("pushf after cli", "IF=0 IOPL=0", got);

  probe_selector("kernel code", SEG_KCODE << 3);
  probe_selector("kernel data", SEG_KDATA << 3);
  probe_selector("user code", SEG_UCODE << 3 | DPL_USER);
}
