/* Protection: descriptor loads with their privilege and type checks, far
 * transfers, IRET, LLDT/LTR, LAR/LSL/VERR/VERW, control registers and I/O
 * permission (SDM vol. 3 chapters 3, 5 and 6; vol. 2 pages of MOV, JMP,
 * CALL, RET, IRET). Every function checks everything before it changes any
 * state, so a fault leaves the CPU as it was. */
#include <string.h>
#include "isa/access.h"

/* Error codes of selector faults: the selector with RPL replaced by EXT/IDT. */
#define SEL_ERR(sel) ((uint32_t)((sel) & 0xfffc))

enum { SYS_TSS16 = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALLGATE16 = 4, SYS_TASKGATE = 5,
       SYS_TSS32 = 9, SYS_TSS32_BUSY = 11, SYS_CALLGATE32 = 12 };

int desc_read(struct cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    uint32_t base, limit, idx = sel & 0xfff8u;
    if (sel & 4) {
        if (!c->ldtr.usable)
            return -1;
        base = c->ldtr.base;
        limit = c->ldtr.limit;
    } else {
        base = c->gdtr.base;
        limit = c->gdtr.limit;
    }
    if (idx + 7 > limit)
        return -1;
    *lo = phys_read(c, base + idx, 4);
    *hi = phys_read(c, base + idx + 4, 4);
    return 0;
}

/* Sets the descriptor's accessed bit in memory, as the processor does. */
static void desc_set_bit(struct cpu *c, uint16_t sel, uint32_t hi, uint32_t bit)
{
    if (hi & bit)
        return;
    uint32_t base = (sel & 4) ? c->ldtr.base : c->gdtr.base;
    phys_write(c, base + (sel & 0xfff8u) + 4, 4, hi | bit);
}
#define ACCESSED_BIT 0x100u
#define BUSY_BIT     0x200u

void desc_to_cache(seg_cache_t *s, uint16_t sel, uint32_t lo, uint32_t hi)
{
    s->sel = sel;
    s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    uint32_t limit = (lo & 0xffff) | (hi & 0xf0000);
    if (hi & (1u << 23))
        limit = (limit << 12) | 0xfff;
    s->limit = limit;
    s->access = (uint8_t)(hi >> 8);
    s->flags = (uint8_t)((hi >> 16) & 0xf0);
    s->usable = 1;
    seg_cache_update(s);
}

void seg_load_flat(seg_cache_t *s, uint16_t sel, int code, int dpl)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->access = (uint8_t)(0x80 | (dpl << 5) | 0x10 | (code ? 0xb : 0x3));
    s->flags = 0xc0;   /* G, D/B */
    s->usable = 1;
    seg_cache_update(s);
}

static void seg_load_null(seg_cache_t *s, uint16_t sel)
{
    memset(s, 0, sizeof *s);
    s->sel = sel;
}

static void set_cs(struct cpu *c, uint16_t sel, uint32_t lo, uint32_t hi, int cpl)
{
    desc_to_cache(&c->seg[SEG_CS], (uint16_t)((sel & ~3u) | (unsigned)cpl), lo, hi);
    c->cpl = (uint8_t)cpl;
}

int prot_load_seg(struct cpu *c, int sreg, uint16_t sel)
{
    uint32_t lo, hi;
    int rpl = sel & 3;
    if (sreg == SEG_SS) {
        if ((sel & 0xfffc) == 0)
            return RAISE_GP(c, 0);
        if (desc_read(c, sel, &lo, &hi))
            return RAISE_GP(c, SEL_ERR(sel));
        uint8_t a = (uint8_t)(hi >> 8);
        if (rpl != c->cpl || !DESC_WRITABLE(a) || DESC_DPL(a) != c->cpl)
            return RAISE_GP(c, SEL_ERR(sel));
        if (!DESC_P(a))
            return RAISE_SS(c, SEL_ERR(sel));
        desc_set_bit(c, sel, hi, ACCESSED_BIT);
        desc_to_cache(&c->seg[SEG_SS], sel, lo, hi | ACCESSED_BIT);
        return 0;
    }
    if ((sel & 0xfffc) == 0) {
        seg_load_null(&c->seg[sreg], sel);
        return 0;
    }
    if (desc_read(c, sel, &lo, &hi))
        return RAISE_GP(c, SEL_ERR(sel));
    uint8_t a = (uint8_t)(hi >> 8);
    if (!DESC_S(a) || !DESC_READABLE(a))
        return RAISE_GP(c, SEL_ERR(sel));
    if (!DESC_CONFORMING(a) && (rpl > DESC_DPL(a) || c->cpl > DESC_DPL(a)))
        return RAISE_GP(c, SEL_ERR(sel));
    if (!DESC_P(a))
        return RAISE_NP(c, SEL_ERR(sel));
    desc_set_bit(c, sel, hi, ACCESSED_BIT);
    desc_to_cache(&c->seg[sreg], sel, lo, hi | ACCESSED_BIT);
    return 0;
}

