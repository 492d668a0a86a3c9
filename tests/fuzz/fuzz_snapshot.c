/* Fuzz target `snapshot`: snapshot images (host/snapshot.h) as `trapsim
 * resume` and `trapsim migrate-listen` read them: random bytes and
 * mutations of real snapshots (tests/corpus/snapshot/: bare, te, pv, dbt, vtx and
 * two VMs, written by tests/fuzz/mkseeds.sh).
 *
 * Input: 1 mode byte, then the image. Mode bit 0: before reading, write
 * the image's length and CRC into it, so that a mutation gets past the
 * checksum to the sections (seeds of that mode have uncompressed sections,
 * --snapshot-stored, so mutations reach the state itself).
 *
 * Checked: a refused image comes with a one-line reason; an accepted one
 * makes a run that goes on for a while (each VM at most 20,000 steps)
 * without a crash, and saves again into an image that loads again. */
#include "host/snapshot.h"
#include "tests/fuzz/fuzz_common.h"

/* The section `trapsim run` adds per VM: its console's unfinished line. */
static void console_load(void *ctx, int vm, snap_io_t *io)
{
    (void)ctx, (void)vm;
    char line[256];
    uint32_t n = 0;
    snap_u32(io, &n);
    if (n > sizeof line)
        snap_fail(io, "a console line of %u bytes", n);
    else
        snap_bytes(io, line, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    if (size < 1)
        return 0;
    int fix = data[0] & 1;
    data++, size--;
    uint8_t *img = NULL;
    if (fix && size >= 28) {   /* header + trailer */
        img = malloc(size);
        memcpy(img, data, size);
        for (int k = 0; k < 8; k++)
            img[16 + k] = (uint8_t)((uint64_t)size >> (8 * k));
        uint32_t crc = snap_crc32(0, img, size - 4);
        for (int k = 0; k < 4; k++)
            img[size - 4 + k] = (uint8_t)(crc >> (8 * k));
        data = img;
    }
    static const snap_extra_t console = { "console", NULL, console_load, NULL };
    snap_target_t t = { .console = null, .max_ram = 16u << 20, .extra = &console };
    char err[512] = "";
    if (snapshot_decode(data, size, &t, err, sizeof err)) {
        FUZZ_CHECK(err[0] && !strchr(err, '\n'), "a refusal without its one-line reason: '%s'", err);
        host_free(t.host);
        free(img);
        return 0;
    }
    free(img);
    for (int k = 0; k < host_count(t.host); k++)
        vm_run_for(host_vm(t.host, k), 20000);
    uint8_t *out;
    size_t len;
    FUZZ_CHECK(snapshot_encode(t.host, SNAP_ALL, NULL, NULL, &out, &len, err, sizeof err) == 0, "%s", err);
    snap_target_t again = { .console = null };
    /* the image has no run extras; whatever it had is not saved again */
    FUZZ_CHECK(snapshot_decode(out, len, &again, err, sizeof err) == 0, "a saved image does not load: %s", err);
    free(out);
    host_free(again.host);
    host_free(t.host);
    return 0;
}
