/* expdown: expand-down data segments whose valid offsets wrap around 4 GiB
 * into low memory (issue 13, item 8). The VMM cuts every segment short of
 * its area at the top of the address space; such a segment is usable all
 * the same, bare, on QEMU and under the VMM with every profile:
 *   0x30  32-bit, base 00400000, limit ffc00fff (G): offsets ffc01000 and
 *         up are linear 00001000-003fffff, all below 4 GiB's wrap;
 *   0x38  32-bit, base 00100000, limit 00000fff: offsets 1000 and up are
 *         linear 00101000-ffffffff and then 0-000fffff; the VMM keeps the
 *         wrapped low part, which the guest reads here;
 *   0x40  16-bit, base 2000 below a variable, limit 0fff: offsets
 *         1000-ffff, no wrap.
 * Reads and writes through ES, and a push and pop through SS (0x30). */
#include "rt.h"

const char guest_name[] = "expdown";
const int rt_skip_entry_if = 1;
uint32_t ed_pushpop(uint32_t ss, uint32_t esp_offset, uint32_t value);

static volatile uint32_t cell = 0x5eed1234;

static uint32_t read_es(uint32_t sel, uint32_t off)
{
    uint32_t v;
    __asm__ volatile("movw %w1, %%es; movl %%es:(%2), %0; movw %w3, %%es"
                     : "=&r"(v) : "r"(sel), "r"(off), "r"(SEL_KDATA) : "memory");
    return v;
}

static void write_es(uint32_t sel, uint32_t off, uint32_t v)
{
    __asm__ volatile("movw %w0, %%es; movl %1, %%es:(%2); movw %w3, %%es"
                     : : "r"(sel), "r"(v), "r"(off), "r"(SEL_KDATA) : "memory");
}

static void through(const char *what, uint32_t sel, uint32_t base, volatile uint32_t *p)
{
    uint32_t off = (uint32_t)p - base;
    kprintf("  %s: ", what);
    check("read", read_es(sel, off), *p);
    kprintf("  %s: ", what);
    write_es(sel, off, 0xa5a5a5a5);
    check("write", *p, 0xa5a5a5a5);
}

#define LOW 0x50000   /* a word of low memory, below the image */

void guest_main(void)
{
    gdt_set(6, seg_desc(0x00400000, 0xffc00, 0x97, 0xC));   /* expand-down, B, G */
    gdt_set(7, seg_desc(0x00100000, 0x00fff, 0x97, 0x4));   /* expand-down, B */
    gdt_set(8, seg_desc((uint32_t)&cell - 0x2000, 0x0fff, 0x97, 0x0));   /* expand-down, 16-bit */
    volatile uint32_t *low = (volatile uint32_t *)LOW;
    *low = 0x10cafe11;
    through("0030 (wraps, all of it low)", 0x30, 0x00400000, &cell);
    cell = 0x5eed5678;
    through("0038 (wraps: its low part)", 0x38, 0x00100000, low);
    cell = 0x5eed9abc;
    through("0040 (16-bit)", 0x40, (uint32_t)&cell - 0x2000, &cell);
    check("push and pop through SS 0030", ed_pushpop(0x30, 0xffc00000, 0x77665544), 0x77665544);
}
