/* The translator proper: one guest basic block into one fragment of x86-32
 * code (vmm/dbt.h says what becomes what). Pure: it reads guest bytes
 * through dbt_guest_t and writes only the block and its bytes, so the unit
 * tests run it on byte arrays. */
#include <string.h>
#include "vmm/dbt.h"

/* The block being made, where its bytes go, and the taken sides of its
 * conditional branches, whose exits follow the unit's last instruction. */
typedef struct tr {
    dbt_block_t *b;
    uint8_t *code;
    int ntaken;
    struct { uint16_t site; uint32_t target, from; } taken[DBT_MAX_INSNS];
} tr_t;

static void put8(tr_t *t, uint8_t x) { t->code[t->b->len++] = x; }

static void put32_at(uint8_t *code, uint32_t at, uint32_t x)
{
    for (int k = 0; k < 4; k++)
        code[at + k] = (uint8_t)(x >> (8 * k));
}

static uint32_t get32_at(const uint8_t *code, uint32_t at)
{
    return (uint32_t)code[at] | (uint32_t)code[at + 1] << 8 | (uint32_t)code[at + 2] << 16 |
           (uint32_t)code[at + 3] << 24;
}

static void put32(tr_t *t, uint32_t x)
{
    put32_at(t->code, t->b->len, x);
    t->b->len += 4;
}

static void map(tr_t *t, dbt_how_t how, int first, uint32_t eip, uint32_t from)
{
    dbt_block_t *b = t->b;
    b->map[b->nmap++] = (dbt_map_t){ b->len, (uint8_t)how, (uint8_t)first, eip, from };
}

/* An exit to `target`: `ljmp $VMM_TC_CS|1, $self` (unchained: it names
 * itself; the VMM intercepts it before it would run). */
static void emit_exit(tr_t *t, int kind, uint32_t target, uint32_t from, uint16_t branch)
{
    dbt_block_t *b = t->b;
    map(t, kind == DX_CALLOUT ? DH_CALLOUT : DH_EXIT, kind == DX_CALLOUT, target, from);
    b->exit[b->nexit++] = (dbt_exit_t){ b->len, branch, (uint8_t)kind, target };
    put8(t, 0xea);
    put32(t, b->tc_at + b->len - 1);
    put8(t, (uint8_t)(VMM_TC_CS | 1));
    put8(t, (uint8_t)(VMM_TC_CS >> 8));
}

static int is_direct(int row)
{
    return row == ROW_JCC_Jb || row == ROW_JCC_Jz || row == ROW_JMP_Jb || row == ROW_JMP_Jz ||
           row == ROW_CALL_Jz || row == ROW_LOOP || row == ROW_LOOPE || row == ROW_LOOPNE || row == ROW_JECXZ;
}

static int is_indirect(int row)
{
    return row == ROW_RET || row == ROW_RET_Iw || row == ROW_GFF_CALL || row == ROW_GFF_JMP;
}

/* Whether it names the guest's %gs, which in the TC is the VMM's. */
static int uses_gs(const isa_insn_t *i)
{
    return i->seg_override == SEG_GS || i->row == ROW_PUSH_GS || i->row == ROW_POP_GS || i->row == ROW_LGS ||
           ((i->row == ROW_MOV_EwSw || i->row == ROW_MOV_SwEw) && i->reg == SEG_GS);
}

/* PUSH and MOV from DS, ES, FS: sensitive in general, but under ring
 * compression those selectors are the guest's own (only CS and SS carry
 * the real ring), so the real CPU gives what the guest's would. */
static int reads_data_sreg(const isa_insn_t *i)
{
    return i->row == ROW_PUSH_DS || i->row == ROW_PUSH_ES || i->row == ROW_PUSH_FS ||
           (i->row == ROW_MOV_EwSw && i->reg != SEG_CS && i->reg != SEG_SS);
}

/* Copied byte for byte: innocuous (or reading a data selector), not a
 * transfer, and reading neither through CS (in the TC, the TC) nor
 * through GS (in the TC, the VMM's state page). */
static int is_ident(const isa_insn_t *i)
{
    return i->row != ROW_INVALID && (isa_rows[i->row].cls == INNOC || reads_data_sreg(i)) &&
           !is_direct(i->row) && !is_indirect(i->row) && i->seg_override != SEG_CS && !uses_gs(i);
}

/* A direct transfer at `eip`, `bytes` its guest bytes: rewritten; 0 (the
 * unit ends), 1 (a conditional branch: the unit goes on with its
 * fall-through), or -1 when it must be a callout (16-bit operand size
 * truncates EIP; a target beyond CS's limit faults when taken). */
