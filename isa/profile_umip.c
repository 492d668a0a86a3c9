/* umip: x86 as processors since about 2017 run it with CR4.UMIP = 1:
 * SGDT, SIDT, SLDT, SMSW and STR raise #GP(0) outside ring 0; everything
 * else is x86. It closes the table leaks but leaves POPF broken. */
#include "isa/isa.h"

static int umip_faults(const isa_insn_t *insn, const isa_row_info_t *row)
{
    (void)row;
    switch (insn->row) {
    case ROW_SGDT: case ROW_SIDT: case ROW_SLDT: case ROW_SMSW: case ROW_STR:
        return 1;
    default:
        return 0;
    }
}

const isa_profile_t isa_profile_umip = {
    .name = "umip",
    .summary = "x86 with CR4.UMIP (2017+): table reads fault outside ring 0, POPF still does not",
    .faults_outside_ring0 = umip_faults,
};
