/* attack: a guest that tries to reach the VMM it runs under (run it with
 * `trapsim run --vmm --isa x86|pg|umip`; see tests/vmm/README.md).
 *
 * It finds the VMM's area (SGDT/SIDT reveal it under x86; under pg and umip
 * they trap and show the guest its own tables, so it aims at the top MiB of
 * the address space: a VMM without paging has to live where it can cut
 * every guest segment short, and that is the top),
 * then reads and writes it every way a ring-1 kernel can: through its flat
 * segments, through segments it builds over the area, through a crafted
 * LGDT, through an expand-down segment and through a call gate to the VMM's
 * own code selector. Every attempt must be blocked by a fault that the
 * guest's own handler receives. Then it checks that the VMM still works:
 * timer interrupts, a system call from ring 3, the same SGDT answer, and
 * ends through isa-debug-exit with the number of failed checks.
 *
 * Writes put back the value that was read (or write an unused gate), so a
 * VMM that lets one through still runs to the end and the transcript says
 * what got through. */
#include "rt.h"

const char guest_name[] = "attack";

uint32_t a_read(uint32_t seg_kind, uint32_t addr);
void a_write(uint32_t seg_kind, uint32_t addr, uint32_t value);
void a_load_fs(uint32_t sel);
uint32_t a_lcall(const void *farptr);
void a_lgdt(const void *pd);
void a_sgdt(void *out), a_sidt(void *out);
void wait_ticks(void);
extern char wait_lo[], wait_hi[], u_ticks[];

