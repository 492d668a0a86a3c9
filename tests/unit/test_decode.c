/* Unit tests for the decoder (isa/decode.c) and the instruction table
 * (isa/insn.def): byte strings -> outcome, length, row and decoded fields
 * (SDM vol. 2, chapter 2 and appendix A), and invariants over isa_rows. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "isa/isa.h"
#include "isa/arch.h"

#define OK ISA_DECODE_OK
#define UD ISA_DECODE_UD
#define LONG ISA_DECODE_TOOLONG
#define NR ISA_NOREG
#define BY(s) s, (int)sizeof(s) - 1

static int decode(const char *bytes, int n, int code32, isa_insn_t *in)
{
    /* an exact-size heap copy: reading past `n` is an ASan error */
    uint8_t *buf = malloc((size_t)n + 1);
    memcpy(buf, bytes, (size_t)n);
    int rc = isa_decode(buf, (size_t)n, code32, in);
    free(buf);
    return rc;
}

/* ---- outcome, length and row ---------------------------------------------- */
typedef struct lcase {
    const char *name;
    const char *bytes;
    int n, code32, rc, len, row;
} lcase_t;

#define L32(name, b, rc, len, row) { name, BY(b), 1, rc, len, row }
#define L16(name, b, rc, len, row) { name, BY(b), 0, rc, len, row }
#define U32(name, b) { name, BY(b), 1, UD, -1, ROW_INVALID }

