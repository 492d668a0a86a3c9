/* The binary translator's runtime (--vmm=dbt; vmm/dbt.h says what a
 * fragment is): the translation cache, the way into it and out of it, and
 * the exactness that makes it invisible to the guest.
 *
 * While the guest kernel runs, the real CPU executes fragments: CS is the
 * TC's segment (VMM_TC_CS, ring 1) and EIP an offset in the TC; the guest's
 * own CS waits in dbt_t.guest_cs. Everything that leaves a fragment comes
 * back here first and makes the real CPU the guest's again, at a guest
 * instruction boundary (dbt_leave(): the fragment's map says which):
 *   an exit      its ljmp, before it runs (before_insn): translate the
 *                target, chain the exit to it, go on in the TC;
 *   a callout    the same: the VMM runs the guest instruction on its
 *                virtual CPU (vmm_emulate_insn()), as trap-and-emulate does;
 *   an event     an interrupt or fault in a fragment (deliver): delivered
 *                again at the guest address, so the frame, the fault's EIP
 *                and the VMM's exit are the guest's, never the TC's;
 *   a dead entry a fragment that a write to its guest code invalidated is
 *                filled with HLT: running into it faults (#GP in ring 1),
 *                and the translator starts afresh at that guest address.
 * After the VMM's work, dbt_resume() puts a guest at CPL 0 back into the TC.
 * Guest user code runs directly, under trap-and-emulate.
 *
 * In the TC, %gs is the VMM's: it covers the state page where inline code
 * keeps the virtual IF and reads the virtual IOPL (dbt.h). Going in saves
 * the guest's GS and writes the page from the virtual CPU; going out puts
 * the guest's GS back and reads the virtual IF back; every guest use of
 * %gs is a callout, so the guest never sees the swap. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "vmm/vmm_int.h"
#include "vmm/dbt.h"
#include "cpu/dcache.h"
#include "cpu/names.h"
#include "cpu/snap.h"

#define DBT_HASH 4096u
#define HLT 0xf4

typedef struct frag {
    dbt_block_t b;
    uint32_t cs_base, cs_limit;   /* the guest CS it was translated for */
    uint16_t cs_sel;
    uint8_t code32, dead;
    int32_t hnext;                /* the next fragment of its hash bucket */
    uint32_t page[2];             /* the guest pages it reads */
    int32_t pnext[2];             /* the next fragment on each */
    uint8_t npages;
} frag_t;

typedef struct dbt {
    vmm_t *v;
    uint8_t *tc;                  /* the TC: v->area + DBT_TC_OFF */
    uint32_t tc_eip0;             /* its first byte's address, linear = EIP in VMM_TC_CS (base 0) */
    uint32_t tc_size, tc_used;
    frag_t *frags;                /* in TC order */
    int nfrags, cap;
    int32_t hash[DBT_HASH];       /* live fragments by guest address */
    int32_t *page_head;           /* per RAM page: fragments reading it */
    uint32_t npages;
    seg_cache_t tc_cs;            /* the TC's code segment */
    seg_cache_t guest_cs;         /* the guest's CS while the CPU is in the TC */
    seg_cache_t state_gs;         /* the state page's data segment */
    seg_cache_t guest_gs;         /* the guest's GS while the CPU is in the TC */
    uint8_t *state;               /* the state page: v->area + DBT_STATE_OFF */
    int in_tc;
    uint32_t flush_gen;

    /* counts (README, "--vmm=dbt") */
    uint64_t translations, guest_insns, ident, rewritten, callout_sites, chained, invalidated, flushes;
    uint64_t tc_bytes;            /* bytes of fragments ever written */
    uint64_t exit_translate, exit_callout, exit_lookup, exit_dead, exit_event;
} dbt_t;

