/* fwait: what CR0.MP, EM and TS do to FWAIT and x87 instructions, in ring
 * 0 and in ring 3 (SDM vol. 3 2.5, tables 2-1 and 2-2): FWAIT raises #NM
 * when MP and TS are both set; an x87 instruction #NM when EM or TS is.
 * With EM and TS clear, x87 instructions are not tried: QEMU's CPU has an
 * FPU, trapsim's has none (#UD, as CPUID says). Nor MMX: trapsim has none
 * (#UD at any CR0), and QEMU runs EMMS even with EM set, where the SDM
 * says #UD. */
#include "rt.h"

const char guest_name[] = "fwait";

#define CR0_MP 0x2
#define CR0_EM 0x4
#define CR0_TS 0x8
#define NM 7

void k_fwait(void), k_fninit(void), k_fld1(void), k_fnstcw(void);
extern char u_fwait[], u_fld1[];
uint32_t cr0_swap(uint32_t v), cr0_read(void);

static void kcheck(const char *what, void (*probe)(void), int vec)
{
    reset_faults();
    probe();
    check_fault(what, 0, vec, NOERR, AT, FL_1);
}

static void ucheck(const char *what, char *code, int vec)
{
    reset_faults();
    enter_user((uint32_t)code, FL_1, SEL_UDATA);
    check_fault(what, 3, vec, NOERR, AT, FL_1);
}

void guest_main(void)
{
    uint32_t base = cr0_read() & ~(uint32_t)(CR0_MP | CR0_EM | CR0_TS);
    cr0_swap(base);
    for (uint32_t k = 0; k < 8; k++) {
        uint32_t bits = (k & 1 ? CR0_MP : 0) | (k & 2 ? CR0_EM : 0) | (k & 4 ? CR0_TS : 0);
        int mp = (k & 1) != 0, em = (k & 2) != 0, ts = (k & 4) != 0;
        kprintf("CR0.MP %u EM %u TS %u\n", mp, em, ts);
        cr0_swap(base | bits);
        kcheck("fwait", k_fwait, mp && ts ? NM : -1);
        ucheck("fwait", u_fwait, mp && ts ? NM : -1);
        if (em || ts) {
            kcheck("fninit", k_fninit, NM);
            kcheck("fld1", k_fld1, NM);
            kcheck("fnstcw m16", k_fnstcw, NM);
            ucheck("fld1", u_fld1, NM);
        }
        cr0_swap(base);
    }
    puts_("clts clears TS\n");
    cr0_swap(base | CR0_MP | CR0_TS);
    __asm__ volatile("clts");
    kcheck("fwait", k_fwait, -1);
    check("cr0 & (MP|EM|TS)", cr0_swap(base) & (CR0_MP | CR0_EM | CR0_TS), CR0_MP);
}