/* A code segment a far JMP/CALL/RET may go to; `dpl_rule` says which
 * privilege rule applies. Returns 0 or a raised fault. */
static int check_code_target(struct cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    if ((sel & 0xfffc) == 0)
        return RAISE_GP(c, 0);
    if (desc_read(c, sel, lo, hi))
        return RAISE_GP(c, SEL_ERR(sel));
    return 0;
}

static uint32_t cache_limit(uint32_t lo, uint32_t hi)
{
    uint32_t limit = (lo & 0xffff) | (hi & 0xf0000);
    return (hi & (1u << 23)) ? (limit << 12) | 0xfff : limit;
}

/* Reads SS:ESP for ring `dpl` from the current 32-bit TSS. */
static int tss_stack(struct cpu *c, int dpl, uint16_t *ss, uint32_t *esp, uint32_t ext)
{
    int type = DESC_TYPE(c->tr.access);
    if (!c->tr.usable)
        return RAISE_TS(c, SEL_ERR(c->tr.sel) | ext);
    if (type == SYS_TSS32 || type == SYS_TSS32_BUSY) {
        uint32_t off = 4 + 8 * (uint32_t)dpl;
        if (off + 5 > c->tr.limit)
            return RAISE_TS(c, SEL_ERR(c->tr.sel) | ext);
        *esp = phys_read(c, c->tr.base + off, 4);
        *ss = (uint16_t)phys_read(c, c->tr.base + off + 4, 2);
        return 0;
    }
    uint32_t off = 2 + 4 * (uint32_t)dpl;
    if (off + 3 > c->tr.limit)
        return RAISE_TS(c, SEL_ERR(c->tr.sel) | ext);
    *esp = phys_read(c, c->tr.base + off, 2);
    *ss = (uint16_t)phys_read(c, c->tr.base + off + 2, 2);
    return 0;
}

/* Checks a new stack segment for an inner-ring entry (#TS) through the
 * TSS. */
int prot_check_tss_ss(struct cpu *c, uint16_t ss, int dpl, uint32_t *lo, uint32_t *hi, uint32_t ext)
{
    if ((ss & 0xfffc) == 0)
        return RAISE_TS(c, ext);
    if (desc_read(c, ss, lo, hi))
        return RAISE_TS(c, SEL_ERR(ss) | ext);
    uint8_t a = (uint8_t)(*hi >> 8);
    if ((ss & 3) != dpl || DESC_DPL(a) != dpl || !DESC_WRITABLE(a))
        return RAISE_TS(c, SEL_ERR(ss) | ext);
    if (!DESC_P(a))
        return RAISE_SS(c, SEL_ERR(ss) | ext);
    return 0;
}

/* Writes `n` values to a stack described by a cache, top first, checking
 * the limit; used when the stack is not yet SS. */
int prot_push_on(struct cpu *c, const seg_cache_t *ss, uint32_t *esp, const uint32_t *vals, int n, int size)
{
    struct cpu tmp;
    uint32_t sp = *esp, lin;
    tmp.seg[SEG_SS] = *ss;
    tmp.seg[SEG_SS].usable = 1;
    for (int k = 0; k < n; k++) {
        sp -= (uint32_t)size;
        if (!DESC_DB(ss->flags))
            sp &= 0xffff;
        if (seg_check(&tmp, SEG_SS, sp, (uint32_t)size, 1, &lin))
            return raise_exc(c, EXC_SS, 1, tmp.exc_error ? tmp.exc_error : 0);
        phys_write(c, lin, size, vals[k]);
    }
    *esp = sp;
    return 0;
}

