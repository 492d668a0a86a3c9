// Inline wrappers for the special instructions the kernel uses, one each,
// so that every privileged or sensitive instruction in guestos is listed here.
#ifndef GUESTOS_X86_H
#define GUESTOS_X86_H
#include "types.h"
#include "mmu.h"
#include "pvops.h"

// Each wrapper is a pv op (pvops.h): the instruction natively, or under
// --vmm=pv (pv_on) what a paravirtual kernel does instead.

// ---- privileged: trap at CPL > 0 (or CPL > IOPL for I/O, CLI, STI) ----

static inline uchar inb(ushort port) {
  if (pv_on)
    return pv_inb(port);
  uchar v;
  asm volatile("inb %1, %0" : "=a"(v) : "d"(port));
  return v;
}

static inline void outb(ushort port, uchar v) {
  if (pv_on) {
    pv_outb(port, v);
    return;
  }
  asm volatile("outb %0, %1" : : "a"(v), "d"(port));
}

static inline void cli(void) {
  if (pv_on)
    pv_irq_disable();
  else
    asm volatile("cli" ::: "memory");
}

static inline void sti(void) {
  if (pv_on)
    pv_irq_enable();
  else
    asm volatile("sti" ::: "memory");
}

static inline void hlt(void) {
  if (pv_on)
    pv_halt();
  else
    asm volatile("hlt" ::: "memory");
}

static inline void lgdt(struct dtr *d) {
  if (pv_on)
    pv_load_gdt(d);
  else
    asm volatile("lgdt %0" : : "m"(*d));
}

static inline void lidt(struct dtr *d) {
  if (pv_on)
    pv_load_idt(d);
  else
    asm volatile("lidt %0" : : "m"(*d));
}

static inline void ltr(ushort sel) {
  if (pv_on)
    pv_load_tr(sel);
  else
    asm volatile("ltr %0" : : "r"(sel));
}

#define PV_CR0 0x11   // pv: CR0 as the VMM keeps it for the guest (PE, ET); reading it would trap

static inline uint rcr0(void) {
  if (pv_on)
    return PV_CR0;
  uint v;
  asm volatile("movl %%cr0, %0" : "=r"(v));
  return v;
}

// ---- sensitive but unprivileged: run at any CPL without a trap ----

// PUSHF; POP: reads IF and IOPL too.
static inline uint readeflags(void) {
  if (pv_on)
    return pv_save_fl();
  uint f;
  asm volatile("pushfl; popl %0" : "=r"(f));
  return f;
}

// PUSH; POPF. At CPL > IOPL, POPF silently leaves IF as it was.
static inline void writeeflags(uint f) {
  if (pv_on) {
    pv_restore_fl(f);
    return;
  }
  asm volatile("pushl %0; popfl" : : "r"(f) : "memory", "cc");
}

// The ones below are used only by the probe (probe.c).
// Under pv they show what the kernel gave the VMM (pvops.c).
static inline void sgdt(struct dtr *d) {
  if (pv_on)
    pv_store_gdt(d);
  else
    asm volatile("sgdt %0" : "=m"(*d));
}

static inline void sidt(struct dtr *d) {
  if (pv_on)
    pv_store_idt(d);
  else
    asm volatile("sidt %0" : "=m"(*d));
}

static inline ushort sldt(void) {
  if (pv_on)
    return 0;   // no LDT
  ushort s;
  asm volatile("sldt %0" : "=m"(s));
  return s;
}

static inline ushort str(void) {
  if (pv_on)
    return pv_store_tr();
  ushort s;
  asm volatile("str %0" : "=m"(s));
  return s;
}

// SMSW: the low 16 bits of CR0 (the "machine status word").
static inline ushort smsw(void) {
  if (pv_on)
    return PV_CR0;
  ushort w;
  asm volatile("smsw %0" : "=m"(w));
  return w;
}

// Under pv the kernel's ring 1 reads as its ring 0 (Linux: get_kernel_rpl()).
static inline ushort readcs(void) {
  ushort cs;
  asm volatile("movw %%cs, %0" : "=r"(cs));
  if (pv_on && (cs & 3) == 1)
    cs &= ~3;
  return cs;
}

// LAR, LSL, VERR, VERW set ZF when the selector is valid and visible.
static inline int lar(ushort sel, uint *ar) {
  uint lim;
  int r, w;
  if (pv_on)
    return pv_desc(sel, ar, &lim, &r, &w);
  uchar ok;
  asm volatile("larl %2, %0; setz %1" : "=r"(*ar), "=q"(ok) : "r"((uint)sel), "0"(0) : "cc");
  return ok;
}

static inline int lsl(ushort sel, uint *lim) {
  uint ar;
  int r, w;
  if (pv_on)
    return pv_desc(sel, &ar, lim, &r, &w);
  uchar ok;
  asm volatile("lsll %2, %0; setz %1" : "=r"(*lim), "=q"(ok) : "r"((uint)sel), "0"(0) : "cc");
  return ok;
}

static inline int verr(ushort sel) {
  uint ar, lim;
  int r, w;
  if (pv_on)
    return pv_desc(sel, &ar, &lim, &r, &w) && r;
  uchar ok;
  asm volatile("verr %1; setz %0" : "=q"(ok) : "r"(sel) : "cc");
  return ok;
}

static inline int verw(ushort sel) {
  uint ar, lim;
  int r, w;
  if (pv_on)
    return pv_desc(sel, &ar, &lim, &r, &w) && w;
  uchar ok;
  asm volatile("verw %1; setz %0" : "=q"(ok) : "r"(sel) : "cc");
  return ok;
}

// The trap frame: what the CPU and alltraps (trapasm.S) push, read upwards
// from the stack pointer that trap() gets.
struct trapframe {
  // pushed by pushal
  uint edi, esi, ebp, oesp, ebx, edx, ecx, eax;
  // pushed by alltraps
  ushort gs, pad1, fs, pad2, es, pad3, ds, pad4;
  uint trapno;
  // pushed by the CPU (err by the stub where the CPU pushes none)
  uint err;
  uint eip;
  ushort cs, pad5;
  uint eflags;
  // pushed by the CPU only on a trap from an outer ring
  uint esp;
  ushort ss, pad6;
};
#endif
