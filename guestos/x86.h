// Inline wrappers for the special instructions the kernel uses, one each,
// so that every privileged or sensitive instruction in guestos is listed here.
#ifndef GUESTOS_X86_H
#define GUESTOS_X86_H
#include "types.h"
#include "mmu.h"

// ---- privileged: trap at CPL > 0 (or CPL > IOPL for I/O, CLI, STI) ----

static inline uchar inb(ushort port) {
  uchar v;
  asm volatile("inb %1, %0" : "=a"(v) : "d"(port));
  return v;
}

static inline void outb(ushort port, uchar v) {
  asm volatile("outb %0, %1" : : "a"(v), "d"(port));
}

static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void hlt(void) { asm volatile("hlt" ::: "memory"); }

static inline void lgdt(struct dtr *d) { asm volatile("lgdt %0" : : "m"(*d)); }
static inline void lidt(struct dtr *d) { asm volatile("lidt %0" : : "m"(*d)); }
static inline void ltr(ushort sel) { asm volatile("ltr %0" : : "r"(sel)); }

static inline uint rcr0(void) {
  uint v;
  asm volatile("movl %%cr0, %0" : "=r"(v));
  return v;
}

// ---- sensitive but unprivileged: run at any CPL without a trap ----

// PUSHF; POP: reads IF and IOPL too.
static inline uint readeflags(void) {
  uint f;
  asm volatile("pushfl; popl %0" : "=r"(f));
  return f;
}

// PUSH; POPF. At CPL > IOPL, POPF silently leaves IF as it was.
static inline void writeeflags(uint f) {
  asm volatile("pushl %0; popfl" : : "r"(f) : "memory", "cc");
}

// The ones below are used only by the probe (probe.c).
static inline void sgdt(struct dtr *d) { asm volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct dtr *d) { asm volatile("sidt %0" : "=m"(*d)); }

static inline ushort sldt(void) {
  ushort s;
  asm volatile("sldt %0" : "=m"(s));
  return s;
}

static inline ushort str(void) {
  ushort s;
  asm volatile("str %0" : "=m"(s));
  return s;
}

// SMSW: the low 16 bits of CR0 (the "machine status word").
static inline ushort smsw(void) {
  ushort w;
  asm volatile("smsw %0" : "=m"(w));
  return w;
}

static inline ushort readcs(void) {
  ushort cs;
  asm volatile("movw %%cs, %0" : "=r"(cs));
  return cs;
}

// LAR, LSL, VERR, VERW set ZF when the selector is valid and visible.
static inline int lar(ushort sel, uint *ar) {
  uchar ok;
  asm volatile("larl %2, %0; setz %1" : "=r"(*ar), "=q"(ok) : "r"((uint)sel), "0"(0) : "cc");
  return ok;
}

static inline int lsl(ushort sel, uint *lim) {
  uchar ok;
  asm volatile("lsll %2, %0; setz %1" : "=r"(*lim), "=q"(ok) : "r"((uint)sel), "0"(0) : "cc");
  return ok;
}

static inline int verr(ushort sel) {
  uchar ok;
  asm volatile("verr %1; setz %0" : "=q"(ok) : "r"(sel) : "cc");
  return ok;
}

static inline int verw(ushort sel) {
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