/* A task switch to the TSS `sel` names: the checks the SDM makes in the
 * old task, before any state changes (vol. 3 7.3 and table 7-1, the JMP,
 * CALL, INT n and IRET pages), each with its own fault: a selector that is
 * local, outside the GDT or not a TSS of the wanted kind (available, or
 * busy for IRET's task return) raises `bad_vector` (#GP, or #TS for IRET);
 * a TSS not present #NP; one too short to hold a task's state #TS. Task
 * switches are not modelled: only one that passes every check stops the
 * run, as `what`. */
int prot_task_switch(struct cpu *c, uint16_t sel, int want_busy, int bad_vector, uint32_t ext,
                     const char *what)
{
    uint32_t lo, hi, err = SEL_ERR(sel) | ext;
    if ((sel & 4) || desc_read(c, sel, &lo, &hi))
        return raise_exc(c, bad_vector, 1, err);
    uint8_t a = (uint8_t)(hi >> 8);
    int type = DESC_TYPE(a);
    if (DESC_S(a) || (type & 7) != (want_busy ? SYS_TSS16_BUSY : SYS_TSS16))
        return raise_exc(c, bad_vector, 1, err);
    if (!DESC_P(a))
        return RAISE_NP(c, err);
    if (cache_limit(lo, hi) < ((type & 8) ? 0x67u : 0x2bu))
        return RAISE_TS(c, err);
    c->stop_reason = what;
    return ISA_STOP;
}

/* A task gate, in the GDT or the IDT (privilege already checked): present,
 * then the TSS it names, as prot_task_switch() checks it. */
static int prot_task_gate(struct cpu *c, uint16_t gate_sel, uint32_t lo, uint32_t hi, uint32_t ext, const char *what)
{
    if (!DESC_P((uint8_t)(hi >> 8)))
        return RAISE_NP(c, SEL_ERR(gate_sel) | ext);
    return prot_task_switch(c, (uint16_t)(lo >> 16), 0, EXC_GP, ext, what);
}

/* Where a far JMP or CALL goes (SDM JMP/CALL, "protected mode"): a code
 * segment named directly, or the target of a call gate. Every check is made
 * here, before anything changes; the two differ only in the privilege a
 * gate's target may have (CALL may go inward, JMP may not). */
typedef struct far_target {
    uint16_t sel;        /* the code segment selector to load */
    uint32_t lo, hi;     /* its descriptor */
    uint32_t off;        /* the new EIP */
    int gate_size;       /* 0: direct; 2 or 4: through a 16- or 32-bit call gate */
    int nparams;         /* a call gate's parameter count */
} far_target_t;

static int resolve_far_target(struct cpu *c, uint16_t sel, uint32_t off, int opsize, int is_call,
                              far_target_t *t)
{
    uint32_t lo, hi;
    TRY(check_code_target(c, sel, &lo, &hi));
    uint8_t a = (uint8_t)(hi >> 8);
    if (DESC_CODE(a)) {
        if (DESC_CONFORMING(a) ? DESC_DPL(a) > c->cpl
                               : ((sel & 3) > c->cpl || DESC_DPL(a) != c->cpl))
            return RAISE_GP(c, SEL_ERR(sel));
        if (!DESC_P(a))
            return RAISE_NP(c, SEL_ERR(sel));
        if (opsize == 2)
            off &= 0xffff;
        if (off > cache_limit(lo, hi))
            return RAISE_GP(c, 0);
        *t = (far_target_t){ sel, lo, hi, off, 0, 0 };
        return 0;
    }
    if (DESC_S(a))
        return RAISE_GP(c, SEL_ERR(sel));
    int type = DESC_TYPE(a);
    int task = type == SYS_TASKGATE || type == SYS_TSS16 || type == SYS_TSS32;
    if (!task && type != SYS_CALLGATE32 && type != SYS_CALLGATE16)
        return RAISE_GP(c, SEL_ERR(sel));
    /* a gate or TSS is reached at max(CPL, RPL) <= its DPL */
    if (DESC_DPL(a) < c->cpl || DESC_DPL(a) < (sel & 3))
        return RAISE_GP(c, SEL_ERR(sel));
    if (task) {
        const char *what = is_call ? "task switch (far CALL to a TSS or task gate) is not modelled"
                                   : "task switch (far JMP to a TSS or task gate) is not modelled";
        if (type == SYS_TASKGATE)
            return prot_task_gate(c, sel, lo, hi, 0, what);
        return prot_task_switch(c, sel, 0, EXC_GP, 0, what);
    }
    if (!DESC_P(a))
        return RAISE_NP(c, SEL_ERR(sel));
    int gsize = type == SYS_CALLGATE32 ? 4 : 2;
    uint16_t tsel = (uint16_t)(lo >> 16);
    uint32_t toff = (lo & 0xffff) | (gsize == 4 ? (hi & 0xffff0000u) : 0);
    uint32_t tlo, thi;
    TRY(check_code_target(c, tsel, &tlo, &thi));
    uint8_t ta = (uint8_t)(thi >> 8);
    int bad_dpl = is_call ? DESC_DPL(ta) > c->cpl
                          : (DESC_CONFORMING(ta) ? DESC_DPL(ta) > c->cpl : DESC_DPL(ta) != c->cpl);
    if (!DESC_CODE(ta) || bad_dpl)
        return RAISE_GP(c, SEL_ERR(tsel));
    if (!DESC_P(ta))
        return RAISE_NP(c, SEL_ERR(tsel));
    if (toff > cache_limit(tlo, thi))
        return RAISE_GP(c, 0);
    *t = (far_target_t){ tsel, tlo, thi, toff, gsize, (int)(hi & 0x1f) };
    return 0;
}