static int rewrite_direct(tr_t *t, const dbt_guest_t *g, const isa_insn_t *i, const uint8_t *bytes,
                          uint32_t eip)
{
    uint32_t next = eip + i->len, target = next + i->imm;
    if (i->opsize != 4 || target > g->cs_limit)
        return -1;
    map(t, DH_REWRITTEN, 1, eip, eip);
    switch (i->row) {
    case ROW_JMP_Jb: case ROW_JMP_Jz: {
        put8(t, 0xe9);
        uint16_t site = t->b->len;
        put32(t, 0);                               /* to the exit just after */
        emit_exit(t, DX_JUMP, target, eip, site);
        break;
    }
    case ROW_CALL_Jz:
        put8(t, 0x68);                             /* push $guest_return */
        put32(t, next);
        emit_exit(t, DX_JUMP, target, eip, 0);
        break;
    case ROW_JCC_Jb: case ROW_JCC_Jz:
        /* the fall-through goes on in this unit: no jump on that side */
        put8(t, 0x0f);
        put8(t, (uint8_t)(0x80 | (i->opcode & 0xf)));
        t->taken[t->ntaken].site = t->b->len;
        t->taken[t->ntaken].target = target;
        t->taken[t->ntaken++].from = eip;
        put32(t, 0);                               /* to its exit, when the unit is done */
        t->b->rewritten++;
        return 1;
    default:                                       /* LOOP*, JECXZ: rel8 only */
        for (int k = 0; k < i->len - 1; k++)
            put8(t, bytes[k]);
        put8(t, DBT_EXIT_LEN);
        emit_exit(t, DX_JUMP, next, eip, 0);
        emit_exit(t, DX_JUMP, target, eip, 0);
        break;
    }
    t->b->rewritten++;
    return 0;
}

/* MOV %cs,reg and PUSH %cs: the same instruction with the guest's
 * selector as its immediate; 0, or -1 when it is not one of them (a memory
 * destination: a callout). */
static int rewrite_cs_read(tr_t *t, const dbt_guest_t *g, const isa_insn_t *i, uint32_t eip)
{
    int size;
    if (i->row == ROW_PUSH_CS)
        size = i->opsize;
    else if (i->row == ROW_MOV_EwSw && i->reg == SEG_CS && i->op[0].kind == OPK_REG)
        size = i->op[0].size;
    else
        return -1;
    map(t, DH_INLINE, 1, eip, eip);
    if (size == 2)
        put8(t, 0x66);
    put8(t, i->row == ROW_PUSH_CS ? 0x68 : (uint8_t)(0xb8 + i->op[0].reg));   /* push $sel / mov $sel,%reg */
    put8(t, (uint8_t)g->cs_sel);
    put8(t, (uint8_t)(g->cs_sel >> 8));
    if (size == 4) {
        put8(t, 0);
        put8(t, 0);
    }
    t->b->rewritten++;
    return 0;
}

static void put_bytes(tr_t *t, const uint8_t *p, int n)
{
    memcpy(t->code + t->b->len, p, (size_t)n);
    t->b->len += (uint16_t)n;
}

/* `op %ecx,%gs:off` or `op %gs:off,%ecx` (opcode `op`, ModRM ecx/disp32). */
static void put_gs_ecx(tr_t *t, uint8_t op, uint32_t off)
{
    put8(t, 0x65);
    put8(t, op);
    put8(t, 0x0d);
    put32(t, off);
}

/* CLI and PUSHF as inline code on the virtual CPU's state page in %gs
 * (dbt.h); 0, or -1 when it is neither. CLI: the virtual IF's byte
 * cleared, no flag touched. PUSHF (O = 66 for 16 bits):
 *     O pushf                       the real flags: their IF, IOPL the VMM's
 *       mov  %ecx,%gs:SAVE
 *       mov  %gs:VIF,%ecx
 *       or   %gs:VIOPL,%ecx          the virtual IF and IOPL
 *     O and  $~(IF|IOPL),(%esp)
 *     O or   %ecx,(%esp)            merged, as the guest's PUSHF pushes them
 *       mov  %gs:SAVE,%ecx
 *     O popf                        the flags back: at ring 1 and IOPL 0,
 *                                   POPF leaves the real IF and IOPL alone
 *       lea  -W(%esp),%esp          the merged word is on top again
 * Nothing beyond the word PUSHF writes is touched. The machine runs it as
 * one step that retires one instruction (dbt.c), so virtual time and
 * interrupts see one guest PUSHF. */
