// Paravirtual operations, the way Linux's pv-ops does it: one kernel image;
// each privileged or sensitive operation of x86.h is native, or, under
// trapsim's --vmm=pv (found at boot by CPUID), a hypercall or a memory
// access instead (pvops.c; the ABI is ../vmm/pv_abi.h).
#ifndef GUESTOS_PVOPS_H
#define GUESTOS_PVOPS_H
#include "types.h"

struct context;
struct dtr;
struct trapframe;

extern int pv_on;   // 1: paravirtualized (pv=0 on the command line turns it off)

void pvops_init(void);                 // after cmdline_init, before any device
int  pvops_option(const char *key);    // 1 for the options pvops.c reads (pv, fasttrap)

// Batching (Linux's lazy mode): between begin and end, calls that return
// nothing the kernel needs are queued and made in one multicall.
void pv_lazy_begin(void);
void pv_lazy_end(void);

// The pv side of x86.h's wrappers
void  pv_irq_disable(void);
void  pv_irq_enable(void);
uint  pv_save_fl(void);
void  pv_restore_fl(uint flags);
void  pv_halt(void);
uchar pv_inb(ushort port);
void  pv_outb(ushort port, uchar v);
void  pv_load_gdt(struct dtr *d);
void  pv_load_idt(struct dtr *d);
void  pv_load_tr(ushort sel);
void  pv_store_gdt(struct dtr *d);
void  pv_store_idt(struct dtr *d);
ushort pv_store_tr(void);
int   pv_desc(ushort sel, uint *ar, uint *limit, int *r, int *w);   // what LAR/LSL/VERR/VERW would show

// Kernel services
void pv_stack_switch(uint ss, uint esp);   // set_kstack()
void pv_set_timer(uint reload);            // timerinit()
void pv_event_ack(void);                   // the timer tick's "EOI"
void pv_console_putc(int c);               // uartputc()
void pv_trapret(struct trapframe *tf);     // trapasm.S, before the IRET
void kswitch(struct context **old, struct context *new);   // swtch() keeping the virtual IF
#endif
