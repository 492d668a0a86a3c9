// Functions of the guest kernel, by file.
#ifndef GUESTOS_DEFS_H
#define GUESTOS_DEFS_H
#include <stdarg.h>
#include "types.h"
#include "mmu.h"

struct context;
struct mbinfo;
struct proc;
struct trapframe;

// cmdline.c
void        cmdline_init(uint magic, struct mbinfo *mbi);
const char *opt_str(const char *key);
int         opt_num(const char *key, int dflt);
void        cmdline_check(void);

// console.c
void cprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int  proc_output(struct proc *p, const char *s, int n, int limit);
void proc_printf(struct proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void console_flush(void);

// irq.c
uint irqsave(void);
void irqrestore(uint flags);
void irq_check(struct trapframe *tf);
extern int ncrit;
extern uint crit_violations;

// main.c
void halt(int code) __attribute__((noreturn));

// picirq.c
void picinit(void);
void pic_eoi(void);

// printf.c
int vsnprintf(char *buf, int size, const char *fmt, va_list ap);
int snprintf(char *buf, int size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// kprime.c
#ifdef GUESTOS_KPRIME
void kprime(int n);
#endif

// probe.c
void probe(void);

// proc.c
int  proc_create(const char *name, int (*main)(int), int arg);
void scheduler(void);
void yield(void);
void sleep(uint n);
void wakeup(uint now);
void proc_exit(void) __attribute__((noreturn));
#ifdef GUESTOS_SHARES
void account_tick(void);
void print_shares(void);
#endif

// progs.c
struct program {
  const char *name;
  int (*main)(int arg);   // runs in ring 3; its result is the exit status
  const char *opt;        // command-line option whose number is arg, or 0
  int dflt;               // arg when that option is not given
};
const struct program *program_lookup(const char *name, int len);
extern const struct program programs[];

// seg.c
void seginit(void);
void set_kstack(uint esp0);
extern struct segdesc gdt[];
extern struct dtr gdtr_loaded;

// string.c
void *memset(void *dst, int c, uint n);
void *memmove(void *dst, const void *src, uint n);
void *memcpy(void *dst, const void *src, uint n);
int   memcmp(const void *a, const void *b, uint n);
uint  strlen(const char *s);
int   strcmp(const char *a, const char *b);
int   strncmp(const char *a, const char *b, uint n);

// swtch.S
void swtch(struct context **old, struct context *new);

// syscall.c
void syscall(struct trapframe *tf);

// timer.c
void timerinit(void);
void timer_tick(struct trapframe *tf);
extern volatile uint ticks;

// trap.c
void idtinit(void);
void idt_second(void);
void trap(struct trapframe *tf);
const char *trapname(uint trapno);
extern struct dtr idtr_loaded;
extern volatile uint ticks2;

// trapasm.S
void trapret(void);

// uart.c
void uartinit(void);
void uartputc(int c);
#endif