static int rewrite_inline(tr_t *t, const isa_insn_t *i, uint32_t eip)
{
    if (i->row == ROW_CLI) {
        map(t, DH_INLINE, 1, eip, eip);
        static const uint8_t clear_vif[] = { 0x65, 0xc6, 0x05, DBT_VIF + 1, 0, 0, 0, 0 };   /* movb $0,%gs:vif+1 */
        put_bytes(t, clear_vif, sizeof clear_vif);
    } else if (i->row == ROW_PUSHF) {
        int w = i->opsize;
        map(t, DH_INLINE, 1, eip, eip);
        if (w == 2)
            put8(t, 0x66);
        put8(t, 0x9c);
        put_gs_ecx(t, 0x89, DBT_SAVE);
        put_gs_ecx(t, 0x8b, DBT_VIF);
        put_gs_ecx(t, 0x0b, DBT_VIOPL);
        if (w == 2)
            put8(t, 0x66);
        static const uint8_t and_esp[] = { 0x81, 0x24, 0x24, 0xff, 0xcd };   /* and $~0x3200,(%esp) */
        put_bytes(t, and_esp, sizeof and_esp);
        if (w == 4) {
            put8(t, 0xff);
            put8(t, 0xff);
        }
        if (w == 2)
            put8(t, 0x66);
        static const uint8_t or_esp[] = { 0x09, 0x0c, 0x24 };                /* or %ecx,(%esp) */
        put_bytes(t, or_esp, sizeof or_esp);
        put_gs_ecx(t, 0x8b, DBT_SAVE);
        if (w == 2)
            put8(t, 0x66);
        put8(t, 0x9d);
        static const uint8_t lea_esp[] = { 0x8d, 0x64, 0x24 };               /* lea -W(%esp),%esp */
        put_bytes(t, lea_esp, sizeof lea_esp);
        put8(t, (uint8_t)-w);
    } else {
        return -1;
    }
    t->b->rewritten++;
    return 0;
}

void dbt_translate(const dbt_guest_t *g, uint32_t eip, uint32_t tc_at, dbt_block_t *b, uint8_t *code)
{
    memset(b, 0, sizeof *b);
    b->eip = eip;
    b->tc_at = tc_at;
    tr_t t = { b, code, 0, { { 0, 0, 0 } } };
    uint32_t start = eip;
    for (;;) {
        if (b->ninsns == DBT_MAX_INSNS) {
            emit_exit(&t, DX_JUMP, eip, eip, 0);   /* on to the next block */
            break;
        }
        uint8_t bytes[ISA_MAX_LEN];
        isa_insn_t i;
        int ok = eip <= g->cs_limit && g->read(g->ctx, g->cs_base + eip, bytes, ISA_MAX_LEN) == 0 &&
                 isa_decode(bytes, ISA_MAX_LEN, g->code32, &i) == ISA_DECODE_OK &&
                 (uint64_t)eip + i.len - 1 <= g->cs_limit;
        if (!ok || !g->code32) {
            /* what the CPU would fault on, or 16-bit code: the VMM runs it
             * and reports what happens; after other instructions, a block
             * of its own */
            if (b->ninsns) {
                emit_exit(&t, DX_JUMP, eip, eip, 0);
            } else {
                b->guest_len = ok ? i.len : 1;
                b->ninsns = 1;
                b->callouts = 1;
                emit_exit(&t, DX_CALLOUT, eip, eip, 0);
            }
            break;
        }
        b->guest_len = eip + i.len - start;
        b->ninsns++;
        if (!uses_gs(&i) && !i.lock && (rewrite_cs_read(&t, g, &i, eip) == 0 || rewrite_inline(&t, &i, eip) == 0)) {
            eip += i.len;
            continue;
        }
        if (is_ident(&i)) {
            map(&t, DH_IDENT, 1, eip, eip);
            memcpy(code + b->len, bytes, i.len);
            b->len += i.len;
            b->ident++;
            eip += i.len;
            continue;
        }
        int r = is_direct(i.row) ? rewrite_direct(&t, g, &i, bytes, eip) : -1;
        if (r == 1) {
            eip += i.len;
            continue;
        }
        if (r < 0) {
            emit_exit(&t, DX_CALLOUT, eip, eip, 0);
            b->callouts++;
        }
        break;
    }
    for (int k = 0; k < t.ntaken; k++) {   /* the taken sides' exits */
        put32_at(code, t.taken[k].site, b->len - (t.taken[k].site + 4u));
        emit_exit(&t, DX_JUMP, t.taken[k].target, t.taken[k].from, t.taken[k].site);
    }
}

int dbt_map_back(const dbt_block_t *b, uint32_t tc, uint32_t *eip)
{
    for (int k = 0; k < b->nmap; k++)
        if (b->map[k].tc == tc) {
            *eip = b->map[k].eip;
            return 0;
        }
    return -1;
}

void dbt_chain(const dbt_block_t *b, int k, uint8_t *code, uint32_t to)
{
    const dbt_exit_t *x = &b->exit[k];
    if (x->branch)
        put32_at(code, x->branch, to - (b->tc_at + x->branch + 4));
    put32_at(code, x->at + 1u, to);
}

uint32_t dbt_exit_dest(const dbt_block_t *b, int k, const uint8_t *code)
{
    return get32_at(code, b->exit[k].at + 1u);
}

int dbt_chained(const dbt_block_t *b, int k, const uint8_t *code)
{
    return dbt_exit_dest(b, k, code) != b->tc_at + b->exit[k].at;
}
