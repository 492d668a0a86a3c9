/* cpu/show.h: a CPU's state and tables as people read them. Step mode's
 * commands, the GDB stub's monitor commands and the monitors' own views
 * (vmm/view.h) print through these. Read-only: memory is read as the given
 * CPU reaches it (its RAM and its bus's top area), never written; an
 * address with no memory behind it is said so. */
#ifndef TRAPSIM_SHOW_H
#define TRAPSIM_SHOW_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cpu/symbols.h"
#include "isa/arch.h"

/* "[ IF ZF ] iopl=0" into buf; returns the length (what fits) */
int show_flags_str(uint32_t eflags, char *buf, size_t size);
/* "[ PE ET ]": CR0's bits by name */
int show_cr0_str(uint32_t cr0, char *buf, size_t size);
/* "  cs   0008  base=00000000 limit=ffffffff dpl=0 code r-x 32-bit" */
void show_seg(const char *name, const seg_cache_t *s, FILE *out);
/* The general registers, EIP (with its symbol), EFLAGS, CPL, segment
 * registers with their caches, CR0-CR4, GDTR/IDTR, TR, LDTR. */
void show_regs(const struct cpu *c, int halted, const symtab_t *syms, FILE *out);
/* One GDT/LDT descriptor as text ("code r-x base=... limit=... dpl=1
 * 32-bit", "tss32 busy base=...", "not present"); returns the length. */
int show_desc(uint32_t lo, uint32_t hi, char *buf, size_t size);
/* One IDT gate as text ("int32   0008:00101a40 dpl=0 <vector32>"). */
int show_gate(uint32_t lo, uint32_t hi, const symtab_t *syms, char *buf, size_t size);
/* Reads 4 bytes at physical address a as c reaches it; -1 where no memory is. */
int show_read32(const struct cpu *c, uint32_t a, uint32_t *v);
/* The IDT c's IDTR names (present gates), headed by `title`; vector < 0:
 * all of them, else that one (present or not). */
void show_idt(const struct cpu *c, const char *title, int vector, const symtab_t *syms, FILE *out);
/* The GDT c's GDTR names, headed by `title`: every non-null descriptor. */
void show_gdt(const struct cpu *c, const char *title, FILE *out);
/* The 32-bit TSS c's TR names: SS0:ESP0 .. SS2:ESP2, CR3, EIP, EFLAGS, the
 * registers and selectors saved, LDT, I/O map base. */
void show_tss(const struct cpu *c, const char *title, FILE *out);
/* `len` bytes from linear address `addr`, 16 a line, hex and ASCII. */
void show_mem(const struct cpu *c, uint32_t addr, uint32_t len, FILE *out);
/* `count` instructions disassembled from linear address `addr` (code32:
 * the default operand size), each line with its address, symbol and bytes;
 * returns the address after the last. */
uint32_t show_disasm(const struct cpu *c, uint32_t addr, int code32, int count, const symtab_t *syms, FILE *out);
#endif
