/* pg: IA-32 as the Popek-Goldberg theorem needs it. Every sensitive
 * instruction is privileged: outside ring 0 it raises #GP(0) before any
 * effect, so a VMM sees it. CLI, STI and the I/O instructions trap whatever
 * the IOPL. INT n, INT3 and INTO still go through the IDT: entering the
 * supervisor is their job. */
#include "isa/isa.h"

static int pg_faults(const isa_insn_t *insn, const isa_row_info_t *row)
{
    (void)insn;
    return isa_row_is_sensitive(row);
}

const isa_profile_t isa_profile_pg = {
    .name = "pg",
    .summary = "Popek-Goldberg IA-32: every sensitive instruction traps outside ring 0",
    .faults_outside_ring0 = pg_faults,
};
