/* A run's state as sections (host/snapshot.h, docs/SNAPSHOT.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "host/snapshot.h"
#include "cpu/symbols.h"
#include "vmm/pv.h"
#include "vmm/vmm.h"
#include "vmm/vtx.h"

#define HEADER_LEN 24u            /* magic, version, sections, total length */
#define SECTION_HEAD 32u          /* name, vm, flags, length, stored length */
#define RUN_SCOPE 0xffffffffu     /* a section of the run, not of one VM */
#define SEC_ZSTD 1u
/* No section is longer than the largest RAM and what goes with it: a bound
 * for what a corrupted length may make us allocate. */
#define SECTION_MAX ((3ull << 30) + (64ull << 20))

typedef struct snap_ctx {
    host_t *h;
    snap_target_t *t;               /* loading: where VMs go */
    uint8_t *const *dirty;          /* saving: the pages RAM sections hold */
    int nvms;                       /* the layout's VM count */
    unsigned weight[HOST_MAX_VMS];
    unsigned seen[HOST_MAX_VMS];    /* loading: the sections each VM got (1 << table row) */
    int layout_made;                /* this image made the host */
    int stored;                     /* saving: SNAP_STORED */
} snap_ctx_t;

static vm_t *ctx_vm(snap_ctx_t *x, int k) { return host_vm(x->h, k); }

/* ---- the sections ---- */

static void host_io(snap_ctx_t *x, int k, snap_io_t *io)
{
    (void)k;
    uint64_t quantum = x->h ? host_quantum(x->h) : 0;
    uint32_t n = x->h ? (uint32_t)host_count(x->h) : 0;
    snap_u64(io, &quantum);
    snap_u32(io, &n);
    if (n < 1 || n > HOST_MAX_VMS || quantum < 1)
        snap_fail(io, "%u VMs, quantum %llu", n, (unsigned long long)quantum);
    for (uint32_t v = 0; v < n && v < HOST_MAX_VMS; v++) {
        uint32_t w = x->h && !io->load ? host_weight(x->h, (int)v) : 0;
        snap_u32(io, &w);
        if (w < 1 || w > HOST_MAX_WEIGHT)
            snap_fail(io, "VM %u has weight %u", v, w);
        x->weight[v] = w;
    }
    if (!io->load || !snap_ok(io))
        return;
    if (x->h) {
        if (n != (uint32_t)host_count(x->h) || quantum != host_quantum(x->h))
            snap_fail(io, "a run of %u VMs with quantum %llu, this one has %d with %llu", n,
                      (unsigned long long)quantum, host_count(x->h), (unsigned long long)host_quantum(x->h));
        return;
    }
    if (!(x->h = host_new(quantum)))
        snap_fail(io, "out of memory");
    x->nvms = (int)n;
    x->layout_made = 1;
}

static void sched_io(snap_ctx_t *x, int k, snap_io_t *io)
{
    (void)k;
    uint32_t n = (uint32_t)host_count(x->h);
    snap_u32(io, &n);
    if (io->load && n != (uint32_t)host_count(x->h)) {
        snap_fail(io, "quanta of %u VMs, the run has %d", n, host_count(x->h));
        return;
    }
    for (int v = 0; v < host_count(x->h); v++) {
        uint64_t q = host_quanta(x->h, v);
        snap_u64(io, &q);
        host_set_quanta(x->h, v, q);
    }
}

/* A VM's layout: what it is made of (vm_config_t), not what it did. */
typedef struct vm_layout {
    char name[VM_NAME_MAX], isa[32], monitor[16];
    uint64_t ram, guest_ips, max_insns;
    uint32_t expose_pg;
    uint32_t tc_size;        /* --tc-size (dbt) */
} vm_layout_t;

