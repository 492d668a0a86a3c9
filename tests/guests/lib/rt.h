/* Runtime of the test guests (tests/guests/): what start.S and rt.c give
 * every guest. A guest is a `int guest_main(void)` (in C) plus probes (in
 * assembly); the runtime boots it, prints through COM1, keeps the GDT, IDT
 * and TSS, records the faults that probes provoke, runs code in ring 3 and
 * ends the run through isa-debug-exit with the number of failed checks.
 *
 * Shared by C and assembly: the C part is under #ifndef __ASSEMBLER__. */
#ifndef GUEST_RT_H
#define GUEST_RT_H

/* Multiboot v1 header: page-align modules (bit 0), memory info (bit 1). */
#define MB_MAGIC        0x1BADB002
#define MB_FLAGS        0x00000003
#define MB_BOOT_MAGIC   0x2BADB002

/* Selectors of the runtime's GDT (rt.c gdt[]); entries from GDT_FIRST_FREE
 * on are the guest's own (gdt_set). */
#define SEL_KCODE       0x08    /* ring 0 code, flat */
#define SEL_KDATA       0x10    /* ring 0 data, flat */
#define SEL_UCODE       0x1B    /* ring 3 code, flat (index 3, RPL 3) */
#define SEL_UDATA       0x23    /* ring 3 data, flat (index 4, RPL 3) */
#define SEL_TSS         0x28    /* the one 32-bit TSS */
#define GDT_ENTRIES     32
#define GDT_FIRST_FREE  6

/* Vectors: the PIC is remapped to 0x20 (master) and 0x28 (slave). */
#define VEC_IRQ0        0x20
#define VEC_SYSCALL     0x80    /* DPL 3 trap gate */
#define VEC_DPL0        0x40    /* an interrupt gate of DPL 0, for the gate-DPL check */

/* System calls: EAX = number, EBX = argument, result in EAX. */
#define SYS_EXIT        0       /* back to the ring-0 caller of enter_user; EBX = its result */
#define SYS_TICKS       1       /* EAX = timer ticks counted so far */
#define SYS_GUEST       2       /* the guest's own (syscall_hook) */

/* EFLAGS bits. */
#define FL_CF   0x00000001
#define FL_1    0x00000002      /* always 1 */
#define FL_PF   0x00000004
#define FL_AF   0x00000010
#define FL_ZF   0x00000040
#define FL_SF   0x00000080
#define FL_TF   0x00000100
#define FL_IF   0x00000200
#define FL_DF   0x00000400
#define FL_OF   0x00000800
#define FL_IOPL 0x00003000
#define FL_NT   0x00004000
#define FL_RF   0x00010000
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

#ifdef __ASSEMBLER__
/* ARM at, next: arms a probe. Set EFLAGS and ESP first: the handler checks
 * the pushed EFLAGS and (for ring 3) ESP against what they were here. A fault
 * or trap is recorded and execution resumes at `next`, which must be the
 * address right after the instruction at `at`. MOVs leave EFLAGS alone. */
.macro ARM at, next
    movl %esp, probe_esp
    movl $\at, probe_insn
    movl $\next, probe_recover
.endm
/* DISARM: after the probed instruction (at `next`), whether it faulted or not. */
.macro DISARM
    movl $0, probe_recover
.endm
/* The body of a function that (in ring 3) ends the enter_user call with EBX. */
.macro SYSEXIT
    movl $SYS_EXIT, %eax
    int $VEC_SYSCALL
.endm
#define GLOBAL(name) .globl name; .type name, @function; name:
/* UPROBE name, fl, insn: a ring-3 routine for enter_user that sets EFLAGS
 * to fl (no spaces in it), arms, runs insn and ends with SYSEXIT(0). */
.macro UPROBE name, fl, insn:vararg
GLOBAL(\name)
    pushl $(\fl)
    popfl
    ARM 1f, 2f
1:  \insn
2:  DISARM
    movl $0, %ebx
    SYSEXIT
.endm
/* KPROBE name, fl, insn: the same as a C-callable ring-0 function. */
.macro KPROBE name, fl, insn:vararg
GLOBAL(\name)
    pushl $(\fl)
    popfl
    ARM 1f, 2f
1:  \insn
2:  DISARM
    ret
.endm

#else /* C */
#include <stdarg.h>
#include <stdint.h>

/* The trap frame, in push order reversed: PUSHA, the data segment registers
 * (pushed by alltraps), the vector and error code (pushed by the vector
 * stub; 0 where the CPU pushes none), then what the CPU pushed. `esp` and
 * `ss` exist only when the trap came from ring 3. */
struct trapframe {
    uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
    uint32_t gs, fs, es, ds;
    uint32_t vec, err;
    uint32_t eip, cs, eflags;
    uint32_t esp, ss;
};

/* One fault (or trap) that hit an armed probe. */
struct fault {
    uint32_t vec, err, haserr;
    uint32_t eip, cs, eflags, esp, ss;  /* esp/ss: from rings 1-3 only */
    uint32_t at, next;                  /* the probe's instruction and the one after */
    uint32_t frame;                     /* bytes from the stack top (ring 0: the probe's ESP;
                                           rings 1-3: TSS.ESP0) down to the lowest pushed dword */
};

#define MAX_FAULTS 8
extern volatile uint32_t probe_recover, probe_insn, probe_esp;
extern volatile struct fault faults[MAX_FAULTS];
extern volatile uint32_t nfaults;