/* Loads CS from a resolved target at `cpl`; a direct target's descriptor
 * gets its accessed bit, as the processor sets it. */
static void enter_target(struct cpu *c, const far_target_t *t, int cpl)
{
    uint32_t hi = t->hi;
    if (!t->gate_size) {
        desc_set_bit(c, t->sel, hi, ACCESSED_BIT);
        hi |= ACCESSED_BIT;
    }
    set_cs(c, t->sel, t->lo, hi, cpl);
    c->eip = t->off;
}

int prot_far_jmp(struct cpu *c, uint16_t sel, uint32_t off, uint32_t next_eip, int opsize)
{
    (void)next_eip;
    far_target_t t;
    TRY(resolve_far_target(c, sel, off, opsize, 0, &t));
    enter_target(c, &t, c->cpl);
    return 0;
}

int prot_far_call(struct cpu *c, uint16_t sel, uint32_t off, uint32_t next_eip, int opsize)
{
    far_target_t t;
    TRY(resolve_far_target(c, sel, off, opsize, 1, &t));
    int size = t.gate_size ? t.gate_size : opsize;
    int dpl = DESC_DPL((uint8_t)(t.hi >> 8));
    if (t.gate_size && !DESC_CONFORMING((uint8_t)(t.hi >> 8)) && dpl < c->cpl) {
        /* more privileged: new stack from the TSS, parameters copied */
        uint16_t nss;
        uint32_t nesp, slo, shi;
        TRY(tss_stack(c, dpl, &nss, &nesp, 0));
        TRY(prot_check_tss_ss(c, nss, dpl, &slo, &shi, 0));
        seg_cache_t ssc;
        desc_to_cache(&ssc, nss, slo, shi);
        uint32_t vals[4 + 31];
        int n = 0;
        vals[n++] = c->seg[SEG_SS].sel;
        vals[n++] = c->reg[ESP];
        for (int k = t.nparams - 1; k >= 0; k--) {
            uint32_t v;
            TRY(stack_peek(c, (uint32_t)(k * size), size, &v));
            vals[n++] = v;
        }
        vals[n++] = c->seg[SEG_CS].sel;
        vals[n++] = next_eip;
        /* no room on the new stack: #SS(new SS selector) (SDM CALL) */
        if (prot_push_on(c, &ssc, &nesp, vals, n, size))
            return RAISE_SS(c, SEL_ERR(nss));
        c->seg[SEG_SS] = ssc;
        c->reg[ESP] = DESC_DB(ssc.flags) ? nesp : (c->reg[ESP] & 0xffff0000u) | (nesp & 0xffff);
        enter_target(c, &t, dpl);
        return 0;
    }
    uint32_t sp = stack_ptr(c), vals[2] = { c->seg[SEG_CS].sel, next_eip };
    TRY(prot_push_on(c, &c->seg[SEG_SS], &sp, vals, 2, size));
    stack_set_ptr(c, sp);
    enter_target(c, &t, c->cpl);
    return 0;
}

