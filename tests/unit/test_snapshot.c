/* Snapshots (cpu/snap.h, host/snapshot.h): each component's state goes
 * through save and load unchanged; RAM keeps only pages that are not zero;
 * a whole run saved and loaded goes on exactly as the original and names
 * addresses as it did (its symbols travel with it); bad images
 * are refused with the reason. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/snap.h"
#include "cpu/symbols.h"
#include "host/snapshot.h"
#include "vmm/dbt.h"
#include "vmm/vmm.h"
#include "vmm/vtx.h"

#define GUEST "build/guests/guestos.elf"

static uint32_t seed = 12345;
static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static void fill_random(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t k = 0; k < n; k++)
        b[k] = (uint8_t)rnd();
}

/* save(x) -> load into y -> save(y): the two images are equal */
#define ROUND_TRIP(type, fn, x)                                          \
    do {                                                                 \
        snap_io_t w1, w2, r;                                             \
        type y;                                                          \
        memset(&y, 0, sizeof y);                                         \
        snap_writer(&w1);                                                \
        fn(&w1, (x));                                                    \
        ck_assert(snap_ok(&w1));                                         \
        snap_reader(&r, w1.buf, w1.len);                                 \
        fn(&r, &y);                                                      \
        ck_assert_msg(snap_ok(&r), "%s", r.err);                         \
        ck_assert_uint_eq(r.pos, w1.len);                                \
        snap_writer(&w2);                                                \
        fn(&w2, &y);                                                     \
        ck_assert_uint_eq(w2.len, w1.len);                               \
        ck_assert(memcmp(w1.buf, w2.buf, w1.len) == 0);                  \
        free(w1.buf);                                                    \
        free(w2.buf);                                                    \
    } while (0)

START_TEST(test_primitives)
{
    snap_io_t w, r;
    snap_writer(&w);
    uint8_t a = 0xab; uint16_t b = 0xbeef; uint32_t c = 0xdeadbeef; uint64_t d = 0x0123456789abcdefull;
    int e = -5;
    char s[16] = "hello";
    snap_u8(&w, &a); snap_u16(&w, &b); snap_u32(&w, &c); snap_u64(&w, &d); snap_int(&w, &e); snap_str(&w, s, sizeof s);
    ck_assert_uint_eq(w.len, 1 + 2 + 4 + 8 + 4 + 4 + 5);
    ck_assert_uint_eq(w.buf[1], 0xef);   /* little-endian */
    uint8_t a2 = 0; uint16_t b2 = 0; uint32_t c2 = 0; uint64_t d2 = 0; int e2 = 0; char s2[16];
    snap_reader(&r, w.buf, w.len);
    snap_u8(&r, &a2); snap_u16(&r, &b2); snap_u32(&r, &c2); snap_u64(&r, &d2); snap_int(&r, &e2); snap_str(&r, s2, sizeof s2);
    ck_assert(snap_ok(&r));
    ck_assert_uint_eq(a2, a); ck_assert_uint_eq(b2, b); ck_assert_uint_eq(c2, c); ck_assert(d2 == d);
    ck_assert_int_eq(e2, -5); ck_assert_str_eq(s2, "hello");
    /* one byte short: refused, and what was not read is zero */
    snap_reader(&r, w.buf, w.len - 1);
    snap_u8(&r, &a2); snap_u16(&r, &b2); snap_u32(&r, &c2); snap_u64(&r, &d2); snap_int(&r, &e2); snap_str(&r, s2, sizeof s2);
    ck_assert(!snap_ok(&r));
    ck_assert_str_eq(s2, "");
    /* a string longer than its room */
    char small[4];
    snap_reader(&r, w.buf + 19, w.len - 19);
    snap_str(&r, small, sizeof small);
    ck_assert(!snap_ok(&r));
    free(w.buf);
}
END_TEST

START_TEST(test_devices)
{
    for (int k = 0; k < 20; k++) {
        pic_t p; pit_t t; uart_t u;
        fill_random(&p, sizeof p); fill_random(&t, sizeof t); fill_random(&u, sizeof u);
        ROUND_TRIP(pic_t, snap_pic, &p);
        ROUND_TRIP(pit_t, snap_pit, &t);
        ROUND_TRIP(uart_t, snap_uart, &u);
    }
}
END_TEST

