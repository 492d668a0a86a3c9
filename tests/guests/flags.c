/* flags: what PUSHF, POPF, IRET, CLI, STI, IN and OUT do with IF, IOPL and
 * the other flags in ring 0, in ring 3 with IOPL 0 and in ring 3 with
 * IOPL 3. The ring-3 POPF that silently keeps IF is the instruction that
 * broke Popek and Goldberg's condition on x86. */
#include "rt.h"

const char guest_name[] = "flags";

uint32_t r0_popf(uint32_t v), r0_iret(uint32_t v);
void r0_cli_sti(void);
extern char u_iopl0[], u_iopl3[], u_cli[], u_sti[], u_in[], u_out[], u_indx[], u_ins[];
extern uint32_t uf[16];

#define U0 (FL_1 | FL_IF)           /* ring 3, IOPL 0 */
#define U3 (FL_1 | FL_IF | FL_IOPL) /* ring 3, IOPL 3 */

static void ring0(void)
{
    puts_("ring 0: popf changes IF and IOPL\n");
    check("popf 00000002 (all clear)", r0_popf(FL_1), FL_1);
    check("popf 000088ff (reserved 3,5,15 stay 0)", r0_popf(FL_1 | FL_ARITH | 0x8028), FL_1 | FL_ARITH);
    check("popf 00000000 (bit 1 stays 1)", r0_popf(0), FL_1);
    check("popf 00000202 (IF set)", r0_popf(FL_1 | FL_IF), FL_1 | FL_IF);
    check("popf 00003002 (IOPL 3)", r0_popf(FL_1 | FL_IOPL), FL_1 | FL_IOPL);
    check("popf 00001002 (IOPL 1)", r0_popf(FL_1 | 0x1000), FL_1 | 0x1000);
    check("popf 00000402 (DF)", r0_popf(FL_1 | FL_DF), FL_1 | FL_DF);
    check("popf 00004002 (NT)", r0_popf(FL_1 | FL_NT), FL_1 | FL_NT);
    check("popf 00040002 (AC)", r0_popf(FL_1 | 0x40000), FL_1 | 0x40000);
    check("popf 00010002 (RF is cleared)", r0_popf(FL_1 | FL_RF), FL_1);
    puts_("ring 0: iret to ring 0 changes IF and IOPL\n");
    check("iret efl=00003202", r0_iret(FL_1 | FL_IF | FL_IOPL), FL_1 | FL_IF | FL_IOPL);
    check("iret efl=000008d7", r0_iret(FL_1 | FL_ARITH), FL_1 | FL_ARITH);
    puts_("ring 0: cli and sti\n");
    r0_cli_sti();
    check("after sti", uf[0] & FL_IF, FL_IF);
    check("after cli", uf[1] & FL_IF, 0);
}

static void ring3_iopl0(void)
{
    puts_("ring 3, IOPL 0: popf and iret keep IF and IOPL, silently\n");
    enter_user((uint32_t)u_iopl0, U0, SEL_UDATA);
    check("pushf at entry", uf[0], U0);
    check("popf 000008d7 (IF kept)", uf[1], U0 | FL_ARITH);
    check("popf 00003202 (IOPL kept)", uf[2], U0);
    check("popf 00000602 (DF changes)", uf[3], U0 | FL_DF);
    check("iret efl=00003002 (IOPL and IF kept)", uf[4], U0);
    check("iret efl=000008d7 (arithmetic change)", uf[5], U0 | FL_ARITH);
    check("popf 00004202 (NT changes)", uf[6], U0 | FL_NT);

    puts_("ring 3, IOPL 0: cli, sti, in, out fault\n");
    reset_faults(); enter_user((uint32_t)u_cli, U0, SEL_UDATA);
    check_fault("cli", 3, 13, 0, AT, U0 | FL_CF);
    reset_faults(); enter_user((uint32_t)u_sti, U0, SEL_UDATA);
    check_fault("sti", 3, 13, 0, AT, U0 | FL_ZF);
    reset_faults(); enter_user((uint32_t)u_in, U0, SEL_UDATA);
    check_fault("in al, 0x21", 3, 13, 0, AT, U0 | FL_SF);
    reset_faults(); enter_user((uint32_t)u_out, U0, SEL_UDATA);
    check_fault("out 0x80, al", 3, 13, 0, AT, U0 | FL_OF);
    reset_faults(); enter_user((uint32_t)u_indx, U0, SEL_UDATA);
    check_fault("in al, dx", 3, 13, 0, AT, U0 | FL_PF);
    reset_faults(); enter_user((uint32_t)u_ins, U0, SEL_UDATA);
    check_fault("insb", 3, 13, 0, AT, U0 | FL_AF);
    reset_faults();
}

static void ring3_iopl3(void)
{
    puts_("ring 3, IOPL 3: IF is the program's, IOPL is not\n");
    enter_user((uint32_t)u_iopl3, U3, SEL_UDATA);
    check("pushf at entry (iret from ring 0 set IOPL 3)", uf[0], U3);
    check("cli", uf[1], U3 & ~FL_IF);
    check("sti", uf[2], U3);
    check("popf 00000002 (IF clears, IOPL kept)", uf[3], U3 & ~FL_IF);
    check("popf 00000202", uf[4], U3);
    check("iret efl=00000002 (IF clears, IOPL kept)", uf[5], U3 & ~FL_IF);
    check("iret efl=00003202", uf[6], U3);
    check("in al, 0x21 (imr)", uf[7], 0xFF);
    check("out 0x21, 0xfb; in al, 0x21", uf[8], 0xFB);
    check("imr back", inb(0x21), 0xFF);
}

void guest_main(void)
{
    ring0();
    ring3_iopl0();
    ring3_iopl3();
}
