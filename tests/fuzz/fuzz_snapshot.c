/* Fuzz target `snapshot`: snapshot images (host/snapshot.h) as `trapsim
 * resume` and `trapsim migrate-listen` read them: random bytes and
 * mutations of real snapshots (tests/corpus/snapshot/: bare, te, vtx and
 * two VMs, written by tests/fuzz/mkseeds.sh).
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
    static const snap_extra_t console = { "console", NULL, console_load, NULL };
    snap_target_t t = { .console = null, .max_ram = 16u << 20, .extra = &console };
    char err[512] = "";
    if (snapshot_decode(data, size, &t, err, sizeof err)) {
        FUZZ_CHECK(err[0] && !strchr(err, '\n'), "a refusal without its one-line reason: '%s'", err);
        host_free(t.host);
        return 0;
    }
    for (int k = 0; k < host_count(t.host); k++)
        vm_run_for(host_vm(t.host, k), 20000);
    uint8_t *img;
    size_t len;
    FUZZ_CHECK(snapshot_encode(t.host, SNAP_ALL, NULL, NULL, &img, &len, err, sizeof err) == 0, "%s", err);
    snap_target_t again = { .console = null };
    /* the image has no run extras; whatever it had is not saved again */
    FUZZ_CHECK(snapshot_decode(img, len, &again, err, sizeof err) == 0, "a saved image does not load: %s", err);
    free(img);
    host_free(again.host);
    host_free(t.host);
    return 0;
}
