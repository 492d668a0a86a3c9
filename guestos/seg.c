// The GDT and the TSS. Segments are flat (base 0, limit 4 GiB): they only
// separate privilege levels, as in xv6.
#include "types.h"
#include "x86.h"
#include "mmu.h"
#include "defs.h"

struct segdesc gdt[NSEGS];
struct dtr gdtr_loaded;    // what LGDT was given (the probe compares)
static struct taskstate ts;

void seginit(void) {
  gdt[SEG_KCODE] = SEG(STA_X | STA_R | STA_A, 0);
  gdt[SEG_KDATA] = SEG(STA_W | STA_A, 0);
  gdt[SEG_UCODE] = SEG(STA_X | STA_R | STA_A, DPL_USER);
  gdt[SEG_UDATA] = SEG(STA_W | STA_A, DPL_USER);
  gdt[SEG_TSS] = SEG16(STS_T32A, &ts, sizeof ts - 1);

  gdtr_loaded.base = (uint)gdt;
  gdtr_loaded.limit = sizeof gdt - 1;
  lgdt(&gdtr_loaded);

  // Reload CS with a far jump, then the data segments.
  asm volatile("ljmp %0, $1f\n1:" : : "i"(SEG_KCODE << 3));
  asm volatile("movw %w0, %%ds; movw %w0, %%es; movw %w0, %%fs;"
               "movw %w0, %%gs" : : "r"(SEG_KDATA << 3));
  // SS's RPL must be the ring the kernel runs in: 1 under pv
  asm volatile("movw %w0, %%ss" : : "r"(SEG_KDATA << 3 | (pv_on ? 1 : 0)));

  ts.ss0 = SEG_KDATA << 3;
  ts.iomb = sizeof ts;
  ltr(SEG_TSS << 3);
}

// The kernel stack the CPU switches to on a trap from ring 3.
void set_kstack(uint esp0) {
  ts.esp0 = esp0;
  if (pv_on)
    pv_stack_switch(SEG_KDATA << 3 | 1, esp0);
}
