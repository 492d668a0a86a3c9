/* The guest's devices. Its IN and OUT trap (IOPL 0 at ring 1) and arrive
 * here through its virtual CPU's bus: a PIC, a PIT and a COM1 of its own. The
 * physical timer belongs to the VMM, which programs it exactly as the guest
 * programs its virtual PIT, so the physical IRQ0 comes when the guest's
 * would; the console and the exit port pass through to the machine. */
#include "vmm/vmm_int.h"

void vdev_reset(vmm_t *v)
{
    pic_reset(&v->vpic);
    pit_reset(&v->vpit);
    uart_reset(&v->vuart);
}

static uint8_t vdev_in8(vmm_t *v, uint16_t port)
{
    machine_t *m = v->m;
    switch (port) {
    case 0x20: case 0x21: case 0xa0: case 0xa1:
        return pic_read(&v->vpic, port);
    case 0x40: case 0x41: case 0x42: case 0x43:
        return pit_read(&v->vpit, port, machine_pit_ticks(m, m->now));
    case 0xe9:
        return 0xe9;
    default:
        if (port >= 0x3f8 && port <= 0x3ff)
            return uart_read(&v->vuart, (uint16_t)(port - 0x3f8));
        return 0xff;
    }
}

static void vdev_out8(vmm_t *v, uint16_t port, uint8_t val)
{
    machine_t *m = v->m;
    switch (port) {
    case 0x20: case 0x21: case 0xa0: case 0xa1:
        pic_write(&v->vpic, port, val);
        return;
    case 0x40: case 0x41: case 0x42: case 0x43: {
        uint64_t ticks = machine_pit_ticks(m, m->now);
        pit_write(&v->vpit, port, val, ticks);
        pit_write(&m->pit, port, val, ticks);   /* the physical timer follows */
        machine_schedule(m);
        return;
    }
    case 0xe9:
        machine_console_put(m, val);
        return;
    default:
        if (port >= 0x3f8 && port <= 0x3ff) {
            int ch = uart_write(&v->vuart, (uint16_t)(port - 0x3f8), val);
            if (ch >= 0)
                machine_console_put(m, (uint8_t)ch);
        }
        return;
    }
}

static void emit_io(vmm_t *v, uint16_t port, int size, uint32_t val, int write)
{
    machine_t *m = v->m;
    if (!trace_on(&m->trace, TL_IO))
        return;
    event_t ev = { .kind = EV_IO, .ring = vmm_real_ring(v->vcpu.cpl), .eip = v->vcpu.eip, .port = port,
                   .size = (uint8_t)size, .value = val, .is_write = (uint8_t)write };
    machine_emit(m, &ev);
}

static uint32_t vdev_in(void *ctx, uint16_t port, int size)
{
    vmm_t *v = ctx;
    uint32_t val = 0;
    for (int k = 0; k < size; k++)
        val |= (uint32_t)vdev_in8(v, (uint16_t)(port + k)) << (8 * k);
    emit_io(v, port, size, val, 0);
    return val;
}

static void vdev_out(void *ctx, uint16_t port, int size, uint32_t val)
{
    vmm_t *v = ctx;
    emit_io(v, port, size, val, 1);
    if (port == 0xf4) {
        machine_port_out(v->m, port, size, val);   /* the guest powers the VM off */
        return;
    }
    for (int k = 0; k < size; k++)
        vdev_out8(v, (uint16_t)(port + k), (uint8_t)(val >> (8 * k)));
}

/* Time and code writes are the machine's. */
static uint64_t vdev_time(void *ctx)
{
    return machine_bus_ops.tsc(((vmm_t *)ctx)->m);
}

static void vdev_code_write(void *ctx, uint32_t phys, int size)
{
    machine_bus_ops.code_write(((vmm_t *)ctx)->m, phys, size);
}

const cpu_bus_ops_t vdev_bus_ops = { vdev_in, vdev_out, vdev_time, vdev_code_write, NULL, NULL };