START_TEST(test_cpu)
{
    for (int k = 0; k < 20; k++) {
        struct cpu c;
        fill_random(&c, sizeof c);
        c.profile = isa_profile_find(k % 2 ? "pg" : "x86");
        ROUND_TRIP(struct cpu, snap_cpu, &c);
        /* spot checks of what a load gives */
        snap_io_t w, r;
        struct cpu y = { 0 };
        snap_writer(&w);
        snap_cpu(&w, &c);
        snap_reader(&r, w.buf, w.len);
        snap_cpu(&r, &y);
        ck_assert_uint_eq(y.eip, c.eip);
        ck_assert_uint_eq(y.seg[SEG_SS].base, c.seg[SEG_SS].base);
        ck_assert_uint_eq(y.tr.limit, c.tr.limit);
        ck_assert(y.icount == c.icount && y.vmx.tsc_offset == c.vmx.tsc_offset);
        ck_assert_uint_eq(y.vmx.cr3_target[3], c.vmx.cr3_target[3]);
        ck_assert_ptr_eq(y.profile, c.profile);
        free(w.buf);
    }
}
END_TEST

/* A machine's state and RAM: only the pages that are not zero are stored. */
START_TEST(test_machine_ram)
{
    machine_t *a = machine_new(4u << 20, isa_profile_find("x86")), *b = machine_new(4u << 20, isa_profile_find("x86"));
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    fill_random(&a->cpu.reg, sizeof a->cpu.reg);
    a->now = 777; a->next_event = 999; a->insns_by_ring[1] = 42; a->halted = 1; a->hv.step_end_pending = 1;
    a->pic.chip[0].irr = 1; a->pic.chip[0].imr = 0;
    a->stop = STOP_BUDGET;
    snprintf(a->stop_msg, sizeof a->stop_msg, "budget");
    a->cpu.ram[0x1234] = 1;
    a->cpu.ram[0x3ff000] = 2;
    snap_io_t w, r;
    snap_writer(&w);
    snap_machine(&w, a);
    snap_ram(&w, a, NULL);
    ck_assert(snap_ok(&w));
    ck_assert_uint_eq(snap_ram_pages(a, NULL), 2);
    ck_assert_uint_lt(w.len, 3 * 4096);
    snap_reader(&r, w.buf, w.len);
    snap_machine(&r, b);
    snap_ram(&r, b, NULL);
    ck_assert_msg(snap_ok(&r), "%s", r.err);
    ck_assert(memcmp(a->cpu.ram, b->cpu.ram, 4u << 20) == 0);
    ck_assert(b->now == 777 && b->next_event == 999 && b->insns_by_ring[1] == 42 && b->halted == 1);
    ck_assert_int_eq(b->hv.step_end_pending, 1);
    ck_assert_int_eq(b->stop, STOP_BUDGET);
    ck_assert_str_eq(b->stop_msg, "budget");
    ck_assert_int_eq(b->intr_line, pic_intr_pending(&b->pic));   /* recomputed */
    free(w.buf);
    /* the dirty pages only, a zero one as a mark */
    uint8_t dirty[1024] = { 0 };
    dirty[1] = dirty[5] = 1;
    snap_writer(&w);
    snap_ram(&w, a, dirty);
    ck_assert_uint_eq(w.len, 4 + 4 + 4096 + 4 + 4);
    b->cpu.ram[0x5000] = 9;
    snap_reader(&r, w.buf, w.len);
    snap_ram(&r, b, NULL);
    ck_assert(snap_ok(&r));
    ck_assert_uint_eq(b->cpu.ram[0x5000], 0);
    free(w.buf);
    /* RAM of another size is refused */
    machine_t *c = machine_new(2u << 20, isa_profile_find("x86"));
    snap_writer(&w);
    snap_ram(&w, a, NULL);
    snap_reader(&r, w.buf, w.len);
    snap_ram(&r, c, NULL);
    ck_assert(!snap_ok(&r));
    ck_assert_ptr_nonnull(strstr(r.err, "RAM of"));
    free(w.buf);
    machine_free(a); machine_free(b); machine_free(c);
}
END_TEST

/* An image's symbol table saved and loaded: the same names for every
 * address and name, the same bytes saved again; none saves as none; a
 * table that is cut short or names outside its names is refused. */
