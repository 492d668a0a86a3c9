/* ring2: code in the guest's rings 1 and 2 has none of the guest kernel's
 * rights (issue 13, item 2). Bare, on QEMU and under the VMM with every
 * profile: CLI, STI, IN, OUT (IOPL 0), MOV to and from CR0, LGDT, LIDT, HLT
 * and a load of the kernel's data segment raise #GP in rings 1 and 2, the
 * frame on the stack the TSS names for ring 0 with the ring's own SS:ESP;
 * with IOPL 1, ring 1 may run CLI, STI, IN and OUT and ring 2 may not; a
 * system call from either ring arrives on TSS.ESP0.
 *
 * Under the VMM the guest's ring 0 runs in ring 1 and its rings 1 and 2 in
 * ring 2 (README, "Ring compression"): the VMM must tell them apart. */
#include "rt.h"

const char guest_name[] = "ring2";
const int rt_skip_entry_if = 1;

#define SEL_R2CODE 0x32     /* 6: code, DPL 2 */
#define SEL_R2DATA 0x3a     /* 7: data, DPL 2 */
#define SEL_R1CODE 0x41     /* 8: code, DPL 1 */
#define SEL_R1DATA 0x49     /* 9: data, DPL 1 */

extern char r_cli[], r_sti[], r_in[], r_out[], r_to_cr0[], r_from_cr0[], r_lgdt[], r_lidt[], r_hlt[];
extern char r_load_kdata[], r_rdtsc[], r1_cli[], r1_sti[], r1_in[], r1_out[], r_syscall[];
extern uint16_t r_sel;

static uint32_t syscall_cs, syscall_ss;

/* SYS_GUEST: 1 when the frame is at TSS.ESP0 with the caller's CS, SS, ESP. */
static void hook(struct trapframe *tf)
{
    tf->eax = (uint32_t)&tf->eip == tss.esp0 - 20 && (tf->cs & 0xffff) == syscall_cs &&
              (tf->ss & 0xffff) == syscall_ss && tf->esp == (uint32_t)ustack_top;
}

/* Runs `probe` in `ring` with EFLAGS `fl` and checks what it raised. */
static void probe(int ring, const char *what, char *probe, uint32_t fl, int vec, int err)
{
    outer_cs = ring == 1 ? SEL_R1CODE : SEL_R2CODE;
    outer_ss = ring == 1 ? SEL_R1DATA : SEL_R2DATA;
    reset_faults();
    enter_ring((uint32_t)probe, fl, outer_ss, outer_cs, outer_ss);
    check_fault(what, ring, vec, err, AT, fl);
}

/* Everything a ring's code may not do at IOPL 0, and a system call. */
static void iopl0(int ring)
{
    uint32_t fl = FL_1 | FL_IF;
    kprintf("ring %d, IOPL 0:\n", ring);
    probe(ring, "cli", r_cli, fl, 13, 0);
    probe(ring, "sti", r_sti, fl, 13, 0);
    probe(ring, "in $0x21", r_in, fl, 13, 0);
    probe(ring, "out $0x80", r_out, fl, 13, 0);
    probe(ring, "mov to cr0", r_to_cr0, fl, 13, 0);
    probe(ring, "mov from cr0", r_from_cr0, fl, 13, 0);
    probe(ring, "lgdt", r_lgdt, fl, 13, 0);
    probe(ring, "lidt", r_lidt, fl, 13, 0);
    probe(ring, "hlt", r_hlt, fl, 13, 0);
    r_sel = SEL_KDATA | (uint16_t)ring;
    probe(ring, "mov kernel data to ds", r_load_kdata, fl, 13, SEL_KDATA);
    probe(ring, "rdtsc (CR4.TSD 0)", r_rdtsc, fl, -1, 0);
    syscall_cs = outer_cs;
    syscall_ss = outer_ss;
    check("  system call: frame on TSS.ESP0 with this ring's SS:ESP",
          enter_ring((uint32_t)r_syscall, fl, outer_ss, outer_cs, outer_ss), 1);
}

/* IOPL 1: ring 1 may run CLI, STI, IN and OUT, ring 2 may not. */
static void iopl1(int ring)
{
    uint32_t fl = FL_1 | FL_IF | 0x1000;
    int vec = ring <= 1 ? -1 : 13;
    kprintf("ring %d, IOPL 1:\n", ring);
    probe(ring, "cli", r1_cli, fl, vec, 0);
    probe(ring, "sti", r1_sti, fl, vec, 0);
    probe(ring, "in $0x21", r1_in, fl, vec, 0);
    probe(ring, "out $0x80", r1_out, fl, vec, 0);
}

void guest_main(void)
{
    gdt_set(6, seg_desc(0, 0xFFFFF, 0xDB, 0xC));   /* ring 2 code */
    gdt_set(7, seg_desc(0, 0xFFFFF, 0xD3, 0xC));   /* ring 2 data */
    gdt_set(8, seg_desc(0, 0xFFFFF, 0xBB, 0xC));   /* ring 1 code */
    gdt_set(9, seg_desc(0, 0xFFFFF, 0xB3, 0xC));   /* ring 1 data */
    syscall_hook = hook;
    /* In this order, so that under --isa x86 (where the kernel's IRET to
     * ring 2 and its POPF run without a trap and cannot set IOPL) the IOPL
     * the VMM knows is the one each frame holds. */
    iopl0(2);
    iopl0(1);
    iopl1(1);
    iopl1(2);
}