/* ---- the trace ---- */
static void dbt_emit(vmm_t *v, dbt_action_t a, uint32_t eip, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void dbt_emit(vmm_t *v, dbt_action_t a, uint32_t eip, const char *fmt, ...)
{
    machine_t *m = v->m;
    if (!trace_on(&m->trace, TL_DBT))
        return;
    event_t ev = { .kind = EV_DBT, .ring = m->cpu.cpl, .to_ring = m->cpu.cpl, .eip = eip, .action = (uint8_t)a,
                   .irq = -1 };
    va_list ap;
    va_start(ap, fmt);
    machine_emitv(m, &ev, fmt, ap);
    va_end(ap);
}

/* The TC's bytes at `eip` (an address in the TC's segment). */
static uint8_t *tc_ptr(const dbt_t *d, uint32_t eip)
{
    return d->tc + (eip - d->tc_eip0);
}

static const char *const how_names[] = { "IDENT", "rewritten", "inline", "callout", "exit" };

/* The lecture's picture: the guest block and its fragment side by side, a
 * line each to `line` (`tc` of the fragment instruction it shows, the
 * guest address it stands for, the text). */
typedef void (*translation_line_fn)(void *arg, uint32_t tc, uint32_t from, const char *text);

static void translation_lines(vmm_t *v, const frag_t *f, translation_line_fn line, void *arg)
{
    const dbt_t *d = v->dbt;
    const dbt_block_t *b = &f->b;
    char text[192];
    for (int k = 0; k < b->nmap; k++) {
        const dbt_map_t *mp = &b->map[k];
        uint32_t room = b->len - mp->tc;
        isa_insn_t ti;
        char gtext[80] = "", ttext[80] = "?";
        int decoded = isa_decode(tc_ptr(d, b->tc_at) + mp->tc, room < ISA_MAX_LEN ? room : ISA_MAX_LEN, 1, &ti) ==
                      ISA_DECODE_OK;
        if (decoded)
            isa_disasm(&ti, b->tc_at + mp->tc, ttext, sizeof ttext);
        if (mp->first) {
            uint8_t bytes[ISA_MAX_LEN];
            isa_insn_t gi;
            vmm_guest_read(v, f->cs_base + mp->from, bytes, sizeof bytes);
            if (isa_decode(bytes, sizeof bytes, f->code32, &gi) == ISA_DECODE_OK)
                isa_disasm(&gi, mp->from, gtext, sizeof gtext);
            else
                snprintf(gtext, sizeof gtext, "(undecodable)");
        }
        if (mp->how == DH_EXIT)
            snprintf(text, sizeof text, "  %-8s  %-34s | tc %08x  %-30s  exit -> %08x", "", "", b->tc_at + mp->tc,
                     ttext, mp->eip);
        else
            snprintf(text, sizeof text, "  %08x  %-34s | tc %08x  %-30s  %s", mp->from, gtext, b->tc_at + mp->tc,
                     ttext, how_names[mp->how]);
        line(arg, b->tc_at + mp->tc, mp->from, text);
        /* the rest of an inline sequence, under its first instruction */
        uint32_t end = k + 1 < b->nmap ? b->map[k + 1].tc : b->len;
        char gname[16];   /* the guest mnemonic the sequence stands for */
        snprintf(gname, sizeof gname, "%.*s", (int)strcspn(gtext, " "), gtext);
        for (uint32_t at = mp->tc + ti.len; decoded && mp->how == DH_INLINE && at < end; at += ti.len) {
            if (isa_decode(tc_ptr(d, b->tc_at) + at, end - at < ISA_MAX_LEN ? end - at : ISA_MAX_LEN, 1, &ti) !=
                ISA_DECODE_OK)
                break;
            isa_disasm(&ti, b->tc_at + at, ttext, sizeof ttext);
            snprintf(text, sizeof text, "  %-8s  %-34s | tc %08x  %-30s  (inline %s)", "", "", b->tc_at + at,
                     ttext, gname);
            line(arg, b->tc_at + at, mp->from, text);
        }
    }
}

static void trace_line(void *arg, uint32_t tc, uint32_t from, const char *text)
{
    (void)tc;
    dbt_emit(arg, DA_TRANSLATE, from, "%s", text);
}

static void trace_translation(vmm_t *v, const frag_t *f)
{
    const dbt_block_t *b = &f->b;
    dbt_emit(v, DA_TRANSLATE, b->eip, "translate %08x: %d guest instructions (%u bytes) -> fragment at tc %08x "
             "(%u bytes): %d IDENT, %d rewritten, %d callouts", b->eip, b->ninsns, b->guest_len,
             b->tc_at, b->len, b->ident, b->rewritten, b->callouts);
    translation_lines(v, f, trace_line, v);
}

/* ---- fragments ---- */
/* The CPU's decoded-instruction cache forgets the TC bytes the translator
 * rewrote (the bus sees no writes to the VMM's area). */
static void tc_written(vmm_t *v, uint32_t at, uint32_t len)
{
    dcache_drop(v->m, at, len);
}

static uint32_t hash_of(uint32_t cs_base, uint32_t eip)
{
    return ((cs_base + eip) * 2654435761u) >> 20 & (DBT_HASH - 1);
}

static int guest_read(void *ctx, uint32_t lin, uint8_t *buf, uint32_t n)
{
    vmm_t *v = ctx;
    vmm_guest_read(v, lin, buf, n);
    return lin < v->m->cpu.ram_size && v->m->cpu.ram_size - lin >= n ? 0 : -1;
}

static void flush(vmm_t *v, const char *why)
{
    dbt_t *d = v->dbt;
    dbt_emit(v, DA_FLUSH, v->m->cpu.eip, "flush: %s (%d fragments, %u of %u bytes): the TC starts empty", why,
             d->nfrags, d->tc_used, d->tc_size);
    d->nfrags = 0;
    d->tc_used = 0;
    d->flush_gen++;
    d->flushes++;
    memset(d->hash, -1, sizeof d->hash);
    memset(d->page_head, -1, d->npages * sizeof *d->page_head);
    memset(d->tc, HLT, d->tc_size);
    tc_written(v, d->tc_eip0, d->tc_size);
}

/* The fragment for the guest's CS:eip, translated now if there is none;
 * the index, or -1 when out of memory. */
static int fragment_for(vmm_t *v, uint32_t eip)
{
    dbt_t *d = v->dbt;
    const seg_cache_t *cs = &v->m->cpu.seg[SEG_CS];
    int code32 = DESC_DB(cs->flags);
    uint16_t sel = (uint16_t)(cs->sel & ~3u);   /* as the guest at CPL 0 sees it */
    uint32_t h = hash_of(cs->base, eip);
    for (int32_t k = d->hash[h]; k >= 0; k = d->frags[k].hnext) {
        const frag_t *f = &d->frags[k];
        if (f->b.eip == eip && f->cs_base == cs->base && f->cs_limit == cs->limit && f->code32 == code32 &&
            f->cs_sel == sel)
            return k;
    }
    if (d->tc_used + DBT_FRAG_MAX > d->tc_size)
        flush(v, "the translation cache is full");
    if (d->nfrags == d->cap) {
        int cap = d->cap ? 2 * d->cap : 256;
        frag_t *n = realloc(d->frags, (size_t)cap * sizeof *n);
        if (!n)
            return -1;
        d->frags = n;
        d->cap = cap;
    }
    int k = d->nfrags++;
    frag_t *f = &d->frags[k];
    dbt_guest_t g = { cs->base, cs->limit, sel, code32, guest_read, v };
    dbt_translate(&g, eip, d->tc_eip0 + d->tc_used, &f->b, d->tc + d->tc_used);
    f->cs_base = cs->base;
    f->cs_limit = cs->limit;
    f->cs_sel = sel;
    f->code32 = (uint8_t)code32;
    f->dead = 0;
    f->hnext = d->hash[h];
    d->hash[h] = k;
    /* writes to the guest bytes it copied drop it (self-modifying code,
     * a program loaded over old code) */
    uint32_t lin = cs->base + eip, first = lin >> 12, last = (lin + f->b.guest_len - 1) >> 12;
    f->npages = 0;
    for (uint32_t p = first; p <= last && f->npages < 2; p++) {
        if (p >= d->npages || hv_track_page(v->m, p, 1))
            continue;
        f->page[f->npages] = p;
        f->pnext[f->npages] = d->page_head[p];
        d->page_head[p] = k;
        f->npages++;
    }
    tc_written(v, f->b.tc_at, f->b.len);
    d->tc_used += f->b.len;
    d->tc_bytes += f->b.len;
    d->translations++;
    d->guest_insns += f->b.ninsns;
    d->ident += f->b.ident;
    d->rewritten += f->b.rewritten;
    d->callout_sites += f->b.callouts;
    if (trace_on(&v->m->trace, TL_DBT))
        trace_translation(v, f);
    return k;
}

/* The fragment whose bytes hold TC offset `off`, or NULL. */
static frag_t *fragment_at(dbt_t *d, uint32_t off)
{
    int lo = 0, hi = d->nfrags - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        frag_t *f = &d->frags[mid];
        if (off < f->b.tc_at)
            hi = mid - 1;
        else if (off >= f->b.tc_at + f->b.len)
            lo = mid + 1;
        else
            return f;
    }
    return NULL;
}