static const lcase_t lcases[] = {
    L32("nop", "\x90", OK, 1, ROW_NOP),
    L32("add al,cl", "\x00\xc8", OK, 2, ROW_ADD_EbGb),
    L32("add eax,imm32", "\x05\x78\x56\x34\x12", OK, 5, ROW_ADD_AXIz),
    L32("add ax,imm16", "\x66\x05\x34\x12", OK, 4, ROW_ADD_AXIz),
    L32("add al,imm8", "\x04\x7f", OK, 2, ROW_ADD_ALIb),
    L32("mov eax,[esp+8]", "\x8b\x44\x24\x08", OK, 4, ROW_MOV_GvEv),
    L32("mov eax,[ecx*4+disp32]", "\x8b\x04\x8d\x00\x10\x00\x00", OK, 7, ROW_MOV_GvEv),
    L32("mov eax,[ebp-4]", "\x8b\x45\xfc", OK, 3, ROW_MOV_GvEv),
    L32("mov eax,[disp32]", "\x8b\x05\x44\x33\x22\x11", OK, 6, ROW_MOV_GvEv),
    L32("mov eax,[esp+disp32]", "\x8b\x84\x24\x00\x01\x00\x00", OK, 7, ROW_MOV_GvEv),
    L32("mov eax,[ebp+eax*2+disp8]", "\x8b\x44\x45\x10", OK, 4, ROW_MOV_GvEv),
    L32("mov eax,[ebx+disp32] mod 2", "\x8b\x83\x00\x00\x01\x00", OK, 6, ROW_MOV_GvEv),
    L32("mov eax,[disp32] sib no base", "\x8b\x04\x25\x00\x00\x20\x00", OK, 7, ROW_MOV_GvEv),
    L32("mov al,moffs32", "\xa0\x00\x00\x20\x00", OK, 5, ROW_MOV_ALOb),
    L32("mov eax,moffs16 (67)", "\x67\xa1\x00\x20", OK, 4, ROW_MOV_AXOv),
    L32("mov eax,[bx+si] (67)", "\x67\x8b\x00", OK, 3, ROW_MOV_GvEv),
    L32("mov eax,[disp16] (67)", "\x67\x8b\x06\x34\x12", OK, 5, ROW_MOV_GvEv),
    L32("mov eax,[bp+disp8] (67)", "\x67\x8b\x46\xfe", OK, 4, ROW_MOV_GvEv),
    L32("mov eax,[bx+si+disp16] (67)", "\x67\x8b\x80\x00\x80", OK, 5, ROW_MOV_GvEv),
    L32("mov r/m32,imm32 with sib+disp32", "\xc7\x84\x24\x00\x01\x00\x00\x78\x56\x34\x12", OK, 11, ROW_MOV_EvIz),
    L32("mov r/m16,imm16", "\x66\xc7\x00\x34\x12", OK, 5, ROW_MOV_EvIz),
    L32("mov r/m8,imm8", "\xc6\x00\x12", OK, 3, ROW_MOV_EbIb),
    L32("mov eax,imm32", "\xb8\x78\x56\x34\x12", OK, 5, ROW_MOV_ZvIv),
    L32("mov di,imm16", "\x66\xbf\x34\x12", OK, 4, ROW_MOV_ZvIv),
    L32("mov bh,imm8", "\xb7\x12", OK, 2, ROW_MOV_ZbIb),
    L32("add r/m32,imm8 sign-extended", "\x83\xc0\xff", OK, 3, ROW_G83_ADD),
    L32("cmp r/m8,imm8 (82)", "\x82\xf8\x01", OK, 3, ROW_G82_CMP),
    L32("test r/m8,imm8", "\xf6\xc1\xff", OK, 3, ROW_GF6_TEST),
    L32("test r/m8,imm8 (/1 alias)", "\xf6\xc9\xff", OK, 3, ROW_GF6_TEST1),
    L32("not r/m8 has no immediate", "\xf6\xd1", OK, 2, ROW_GF6_NOT),
    L32("test r/m32,imm32", "\xf7\xc1\x78\x56\x34\x12", OK, 6, ROW_GF7_TEST),
    L32("test r/m16,imm16", "\x66\xf7\xc1\x34\x12", OK, 5, ROW_GF7_TEST),
    L32("idiv r/m32", "\xf7\xf9", OK, 2, ROW_GF7_IDIV),
    L32("imul r32,r/m32,imm32", "\x69\xc1\x78\x56\x34\x12", OK, 6, ROW_IMUL_GvEvIz),
    L32("imul r32,r/m32,imm8", "\x6b\xc1\xff", OK, 3, ROW_IMUL_GvEvIb),
    L32("imul r32,r/m32", "\x0f\xaf\xc1", OK, 3, ROW_IMUL_GvEv),
    L32("shl al,imm8", "\xc0\xe0\x04", OK, 3, ROW_GC0_SHL),
    L32("sal eax,1 (/6 alias)", "\xd1\xf0", OK, 2, ROW_GD1_SAL),
    L32("sar r/m32,cl", "\xd3\xf8", OK, 2, ROW_GD3_SAR),
    L32("shld r/m32,r32,imm8", "\x0f\xa4\xd0\x04", OK, 4, ROW_SHLD_Ib),
    L32("shrd r/m32,r32,cl", "\x0f\xad\xd0", OK, 3, ROW_SHRD_CL),
    L32("bt r/m32,imm8", "\x0f\xba\xe0\x05", OK, 4, ROW_BT_EvIb),
    L32("btc r/m32,r32", "\x0f\xbb\x03", OK, 3, ROW_BTC_EvGv),
    L32("enter imm16,imm8", "\xc8\x10\x00\x01", OK, 4, ROW_ENTER),
    L32("ret imm16", "\xc2\x10\x00", OK, 3, ROW_RET_Iw),
    L32("lret", "\xcb", OK, 1, ROW_RETF),
    L32("call rel32", "\xe8\x00\x00\x00\x00", OK, 5, ROW_CALL_Jz),
    L32("call rel16 (66)", "\x66\xe8\x00\x00", OK, 4, ROW_CALL_Jz),
    L32("jo rel8", "\x70\xfe", OK, 2, ROW_JCC_Jb),
    L32("jg rel32", "\x0f\x8f\x00\x00\x00\x00", OK, 6, ROW_JCC_Jz),
    L32("jmp rel8", "\xeb\x00", OK, 2, ROW_JMP_Jb),
    L32("lcall ptr16:32", "\x9a\x78\x56\x34\x12\x08\x00", OK, 7, ROW_CALLF_Ap),
    L32("lcall ptr16:16 (66)", "\x66\x9a\x34\x12\x08\x00", OK, 6, ROW_CALLF_Ap),
    L32("ljmp ptr16:32", "\xea\x78\x56\x34\x12\x08\x00", OK, 7, ROW_JMPF_Ap),
    L32("ljmp m16:32", "\xff\x28", OK, 2, ROW_GFF_JMPF),
    L32("lcall m16:32", "\xff\x18", OK, 2, ROW_GFF_CALLF),
    L32("call r/m32", "\xff\xd0", OK, 2, ROW_GFF_CALL),
    L32("push r/m32", "\xff\x30", OK, 2, ROW_GFF_PUSH),
    L32("pop r/m32", "\x8f\x00", OK, 2, ROW_POP_Ev),
    L32("push imm8", "\x6a\xff", OK, 2, ROW_PUSH_Ib),
    L32("push imm32", "\x68\x78\x56\x34\x12", OK, 5, ROW_PUSH_Iz),
    L32("push es", "\x06", OK, 1, ROW_PUSH_ES),
    L32("push cs", "\x0e", OK, 1, ROW_PUSH_CS),
    L32("pop gs", "\x0f\xa9", OK, 2, ROW_POP_GS),
    L32("mov ds,ax", "\x8e\xd8", OK, 2, ROW_MOV_SwEw),
    L32("mov ss,[eax]", "\x8e\x10", OK, 2, ROW_MOV_SwEw),
    L32("mov eax,cs", "\x8c\xc8", OK, 2, ROW_MOV_EwSw),
    L32("mov [eax],gs", "\x8c\x28", OK, 2, ROW_MOV_EwSw),
    L32("lds", "\xc5\x00", OK, 2, ROW_LDS),
    L32("lss", "\x0f\xb2\x00", OK, 3, ROW_LSS),
    L32("in al,imm8", "\xe4\x80", OK, 2, ROW_IN_ALIb),
    L32("out dx,eax", "\xef", OK, 1, ROW_OUT_DXAX),
    L32("rep movsb", "\xf3\xa4", OK, 2, ROW_MOVSB),
    L32("repne scasd", "\xf2\xaf", OK, 2, ROW_SCASV),
    L32("rep outsw", "\x66\xf3\x6f", OK, 3, ROW_OUTSV),
    L32("int 0x80", "\xcd\x80", OK, 2, ROW_INT_Ib),
    L32("int3", "\xcc", OK, 1, ROW_INT3),
    L32("into", "\xce", OK, 1, ROW_INTO),
    L32("int1", "\xf1", OK, 1, ROW_INT1),
    L32("iret", "\xcf", OK, 1, ROW_IRET),
    L32("aam imm8", "\xd4\x0a", OK, 2, ROW_AAM),
    L32("aad imm8", "\xd5\x0a", OK, 2, ROW_AAD),
    L32("xlat", "\xd7", OK, 1, ROW_XLAT),
    L32("bound", "\x62\x00", OK, 2, ROW_BOUND),
    L32("arpl", "\x63\xc8", OK, 2, ROW_ARPL),
    L32("sgdt [eax]", "\x0f\x01\x00", OK, 3, ROW_SGDT),
    L32("lidt [disp32]", "\x0f\x01\x1d\x00\x10\x00\x00", OK, 7, ROW_LIDT),
    L32("smsw eax (register allowed)", "\x0f\x01\xe0", OK, 3, ROW_SMSW),
    L32("lmsw ax", "\x0f\x01\xf0", OK, 3, ROW_LMSW),
    L32("invlpg [eax]", "\x0f\x01\x38", OK, 3, ROW_INVLPG),
    L32("sldt eax", "\x0f\x00\xc0", OK, 3, ROW_SLDT),
    L32("ltr ax", "\x0f\x00\xd8", OK, 3, ROW_LTR),
    L32("verw [eax]", "\x0f\x00\x28", OK, 3, ROW_VERW),
    L32("lar", "\x0f\x02\xc1", OK, 3, ROW_LAR),
    L32("lsl", "\x0f\x03\xc1", OK, 3, ROW_LSL),
    L32("clts", "\x0f\x06", OK, 2, ROW_CLTS),
    L32("wbinvd", "\x0f\x09", OK, 2, ROW_WBINVD),
    L32("ud2 decodes (and raises #UD)", "\x0f\x0b", OK, 2, ROW_UD2),
    L32("ud1 has a ModRM", "\x0f\xb9\xc0", OK, 3, ROW_UD1),
    L32("ud0 has a ModRM", "\x0f\xff\x00", OK, 3, ROW_UD0),
    L32("nop r/m32 (0F 1F)", "\x0f\x1f\x44\x00\x00", OK, 5, ROW_NOP_Ev),
    L32("mov eax,cr0", "\x0f\x20\xc0", OK, 3, ROW_MOV_RdCd),
    L32("mov cr4,eax", "\x0f\x22\xe0", OK, 3, ROW_MOV_CdRd),
    L32("mov cr3,eax, mod ignored", "\x0f\x22\x18", OK, 3, ROW_MOV_CdRd),
    L32("mov eax,dr7", "\x0f\x21\xf8", OK, 3, ROW_MOV_RdDd),
    L32("rdtsc", "\x0f\x31", OK, 2, ROW_RDTSC),
    L32("cpuid", "\x0f\xa2", OK, 2, ROW_CPUID),
    L32("cmove", "\x0f\x44\xc1", OK, 3, ROW_CMOVCC),
    L32("setne [eax]", "\x0f\x95\x00", OK, 3, ROW_SETCC),
    L32("movzx r32,r/m8", "\x0f\xb6\xc1", OK, 3, ROW_MOVZX_GvEb),
    L32("movsx r32,r/m16", "\x0f\xbf\xc1", OK, 3, ROW_MOVSX_GvEw),
    L32("bswap", "\x0f\xcb", OK, 2, ROW_BSWAP),
    L32("cmpxchg8b [esi]", "\x0f\xc7\x0e", OK, 3, ROW_CMPXCHG8B),
    L32("xadd", "\x0f\xc1\x03", OK, 3, ROW_XADD_EvGv),
    L32("lock add [ebx],eax", "\xf0\x01\x03", OK, 3, ROW_ADD_EvGv),
    L32("lock or [ebx],imm8", "\xf0\x83\x0b\x01", OK, 4, ROW_G83_OR),
    L32("lock xchg [ebx],eax", "\xf0\x87\x03", OK, 3, ROW_XCHG_EvGv),
    L32("lock bts [ebx],imm8", "\xf0\x0f\xba\x2b\x01", OK, 5, ROW_BTS_EvIb),
    L32("lock cmpxchg8b [esi]", "\xf0\x0f\xc7\x0e", OK, 4, ROW_CMPXCHG8B),
    L32("lock not byte [ebx]", "\xf0\xf6\x13", OK, 3, ROW_GF6_NOT),
    L32("lock dec dword [ebx]", "\xf0\xff\x0b", OK, 3, ROW_GFF_DEC),
    L32("14 prefixes + nop = 15 bytes", "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90", OK, 15, ROW_NOP),
    L32("segment prefixes", "\x26\x2e\x36\x3e\x64\x65\x90", OK, 7, ROW_NOP),
    /* 16-bit code segment (D = 0) */
    L16("16: mov ax,[bx]", "\x8b\x07", OK, 2, ROW_MOV_GvEv),
    L16("16: mov ax,[bp+disp8]", "\x8b\x46\x02", OK, 3, ROW_MOV_GvEv),
    L16("16: mov eax,imm32 (66)", "\x66\xb8\x78\x56\x34\x12", OK, 6, ROW_MOV_ZvIv),
    L16("16: mov ax,imm16", "\xb8\x34\x12", OK, 3, ROW_MOV_ZvIv),
    L16("16: call rel16", "\xe8\x00\x00", OK, 3, ROW_CALL_Jz),
    L16("16: lcall ptr16:16", "\x9a\x34\x12\x08\x00", OK, 5, ROW_CALLF_Ap),
    L16("16: mov ax,moffs16", "\xa1\x00\x20", OK, 3, ROW_MOV_AXOv),
    L16("16: mov eax,[eax+disp32] (67)", "\x67\x8b\x80\x00\x00\x01\x00", OK, 7, ROW_MOV_GvEv),

    /* undefined encodings: #UD */
    U32("0F 0A", "\x0f\x0a"),
    U32("0F 05 syscall", "\x0f\x05"),
    U32("0F 34 sysenter", "\x0f\x34"),
    U32("0F 00 /6", "\x0f\x00\xf0"),
    U32("0F 00 /7", "\x0f\x00\x38"),
    U32("0F 01 /5", "\x0f\x01\x28"),
    U32("FE /2", "\xfe\xd0"),
    U32("FE /7", "\xfe\x38"),
    U32("FF /7", "\xff\x38"),
    U32("FF /3 register (far call needs memory)", "\xff\xd8"),
    U32("FF /5 register (far jmp needs memory)", "\xff\xe8"),
    U32("8F /1", "\x8f\xc8"),
    U32("8F /7", "\x8f\x38"),
    U32("C6 /1", "\xc6\xc8\x00"),
    U32("C7 /4", "\xc7\x20\x00\x00\x00\x00"),
    U32("0F 01 /0 mod 3 (sgdt to a register)", "\x0f\x01\xc0"),
    U32("0F 01 /1 mod 3 (sidt to a register)", "\x0f\x01\xc8"),
    U32("0F 01 /2 mod 3 (lgdt)", "\x0f\x01\xd0"),
    U32("0F 01 /3 mod 3 (lidt)", "\x0f\x01\xd8"),
    U32("0F 01 /7 mod 3 (invlpg)", "\x0f\x01\xf8"),
    U32("0F C7 /1 mod 3 (cmpxchg8b)", "\x0f\xc7\xc8"),
    U32("0F C7 /0", "\x0f\xc7\x00"),
    U32("lea with a register", "\x8d\xc0"),
    U32("bound with a register", "\x62\xc0"),
    U32("les with a register", "\xc4\xc0"),
    U32("lss with a register", "\x0f\xb2\xc0"),
    U32("8E with CS (mov cs,ax)", "\x8e\xc8"),
    U32("8E reg 6", "\x8e\xf0"),
    U32("8E reg 7", "\x8e\x38"),
    U32("8C reg 6", "\x8c\xf0"),
    U32("0F 20 cr1", "\x0f\x20\xc8"),
    U32("0F 22 cr5", "\x0f\x22\xe8"),
    U32("0F 22 cr6", "\x0f\x22\xf0"),
    U32("0F 22 cr7", "\x0f\x22\xf8"),
    U32("0F 20 cr6", "\x0f\x20\xf0"),
    U32("D6 (salc)", "\xd6"),
    U32("D8 (x87)", "\xd8\xc0"),
    U32("D9 (x87)", "\xd9\xe8"),
    U32("DB (x87)", "\xdb\xe3"),
    U32("DD (x87)", "\xdd\x00"),
    U32("DF (x87)", "\xdf\xe0"),
    U32("0F BA /0", "\x0f\xba\xc0\x01"),
    U32("0F BA /3", "\x0f\xba\xd8\x01"),
    U32("lock nop", "\xf0\x90"),
    U32("lock mov [ebx],eax (not lockable)", "\xf0\x89\x03"),
    U32("lock add eax,ebx (register destination)", "\xf0\x01\xd8"),
    U32("lock add eax,[ebx] (memory source only)", "\xf0\x03\x03"),
    U32("lock cmp [ebx],eax (CMP is not lockable)", "\xf0\x39\x03"),
    U32("lock cmp byte [ebx],al", "\xf0\x38\x03"),
    U32("lock cmp [ebx],imm8", "\xf0\x83\x3b\x01"),
    U32("lock test [ebx],eax", "\xf0\x85\x03"),
    U32("lock bt [ebx],eax (BT is not lockable)", "\xf0\x0f\xa3\x03"),
    U32("lock bt [ebx],imm8", "\xf0\x0f\xba\x23\x01"),
    U32("lock inc eax", "\xf0\x40"),
    U32("lock not eax", "\xf0\xf7\xd0"),
    U32("lock xchg eax,ecx", "\xf0\x91"),
    U32("lock lgdt", "\xf0\x0f\x01\x10"),
    /* more than 15 bytes: #GP(0) */
    { "15 prefixes + nop = 16 bytes", BY("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90"), 1, LONG, 15, ROW_INVALID },
    { "13 prefixes + 0F BA without its ModRM", BY("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x0f\xba\xe0\x01"), 1, LONG, 15, ROW_INVALID },
    { "14 prefixes + D6 = 15 bytes is #UD", BY("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\xd6"), 1, UD, 15, ROW_INVALID },
    { "16 prefixes", BY("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"), 1, LONG, 15, ROW_INVALID },
    { "11 prefixes + 11-byte mov", BY("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x3e\xc7\x84\x24\x00\x01\x00\x00\x78\x56\x34\x12"), 1, LONG, 15, ROW_INVALID },
    { "12 prefixes + 6-byte add r/m32,imm32", BY("\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x81\xc0\x01\x02\x03\x04"), 1, LONG, 15, ROW_INVALID },
};