static void layout_of(const vm_t *vm, vm_layout_t *l)
{
    const vm_config_t *c = vm_config(vm);
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", vm_name(vm));
    snprintf(l->isa, sizeof l->isa, "%s", c->isa->name);
    snprintf(l->monitor, sizeof l->monitor, "%s", vm_monitor_name(c->monitor));
    l->ram = c->ram;
    l->guest_ips = c->guest_ips;
    l->max_insns = c->max_insns;
    l->expose_pg = (uint32_t)c->expose_pg;
    l->tc_size = c->tc_size;
}

static void layout_io(snap_io_t *io, vm_layout_t *l)
{
    snap_str(io, l->name, sizeof l->name);
    snap_str(io, l->isa, sizeof l->isa);
    snap_str(io, l->monitor, sizeof l->monitor);
    snap_u64(io, &l->ram);
    snap_u64(io, &l->guest_ips);
    snap_u64(io, &l->max_insns);
    snap_u32(io, &l->expose_pg);
    snap_u32(io, &l->tc_size);
}

static void vm_save(snap_ctx_t *x, int k, snap_io_t *io)
{
    vm_layout_t l;
    layout_of(ctx_vm(x, k), &l);
    layout_io(io, &l);
}

static void vm_load(snap_ctx_t *x, int k, snap_io_t *io)
{
    vm_layout_t l;
    layout_io(io, &l);
    if (!snap_ok(io))
        return;
    if (!x->layout_made) {   /* a stream's later image: the VM is there, it must be this one */
        vm_layout_t have;
        if (k >= host_count(x->h)) {
            snap_fail(io, "a VM %d where the run has %d", k, host_count(x->h));
            return;
        }
        layout_of(ctx_vm(x, k), &have);
        if (memcmp(&have, &l, sizeof l) != 0)
            snap_fail(io, "a different guest layout (VM '%s', %llu bytes of RAM, %s, isa %s)", l.name,
                      (unsigned long long)l.ram, l.monitor, l.isa);
        return;
    }
    int mon = vm_monitor_find(l.monitor);
    const isa_profile_t *isa = isa_profile_find(l.isa);
    if (k != host_count(x->h) || k >= x->nvms)
        snap_fail(io, "VM %d out of order (%d of %d made)", k, host_count(x->h), x->nvms);
    else if (mon < 0 || !isa)
        snap_fail(io, "unknown monitor '%s' or ISA profile '%s'", l.monitor, l.isa);
    else if (l.ram < (2u << 20) || l.ram > (x->t->max_ram ? x->t->max_ram : 3ull << 30) || l.ram % 4096)
        snap_fail(io, "guest RAM of %llu bytes", (unsigned long long)l.ram);
    else if (l.guest_ips < 1000)
        snap_fail(io, "guest speed %llu", (unsigned long long)l.guest_ips);
    else if ((x->nvms > 1) != (l.name[0] != 0))
        snap_fail(io, "a VM name '%s' in a run of %d VMs", l.name, x->nvms);
    if (!snap_ok(io))
        return;
    vm_config_t c = { .name = l.name, .ram = l.ram, .max_insns = l.max_insns, .guest_ips = l.guest_ips,
                      .isa = isa, .monitor = (vm_monitor_t)mon, .expose_pg = (int)l.expose_pg, .tc_size = l.tc_size,
                      .no_cache = x->t->no_cache, .console = x->t->console };
    char err[160];
    vm_t *vm = vm_new_empty(&c, err, sizeof err);
    if (!vm) {
        snap_fail(io, "%s", err);
        return;
    }
    host_add(x->h, vm, x->weight[k]);
}

/* The image's symbols, so that the VM names addresses wherever it goes on. */
static void symbols_save(snap_ctx_t *x, int k, snap_io_t *io)
{
    symtab_snap_save(vm_symbols(ctx_vm(x, k)), io);
}

static void symbols_load(snap_ctx_t *x, int k, snap_io_t *io)
{
    symtab_t *t = symtab_snap_load(io);
    if (x->layout_made)
        vm_set_symbols(ctx_vm(x, k), t);
    else   /* a stream's later image: the VM has them */
        symtab_free(t);
}