/* ---- into the TC and out of it ---- */
int dbt_guest_eip(const vmm_t *v, uint32_t *eip)
{
    const dbt_t *d = v->dbt;
    const struct cpu *c = &v->m->cpu;
    if (!d || !d->in_tc) {
        *eip = c->eip;
        return 0;
    }
    const frag_t *f = fragment_at((dbt_t *)d, c->eip);
    return f ? dbt_map_back(&f->b, c->eip - f->b.tc_at, eip) : -1;
}

/* Into the TC: %gs is the state page's, which holds the virtual IF and IOPL. */
static void gs_to_vmm(vmm_t *v)
{
    dbt_t *d = v->dbt;
    struct cpu *c = &v->m->cpu;
    d->guest_gs = c->seg[SEG_GS];
    c->seg[SEG_GS] = d->state_gs;
    phys_write(c, v->base + DBT_STATE_OFF + DBT_VIF, 4, v->vcpu.eflags & FL_IF);
    phys_write(c, v->base + DBT_STATE_OFF + DBT_VIOPL, 4, v->vcpu.eflags & FL_IOPL);
    v->vif_live = d->state + DBT_VIF;
}

/* Out of it: the guest's GS, and the virtual IF as inline CLI left it. */
static void gs_to_guest(vmm_t *v)
{
    struct cpu *c = &v->m->cpu;
    c->seg[SEG_GS] = v->dbt->guest_gs;
    v->vcpu.eflags = (v->vcpu.eflags & ~FL_IF) | (phys_read(c, v->base + DBT_STATE_OFF + DBT_VIF, 4) & FL_IF);
    v->vif_live = NULL;
}