START_TEST(test_lengths)
{
    const lcase_t *t = &lcases[_i];
    isa_insn_t in;
    int rc = decode(t->bytes, t->n, t->code32, &in);
    ck_assert_msg(rc == t->rc, "%s: rc %d, expected %d", t->name, rc, t->rc);
    if (t->len >= 0)
        ck_assert_msg(in.len == t->len, "%s: len %d, expected %d", t->name, in.len, t->len);
    ck_assert_msg(in.row == t->row, "%s: row %d (%s), expected %d (%s)", t->name, in.row,
                  in.row < ROW_COUNT ? isa_rows[in.row].id : "invalid", t->row,
                  t->row < ROW_COUNT ? isa_rows[t->row].id : "invalid");
    if (rc == OK) {
        /* one byte short is never a whole instruction */
        isa_insn_t in2;
        ck_assert_msg(decode(t->bytes, in.len - 1, t->code32, &in2) != OK, "%s: decoded from %d bytes",
                      t->name, in.len - 1);
        /* trailing bytes do not change anything */
        char buf[32];
        memset(buf, 0x90, sizeof buf);
        memcpy(buf, t->bytes, (size_t)t->n);
        ck_assert_int_eq(decode(buf, 32, t->code32, &in2), OK);
        ck_assert_int_eq(in2.len, in.len);
        ck_assert_int_eq(in2.row, in.row);
    }
}
END_TEST

