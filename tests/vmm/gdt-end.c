/* gdt-end: a GDT across the end of RAM (issue 13, item 5). The guest moves
 * its GDT to the last 48 bytes of its RAM with limit ffff, so that most of
 * the table lies above RAM, where a bare machine reads 0: loads of the
 * entries in RAM work, loads of entries above it raise #GP(selector). Then
 * 20000 IN instructions, each a VM exit under the VMM (which must not cost
 * more with the table there), a descriptor rewritten in RAM and loaded after
 * an exit, and the original GDT back. Bare, on QEMU and under the VMM with
 * every profile the same. */
#include "rt.h"

const char guest_name[] = "gdt-end";
const int rt_skip_entry_if = 1;
void gdt_load(const void *gdtr);

static struct __attribute__((packed)) { uint16_t limit; uint32_t base; } pd, orig;
static volatile uint32_t marker = 0x600dcafe;

static void load(const char *what, uint32_t sel, int vec, int err)
{
    reset_faults();
    probe_load_ds(sel);
    check_fault(what, 0, vec, err, AT, FL_1);
}

void guest_main(void)
{
    const uint32_t *mbi = (const uint32_t *)boot_mbi;
    uint32_t ram_end = (mbi[2] + 1024) << 10;      /* mem_upper, KiB above 1 MiB */
    uint64_t *t = (uint64_t *)(ram_end - 6 * 8);
    orig.limit = sizeof gdt - 1;                   /* not SGDT: under --isa x86 it shows the VMM's */
    orig.base = (uint32_t)gdt;
    for (int i = 0; i < 6; i++)
        t[i] = gdt[i];
    pd.limit = 0xffff;
    pd.base = (uint32_t)t;
    gdt_load(&pd);
    puts_("GDT moved to the last 48 bytes of RAM, limit ffff\n");
    load("load 0010 (in RAM)", SEL_KDATA, -1, 0);
    load("load 0030 (above RAM: 0)", 0x30, 13, 0x30);
    load("load 8000 (above RAM: 0)", 0x8000, 13, 0x8000);

    uint32_t sum = 0;
    for (int i = 0; i < 20000; i++)
        sum += inb(0x21);
    check("20000 reads of the PIC's IMR (every IRQ masked)", sum, 20000 * 0xff);

    /* entry 4: data, base &marker, DPL 0; an exit, then the load */
    t[4] = seg_desc((uint32_t)&marker, 3, 0x93, 0x4);
    (void)inb(0x21);
    uint32_t got;
    __asm__ volatile("movw %w1, %%fs; movl %%fs:0, %0; movw %w2, %%fs"
                     : "=r"(got) : "r"(0x20), "r"(SEL_KDATA));
    check("entry 4 rewritten in RAM: read through it", got, marker);
    load("load 0028 (entry 5 in RAM: a TSS)", SEL_TSS, 13, SEL_TSS);

    gdt_load(&orig);
    puts_("GDT back\n");
    load("load 0010", SEL_KDATA, -1, 0);
}