/* After a return to an outer ring, data segment registers the new ring may
 * not use are made null (SDM RET/IRET "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). */
static void null_inaccessible_segs(struct cpu *c)
{
    static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (int k = 0; k < 4; k++) {
        seg_cache_t *s = &c->seg[segs[k]];
        if (!s->usable)
            continue;
        if ((DESC_DATA(s->access) || !DESC_CONFORMING(s->access)) && DESC_DPL(s->access) < c->cpl)
            seg_load_null(s, 0);
    }
}

/* The common part of far RET and IRET: checks the CS being returned to and,
 * for an outer ring, the SS:ESP popped after it; then switches. `popped` is
 * how many bytes the frame held below the outer SS:ESP. */
static int return_to(struct cpu *c, uint16_t sel, uint32_t eip, uint32_t frame_bytes,
                     uint16_t extra, int opsize, uint32_t new_flags, uint32_t flags_mask)
{
    uint32_t lo, hi;
    int rpl = sel & 3;
    if ((sel & 0xfffc) == 0)
        return RAISE_GP(c, 0);
    if (desc_read(c, sel, &lo, &hi))
        return RAISE_GP(c, SEL_ERR(sel));
    uint8_t a = (uint8_t)(hi >> 8);
    if (!DESC_CODE(a) || rpl < c->cpl)
        return RAISE_GP(c, SEL_ERR(sel));
    if (DESC_CONFORMING(a) ? DESC_DPL(a) > rpl : DESC_DPL(a) != rpl)
        return RAISE_GP(c, SEL_ERR(sel));
    if (!DESC_P(a))
        return RAISE_NP(c, SEL_ERR(sel));
    if (eip > cache_limit(lo, hi))
        return RAISE_GP(c, 0);
    if (rpl == c->cpl) {
        uint32_t sp = stack_ptr(c) + frame_bytes + extra;
        stack_set_ptr(c, stack_is32(c) ? sp : sp & 0xffff);
        set_cs(c, sel, lo, hi, rpl);
        c->eip = eip;
        c->eflags = (c->eflags & ~flags_mask) | (new_flags & flags_mask) | FL_1;
        return 0;
    }
    /* outer ring: SS:ESP follow the frame */
    uint32_t nesp, nss, slo, shi;
    TRY(stack_peek(c, frame_bytes + extra, opsize, &nesp));
    TRY(stack_peek(c, frame_bytes + extra + (uint32_t)opsize, 2, &nss));
    uint16_t ss = (uint16_t)nss;
    if ((ss & 0xfffc) == 0)
        return RAISE_GP(c, 0);
    if (desc_read(c, ss, &slo, &shi))
        return RAISE_GP(c, SEL_ERR(ss));
    uint8_t sa = (uint8_t)(shi >> 8);
    if ((ss & 3) != rpl || !DESC_WRITABLE(sa) || DESC_DPL(sa) != rpl)
        return RAISE_GP(c, SEL_ERR(ss));
    if (!DESC_P(sa))
        return RAISE_SS(c, SEL_ERR(ss));
    c->eflags = (c->eflags & ~flags_mask) | (new_flags & flags_mask) | FL_1;
    set_cs(c, sel, lo, hi, rpl);
    c->eip = eip;
    desc_set_bit(c, ss, shi, ACCESSED_BIT);
    desc_to_cache(&c->seg[SEG_SS], ss, slo, shi | ACCESSED_BIT);
    if (opsize == 2)
        nesp &= 0xffff;
    c->reg[ESP] = DESC_DB(c->seg[SEG_SS].flags) ? nesp + extra
                : (c->reg[ESP] & 0xffff0000u) | ((nesp + extra) & 0xffff);
    null_inaccessible_segs(c);
    return 0;
}

int prot_far_ret(struct cpu *c, int opsize, uint16_t pop_bytes)
{
    uint32_t eip, sel;
    TRY(stack_peek(c, 0, opsize, &eip));
    TRY(stack_peek(c, (uint32_t)opsize, 2, &sel));
    if (opsize == 2)
        eip &= 0xffff;
    return return_to(c, (uint16_t)sel, eip, (uint32_t)(2 * opsize), pop_bytes, opsize, 0, 0);
}

