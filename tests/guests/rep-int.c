/* rep-int: REP OUTSB and REP INSB of 131,073 bytes in ring 0, then at once
 * INT n, INT3, INTO, UD2: each must reach its handler, with EIP after it
 * (before it for UD2's fault), and the REP must have run to ECX = 0. Under
 * the VMM the I/O instructions trap and are emulated chunk by chunk; no
 * state of the last chunk may swallow the next instruction's event. */
#include "rt.h"

const char guest_name[] = "rep-int";

uint32_t k_outs_int(void), k_outs_int3(void), k_outs_into(void), k_ins_int(void), k_outs_ud2(void);

static void rep_check(const char *what, uint32_t (*probe)(void), int vec, int where, uint32_t fl)
{
    reset_faults();
    uint32_t ecx = probe();
    check_fault(what, 0, vec, NOERR, where, fl);
    check("  ecx after the rep", ecx, 0);
}

void guest_main(void)
{
    puts_("ring 0: rep outsb/insb of 0x20001 bytes, then\n");
    rep_check("int 0x41", k_outs_int, 0x41, AFTER, FL_1);
    rep_check("int3", k_outs_int3, 3, AFTER, FL_1);
    rep_check("into (OF = 1)", k_outs_into, 4, AFTER, FL_1 | FL_OF);
    rep_check("insb, int 0x41", k_ins_int, 0x41, AFTER, FL_1);
    rep_check("ud2", k_outs_ud2, 6, AT, FL_1);
}
