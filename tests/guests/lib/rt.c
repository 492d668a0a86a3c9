/* Runtime of the test guests: console, checks, descriptor tables, trap
 * dispatch, PIC and PIT (see rt.h). */
#include "rt.h"

extern char kstack_top[];
void gdt_load(const void *gdtr);

uint32_t boot_magic, boot_mbi, boot_eflags;
uint64_t gdt[GDT_ENTRIES];
uint64_t idt[256];
struct tss tss;

volatile uint32_t probe_recover, probe_insn, probe_esp;
volatile struct fault faults[MAX_FAULTS];
volatile uint32_t nfaults;
volatile uint32_t ticks, tick_limit, ticks_ring3;
volatile uint32_t tick_eip_lo, tick_eip_hi, tick_bad, tick_isr_bad;
void (*syscall_hook)(struct trapframe *tf);
uint32_t outer_cs, outer_ss;

static uint32_t nchecks, nfailed;

#ifdef RT_PV
int pv_on;
volatile pv_shared_t pv_shared __attribute__((aligned(16)));
static char pv_line[128];
static unsigned pv_nline;

static void pv_console_flush(void)
{
    if (pv_nline)
        pv_hypercall(PV_console_write, (uint32_t)pv_line, pv_nline, 0);
    pv_nline = 0;
}

static uint32_t pv_port(uint16_t port, uint8_t dir, uint8_t v)
{
    pv_port_op_t op = { port, 1, dir, v };
    pv_console_flush();     /* what was printed comes first */
    pv_hypercall(PV_port_io, (uint32_t)&op, 1, 0);
    return op.value;
}

void pv_outb(uint16_t port, uint8_t v) { pv_port(port, PV_PORT_OUT, v); }
uint8_t pv_inb(uint16_t port) { return (uint8_t)pv_port(port, PV_PORT_IN, 0); }

int memcmp(const void *a, const void *b, unsigned n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}
#define PV_ONLY(...) __VA_ARGS__
#else
#define PV_ONLY(...)
#endif

/* ---- console: COM1 THR, polling LSR.THRE ---- */
#define COM1 0x3F8

static void uart_init(void)
{
    outb(COM1 + 1, 0x00);   /* IER: no interrupts */
    outb(COM1 + 3, 0x80);   /* LCR: DLAB = 1 */
    outb(COM1 + 0, 0x01);   /* divisor 1 (115200 baud): prints nothing */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* LCR: 8N1, DLAB = 0 */
    outb(COM1 + 2, 0xC7);   /* FCR */
    outb(COM1 + 4, 0x03);   /* MCR: DTR, RTS */
}

void putch(char c)
{
    PV_ONLY(if (pv_on) {
        pv_line[pv_nline++] = c;
        if (c == '\n' || pv_nline == sizeof pv_line)
            pv_console_flush();
        return;
    })
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)c);
}

void puts_(const char *s)
{
    while (*s)
        putch(*s++);
}

static void put_uint(uint32_t v, unsigned base, int width)
{
    char buf[12];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n < width)
        buf[n++] = '0';
    while (n)
        putch(buf[--n]);
}

static void vkprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putch(*fmt);
            continue;
        }
        int width = 0;
        fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 's': puts_(va_arg(ap, const char *)); break;
        case 'c': putch((char)va_arg(ap, int)); break;
        case 'u': put_uint(va_arg(ap, uint32_t), 10, width); break;
        case 'd': {
            int32_t v = va_arg(ap, int32_t);
            if (v < 0) {
                putch('-');
                v = -v;
            }
            put_uint((uint32_t)v, 10, width);
            break;
        }
        case 'x': put_uint(va_arg(ap, uint32_t), 16, width); break;
        case '%': putch('%'); break;
        default: putch('?'); break;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
}

/* ---- exit and checks ---- */
__attribute__((noreturn)) void guest_exit(uint32_t code)
{
    PV_ONLY(if (pv_on) {
        pv_events_mask(&pv_shared);
        outb(0xF4, (uint8_t)code);
        for (;;)
            pv_hypercall(PV_sched_op, PV_SCHEDOP_block, 0, 0);
    })
    __asm__ volatile("cli");
    outb(0xF4, (uint8_t)code);
    for (;;)
        __asm__ volatile("hlt");
}

void check(const char *what, uint32_t got, uint32_t want)
{
    nchecks++;
    if (got == want) {
        kprintf("  %s: %08x ok\n", what, got);
    } else {
        nfailed++;
        kprintf("  %s: %08x FAIL, expected %08x\n", what, got, want);
    }
}