/* The real CPU back at the guest's CS and the guest EIP its TC offset
 * stands for; 0, or -1 (the run stops) when it is at no instruction of a
 * fragment. */
static int dbt_leave(vmm_t *v)
{
    dbt_t *d = v->dbt;
    struct cpu *c = &v->m->cpu;
    if (!d->in_tc)
        return 0;
    const frag_t *f = fragment_at(d, c->eip);
    uint32_t eip;
    if (!f || dbt_map_back(&f->b, c->eip - f->b.tc_at, &eip)) {
        machine_stop(v->m, STOP_UNMODELLED, "dbt: the CPU is at tc offset %08x, no guest instruction's", c->eip);
        return -1;
    }
    c->seg[SEG_CS] = d->guest_cs;
    c->eip = eip;
    gs_to_guest(v);
    d->in_tc = 0;
    return 0;
}

/* The real CPU at the guest's CS:EIP, guest CPL 0: into the fragment for it. */
static void dbt_enter(vmm_t *v)
{
    dbt_t *d = v->dbt;
    struct cpu *c = &v->m->cpu;
    int k = fragment_for(v, c->eip);
    if (k < 0) {
        machine_stop(v->m, STOP_UNMODELLED, "dbt: out of memory for a fragment");
        return;
    }
    d->guest_cs = c->seg[SEG_CS];
    c->seg[SEG_CS] = d->tc_cs;
    c->eip = d->frags[k].b.tc_at;
    gs_to_vmm(v);
    d->in_tc = 1;
}

/* After the VMM's work: a guest kernel goes on in the TC. */
static void dbt_resume(vmm_t *v)
{
    if (v->m->stop == STOP_NONE && !v->dbt->in_tc && v->vcpu.cpl == 0)
        dbt_enter(v);
}

/* An exit of fragment `f` was taken: its target translated and, when it is
 * still there to patch, the exit chained to it. */
static void take_exit(vmm_t *v, frag_t *f, int k)
{
    dbt_t *d = v->dbt;
    uint32_t gen = d->flush_gen;
    int from = (int)(f - d->frags);
    if (dbt_leave(v))
        return;
    dbt_resume(v);
    if (!d->in_tc || gen != d->flush_gen)
        return;
    f = &d->frags[from];
    if (f->dead)
        return;
    const frag_t *to = fragment_at(d, v->m->cpu.eip);
    if (!to || to->cs_base != f->cs_base || to->cs_limit != f->cs_limit || to->code32 != f->code32 ||
        to->cs_sel != f->cs_sel)
        return;
    dbt_chain(&f->b, k, tc_ptr(d, f->b.tc_at), to->b.tc_at);
    tc_written(v, f->b.tc_at, f->b.len);
    d->chained++;
    dbt_emit(v, DA_CHAIN, f->b.exit[k].target, "chain: exit at tc %08x -> fragment %08x at tc %08x (no more "
             "exits there)", f->b.tc_at + f->b.exit[k].at, to->b.eip, to->b.tc_at);
}

/* RET or an indirect JMP/CALL, innocuous: run by the real CPU at the
 * guest's CS, as trap-and-emulate runs it directly; then the lookup of its
 * target (dbt_resume()). A fault or the single-step trap is the guest's,
 * through the VMM as ever. */
static void lookup(vmm_t *v, const isa_insn_t *insn, uint32_t eip)
{
    machine_t *m = v->m;
    struct cpu *c = &m->cpu;
    int ring = c->cpl, tf = (c->eflags & FL_TF) != 0;
    v->dbt->exit_lookup++;
    isa_result_t r = isa_execute(c, insn);
    if (r == ISA_FAULT) {
        deliver_event(m, c->exc_vector, DK_EXCEPTION, c->exc_has_error, c->exc_error, eip);
    } else if (machine_retire(m, insn, ring, r, tf)) {
        c->dr[6] |= DR6_BS;
        deliver_event(m, EXC_DB, DK_EXCEPTION, 0, 0, c->eip);
    }
}

