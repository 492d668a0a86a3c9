/* tf-emul: the single-step trap after every instruction, in ring 0 and in
 * ring 3 (IOPL 3): #DB with DR6.BS, EIP after the instruction. Under the
 * VMM most of them are trapped and emulated (OUT, IN, CLI, STI, LIDT, MOV
 * CR0; under pg also PUSHF, POPF and the segment pushes), and the #DB must
 * come all the same. MOV SS and POP SS hold it back one instruction.
 * Not here: STI, after which QEMU holds the trap back as after MOV SS,
 * where the SDM (6.8.3) delays only interrupts (tests/unit/test_intr.c). */
#include "rt.h"

const char guest_name[] = "tf-emul";

volatile uint32_t db_count, db_eip, db_dr6, step_want;
extern char db_handler[];
void k_nop(void), k_outimm(void), k_outdx(void), k_inimm(void), k_cli(void), k_pushf(void),
     k_lidt(void), k_lgdt(void), k_pushds(void), k_movds(void), k_movcr0(void), k_clts(void), k_smsw(void),
     k_popf(void), k_movss(void), k_popss(void);
extern char u_nop[], u_outimm[], u_inimm[], u_cli[], u_pushf[], u_pushds[], u_popf[];

static void expect_one_step(const char *what)
{
    kprintf("  %s: #DB x%u, eip %s, DR6.BS %u", what, db_count,
            db_eip == step_want ? "after it" : "elsewhere", (db_dr6 >> 14) & 1);
    verdict(db_count == 1 && db_eip == step_want && (db_dr6 & 0x4000));
    db_count = 0;
    db_eip = 0;
    db_dr6 = 0;
}

static void kstep(const char *what, void (*probe)(void))
{
    probe();
    __asm__ volatile("cli");
    expect_one_step(what);
}

static void ustep(const char *what, char *code)
{
    enter_user((uint32_t)code, FL_1 | FL_IOPL, SEL_UDATA);
    expect_one_step(what);
}

void guest_main(void)
{
    idt_set(1, (uint32_t)db_handler, SEL_KCODE, 0x8E);
    puts_("ring 0: single-step\n");
    kstep("nop", k_nop);
    kstep("out imm8, al", k_outimm);
    kstep("out dx, al", k_outdx);
    kstep("in al, imm8", k_inimm);
    kstep("cli", k_cli);
    kstep("pushf", k_pushf);
    kstep("popf (clears TF)", k_popf);
    kstep("lidt", k_lidt);
    kstep("lgdt", k_lgdt);
    kstep("push ds", k_pushds);
    kstep("mov ds", k_movds);
    kstep("mov cr0", k_movcr0);
    kstep("clts", k_clts);
    kstep("smsw", k_smsw);
    kstep("mov ss (trap after the next)", k_movss);
    kstep("pop ss (trap after the next)", k_popss);
    puts_("ring 3, IOPL 3: single-step\n");
    ustep("nop", u_nop);
    ustep("out imm8, al", u_outimm);
    ustep("in al, imm8", u_inimm);
    ustep("cli", u_cli);
    ustep("pushf", u_pushf);
    ustep("popf (clears TF)", u_popf);
    ustep("push ds", u_pushds);
}
