// Segments, gates and the TSS of x86-32 protected mode (Intel SDM vol. 3,
// ch. 3 and 6-7), after xv6's mmu.h. No paging: every segment is flat.
#ifndef GUESTOS_MMU_H
#define GUESTOS_MMU_H

// EFLAGS bits
#define FL_IF    0x00000200   // interrupts enabled
#define FL_IOPL  0x00003000   // I/O privilege level (bits 12-13)
#define FL_RSV1  0x00000002   // always 1

// CR0 bits
#define CR0_PE   0x00000001   // protected mode

// GDT slots; a selector is slot << 3 | RPL.
#define SEG_KCODE 1   // kernel code, DPL 0
#define SEG_KDATA 2   // kernel data and stack, DPL 0
#define SEG_UCODE 3   // user code, DPL 3
#define SEG_UDATA 4   // user data and stack, DPL 3
#define SEG_TSS   5   // the task state segment (only for esp0/ss0)
#define NSEGS     6
#define DPL_USER  3

// Segment type bits (the low nibble of the access byte)
#define STA_X 0x8     // executable
#define STA_W 0x2     // writeable (data)
#define STA_R 0x2     // readable (code)
#define STA_A 0x1     // accessed: set here so the CPU never writes the GDT
#define STS_T32A 0x9  // available 32-bit TSS
#define STS_IG32 0xE  // 32-bit interrupt gate: clears IF
#define STS_TG32 0xF  // 32-bit trap gate: leaves IF alone

#ifndef __ASSEMBLER__
#include "types.h"

// A segment descriptor, in the order the bits lie in memory.
struct segdesc {
  uint lim_15_0 : 16;
  uint base_15_0 : 16;
  uint base_23_16 : 8;
  uint type : 4;       // STA_* or STS_*
  uint s : 1;          // 1 = code/data, 0 = system
  uint dpl : 2;
  uint p : 1;          // present
  uint lim_19_16 : 4;
  uint avl : 1;
  uint rsv1 : 1;
  uint db : 1;         // 1 = 32-bit segment
  uint g : 1;          // 1 = limit counts 4 KiB pages
  uint base_31_24 : 8;
};

// A 4 GiB code/data segment of privilege `dpl`.
#define SEG(type, dpl) (struct segdesc) \
  { 0xffff, 0, 0, type, 1, dpl, 1, 0xf, 0, 0, 1, 1, 0 }
// A byte-granular system segment (the TSS).
#define SEG16(type, base, lim) (struct segdesc) \
  { (lim) & 0xffff, (uint)(base) & 0xffff, ((uint)(base) >> 16) & 0xff, \
    type, 0, 0, 1, (uint)(lim) >> 16, 0, 0, 1, 0, (uint)(base) >> 24 }

// An interrupt or trap gate of the IDT.
struct gatedesc {
  uint off_15_0 : 16;
  uint cs : 16;        // code segment selector of the handler
  uint args : 5;       // 0
  uint rsv1 : 3;       // 0
  uint type : 4;       // STS_IG32 or STS_TG32
  uint s : 1;          // 0
  uint dpl : 2;        // lowest privilege that may reach it with int n
  uint p : 1;
  uint off_31_16 : 16;
};

#define SETGATE(gate, istrap, sel, off, d) do { \
  (gate).off_15_0 = (uint)(off) & 0xffff;       \
  (gate).cs = (sel);                            \
  (gate).args = 0;                              \
  (gate).rsv1 = 0;                              \
  (gate).type = (istrap) ? STS_TG32 : STS_IG32; \
  (gate).s = 0;                                 \
  (gate).dpl = (d);                             \
  (gate).p = 1;                                 \
  (gate).off_31_16 = (uint)(off) >> 16;         \
} while (0)

// The 32-bit task state segment. guestos uses no hardware task switch:
// the CPU reads only ss0:esp0, the kernel stack for a trap from ring 3.
struct taskstate {
  uint link;
  uint esp0;
  ushort ss0, pad0;
  uint esp1;
  ushort ss1, pad1;
  uint esp2;
  ushort ss2, pad2;
  uint cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  ushort es, pad3, cs, pad4, ss, pad5, ds, pad6, fs, pad7, gs, pad8, ldt, pad9;
  ushort t, iomb;      // iomb past the limit: no I/O permission bitmap
};

// What LGDT/LIDT take and SGDT/SIDT give back.
struct dtr {
  ushort limit;
  uint base;
} __attribute__((packed));
#endif
#endif