/* A callout: the guest instruction at the guest's CS:EIP, run by the VMM. */
static void callout(vmm_t *v)
{
    machine_t *m = v->m;
    struct cpu *c = &m->cpu;
    isa_insn_t scratch;
    const isa_insn_t *insn;
    uint32_t eip = c->eip;
    v->exit_ring = c->cpl;
    if (machine_fetch_decode(m, &scratch, &insn)) {
        vmm_reflect(v, c->exc_vector, c->exc_has_error, c->exc_error, eip);
    } else if (insn->row == ROW_RET || insn->row == ROW_RET_Iw || insn->row == ROW_GFF_CALL ||
               insn->row == ROW_GFF_JMP) {
        isa_insn_t copy = *insn;   /* its pushes may drop the cache entry */
        lookup(v, &copy, eip);
    } else {
        vmm_emulate_insn(v, insn, eip);
    }
    vmm_exit_done(v);
    dbt_resume(v);
}

/* A callout taken: out of the TC, the VMM runs the guest instruction. */
static void take_callout(vmm_t *v)
{
    v->dbt->exit_callout++;
    if (!dbt_leave(v))
        callout(v);
}

/* An inline sequence that starts at `eip` with `insn` (PUSHF's): run as
 * one step, one guest instruction (cpu.h's machine_run_sequence()). Its
 * addressing is 32-bit: on a 16-bit stack the VMM runs the guest's PUSHF
 * instead. 0 when `eip` starts no inline sequence. */
static int inline_sequence(vmm_t *v, const isa_insn_t *insn, uint32_t eip)
{
    dbt_t *d = v->dbt;
    machine_t *m = v->m;
    const frag_t *f = fragment_at(d, eip);
    int k = 0;
    while (f && k < f->b.nmap && f->b.tc_at + f->b.map[k].tc != eip)
        k++;
    if (!f || k + 1 >= f->b.nmap || f->b.map[k].how != DH_INLINE)
        return 0;
    if (!DESC_DB(m->cpu.seg[SEG_SS].flags)) {
        take_callout(v);
        return 1;
    }
    machine_run_sequence(m, insn, eip, f->b.tc_at + f->b.map[k + 1].tc);
    return 1;
}

/* hv.h's before_insn: a fragment's exit (its ljmp), before it runs; an
 * inline sequence's start. */
static int dbt_before_insn(void *ctx, machine_t *m, const isa_insn_t *insn, uint32_t eip)
{
    vmm_t *v = ctx;
    dbt_t *d = v->dbt;
    if (d->in_tc && insn->row == ROW_PUSHF)
        return inline_sequence(v, insn, eip);
    if (!d->in_tc || insn->row != ROW_JMPF_Ap)
        return 0;
    frag_t *f = fragment_at(d, eip);
    int k = 0;
    while (f && k < f->b.nexit && f->b.tc_at + f->b.exit[k].at != eip)
        k++;
    if (!f || k == f->b.nexit)
        return 0;
    const uint8_t *code = tc_ptr(d, f->b.tc_at);
    if (f->b.exit[k].kind == DX_CALLOUT) {
        take_callout(v);
    } else if (dbt_chained(&f->b, k, code)) {
        m->cpu.eip = dbt_exit_dest(&f->b, k, code);   /* chained: straight on, and not an instruction */
    } else {
        d->exit_translate++;
        dbt_emit(v, DA_EXIT, f->b.exit[k].target, "exit: tc %08x -> translator, guest %08x",
                 eip, f->b.exit[k].target);
        take_exit(v, f, k);
    }
    return 1;
}

/* hv.h's deliver: an event while the CPU is in a fragment is the guest's
 * at its guest instruction; a #GP on an invalidated fragment's HLT is a
 * way back to the translator. */
static int dbt_deliver(void *ctx, machine_t *m, const hv_event_t *ev)
{
    vmm_t *v = ctx;
    dbt_t *d = v->dbt;
    struct cpu *c = &m->cpu;
    if (!d->in_tc)
        return 0;
    uint32_t off = c->eip;
    frag_t *f = fragment_at(d, off);
    if (ev->kind == DK_EXCEPTION && ev->vector == EXC_GP && f && f->dead && *tc_ptr(d, off) == HLT) {
        d->exit_dead++;
        if (!dbt_leave(v)) {
            dbt_emit(v, DA_EXIT, c->eip, "exit: invalidated fragment at tc %08x -> translator, guest %08x",
                     off, c->eip);
            dbt_resume(v);
        }
        return 1;
    }
    /* the event's own address: the faulting instruction's, or (a trap, an
     * interrupt) where the guest goes on; both are map points */
    const frag_t *ff = fragment_at(d, ev->fault_eip);
    uint32_t mapped;
    int have = ff && dbt_map_back(&ff->b, ev->fault_eip - ff->b.tc_at, &mapped) == 0;
    d->exit_event++;
    if (dbt_leave(v))
        return 1;
    deliver_event(m, ev->vector, (deliver_kind_t)ev->kind, ev->has_error, ev->error, have ? mapped : c->eip);
    return 1;
}

/* hv.h's guest_regs: in the TC, the guest's CS:EIP the fragment stands
 * for and the guest's GS. */
