/* Private to isa/: the vocabulary instruction bodies are written in, so that
 * each reads like its page in the SDM. */
#ifndef TRAPSIM_EXEC_H
#define TRAPSIM_EXEC_H
#include "isa/isa.h"
#include "isa/arch.h"
#include "isa/access.h"

#define MAYBE_UNUSED __attribute__((unused))
#define HANDLER(name) int h_##name(struct cpu *c MAYBE_UNUSED, const isa_insn_t *i MAYBE_UNUSED)

/* One prototype per handler named in insn.def. */
#define X(id, map, op, digit, nops, form, mnem, h, cls, fl) HANDLER(h);
#include "isa/insn.def"
#undef X

/* Every row's handler (isa/exec.c), for the fast path's general case. */
typedef int (*isa_handler_fn)(struct cpu *, const isa_insn_t *);
extern const isa_handler_fn isa_handlers[ROW_COUNT];

/* ---- sizes ---- */
static inline uint32_t size_mask(int size)
{
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}
static inline uint32_t sign_bit(int size) { return 1u << (8 * size - 1); }
static inline uint32_t sext(uint32_t v, int size)
{
    return size == 1 ? (uint32_t)(int32_t)(int8_t)v
         : size == 2 ? (uint32_t)(int32_t)(int16_t)v : v;
}

/* ---- registers by size (8-bit: AL CL DL BL AH CH DH BH) ---- */
static inline uint32_t reg_get(const struct cpu *c, int r, int size)
{
    if (size == 4) return c->reg[r];
    if (size == 2) return c->reg[r] & 0xffff;
    return r < 4 ? c->reg[r] & 0xff : (c->reg[r - 4] >> 8) & 0xff;
}

static inline void reg_set(struct cpu *c, int r, int size, uint32_t v)
{
    if (size == 4)
        c->reg[r] = v;
    else if (size == 2)
        c->reg[r] = (c->reg[r] & 0xffff0000u) | (v & 0xffff);
    else if (r < 4)
        c->reg[r] = (c->reg[r] & 0xffffff00u) | (v & 0xff);
    else
        c->reg[r - 4] = (c->reg[r - 4] & 0xffff00ffu) | ((v & 0xff) << 8);
}

/* ---- operands ---- */
/* Effective address of the memory operand (offset within i->seg). */
static inline uint32_t insn_ea(const struct cpu *c, const isa_insn_t *i)
{
    uint32_t ea = i->disp;
    if (i->base != ISA_NOREG) ea += c->reg[i->base];
    if (i->index != ISA_NOREG) ea += c->reg[i->index] << i->scale;
    return i->adsize == 2 ? ea & 0xffff : ea;
}

static inline int opnd_read(struct cpu *c, const isa_insn_t *i, const isa_operand_t *o, uint32_t *v)
{
    switch (o->kind) {
    case OPK_REG: *v = reg_get(c, o->reg, o->size); return 0;
    case OPK_MEM: return mem_read(c, i->seg, insn_ea(c, i), o->size, v);
    default:      *v = i->imm & size_mask(o->size); return 0;
    }
}

static inline int opnd_write(struct cpu *c, const isa_insn_t *i, const isa_operand_t *o, uint32_t v)
{
    if (o->kind == OPK_REG) {
        reg_set(c, o->reg, o->size, v);
        return 0;
    }
    return mem_write(c, i->seg, insn_ea(c, i), o->size, v & size_mask(o->size));
}

/* Checks the destination is writable before anything else happens. */
static inline int opnd_check_write(struct cpu *c, const isa_insn_t *i, const isa_operand_t *o)
{
    return o->kind == OPK_MEM ? mem_check_write(c, i->seg, insn_ea(c, i), o->size) : 0;
}

/* ---- flags ---- */
extern const uint8_t isa_parity[256];   /* 1 = even number of set bits: PF */

