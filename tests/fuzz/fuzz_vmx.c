/* Fuzz target `vmx`: random VMCS contents and VMLAUNCH. x86 code on the
 * bare machine runs VMXON and VMPTRLD, VMWRITEs random values to random
 * fields (known ones mostly, any encoding sometimes), maybe VMREADs one,
 * and VMLAUNCHes (or VMRESUMEs); the host's exit handler skips the exiting
 * instruction and resumes, for ever, and the guest runs random code in non-root operation under whatever
 * controls the VMCS ended with. Every outcome must be a VMfail, a VM-entry
 * failure, exits, or the guest's own faults: never a crash, never a hang.
 *
 * Input layout (everything past the end reads as 0):
 *
 *   0  mode    bit 0  start from a good VMCS (tests/vmx/vmcs_good.h), else
 *                     a zeroed one with the revision
 *              bit 1  VMRESUME instead of VMLAUNCH (the VMCS launched)
 *              bit 2  the guest's IDT: every gate to an IRET (else empty)
 *              bit 3  text trace of every level, to /dev/null
 *              bit 4  the PIC and the PIT on: external interrupts arrive
 *   1  number of VMWRITEs (mod 48)
 *   2  each VMWRITE: 2 bytes, the field (bit 15 set: the raw encoding in
 *      bits 14:0, else an index into the fields trapsim has), 4 bytes, the
 *      value; then 2 bytes: a field to VMREAD (0: none)
 *   .. the guest's code, at GUEST_CODE
 *
 * Checked after the run: it stopped for a reason that fits (the budget,
 * a halt, a triple fault or VMX abort, something not modelled, the guest's
 * isa-debug-exit); the stop message is one line; CPL == CS.RPL; non-root
 * operation only inside VMX operation; no more instructions than the budget. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/vmx.h"
#include "isa/access.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/vmx/vmcs_good.h"

#define RAM        (1u << 20)
#define BUDGET     3000u
#define STEP_CAP   (20u * BUDGET)
#define GDT        0x0800u
#define IDT        0x1000u
#define TSS        0x3000u
#define IRET_AT    0x3f00u
#define VMXON_PA   0x5000u
#define VMCS_PA    0x6000u
#define M64        0x4ff0u      /* VMXON's operand, then VMPTRLD's at +8 */
#define HOST_CODE  0xa000u
#define HOST_LOOP  0xb000u
#define HOST_ESP   0x9000u
#define GUEST_CODE 0x20000u
#define GUEST_MAX  0x10000u
#define GUEST_ESP  0x40000u
#define MAX_WRITES 48u