START_TEST(test_symbols)
{
    symtab_t *t = symtab_load(GUEST);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_gt(symtab_count(t), 10);
    snap_io_t w, w2, r;
    snap_writer(&w);
    symtab_snap_save(t, &w);
    ck_assert(snap_ok(&w));
    snap_reader(&r, w.buf, w.len);
    symtab_t *u = symtab_snap_load(&r);
    ck_assert_msg(snap_ok(&r), "%s", r.err);
    ck_assert_uint_eq(r.pos, w.len);
    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(symtab_count(u), symtab_count(t));
    uint32_t entry, at;
    ck_assert_int_eq(symtab_find(t, "vector_syscall", &entry), 0);
    ck_assert_int_eq(symtab_find(u, "vector_syscall", &at), 0);
    ck_assert_uint_eq(at, entry);
    for (uint32_t a = 0x100000; a < 0x108000; a += 3) {
        char x[96], y[96];
        symtab_format(t, a, x, sizeof x);
        symtab_format(u, a, y, sizeof y);
        ck_assert_str_eq(x, y);
    }
    snap_writer(&w2);
    symtab_snap_save(u, &w2);
    ck_assert_uint_eq(w2.len, w.len);
    ck_assert(memcmp(w.buf, w2.buf, w.len) == 0);
    free(w2.buf);
    /* cut short anywhere: refused, nothing made */
    for (size_t cut = 0; cut < w.len; cut += 1 + w.len / 97) {
        snap_reader(&r, w.buf, cut);
        ck_assert_ptr_null(symtab_snap_load(&r));
        ck_assert(!snap_ok(&r));
    }
    /* the first symbol's name (after 12 bytes of counts, the names and 8
     * bytes of addresses) beyond the names */
    uint32_t names_len = (uint32_t)w.buf[8] | (uint32_t)w.buf[9] << 8 | (uint32_t)w.buf[10] << 16;
    memset(w.buf + 12 + names_len + 8, 0xff, 4);
    snap_reader(&r, w.buf, w.len);
    ck_assert_ptr_null(symtab_snap_load(&r));
    ck_assert_msg(strstr(r.err, "symbol 0") != NULL, "%s", r.err);
    free(w.buf);
    /* no table */
    snap_writer(&w);
    symtab_snap_save(NULL, &w);
    snap_reader(&r, w.buf, w.len);
    ck_assert_ptr_null(symtab_snap_load(&r));
    ck_assert(snap_ok(&r));
    free(w.buf);
    symtab_free(t);
    symtab_free(u);
}
END_TEST

/* A host of one VM under `mon`, its console in a memory stream. */
static host_t *make_host(vm_monitor_t mon, FILE *console)
{
    vm_config_t c = { .image = GUEST, .ram = 16u << 20, .guest_ips = DEFAULT_GUEST_IPS,
                      .isa = isa_profile_find("x86"), .monitor = mon, .console = console };
    char err[256];
    vm_t *vm = vm_new(&c, err, sizeof err);
    ck_assert_msg(vm != NULL, "%s", err);
    host_t *h = host_new(0);
    host_add(h, vm, 1);
    ck_assert_int_eq(vm_start(vm), 0);
    return h;
}

static void encode(host_t *h, unsigned parts, uint8_t **buf, size_t *len)
{
    char err[256];
    ck_assert_msg(snapshot_encode(h, parts, NULL, NULL, buf, len, err, sizeof err) == 0, "%s", err);
}

/* Every monitor: a run saved after 1,500,000 steps and loaded in a new
 * host goes on exactly as the original (console, state), and the monitor's
 * section goes through unchanged. */
START_TEST(test_run_round_trip)
{
    vm_monitor_t mon = (vm_monitor_t)_i;
    char *out1 = NULL, *out2 = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *c1 = open_memstream(&out1, &n1), *c2 = open_memstream(&out2, &n2);
    host_t *a = make_host(mon, c1);
    vm_run_for(host_vm(a, 0), 1500000);
    if (mon == MON_DBT) {   /* cut inside a fragment: the guest kernel runs in the translation cache */
        const struct cpu *cpu = &vm_machine(host_vm(a, 0))->cpu;
        for (int k = 0; k < 200000 && (cpu->seg[SEG_CS].sel & ~3u) != VMM_TC_CS; k++)
            vm_run_for(host_vm(a, 0), 1);
        ck_assert_uint_eq(cpu->seg[SEG_CS].sel & ~3u, VMM_TC_CS);
    }
    const struct cpu *cpu_a = &vm_machine(host_vm(a, 0))->cpu;
    uint16_t cs_was = cpu_a->seg[SEG_CS].sel;
    uint32_t eip_was = cpu_a->eip;
    uint8_t *img, *img2;
    size_t len, len2;
    encode(a, SNAP_ALL, &img, &len);
    ck_assert_uint_eq(cpu_a->seg[SEG_CS].sel, cs_was);   /* saving leaves the run where it was */
    ck_assert_uint_eq(cpu_a->eip, eip_was);
    snap_target_t t = { .console = c2 };
    char err[256];
    ck_assert_msg(snapshot_decode(img, len, &t, err, sizeof err) == 0, "%s", err);
    host_t *b = t.host;
    ck_assert_int_eq(vm_config(host_vm(b, 0))->monitor, mon);
    ck_assert(vm_steps(host_vm(b, 0)) == vm_steps(host_vm(a, 0)));
    ck_assert_ptr_nonnull(vm_symbols(host_vm(b, 0)));   /* from the image, not the ELF */
    ck_assert_uint_eq(symtab_count(vm_symbols(host_vm(b, 0))), symtab_count(vm_symbols(host_vm(a, 0))));
    encode(b, SNAP_ALL, &img2, &len2);   /* what was loaded saves as it was saved */
    ck_assert_uint_eq(len2, len);
    ck_assert(memcmp(img, img2, len) == 0);
    free(img2);
    fflush(c1);
    long before = (long)n1;
    host_run(a);
    host_run(b);
    fflush(c1);
    fflush(c2);
    ck_assert_uint_gt(before, 0);
    ck_assert_uint_gt(n2, 0);
    ck_assert_uint_eq(n2, n1 - (size_t)before);
    ck_assert(memcmp(out2, out1 + before, n2) == 0);
    ck_assert(vm_instructions(host_vm(a, 0)) == vm_instructions(host_vm(b, 0)));
    ck_assert_int_eq(vm_exit_status(host_vm(a, 0)), vm_exit_status(host_vm(b, 0)));
    free(img);
    host_free(a);
    host_free(b);
    fclose(c1); fclose(c2);
    free(out1); free(out2);
}
END_TEST

