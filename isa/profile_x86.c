/* x86: the faithful IA-32. Sensitive-but-unprivileged instructions run
 * at every ring without a trap; POPF and IRET silently keep IF and IOPL
 * where the CPL does not allow changing them. */
#include "isa/isa.h"

const isa_profile_t isa_profile_x86 = {
    .name = "x86",
    .summary = "faithful IA-32: 17 sensitive instructions do not trap (Popek-Goldberg broken)",
    .faults_outside_ring0 = NULL,
};