/* ---- decoded fields -------------------------------------------------------- */
typedef struct fcase {
    const char *name;
    const char *bytes;
    int n, code32;
    int opsize, adsize, seg, seg_override, rep, lock, has_mem;
    int base, index, scale;
    uint32_t disp, imm, imm2;
    int mod, reg, rm;
    /* operands 0 and 1: kind, size, reg */
    int k0, s0, r0, k1, s1, r1;
} fcase_t;

#define N OPK_NONE
#define R OPK_REG
#define M OPK_MEM
#define I OPK_IMM
#define SN SEG_NONE

static const fcase_t fcases[] = {
    /* name, bytes, code32, opsize adsize seg ovr rep lock mem, base index scale, disp imm imm2, mod reg rm, ops */
    { "mov eax,[esp+8]", BY("\x8b\x44\x24\x08"), 1, 4, 4, SEG_SS, SN, 0, 0, 1, ESP, NR, 0, 8, 0, 0, 1, EAX, 4,
      R, 4, EAX, M, 4, 0 },
    { "mov eax,[ecx*4+0x1000]", BY("\x8b\x04\x8d\x00\x10\x00\x00"), 1, 4, 4, SEG_DS, SN, 0, 0, 1, NR, ECX, 2, 0x1000,
      0, 0, 0, EAX, 4, R, 4, EAX, M, 4, 0 },
    { "mov eax,[ebp+eax*2+0x10]", BY("\x8b\x44\x45\x10"), 1, 4, 4, SEG_SS, SN, 0, 0, 1, EBP, EAX, 1, 0x10, 0, 0,
      1, EAX, 4, R, 4, EAX, M, 4, 0 },
    { "mov ecx,[ebp-4]", BY("\x8b\x4d\xfc"), 1, 4, 4, SEG_SS, SN, 0, 0, 1, EBP, NR, 0, 0xfffffffc, 0, 0, 1, ECX, 5,
      R, 4, ECX, M, 4, 0 },
    { "mov eax,[0x11223344]", BY("\x8b\x05\x44\x33\x22\x11"), 1, 4, 4, SEG_DS, SN, 0, 0, 1, NR, NR, 0, 0x11223344,
      0, 0, 0, EAX, 5, R, 4, EAX, M, 4, 0 },
    { "mov eax,[0x200000] (sib, no base, no index)", BY("\x8b\x04\x25\x00\x00\x20\x00"), 1, 4, 4, SEG_DS, SN, 0, 0,
      1, NR, NR, 0, 0x200000, 0, 0, 0, EAX, 4, R, 4, EAX, M, 4, 0 },
    { "mov eax,[esp] uses SS", BY("\x8b\x04\x24"), 1, 4, 4, SEG_SS, SN, 0, 0, 1, ESP, NR, 0, 0, 0, 0, 0, EAX, 4,
      R, 4, EAX, M, 4, 0 },
    { "mov eax,[ebp*8+disp32] index ebp keeps DS", BY("\x8b\x04\xed\x00\x01\x00\x00"), 1, 4, 4, SEG_DS, SN, 0, 0, 1,
      NR, EBP, 3, 0x100, 0, 0, 0, EAX, 4, R, 4, EAX, M, 4, 0 },
    { "es: mov eax,[ebp]", BY("\x26\x8b\x45\x00"), 1, 4, 4, SEG_ES, SEG_ES, 0, 0, 1, EBP, NR, 0, 0, 0, 0, 1, EAX, 5,
      R, 4, EAX, M, 4, 0 },
    { "fs: mov al,moffs", BY("\x64\xa0\x00\x00\x20\x00"), 1, 4, 4, SEG_FS, SEG_FS, 0, 0, 1, NR, NR, 0, 0x200000, 0, 0,
      0, 0, 0, R, 1, EAX, M, 1, 0 },
    { "mov moffs16,ax (66 67)", BY("\x66\x67\xa3\x34\x12"), 1, 2, 2, SEG_DS, SN, 0, 0, 1, NR, NR, 0, 0x1234, 0, 0,
      0, 0, 0, M, 2, 0, R, 2, EAX },
    { "67: mov eax,[bx+si]", BY("\x67\x8b\x00"), 1, 4, 2, SEG_DS, SN, 0, 0, 1, EBX, ESI, 0, 0, 0, 0, 0, EAX, 0,
      R, 4, EAX, M, 4, 0 },
    { "67: mov eax,[bp+di]", BY("\x67\x8b\x03"), 1, 4, 2, SEG_SS, SN, 0, 0, 1, EBP, EDI, 0, 0, 0, 0, 0, EAX, 3,
      R, 4, EAX, M, 4, 0 },
    { "67: mov eax,[0x1234]", BY("\x67\x8b\x06\x34\x12"), 1, 4, 2, SEG_DS, SN, 0, 0, 1, NR, NR, 0, 0x1234, 0, 0,
      0, EAX, 6, R, 4, EAX, M, 4, 0 },
    { "67: mov eax,[bp-2]", BY("\x67\x8b\x46\xfe"), 1, 4, 2, SEG_SS, SN, 0, 0, 1, EBP, NR, 0, 0xfffffffe, 0, 0,
      1, EAX, 6, R, 4, EAX, M, 4, 0 },
    { "67: mov eax,[bx+si-0x8000]", BY("\x67\x8b\x80\x00\x80"), 1, 4, 2, SEG_DS, SN, 0, 0, 1, EBX, ESI, 0,
      0xffff8000, 0, 0, 2, EAX, 0, R, 4, EAX, M, 4, 0 },
    { "67: mov eax,[di]", BY("\x67\x8b\x05"), 1, 4, 2, SEG_DS, SN, 0, 0, 1, NR, EDI, 0, 0, 0, 0, 0, EAX, 5,
      R, 4, EAX, M, 4, 0 },
    { "16: mov ax,[bx]", BY("\x8b\x07"), 0, 2, 2, SEG_DS, SN, 0, 0, 1, EBX, NR, 0, 0, 0, 0, 0, EAX, 7,
      R, 2, EAX, M, 2, 0 },
    { "16: 66 67 mov eax,[eax*2+ebx]", BY("\x66\x67\x8b\x04\x43"), 0, 4, 4, SEG_DS, SN, 0, 0, 1, EBX, EAX, 1, 0,
      0, 0, 0, EAX, 4, R, 4, EAX, M, 4, 0 },
    { "add ax,0x1234", BY("\x66\x05\x34\x12"), 1, 2, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0x1234, 0, 0, 0, 0,
      R, 2, EAX, I, 2, 0 },
    { "add r/m32,-1 (83)", BY("\x83\xc1\xff"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0xffffffff, 0, 3, 0, 1,
      R, 4, ECX, I, 4, 0 },
    { "add r/m8,0xff (80)", BY("\x80\xc1\xff"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0xff, 0, 3, 0, 1,
      R, 1, ECX, I, 1, 0 },
    { "push -2 (6A)", BY("\x6a\xfe"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0xfffffffe, 0, 0, 0, 0,
      I, 4, 0, N, 0, 0 },
    { "imul ecx,[eax],-1 (6B)", BY("\x6b\x08\xff"), 1, 4, 4, SEG_DS, SN, 0, 0, 1, EAX, NR, 0, 0, 0xffffffff, 0,
      0, ECX, 0, R, 4, ECX, M, 4, 0 },
    { "mov bh,0x12", BY("\xb7\x12"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0x12, 0, 0, 0, 0,
      R, 1, 7, I, 1, 0 },
    { "xchg eax,esi", BY("\x96"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0, 0, 0, 0, 0, R, 4, EAX, R, 4, ESI },
    { "enter 0x10,1", BY("\xc8\x10\x00\x01"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0x10, 1, 0, 0, 0,
      N, 0, 0, N, 0, 0 },
    { "lcall 0x08:0x12345678", BY("\x9a\x78\x56\x34\x12\x08\x00"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0,
      0x12345678, 8, 0, 0, 0, N, 0, 0, N, 0, 0 },
    { "ljmp 0x10:0x1234 (66)", BY("\x66\xea\x34\x12\x10\x00"), 1, 2, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0x1234,
      0x10, 0, 0, 0, N, 0, 0, N, 0, 0 },
    { "jo -2", BY("\x70\xfe"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0xfffffffe, 0, 0, 0, 0, N, 0, 0, N, 0, 0 },
    { "call rel16 -1 (66)", BY("\x66\xe8\xff\xff"), 1, 2, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0xffffffff, 0,
      0, 0, 0, N, 0, 0, N, 0, 0 },
    { "rep movsd", BY("\xf3\xa5"), 1, 4, 4, SEG_DS, SN, 0xf3, 0, 0, NR, NR, 0, 0, 0, 0, 0, 0, 0, N, 0, 0, N, 0, 0 },
    { "cs: repne cmpsb", BY("\x2e\xf2\xa6"), 1, 4, 4, SEG_CS, SEG_CS, 0xf2, 0, 0, NR, NR, 0, 0, 0, 0, 0, 0, 0,
      N, 0, 0, N, 0, 0 },
    { "lock add [ebx],eax", BY("\xf0\x01\x03"), 1, 4, 4, SEG_DS, SN, 0, 1, 1, EBX, NR, 0, 0, 0, 0, 0, EAX, 3,
      M, 4, 0, R, 4, EAX },
    { "mov word [eax],es (8C to memory is 16-bit)", BY("\x8c\x00"), 1, 4, 4, SEG_DS, SN, 0, 0, 1, EAX, NR, 0, 0, 0, 0,
      0, SEG_ES, 0, M, 2, 0, N, 0, 0 },
    { "mov esi,ds (32-bit register)", BY("\x8c\xde"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0, 0, 3, SEG_DS, 6,
      R, 4, ESI, N, 0, 0 },
    { "mov ss,dx", BY("\x8e\xd2"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0, 0, 3, SEG_SS, 2,
      N, 0, 0, R, 2, EDX },
    { "mov cr3,ebx (mod 0 is a register)", BY("\x0f\x22\x1b"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0, 0,
      3, 3, 3, R, 4, EBX, N, 0, 0 },
    { "in al,0x80", BY("\xe4\x80"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0x80, 0, 0, 0, 0, R, 1, EAX, I, 1, 0 },
    { "out dx,ax", BY("\x66\xef"), 1, 2, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0, 0, 0, 0, 0, R, 2, EDX, R, 2, EAX },
    { "movzx eax,byte [ecx]", BY("\x0f\xb6\x01"), 1, 4, 4, SEG_DS, SN, 0, 0, 1, ECX, NR, 0, 0, 0, 0, 0, EAX, 1,
      R, 4, EAX, M, 1, 0 },
    { "shl dword [eax],cl", BY("\xd3\x20"), 1, 4, 4, SEG_DS, SN, 0, 0, 1, EAX, NR, 0, 0, 0, 0, 0, 4, 0,
      M, 4, 0, R, 1, ECX },
    { "sar eax,1", BY("\xd1\xf8"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 1, 0, 3, 7, 0, R, 4, EAX, I, 1, 0 },
    { "bt eax,imm8", BY("\x0f\xba\xe0\x25"), 1, 4, 4, SEG_DS, SN, 0, 0, 0, NR, NR, 0, 0, 0x25, 0, 3, 4, 0,
      R, 4, EAX, I, 1, 0 },
};

START_TEST(test_fields)
{
    const fcase_t *t = &fcases[_i];
    isa_insn_t in;
    ck_assert_msg(decode(t->bytes, t->n, t->code32, &in) == OK, "%s: not decoded", t->name);
    ck_assert_int_eq(in.len, t->n);
#define F(field, want) ck_assert_msg((uint32_t)(field) == (uint32_t)(want), "%s: " #field " = %#x, expected %#x", \
                                     t->name, (unsigned)(field), (unsigned)(want))
    F(in.opsize, t->opsize);
    F(in.adsize, t->adsize);
    F(in.seg, t->seg);
    F(in.seg_override, t->seg_override);
    F(in.rep, t->rep);
    F(in.lock, t->lock);
    F(in.has_mem, t->has_mem);
    if (t->has_mem && in.op[0].kind != OPK_MEM && in.op[1].kind != OPK_MEM)
        ck_abort_msg("%s: memory operand expected", t->name);
    if (t->has_mem) {
        F(in.base, t->base);
        F(in.index, t->index);
        F(in.scale, t->scale);
        F(in.disp, t->disp);
    }
    if (in.has_modrm) {
        F(in.mod, t->mod);
        F(in.reg, t->reg);
        F(in.rm, t->rm);
    }
    F(in.imm, t->imm);
    F(in.imm2, t->imm2);
    if (t->k0 != N) {
        F(in.op[0].kind, t->k0);
        F(in.op[0].size, t->s0);
        if (t->k0 == R) F(in.op[0].reg, t->r0);
    }
    if (t->k1 != N) {
        F(in.op[1].kind, t->k1);
        F(in.op[1].size, t->s1);
        if (t->k1 == R) F(in.op[1].reg, t->r1);
    }
#undef F
}
END_TEST

/* The prefix bytes set the right flags and the opcode byte is kept. */
START_TEST(test_prefix_flags)
{
    isa_insn_t in;
    ck_assert_int_eq(decode("\x66\x67\xf3\xab", 4, 1, &in), OK);
    ck_assert_int_eq(in.opsize_prefix, 1);
    ck_assert_int_eq(in.adsize_prefix, 1);
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_int_eq(in.adsize, 2);
    ck_assert_int_eq(in.rep, 0xf3);
    ck_assert_int_eq(in.opcode, 0xab);
    ck_assert_int_eq(in.row, ROW_STOSV);
    /* in a 16-bit segment the same prefixes select 32 bits */
    ck_assert_int_eq(decode("\x66\x67\xab", 3, 0, &in), OK);
    ck_assert_int_eq(in.opsize, 4);
    ck_assert_int_eq(in.adsize, 4);
    /* the last REP prefix wins */
    ck_assert_int_eq(decode("\xf3\xf2\xa6", 3, 1, &in), OK);
    ck_assert_int_eq(in.rep, 0xf2);
    /* condition code and +r register come from the opcode byte */
    ck_assert_int_eq(decode("\x0f\x4c\xc1", 3, 1, &in), OK);
    ck_assert_int_eq(in.opcode, 0x4c);
    ck_assert_str_eq(isa_mnemonic(&in), "cmovl");
    ck_assert_int_eq(decode("\x7f\x00", 2, 1, &in), OK);
    ck_assert_str_eq(isa_mnemonic(&in), "jg");
    ck_assert_int_eq(decode("\x0f\x92\xc0", 3, 1, &in), OK);
    ck_assert_str_eq(isa_mnemonic(&in), "setb");
    ck_assert_int_eq(decode("\x0f\xc9", 2, 1, &in), OK);
    ck_assert_int_eq(in.op[0].reg, ECX);
    ck_assert_int_eq(decode("\xd6", 1, 1, &in), UD);
    ck_assert_str_eq(isa_mnemonic(&in), "(bad)");
}
END_TEST

/* No input makes the decoder read past `avail` or loop: every 1- and
 * 2-byte opcode with every ModRM, from a short exact-size buffer. */
START_TEST(test_short_inputs)
{
    for (int a = 0; a < 256; a++) {
        for (int b = 0; b < 256; b++) {
            char bytes[3] = { (char)a, (char)b, 0 };
            isa_insn_t in;
            for (int n = 0; n <= 3; n++) {
                int rc = decode(bytes, n, 1, &in);
                /* 262,144 decodes: check's assertion macros only on a failure,
                 * so the test stays fast under the sanitizers on a loaded machine */
                if ((rc != OK && rc != UD) || in.len > (n ? n : 1) ||
                    (rc == OK ? in.row >= ROW_COUNT : in.row != ROW_INVALID))
                    ck_abort_msg("%02x %02x, %d bytes: rc %d, len %d, row %d", a, b, n, rc,
                                 (int)in.len, (int)in.row);
            }
        }
    }
}
END_TEST

/* ---- invariants over the table ---------------------------------------------- */
static int in_list(const char *id, const char *const *list)
{
    for (int k = 0; list[k]; k++)
        if (strcmp(id, list[k]) == 0)
            return 1;
    return 0;
}

/* The SDM's privileged instructions (vol. 3, 5.9) in i686 integer ISA. */
static const char *const priv_rows[] = {
    "HLT", "LGDT", "LIDT", "LLDT", "LTR", "LMSW", "CLTS", "INVD", "WBINVD", "INVLPG",
    "MOV_RdCd", "MOV_CdRd", "MOV_RdDd", "MOV_DdRd", "RDMSR", "WRMSR", NULL
};
/* IOPL-sensitive: CLI, STI and the I/O instructions (vol. 1, 18.5.1). */
static const char *const iopl_rows[] = {
    "CLI", "STI", "IN_ALIb", "IN_AXIb", "IN_ALDX", "IN_AXDX", "OUT_IbAL", "OUT_IbAX", "OUT_DXAL",
    "OUT_DXAX", "INSB", "INSV", "OUTSB", "OUTSV", NULL
};
/* Sensitive but unprivileged (Robin and Irvine, 2000), control-sensitive ... */
static const char *const sctrl_rows[] = {
    "POPF", "IRET", "POP_ES", "POP_SS", "POP_DS", "POP_FS", "POP_GS", "MOV_SwEw", "LDS", "LES",
    "LSS", "LFS", "LGS", "CALLF_Ap", "GFF_CALLF", "JMPF_Ap", "GFF_JMPF", "RETF", "RETF_Iw", NULL
};
/* ... and behaviour-sensitive. */
static const char *const sbehv_rows[] = {
    "PUSHF", "SGDT", "SIDT", "SLDT", "STR", "SMSW", "LAR", "LSL", "VERR", "VERW", "MOV_EwSw",
    "PUSH_ES", "PUSH_CS", "PUSH_SS", "PUSH_DS", "PUSH_FS", "PUSH_GS", NULL
};
static const char *const sint_rows[] = { "INT3", "INT_Ib", "INTO", NULL };
/* The VMX instructions (SDM vol. 3C chapter 31). */
static const char *const vmx_rows[] = {
    "VMCALL", "VMLAUNCH", "VMRESUME", "VMXOFF", "VMREAD", "VMWRITE", "VMPTRLD", "VMCLEAR", "VMXON",
    "VMPTRST", "INVEPT", "INVVPID", NULL
};

START_TEST(test_table_classes)
{
    for (int row = 0; row < ROW_COUNT; row++) {
        const isa_row_info_t *r = &isa_rows[row];
        int want = in_list(r->id, priv_rows) ? PRIV : in_list(r->id, iopl_rows) ? IOPL
                 : in_list(r->id, sctrl_rows) ? SCTRL : in_list(r->id, sbehv_rows) ? SBEHV
                 : in_list(r->id, sint_rows) ? SINT : in_list(r->id, vmx_rows) ? VMXI : INNOC;
        ck_assert_msg(r->cls == want, "row %s: class %d, expected %d", r->id, r->cls, want);
        ck_assert_int_eq(isa_row_is_sensitive(r), want == PRIV || want == IOPL || want == SCTRL || want == SBEHV);
    }
    /* every named row exists */
    const char *const *lists[] = { priv_rows, iopl_rows, sctrl_rows, sbehv_rows, sint_rows, vmx_rows };
    for (int l = 0; l < 6; l++)
        for (int k = 0; lists[l][k]; k++) {
            int found = 0;
            for (int row = 0; row < ROW_COUNT; row++)
                found |= strcmp(isa_rows[row].id, lists[l][k]) == 0;
            ck_assert_msg(found, "no row %s", lists[l][k]);
        }
}
END_TEST

static int form_has_modrm(int f)
{
    switch (f) {
    case F_EbGb: case F_EvGv: case F_GbEb: case F_GvEv: case F_EwGw: case F_GvEvIz: case F_GvEvIbs:
    case F_EbIb: case F_EvIz: case F_EvIbs: case F_EvIb: case F_Eb1: case F_Ev1: case F_EbCL: case F_EvCL:
    case F_EvGvIb: case F_EvGvCL: case F_Eb: case F_Ev: case F_Ew: case F_M: case F_Mp: case F_Mq:
    case F_GvM: case F_GvEb: case F_GvEw: case F_EwSw: case F_SwEw: case F_RdCd: case F_CdRd:
    case F_RdDd: case F_DdRd: case F_EdGd: case F_GdEd: case F_GdM:
        return 1;
    }
    return 0;
}
static int form_mem_only(int f) { return f == F_M || f == F_Mp || f == F_Mq || f == F_GvM || f == F_GdM; }
/* A row's mandatory prefix: 0 none, else its flag (NP, P66, PF3). */
static int mandatory(const isa_row_info_t *r) { return r->flags & (NP | P66 | PF3); }
/* A register form of a group that is an instruction of its own (0F 01 C1). */
static int exact_modrm(const isa_row_info_t *r) { return r->digit >= 0xc0; }
static int form_byte(int f)
{
    switch (f) {
    case F_EbGb: case F_GbEb: case F_ALIb: case F_ZbIb: case F_EbIb: case F_Eb1: case F_EbCL: case F_Eb:
    case F_ALOb: case F_ObAL: case F_ALDX: case F_IbAL: case F_DXAL:
        return 1;
    }
    return 0;
}
static int form_word_or_v(int f)
{
    switch (f) {
    case F_EvGv: case F_GvEv: case F_AXIz: case F_EvIz: case F_EvIbs: case F_EvIb: case F_Ev1: case F_EvCL:
    case F_AXOv: case F_OvAX: case F_ZvIv: case F_AXIb: case F_AXDX: case F_IbAX: case F_DXAX: case F_Zv:
    case F_AXZv: case F_GvEvIz: case F_GvEvIbs: case F_EvGvIb: case F_EvGvCL: case F_Ev: case F_Ew:
    case F_GvEb: case F_GvEw: case F_GvM: case F_EwGw: case F_EwSw: case F_SwEw:
        return 1;
    }
    return 0;
}
/* Forms whose first operand can be memory (a LOCK destination). */
static int form_mem_dest(int f)
{
    switch (f) {
    case F_EbGb: case F_EvGv: case F_EbIb: case F_EvIz: case F_EvIbs: case F_EvIb: case F_Eb: case F_Ev:
    case F_Mq:
        return 1;
    }
    return 0;
}

START_TEST(test_table_shape)
{
    static const char *const lockable[] = { "add", "adc", "and", "btc", "btr", "bts", "cmpxchg", "cmpxchg8b",
                                            "dec", "inc", "neg", "not", "or", "sbb", "sub", "xor", "xadd",
                                            "xchg", NULL };
    static const char *const strings[] = { "movs", "cmps", "stos", "lods", "scas", "ins", "outs", NULL };
    for (int row = 0; row < ROW_COUNT; row++) {
        const isa_row_info_t *r = &isa_rows[row];
        ck_assert_msg(r->map >= 1 && r->map <= 3, "%s: map %d", r->id, r->map);
        ck_assert_msg(r->nops >= 1 && r->op + r->nops <= 256, "%s: nops", r->id);
        ck_assert_msg((r->digit >= -1 && r->digit <= 7) || (r->digit >= 0xc0 && r->digit <= 0xff),
                      "%s: digit", r->id);
        ck_assert_msg(r->form < F_COUNT, "%s: form", r->id);
        ck_assert_msg(r->mnem && r->mnem[0], "%s: mnemonic", r->id);
        ck_assert_msg(r->digit < 0 || exact_modrm(r) || form_has_modrm(r->form),
                      "%s: ModRM digit without a ModRM form", r->id);
        ck_assert_msg(!exact_modrm(r) || r->form == F_NONE, "%s: a whole ModRM byte with operands", r->id);
        ck_assert_msg(r->nops == 1 || r->digit < 0, "%s: a +r row with a digit", r->id);
        int pf = mandatory(r);
        ck_assert_msg(pf == 0 || pf == NP || pf == P66 || pf == PF3, "%s: two mandatory prefixes", r->id);
        /* B says the same as the form */
        if (form_byte(r->form))
            ck_assert_msg(r->flags & B, "%s: byte form without B", r->id);
        if (form_word_or_v(r->form))
            ck_assert_msg(!(r->flags & B), "%s: B on a word form", r->id);
        /* LOCK only where the SDM allows it */
        if (r->flags & LK) {
            ck_assert_msg(in_list(r->mnem, lockable), "%s: LK on a non-lockable instruction", r->id);
            ck_assert_msg(form_mem_dest(r->form), "%s: LK without a memory destination form", r->id);
        } else if (in_list(r->mnem, lockable) && form_mem_dest(r->form) && r->cls == INNOC) {
            ck_abort_msg("%s: lockable read-modify-write without LK", r->id);
        }
        /* string instructions */
        ck_assert_msg(!!(r->flags & SO) == in_list(r->mnem, strings), "%s: SO flag", r->id);
        if (r->flags & SO)
            ck_assert_int_eq(r->form, F_NONE);
        /* no two rows share an encoding: the same opcode, ModRM.reg (or
         * none) and mandatory prefix; a whole ModRM byte stands apart from
         * the group's reg rows, whose register forms it takes */
        for (int o = 0; o < row; o++) {
            const isa_row_info_t *q = &isa_rows[o];
            if (q->map != r->map || q->op + q->nops <= r->op || r->op + r->nops <= q->op)
                continue;
            if (exact_modrm(r) != exact_modrm(q) && r->digit >= 0 && q->digit >= 0)
                continue;
            if (r->digit >= 0 && q->digit >= 0 && r->digit != q->digit)
                continue;
            if (mandatory(r) && mandatory(q) && mandatory(r) != mandatory(q))
                continue;
            ck_abort_msg("%s: encoding taken by %s", r->id, q->id);
        }
        /* ids are unique */
        for (int o = 0; o < row; o++)
            ck_assert_msg(strcmp(isa_rows[o].id, r->id) != 0, "duplicate row %s", r->id);
    }
}
END_TEST

/* Every row, and every opcode it covers, is reached by the decoder; memory-
 * only forms refuse a register operand. */
START_TEST(test_table_decode_map)
{
    for (int row = 0; row < ROW_COUNT; row++) {
        const isa_row_info_t *r = &isa_rows[row];
        for (int k = 0; k < r->nops; k++) {
            for (int mod3 = 0; mod3 < 2; mod3++) {
                char b[16];
                int n = 0;
                memset(b, 0, sizeof b);
                if (r->flags & P66)
                    b[n++] = 0x66;
                if (r->flags & PF3)
                    b[n++] = (char)0xf3;
                if (r->map >= 2)
                    b[n++] = 0x0f;
                if (r->map == 3)
                    b[n++] = 0x38;
                b[n++] = (char)(r->op + k);
                if (exact_modrm(r) && !mod3)
                    continue;   /* a register form only */
                b[n++] = (char)(exact_modrm(r) ? r->digit
                                : (mod3 ? 0xc0 : 0x00) | ((r->digit < 0 ? 0 : r->digit) << 3));
                isa_insn_t in;
                int rc = decode(b, 16, 1, &in);
                if (mod3 && form_mem_only(r->form)) {
                    ck_assert_msg(rc == UD, "%s: register operand accepted", r->id);
                    continue;
                }
                if (mod3 && !form_has_modrm(r->form) && !exact_modrm(r))
                    continue;
                ck_assert_msg(rc == OK, "%s (+%d): not decoded", r->id, k);
                ck_assert_msg(in.row == row, "%s (+%d): decoded as %s", r->id, k,
                              in.row < ROW_COUNT ? isa_rows[in.row].id : "invalid");
                ck_assert_msg(in.has_modrm == (form_has_modrm(r->form) || exact_modrm(r)), "%s: ModRM", r->id);
                ck_assert_str_ne(isa_mnemonic(&in), "(bad)");
            }
        }
    }
}
END_TEST

/* Every opcode the table does not name is #UD, in the three maps (the
 * named ones are reached, test_table_decode_map). */
START_TEST(test_unnamed_opcodes_ud)
{
    static const uint8_t prefixes[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x0f };
    for (int map = 1; map <= 3; map++) {
        for (int op = 0; op < 256; op++) {
            int named = 0;
            for (int row = 0; row < ROW_COUNT; row++) {
                const isa_row_info_t *r = &isa_rows[row];
                named |= r->map == map && op >= r->op && op < r->op + r->nops;
            }
            if (named || (map == 1 && memchr(prefixes, op, sizeof prefixes)) || (map == 2 && op == 0x38))
                continue;
            char b[8] = { 0x0f, 0x38, 0, 0, 0, 0, 0, 0 };
            int n = map - 1;
            b[n] = (char)op;
            isa_insn_t in;
            int rc = decode(b, 8, 1, &in);
            ck_assert_msg(rc == UD && in.row == ROW_INVALID, "map %d opcode %02x: rc %d", map, op, rc);
            /* only the one-byte D8-DF are x87 escapes (#NM under CR0.EM/TS) */
            ck_assert_int_eq(in.x87, map == 1 && op >= 0xd8 && op <= 0xdf);
        }
    }
}
END_TEST

/* An x87 escape is measured with its ModRM, SIB and displacement. */
START_TEST(test_x87_lengths)
{
    static const struct { const char *b; int n, len; } t[] = {
        { "\xd9\xe8", 2, 2 },                          /* fld1 */
        { "\xd9\x3d\x00\x00\x03\x00", 6, 6 },          /* fnstcw 0x30000 */
        { "\xdd\x44\x24\x08", 4, 4 },                  /* fldl 8(%esp) */
        { "\x66\xdf\x00", 3, 3 },                      /* data16 fild (%eax) */
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        isa_insn_t in;
        ck_assert_int_eq(decode(t[k].b, t[k].n, 1, &in), UD);
        ck_assert_int_eq(in.x87, 1);
        ck_assert_int_eq(in.len, t[k].len);
    }
}
END_TEST

static Suite *decode_suite(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("bytes");
    tcase_set_timeout(tc, 60);   /* test_short_inputs decodes every two-byte prefix */
    tcase_add_loop_test(tc, test_lengths, 0, (int)(sizeof lcases / sizeof lcases[0]));
    tcase_add_loop_test(tc, test_fields, 0, (int)(sizeof fcases / sizeof fcases[0]));
    tcase_add_test(tc, test_prefix_flags);
    tcase_add_test(tc, test_short_inputs);
    suite_add_tcase(s, tc);
    TCase *tt = tcase_create("table");
    tcase_add_test(tt, test_table_classes);
    tcase_add_test(tt, test_table_shape);
    tcase_add_test(tt, test_table_decode_map);
    tcase_add_test(tt, test_unnamed_opcodes_ud);
    tcase_add_test(tt, test_x87_lengths);
    suite_add_tcase(s, tt);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(decode_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
