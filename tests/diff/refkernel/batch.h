/* The QEMU reference of the differential test: what the host (tests/diff/qemu.c)
 * and the reference kernel (tests/diff/refkernel/kernel.c) share.  Data and
 * one inline function only: it compiles both hosted and -ffreestanding -m32.
 *
 * Memory map of a case (the same in every world: trapsim raw --load/--mem/
 * --dump, the native child's mappings, the reference kernel's RAM):
 *   CODE_BASE  code, ending in int3
 *   DATA_BASE  data area, random initial bytes
 *   STACK_LO..STACK_TOP  stack, random near the initial ESP, zero elsewhere
 *   LOW_BASE   data for 16-bit addressing (0x67) */
#ifndef TRAPSIM_DIFF_BATCH_H
#define TRAPSIM_DIFF_BATCH_H
#include <stdint.h>

#define CODE_BASE  0x00100000u
#define CODE_MAX   0x1000u          /* bytes of code a case may have */
#define CODE_MAP   0x10000u
#define DATA_BASE  0x00200000u
#define DATA_SIZE  0x1000u
#define STACK_TOP  0x00800000u
#define STACK_SIZE 0x2000u
#define STACK_LO   (STACK_TOP - STACK_SIZE)
#define LOW_BASE   0x00008000u
#define LOW_SIZE   0x1000u

/* The kernel's own GDT entries follow the standard table
 * (app/raw_tables.h): one handler TSS per vector, DPL 0.  A case that runs
 * LGDT must keep this limit or more (the next event's task gate needs it). */
#define REF_GDT_FIRST   26          /* = RAW_STD_GDT_ENTRIES (checked in kernel.c) */
#define REF_GDT_LIMIT   ((REF_GDT_FIRST + 256) * 8 - 1)
#define REF_SEL_HANDLER(v) ((uint16_t)((REF_GDT_FIRST + (v)) * 8))

/* The batch, passed as the Multiboot module (QEMU -initrd): a header, then
 * `count` records back to back, each a ref_case_t followed by its bytes:
 * code (code_len), data (DATA_SIZE), stack (stack_len bytes, placed at
 * stack_lo; the rest of the stack area is zero), low (low_len: 0 or
 * LOW_SIZE; zero when 0), each part padded to 4 bytes.  Little-endian. */
#define REF_MAGIC   0x42465254u     /* "TRFB" */
#define REF_VERSION 1u

typedef struct ref_batch {
    uint32_t magic, version;
    uint32_t count;                 /* records */
    uint32_t size;                  /* bytes, header included */
} ref_batch_t;

typedef struct ref_case {
    uint32_t size;                  /* bytes of this record, header included */
    uint32_t index_lo, index_hi;    /* the case's number (for the report) */
    uint8_t cpl, std_tables, nbp, pad;
    uint32_t eflags, cr0, cr4;
    uint32_t regs[8];               /* eax ebx ecx edx esi edi ebp esp (diff.h order) */
    uint32_t bp[4];                 /* instruction breakpoints: the HLTs of a CPL-0 case */
    uint32_t code_len;
    uint32_t stack_lo, stack_len;
    uint32_t low_len;
} ref_case_t;

#define REF_PAD4(n) (((n) + 3u) & ~3u)

/* The report, on COM1, one record per case, every line exactly as here
 * (lower-case hex, fixed widths, one space, '\n'):
 *   C PPPPPPPP IIIIIIIIIIIIIIII        position in the batch, case number
 *   R eax ebx ecx edx esi edi ebp esp eip eflags   (8 hex digits each)
 *   V VV E XXXXXXXX DDDDDDDD           vector, E = 1 if an error code was
 *                                      pushed (XXXXXXXX, else 0), DR6
 *   M AAAAAAAA BBBBBBBB                one per 4-byte word of a case area that
 *                                      differs from its initial contents: the
 *                                      address, the bytes in memory order
 *   K SSSSSSSS                         ref_sum() of every byte of the lines
 *                                      from C to the last M, newlines included
 * A fault in the kernel itself (not in a case) gives instead of R..M:
 *   X VV EEEEEEEE                      vector, EIP
 * At the start `B NNNNNNNN FFFFFFFF` (count, first position run), at the end
 * `E NNNNNNNN`; then the kernel exits through isa-debug-exit (port 0xf4).
 * `P PPPPPPPP` instead of a case record: QEMU's EFLAGS has bits set that
 * must be 0 (REF_EFLAGS_ZERO); the kernel exits, a new boot runs from PPPPPPPP. */
#define REF_EFLAGS_ZERO 0xffc08028u
static inline uint32_t ref_sum(uint32_t sum, const char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        sum = sum * 31u + (uint8_t)p[i];
    return sum;
}

#endif
