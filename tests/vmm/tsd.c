/* tsd: the guest's CR4.TSD under the VMM (issue 13, item 7). With TSD set,
 * RDTSC raises #GP(0) in rings 1, 2 and 3 and runs in ring 0; with TSD
 * clear it runs everywhere. Under the VMM the real CR4 carries the guest's
 * TSD while the guest runs, and an RDTSC of the guest kernel that faults
 * for it is run on the virtual CPU. Bare, on QEMU and under the VMM with
 * every profile the same. */
#include "rt.h"

const char guest_name[] = "tsd";
const int rt_skip_entry_if = 1;
extern char u_rdtsc[];
void k_rdtsc(void);

#define CR4_TSD 4u

static void set_cr4(uint32_t v) { __asm__ volatile("movl %0, %%cr4" : : "r"(v)); }

static void in_ring(int ring, const char *what, int vec)
{
    static const uint32_t cs[4] = { SEL_KCODE, 0x41, 0x32, SEL_UCODE };
    static const uint32_t ss[4] = { SEL_KDATA, 0x49, 0x3a, SEL_UDATA };
    reset_faults();
    if (ring == 0) {
        k_rdtsc();
        check_fault(what, 0, vec, 0, AT, FL_1);
        return;
    }
    outer_cs = cs[ring];
    outer_ss = ss[ring];
    enter_ring((uint32_t)u_rdtsc, FL_1 | FL_IF, ss[ring], cs[ring], ss[ring]);
    check_fault(what, ring, vec, 0, AT, FL_1 | FL_IF);
}

void guest_main(void)
{
    gdt_set(6, seg_desc(0, 0xFFFFF, 0xDB, 0xC));   /* ring 2 code */
    gdt_set(7, seg_desc(0, 0xFFFFF, 0xD3, 0xC));   /* ring 2 data */
    gdt_set(8, seg_desc(0, 0xFFFFF, 0xBB, 0xC));   /* ring 1 code */
    gdt_set(9, seg_desc(0, 0xFFFFF, 0xB3, 0xC));   /* ring 1 data */
    puts_("CR4.TSD = 1:\n");
    set_cr4(CR4_TSD);
    for (int r = 0; r < 4; r++)
        in_ring(r, "rdtsc", r ? 13 : -1);
    puts_("CR4.TSD = 0:\n");
    set_cr4(0);
    for (int r = 3; r >= 0; r--)
        in_ring(r, "rdtsc", -1);
}