void verdict(int ok)
{
    nchecks++;
    if (!ok)
        nfailed++;
    puts_(ok ? ": ok\n" : ": FAIL\n");
}

static const char *const exc_name[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#09", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
    "#24", "#25", "#26", "#27", "#28", "#HV", "#VC", "#SX",
};

static int vec_has_err(uint32_t vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 ||
           vec == 29 || vec == 30;
}

void reset_faults(void)
{
    nfaults = 0;
    probe_recover = 0;
}

/* EFLAGS as printed from an exception frame: RF is left out, because the
 * SDM sets it in the image of a fault and QEMU's TCG does not. */
#define FRAME_EFLAGS(f) ((f) & ~FL_RF)

static void put_err(int haserr, uint32_t err)
{
    if (haserr)
        kprintf("%04x", err);
    else
        puts_("none");
}

void check_fault(const char *what, int ring, int vec, int err, int where,
                 uint32_t eflags)
{
    uint32_t n = nfaults;
    volatile struct fault *f = &faults[0];
    uint32_t want_cs = ring == 3 ? SEL_UCODE : ring ? outer_cs : SEL_KCODE;
    uint32_t want_ss = ring == 3 ? SEL_UDATA : outer_ss;
    uint32_t want_frame = (ring ? 20 : 12) + (err >= 0 ? 4 : 0);
    int ok;

    nchecks++;
    kprintf("  ring %d %s: ", ring, what);
    if (n == 0) {
        puts_("no fault");
        ok = vec < 0;
    } else {
        kprintf("%s vec=%02x err=", f->vec < 32 ? exc_name[f->vec] : "int", f->vec);
        put_err(f->haserr, f->err);
        kprintf(" eip=%08x %s cs=%04x efl=%08x",
                f->eip, f->eip == f->at ? "at" : f->eip == f->next ? "after" : "elsewhere",
                f->cs, FRAME_EFLAGS(f->eflags));
        if ((f->cs & 3) != 0)
            kprintf(" ss=%04x esp=%08x", f->ss, f->esp);
        kprintf(" frame=%u", f->frame);
        if (n > 1)
            kprintf(" (+%u more)", n - 1);
        ok = n == 1 && vec >= 0 && f->vec == (uint32_t)vec &&
             f->haserr == (err >= 0) && (err < 0 || f->err == (uint32_t)err) &&
             f->eip == (where == AT ? f->at : f->next) && f->cs == want_cs &&
             FRAME_EFLAGS(f->eflags) == eflags && f->frame == want_frame &&
             (ring == 0 || (f->ss == want_ss && f->esp == probe_esp));
    }
    if (ok) {
        puts_(": ok\n");
        return;
    }
    nfailed++;
    puts_(": FAIL, expected ");
    if (vec < 0) {
        puts_("no fault\n");
        return;
    }
    kprintf("vec=%02x err=", (uint32_t)vec);
    put_err(err >= 0, (uint32_t)err);
    kprintf(" %s cs=%04x efl=%08x frame=%u", where == AT ? "at" : "after",
            want_cs, eflags, want_frame);
    if (ring)
        kprintf(" ss=%04x esp=%08x", want_ss, probe_esp);
    putch('\n');
}

/* ---- descriptors ---- */
uint64_t seg_desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    uint32_t lo = (limit & 0xFFFF) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xFF) | (access << 8) | (limit & 0xF0000) |
                  ((flags & 0xF) << 20) | (base & 0xFF000000);
    return ((uint64_t)hi << 32) | lo;
}

void gdt_set(int index, uint64_t desc)
{
    gdt[index] = desc;
}

void idt_set(int vec, uint32_t handler, uint16_t sel, uint8_t type_attr)
{
    uint32_t lo = (handler & 0xFFFF) | ((uint32_t)sel << 16);
    uint32_t hi = (handler & 0xFFFF0000) | ((uint32_t)type_attr << 8);
    idt[vec] = ((uint64_t)hi << 32) | lo;
}

#ifdef RT_PV
void seg_reload(void);

/* The IDT as a trap table; IRQ0's stub takes the timer events (no PIC).
 * The handlers are trap gates (no PV_TI_MASK_EVENTS): the virtual IF stays
 * as it was, so the common IRET needs nothing; only the event callback
 * masks, and irq0 unmasks as it returns. */