static int dbt_guest_regs(void *ctx, const machine_t *m, hv_guest_regs_t *r)
{
    const vmm_t *v = ctx;
    const dbt_t *d = v->dbt;
    uint32_t eip;
    (void)m;
    if (!d->in_tc || dbt_guest_eip(v, &eip))
        return 0;
    *r = (hv_guest_regs_t){ d->guest_cs, d->guest_gs, eip };
    return 1;
}

/* hv.h's guest_goto: out of the TC, and in again at the fragment for `eip`. */
static int dbt_guest_goto(void *ctx, machine_t *m, uint32_t eip)
{
    vmm_t *v = ctx;
    if (!v->dbt->in_tc)
        return 0;
    if (!dbt_leave(v)) {
        m->cpu.eip = eip;
        dbt_resume(v);
    }
    return 1;
}

static void dbt_ring0_entry(void *ctx, machine_t *m, const hv_event_t *ev)
{
    vmm_entry(ctx, m, ev);
    dbt_resume(ctx);
}

/* hv.h's step_end: the STI shadow is over; what it injects starts from a
 * guest instruction boundary. */
static void dbt_step_end(void *ctx, machine_t *m)
{
    vmm_t *v = ctx;
    if (dbt_leave(v))
        return;
    vmm_sti_shadow_end(ctx, m);
    dbt_resume(v);
}

/* hv.h's tracked_write: a write to guest bytes that fragments copied. */
static void dbt_tracked_write(void *ctx, machine_t *m, uint32_t phys, int size)
{
    vmm_t *v = ctx;
    dbt_t *d = v->dbt;
    (void)m;
    uint32_t end = phys + (uint32_t)size;
    for (uint32_t p = phys >> 12; p <= (end - 1) >> 12 && p < d->npages; p++) {
        for (int32_t k = d->page_head[p]; k >= 0;) {
            frag_t *f = &d->frags[k];
            int j = f->page[0] == p ? 0 : 1;
            int32_t next = f->pnext[j];
            uint32_t lin = f->cs_base + f->b.eip;
            if (!f->dead && phys < lin + f->b.guest_len && lin < end) {
                /* dropped from the lookup; its bytes all HLT, so whatever
                 * jumps into it (a chained exit, the CPU in it now) comes back */
                f->dead = 1;
                uint32_t h = hash_of(f->cs_base, f->b.eip);
                for (int32_t *q = &d->hash[h]; *q >= 0; q = &d->frags[*q].hnext)
                    if (*q == k) {
                        *q = f->hnext;
                        break;
                    }
                memset(tc_ptr(d, f->b.tc_at), HLT, f->b.len);
                tc_written(v, f->b.tc_at, f->b.len);
                d->invalidated++;
                dbt_emit(v, DA_INVALIDATE, f->b.eip, "invalidate: a write of %d bytes at %08x hits guest code "
                         "%08x..%08x: fragment at tc %08x dropped", size, phys, lin, lin + f->b.guest_len - 1,
                         f->b.tc_at);
            }
            k = next;
        }
    }
}

/* ---- the view (vmm/view.h: dbt's state) ---- */
typedef struct view_line { FILE *out; uint32_t at; } view_line_t;

static void view_line(void *arg, uint32_t tc, uint32_t from, const char *text)
{
    const view_line_t *w = arg;
    (void)from;
    fprintf(w->out, "%s%s\n", tc == w->at ? "=>" : "  ", text + 2);
}

void dbt_print_view(const vmm_t *cv, FILE *out)
{
    vmm_t *v = (vmm_t *)cv;   /* read only: the guest's bytes, the TC's */
    dbt_t *d = v->dbt;
    const struct cpu *c = &v->m->cpu;
    fprintf(out, "binary translator: translation cache %08x-%08x, %u of %u bytes in use, %d fragments; "
            "state page %08x in %%gs (virtual IF %d, IOPL %d)\n", d->tc_eip0, d->tc_eip0 + d->tc_size - 1, d->tc_used,
            d->tc_size, d->nfrags, v->base + DBT_STATE_OFF, vmm_vif(v), vmm_viopl(v));
    const frag_t *f = d->in_tc ? fragment_at(d, c->eip) : NULL;
    if (!f) {
        fprintf(out, "  the CPU is not in the translation cache: %s\n",
                v->vcpu.cpl ? "the guest runs user code directly" : "the VMM is between two fragments");
        return;
    }
    fprintf(out, "  the current fragment (=> where the CPU is): guest block %08x, %d instructions, at tc %08x, "
            "%u bytes%s\n", f->b.eip, f->b.ninsns, f->b.tc_at, f->b.len, f->dead ? ", invalidated" : "");
    view_line_t w = { out, c->eip };
    translation_lines(v, f, view_line, &w);
}

