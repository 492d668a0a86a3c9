/* smc: self-modifying kernel code, in ring 0. A binary translator must
 * notice every write to guest code it has translated and run the new
 * bytes (issue 15, "Exactness"); a CPU that decodes as it goes does it
 * anyway. The checks: an instruction written into a buffer, run,
 * overwritten and run again (immediate and opcode); a write to the very
 * next instruction and to one later in the same block, with no jump in
 * between; a loop that rewrites its own body while it runs; writes through
 * another segment (a data segment whose base is not 0), by a 4-byte store
 * straddling two instructions, by REP MOVSB and by PUSH; code run through a
 * code segment with another base, and patched between two runs. */
#include "rt.h"

const char guest_name[] = "smc";

#define SEL_DALIAS  0x30    /* data, DPL 0, base 0x1000 */
#define SEL_CALIAS  0x38    /* code, DPL 0, base 0x1000 */

extern uint8_t smc_buf[];
extern uint32_t smc_cs_imm, smc_cs_ret;
uint32_t smc_buf_call(void), smc_next(uint32_t v), smc_later(uint32_t v), smc_loop(void);
uint32_t smc_alias(uint32_t sel, uint32_t v), smc_straddle(uint32_t v);
uint32_t smc_rep(const void *src, uint32_t n), smc_push(uint32_t v), smc_via_cs(uint32_t sel);

/* mov $v, %eax; ret  at smc_buf + at */
static void put_mov_ret(int at, uint32_t v)
{
    smc_buf[at] = 0xb8;
    for (int k = 0; k < 4; k++)
        smc_buf[at + 1 + k] = (uint8_t)(v >> (8 * k));
    smc_buf[at + 5] = 0xc3;
}

static void buffer(void)
{
    puts_("a buffer written, run, overwritten, run again\n");
    put_mov_ret(0, 0x12345678);
    check("mov $0x12345678", smc_buf_call(), 0x12345678);
    put_mov_ret(0, 0x9abcdef0);
    check("immediate rewritten", smc_buf_call(), 0x9abcdef0);
    smc_buf[1] = 0x01;
    check("one byte of it rewritten", smc_buf_call(), 0x9abcde01);
    /* xor %eax,%eax; dec %eax; ret: another instruction, another length */
    smc_buf[0] = 0x31; smc_buf[1] = 0xc0; smc_buf[2] = 0x48; smc_buf[3] = 0xc3;
    check("opcodes rewritten (xor; dec; ret)", smc_buf_call(), 0xffffffff);
    /* a jump to a second block in the buffer, then that block rewritten */
    smc_buf[0] = 0xeb; smc_buf[1] = 30;          /* jmp +30 -> smc_buf + 32 */
    put_mov_ret(32, 0x0badcafe);
    check("jmp to a second block", smc_buf_call(), 0x0badcafe);
    put_mov_ret(32, 0x00c0ffee);
    check("second block rewritten", smc_buf_call(), 0x00c0ffee);
    smc_buf[1] = 0;                               /* jmp +0: falls into smc_buf + 2 */
    put_mov_ret(2, 7);
    check("the jump's target rewritten", smc_buf_call(), 7);
    for (int k = 0; k < 64; k++)
        smc_buf[k] = 0xc3;
}

static void same_block(void)
{
    puts_("writes into the code that runs next (the same page, the same block)\n");
    check("the next instruction's immediate", smc_next(0xa1a2a3a4), 0xa1a2a3a4);
    check("again, another value", smc_next(5), 5);
    check("three instructions later", smc_later(0xb1b2b3b4), 0xb1b2b3b4);
    check("again, another value", smc_later(6), 6);
    check("a loop rewrites its body (inc -> dec)", smc_loop(), (uint32_t)-2);
    check("again, the body put back", smc_loop(), (uint32_t)-2);
}

static void aliases(void)
{
    puts_("writes through other addresses and other instructions\n");
    gdt_set(6, seg_desc(0x1000, 0xFFFFF, 0x93, 0xC));
    gdt_set(7, seg_desc(0x1000, 0xFFFFF, 0x9B, 0xC));
    check("through FS with base 0x1000", smc_alias(SEL_DALIAS, 0xc1c2c3c4), 0xc1c2c3c4);
    check("again, another value", smc_alias(SEL_DALIAS, 9), 9);
    check("a 4-byte write over two instructions", smc_straddle(0x90424444), 0x44444445);
    check("again, put back", smc_straddle(0x904a4444), 0x44444443);
    static const uint8_t mov_ret[] = { 0xb8, 0x78, 0x56, 0x34, 0x12, 0xc3 };
    static const uint8_t xor_inc_ret[] = { 0x31, 0xc0, 0x40, 0x40, 0xc3, 0x90 };
    check("rep movsb: mov $0x12345678; ret", smc_rep(mov_ret, 6), 0x12345678);
    check("rep movsb: xor; inc; inc; ret", smc_rep(xor_inc_ret, 6), 2);
    check("push: mov $7, %al; ret", smc_push(0x90c307b0), 7);
    check("push: mov $8, %al; ret", smc_push(0x90c308b0), 8);
    uint32_t body = smc_via_cs(SEL_CALIAS);
    check("code run through CS with base 0x1000: CALL pushed the offset",
          body + 0x1000 - smc_cs_ret, 0);
    *(volatile uint8_t *)smc_cs_imm = 0x10;
    check("patched through DS, run through that CS", smc_via_cs(SEL_CALIAS), body + 0x10);
    *(volatile uint8_t *)smc_cs_imm = 0;
    check("put back", smc_via_cs(SEL_CALIAS), body);
}

void guest_main(void)
{
    buffer();
    same_block();
    aliases();
}