static void machine_io(snap_ctx_t *x, int k, snap_io_t *io)
{
    snap_machine(io, vm_machine(ctx_vm(x, k)));
}

static void ram_io(snap_ctx_t *x, int k, snap_io_t *io)
{
    snap_ram(io, vm_machine(ctx_vm(x, k)), x->dirty ? x->dirty[k] : NULL);
}

static void te_save(snap_ctx_t *x, int k, snap_io_t *io)
{
    vmm_snap_save(vm_monitor(ctx_vm(x, k)), io);
}

/* A monitor's section comes once per VM. */
static int monitor_again(vm_t *vm, snap_io_t *io)
{
    return vm_monitor(vm) || vm_vtx(vm) ? snap_fail(io, "a second monitor section for the VM") : 0;
}

static void te_load(snap_ctx_t *x, int k, snap_io_t *io)
{
    vm_t *vm = ctx_vm(x, k);
    if (monitor_again(vm, io))
        return;
    vmm_t *v = vmm_snap_load(vm_machine(vm), io);
    if (v)
        vm_adopt_monitor(vm, v, NULL);
}

/* --vmm=pv: te's section made the VMM, this gives it its pv part. */
static void pv_save(snap_ctx_t *x, int k, snap_io_t *io)
{
    pv_snap_save(vm_monitor(ctx_vm(x, k)), io);
}

static void pv_load(snap_ctx_t *x, int k, snap_io_t *io)
{
    vmm_t *v = vm_monitor(ctx_vm(x, k));
    if (!v)
        snap_fail(io, "comes before the VM's 'te' section");
    else
        pv_snap_load(v, io);
}

/* --vmm=dbt: the same, with the translator (its cache made again). */
static void dbt_save(snap_ctx_t *x, int k, snap_io_t *io)
{
    dbt_snap_save(vm_monitor(ctx_vm(x, k)), io);
}

static void dbt_load(snap_ctx_t *x, int k, snap_io_t *io)
{
    vm_t *vm = ctx_vm(x, k);
    if (!vm_monitor(vm))
        snap_fail(io, "comes before the VM's 'te' section");
    else
        dbt_snap_load(vm_monitor(vm), vm_config(vm)->tc_size, io);
}

static void vtx_save(snap_ctx_t *x, int k, snap_io_t *io)
{
    vtx_snap_save(vm_vtx(ctx_vm(x, k)), io);
}

static void vtx_load(snap_ctx_t *x, int k, snap_io_t *io)
{
    vm_t *vm = ctx_vm(x, k);
    if (monitor_again(vm, io))
        return;
    vtx_t *v = vtx_snap_load(vm_machine(vm), io);
    if (v)
        vm_adopt_monitor(vm, NULL, v);
}

/* The table: a section per component, in the order a file has them. A
 * monitor's row names its monitors: only VMs under one of them have the
 * section, and each of them must (pv is te's VMM plus its pv part: both
 * rows; dbt: te's, then the translator's, whose cache is not saved). */
#define MONS(m) (1u << (m))
#define EVERY_VM 0u
typedef struct section {
    const char *name;
    int per_vm;              /* one per VM (else one for the run) */
    unsigned monitors;       /* MONS(vm_monitor_t) | ...; EVERY_VM: every VM */
    unsigned part;           /* SNAP_LAYOUT, SNAP_STATE or SNAP_RAM */
    void (*save)(snap_ctx_t *x, int k, snap_io_t *io);
    void (*load)(snap_ctx_t *x, int k, snap_io_t *io);
} section_t;

