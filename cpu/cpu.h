/* cpu: the machine around the architectural state. One machine_t is one VM:
 * a CPU, its RAM, its devices behind the port bus, virtual time, and the
 * event stream. The run loop lives here; nothing in it prints. */
#ifndef TRAPSIM_CPU_H
#define TRAPSIM_CPU_H
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include "isa/isa.h"
#include "isa/arch.h"
#include "cpu/pic.h"
#include "cpu/pit.h"
#include "cpu/uart.h"
#include "cpu/trace.h"
#include "cpu/hv.h"

/* Exit statuses of trapsim (README, "Exit statuses"). isa-debug-exit's
 * statuses are odd ((V << 1) | 1); trapsim's own are even. */
enum {
    EXIT_OK = 0,          /* raw mode stopped; scenario matched */
    EXIT_USAGE = 2,       /* bad arguments, unreadable or malformed input */
    EXIT_BUDGET = 4,      /* --max-insns ran out */
    EXIT_TRIPLE = 6,      /* triple fault */
    EXIT_HALTED = 8,      /* HLT with interrupts off: halted for ever */
    EXIT_UNMODELLED = 10, /* the guest used something trapsim does not model */
    EXIT_MISMATCH = 12,   /* scenario --check: the trace differs from the expected log */
    EXIT_QUIT = 14,       /* the user quit from step mode or the debugger */
    EXIT_NOT_PV = 16      /* --vmm=pv: the guest ran a privileged instruction instead of a hypercall */
};

/* Why the run stopped. */
typedef enum stop_kind {
    STOP_NONE = 0,
    STOP_DEBUG_EXIT,   /* the guest wrote port 0xF4 */
    STOP_TRIPLE,
    STOP_HALTED,
    STOP_BUDGET,
    STOP_UNMODELLED,
    STOP_QUIT,
    STOP_NOT_PV,       /* --vmm=pv: a guest that does not paravirtualize */
    /* raw mode */
    STOP_RAW_INT3, STOP_RAW_INT, STOP_RAW_EXC, STOP_RAW_HLT
} stop_kind_t;

/* How an event reached the IDT. */
typedef enum deliver_kind {
    DK_EXCEPTION,      /* raised by an instruction (or by delivery itself) */
    DK_HARDWARE,       /* an external interrupt from the PIC */
    DK_SOFTWARE        /* INT n, INT3, INTO, INT1 */
} deliver_kind_t;

/* The default nominal guest speed: 10 million instructions per second, so
 * a 100 Hz PIT fires every 100,000 instructions (README, "Time"). */
#define DEFAULT_GUEST_IPS 10000000ull
#define PIT_HZ 1193182ull

typedef struct machine machine_t;
struct vmx_exit;


struct machine {
    struct cpu cpu;
    pic_t  pic;
    pit_t  pit;
    uart_t uart;

    uint64_t guest_ips;       /* nominal instructions per second: PIT time scale */
    uint64_t now;             /* virtual time in instruction units (>= icount: HLT skips) */
    uint64_t next_event;      /* `now` at which the next device event is due */
    uint64_t max_insns;       /* budget; 0 = none */
    uint64_t unretired;       /* steps that retired nothing (a delivery, a REP chunk): the budget counts them too */

    trace_t trace;
    FILE *console;            /* where COM1 and port 0xE9 output goes */

    hv_t hv;                  /* the monitor in charge, if any (cpu/hv.h) */
    /* A hypervisor written in C over the CPU's VMX (--vmm=vtx): a VM exit
     * hands it the exit (struct vmx_exit, cpu/vmx.h) instead of loading the
     * VMCS's x86 host state; the guest's registers stay in the CPU. It
     * resumes the guest (vmx_vmentry) or stops the run. Kept a machine
     * field rather than an hv_ops_t hook: it is the CPU's VMX that calls
     * it (cpu/vmx.c), not the run loop, and vtx attaches no other hook. */
    void (*vmx_host)(void *ctx, machine_t *m, const struct vmx_exit *e);
    void *vmx_host_ctx;

    stop_kind_t stop;
    int exit_status;          /* for STOP_DEBUG_EXIT: the status the guest asked for */
    uint8_t stop_vector;      /* raw mode (app/raw.c): the vector that stopped the run */
    uint8_t stop_has_error;
    uint32_t stop_error;
    char stop_msg[256];       /* one line: why the run stopped */

    int intr_line;            /* the PIC's INTR output, recomputed whenever the PIC changes */
    uint64_t insns_by_ring[4];/* retired instructions per CPL */
    /* The CPU's VMX, counted where it happens (cpu/vmx.c), as the VMM counts
     * its exits: the summary reads them, so no event is formatted for it */
    uint64_t vmx_entries;                      /* VM entries that reached the guest */
    uint64_t vmx_exits[VMX_EXIT_REASON_COUNT]; /* VM exits by basic reason (entry failures too) */
    uint8_t *code_page_map;   /* decoded-instruction cache bookkeeping (cpu/run.c) */
    struct decode_cache *dcache;
    int halted;               /* HLT retired: waiting for an interrupt */
    const isa_insn_t *fault_insn;   /* the instruction whose fault is being delivered: its event names it */
};

/* Creates a machine with `ram_size` bytes of zeroed RAM, devices in their
 * firmware state, the given profile; NULL when memory is short. */
machine_t *machine_new(uint32_t ram_size, const isa_profile_t *profile);
void machine_free(machine_t *m);

