/* The trap-and-emulate VMM's state in a snapshot (vmm/vmm.h). */
#include <stdlib.h>
#include <string.h>
#include "cpu/snap.h"
#include "vmm/dbt.h"
#include "vmm/vmm_int.h"

/* The VMM's area; under dbt with the translation cache as a flush leaves
 * it (all HLT): its fragments are not state, they are made again. */
static void snap_area(snap_io_t *io, vmm_t *v)
{
    uint32_t tc_size = dbt_tc_size(v);
    if (io->load || !tc_size) {
        snap_bytes(io, v->area, VMM_AREA_SIZE);
        return;
    }
    static uint8_t hlt[DBT_TC_MAX];
    memset(hlt, 0xf4, tc_size);
    snap_bytes(io, v->area, DBT_TC_OFF);
    snap_bytes(io, hlt, tc_size);
    snap_bytes(io, v->area + DBT_TC_OFF + tc_size, VMM_AREA_SIZE - DBT_TC_OFF - tc_size);
}

/* Both ways: everything of struct vmm but the machine and area pointers. */
static void vmm_state(snap_io_t *io, vmm_t *v)
{
    snap_cpu(io, &v->vcpu);
    snap_pic(io, &v->vpic);
    snap_pit(io, &v->vpit);
    snap_uart(io, &v->vuart);
    snap_int(io, &v->guest_halted);
    snap_int(io, &v->expose_pg);
    snap_int(io, &v->sti_shadow);
    snap_u8(io, &v->exit_ring);
    snap_u32(io, &v->gdt_copy_len);
    if (v->gdt_copy_len > sizeof v->gdt_copy)
        snap_fail(io, "a guest GDT copy of %u bytes", v->gdt_copy_len);
    snap_bytes(io, v->gdt_copy, sizeof v->gdt_copy);
    snap_u32(io, &v->pre.eflags);
    snap_u32(io, &v->pre.esp);
    snap_u32(io, &v->pre.top);
    snap_u16(io, &v->pre.cs);
    snap_u8(io, &v->pre.cpl);
    snap_area(io, v);
    snap_u64(io, &v->exits);
    snap_u64_table(io, v->exit_exc, 32);
    snap_u64_table(io, v->exit_irq, 16);
    snap_u64(io, &v->exit_soft);
    snap_u64_table(io, v->emulated, ROW_COUNT);
    snap_u64_table(io, v->reflected, 32);
    snap_u64_table(io, v->injected, 16);
    snap_u64_table(io, v->deferred, 16);
    snap_u64(io, &v->forwarded_soft);
    snap_u64_table(io, v->pg, ROW_COUNT);
    snap_u64(io, &v->idt_rebuilds);
    snap_u64(io, &v->gdt_syncs);
}

void vmm_snap_save(vmm_t *v, snap_io_t *io)
{
    vmm_state(io, v);
}

vmm_t *vmm_snap_load(machine_t *m, snap_io_t *io)
{
    vmm_t *v = vmm_new(m);
    if (!v) {
        snap_fail(io, "out of memory for the VMM");
        return NULL;
    }
    vmm_state(io, v);
    if (!snap_ok(io)) {
        vmm_free(v);
        return NULL;
    }
    /* the virtual CPU's bus, as vmm_attach() made it */
    v->vcpu.ram = m->cpu.ram;
    v->vcpu.ram_size = m->cpu.ram_size;
    v->vcpu.bus = (cpu_bus_t){ .ops = &vdev_bus_ops, .ctx = v, .code_pages = m->cpu.bus.code_pages };
    vmm_hook_up(v);
    return v;
}
