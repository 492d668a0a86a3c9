/* The reference kernel of the differential test: runs a batch of cases on
 * QEMU (tests/diff/README.md, "The QEMU reference").
 *
 * It receives the batch as its Multiboot module (batch.h) and, for each
 * case, lays out the case's memory, the descriptor tables (app/raw_tables.h's
 * standard ones, or raw mode's flat table), CR0/CR2/CR3/CR4 and the HLT
 * breakpoints, and enters the case at its CPL with its registers.
 *
 * Two kinds of task:
 * - the case's task, TR = RAW_SEL_TSS as in raw mode.  The controller
 *   (controller() below) runs in it at ring 0 and enters the case from it;
 * - 256 handler tasks, one per vector: every IDT entry is a task gate to
 *   one of them.  Whatever ends a case (an exception, `int N`, int3, the
 *   breakpoint on a HLT) switches to a handler task, which finds the case's
 *   registers in the TSS it came from (its back link), reports the result,
 *   points that TSS at the controller again and IRETs back to it.
 * A task switch pushes nothing on the case's stack (unlike an interrupt
 * gate from ring 0) and works the same at every CPL.  It sets CR0.TS: the
 * controller writes the case's CR0 afresh before each case. */
#include <stdint.h>
#include "app/raw_tables.h"
#include "tests/diff/refkernel/batch.h"

#if REF_GDT_FIRST != RAW_STD_GDT_ENTRIES
#error "batch.h's REF_GDT_FIRST must equal RAW_STD_GDT_ENTRIES"
#endif

typedef struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap;
} tss_t;

#define HANDLER_TSS_BASE 0x00313000u    /* free memory per raw_tables.h */
#define COM1 0x3f8

extern char handler_entry[], controller_entry[], hstack_top[], _end[];
void enter_case(void) __attribute__((noreturn));

/* Read by enter_case (start.S). */
uint32_t ent_cpl, ent_cs, ent_ds, ent_eflags;
uint32_t ent_eax, ent_ebx, ent_ecx, ent_edx, ent_esi, ent_edi, ent_ebp, ent_esp, ent_exit;
struct { uint32_t off; uint16_t sel; } __attribute__((packed)) ent_far;

static const uint8_t *batch, *batch_end;
static uint32_t count, pos;             /* cases in the batch, the current one */
static const ref_case_t *cur;
static const uint8_t *cur_data, *cur_stack, *cur_low;

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void *kmemcpy(void *d, const void *s, uint32_t n)
{
    __asm__ volatile("cld; rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return d;
}

static void kmemset(void *d, int v, uint32_t n)
{
    __asm__ volatile("cld; rep stosb" : "+D"(d), "+c"(n) : "a"(v) : "memory");
}

/* ---- the report: COM1, with the running checksum of batch.h ---- */
static uint32_t sum;

static void putch(char ch)
{
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)ch);
    sum = ref_sum(sum, &ch, 1);
}

static void puts_(const char *s) { while (*s) putch(*s++); }