static const uint16_t fields[] = {
#define X(name, enc) enc,
#include "isa/vmcs.def"
#undef X
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static void put_desc(uint8_t *ram, uint32_t at, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | ((uint32_t)access << 8) | (limit & 0xf0000) |
                  ((uint32_t)flags << 16) | (base & 0xff000000u);
    memcpy(ram + at, &lo, 4);
    memcpy(ram + at + 4, &hi, 4);
}

static void put32(uint8_t *ram, uint32_t at, uint32_t v) { memcpy(ram + at, &v, 4); }

/* x86 code, assembled by hand */
typedef struct code { uint8_t *ram; uint32_t at; } code_t;
static void emit(code_t *k, const char *bytes, size_t n)
{
    memcpy(k->ram + k->at, bytes, n);
    k->at += (uint32_t)n;
}
static void emit_imm(code_t *k, uint8_t op, uint32_t imm)   /* mov $imm, %reg */
{
    k->ram[k->at++] = op;
    put32(k->ram, k->at, imm);
    k->at += 4;
}

static void load(struct cpu *c, int sreg, uint16_t sel)
{
    uint32_t lo, hi;
    FUZZ_CHECK(desc_read(c, sel, &lo, &hi) == 0, "selector %04x", sel);
    desc_to_cache(sreg < 6 ? &c->seg[sreg] : &c->tr, sel, lo, hi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = { data, size, 0 };
    uint8_t mode = fin_u8(&in);
    unsigned nwrites = fin_u8(&in) % MAX_WRITES;

    machine_t *m = machine_new(RAM, isa_profile_find("x86"));
    FUZZ_CHECK(m != NULL, "machine_new");
    struct cpu *c = &m->cpu;
    uint8_t *ram = c->ram;
    m->console = fuzz_devnull();
    m->max_insns = BUDGET;
    text_sink_t text = { fuzz_devnull(), 0 };
    if (mode & 8) {
        trace_sink_t s = { TL_ALL, text_sink_emit, NULL, &text };
        trace_add_sink(&m->trace, &s);
    }

    /* ring 0, flat code and data, a busy TSS; VMX allowed */
    machine_boot_state(m, HOST_CODE, 0);
    put_desc(ram, GDT + 0x08, 0, 0xfffff, 0x9b, 0xc0);
    put_desc(ram, GDT + 0x10, 0, 0xfffff, 0x93, 0xc0);
    put_desc(ram, GDT + 0x18, TSS, 103, 0x8b, 0);
    c->gdtr.base = GDT;
    c->gdtr.limit = 4 * 8 - 1;
    c->idtr.base = IDT;
    c->idtr.limit = 256 * 8 - 1;
    load(c, SEG_CS, 0x08);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            load(c, s, 0x10);
    load(c, 6, 0x18);
    put32(ram, TSS + 4, HOST_ESP);
    put32(ram, TSS + 8, 0x10);
    c->reg[ESP] = HOST_ESP;
    c->cr0 |= CR0_NE;
    c->cr4 |= CR4_VMXE;
    c->vmx.feature_control = FC_LOCK | FC_VMX_OUTSIDE_SMX;
    ram[IRET_AT] = 0xcf;
    if (mode & 4)
        for (uint32_t v = 0; v < 256; v++) {
            put32(ram, IDT + 8 * v, (IRET_AT & 0xffff) | 0x08u << 16);
            put32(ram, IDT + 8 * v + 4, (IRET_AT & 0xffff0000u) | 0xee00u);
        }
    if (mode & 16) {
        machine_pic_write(m, 0x20, 0x11);
        machine_pic_write(m, 0x21, 0x20);
        machine_pic_write(m, 0x21, 0x04);
        machine_pic_write(m, 0x21, 0x01);
        machine_pic_write(m, 0x21, 0xfe);
        machine_port_out(m, 0x43, 1, 0x34);
        machine_port_out(m, 0x40, 1, 0x40);
        machine_port_out(m, 0x40, 1, 0x00);
    }

    /* the VMXON region and the VMCS: the revision, and maybe a good VMCS
     * written in trapsim's layout before the code makes it current */
    put32(ram, VMXON_PA, VMCS_REVISION);
    put32(ram, VMCS_PA, VMCS_REVISION);
    if (mode & 1) {
        c->vmx.vmcs_ptr = VMCS_PA;
        vmcs_good_t g = { 0x08, 0x10, 0x18, TSS, GDT, 4 * 8 - 1, IDT, HOST_LOOP, HOST_ESP, GUEST_CODE, GUEST_ESP };
        vmcs_good(c, &g);
        c->vmx.vmcs_ptr = 0;
    }
    if (mode & 2)
        put32(ram, VMCS_PA + VMCS_OFF_LAUNCHED, 1);
    put32(ram, M64, VMXON_PA);
    put32(ram, M64 + 8, VMCS_PA);

    /* the host: VMXON, VMPTRLD, the VMWRITEs, a VMREAD, VMLAUNCH; its
     * exit handler: VMRESUME, again and again */
    code_t k = { ram, HOST_CODE };
    emit(&k, "\xf3\x0f\xc7\x35\xf0\x4f\x00\x00", 8);   /* vmxon 0x4ff0 */
    emit(&k, "\x0f\xc7\x35\xf8\x4f\x00\x00", 7);       /* vmptrld 0x4ff8 */
    for (unsigned n = 0; n < nwrites; n++) {
        uint32_t f = fin_u8(&in);
        f |= (uint32_t)fin_u8(&in) << 8;
        uint32_t enc = (f & 0x8000) ? f & 0x7fff : fields[f % NFIELDS];
        emit_imm(&k, 0xb9, enc);                       /* mov $enc, %ecx */
        emit_imm(&k, 0xb8, fin_u32(&in));              /* mov $value, %eax */
        emit(&k, "\x0f\x79\xc8", 3);                   /* vmwrite %eax, %ecx */
    }
    uint32_t rd = fin_u8(&in);
    rd |= (uint32_t)fin_u8(&in) << 8;
    if (rd) {
        emit_imm(&k, 0xb9, (rd & 0x8000) ? rd & 0x7fff : fields[rd % NFIELDS]);
        emit(&k, "\x0f\x78\xcb", 3);                   /* vmread %ecx, %ebx */
    }
    emit(&k, (mode & 2) ? "\x0f\x01\xc3" : "\x0f\x01\xc2", 3);
    k.at = HOST_LOOP;                                  /* skip the exiting instruction, resume */
    emit_imm(&k, 0xb9, VMCS_EXIT_INSN_LEN);
    emit(&k, "\x0f\x78\xc8", 3);                       /* vmread %ecx, %eax */
    emit_imm(&k, 0xb9, VMCS_GUEST_EIP);
    emit(&k, "\x0f\x78\xcb\x01\xc3\x0f\x79\xcb", 8);   /* vmread %ecx, %ebx; add; vmwrite %ebx, %ecx */
    emit(&k, "\x0f\x01\xc3\xeb\xdc", 5);               /* vmresume; jmp HOST_LOOP */

    /* the guest */
    size_t glen = in.n - in.pos;
    if (glen > GUEST_MAX)
        glen = GUEST_MAX;
    memcpy(ram + GUEST_CODE, in.p + in.pos, glen);

    unsigned steps = 0;
    while (m->stop == STOP_NONE && steps++ < STEP_CAP)
        machine_step(m);
    FUZZ_CHECK(m->stop != STOP_NONE, "still running after %u steps", STEP_CAP);
    FUZZ_CHECK(m->stop == STOP_BUDGET || m->stop == STOP_HALTED || m->stop == STOP_TRIPLE ||
               m->stop == STOP_UNMODELLED || m->stop == STOP_DEBUG_EXIT, "stop kind %d", m->stop);
    FUZZ_CHECK(m->stop_msg[0] && !strchr(m->stop_msg, '\n'), "stop message '%s'", m->stop_msg);
    FUZZ_CHECK(c->cpl == (c->seg[SEG_CS].sel & 3), "CPL %d, CS %04x", c->cpl, c->seg[SEG_CS].sel);
    FUZZ_CHECK(!c->vmx.nonroot || c->vmx.on, "non-root outside VMX operation");
    FUZZ_CHECK(c->icount <= BUDGET, "%llu instructions", (unsigned long long)c->icount);
    FUZZ_CHECK(c->ram == ram && c->ram_size == RAM, "RAM moved");
    trace_finish(&m->trace);
    machine_free(m);
    return 0;
}
