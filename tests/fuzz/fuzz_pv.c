/* Fuzz target `pv`: random hypercalls with random arguments against the
 * --vmm=pv monitor (vmm/pv.c), with events delivered in between. A guest
 * with a GDT (kernel and user code and data) is at its entry, the monitor
 * attached; the input's data region is copied into guest RAM at DATA, so
 * that pointer arguments find tables, lists and text there.
 *
 * Input layout (everything past the end reads as 0):
 *
 *   0  flags   bit 0  text trace of every level, to /dev/null
 *              bit 1  register a shared page and a callback first
 *   1  length of the data region (x 64 bytes)
 *   2  the data region, copied to DATA
 *   .. calls, 22 bytes each: the number (mod PV_HYPERCALL_COUNT + 2), a byte
 *      whose bits 0-4 make argument k a pointer DATA + (value mod DATA_MAX)
 *      and whose bits 5-7 say deliver events after the call (7: a timer
 *      event and an upcall), then 5 arguments of 4 bytes
 *
 * Checked after every call: the result is >= 0 or one of the ABI's errors;
 * the real CPU's GDTR, IDTR and TR are still the VMM's, its CPL not 0; the
 * VMM's own descriptors in the shadow GDT are unchanged; the monitor's
 * gates other than the fast trap's still enter the VMM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "isa/access.h"
#include "vmm/vmm_int.h"
#include "vmm/pv.h"
#include "vmm/pv_abi.h"
#include "tests/fuzz/fuzz_common.h"

#define RAM       (256u << 10)
#define GDT       0x1000u
#define DATA      0x10000u
#define DATA_MAX  0x8000u
#define CODE      0x30000u
#define STACK     0x20000u
#define MAX_CALLS 64
#define SHARED    (DATA + DATA_MAX - 64)

static void desc(struct cpu *c, int idx, uint32_t base, uint32_t limit, uint8_t access)
{
    phys_write(c, GDT + (uint32_t)idx * 8, 4, (limit & 0xffff) | (base << 16));
    phys_write(c, GDT + (uint32_t)idx * 8 + 4, 4, ((base >> 16) & 0xff) | ((uint32_t)access << 8) |
                                                  (limit & 0xf0000) | (0xcu << 20) | (base & 0xff000000u));
}

static void null_emit(void *ctx, const event_t *ev) { (void)ctx; (void)ev; }

static int known_result(int32_t r)
{
    return r >= 0 || r == -PV_EPERM || r == -PV_E2BIG || r == -PV_EFAULT || r == -PV_EINVAL || r == -PV_ENOSYS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = { data, size, 0 };
    uint8_t flags = fin_u8(&in);
    machine_t *m = machine_new(RAM, isa_profile_find("x86"));
    FUZZ_CHECK(m != NULL, "no machine");
    struct cpu *c = &m->cpu;
    m->console = fuzz_devnull();
    m->max_insns = 2000;
    if (flags & 1) {
        trace_sink_t s = { TL_ALL, null_emit, NULL, NULL };
        trace_add_sink(&m->trace, &s);
    }
    desc(c, 1, 0, 0xfffff, 0x9b);
    desc(c, 2, 0, 0xfffff, 0x93);
    desc(c, 3, 0, 0xfffff, 0xfb);
    desc(c, 4, 0, 0xfffff, 0xf3);
    uint32_t len = fin_u8(&in) * 64u;
    for (uint32_t k = 0; k < len && k < DATA_MAX; k++)
        c->ram[DATA + k] = fin_u8(&in);
    for (uint32_t k = 0; k < 16; k++)
        c->ram[CODE + k] = 0x90;   /* where an upcall may return: nops */
    machine_boot_state(m, CODE, 0);
    c->reg[ESP] = STACK;
    vmm_t *v = vmm_attach_pv(m);
    FUZZ_CHECK(v != NULL, "no monitor");
    uint32_t own[3][2];
    static const uint16_t sels[3] = { VMM_CS, VMM_DS, VMM_TSS };
    for (int k = 0; k < 3; k++)
        for (int h = 0; h < 2; h++)
            own[k][h] = phys_read(c, v->base + VMM_GDT_OFF + (sels[k] & ~7u) + 4u * (uint32_t)h, 4);
    uint32_t a[5] = { GDT, 5, 0, 0, 0 };
    FUZZ_CHECK(pv_hypercall(v, PV_set_gdt, a) == 0, "set_gdt of a good GDT");
    if (flags & 2) {
        uint32_t sh[5] = { SHARED, 0, 0, 0, 0 }, cb[5] = { 0x09, CODE, 0, 0, 0 };
        pv_hypercall(v, PV_register_shared, sh);
        pv_hypercall(v, PV_set_callback, cb);
    }

    for (int n = 0; n < MAX_CALLS && in.pos < in.n && m->stop == STOP_NONE; n++) {
        uint32_t nr = fin_u8(&in) % (PV_HYPERCALL_COUNT + 2);
        uint8_t how = fin_u8(&in);
        for (int k = 0; k < 5; k++) {
            a[k] = fin_u32(&in);
            if (how & (1u << k))
                a[k] = DATA + a[k] % DATA_MAX;
        }
        int32_t r = pv_hypercall(v, nr, a);
        FUZZ_CHECK(known_result(r), "hypercall %u returned %d", nr, r);
        if ((how >> 5) == 6)
            c->ram[SHARED] = 0;   /* the guest unmasks events */
        if ((how >> 5) >= 6 && m->stop == STOP_NONE) {
            pv_event(v, PV_EVENT_TIMER);
            pv_try_upcall(v);
        }
        /* the real machine stays the VMM's */
        FUZZ_CHECK(c->gdtr.base == v->base + VMM_GDT_OFF && c->idtr.base == v->base + VMM_IDT_OFF,
                   "real GDTR %08x IDTR %08x", c->gdtr.base, c->idtr.base);
        FUZZ_CHECK(c->tr.sel == VMM_TSS && c->tr.base == v->base + VMM_TSS_OFF, "real TR %04x", c->tr.sel);
        FUZZ_CHECK(m->stop != STOP_NONE || c->cpl != 0, "the guest in ring 0");
        for (int k = 0; k < 3; k++)
            for (int h = 0; h < 2; h++)
                FUZZ_CHECK(phys_read(c, v->base + VMM_GDT_OFF + (sels[k] & ~7u) + 4u * (uint32_t)h, 4) == own[k][h],
                           "the VMM's descriptor %04x changed", sels[k]);
        for (int vec = 0; vec < 256; vec++) {
            uint32_t lo = phys_read(c, v->base + VMM_IDT_OFF + (uint32_t)vec * 8, 4);
            FUZZ_CHECK(lo >> 16 == VMM_CS || ((lo >> 16) & ~3u) != (VMM_CS & ~3u),
                       "gate %02x names the VMM's code at another offset", vec);
            if (lo >> 16 != VMM_CS) {
                uint32_t hi = phys_read(c, v->base + VMM_IDT_OFF + (uint32_t)vec * 8 + 4, 4);
                uint32_t idx = (lo >> 16) >> 3;
                FUZZ_CHECK(idx < 5 && ((hi >> 8) & 0xff) == 0xef, "gate %02x: selector %04x, %08x", vec, lo >> 16, hi);
            }
        }
    }
    if (m->stop != STOP_NONE)
        FUZZ_CHECK(m->stop_msg[0] && !strchr(m->stop_msg, '\n'), "stop message '%s'", m->stop_msg);
    vmm_free(v);
    machine_free(m);
    return 0;
}
