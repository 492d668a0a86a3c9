/* Unit tests for the disassembler (isa/disasm.c): byte sequences and the
 * text GNU objdump 2.40 prints for them (`objdump -D -b binary -m i386`,
 * the text after the bytes column), with the instruction length objdump
 * gives. Every expected string below was produced by objdump, not written
 * by hand. The whole-table comparison against objdump itself is
 * tests/disasm/compare.sh (make test-disasm). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"

typedef struct dcase {
    uint32_t eip;          /* address of the instruction */
    uint8_t len;           /* length objdump gives */
    uint8_t b[15];
    const char *text;
} dcase_t;

/* The tricky cases: size suffixes, string instructions, prefixes objdump
 * prints by name, addressing modes, branch targets, system instructions. */
static const dcase_t cases[] = {
    { 0x0, 2, { 0x89, 0xd8 }, "mov    %ebx,%eax" },
    { 0x0, 6, { 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00 }, "movl   $0x1,(%eax)" },
    { 0x0, 5, { 0x66, 0xc7, 0x00, 0x01, 0x00 }, "movw   $0x1,(%eax)" },
    { 0x0, 3, { 0x80, 0x00, 0x01 }, "addb   $0x1,(%eax)" },
    { 0x0, 2, { 0xff, 0x00 }, "incl   (%eax)" },
    { 0x0, 2, { 0xff, 0x30 }, "push   (%eax)" },
    { 0x0, 3, { 0x66, 0xff, 0x30 }, "pushw  (%eax)" },
    { 0x0, 2, { 0x6a, 0x01 }, "push   $0x1" },
    { 0x0, 3, { 0x66, 0x6a, 0x01 }, "pushw  $0x1" },
    { 0x0, 2, { 0x6a, 0xff }, "push   $0xffffffff" },
    { 0x0, 5, { 0x68, 0x78, 0x56, 0x34, 0x12 }, "push   $0x12345678" },
    { 0x0, 2, { 0xd3, 0x20 }, "shll   %cl,(%eax)" },
    { 0x0, 3, { 0x66, 0xd3, 0x20 }, "shlw   %cl,(%eax)" },
    { 0x0, 2, { 0xf3, 0xab }, "rep stos %eax,%es:(%edi)" },
    { 0x0, 1, { 0xa4 }, "movsb  %ds:(%esi),%es:(%edi)" },
    { 0x0, 2, { 0x66, 0xa5 }, "movsw  %ds:(%esi),%es:(%edi)" },
    { 0x0, 1, { 0xac }, "lods   %ds:(%esi),%al" },
    { 0x0, 2, { 0xf3, 0xa6 }, "repz cmpsb %es:(%edi),%ds:(%esi)" },
    { 0x0, 1, { 0xae }, "scas   %es:(%edi),%al" },
    { 0x0, 1, { 0x6c }, "insb   (%dx),%es:(%edi)" },
    { 0x0, 1, { 0x6f }, "outsl  %ds:(%esi),(%dx)" },
    { 0x0, 2, { 0x26, 0xa4 }, "movsb  %es:(%esi),%es:(%edi)" },
    { 0x0, 2, { 0x26, 0xaa }, "es stos %al,%es:(%edi)" },
    { 0x0, 3, { 0x67, 0xf3, 0xa4 }, "rep movsb %ds:(%si),%es:(%di)" },
    { 0x0, 1, { 0xd7 }, "xlat   %ds:(%ebx)" },
    { 0x0, 2, { 0x26, 0xd7 }, "xlat   %es:(%ebx)" },
    { 0x0, 2, { 0x66, 0xf8 }, "data16 clc" },
    { 0x0, 2, { 0x67, 0xf8 }, "addr16 clc" },
    { 0x0, 2, { 0x2e, 0xf8 }, "cs clc" },
    { 0x0, 2, { 0xf3, 0xf8 }, "repz clc" },
    { 0x0, 3, { 0xf0, 0x01, 0x00 }, "lock add %eax,(%eax)" },
    { 0x0, 4, { 0x66, 0x0f, 0xb1, 0x1e }, "cmpxchg %bx,(%esi)" },
    { 0x0, 4, { 0xf0, 0x0f, 0xc7, 0x08 }, "lock cmpxchg8b (%eax)" },
    { 0x0, 1, { 0xec }, "in     (%dx),%al" },
    { 0x0, 1, { 0xed }, "in     (%dx),%eax" },
    { 0x0, 1, { 0xee }, "out    %al,(%dx)" },
    { 0x0, 2, { 0xe4, 0x60 }, "in     $0x60,%al" },
    { 0x0, 2, { 0xe7, 0x80 }, "out    %eax,$0x80" },
    { 0x0, 3, { 0x0f, 0x20, 0xc0 }, "mov    %cr0,%eax" },
    { 0x0, 3, { 0x0f, 0x22, 0xd8 }, "mov    %eax,%cr3" },
    { 0x0, 3, { 0x0f, 0x23, 0xf8 }, "mov    %eax,%db7" },
    { 0x0, 3, { 0x0f, 0x21, 0xc7 }, "mov    %db0,%edi" },
    { 0x0, 2, { 0x8c, 0xd8 }, "mov    %ds,%eax" },
    { 0x0, 2, { 0x8c, 0x18 }, "mov    %ds,(%eax)" },
    { 0x0, 2, { 0x8e, 0xd8 }, "mov    %eax,%ds" },
    { 0x0, 3, { 0x66, 0x8e, 0xd8 }, "mov    %ax,%ds" },
    { 0x0, 3, { 0x0f, 0x00, 0xc0 }, "sldt   %eax" },
    { 0x0, 4, { 0x66, 0x0f, 0x00, 0xc8 }, "str    %ax" },
    { 0x0, 3, { 0x0f, 0x01, 0xe0 }, "smsw   %eax" },
    { 0x0, 3, { 0x0f, 0x00, 0xd0 }, "lldt   %ax" },
    { 0x0, 3, { 0x0f, 0x02, 0xc0 }, "lar    %eax,%eax" },
    { 0x0, 3, { 0x0f, 0x03, 0x00 }, "lsl    (%eax),%eax" },
    { 0x0, 3, { 0x0f, 0xb6, 0xc0 }, "movzbl %al,%eax" },
    { 0x0, 4, { 0x66, 0x0f, 0xb6, 0x00 }, "movzbw (%eax),%ax" },
    { 0x0, 3, { 0x0f, 0xbf, 0x00 }, "movswl (%eax),%eax" },
    { 0x0, 3, { 0x0f, 0xbe, 0xc8 }, "movsbl %al,%ecx" },
    { 0x0, 1, { 0x98 }, "cwtl" },
    { 0x0, 1, { 0x99 }, "cltd" },
    { 0x0, 2, { 0x66, 0x98 }, "cbtw" },
    { 0x0, 2, { 0x66, 0x99 }, "cwtd" },
    { 0x0, 1, { 0xcf }, "iret" },
    { 0x0, 2, { 0x66, 0xcf }, "iretw" },
    { 0x0, 1, { 0xcb }, "lret" },
    { 0x0, 3, { 0xc2, 0x08, 0x00 }, "ret    $0x8" },
    { 0x0, 2, { 0x66, 0xc3 }, "retw" },
    { 0x0, 4, { 0xc8, 0x10, 0x00, 0x00 }, "enter  $0x10,$0x0" },
    { 0x0, 1, { 0xc9 }, "leave" },
    { 0x0, 1, { 0xcc }, "int3" },
    { 0x0, 2, { 0xcd, 0x80 }, "int    $0x80" },
    { 0x0, 1, { 0xce }, "into" },
    { 0x0, 1, { 0xf1 }, "int1" },
    { 0x0, 1, { 0x9b }, "fwait" },
    { 0x0, 1, { 0x90 }, "nop" },
    { 0x0, 2, { 0x66, 0x90 }, "xchg   %ax,%ax" },
    { 0x0, 2, { 0xf3, 0x90 }, "pause" },
    { 0x0, 5, { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, "nopl   0x0(%eax,%eax,1)" },
    { 0x0, 6, { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 }, "nopw   0x0(%eax,%eax,1)" },
    { 0x0, 3, { 0x0f, 0x1f, 0xc0 }, "nop    %eax" },
    { 0x0, 3, { 0x0f, 0x01, 0x00 }, "sgdtl  (%eax)" },
    { 0x0, 3, { 0x0f, 0x01, 0x18 }, "lidtl  (%eax)" },
    { 0x0, 4, { 0x66, 0x0f, 0x01, 0x10 }, "lgdtw  (%eax)" },
    { 0x0, 3, { 0x0f, 0x01, 0x38 }, "invlpg (%eax)" },
    { 0x0, 2, { 0x62, 0x00 }, "bound  %eax,(%eax)" },
    { 0x0, 2, { 0x63, 0xc0 }, "arpl   %ax,%ax" },
    { 0x0, 2, { 0xd4, 0x0a }, "aam    $0xa" },
    { 0x0, 2, { 0xd5, 0x0a }, "aad    $0xa" },
    { 0x0, 4, { 0x0f, 0xa4, 0xc3, 0x04 }, "shld   $0x4,%eax,%ebx" },
    { 0x0, 3, { 0x0f, 0xad, 0xc3 }, "shrd   %cl,%eax,%ebx" },
    { 0x0, 3, { 0x0f, 0xc7, 0x08 }, "cmpxchg8b (%eax)" },
    { 0x0, 2, { 0x0f, 0xc8 }, "bswap  %eax" },
    { 0x0, 2, { 0x0f, 0xcf }, "bswap  %edi" },
    { 0x0, 2, { 0x0f, 0x0b }, "ud2" },
    { 0x0, 3, { 0x0f, 0xb9, 0x00 }, "ud1    (%eax),%eax" },
    { 0x0, 3, { 0x8b, 0x45, 0x08 }, "mov    0x8(%ebp),%eax" },
    { 0x0, 3, { 0x8b, 0x45, 0xfc }, "mov    -0x4(%ebp),%eax" },
    { 0x0, 3, { 0x8b, 0x04, 0x98 }, "mov    (%eax,%ebx,4),%eax" },
    { 0x0, 7, { 0x8b, 0x04, 0x85, 0x00, 0x00, 0x00, 0x00 }, "mov    0x0(,%eax,4),%eax" },
    { 0x0, 7, { 0x8b, 0x04, 0x25, 0xfc, 0xff, 0xff, 0xff }, "mov    -0x4(,%eiz,1),%eax" },
    { 0x0, 3, { 0x8b, 0x04, 0x24 }, "mov    (%esp),%eax" },
    { 0x0, 3, { 0x8b, 0x04, 0x64 }, "mov    (%esp,%eiz,2),%eax" },
    { 0x0, 4, { 0x8d, 0x74, 0x26, 0x00 }, "lea    0x0(%esi,%eiz,1),%esi" },
    { 0x0, 7, { 0x8d, 0xb4, 0x26, 0x00, 0x00, 0x00, 0x00 }, "lea    0x0(%esi,%eiz,1),%esi" },
    { 0x0, 3, { 0x26, 0x8b, 0x07 }, "mov    %es:(%edi),%eax" },
    { 0x0, 6, { 0x64, 0xa1, 0x10, 0x00, 0x00, 0x00 }, "mov    %fs:0x10,%eax" },
    { 0x0, 5, { 0xa1, 0x34, 0x12, 0x00, 0x00 }, "mov    0x1234,%eax" },
    { 0x0, 4, { 0x67, 0xa1, 0x34, 0x12 }, "addr16 mov 0x1234,%eax" },
    { 0x0, 4, { 0x67, 0x8b, 0x46, 0xfc }, "mov    -0x4(%bp),%eax" },
    { 0x0, 5, { 0x67, 0x8b, 0x06, 0xfc, 0xff }, "mov    -0x4,%eax" },
    { 0x0, 3, { 0x67, 0x8b, 0x00 }, "mov    (%bx,%si),%eax" },
    { 0x0, 3, { 0x67, 0x8b, 0x04 }, "mov    (%si),%eax" },
    { 0x0, 3, { 0x6b, 0xc0, 0xff }, "imul   $0xffffffff,%eax,%eax" },
    { 0x0, 6, { 0x69, 0xc0, 0x78, 0x56, 0x34, 0x12 }, "imul   $0x12345678,%eax,%eax" },
    { 0x0, 3, { 0x83, 0xc0, 0xff }, "add    $0xffffffff,%eax" },
    { 0x0, 4, { 0x66, 0x83, 0xc0, 0xff }, "add    $0xffff,%ax" },
    { 0x0, 6, { 0x81, 0x38, 0x00, 0x00, 0xff, 0xff }, "cmpl   $0xffff0000,(%eax)" },
    { 0x0, 2, { 0xd0, 0xe0 }, "shl    %al" },
    { 0x0, 2, { 0xd1, 0x38 }, "sarl   (%eax)" },
    { 0x0, 3, { 0xc1, 0xe0, 0x04 }, "shl    $0x4,%eax" },
    { 0x0, 2, { 0xf6, 0xd8 }, "neg    %al" },
    { 0x0, 2, { 0xf7, 0xf1 }, "div    %ecx" },
    { 0x0, 3, { 0x0f, 0x94, 0xc0 }, "sete   %al" },
    { 0x0, 3, { 0x0f, 0x9f, 0x00 }, "setg   (%eax)" },
    { 0x0, 3, { 0x0f, 0x44, 0xc3 }, "cmove  %ebx,%eax" },
    { 0x0, 3, { 0x0f, 0x4f, 0x00 }, "cmovg  (%eax),%eax" },
    { 0x0, 1, { 0x07 }, "pop    %es" },
    { 0x0, 2, { 0x0f, 0xa9 }, "pop    %gs" },
    { 0x0, 2, { 0x66, 0x0e }, "pushw  %cs" },
    { 0x0, 2, { 0x0f, 0x30 }, "wrmsr" },
    { 0x0, 2, { 0x0f, 0x31 }, "rdtsc" },
    { 0x0, 2, { 0x0f, 0xa2 }, "cpuid" },
    { 0x0, 2, { 0x0f, 0x06 }, "clts" },
    { 0x0, 1, { 0xf4 }, "hlt" },
    { 0x0, 1, { 0xfa }, "cli" },
    { 0x0, 3, { 0x0f, 0xa3, 0xc8 }, "bt     %ecx,%eax" },
    { 0x0, 4, { 0x0f, 0xba, 0x28, 0x05 }, "btsl   $0x5,(%eax)" },
    { 0x0, 2, { 0x86, 0xc4 }, "xchg   %al,%ah" },
    { 0x0, 2, { 0x87, 0xd8 }, "xchg   %ebx,%eax" },
    { 0x0, 1, { 0x93 }, "xchg   %eax,%ebx" },
    { 0x0, 2, { 0xb0, 0xff }, "mov    $0xff,%al" },
    { 0x0, 5, { 0xb8, 0xff, 0xff, 0xff, 0xff }, "mov    $0xffffffff,%eax" },
    { 0x0, 4, { 0x66, 0xb8, 0x34, 0x12 }, "mov    $0x1234,%ax" },
    { 0x0, 5, { 0xa2, 0x78, 0x56, 0x34, 0x12 }, "mov    %al,0x12345678" },
    { 0x0, 3, { 0x0f, 0xc1, 0x03 }, "xadd   %eax,(%ebx)" },
    { 0x0, 1, { 0x60 }, "pusha" },
    { 0x0, 2, { 0x66, 0x9d }, "popfw" },
    { 0x100, 2, { 0xeb, 0xfe }, "jmp    0x100" },
    { 0x1000, 5, { 0xe9, 0x00, 0x10, 0x00, 0x00 }, "jmp    0x2005" },
    { 0x0, 2, { 0xeb, 0x80 }, "jmp    0xffffff82" },
    { 0x0, 5, { 0xe8, 0xf0, 0xff, 0xff, 0xff }, "call   0xfffffff5" },
    { 0x1000, 6, { 0x0f, 0x84, 0x00, 0x00, 0x00, 0x00 }, "je     0x1006" },
    { 0x1000, 2, { 0x74, 0x80 }, "je     0xf82" },
    { 0x1000, 2, { 0xe3, 0xfe }, "jecxz  0x1000" },
    { 0x1000, 3, { 0x67, 0xe3, 0xfe }, "jcxz   0x1001" },
    { 0x1000, 2, { 0xe2, 0xfe }, "loop   0x1000" },
    { 0x1000, 3, { 0x67, 0xe2, 0xfe }, "loopw  0x1001" },
    { 0x12345, 4, { 0x66, 0xe8, 0x00, 0x00 }, "callw  0x2349" },
    { 0x12345, 4, { 0x66, 0xe9, 0xfc, 0xff }, "jmpw   0x2345" },
    { 0x1000, 3, { 0x66, 0xeb, 0x00 }, "data16 jmp 0x1003" },
    { 0x0, 7, { 0xea, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00 }, "ljmp   $0x8,$0x100000" },
    { 0x0, 7, { 0x9a, 0x78, 0x56, 0x34, 0x12, 0x10, 0x00 }, "lcall  $0x10,$0x12345678" },
    { 0x0, 6, { 0x66, 0xea, 0x34, 0x12, 0x08, 0x00 }, "ljmpw  $0x8,$0x1234" },
    { 0x0, 2, { 0xff, 0xd0 }, "call   *%eax" },
    { 0x0, 3, { 0xff, 0x63, 0x08 }, "jmp    *0x8(%ebx)" },
    { 0x0, 2, { 0xff, 0x18 }, "lcall  *(%eax)" },
    { 0x0, 3, { 0x66, 0xff, 0x28 }, "ljmpw  *(%eax)" },
    { 0x0, 7, { 0xff, 0x24, 0x85, 0x00, 0x10, 0x00, 0x00 }, "jmp    *0x1000(,%eax,4)" },
    { 0x0, 3, { 0x2e, 0x74, 0x00 }, "je,pn  0x3" },
    { 0x0, 3, { 0x3e, 0x74, 0x00 }, "je,pt  0x3" },
    { 0x0, 3, { 0x3e, 0xff, 0xd0 }, "notrack call *%eax" },
    { 0x0, 3, { 0x2e, 0xff, 0xd0 }, "cs call *%eax" },
    { 0x0, 2, { 0xf2, 0xc3 }, "bnd ret" },
    { 0x0, 2, { 0xf3, 0xc3 }, "repz ret" },
    { 0x0, 6, { 0xf2, 0xe8, 0x00, 0x00, 0x00, 0x00 }, "bnd call 0x6" },
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

START_TEST(test_objdump_text)
{
    const dcase_t *c = &cases[_i];
    isa_insn_t in;
    char buf[128];
    int rc = isa_decode(c->b, c->len, 1, &in);
    ck_assert_msg(rc == ISA_DECODE_OK, "case %d (\"%s\"): decode returned %d", _i, c->text, rc);
    ck_assert_msg(in.len == c->len, "case %d (\"%s\"): length %u, objdump %u",
                  _i, c->text, in.len, c->len);
    int n = isa_disasm(&in, c->eip, buf, sizeof buf);
    ck_assert_msg(!strcmp(buf, c->text), "case %d: \"%s\", objdump \"%s\"", _i, buf, c->text);
    ck_assert_int_eq(n, (int)strlen(c->text));
}
END_TEST

/* The same bytes followed by more bytes: the length must not change. */
START_TEST(test_length_with_trailing_bytes)
{
    const dcase_t *c = &cases[_i];
    uint8_t b[32];
    isa_insn_t in;
    memset(b, 0x90, sizeof b);
    memcpy(b, c->b, c->len);
    ck_assert_int_eq(isa_decode(b, sizeof b, 1, &in), ISA_DECODE_OK);
    ck_assert_msg(in.len == c->len, "case %d (\"%s\"): length %u, objdump %u",
                  _i, c->text, in.len, c->len);
}
END_TEST

/* MOV to/from CRn/DRn ignores ModRM.mod: the instruction is always three
 * bytes (0F 20-23 ModRM), no SIB or displacement follows, and the r/m field
 * names a register. objdump agrees. */
static const struct {
    uint8_t b[8];
    const char *text;
} crdr[] = {
    { { 0x0f, 0x20, 0x85, 0x00, 0x00, 0x00, 0x00 }, "mov    %cr0,%ebp" },
    { { 0x0f, 0x20, 0x44, 0x24, 0x00 }, "mov    %cr0,%esp" },
    { { 0x0f, 0x22, 0x05, 0x00, 0x00, 0x00, 0x00 }, "mov    %ebp,%cr0" },
    { { 0x0f, 0x21, 0x7c, 0x24, 0x00 }, "mov    %db7,%esp" },
    { { 0x0f, 0x23, 0x05, 0x00, 0x00, 0x00, 0x00 }, "mov    %ebp,%db0" },
    { { 0x67, 0x0f, 0x20, 0x06, 0x00, 0x00 }, "addr16 mov %cr0,%esi" },
};

START_TEST(test_mov_cr_dr_ignores_mod)
{
    isa_insn_t in;
    char buf[64];
    size_t want = crdr[_i].b[0] == 0x67 ? 4 : 3;
    ck_assert_int_eq(isa_decode(crdr[_i].b, sizeof crdr[_i].b, 1, &in), ISA_DECODE_OK);
    ck_assert_msg(in.len == want, "\"%s\": length %u, objdump %zu", crdr[_i].text, in.len, want);
    isa_disasm(&in, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, crdr[_i].text);
}
END_TEST

/* LOCK is allowed only on ADD ADC AND BTC BTR BTS CMPXCHG CMPXCHG8B DEC
 * INC NEG NOT OR SBB SUB XOR XADD XCHG with a memory destination (SDM vol. 2,
 * LOCK); on anything else, CMP included, it is #UD. (objdump prints "lock"
 * on anything, so only this test sees it.) */
static const struct {
    uint8_t b[4];
    int n, ok;
} locks[] = {
    { { 0xf0, 0x38, 0x00 }, 3, 0 },          /* lock cmp %al,(%eax) */
    { { 0xf0, 0x39, 0x00 }, 3, 0 },          /* lock cmp %eax,(%eax) */
    { { 0xf0, 0x3a, 0x00 }, 3, 0 },
    { { 0xf0, 0x80, 0x38, 0x01 }, 4, 0 },    /* lock cmpb $0x1,(%eax) */
    { { 0xf0, 0x83, 0x38, 0x01 }, 4, 0 },
    { { 0xf0, 0x85, 0x00 }, 3, 0 },          /* test */
    { { 0xf0, 0x0f, 0xa3, 0x00 }, 4, 0 },    /* bt */
    { { 0xf0, 0x01, 0xc0 }, 3, 0 },          /* register destination */
    { { 0xf0, 0x00, 0x00 }, 3, 1 },          /* lock add %al,(%eax) */
    { { 0xf0, 0x29, 0x00 }, 3, 1 },
    { { 0xf0, 0x80, 0x30, 0x01 }, 4, 1 },    /* lock xorb */
    { { 0xf0, 0x87, 0x00 }, 3, 1 },          /* lock xchg */
    { { 0xf0, 0xf7, 0x18 }, 3, 1 },          /* lock negl */
    { { 0xf0, 0x0f, 0xab, 0x00 }, 4, 1 },    /* lock bts */
};

START_TEST(test_lock_only_where_allowed)
{
    isa_insn_t in;
    int rc = isa_decode(locks[_i].b, (size_t)locks[_i].n, 1, &in);
    ck_assert_msg(rc == (locks[_i].ok ? ISA_DECODE_OK : ISA_DECODE_UD),
                  "lock case %d (%02x %02x %02x): decode returned %d", _i,
                  locks[_i].b[0], locks[_i].b[1], locks[_i].b[2], rc);
}
END_TEST

/* Undefined encodings print as objdump prints them. */
static const struct {
    uint8_t b[4];
    int n;
} bad[] = {
    { { 0xd6 }, 1 },                  /* SALC: undefined */
    { { 0x0f, 0x04 }, 2 },
    { { 0xff, 0xff }, 2 },            /* FF /7 */
    { { 0xff, 0xd8 }, 2 },            /* far call through a register */
    { { 0x8d, 0xc0 }, 2 },            /* LEA with a register operand */
    { { 0x0f, 0x00, 0xf0 }, 3 },      /* 0F 00 /6 */
};

START_TEST(test_bad)
{
    isa_insn_t in;
    char buf[32];
    ck_assert_int_eq(isa_decode(bad[_i].b, (size_t)bad[_i].n, 1, &in), ISA_DECODE_UD);
    ck_assert_int_eq(isa_disasm(&in, 0, buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "(bad)");
}
END_TEST

/* The buffer: always terminated, never overrun, the return value the
 * length of the whole text (as snprintf). */
START_TEST(test_small_buffer)
{
    static const uint8_t b[] = { 0xf3, 0xa6 };   /* repz cmpsb %es:(%edi),%ds:(%esi) */
    const char *full = "repz cmpsb %es:(%edi),%ds:(%esi)";
    isa_insn_t in;
    char buf[40];
    ck_assert_int_eq(isa_decode(b, sizeof b, 1, &in), ISA_DECODE_OK);
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(isa_disasm(&in, 0, buf, 8), (int)strlen(full));
    ck_assert_int_eq(buf[7], 0);
    ck_assert_int_eq(buf[8], 'x');
    ck_assert(!strncmp(buf, full, 7));
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(isa_disasm(&in, 0, buf, 0), (int)strlen(full));
    ck_assert_int_eq(buf[0], 'x');
    ck_assert_int_eq(isa_disasm(&in, 0, NULL, 0), (int)strlen(full));
}
END_TEST

/* Every Jcc, SETcc and CMOVcc condition code. */
START_TEST(test_condition_codes)
{
    static const char *const cc[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                        "s", "ns", "p", "np", "l", "ge", "le", "g" };
    for (int k = 0; k < 16; k++) {
        isa_insn_t in;
        char buf[64], want[64];
        uint8_t jb[] = { (uint8_t)(0x70 + k), 0x10 };
        uint8_t jz[] = { 0x0f, (uint8_t)(0x80 + k), 0x00, 0x01, 0x00, 0x00 };
        uint8_t set[] = { 0x0f, (uint8_t)(0x90 + k), 0xc1 };
        uint8_t cmov[] = { 0x0f, (uint8_t)(0x40 + k), 0x4d, 0xf8 };

        ck_assert_int_eq(isa_decode(jb, sizeof jb, 1, &in), ISA_DECODE_OK);
        isa_disasm(&in, 0x1000, buf, sizeof buf);
        snprintf(want, sizeof want, "j%-5s 0x1012", cc[k]);
        ck_assert_str_eq(buf, want);

        ck_assert_int_eq(isa_decode(jz, sizeof jz, 1, &in), ISA_DECODE_OK);
        isa_disasm(&in, 0x1000, buf, sizeof buf);
        snprintf(want, sizeof want, "j%-5s 0x1106", cc[k]);
        ck_assert_str_eq(buf, want);

        ck_assert_int_eq(isa_decode(set, sizeof set, 1, &in), ISA_DECODE_OK);
        isa_disasm(&in, 0, buf, sizeof buf);
        snprintf(want, sizeof want, "set%-3s %%cl", cc[k]);
        ck_assert_str_eq(buf, want);

        ck_assert_int_eq(isa_decode(cmov, sizeof cmov, 1, &in), ISA_DECODE_OK);
        isa_disasm(&in, 0, buf, sizeof buf);
        snprintf(want, sizeof want, "cmov%-2s -0x8(%%ebp),%%ecx", cc[k]);
        ck_assert_str_eq(buf, want);
    }
}
END_TEST

static Suite *disasm_suite(void)
{
    Suite *s = suite_create("disasm");
    TCase *tc = tcase_create("objdump");
    tcase_add_loop_test(tc, test_objdump_text, 0, N_CASES);
    tcase_add_loop_test(tc, test_length_with_trailing_bytes, 0, N_CASES);
    tcase_add_loop_test(tc, test_mov_cr_dr_ignores_mod, 0,
                        (int)(sizeof crdr / sizeof crdr[0]));
    tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_loop_test(tc, test_lock_only_where_allowed, 0,
                        (int)(sizeof locks / sizeof locks[0]));
    tcase_add_test(tc, test_small_buffer);
    tcase_add_test(tc, test_condition_codes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(disasm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
