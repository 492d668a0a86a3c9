/* basic: descriptor tables, exceptions in ring 0 and ring 3, the ring-3
 * round trip through IRET and an `int 0x80` system call with the TSS stack
 * switch, sensitive instructions in ring 3, and timer interrupts (PIC, PIT)
 * taken in ring 0 and in ring 3. Every line is deterministic. */
#include "rt.h"

const char guest_name[] = "basic";

void probe_de(void), probe_ud(void), probe_int3(void), probe_into_of(void);
void probe_into_nof(void), probe_bound(void), probe_int_dpl0(void);
void sys_tables(uint32_t out[8]);
void wait_ticks_r0(void);
extern char wait_r0_lo[], wait_r0_hi[], u_tick_lo[], u_tick_hi[];
extern char u_entry_state[], u_syscall[], u_sc_int[], u_sc_next[];
extern char u_ud[], u_int3[], u_into[], u_int_dpl0[], u_hlt[], u_mov_cr0[];
extern char u_lidt[], u_de[], u_sensitive[], u_tickloop[], u_tickloop_sys[];
extern uint32_t u_esp, u_eflags, u_cs, u_ss, u_ds, u_tables[8];
extern uint32_t u_sc_esp, u_sc_eflags_after, u_sc_esp_after, u_sc_ret,
    u_sc_ecx_after, u_sc_ds_after;

#define UFLAGS (FL_1 | FL_IF)

/* What the SYS_GUEST handler saw, checked after the round trip. */
static struct trapframe sc_tf;
static uint32_t sc_frame_at, sc_esp0;

static void basic_syscall(struct trapframe *tf)
{
    sc_tf = *tf;
    sc_frame_at = (uint32_t)&tf->eip;
    sc_esp0 = tss.esp0;
    kprintf("  int 0x80 frame: ss=%04x esp=%08x efl=%08x cs=%04x eip=%08x\n",
            tf->ss & 0xFFFF, tf->esp, tf->eflags, tf->cs & 0xFFFF, tf->eip);
    tf->eax = tf->ebx + 1;
}

static void tables(void)
{
    uint32_t t[8];
    puts_("descriptor tables (ring 0)\n");
    sys_tables(t);
    check("sgdt limit", t[0] & 0xFFFF, sizeof(gdt) - 1);
    check("sgdt base", (t[0] >> 16) | (t[1] << 16), (uint32_t)gdt);
    check("sidt limit", t[2] & 0xFFFF, sizeof(idt) - 1);
    check("sidt base", (t[2] >> 16) | (t[3] << 16), (uint32_t)idt);
    check("str", t[4], SEL_TSS);
    check("sldt", t[5], 0);
    check("cr0", t[6], 0x00000011);
    check("tss descriptor type after ltr (busy)", (uint32_t)(gdt[5] >> 40) & 0xF, 0xB);
}

static void ring0_exceptions(void)
{
    puts_("exceptions in ring 0\n");
    reset_faults(); probe_de();
    check_fault("div by zero", 0, 0, NOERR, AT, FL_1 | FL_CF | FL_AF | FL_SF | FL_OF);
    reset_faults(); probe_ud();
    check_fault("ud2", 0, 6, NOERR, AT, FL_1 | FL_PF | FL_ZF);
    reset_faults(); probe_int3();
    check_fault("int3", 0, 3, NOERR, AFTER, FL_1 | FL_ARITH);
    reset_faults(); probe_into_of();
    check_fault("into, OF=1", 0, 4, NOERR, AFTER, FL_1 | FL_OF | FL_CF);
    reset_faults(); probe_into_nof();
    check_fault("into, OF=0", 0, -1, 0, 0, 0);
    reset_faults(); probe_bound();
    check_fault("bound 11 in [0,10]", 0, 5, NOERR, AT, FL_1 | FL_SF);
    reset_faults(); probe_int_dpl0();
    check_fault("int 0x40 (DPL 0 gate)", 0, VEC_DPL0, NOERR, AFTER, FL_1 | FL_PF);
    reset_faults(); probe_load_ds(0x1F8);
    check_fault("mov 0x1f8 (past the GDT limit) to ds", 0, 13, 0x1F8, AT, FL_1);
    reset_faults(); probe_load_ds(SEL_TSS);
    check_fault("mov 0x28 (the TSS) to ds", 0, 13, SEL_TSS, AT, FL_1);
    reset_faults(); probe_load_ds(SEL_KDATA | 3);
    check_fault("mov 0x13 (RPL 3 > DPL 0) to ds", 0, 13, SEL_KDATA, AT, FL_1);
    reset_faults(); probe_load_ds(SEL_UDATA);
    check_fault("mov 0x23 (DPL 3 data) to ds", 0, -1, 0, 0, 0);
    reset_faults(); probe_load_ss(SEL_UDATA);
    check_fault("mov 0x23 (DPL 3) to ss", 0, 13, SEL_UDATA & ~3, AT, FL_1 | FL_ZF);
    reset_faults(); probe_load_ss(SEL_KCODE);
    check_fault("mov 0x08 (code) to ss", 0, 13, SEL_KCODE, AT, FL_1 | FL_ZF);
    reset_faults(); probe_load_ss(0);
    check_fault("mov 0 (null) to ss", 0, 13, 0, AT, FL_1 | FL_ZF);
}