struct pd {                         /* a pseudo-descriptor, as LGDT/SGDT use it */
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

enum { DS_, ES_, FS_, GS_, SS_ };
static const char *const segname[] = { "ds", "es", "fs", "gs", "ss" };

/* Selectors of the entries this guest writes into its own GDT. */
#define SEL_INSIDE   0x30   /* 6: data, base inside the VMM's area */
#define SEL_PAYLOAD  0x38   /* 7: not present; its first bytes are code (mov %cs,%eax; lret) */
#define SEL_GATE     0x40   /* 8: call gate to the VMM's code selector */
#define SEL_EXPDOWN  0x48   /* 9: expand-down data, base 0, limit 0: offsets 1..4 GiB-1 */
#define SEL_ACROSS   0x50   /* 10: data, base 4 KiB below the VMM's area, 4 GiB */
#define VMM_CODE_SEL 0xfff8 /* where trapsim's VMM keeps its code descriptor (STR shows ffe8) */

static uint32_t target;             /* the VMM's area: its GDT */
static uint32_t target_idt;         /* the VMM's IDT */

static const char *exc(uint32_t vec)
{
    static const char *const n[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                     "#DF", "#09", "#TS", "#NP", "#SS", "#GP", "#PF" };
    return vec < 15 ? n[vec] : "#??";
}

/* "#GP(0000)" for the last armed probe, or "no fault". */
static void put_fault(void)
{
    if (nfaults == 0) {
        puts_("no fault");
        return;
    }
    kprintf("%s", exc(faults[0].vec));
    if (faults[0].haserr)
        kprintf("(%04x)", faults[0].err);
    if (faults[0].eip != faults[0].at)
        puts_(" (not at the instruction)");
}

static int faulted(uint32_t vec, uint32_t err)
{
    return nfaults == 1 && faults[0].vec == vec && faults[0].haserr &&
           faults[0].err == err && faults[0].eip == faults[0].at;
}

/* A read and then a write at `addr` through a flat segment register: both
 * must fault, #GP(0) (#SS(0) through SS) at the instruction. */
static void flat_attack(int seg, uint32_t addr, const char *what)
{
    uint32_t vec = seg == SS_ ? 12 : 13;
    reset_faults();
    uint32_t v = a_read(seg, addr);
    kprintf("  read %s:%08x (%s): ", segname[seg], addr, what);
    put_fault();
    if (nfaults == 0)
        kprintf(", got %08x", v);
    verdict(faulted(vec, 0));
    if (seg != DS_)
        return;
    reset_faults();
    /* put back what a read that got through saw; else 0 (what the VMM's
     * null descriptor and its TSS's link field hold) */
    a_write(DS_, addr, v == 0xdeadbeef ? 0 : v);
    kprintf("  write %s:%08x (%s): ", segname[seg], addr, what);
    put_fault();
    verdict(faulted(13, 0));
}

/* A segment the guest made (FS := sel), then a read and a write at `off`
 * through it. Blocked when the access faults (if the load faults, FS stays
 * null and so does the access). */
static void seg_attack(const char *what, uint32_t sel, uint32_t off)
{
    a_load_fs(0);
    reset_faults();
    a_load_fs(sel);
    reset_faults();
    uint32_t v = a_read(FS_, off);
    int blocked = nfaults != 0;
    kprintf("  %s: ", what);
    if (blocked) {
        puts_("blocked");
    } else {
        kprintf("FAIL, read %08x at fs:%08x", v, off);
        reset_faults();
        a_write(FS_, off, v);
        puts_(nfaults ? ", write blocked" : ", and wrote it back");
    }
    a_load_fs(SEL_KDATA);
    verdict(blocked);
}

static void find_the_vmm(void)
{
    struct pd g, i;
    a_sgdt(&g);
    a_sidt(&i);
    puts_("where the VMM is\n");
    if (g.base != (uint32_t)gdt) {
        kprintf("  sgdt shows a GDT that is not ours: base=%08x limit=%04x\n", g.base, g.limit);
        target = g.base;
    } else {
        puts_("  sgdt shows our own GDT; aiming at the top MiB of the address space\n");
        target = 0xfff00000u;
    }
    if (i.base != (uint32_t)idt) {
        kprintf("  sidt shows an IDT that is not ours: base=%08x limit=%04x\n", i.base, i.limit);
        target_idt = i.base;
    } else {
        puts_("  sidt shows our own IDT; aiming 64 KiB into that MiB\n");
        target_idt = target + 0x10000;
    }
    check("the area is above our image", target > (uint32_t)ustack_top, 1);
}

/* Above our RAM and below the VMM there is nothing, as on the bare machine
 * and on QEMU: a read gives 0, a write vanishes, nothing faults. */
static void above_ram(void)
{
    const uint32_t *mbi = (const uint32_t *)boot_mbi;
    uint32_t ram_end = (mbi[0] & 1) ? 0x100000 + mbi[2] * 1024 : 0;
    uint32_t where[] = { ram_end, ram_end + 0x10000, target - 4 };
    kprintf("above our RAM (it ends at %08x)\n", ram_end);
    for (int k = 0; k < 3; k++) {
        reset_faults();
        a_write(DS_, where[k], 0x5a5a5a5a);
        uint32_t v = a_read(DS_, where[k]);
        kprintf("  write, then read ds:%08x: ", where[k]);
        put_fault();
        if (nfaults == 0)
            kprintf(", got %08x", v);
        verdict(nfaults == 0 && v == 0);
    }
}

static void flat_attacks(void)
{
    puts_("through our flat segments\n");
    flat_attack(DS_, target, "its GDT");
    flat_attack(ES_, target + 8, "its GDT");
    flat_attack(FS_, target + 16, "its GDT");
    flat_attack(GS_, target + 24, "its GDT");
    flat_attack(SS_, target + 32, "its GDT");
    flat_attack(DS_, target_idt + 0xff * 8, "its IDT");
    flat_attack(DS_, target + 0x10800, "its TSS?");
    flat_attack(DS_, target + 0x1fffc, "its stack?");
    flat_attack(DS_, 0xfffffffc, "the top of the address space");
}

static void segment_attacks(void)
{
    puts_("through segments we build\n");
    gdt_set(SEL_INSIDE >> 3, seg_desc(target, 0xFFFFF, 0x93, 0xC));
    gdt_set(SEL_EXPDOWN >> 3, seg_desc(0, 0, 0x97, 0x4));
    gdt_set(SEL_ACROSS >> 3, seg_desc(target - 0x1000, 0xFFFFF, 0x93, 0xC));
    (void)inb(0x21);   /* a VM exit: the VMM sees the new descriptors */
    seg_attack("fs := 0030 (base at the VMM's GDT), read fs:0", SEL_INSIDE, 0);
    seg_attack("fs := 0030, read fs:00010000 (the VMM's IDT)", SEL_INSIDE, 0x10000);
    seg_attack("fs := 0048 (expand-down, base 0, limit 0), read fs:<its GDT>", SEL_EXPDOWN, target);
    seg_attack("fs := 0050 (base 4 KiB below, 4 GiB), read fs:00001000", SEL_ACROSS, 0x1000);
    a_load_fs(SEL_ACROSS);
    reset_faults();
    a_read(FS_, 0xffc);
    a_load_fs(SEL_KDATA);
    puts_("  fs := 0050, read fs:00000ffc (just below the area): ");
    put_fault();
    verdict(nfaults == 0);
    for (int k = 6; k <= 10; k++)
        gdt_set(k, 0);
}

static uint64_t crafted[GDT_ENTRIES];

static void lgdt_attacks(void)
{
    struct pd ours = { sizeof(gdt) - 1, (uint32_t)gdt };
    puts_("through LGDT\n");
    for (int k = 0; k < GDT_ENTRIES; k++)
        crafted[k] = gdt[k];
    crafted[SEL_INSIDE >> 3] = seg_desc(target, 0xFFFFF, 0x93, 0xC);
    struct pd pc = { sizeof(crafted) - 1, (uint32_t)crafted };
    reset_faults();
    a_lgdt(&pc);
    kprintf("  lgdt of a crafted table (entry 6 based at the VMM's GDT): ");
    put_fault();
    verdict(nfaults == 0);
    seg_attack("then fs := 0030, read fs:0", SEL_INSIDE, 0);
    a_lgdt(&ours);

    /* back on our table: the flat segments work again */
    reset_faults();
    a_load_fs(SEL_KDATA);
    kprintf("  lgdt of our own table again, fs := 0010: ");
    put_fault();
    verdict(nfaults == 0);
}

static void lldt_attack(void)
{
    puts_("through LLDT\n");
    /* entry 6: an LDT descriptor whose table is the VMM's GDT, so that LDT
     * selector fffc names the VMM's code descriptor */
    gdt_set(SEL_INSIDE >> 3, seg_desc(target, 0xFFFF, 0x82, 0x0));
    (void)inb(0x21);
    reset_faults();
    __asm__ volatile("lldt %w0" : : "r"(SEL_INSIDE));
    seg_attack("lldt of an LDT at the VMM's GDT, fs := fffc, read fs:0", VMM_CODE_SEL | 4, 0);
    __asm__ volatile("lldt %w0" : : "r"(0));
    gdt_set(SEL_INSIDE >> 3, 0);
}

static void gate_attack(void)
{
    puts_("through a call gate\n");
    /* entry 7 is not present, so the VMM copies its first bytes as they are:
     * 8c c8 = mov %cs,%eax; cb = lret */
    gdt_set(SEL_PAYLOAD >> 3, 0x90cbc88cull);
    /* entry 8: 32-bit call gate, DPL 0, to VMM_CODE_SEL:SEL_PAYLOAD (the
     * VMM's code segment starts at its GDT) */
    gdt_set(SEL_GATE >> 3, ((uint64_t)0x8c00 << 32) | ((uint32_t)VMM_CODE_SEL << 16) | SEL_PAYLOAD);
    (void)inb(0x21);   /* a VM exit: the VMM sees the gate */
    static struct __attribute__((packed)) { uint32_t off; uint16_t sel; } fp = { 0, SEL_GATE };
    reset_faults();
    uint32_t got = a_lcall(&fp);
    kprintf("  lcall through gate 0040 to fff8:%08x: ", (uint32_t)SEL_PAYLOAD);
    if (nfaults)
        puts_("blocked");
    else
        kprintf("FAIL, our bytes ran with cs=%04x", got & 0xffff);
    verdict(nfaults != 0);
    gdt_set(SEL_PAYLOAD >> 3, 0);
    gdt_set(SEL_GATE >> 3, 0);
}

static void still_works(uint32_t gdt_before)
{
    struct pd g;
    puts_("the VMM after the attacks\n");
    a_sgdt(&g);
    check("sgdt base as at the start", g.base == gdt_before, 1);
    flat_attack(DS_, target, "its GDT");
    ticks = 0;
    tick_limit = 3;
    tick_eip_lo = (uint32_t)wait_lo;
    tick_eip_hi = (uint32_t)wait_hi;
    pit_periodic(11932);
    pic_set_mask(0xFE, 0xFF);
    wait_ticks();
    check("timer ticks taken in ring 0 (sti; hlt)", ticks, 3);
    check("tick frames not as expected", tick_bad, 0);
    check("ticks with PIC ISR != 01", tick_isr_bad, 0);
    check("system call from ring 3 (SYS_TICKS)", enter_user((uint32_t)u_ticks, FL_1 | FL_IF, SEL_UDATA), 3);
}

void guest_main(void)
{
    struct pd g;
    find_the_vmm();
    a_sgdt(&g);
    above_ram();
    flat_attacks();
    segment_attacks();
    lgdt_attacks();
    lldt_attack();
    gate_attack();
    still_works(g.base);
}