static const section_t sections[] = {
    { "host", 0, EVERY_VM, SNAP_LAYOUT, host_io, host_io },
    { "vm", 1, EVERY_VM, SNAP_LAYOUT, vm_save, vm_load },
    { "symbols", 1, EVERY_VM, SNAP_LAYOUT, symbols_save, symbols_load },
    { "machine", 1, EVERY_VM, SNAP_STATE, machine_io, machine_io },
    { "ram", 1, EVERY_VM, SNAP_RAM, ram_io, ram_io },
    { "te", 1, MONS(MON_TE) | MONS(MON_PV) | MONS(MON_DBT), SNAP_STATE, te_save, te_load },
    { "pv", 1, MONS(MON_PV), SNAP_STATE, pv_save, pv_load },
    { "dbt", 1, MONS(MON_DBT), SNAP_STATE, dbt_save, dbt_load },
    { "vtx", 1, MONS(MON_VTX), SNAP_STATE, vtx_save, vtx_load },
    { "sched", 0, EVERY_VM, SNAP_STATE, sched_io, sched_io },
};
#define NSECTIONS ((int)(sizeof sections / sizeof sections[0]))

/* Whether a VM has the section. */
static int section_for(const section_t *sec, const vm_t *vm)
{
    return sec->monitors == EVERY_VM || (sec->monitors & MONS(vm_config(vm)->monitor)) != 0;
}
#define ROW_EXTRA NSECTIONS      /* the run's extra, after the table's rows */
#define ROW_MACHINE 3

/* ---- CRC-32 ---- */
uint32_t snap_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- encoding ---- */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A monitor's state has a row (bare has none to save): a VM under one
 * without is refused rather than resumed without its monitor. */
static int monitor_saved(vm_monitor_t mon)
{
    for (int s = 0; s < NSECTIONS; s++)
        if (sections[s].monitors & MONS(mon))
            return 1;
    return mon == MON_BARE;
}

/* Appends one section: its header, then its payload compressed. */
static int add_section(snap_io_t *out, const char *name, uint32_t vm, const snap_io_t *payload, int stored)
{
    uint8_t head[SECTION_HEAD] = { 0 };
    memcpy(head, name, strnlen(name, 8));
    put_le(head + 8, vm, 4);
    put_le(head + 16, payload->len, 8);
    if (stored) {
        put_le(head + 24, payload->len, 8);
        snap_bytes(out, head, sizeof head);
        snap_bytes(out, payload->buf, payload->len);
        return snap_ok(out) ? 0 : -1;
    }
    size_t bound = ZSTD_compressBound(payload->len);
    uint8_t *z = malloc(bound ? bound : 1);
    if (!z)
        return snap_fail(out, "out of memory");
    size_t zlen = ZSTD_compress(z, bound, payload->buf, payload->len, 3);
    if (ZSTD_isError(zlen)) {
        free(z);
        return snap_fail(out, "zstd: %s", ZSTD_getErrorName(zlen));
    }
    put_le(head + 12, SEC_ZSTD, 4);
    put_le(head + 24, zlen, 8);
    snap_bytes(out, head, sizeof head);
    snap_bytes(out, z, zlen);
    free(z);
    return snap_ok(out) ? 0 : -1;
}

static int encode_one(snap_ctx_t *x, snap_io_t *out, const char *name, uint32_t vm,
                      void (*save)(snap_ctx_t *, int, snap_io_t *), const snap_extra_t *extra, uint32_t *count)
{
    snap_io_t p;
    snap_writer(&p);
    if (save)
        save(x, (int)vm, &p);
    else
        extra->save(extra->ctx, (int)vm, &p);
    int rc = snap_ok(&p) ? add_section(out, name, vm, &p, x->stored) : snap_fail(out, "%s: %s", name, p.err);
    free(p.buf);
    *count += rc == 0;
    return rc;
}

static int encode_all(snap_ctx_t *xp, unsigned parts, const snap_extra_t *extra, uint8_t **out, size_t *outlen,
                      char *err, size_t errlen);