static void hex(uint32_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        putch("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void field(uint32_t v, int digits) { putch(' '); hex(v, digits); }

static void qemu_exit(uint8_t v)
{
    outb(0xf4, v);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static void fatal(const char *why)
{
    puts_("F ");
    puts_(why);
    putch('\n');
    qemu_exit(3);
}

/* ---- descriptor tables ---- */
static volatile uint64_t *const gdt = (volatile uint64_t *)RAW_STD_GDT_BASE;
static tss_t *const htss = (tss_t *)HANDLER_TSS_BASE;

static tss_t *tss_of(uint16_t sel)
{
    uint64_t d = gdt[sel >> 3];
    return (tss_t *)(uint32_t)(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000));
}

/* raw mode's flat table (app/raw.c without --tables std): entries 0-8 */
static void write_tables(int std)
{
    for (int i = 0; i < RAW_STD_GDT_ENTRIES; i++)
        gdt[i] = (std || i <= 8) ? raw_std_gdt[i] : 0;
    /* the case's TSS, available so that LTR takes it (and marks it busy) */
    gdt[RAW_SEL_TSS >> 3] = RAW_DESC(RAW_STD_TSS_BASE, RAW_STD_TSS_LIMIT, 0x89, 0);
    for (int v = 0; v < 256; v++)
        gdt[REF_GDT_FIRST + v] = RAW_DESC(HANDLER_TSS_BASE + (uint32_t)v * sizeof(tss_t),
                                          RAW_STD_TSS_LIMIT, 0x89, 0);
    volatile uint64_t *ldt = (volatile uint64_t *)RAW_STD_LDT_BASE;
    for (int i = 0; i < RAW_STD_LDT_ENTRIES; i++)
        ldt[i] = std ? raw_std_ldt[i] : 0;
    static const uint32_t tsses[3] = { RAW_STD_TSS_BASE, RAW_STD_TSS_AVAIL_BASE, RAW_STD_TSS_BUSY_BASE };
    for (int i = 0; i < 3; i++) {
        tss_t *t = (tss_t *)tsses[i];
        kmemset(t, 0, sizeof *t);
        t->iomap = RAW_STD_TSS_IOMAP;
    }
    struct { uint16_t limit; uint32_t base; } __attribute__((packed))
        gdtr = { REF_GDT_LIMIT, RAW_STD_GDT_BASE }, idtr = { RAW_STD_IDT_LIMIT, RAW_STD_IDT_BASE };
    __asm__ volatile("lgdt %0; lidt %1" : : "m"(gdtr), "m"(idtr));
    __asm__ volatile("lldt %w0; ltr %w1" : : "r"(0), "r"(RAW_SEL_TSS));
}

static void init_handlers(void)
{
    volatile uint64_t *idt = (volatile uint64_t *)RAW_STD_IDT_BASE;
    for (int v = 0; v < 256; v++) {
        idt[v] = RAW_GATE(REF_SEL_HANDLER(v), 0, 0xe5);       /* task gate, DPL 3 */
        tss_t *t = &htss[v];
        kmemset(t, 0, sizeof *t);
        t->eip = (uint32_t)handler_entry;
        t->esp = (uint32_t)hstack_top;
        t->eflags = 2;
        t->cs = RAW_SEL_CODE(0);
        t->ss = t->ds = t->es = t->fs = t->gs = RAW_SEL_DATA(0);
        t->iomap = RAW_STD_TSS_IOMAP;
    }
}

/* ---- the batch ---- */
static void select_case(void)
{
    const uint8_t *p = (const uint8_t *)cur;
    cur_data = p + sizeof(ref_case_t) + REF_PAD4(cur->code_len);
    cur_stack = cur_data + DATA_SIZE;
    cur_low = cur_stack + REF_PAD4(cur->stack_len);
    if (cur->size < sizeof(ref_case_t) || p + cur->size > batch_end ||
        cur_low + cur->low_len > p + cur->size || cur->code_len > CODE_MAX ||
        cur->stack_lo < STACK_LO || cur->stack_lo + cur->stack_len > STACK_TOP ||
        (cur->low_len != 0 && cur->low_len != LOW_SIZE) || cur->cpl > 3 || cur->nbp > 4)
        fatal("bad case record");
}

static void next_record(void)
{
    pos++;
    cur = (const ref_case_t *)((const uint8_t *)cur + cur->size);
}

static void load_memory(void)
{
    kmemcpy((void *)CODE_BASE, cur + 1, cur->code_len);
    kmemset((void *)(CODE_BASE + cur->code_len), 0, CODE_MAX - cur->code_len);
    kmemcpy((void *)DATA_BASE, cur_data, DATA_SIZE);
    kmemset((void *)STACK_LO, 0, STACK_SIZE);
    kmemcpy((void *)cur->stack_lo, cur_stack, cur->stack_len);
    if (cur->low_len)
        kmemcpy((void *)LOW_BASE, cur_low, LOW_SIZE);
    else
        kmemset((void *)LOW_BASE, 0, LOW_SIZE);
}

/* The case's machine state, then into it. */
void controller(void) __attribute__((noreturn));
void controller(void)
{
    /* QEMU 7.2 can leave garbage in bits of EFLAGS that are always 0 (after
     * a CMPXCHG8B: qemu-deviations.md), for good, and no instruction
     * clears them: ask for a new boot from this case on */
    uint32_t fl;
    __asm__ volatile("pushfl; popl %0" : "=r"(fl));
    if (fl & REF_EFLAGS_ZERO) {
        puts_("P");
        field(pos, 8);
        putch('\n');
        qemu_exit(0);
    }
    if (pos >= count) {
        puts_("E");
        field(count, 8);
        putch('\n');
        qemu_exit(0);
    }
    select_case();
    load_memory();
    /* afresh for every case: a case that broke a task switch (QEMU lets
     * LTR load a null selector) must not leave a handler TSS half-used */
    init_handlers();
    write_tables(cur->std_tables);
    uint32_t dr7 = 0;
    for (int i = 0; i < cur->nbp; i++)
        dr7 |= 1u << (2 * i);                   /* Ln, R/W = 00 (execute), LEN = 00 */
    __asm__ volatile("mov %0, %%dr0; mov %1, %%dr1; mov %2, %%dr2; mov %3, %%dr3"
                     : : "r"(cur->bp[0]), "r"(cur->bp[1]), "r"(cur->bp[2]), "r"(cur->bp[3]));
    __asm__ volatile("mov %0, %%dr6; mov %1, %%dr7" : : "r"(0), "r"(dr7));
    __asm__ volatile("mov %0, %%cr2; mov %0, %%cr3; mov %1, %%cr4; mov %2, %%cr0"
                     : : "r"(0), "r"(cur->cr4), "r"(cur->cr0));
    ent_cpl = cur->cpl;
    ent_cs = RAW_SEL_CODE(cur->cpl);
    ent_ds = RAW_SEL_DATA(cur->cpl);
    ent_eflags = cur->eflags;
    ent_eax = cur->regs[0]; ent_ebx = cur->regs[1]; ent_ecx = cur->regs[2]; ent_edx = cur->regs[3];
    ent_esi = cur->regs[4]; ent_edi = cur->regs[5]; ent_ebp = cur->regs[6]; ent_esp = cur->regs[7];
    ent_far.off = CODE_BASE;
    ent_far.sel = RAW_SEL_CODE(0);
    enter_case();
}

/* The words of an area that differ from `init` (NULL: zero). */
static void report_area(uint32_t base, uint32_t size, const uint8_t *init, uint32_t ilo, uint32_t ihi)
{
    const uint8_t *m = (const uint8_t *)base;
    for (uint32_t a = 0; a < size; a += 4) {
        uint8_t e[4];
        for (int k = 0; k < 4; k++) {
            uint32_t x = base + a + (uint32_t)k;
            e[k] = (init && x >= ilo && x < ihi) ? init[x - ilo] : 0;
        }
        if (m[a] == e[0] && m[a + 1] == e[1] && m[a + 2] == e[2] && m[a + 3] == e[3])
            continue;
        puts_("M");
        field(base + a, 8);
        putch(' ');
        for (int k = 0; k < 4; k++)
            hex(m[a + (uint32_t)k], 2);
        putch('\n');
    }
}

/* In a handler task: the event that ended the case. */
void handler(uint32_t has_err, uint32_t err);
void handler(uint32_t has_err, uint32_t err)
{
    uint16_t tr;
    uint32_t dr6;
    __asm__ volatile("str %0" : "=r"(tr));
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    __asm__ volatile("mov %0, %%dr7" : : "r"(0));
    uint32_t vec = (uint32_t)(tr >> 3) - REF_GDT_FIRST;
    tss_t *ct = tss_of((uint16_t)htss[vec].link);
    if (pos >= count)
        fatal("event after the last case");
    sum = 0;
    puts_("C");
    field(pos, 8);
    field(cur->index_hi, 8);
    hex(cur->index_lo, 8);
    putch('\n');
    if (ct->eip >= 0x01000000u && ct->eip < (uint32_t)_end) {
        puts_("X");                             /* the kernel faulted, not the case */
        field(vec, 2);
        field(ct->eip, 8);
        putch('\n');
    } else {
        puts_("R");
        uint32_t r[10] = { ct->eax, ct->ebx, ct->ecx, ct->edx, ct->esi, ct->edi, ct->ebp, ct->esp,
                           ct->eip, ct->eflags };
        for (int i = 0; i < 10; i++)
            field(r[i], 8);
        putch('\n');
        puts_("V");
        field(vec, 2);
        field(has_err, 1);
        field(err, 8);
        field(dr6, 8);
        putch('\n');
        report_area(DATA_BASE, DATA_SIZE, cur_data, DATA_BASE, DATA_BASE + DATA_SIZE);
        report_area(STACK_LO, STACK_SIZE, cur_stack, cur->stack_lo, cur->stack_lo + cur->stack_len);
        report_area(LOW_BASE, LOW_SIZE, cur->low_len ? cur_low : 0, LOW_BASE, LOW_BASE + LOW_SIZE);
    }
    uint32_t s = sum;
    puts_("K");
    field(s, 8);
    putch('\n');
    next_record();
    /* the task we came from resumes in the controller */
    ct->eip = (uint32_t)controller_entry;
    ct->eflags = 2;
    ct->cs = RAW_SEL_CODE(0);
    ct->ss = ct->ds = ct->es = ct->fs = ct->gs = RAW_SEL_DATA(0);
    ct->ldt = 0;
}

typedef struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
} mb_info_t;

static uint32_t parse_first(const char *s)
{
    uint32_t v = 0;
    for (; s && *s; s++) {
        if (s[0] == 'f' && s[1] == 'i' && s[2] == 'r' && s[3] == 's' && s[4] == 't' && s[5] == '=') {
            for (s += 6; *s >= '0' && *s <= '9'; s++)
                v = v * 10 + (uint32_t)(*s - '0');
            break;
        }
    }
    return v;
}

void kmain(uint32_t magic, const mb_info_t *mbi) __attribute__((noreturn));
void kmain(uint32_t magic, const mb_info_t *mbi)
{
    if (magic != 0x2badb002 || !(mbi->flags & 8) || mbi->mods_count < 1)
        fatal("no Multiboot module (the batch)");
    const uint32_t *mod = (const uint32_t *)mbi->mods_addr;
    batch = (const uint8_t *)mod[0];
    batch_end = (const uint8_t *)mod[1];
    uint32_t first = parse_first((mbi->flags & 4) ? (const char *)mbi->cmdline : 0);
    const ref_batch_t *h = (const ref_batch_t *)batch;
    if ((uint32_t)(batch_end - batch) < sizeof *h || h->magic != REF_MAGIC ||
        h->version != REF_VERSION || h->size != (uint32_t)(batch_end - batch))
        fatal("bad batch header");
    count = h->count;
    cur = (const ref_case_t *)(h + 1);
    while (pos < first && pos < count) {
        select_case();
        next_record();
    }
    /* no interrupt may reach a case: every IRQ masked at both PICs */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    kmemset((void *)RAW_STD_GDT_BASE, 0, 0x10000);
    init_handlers();
    write_tables(0);
    /* flat ring-0 segments of our own GDT */
    __asm__ volatile("ljmp %0, $1f; 1:" : : "i"(RAW_SEL_CODE(0)));
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs; mov %0, %%gs; mov %0, %%ss"
                     : : "r"((uint32_t)RAW_SEL_DATA(0)));
    puts_("B");
    field(count, 8);
    field(first, 8);
    putch('\n');
    controller();
}