static void pv_load_idt(void)
{
    static pv_trap_info_t traps[256];
    int n = 0;
    for (int v = 0; v < 256; v++) {
        uint32_t lo = (uint32_t)idt[v], hi = (uint32_t)(idt[v] >> 32);
        if ((v >= VEC_IRQ0 && v < VEC_IRQ0 + 16) || v == PV_HYPERCALL_VECTOR)
            continue;
        traps[n++] = (pv_trap_info_t){ (uint8_t)v, (uint8_t)(hi >> 13 & 3),
                                       (uint16_t)(lo >> 16 | PV_KERNEL_RPL), (hi & 0xFFFF0000) | (lo & 0xFFFF) };
    }
    pv_hypercall(PV_set_trap_table, (uint32_t)traps, (uint32_t)n, 0);
    pv_hypercall(PV_set_callback, SEL_KCODE | PV_KERNEL_RPL, (uint32_t)vector_stubs + 16 * VEC_IRQ0, 0);
    pv_hypercall(PV_set_fast_trap, VEC_SYSCALL, 1, 0);
}
#endif

static struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
} gdtr, idtr;

static void tables_init(void)
{
    /* Code and data descriptors have their accessed bit set already, so
     * that LAR reads the same whether or not a CPU writes it back. */
    gdt_set(1, seg_desc(0, 0xFFFFF, 0x9B, 0xC));          /* ring 0 code */
    gdt_set(2, seg_desc(0, 0xFFFFF, 0x93, 0xC));          /* ring 0 data */
    gdt_set(3, seg_desc(0, 0xFFFFF, 0xFB, 0xC));          /* ring 3 code */
    gdt_set(4, seg_desc(0, 0xFFFFF, 0xF3, 0xC));          /* ring 3 data */
    tss.ss0 = SEL_KDATA;
    tss.esp0 = (uint32_t)kstack_top;
    tss.iomap = sizeof(tss);                              /* no I/O bitmap */
    gdt_set(5, seg_desc((uint32_t)&tss, sizeof(tss) - 1, 0x89, 0x0));
    gdtr.limit = sizeof(gdt) - 1;
    gdtr.base = (uint32_t)gdt;
#ifdef RT_PV
    if (pv_on) {
        pv_hypercall(PV_set_gdt, (uint32_t)gdt, GDT_ENTRIES, 0);
        seg_reload();
        pv_hypercall(PV_stack_switch, SEL_KDATA | PV_KERNEL_RPL, tss.esp0, 0);
    } else
#endif
    {
    gdt_load(&gdtr);
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
    __asm__ volatile("lldt %w0" : : "r"(0));                 /* no LDT */
    }

    for (int v = 0; v < 256; v++)
        idt_set(v, (uint32_t)vector_stubs + 16 * v, SEL_KCODE, 0x8E);
    idt_set(3, (uint32_t)vector_stubs + 16 * 3, SEL_KCODE, 0xEE);    /* int3: DPL 3 */
    idt_set(4, (uint32_t)vector_stubs + 16 * 4, SEL_KCODE, 0xEE);    /* into: DPL 3 */
    idt_set(VEC_SYSCALL, (uint32_t)vector_stubs + 16 * VEC_SYSCALL, SEL_KCODE,
            0xEF);                                                    /* trap gate, DPL 3 */
    idtr.limit = sizeof(idt) - 1;
    idtr.base = (uint32_t)idt;
    PV_ONLY(if (pv_on) {
        pv_load_idt();
        return;
    })
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

/* ---- PIC and PIT ---- */
void pic_set_mask(uint8_t master, uint8_t slave)
{
    outb(0x21, master);
    outb(0xA1, slave);
}

void pic_remap_masked(void)
{
    outb(0x20, 0x11);   /* ICW1: edge, cascade, ICW4 */
    outb(0xA0, 0x11);
    outb(0x21, 0x20);   /* ICW2: vector bases */
    outb(0xA1, 0x28);
    outb(0x21, 0x04);   /* ICW3: slave on IR2 */
    outb(0xA1, 0x02);
    outb(0x21, 0x01);   /* ICW4: 8086 mode */
    outb(0xA1, 0x01);
    pic_set_mask(0xFF, 0xFF);
}

void pit_periodic(uint16_t reload)
{
    outb(0x43, 0x34);   /* channel 0, lobyte/hibyte, mode 2, binary */
    outb(0x40, reload & 0xFF);
    outb(0x40, reload >> 8);
}

/* ---- traps ---- */
static void unexpected(struct trapframe *tf)
{
    kprintf("FAIL: unexpected trap vec=%02x err=%08x eip=%08x cs=%04x efl=%08x",
            tf->vec, tf->err, tf->eip, tf->cs, tf->eflags);
    if ((tf->cs & 3) == 3)
        kprintf(" ss=%04x esp=%08x", tf->ss, tf->esp);
    kprintf("\n%s: stopped\n", guest_name);
    guest_exit(0x7F);
}

static void irq0(struct trapframe *tf)
{
    ticks++;
    if ((tf->cs & 3) == 3) {
        ticks_ring3++;
        /* From ring 3 the frame sits at the top of the TSS stack. */
        if ((uint32_t)&tf->eip != tss.esp0 - 20 || (tf->ss & 0xFFFF) != SEL_UDATA ||
            tf->esp != (uint32_t)ustack_top)
            tick_bad++;
    }
    if (tf->eip < tick_eip_lo || tf->eip >= tick_eip_hi || !(tf->eflags & FL_IF))
        tick_bad++;
    PV_ONLY(if (pv_on) {          /* the event's "EOI": its pending bit */
        pv_shared.pending &= ~(1u << PV_EVENT_TIMER);
        pv_shared.upcall_pending = pv_shared.pending != 0;
        if (ticks >= tick_limit)
            pv_hypercall(PV_set_timer, 0, 0, 0);
        if (tf->eflags & FL_IF)     /* back to a context with events on */
            pv_events_unmask(&pv_shared);
        return;
    })
    outb(0x20, 0x0B);   /* OCW3: read ISR */
    if (inb(0x20) != 0x01)
        tick_isr_bad++;
    outb(0x20, 0x0A);   /* OCW3: read IRR */
    if (ticks >= tick_limit)
        outb(0x21, inb(0x21) | 0x01);
    outb(0x20, 0x20);   /* non-specific EOI */
}

void trap(struct trapframe *tf)
{
    uint32_t vec = tf->vec;

    if (vec == VEC_SYSCALL) {
        switch (tf->eax) {
        case SYS_EXIT: user_return(tf->ebx);
        case SYS_TICKS: tf->eax = ticks; return;
        default:
            if (syscall_hook) {
                syscall_hook(tf);
                return;
            }
            unexpected(tf);
        }
    }
    if (vec == VEC_IRQ0) {
        irq0(tf);
        return;
    }
    if (probe_recover && nfaults < MAX_FAULTS) {
        volatile struct fault *f = &faults[nfaults++];
        int user = (tf->cs & 3) != 0;   /* from an outer ring: SS:ESP pushed, on TSS.ESP0 */
        uint32_t lowest = (uint32_t)&tf->eip - (vec_has_err(vec) ? 4 : 0);
        f->vec = vec;
        f->haserr = vec_has_err(vec);
        f->err = f->haserr ? tf->err : 0;
        f->eip = tf->eip;
        f->cs = tf->cs & 0xFFFF;    /* the upper halves of the CS and SS slots are not compared */
        f->eflags = tf->eflags;
        f->esp = user ? tf->esp : 0;
        f->ss = user ? tf->ss & 0xFFFF : 0;
        f->at = probe_insn;
        f->next = probe_recover;
        f->frame = (user ? tss.esp0 : probe_esp) - lowest;
        tf->eip = probe_recover;
        probe_recover = 0;
        return;
    }
    unexpected(tf);
}

/* ---- entry ---- */
void *memset(void *d, int c, unsigned n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

__attribute__((noreturn)) void rt_main(void);
__attribute__((noreturn)) void rt_main(void)
{
    PV_ONLY(if (pv_detect()) {
        pv_on = 1;
        pv_hypercall(PV_register_shared, (uint32_t)&pv_shared, 0, 0);
    } else)
    uart_init();
    kprintf("%s: start\n", guest_name);
    check("multiboot magic (eax)", boot_magic, MB_BOOT_MAGIC);
    if (!&rt_skip_entry_if || !rt_skip_entry_if)
        check("eflags.if at entry", boot_eflags & FL_IF, 0);
    tables_init();
    pic_remap_masked();
    guest_main();
    kprintf("%s: %u checks, %u failed\n", guest_name, nchecks, nfailed);
    guest_exit(nfailed > 0x7F ? 0x7F : nfailed);
}