int snapshot_encode(host_t *h, unsigned parts, uint8_t *const *dirty, const snap_extra_t *extra,
                    uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    snap_ctx_t x = { .h = h, .dirty = dirty, .stored = (parts & SNAP_STORED) != 0 };
    for (int k = 0; k < host_count(h); k++)
        if (!monitor_saved(vm_config(host_vm(h, k))->monitor))
            return fail(err, errlen, "VM %d runs under %s, whose state this trapsim cannot save", k,
                        vm_monitor_name(vm_config(host_vm(h, k))->monitor));
    /* a guest kernel under dbt is saved at its guest address, not in a fragment */
    dbt_park_t park[HOST_MAX_VMS] = { 0 };
    for (int k = 0; k < host_count(h); k++)
        if (vm_monitor(host_vm(h, k)) && dbt_snap_park(vm_monitor(host_vm(h, k)), &park[k])) {
            for (int j = 0; j < k; j++)
                if (vm_monitor(host_vm(h, j)))
                    dbt_snap_unpark(vm_monitor(host_vm(h, j)), &park[j]);
            return fail(err, errlen, "VM %d: the CPU is at no instruction of a fragment", k);
        }
    int rc = encode_all(&x, parts, extra, out, outlen, err, errlen);
    for (int k = 0; k < host_count(h); k++)
        if (vm_monitor(host_vm(h, k)))
            dbt_snap_unpark(vm_monitor(host_vm(h, k)), &park[k]);
    return rc;
}

static int encode_all(snap_ctx_t *xp, unsigned parts, const snap_extra_t *extra, uint8_t **out, size_t *outlen,
                      char *err, size_t errlen)
{
    snap_ctx_t x = *xp;
    host_t *h = x.h;
    snap_io_t o;
    snap_writer(&o);
    uint8_t head[HEADER_LEN] = { 0 };
    snap_bytes(&o, head, sizeof head);
    uint32_t count = 0;
    for (int s = 0; s < NSECTIONS && snap_ok(&o); s++) {
        const section_t *sec = &sections[s];
        if (!(sec->part & parts))
            continue;
        if (!sec->per_vm) {
            encode_one(&x, &o, sec->name, RUN_SCOPE, sec->save, NULL, &count);
            continue;
        }
        for (int k = 0; k < host_count(h) && snap_ok(&o); k++)
            if (section_for(sec, host_vm(h, k)))
                encode_one(&x, &o, sec->name, (uint32_t)k, sec->save, NULL, &count);
    }
    if (extra && (parts & SNAP_STATE))
        for (int k = 0; k < host_count(h) && snap_ok(&o); k++)
            encode_one(&x, &o, extra->name, (uint32_t)k, NULL, extra, &count);
    uint8_t crc[4] = { 0 };
    snap_bytes(&o, crc, 4);
    if (!snap_ok(&o)) {
        snprintf(err, errlen, "%s", o.err);
        free(o.buf);
        return -1;
    }
    memcpy(o.buf, SNAP_MAGIC, 8);
    put_le(o.buf + 8, SNAP_VERSION, 4);
    put_le(o.buf + 12, count, 4);
    put_le(o.buf + 16, o.len, 8);
    put_le(o.buf + o.len - 4, snap_crc32(0, o.buf, o.len - 4), 4);
    *out = o.buf;
    *outlen = o.len;
    return 0;
}

/* ---- decoding ---- */

/* The table row of a section name (ROW_EXTRA: the run's extra), or -1. */
static int row_of(const char *name, const snap_extra_t *extra)
{
    for (int s = 0; s < NSECTIONS; s++)
        if (strcmp(name, sections[s].name) == 0)
            return s;
    return extra && strcmp(name, extra->name) == 0 ? ROW_EXTRA : -1;
}