static void ring3(void)
{
    uint32_t r;
    puts_("ring 3 through iret\n");
    r = enter_user((uint32_t)u_entry_state, UFLAGS, SEL_UDATA);
    check("cs in ring 3", u_cs, SEL_UCODE);
    check("ss in ring 3", u_ss, SEL_UDATA);
    check("ds in ring 3", u_ds, SEL_UDATA);
    check("esp in ring 3", u_esp, (uint32_t)ustack_top);
    check("eflags in ring 3", u_eflags, UFLAGS);
    check("sys_exit value", r, 0x600d);

    puts_("system call int 0x80 (DPL 3 trap gate)\n");
    syscall_hook = basic_syscall;
    enter_user((uint32_t)u_syscall, UFLAGS, SEL_UDATA);
    syscall_hook = 0;
    check("frame ss", sc_tf.ss & 0xFFFF, SEL_UDATA);
    check("frame esp (user esp at int)", sc_tf.esp, u_sc_esp);
    check("frame eflags", sc_tf.eflags, FL_1 | FL_IF | FL_ARITH);
    check("frame cs", sc_tf.cs & 0xFFFF, SEL_UCODE);
    check("frame eip (after int 0x80)", sc_tf.eip, (uint32_t)u_sc_next);
    check("frame at tss.esp0 - 20", sc_frame_at, sc_esp0 - 20);
    check("tss.esp0", sc_esp0, tss.esp0);
    check("ebx passed in", sc_tf.ebx, 0x12345678);
    check("eax returned", u_sc_ret, 0x12345679);
    check("ecx kept", u_sc_ecx_after, 0x0badcafe);
    check("esp after iret", u_sc_esp_after, u_sc_esp);
    check("eflags after iret", u_sc_eflags_after, FL_1 | FL_IF | FL_ARITH);
    check("ds after iret", u_sc_ds_after, SEL_UDATA);

    puts_("exceptions in ring 3 (stack switch to tss.ss0:esp0)\n");
    reset_faults(); enter_user((uint32_t)u_ud, UFLAGS, SEL_UDATA);
    check_fault("ud2", 3, 6, NOERR, AT, UFLAGS | FL_ZF);
    reset_faults(); enter_user((uint32_t)u_de, UFLAGS, SEL_UDATA);
    check_fault("div by zero", 3, 0, NOERR, AT, UFLAGS | FL_OF | FL_CF);
    reset_faults(); enter_user((uint32_t)u_int3, UFLAGS, SEL_UDATA);
    check_fault("int3 (DPL 3 gate)", 3, 3, NOERR, AFTER, UFLAGS | FL_CF);
    reset_faults(); enter_user((uint32_t)u_into, UFLAGS, SEL_UDATA);
    check_fault("into, OF=1 (DPL 3 gate)", 3, 4, NOERR, AFTER, UFLAGS | FL_OF);
    reset_faults(); enter_user((uint32_t)u_int_dpl0, UFLAGS, SEL_UDATA);
    check_fault("int 0x40 (DPL 0 gate)", 3, 13, (VEC_DPL0 << 3) | 2, AT, UFLAGS | FL_SF);
    reset_faults(); enter_user((uint32_t)u_hlt, UFLAGS, SEL_UDATA);
    check_fault("hlt", 3, 13, 0, AT, UFLAGS | FL_PF);
    reset_faults(); enter_user((uint32_t)u_mov_cr0, UFLAGS, SEL_UDATA);
    check_fault("mov cr0, eax", 3, 13, 0, AT, UFLAGS | FL_AF);
    reset_faults(); enter_user((uint32_t)u_lidt, UFLAGS, SEL_UDATA);
    check_fault("lidt", 3, 13, 0, AT, UFLAGS);
    reset_faults();

    puts_("sensitive, unprivileged in ring 3 (no fault on x86)\n");
    enter_user((uint32_t)u_sensitive, UFLAGS, SEL_UDATA);
    check("sgdt limit", u_tables[0] & 0xFFFF, sizeof(gdt) - 1);
    check("sgdt base", (u_tables[0] >> 16) | (u_tables[1] << 16), (uint32_t)gdt);
    check("sidt limit", u_tables[2] & 0xFFFF, sizeof(idt) - 1);
    check("sidt base", (u_tables[2] >> 16) | (u_tables[3] << 16), (uint32_t)idt);
    check("str", u_tables[4], SEL_TSS);
    check("sldt", u_tables[5], 0);
    check("smsw", u_tables[6], 0x00000011);
    check("pushf", u_tables[7], UFLAGS);
}