int prot_iret(struct cpu *c, int opsize)
{
    if (c->eflags & FL_NT) {
        /* the task return: to the busy TSS the current TSS's link names, at
         * any CPL (SDM IRET, TASK-RETURN) */
        uint16_t link = (uint16_t)phys_read(c, c->tr.base, 2);
        return prot_task_switch(c, link, 1, EXC_TS, 0, "IRET with NT set (task return) is not modelled");
    }
    uint32_t eip, sel, fl;
    TRY(stack_peek(c, 0, opsize, &eip));
    TRY(stack_peek(c, (uint32_t)opsize, 2, &sel));
    TRY(stack_peek(c, (uint32_t)(2 * opsize), opsize, &fl));
    if (opsize == 4 && (fl & FL_VM) && c->cpl == 0) {
        /* the stop comes only after the pops of the whole 9-dword frame
         * would succeed (#SS(0) first, as on hardware) */
        uint32_t last;
        TRY(stack_peek(c, 32, 4, &last));
        c->stop_reason = "IRET to virtual-8086 mode is not modelled";
        return ISA_STOP;
    }
    if (opsize == 2)
        eip &= 0xffff;
    /* The flags IRET may change depend on the CPL it runs at (as POPF). */
    uint32_t mask = isa_popf_mask(c, opsize) | (opsize == 4 ? FL_RF : 0);
    if (c->cpl == 0 && opsize == 4)
        mask |= FL_VIF | FL_VIP;
    return return_to(c, (uint16_t)sel, eip, (uint32_t)(3 * opsize), 0, opsize, fl, mask);
}

int prot_lldt(struct cpu *c, uint16_t sel)
{
    uint32_t lo, hi;
    if ((sel & 0xfffc) == 0) {
        seg_load_null(&c->ldtr, sel);
        return 0;
    }
    if (sel & 4)
        return RAISE_GP(c, SEL_ERR(sel));
    if (desc_read(c, sel, &lo, &hi))
        return RAISE_GP(c, SEL_ERR(sel));
    uint8_t a = (uint8_t)(hi >> 8);
    if (DESC_S(a) || DESC_TYPE(a) != SYS_LDT)
        return RAISE_GP(c, SEL_ERR(sel));
    if (!DESC_P(a))
        return RAISE_NP(c, SEL_ERR(sel));
    desc_to_cache(&c->ldtr, sel, lo, hi);
    return 0;
}

int prot_ltr(struct cpu *c, uint16_t sel)
{
    uint32_t lo, hi;
    if ((sel & 0xfffc) == 0)
        return RAISE_GP(c, 0);
    if (sel & 4)
        return RAISE_GP(c, SEL_ERR(sel));
    if (desc_read(c, sel, &lo, &hi))
        return RAISE_GP(c, SEL_ERR(sel));
    uint8_t a = (uint8_t)(hi >> 8);
    if (DESC_S(a) || (DESC_TYPE(a) != SYS_TSS32 && DESC_TYPE(a) != SYS_TSS16))
        return RAISE_GP(c, SEL_ERR(sel));
    if (!DESC_P(a))
        return RAISE_NP(c, SEL_ERR(sel));
    desc_set_bit(c, sel, hi, BUSY_BIT);
    desc_to_cache(&c->tr, sel, lo, hi | BUSY_BIT);
    return 0;
}

/* LAR/LSL/VERR/VERW share the visibility rule: a code or data segment is
 * visible at max(CPL, RPL) <= DPL unless it is conforming code. */
static int visible(const struct cpu *c, uint16_t sel, uint8_t a)
{
    if (DESC_CONFORMING(a))
        return 1;
    int eff = (sel & 3) > c->cpl ? (sel & 3) : c->cpl;
    return DESC_DPL(a) >= eff;
}

static int lookup(struct cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    if ((sel & 0xfffc) == 0 || desc_read(c, sel, lo, hi))
        return -1;
    return 0;
}

static void set_zf(struct cpu *c, int ok)
{
    c->eflags = ok ? c->eflags | FL_ZF : c->eflags & ~FL_ZF;
}

/* The system-descriptor types LAR and LSL accept (SDM vol. 2, LAR, LSL):
 * LSL only those that have a limit. */
#define SYSTYPES_LIMIT ((1u << SYS_TSS16) | (1u << SYS_LDT) | (1u << SYS_TSS16_BUSY) | \
                        (1u << SYS_TSS32) | (1u << SYS_TSS32_BUSY))