/* An image whose sections do not fit the VM they land in. */
START_TEST(test_layout_refused)
{
    FILE *null = fopen("/dev/null", "w");
    host_t *te = make_host(MON_TE, null), *bare = make_host(MON_BARE, null);
    uint8_t *img;
    size_t len;
    char err[256];
    /* te's state into a bare VM */
    encode(te, SNAP_LAYOUT | SNAP_STATE | SNAP_RAM, &img, &len);
    snap_target_t t = { .host = bare, .console = null };
    ck_assert_int_eq(snapshot_decode(img, len, &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "different guest layout") != NULL, "%s", err);
    free(img);
    /* the state alone, without the layout, into nothing */
    encode(te, SNAP_STATE, &img, &len);
    snap_target_t none = { .console = null };
    ck_assert_int_eq(snapshot_decode(img, len, &none, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "before the run's layout") != NULL, "%s", err);
    host_free(none.host);
    free(img);
    /* the layout and RAM without the machine: a migration stream's first
     * part, taken */
    encode(te, SNAP_LAYOUT | SNAP_RAM, &img, &len);
    snap_target_t part = { .console = null };
    ck_assert_int_eq(snapshot_decode(img, len, &part, err, sizeof err), 0);
    host_free(part.host);
    free(img);
    host_free(te);
    host_free(bare);
    fclose(null);
}
END_TEST

/* Any change to an image is refused (checksum, lengths), never crashes. */
START_TEST(test_corrupt_images)
{
    FILE *null = fopen("/dev/null", "w");
    host_t *h = make_host(MON_VTX, null);
    uint8_t *img;
    size_t len;
    encode(h, SNAP_ALL, &img, &len);
    ck_assert_uint_eq(snap_crc32(0, (const uint8_t *)"123456789", 9), 0xcbf43926u);   /* the standard check value */
    for (int k = 0; k < 200; k++) {
        uint8_t *bad = malloc(len);
        memcpy(bad, img, len);
        size_t at = rnd() % len;
        bad[at] ^= (uint8_t)(1u << (rnd() % 8));
        snap_target_t t = { .console = null };
        char err[256];
        ck_assert_int_eq(snapshot_decode(bad, len, &t, err, sizeof err), -1);
        ck_assert(err[0] != 0);
        host_free(t.host);
        snap_target_t t2 = { .console = null };
        ck_assert_int_eq(snapshot_decode(img, at, &t2, err, sizeof err), -1);   /* truncated */
        host_free(t2.host);
        free(bad);
    }
    free(img);
    host_free(h);
    fclose(null);
}
END_TEST

static Suite *snapshot_suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("components");
    tcase_add_test(tc, test_primitives);
    tcase_add_test(tc, test_devices);
    tcase_add_test(tc, test_cpu);
    tcase_add_test(tc, test_machine_ram);
    tcase_add_test(tc, test_symbols);
    tcase_add_loop_test(tc, test_run_round_trip, MON_BARE, MON_COUNT);
    tcase_add_test(tc, test_layout_refused);
    tcase_add_test(tc, test_corrupt_images);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(snapshot_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