/* One section's payload into the state; 0 or -1 with err set. */
static int decode_one(snap_ctx_t *x, int row, uint32_t vm, const uint8_t *raw, size_t len, char *err,
                      size_t errlen)
{
    const section_t *sec = row < NSECTIONS ? &sections[row] : NULL;
    const char *name = sec ? sec->name : x->t->extra->name;
    char where[64];
    if (vm == RUN_SCOPE)
        snprintf(where, sizeof where, "section '%s'", name);
    else
        snprintf(where, sizeof where, "section '%s' of VM %u", name, vm);
    int per_vm = sec ? sec->per_vm : 1;
    if (per_vm != (vm != RUN_SCOPE))
        return fail(err, errlen, "%s: belongs to %s", where, per_vm ? "a VM" : "the run");
    if (!x->h && row != 0)
        return fail(err, errlen, "%s: comes before the run's layout", where);
    int made = x->h ? host_count(x->h) : 0;
    if (per_vm && row != 1 && (int)vm >= made)
        return fail(err, errlen, "%s: no such VM (the run has %d)", where, made);
    if (per_vm && row != 1 && sec && !section_for(sec, host_vm(x->h, (int)vm)))
        return fail(err, errlen, "%s: a different guest layout (that VM runs %s)", where,
                    vm_monitor_name(vm_config(host_vm(x->h, (int)vm))->monitor));
    if (!per_vm && row != 0 && (x->layout_made ? host_count(x->h) != x->nvms : 0))
        return fail(err, errlen, "%s: %d of the layout's %d VMs are missing", where, x->nvms - host_count(x->h),
                    x->nvms);
    snap_io_t io;
    snap_reader(&io, raw, len);
    if (sec)
        sec->load(x, (int)vm, &io);
    else
        x->t->extra->load(x->t->extra->ctx, (int)vm, &io);
    if (snap_ok(&io) && io.pos != io.len)
        snap_fail(&io, "%zu bytes left over", io.len - io.pos);
    if (!snap_ok(&io))
        return fail(err, errlen, "%s: %s", where, io.err);
    if (per_vm)
        x->seen[vm] |= 1u << row;
    return 0;
}

/* After the sections: every VM that got its machine got its monitor too. */
static int check_complete(snap_ctx_t *x, char *err, size_t errlen)
{
    if (x->layout_made && host_count(x->h) != x->nvms)
        return fail(err, errlen, "the layout has %d VMs, %d are described", x->nvms, host_count(x->h));
    for (int k = 0; k < host_count(x->h); k++) {
        if (!(x->seen[k] & (1u << ROW_MACHINE)))
            continue;
        vm_monitor_t mon = vm_config(host_vm(x->h, k))->monitor;
        for (int s = 0; s < NSECTIONS; s++)
            if (sections[s].monitors != EVERY_VM && section_for(&sections[s], host_vm(x->h, k)) &&
                !(x->seen[k] & (1u << s)))
                return fail(err, errlen, "VM %d runs under %s but has no '%s' section", k, vm_monitor_name(mon),
                            sections[s].name);
    }
    return 0;
}

