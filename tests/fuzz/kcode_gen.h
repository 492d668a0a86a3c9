/* Random guest kernel code (issue 15): a generator of Multiboot images whose
 * kernel runs random basic blocks at CPL 0, for a fuzz target that runs
 * them bare and under a monitor (fuzz_kcode.c). The blocks are made of
 * innocuous instructions (ALU, shifts, loads and stores, PUSH/POP), the
 * sensitive ones a translator must replace (PUSHF/POPF, CLI/STI, MOV from
 * CS/SS/DS, SGDT, SIDT, SMSW, STR, SLDT, LAR, LSL, VERR, VERW, IN, OUT,
 * HLT), control transfers (Jcc forward, JMP through a register, CALL to a
 * subroutine, bounded loops), self-modifying stores into later blocks,
 * and, on request, raw random bytes. Every transfer goes forward or round
 * a bounded loop, so a program without raw bytes ends: by printing its
 * registers, flags and data area on COM1 and writing isa-debug-exit, or at
 * its first exception, whose vector, EIP and registers it prints. */
#ifndef TRAPSIM_KCODE_GEN_H
#define TRAPSIM_KCODE_GEN_H
#include <stddef.h>
#include <stdint.h>

#define KCODE_LOAD      0x100000u   /* the image's physical address */
#define KCODE_IMAGE_MAX 0x13000u    /* bytes of the file */

/* What a generated program may do, from the first byte of its input. */
enum {
    KCODE_TIMER = 1,    /* the PIT at a fast rate, IRQ0 unmasked, STI: interrupts land in the blocks */
    KCODE_RAW   = 2,    /* raw random bytes between the items: anything may happen */
};

/* Writes the image for `in` (any bytes: they are consumed as choices,
 * zeros past the end) into img (KCODE_IMAGE_MAX bytes); returns its length
 * and the KCODE_ flags it used in *flags. */
size_t kcode_image(const uint8_t *in, size_t n, uint8_t *img, unsigned *flags);
#endif
