/* gdt-vmmarea: a GDT in the top MiB of the address space, where trapsim's
 * VMM keeps its own tables (issue 13, item 6). Bare there is nothing (reads
 * give 0), and on QEMU nothing below the BIOS's last 256 KiB: every
 * descriptor reads 0, so LAR, LSL, VERR and VERW fail for every selector.
 * Under the VMM, the shadow GDT must be built from what the guest sees
 * there, never from the VMM's own bytes; also for a table that starts
 * just below that MiB. */
#include "rt.h"

const char guest_name[] = "gdt-vmmarea";
const int rt_skip_entry_if = 1;

struct pd { uint16_t limit; uint32_t base; } __attribute__((packed));
static struct pd orig;

/* LAR, LSL, VERR and VERW of `sel`: 1 when any of them succeeds. */
static uint32_t any_ok(uint32_t sel)
{
    uint32_t zf = 0, r, z;
    __asm__ volatile("larl %2, %0; setz %b1" : "=&r"(r), "=&q"(z) : "r"(sel) : "cc");
    zf |= z & 1;
    __asm__ volatile("lsll %2, %0; setz %b1" : "=&r"(r), "=&q"(z) : "r"(sel) : "cc");
    zf |= z & 1;
    __asm__ volatile("verr %w1; setz %b0" : "=&q"(z) : "r"(sel) : "cc");
    zf |= z & 1;
    __asm__ volatile("verw %w1; setz %b0" : "=&q"(z) : "r"(sel) : "cc");
    zf |= z & 1;
    return zf;
}

static void table_at(uint32_t base, uint16_t limit)
{
    static const uint16_t sels[] = { 0x08, 0x10, 0x18, 0x20, 0x28, 0x100, 0xffe8, 0xfff0, 0xfff8 };
    struct pd pd = { limit, base };
    __asm__ volatile("lgdt %0" : : "m"(pd));
    (void)inb(0x21);                                   /* a VM exit: the shadow follows */
    uint32_t ok = 0;
    for (unsigned i = 0; i < sizeof sels / sizeof sels[0]; i++)
        ok |= any_ok(sels[i]) << i;
    __asm__ volatile("lgdt %0" : : "m"(orig));
    kprintf("  GDT at %08x limit %04x: ", base, limit);
    check("selectors that LAR/LSL/VERR/VERW accept (bit mask)", ok, 0);
}

void guest_main(void)
{
    orig.limit = sizeof gdt - 1;                   /* not SGDT: under --isa x86 it shows the VMM's */
    orig.base = (uint32_t)gdt;
    table_at(0xfff00000, 0xffff);
    table_at(0xfff10000, 0xffff);
    table_at(0xfff18000, 0x7fff);
    table_at(0xffeffff8, 0xffff);
    /* (a pseudo-descriptor in that MiB cannot be read: under the VMM every
     * guest segment ends below it, README "Memory") */
}
