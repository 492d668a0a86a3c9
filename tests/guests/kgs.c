/* kgs: the guest kernel's %gs and PUSHF, where a binary translator keeps
 * its own state (issue 15: in its translation cache, %gs reaches the
 * VMM's state page and PUSHF is inline code): every use of GS in ring 0
 * (MOV to and from GS, PUSH and POP GS, LGS, %gs: overrides) sees the
 * guest's own segment; PUSHF with flags set and with IF cleared by CLI
 * pushes them all, leaves the flags and ECX as they were and writes nothing
 * below the dword it pushes; PUSHFW; PUSHFL on a 16-bit stack. */
#include "rt.h"

const char guest_name[] = "kgs";

uint32_t gsbuf[64] __attribute__((aligned(256)));
uint8_t stk16[256] __attribute__((aligned(256)));
extern uint32_t k_sp16;
void k_gs(uint32_t out[6]), k_pushf(uint32_t out[8]);
uint32_t k_pushf16(void);

#define FL_SET 0x40cd5u   /* CF PF AF ZF SF DF OF AC */

void guest_main(void)
{
    gdt_set(6, seg_desc((uint32_t)gsbuf, 0xff, 0x92, 0x4));
    gdt_set(7, seg_desc((uint32_t)stk16, 0xffff, 0x92, 0x0));

    uint32_t g[6];
    puts_("%gs in ring 0\n");
    k_gs(g);
    check("store and load through %gs:4", g[0], 0x11223344);
    check("the same word through DS", gsbuf[1], 0x11223344);
    check("mov %gs,%ax", g[1], 0xffff0030);
    check("push %gs", g[2], 0x30);
    check("pop %gs (SEL_KDATA), mov %gs,%ax", g[3], 0xffff0010);
    check("lgs: the offset", g[4], 0x11111111);
    check("lgs: %gs:4 through the loaded segment", g[5], 0x11223344);

    uint32_t f[8];
    puts_("pushf in ring 0\n");
    k_pushf(f);
    check("pushfl with IF", f[0], FL_SET | 0x202);
    check("pushfl after cli", f[1], FL_SET | 0x002);
    check("pushfl right after a pushfl", f[2], f[3]);
    check("the flags it kept", f[3], FL_SET | 0x002);
    check("ecx after pushfl", f[4], 0xdeadbeef);
    check("the dword below the pushed one", f[5], 0x5a5a5a5a);
    check("pushfw", f[6], 0xffff0000 | ((FL_SET | 0x002) & 0xffff));
    check("pushfl moved esp by", f[7], 4);

    puts_("pushfl on a 16-bit stack\n");
    uint32_t v = k_pushf16();
    check("the pushed flags: CF set, IF clear", v & 0x203, 0x003);
    check("esp after it (the upper half kept)", k_sp16, 0x1234007c);
    check("the dword in the stack segment", *(uint32_t *)&stk16[0x7c], v);
}
