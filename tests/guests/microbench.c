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
 * after it: a critical section that left interrupts off is wrong. */
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

static uint32_t run(int row, uint32_t n)
{
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
    tick_limit = before + 1;          /* the handler masks IRQ0 again */
    pit_periodic(1193);               /* 1 ms */
    pic_set_mask(0xFE, 0xFF);
    for (uint32_t k = 0; k < 200000 && ticks == before; k++)
        __asm__ volatile("nop");
    pic_set_mask(0xFF, 0xFF);
    return ticks != before;
}

void guest_main(void)
{
    static const char *const names[MB_ROWS] = {
        "system call", "in", "cr0 write", "cli/sti", "divide by zero", "call/ret", "popf critical section",
    };
    syscall_hook = answer;
    __asm__ volatile("sti");
    for (int row = 0; row < MB_ROWS; row++) {
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