/* ---- attaching, the summary ---- */
int dbt_init(vmm_t *v, uint32_t tc_size)
{
    machine_t *m = v->m;
    dbt_t *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    d->v = v;
    d->tc = v->area + DBT_TC_OFF;
    d->tc_eip0 = v->base + DBT_TC_OFF;
    d->tc_size = tc_size ? tc_size : DBT_TC_DEFAULT;
    d->npages = (m->cpu.ram_size + 4095) >> 12;
    d->page_head = malloc((d->npages ? d->npages : 1) * sizeof *d->page_head);
    if (!d->page_head) {
        free(d);
        return -1;
    }
    v->dbt = d;
    memset(d->hash, -1, sizeof d->hash);
    memset(d->page_head, -1, d->npages * sizeof *d->page_head);
    memset(d->tc, HLT, d->tc_size);
    /* the TC's code segment: ring 1, the guest kernel's ring; flat, so that
     * the CPU's fast path for flat code runs the fragments (only fragments
     * run in it: every transfer they make is the translator's) */
    vmm_set_desc(v, VMM_TC_CS, 0, 0xfffff, 0xbb, 0xc);
    uint32_t gdt = v->base + VMM_GDT_OFF + (VMM_TC_CS & ~7u);
    desc_to_cache(&d->tc_cs, VMM_TC_CS | 1, phys_read(&m->cpu, gdt, 4), phys_read(&m->cpu, gdt + 4, 4));
    /* the state page's segment: ring-1 data, one page of the VMM's area */
    d->state = v->area + DBT_STATE_OFF;
    vmm_set_desc(v, VMM_STATE_DS, v->base + DBT_STATE_OFF, 0xfff, 0xb3, 0x4);
    gdt = v->base + VMM_GDT_OFF + (VMM_STATE_DS & ~7u);
    desc_to_cache(&d->state_gs, VMM_STATE_DS | 1, phys_read(&m->cpu, gdt, 4), phys_read(&m->cpu, gdt + 4, 4));
    static const hv_ops_t dbt_ops = { .deliver = dbt_deliver, .ring0_entry = dbt_ring0_entry,
                                      .before_insn = dbt_before_insn, .step_end = dbt_step_end,
                                      .tracked_write = dbt_tracked_write, .guest_regs = dbt_guest_regs,
                                      .guest_goto = dbt_guest_goto };
    /* the exits are far jumps: SCTRL, seen at ring 1 and above; an inline
     * PUSHF sequence starts with PUSHF: SBEHV */
    vmm_hv_attach(v, &dbt_ops, 1u << SCTRL | 1u << SBEHV);
    return 0;
}

void dbt_trace_setup(vmm_t *v)
{
    dbt_t *d = v->dbt;
    vmm_trace(v, VA_SETUP, -1, "binary translator: guest kernel code runs only from the translation cache at "
              "%08x (%u bytes, code segment %04x, ring 1); guest user code runs directly (its sensitive "
              "instructions still leak, as VMware's did)", v->base + DBT_TC_OFF, d->tc_size, VMM_TC_CS | 1);
    dbt_resume(v);
}

void dbt_free(vmm_t *v)
{
    if (!v->dbt)
        return;
    v->vif_live = NULL;
    free(v->dbt->frags);
    free(v->dbt->page_head);
    free(v->dbt);
    v->dbt = NULL;
}

void dbt_print_summary(const vmm_t *v, FILE *out)
{
    const dbt_t *d = v->dbt;
    char det[256];
    snprintf(det, sizeof det, "%llu guest instructions: %llu IDENT, %llu rewritten, %llu callouts",
             (unsigned long long)d->guest_insns, (unsigned long long)d->ident, (unsigned long long)d->rewritten,
             (unsigned long long)d->callout_sites);
    summary_row(out, "dbt: translations", d->translations, det);
    snprintf(det, sizeof det, "%llu bytes written, %u in use of %u; %llu flushes", (unsigned long long)d->tc_bytes,
             d->tc_used, d->tc_size, (unsigned long long)d->flushes);
    summary_row(out, "dbt: translation cache", d->tc_bytes, det);
    summary_row(out, "dbt: exits chained", d->chained, "");
    summary_row(out, "dbt: fragments invalidated", d->invalidated, "");
    snprintf(det, sizeof det, "%llu to the translator, %llu callouts (%llu RET/indirect lookups), %llu "
             "invalidated entries, %llu events",
             (unsigned long long)d->exit_translate, (unsigned long long)d->exit_callout,
             (unsigned long long)d->exit_lookup, (unsigned long long)d->exit_dead, (unsigned long long)d->exit_event);
    summary_row(out, "dbt: fragment exits",
                d->exit_translate + d->exit_callout + d->exit_dead + d->exit_event, det);
}

