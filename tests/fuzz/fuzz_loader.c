/* Fuzz target `loader`: the Multiboot v1 ELF32 loader on a buffer
 * (loader_load_multiboot_buf, cpu/loader.h).
 *
 * Input: 4 bytes of parameters, then the image.
 *   0  RAM size choice (ram_sizes[])      1  mem_upper_limit choice (limits[])
 *   2  command line: 0 none (NULL), 1 "", 2 a short one, 3 a long one (bit 0-1)
 *   3  unused
 * tests/corpus/loader/ seeds are the test guests and the guest OS with this
 * prefix (tests/fuzz/mkseeds.sh).
 *
 * Checked: the RAM buffer is exactly ram_size bytes (ASan sees any write past
 * it) and every byte in [limit, ram_size) is left as it was (canary); on
 * failure: a one-line message "NAME: ..." and RAM untouched; on success: the
 * entry point inside the image, the image and the Multiboot information
 * inside [0, limit) and apart, and the MBI's flags as documented. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/loader.h"
#include "tests/fuzz/fuzz_common.h"

#define NAME "fuzz.elf"
#define CANARY 0xa5

static const uint32_t ram_sizes[] = {
    2u << 20, 1u << 20, 64u << 10, (1u << 20) + 0x1001, 8u << 20, 0x9500u + 0x40, 0, 4096,
};

static uint8_t *rams[sizeof ram_sizes / sizeof ram_sizes[0]];

/* The first byte of p[0..n) that is not v, or n (memcmp against a block of
 * v: fast, unlike a byte loop under the fuzzer's instrumentation). */
static size_t first_not(const uint8_t *p, size_t n, uint8_t v)
{
    static uint8_t block[65536];
    static int filled = -1;
    if (filled != v) {
        memset(block, v, sizeof block);
        filled = v;
    }
    size_t k = 0;
    while (k < n) {
        size_t c = n - k < sizeof block ? n - k : sizeof block;
        if (memcmp(p + k, block, c) != 0) {
            while (p[k] == v)
                k++;
            return k;
        }
        k += c;
    }
    return n;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    unsigned ri = data[0] % (sizeof ram_sizes / sizeof ram_sizes[0]);
    uint32_t ram_size = ram_sizes[ri];
    uint32_t limits[] = { ram_size, ram_size - (ram_size >> 2), 1u << 20, ram_size + 4096,
                          (ram_size >> 1) + 1, 0xffffffffu, 0x9600, 0 };
    uint32_t limit = limits[data[1] % (sizeof limits / sizeof limits[0])];
    static char longcmd[5000];
    if (!longcmd[0])
        memset(longcmd, 'x', sizeof longcmd - 1);
    const char *cmds[] = { NULL, "", "root=/dev/hda console=ttyS0", longcmd };
    const char *cmdline = cmds[data[2] & 3];
    const uint8_t *img = data + 4;
    size_t len = size - 4;

    /* exactly ram_size bytes, so ASan sees any access past the end */
    if (!rams[ri])
        rams[ri] = malloc(ram_size ? ram_size : 1);
    FUZZ_CHECK(rams[ri] != NULL, "malloc");
    uint8_t *ram = rams[ri];
    uint32_t eff = limit < ram_size ? limit : ram_size;
    memset(ram + eff, CANARY, ram_size - eff);
    /* below the limit: a pattern, so a failed load can be seen to write nothing */
    if (eff)
        memset(ram, 0x5a, eff < 0x200000 ? eff : 0x200000);

    /* an exact-size copy of the image, so reads past it are seen too */
    uint8_t *copy = malloc(len ? len : 1);
    FUZZ_CHECK(copy != NULL, "malloc");
    if (len)
        memcpy(copy, img, len);
    boot_info_t bi;
    memset(&bi, 0xee, sizeof bi);
    char err[512];
    memset(err, 0, sizeof err);
    int rc = loader_load_multiboot_buf(NAME, len ? copy : NULL, len, ram, ram_size, limit,
                                       cmdline, &bi, err, sizeof err);
    free(copy);

    size_t bad = eff + first_not(ram + eff, ram_size - eff, CANARY);
    FUZZ_CHECK(bad == ram_size, "the loader wrote at 0x%zx, past the limit 0x%x (RAM 0x%x)",
               bad, limit, ram_size);
    if (rc != 0) {
        FUZZ_CHECK(rc == -1, "rc %d", rc);
        size_t n = strlen(err);
        FUZZ_CHECK(n > strlen(NAME ": ") && strncmp(err, NAME ": ", strlen(NAME ": ")) == 0,
                   "message does not start with the name: \"%s\"", err);
        FUZZ_CHECK(strchr(err, '\n') == NULL, "message has a newline: \"%s\"", err);
        FUZZ_CHECK(n + 1 < sizeof err, "message fills the buffer: \"%s\"", err);
        uint32_t upto = eff < 0x200000 ? eff : 0x200000;
        size_t at = first_not(ram, upto, 0x5a);
        FUZZ_CHECK(at == upto, "a failed load (\"%s\") wrote RAM at 0x%zx", err, at);
        return 0;
    }
    FUZZ_CHECK(rc == 0, "rc %d", rc);
    FUZZ_CHECK(bi.image_lo < bi.image_hi && bi.image_hi <= eff,
               "image 0x%x-0x%x outside RAM below 0x%x", bi.image_lo, bi.image_hi, eff);
    FUZZ_CHECK(bi.entry >= bi.image_lo && bi.entry < bi.image_hi,
               "entry 0x%x outside the image 0x%x-0x%x", bi.entry, bi.image_lo, bi.image_hi);
    FUZZ_CHECK(bi.mbi >= 0x1000 && (uint64_t)bi.mbi + 88 <= eff && bi.mbi < 0xa0000,
               "MBI at 0x%x (limit 0x%x)", bi.mbi, eff);
    uint32_t flags = rd32(ram + bi.mbi);
    FUZZ_CHECK((flags & 1) && (cmdline ? flags == 5 : flags == 1), "MBI flags 0x%x", flags);
    if (cmdline) {
        uint32_t at = rd32(ram + bi.mbi + 16);
        size_t want = strlen(NAME) + 1 + strlen(cmdline);
        FUZZ_CHECK(at < eff && eff - at > want, "command line at 0x%x", at);
        FUZZ_CHECK(memcmp(ram + at, NAME " ", strlen(NAME) + 1) == 0 &&
                   memcmp(ram + at + strlen(NAME) + 1, cmdline, strlen(cmdline)) == 0 &&
                   ram[at + want] == 0, "command line at 0x%x is not \"%s %s\"", at, NAME, cmdline);
    }
    return 0;
}