static inline uint32_t flags_szp(uint32_t r, int size)
{
    r &= size_mask(size);
    return (r == 0 ? FL_ZF : 0) | ((r & sign_bit(size)) ? FL_SF : 0) |
           (isa_parity[r & 0xff] ? FL_PF : 0);
}

static inline void set_flags(struct cpu *c, uint32_t mask, uint32_t val)
{
    c->eflags = (c->eflags & ~mask) | (val & mask);
}

/* Flags of a + b + carry, result r (all masked to size). */
static inline uint32_t flags_add(uint32_t a, uint32_t b, uint32_t carry, uint32_t r, int size)
{
    uint32_t m = size_mask(size), sb = sign_bit(size);
    a &= m; b &= m; r &= m;
    uint32_t cf = (r < a || (carry && r == a)) ? FL_CF : 0;
    uint32_t of = ((a ^ r) & (b ^ r) & sb) ? FL_OF : 0;
    uint32_t af = ((a ^ b ^ r) & 0x10) ? FL_AF : 0;
    return cf | of | af | flags_szp(r, size);
}

/* Flags of a - b - borrow, result r. */
static inline uint32_t flags_sub(uint32_t a, uint32_t b, uint32_t borrow, uint32_t r, int size)
{
    uint32_t m = size_mask(size), sb = sign_bit(size);
    a &= m; b &= m; r &= m;
    uint32_t cf = (a < b || (borrow && a == b)) ? FL_CF : 0;
    uint32_t of = ((a ^ b) & (a ^ r) & sb) ? FL_OF : 0;
    uint32_t af = ((a ^ b ^ r) & 0x10) ? FL_AF : 0;
    return cf | of | af | flags_szp(r, size);
}

/* Flags of a logical operation: CF = OF = 0, AF undefined (left 0). */
static inline uint32_t flags_logic(uint32_t r, int size)
{
    return flags_szp(r, size);
}

/* Condition codes 0..15 (SDM vol. 1, B.1). */
static inline int cond_true(uint32_t fl, int cc)
{
    int r;
    switch (cc >> 1) {
    case 0: r = !!(fl & FL_OF); break;
    case 1: r = !!(fl & FL_CF); break;
    case 2: r = !!(fl & FL_ZF); break;
    case 3: r = !!(fl & (FL_CF | FL_ZF)); break;
    case 4: r = !!(fl & FL_SF); break;
    case 5: r = !!(fl & FL_PF); break;
    case 6: r = !!(fl & FL_SF) != !!(fl & FL_OF); break;
    default: r = (fl & FL_ZF) || (!!(fl & FL_SF) != !!(fl & FL_OF)); break;
    }
    return (cc & 1) ? !r : r;
}

/* Near branch: the target is truncated to 16 bits with a 16-bit operand
 * size and must lie within CS's limit, else #GP(0) before anything changes. */
static inline int jump_near(struct cpu *c, const isa_insn_t *i, uint32_t target)
{
    if (i->opsize == 2)
        target &= 0xffff;
    if (target > c->seg[SEG_CS].limit)
        return RAISE_GP(c, 0);
    c->eip = target;
    return 0;
}

/* I/O permission (isa/protect.c): CPL <= IOPL, or the TSS I/O bitmap allows it. */
int prot_io_allowed(struct cpu *c, uint16_t port, int size);
/* The port and size an I/O instruction touches (isa/exec.c). */
void isa_io_operands(const struct cpu *c, const isa_insn_t *i, uint16_t *port, int *size);
/* In VMX non-root operation, after the privilege checks: the VM exit the
 * instruction causes, done (ISA_VMEXIT), or 0 (isa/exec_vmx.c). */
int isa_vmx_intercept(struct cpu *c, const isa_insn_t *i);
/* CR0-CR4 as MOV from CR reads them: in VMX non-root operation the bits
 * the host owns come from the read shadows (isa/exec_vmx.c). */
uint32_t isa_cr_read(const struct cpu *c, int n);


#endif
