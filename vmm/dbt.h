/* vmm/dbt.h: the binary translator of --vmm=dbt (issue 15; LECTURE "Full
 * virtualization"). The guest kernel (its CPL 0, real ring 1) never runs
 * its own bytes: each basic block is translated on demand into a fragment
 * of real x86-32 code in the translation cache (TC), a part of the VMM's
 * area that a ring-1 code segment of the shadow GDT (VMM_TC_CS) covers,
 * and the CPU runs that. Guest user code runs directly, under
 * trap-and-emulate, as VMware's did.
 *
 * A fragment holds at most DBT_MAX_INSNS guest instructions, up to the
 * first unconditional control transfer or sensitive instruction (a
 * conditional branch's fall-through goes on in the same fragment, so that
 * neither of its sides costs an extra jump: exact virtual time counts
 * every instruction that runs, and a guest Jcc must stay one):
 *   IDENT      innocuous instructions, copied byte for byte;
 *   inline     real code on the virtual CPU, no callout: MOV %cs,reg and
 *              PUSH %cs push or load the guest's selector as an immediate
 *              (the unit is for one guest CS); CLI clears the virtual IF in
 *              the VMM's state page (`movb $0,%gs:vif+1`); PUSHF pushes
 *              the real flags with the virtual IF and IOPL in them, a
 *              sequence the machine runs as one step (dbt.c);
 *   rewritten  direct JMP/Jcc (rel32 into the TC; a Jcc's taken side exits
 *              after the fragment's last instruction), CALL (PUSH of the
 *              guest return address, then an exit), LOOP/JECXZ (rel8 over
 *              two exits);
 *   callout    every sensitive, privileged or I/O instruction, RET and the
 *              indirect transfers (a lookup of the guest target), an
 *              instruction with a CS override, every use of the guest's
 *              %gs (in the TC, %gs is the VMM's: it reaches the state
 *              page): the VMM runs the guest instruction on its virtual
 *              CPU. STI and POPF stay callouts: they may open the window on
 *              an interrupt the VMM holds, which only it can inject.
 * A fragment leaves through exits: an `ljmp $VMM_TC_CS, $self` that the
 * VMM intercepts before it runs (hv.h's before_insn), so an exit never
 * counts as an instruction. An exit whose target is translated is chained:
 * the JMP/Jcc's rel32, or the exit's own offset, then names the target's
 * fragment directly. */
#ifndef TRAPSIM_DBT_H
#define TRAPSIM_DBT_H
#include <stdint.h>
#include "isa/arch.h"

#define DBT_TC_OFF      0x40000u              /* where the TC starts in the VMM's area */
#define DBT_TC_MAX      (0x100000u - DBT_TC_OFF)   /* 768 KiB: the rest of the area */
#define DBT_TC_DEFAULT  (256u << 10)          /* --tc-size's default */
#define DBT_TC_MIN      4096u
#define DBT_MAX_INSNS   12                    /* guest instructions per fragment */
#define DBT_FRAG_MAX    512                   /* bytes: 12 x (15 + exits) fits */
#define DBT_MAP_MAX     (DBT_MAX_INSNS * 3 + 2)
#define DBT_EXIT_MAX    (DBT_MAX_INSNS + 2)
#define VMM_TC_CS       0xffe0                /* the TC's code segment, DPL 1 */
#define DBT_EXIT_LEN    7                     /* ljmp ptr16:32 */

/* The virtual CPU's part that inline code reads and writes: a page of the
 * VMM's area that a ring-1 data segment (VMM_STATE_DS) covers, in %gs
 * while the CPU is in the TC. The VMM reads it back whenever the CPU
 * leaves the TC. Dwords, at these offsets: */
#define DBT_STATE_OFF   0x21000u              /* in the VMM's area */
#define VMM_STATE_DS    0xffd8                /* its data segment, DPL 1 */
#define DBT_VIF         0x0                   /* the virtual IF: 0 or FL_IF */
#define DBT_VIOPL       0x4                   /* the virtual IOPL, in place: 0 .. FL_IOPL */
#define DBT_SAVE        0x8                   /* a register an inline sequence borrows */

/* How a fragment instruction stands for its guest instruction. */
typedef enum dbt_how { DH_IDENT, DH_REWRITTEN, DH_INLINE, DH_CALLOUT, DH_EXIT } dbt_how_t;

/* Each instruction of a fragment, at `tc` bytes from its start: the guest
 * state at its start is the guest's at `eip` (so an event there is
 * reported at `eip`), and the guest instruction it comes from. */
typedef struct dbt_map {
    uint16_t tc;
    uint8_t how;          /* dbt_how_t */
    uint8_t first;        /* the first fragment instruction of its guest instruction */
    uint32_t eip;         /* guest EIP at this point */
    uint32_t from;        /* the guest instruction it translates (its EIP) */
} dbt_map_t;

/* An exit: the ljmp at `at` leads to guest `target` (DX_JUMP), or asks the
 * VMM to run the guest instruction at `target` (DX_CALLOUT). `branch`: the
 * rel32 of a JMP/Jcc that reaches this exit, patched when it is chained
 * (0: none). */
enum { DX_JUMP, DX_CALLOUT };
typedef struct dbt_exit {
    uint16_t at, branch;
    uint8_t kind;
    uint32_t target;
} dbt_exit_t;

/* The guest code a block is read from: its CS and its bytes. */
typedef struct dbt_guest {
    uint32_t cs_base, cs_limit;
    uint16_t cs_sel;              /* CS as the guest sees it (RPL 0) */
    int code32;
    /* copies `n` guest bytes at linear `lin` (0 beyond RAM); 0, or -1 when
     * they are not all RAM */
    int (*read)(void *ctx, uint32_t lin, uint8_t *buf, uint32_t n);
    void *ctx;
} dbt_guest_t;

/* A translated block: its fragment's bytes are at TC offset `tc_at`. */
typedef struct dbt_block {
    uint32_t eip;                  /* guest EIP of its first instruction */
    uint32_t guest_len;            /* guest bytes read: [cs_base + eip, + guest_len) */
    uint32_t tc_at;
    uint16_t len;                  /* fragment bytes */
    uint8_t ninsns, ident, rewritten, callouts;   /* rewritten: inline sequences too */
    int nmap, nexit;
    dbt_map_t map[DBT_MAP_MAX];
    dbt_exit_t exit[DBT_EXIT_MAX];
} dbt_block_t;

/* Translates the guest block at `eip` into `code` (DBT_FRAG_MAX bytes),
 * for TC offset `tc_at` (dbt_translate.c). Never fails: what cannot be
 * copied becomes a callout. */
void dbt_translate(const dbt_guest_t *g, uint32_t eip, uint32_t tc_at, dbt_block_t *out, uint8_t *code);
/* The guest EIP for a fragment instruction starting at `tc` bytes into
 * block `b`; 0 and *eip set, or -1 when no instruction starts there. */
int dbt_map_back(const dbt_block_t *b, uint32_t tc, uint32_t *eip);
/* Points exit `k` of block `b` at TC offset `to`: patches `code` (the
 * fragment's bytes). */
void dbt_chain(const dbt_block_t *b, int k, uint8_t *code, uint32_t to);
/* Whether the exit `k` is chained in `code`. */
int dbt_chained(const dbt_block_t *b, int k, const uint8_t *code);
/* The TC offset an exit's ljmp leads to now (`code`: the fragment's bytes). */
uint32_t dbt_exit_dest(const dbt_block_t *b, int k, const uint8_t *code);
#endif