/* Timer ticks (IRQ0) counted by the runtime; when `ticks` reaches
 * `tick_limit`, the handler masks IRQ0, so the count is exact. */
extern volatile uint32_t ticks, tick_limit;
extern volatile uint32_t ticks_ring3;       /* of those, how many interrupted ring 3 */
/* Every tick's frame is checked against these; a mismatch counts in
 * tick_bad. From ring 3 the frame must be at TSS.ESP0 - 20 with SS
 * SEL_UDATA and ESP ustack_top. */
extern volatile uint32_t tick_eip_lo, tick_eip_hi; /* EIP must be in [lo, hi) */
extern volatile uint32_t tick_bad;
extern volatile uint32_t tick_isr_bad;      /* ticks that read PIC ISR != 0x01 */

extern uint64_t gdt[GDT_ENTRIES];
extern uint64_t idt[256];
struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap;
};
extern struct tss tss;
extern uint32_t boot_magic, boot_mbi, boot_eflags;
extern char ustack_top[];                   /* ring 3 starts with ESP here */

/* A guest that also runs under `--vmm --isa x86` or `umip` defines this as
 * 1: there the entry PUSHF sees the real IF (a Popek-Goldberg leak the
 * guest is not about), so the runtime leaves that check out. */
extern const int rt_skip_entry_if __attribute__((weak));

/* The guest. Returns nothing; failed checks are counted by the runtime. */
void guest_main(void);
extern const char guest_name[];
/* A guest's own system calls (EAX >= SYS_GUEST), or 0. */
extern void (*syscall_hook)(struct trapframe *tf);

/* Console (COM1). */
void putch(char c);
void puts_(const char *s);
void kprintf(const char *fmt, ...);         /* %s %c %u %d %x %02x %04x %08x */

/* Checks: each prints one line and counts a failure when it fails. */
void check(const char *what, uint32_t got, uint32_t want);
void verdict(int ok);                       /* ends the line being printed */
/* check_fault: what the last armed probe (run in `ring`) provoked, against
 * vector `vec` (-1: no fault), error code `err` (NOERR: none pushed), the
 * pushed EIP AT the probed instruction or AFTER it, the pushed CS of that
 * ring, the pushed EFLAGS `eflags` (RF is not compared, see rt.c), the frame
 * size and, from rings 1-3, the pushed SS and ESP. */
#define NOERR (-1)
#define AT    0
#define AFTER 1
void check_fault(const char *what, int ring, int vec, int err, int where,
                 uint32_t eflags);
extern uint32_t outer_cs, outer_ss;         /* the CS and SS check_fault wants from ring 1 or 2 */
void reset_faults(void);
__attribute__((noreturn)) void guest_exit(uint32_t code);

/* Descriptors. */
uint64_t seg_desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags);
void gdt_set(int index, uint64_t desc);
void idt_set(int vec, uint32_t handler, uint16_t sel, uint8_t type_attr);
extern char vector_stubs[];                 /* 16 bytes per vector */

/* Ring 3: runs `eip` in ring 3 (CS SEL_UCODE, SS and the data segment
 * registers `user_ds`, ESP ustack_top, EFLAGS `eflags`) through IRET, and
 * returns EBX of its SYS_EXIT. */
uint32_t enter_user(uint32_t eip, uint32_t eflags, uint32_t user_ds);
/* The same into the ring of `cs` (1, 2 or 3), SS `ss`, ESP ustack_top. */
uint32_t enter_ring(uint32_t eip, uint32_t eflags, uint32_t ds, uint32_t cs, uint32_t ss);
__attribute__((noreturn)) void user_return(uint32_t value);

/* Shared probes (lib/probes.S): MOV sel to DS or SS in ring 0; the u_
 * ones are ring-3 routines that load u_arg. */
void probe_load_ds(uint32_t sel), probe_load_ss(uint32_t sel);
extern char u_load_ds[], u_load_ss[];
extern uint32_t u_arg;

/* Devices. */
#ifdef RT_PV
/* The runtime built with RT_PV (only for the guests that paravirtualize
 * themselves: microbench) finds --vmm=pv at boot (pv_on) and then runs in
 * ring 1 on hypercalls (vmm/pv_guest.h): tables by set_gdt,
 * set_trap_table, stack_switch, set_callback (IRQ0's stub gets the timer
 * events), set_fast_trap (VEC_SYSCALL); console_write; port I/O by
 * port_io; no PIC; the virtual IF is pv_shared's mask byte. */
int memcmp(const void *a, const void *b, unsigned n);
#include "../../../vmm/pv_guest.h"
extern int pv_on;
extern volatile pv_shared_t pv_shared;
void pv_outb(uint16_t port, uint8_t v);
uint8_t pv_inb(uint16_t port);
#define RT_NATIVE(pv_call) if (pv_on) { pv_call; } else
#else
#define RT_NATIVE(pv_call)
#endif
static inline void outb(uint16_t port, uint8_t v) { RT_NATIVE(pv_outb(port, v); return) __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { RT_NATIVE(return pv_inb(port)) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; } }
void pic_remap_masked(void);                /* vectors 0x20/0x28, every IRQ masked */
void pic_set_mask(uint8_t master, uint8_t slave);
void pit_periodic(uint16_t reload);         /* channel 0, mode 2 */

static inline uint32_t read_eflags(void) { uint32_t f; __asm__ volatile("pushfl; popl %0" : "=r"(f)); return f; }
#endif
#endif