void dbt_write_stats(const vmm_t *v, FILE *f)
{
    const dbt_t *d = v->dbt;
    const struct { const char *key; uint64_t n; } rows[] = {
        { "translations", d->translations }, { "guest_insns", d->guest_insns }, { "ident", d->ident },
        { "rewritten", d->rewritten }, { "callouts", d->callout_sites }, { "chained", d->chained },
        { "invalidated", d->invalidated }, { "flushes", d->flushes }, { "tc_bytes", d->tc_bytes },
        { "exit.translator", d->exit_translate }, { "exit.callout", d->exit_callout },
        { "exit.lookup", d->exit_lookup }, { "exit.invalidated", d->exit_dead }, { "exit.event", d->exit_event },
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
        fprintf(f, "dbt.%s=%llu\n", rows[k].key, (unsigned long long)rows[k].n);
}

/* ---- in a snapshot (vmm/vmm.h, docs/SNAPSHOT.md) ---- */
int dbt_snap_park(vmm_t *v, dbt_park_t *p)
{
    dbt_t *d = v->dbt;
    struct cpu *c = &v->m->cpu;
    uint32_t eip;
    p->parked = 0;
    if (!d || !d->in_tc)
        return 0;
    if (dbt_guest_eip(v, &eip))
        return -1;
    p->cs = c->seg[SEG_CS];
    p->gs = c->seg[SEG_GS];
    p->eip = c->eip;
    p->parked = 1;
    c->seg[SEG_CS] = d->guest_cs;
    c->eip = eip;
    gs_to_guest(v);
    return 0;
}

void dbt_snap_unpark(vmm_t *v, const dbt_park_t *p)
{
    if (!p->parked)
        return;
    v->m->cpu.seg[SEG_CS] = p->cs;
    v->m->cpu.eip = p->eip;
    v->m->cpu.seg[SEG_GS] = p->gs;
    v->vif_live = v->dbt->state + DBT_VIF;
}

#define DBT_NCOUNTS 14
static void dbt_counts(dbt_t *d, uint64_t *c[DBT_NCOUNTS])
{
    uint64_t *all[DBT_NCOUNTS] = { &d->translations, &d->guest_insns, &d->ident, &d->rewritten, &d->callout_sites,
                                   &d->chained, &d->invalidated, &d->flushes, &d->tc_bytes, &d->exit_translate,
                                   &d->exit_callout, &d->exit_lookup, &d->exit_dead, &d->exit_event };
    memcpy(c, all, sizeof all);
}

/* Both ways: what the translator is beyond its cache. */
static void dbt_state(snap_io_t *io, dbt_t *d)
{
    uint64_t *counts[DBT_NCOUNTS];
    dbt_counts(d, counts);
    uint64_t values[DBT_NCOUNTS];
    uint32_t size = d->tc_size;
    snap_u32(io, &size);
    if (io->load && snap_ok(io) && size != d->tc_size)
        snap_fail(io, "a translation cache of %u bytes, the VM's layout says %u", size, d->tc_size);
    snap_int(io, &d->in_tc);
    for (int k = 0; k < DBT_NCOUNTS; k++)
        values[k] = *counts[k];
    snap_u64_table(io, values, DBT_NCOUNTS);
    for (int k = 0; k < DBT_NCOUNTS && io->load; k++)
        *counts[k] = values[k];
    if (io->load && (unsigned)d->in_tc > 1)
        snap_fail(io, "in the translation cache: %d", d->in_tc);
}

void dbt_snap_save(vmm_t *v, snap_io_t *io)
{
    dbt_state(io, v->dbt);
}

int dbt_snap_load(vmm_t *v, uint32_t tc_size, snap_io_t *io)
{
    if (v->dbt)
        return snap_fail(io, "a second translator for the VM");
    if (tc_size && (tc_size < DBT_TC_MIN || tc_size > DBT_TC_MAX))
        return snap_fail(io, "a translation cache of %u bytes", tc_size);
    if (dbt_init(v, tc_size))
        return snap_fail(io, "out of memory for the translator");
    dbt_t *d = v->dbt;
    dbt_state(io, d);
    if (!snap_ok(io))
        return -1;
    if (!d->in_tc)
        return 0;
    /* back into the cache, at the fragment for where the guest is: the
     * rebuilding is not the guest's, so the counts stay as saved */
    uint64_t *counts[DBT_NCOUNTS], kept[DBT_NCOUNTS];
    dbt_counts(d, counts);
    for (int k = 0; k < DBT_NCOUNTS; k++)
        kept[k] = *counts[k];
    d->in_tc = 0;
    dbt_enter(v);
    if (v->m->stop != STOP_NONE)
        return snap_fail(io, "%s", v->m->stop_msg);
    for (int k = 0; k < DBT_NCOUNTS; k++)
        *counts[k] = kept[k];
    return 0;
}

uint32_t dbt_tc_size(const vmm_t *v)
{
    return v->dbt ? v->dbt->tc_size : 0;
}