static void timer(void)
{
    uint32_t r;
    puts_("timer: PIC at 0x20/0x28, PIT channel 0 mode 2, reload 0x04a9\n");
    pit_periodic(0x04A9);

    tick_limit = 3;
    tick_eip_lo = (uint32_t)wait_r0_lo;
    tick_eip_hi = (uint32_t)wait_r0_hi;
    pic_set_mask(0xFE, 0xFF);
    wait_ticks_r0();
    kprintf("  ring 0, sti; hlt: %u ticks\n", ticks);
    check("ticks", ticks, 3);
    check("of them from ring 3", ticks_ring3, 0);
    check("ticks with a bad frame", tick_bad, 0);
    check("ticks with isr != 0x01", tick_isr_bad, 0);
    check("irq0 masked at the limit (imr)", inb(0x21), 0xFF);

    tick_limit = 6;
    tick_eip_lo = (uint32_t)u_tick_lo;
    tick_eip_hi = (uint32_t)u_tick_hi;
    pic_set_mask(0xFE, 0xFF);
    r = enter_user((uint32_t)u_tickloop, UFLAGS, SEL_UDATA);
    kprintf("  ring 3, busy loop on memory: %u ticks\n", ticks - 3);
    check("ticks seen by ring 3", r, 6);
    check("of them from ring 3", ticks_ring3, 3);
    check("ticks with a bad frame", tick_bad, 0);
    check("ticks with isr != 0x01", tick_isr_bad, 0);

    tick_limit = 9;
    tick_eip_lo = 0;
    tick_eip_hi = 0xFFFFFFFF;
    pic_set_mask(0xFE, 0xFF);
    r = enter_user((uint32_t)u_tickloop_sys, UFLAGS, SEL_UDATA);
    kprintf("  ring 3, busy loop on sys_ticks: %u ticks\n", r - 6);
    check("ticks seen by ring 3", r, 9);
    check("ticks counted", ticks, 9);
    check("ticks with a bad frame", tick_bad, 0);
    check("ticks with isr != 0x01", tick_isr_bad, 0);
    pic_set_mask(0xFF, 0xFF);
}

/* The Multiboot command line is "IMAGE ARGS" (QEMU and GRUB put the image
 * path first); ARGS, when there are any, are printed. */
static void cmdline(void)
{
    const uint32_t *mbi = (const uint32_t *)boot_mbi;
    const char *s;
    if (!(mbi[0] & 4))
        return;
    s = (const char *)mbi[4];
    while (*s && *s != ' ')
        s++;
    while (*s == ' ')
        s++;
    if (*s)
        kprintf("command line arguments: [%s]\n", s);
}

void guest_main(void)
{
    cmdline();
    tables();
    ring0_exceptions();
    ring3();
    timer();
}
