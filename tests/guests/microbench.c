/* microbench: Adams & Agesen's microbenchmarks ("A comparison of software
 * and hardware techniques for x86 virtualization", ASPLOS 2006) as one
 * guest, for `trapsim compare` (app/compare.h): a system call, IN from a
 * device, a control-register write, a CLI/STI pair, divide by zero, call/ret
 * and a POPF-based critical section.
 *
 * Each operation runs MB_SHORT times, then MB_LONG times, between markers
 * written to port MB_PORT (row * 4 + 0/1 around the short run, + 2/3 around
 * the long one): what the two runs share (the markers, the loop's setup)
 * cancels in their difference, so the host reads the cost of
 * MB_LONG - MB_SHORT operations. Then the verdict: MB_OK | row or
 * MB_WRONG | row. The POPF row's verdict also needs a timer tick to arrive
 * after it: a critical section that left interrupts off is wrong.
 *
 * Under --vmm=pv (found at boot: the runtime's pv_on) the same image
 * paravirtualizes each operation the way guestos/pvops.c does: the system
 * call through the fast trap, IN through port_io, CLI/STI and the POPF
 * section as the mask byte of the shared page, the timer as an event; the
 * #DE is reflected by the monitor. A pv kernel never writes CR0 (the ABI
 * has no call for it): that row's verdict is MB_NA, with no markers. */
#include "rt.h"
#include "microbench.h"

const char guest_name[] = "microbench";
const int rt_skip_entry_if = 1;   /* it runs under --vmm --isa x86 too */

uint32_t mb_in(uint32_t n, uint32_t want), mb_cr0(uint32_t n), mb_clisti(uint32_t n);
uint32_t mb_div0(uint32_t n), mb_callret(uint32_t n), mb_popf(uint32_t n);
extern char u_mb_syscall[];

static void answer(struct trapframe *tf)
{
    tf->eax = tf->ebx + 1;
}

/* The pv loops: what mb_in, mb_clisti and mb_popf do, by pv_guest.h. */
static uint32_t pv_in(uint32_t n, uint8_t want)
{
    uint32_t wrong = 0;
    while (n--)
        wrong += pv_inb(0x21) != want;
    return wrong;
}

static uint32_t pv_clisti(uint32_t n)
{
    while (n--) {
        pv_events_mask(&pv_shared);
        pv_events_unmask(&pv_shared);
    }
    return 0;
}

static uint32_t pv_popf(uint32_t n)
{
    volatile uint32_t count = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint8_t saved = pv_shared.upcall_mask;   /* pushf */
        pv_events_mask(&pv_shared);              /* cli */
        count++;
        if (!saved)                              /* popf */
            pv_events_unmask(&pv_shared);
    }
    return count - n;
}

static uint32_t run(int row, uint32_t n)
{
    if (pv_on && row == MB_IN)
        return pv_in(n, 0xFF);
    if (pv_on && row == MB_CLISTI)
        return pv_clisti(n);
    if (pv_on && row == MB_POPF)
        return pv_popf(n);
    switch (row) {
    case MB_SYSCALL: u_arg = n; return enter_user((uint32_t)u_mb_syscall, FL_1, SEL_UDATA);
    case MB_IN:      return mb_in(n, 0xFF);   /* every IRQ masked */
    case MB_CR0:     return mb_cr0(n);
    case MB_CLISTI:  return mb_clisti(n);
    case MB_DIV0:    return mb_div0(n);
    case MB_CALLRET: return mb_callret(n);
    default:         return mb_popf(n);
    }
}

/* Whether a timer interrupt arrives: interrupts are on. */
static int tick_arrives(void)
{
    uint32_t before = ticks;
    tick_eip_lo = 0;
    tick_eip_hi = 0xFFFFFFFF;
    tick_limit = before + 1;          /* the handler masks IRQ0 again (pv: stops the timer) */
    if (pv_on) {
        pv_hypercall(PV_set_timer, 1193, 0, 0);   /* 1 ms */
    } else {
        pit_periodic(1193);
        pic_set_mask(0xFE, 0xFF);
    }
    for (uint32_t k = 0; k < 200000 && ticks == before; k++)
        __asm__ volatile("nop");
    if (pv_on)
        pv_hypercall(PV_set_timer, 0, 0, 0);
    else
        pic_set_mask(0xFF, 0xFF);
    return ticks != before;
}

void guest_main(void)
{
    static const char *const names[MB_ROWS] = {
        "system call", "in", "cr0 write", "cli/sti", "divide by zero", "call/ret", "popf critical section",
    };
    syscall_hook = answer;
    if (pv_on)
        pv_events_unmask(&pv_shared);
    else
        __asm__ volatile("sti");
    for (int row = 0; row < MB_ROWS; row++) {
        if (pv_on && row == MB_CR0) {
            kprintf("%s: n/a\n", names[row]);
            outb(MB_PORT, (uint8_t)(MB_NA | row));
            continue;
        }
        uint32_t wrong = 0;
        for (int k = 0; k < 2; k++) {
            outb(MB_PORT, (uint8_t)(row * 4 + 2 * k));
            wrong += run(row, k ? MB_LONG : MB_SHORT);
            outb(MB_PORT, (uint8_t)(row * 4 + 2 * k + 1));
        }
        int ok = wrong == 0 && (row != MB_POPF || tick_arrives());
        kprintf("%s: %s\n", names[row], ok ? "ok" : "WRONG");
        outb(MB_PORT, (uint8_t)((ok ? MB_OK : MB_WRONG) | row));
    }
    guest_exit(0);
}