int snapshot_decode(const uint8_t *buf, size_t len, snap_target_t *t, char *err, size_t errlen)
{
    if (len < 8 || memcmp(buf, SNAP_MAGIC, 8) != 0)
        return fail(err, errlen, "not a trapsim snapshot (no '%s' at the start)", SNAP_MAGIC);
    if (len < HEADER_LEN + 4)
        return fail(err, errlen, "truncated (%zu bytes, not even a header)", len);
    uint32_t version = (uint32_t)get_le(buf + 8, 4), count = (uint32_t)get_le(buf + 12, 4);
    uint64_t total = get_le(buf + 16, 8);
    if (version != SNAP_VERSION)
        return fail(err, errlen, "snapshot format version %u, this trapsim reads version %u", version, SNAP_VERSION);
    if (total > len)
        return fail(err, errlen, "truncated (%zu of %llu bytes)", len, (unsigned long long)total);
    if (total < len)
        return fail(err, errlen, "corrupted (%zu bytes where the header says %llu)", len, (unsigned long long)total);
    if (snap_crc32(0, buf, len - 4) != (uint32_t)get_le(buf + len - 4, 4))
        return fail(err, errlen, "corrupted (checksum mismatch)");
    snap_ctx_t x = { .h = t->host, .t = t };
    size_t pos = HEADER_LEN, end = len - 4;
    int rc = 0;
    for (uint32_t s = 0; s < count && rc == 0; s++) {
        if (end - pos < SECTION_HEAD) {
            rc = fail(err, errlen, "corrupted (section %u of %u is cut short)", s + 1, count);
            break;
        }
        char name[9] = { 0 };
        memcpy(name, buf + pos, 8);
        uint32_t vm = (uint32_t)get_le(buf + pos + 8, 4), flags = (uint32_t)get_le(buf + pos + 12, 4);
        uint64_t raw_len = get_le(buf + pos + 16, 8), stored = get_le(buf + pos + 24, 8);
        pos += SECTION_HEAD;
        if (!name[0] || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name)) {
            rc = fail(err, errlen, "corrupted (section %u of %u has no name)", s + 1, count);
            break;
        }
        int row = row_of(name, t->extra);
        if (row < 0) {
            rc = fail(err, errlen, "unknown section '%s'", name);
            break;
        }
        if (stored > end - pos || raw_len > SECTION_MAX || flags > SEC_ZSTD || (vm != RUN_SCOPE && vm >= HOST_MAX_VMS) ||
            (!(flags & SEC_ZSTD) && stored != raw_len)) {
            rc = fail(err, errlen, "corrupted (section '%s': bad lengths or flags)", name);
            break;
        }
        uint8_t *raw = (uint8_t *)buf + pos;
        if (flags & SEC_ZSTD) {
            unsigned long long framed = ZSTD_getFrameContentSize(buf + pos, stored);
            raw = malloc(raw_len ? raw_len : 1);
            size_t got = raw && framed == raw_len ? ZSTD_decompress(raw, raw_len, buf + pos, stored) : 0;
            if (!raw || framed != raw_len || ZSTD_isError(got) || got != raw_len) {
                free(raw);
                rc = fail(err, errlen, "corrupted (section '%s' does not decompress)", name);
                break;
            }
        }
        rc = decode_one(&x, row, vm, raw, raw_len, err, errlen);
        if (raw != buf + pos)
            free(raw);
        pos += stored;
    }
    if (rc == 0 && pos != end)
        rc = fail(err, errlen, "corrupted (%zu bytes after the last section)", end - pos);
    if (rc == 0 && !x.h)
        rc = fail(err, errlen, "no run in it (no 'host' section)");
    if (rc == 0)
        rc = check_complete(&x, err, errlen);
    t->host = x.h;
    return rc;
}

/* ---- files ---- */

int snapshot_save(const char *path, host_t *h, const snap_extra_t *extra, unsigned flags, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    char why[200];
    if (snapshot_encode(h, SNAP_ALL | flags, NULL, extra, &buf, &len, why, sizeof why))
        return fail(err, errlen, "%s: cannot make the snapshot: %s", path, why);
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(buf, 1, len, f) != len;
    bad |= f && fclose(f) != 0;
    free(buf);
    return bad ? fail(err, errlen, "%s: cannot write the snapshot: %s", path, strerror(errno)) : 0;
}

int snapshot_load(const char *path, snap_target_t *t, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, "%s: cannot read the snapshot: %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap) {
            uint8_t *b = realloc(buf, cap = cap ? cap * 2 : 1u << 20);
            if (!b) {
                free(buf);
                fclose(f);
                return fail(err, errlen, "%s: out of memory", path);
            }
            buf = b;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    int rd = ferror(f);
    fclose(f);
    char why[200];
    int rc = rd ? fail(why, sizeof why, "read error") : snapshot_decode(buf, len, t, why, sizeof why);
    free(buf);
    return rc ? fail(err, errlen, "%s: %s", path, why) : 0;
}