/* PLATFORM.md's Multiboot entry state: protected mode, flat CS/DS/ES/FS/GS/SS
 * at CPL 0, CR0 = PE|ET, EAX = 0x2BADB002, EBX = mbi. */
void machine_boot_state(machine_t *m, uint32_t entry, uint32_t mbi);

/* Runs until something stops it; returns m->stop. */
stop_kind_t machine_run(machine_t *m);
/* Runs at most `steps` more steps (a quantum: host/), then returns; returns
 * m->stop, STOP_NONE when the quantum ended first. Called again, it goes on
 * exactly where it stopped: the run is the one machine_run() makes. */
stop_kind_t machine_run_for(machine_t *m, uint64_t steps);
/* Steps so far: retired instructions plus the steps that retire nothing
 * (what --max-insns counts, and what a quantum measures). */
uint64_t machine_steps(const machine_t *m);
/* One step: a pending interrupt or one instruction (or one HLT wait). */
void machine_step(machine_t *m);

/* Fetches and decodes the instruction at CS:EIP into *out (a cached
 * decoding, or `scratch`): 0, or a fault raised in the CPU's exc_* fields. */
int machine_fetch_decode(machine_t *m, isa_insn_t *scratch, const isa_insn_t **out);
/* Books an instruction that ran at `ring` and ended with `r` (not a fault
 * or a stop) in virtual time and the counts: retired, or a REP string
 * instruction paused after a chunk (a step that retires nothing). Returns 1
 * when the single-step trap follows it (`tf`: TF as it started). The run
 * loop's retire() and a monitor's emulation book through here alike. */
int machine_retire(machine_t *m, const isa_insn_t *insn, int ring, isa_result_t r, int tf);
/* Runs the instructions from `first` (decoded at CS:`eip`, already traced)
 * up to EIP `end` as ONE step that retires one instruction: a monitor's
 * inline sequence standing for one guest instruction (vmm/dbt.c's PUSHF).
 * Each runs on the CPU as any instruction does, and shows in the
 * instruction trace; no interrupt, device tick or budget comes between
 * them, as none comes inside one instruction. Only the first may fault (it
 * is delivered at its address, nothing done); anything else inside stops
 * the run as unmodelled, after at most 16 instructions too. */
void machine_run_sequence(machine_t *m, const isa_insn_t *first, uint32_t eip, uint32_t end);
/* Prints a byte on the console (COM1 and port 0xE9 end here). */
void machine_console_put(machine_t *m, uint8_t ch);

/* Delivers an event through the IDT (double and triple fault included);
 * the one place where a monitor sees events (hv.h: deliver, ring0_entry).
 * `fault_eip` is the address of the instruction concerned (for the trace). */
void deliver_event(machine_t *m, int vector, deliver_kind_t kind, int has_error,
                   uint32_t error, uint32_t fault_eip);

/* The CPU whose ring and address the machine's events carry: a monitor's
 * virtual CPU while it runs it (hv_monitor_enter()), else the machine's. */
static inline const struct cpu *machine_cur_cpu(const machine_t *m)
{
    return m->hv.vcpu ? m->hv.vcpu : &m->cpu;
}

/* Stops the run with a one-line message. */
void machine_stop(machine_t *m, stop_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The process exit status for the way the run stopped. */
int machine_exit_status(const machine_t *m);

/* Writes a PIC register from the host side (the VMM's own PIC, set-up). */
void machine_pic_write(machine_t *m, uint16_t port, uint8_t v);
/* Recomputes m->intr_line after the PIC changed. */
static inline void machine_pic_changed(machine_t *m) { m->intr_line = pic_intr_pending(&m->pic); }

/* The bus the machine gives its CPU (isa/arch.h): its ports, its virtual
 * time, its decoded-instruction cache; ctx is the machine. */
extern const cpu_bus_ops_t machine_bus_ops;

/* Port accesses on the machine's bus (the VMM reaches its devices here). */
uint32_t machine_port_in(machine_t *m, uint16_t port, int size);
void     machine_port_out(machine_t *m, uint16_t port, int size, uint32_t v);

/* Virtual time conversions. */
uint64_t machine_pit_ticks(const machine_t *m, uint64_t now);

/* A monitor's own memory at the top of the address space (cpu.bus.top_*):
 * `size` zeroed bytes mapped at `base`, or NULL when memory is short; and
 * unmapped (when still mapped) and freed again. */
uint8_t *machine_map_top(machine_t *m, uint32_t base, uint32_t size);
void machine_unmap_top(machine_t *m, uint8_t *area);

/* The kernel stack the guest's ring 3 enters its kernel on: ESP0 (SP0) of
 * the TSS the guest's TR names, on the guest's CPU (hv_t.guest_cpu, else the
 * machine's, which under --vmm=vtx holds the guest's TR); 0 when the guest
 * has no TSS. Tells the guest's processes apart (event_t.kstack): a kernel
 * gives each its own kernel stack. */
uint32_t machine_guest_kstack(const machine_t *m);

/* Emits an event stamped with the current time (and, when ring 3 is
 * concerned, machine_guest_kstack()). */
void machine_emit(machine_t *m, event_t *ev);
/* Emits an event whose text is formatted (at most 255 characters): the
 * VMM's and VMX's lines. */
void machine_emitv(machine_t *m, event_t *ev, const char *fmt, va_list ap);

/* Recomputes when the next device event is due (after PIT writes). */
void machine_schedule(machine_t *m);

#endif