#define SYSTYPES_LAR   (SYSTYPES_LIMIT | (1u << SYS_CALLGATE16) | (1u << SYS_TASKGATE) | \
                        (1u << SYS_CALLGATE32))

/* LAR and LSL: the descriptor `sel` names, when it is a code or data
 * segment or a system type in `systypes`, visible at CPL and RPL; sets ZF
 * to say whether it was. */
static int lar_lsl_lookup(struct cpu *c, uint16_t sel, uint32_t systypes, uint32_t *lo, uint32_t *hi)
{
    int ok = 0;
    if (lookup(c, sel, lo, hi) == 0) {
        uint8_t a = (uint8_t)(*hi >> 8);
        ok = (DESC_S(a) || (systypes >> DESC_TYPE(a) & 1)) && visible(c, sel, a);
    }
    set_zf(c, ok);
    return ok;
}

int prot_lar(struct cpu *c, uint16_t sel, uint32_t *out)
{
    uint32_t lo, hi;
    int ok = lar_lsl_lookup(c, sel, SYSTYPES_LAR, &lo, &hi);
    if (ok)
        *out = hi & 0x00f0ff00u;
    return ok;
}

int prot_lsl(struct cpu *c, uint16_t sel, uint32_t *out)
{
    uint32_t lo, hi;
    int ok = lar_lsl_lookup(c, sel, SYSTYPES_LIMIT, &lo, &hi);
    if (ok)
        *out = cache_limit(lo, hi);
    return ok;
}

int prot_verr(struct cpu *c, uint16_t sel)
{
    uint32_t lo, hi;
    int ok = 0;
    if (lookup(c, sel, &lo, &hi) == 0) {
        uint8_t a = (uint8_t)(hi >> 8);
        ok = DESC_S(a) && DESC_READABLE(a) && visible(c, sel, a);
    }
    set_zf(c, ok);
    return ok;
}

int prot_verw(struct cpu *c, uint16_t sel)
{
    uint32_t lo, hi;
    int ok = 0;
    if (lookup(c, sel, &lo, &hi) == 0) {
        uint8_t a = (uint8_t)(hi >> 8);
        ok = DESC_WRITABLE(a) && visible(c, sel, a);
    }
    set_zf(c, ok);
    return ok;
}

int prot_write_cr(struct cpu *c, int crn, uint32_t v)
{
    if (c->vmx.on)
        TRY(vmx_cr_write(c, crn, &v));
    switch (crn) {
    case 0:
        if ((v & CR0_PG) && !(v & CR0_PE))
            return RAISE_GP(c, 0);
        if ((v & CR0_NW) && !(v & CR0_CD))
            return RAISE_GP(c, 0);
        if (v & CR0_PG) {
            c->stop_reason = "paging is not modelled (the guest set CR0.PG)";
            return ISA_STOP;
        }
        if (!(v & CR0_PE)) {
            c->stop_reason = "real mode is not modelled (the guest cleared CR0.PE)";
            return ISA_STOP;
        }
        c->cr0 = v | CR0_ET;
        return 0;
    case 2: c->cr2 = v; return 0;
    case 3: c->cr3 = v; return 0;
    default:
        if (v & ~(0xfffu | CR4_VMXE))   /* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT UMIP, VMXE */
            return RAISE_GP(c, 0);
        c->cr4 = v;
        return 0;
    }
}

/* CPL > IOPL: the TSS I/O permission bitmap decides (SDM vol. 1, 19.5.2). */
int prot_io_allowed(struct cpu *c, uint16_t port, int size)
{
    if (c->cpl <= IOPL_OF(c->eflags))
        return 1;
    int type = DESC_TYPE(c->tr.access);
    if (!c->tr.usable || (type != SYS_TSS32 && type != SYS_TSS32_BUSY) || c->tr.limit < 103)
        return 0;
    uint32_t map = phys_read(c, c->tr.base + 102, 2);
    for (int k = 0; k < size; k++) {
        uint32_t p = (uint32_t)port + (uint32_t)k, off = map + p / 8;
        if (off > c->tr.limit)
            return 0;
        if (phys_read(c, c->tr.base + off, 1) & (1u << (p % 8)))
            return 0;
    }
    return 1;
}
