/* memwrite: a guest for snapshots and live migration. Its command line
 * says what it does:
 *   (nothing)  keeps rewriting a hot set of 24 pages (its writable working
 *              set) while 40 more pages, written once, stay clean;
 *   idle       loops on registers only: it dirties next to nothing;
 *   fill       first writes every page of RAM above 2 MiB (a full guest).
 * It prints a line every 500 passes and a checksum at the end, so a run
 * cut anywhere and continued elsewhere prints the same lines. */
#include "rt.h"

const char guest_name[] = "memwrite";
const int rt_skip_entry_if = 1;

#define PAGE 4096u
#define PAGES 64u
#define HOT 24u
#define PASSES 2000u

static volatile uint8_t area[PAGES * PAGE] __attribute__((aligned(4096)));

static int has_word(const char *s, const char *w)
{
    for (; *s; s++) {
        const char *a = s, *b = w;
        while (*b && *a == *b)
            a++, b++;
        if (!*b)
            return 1;
    }
    return 0;
}

void guest_main(void)
{
    const uint32_t *mbi = (const uint32_t *)boot_mbi;
    const char *cmdline = (mbi[0] & 4) ? (const char *)mbi[4] : "";
    int idle = has_word(cmdline, "idle");
    if (has_word(cmdline, "fill") && (mbi[0] & 1)) {
        uint32_t end = 0x100000u + mbi[2] * 1024u;
        for (uint32_t a = 0x200000u; a + 4 <= end; a += 4)
            *(volatile uint32_t *)a = a ^ 0x5a5a5a5au;
        kprintf("memwrite: filled %u KiB\n", (end - 0x200000u) / 1024u);
    }
    for (uint32_t p = 0; p < PAGES; p++)
        area[p * PAGE] = (uint8_t)p;
    uint32_t sum = 0;
    for (uint32_t pass = 0; pass < PASSES; pass++) {
        if (idle) {
            uint32_t x = pass;
            for (int k = 0; k < 24; k++)
                x = x * 1103515245u + 12345u;
            sum += x;
        } else {
            for (uint32_t p = 0; p < HOT; p++)
                area[p * PAGE + (pass & (PAGE - 1))] += (uint8_t)(pass + p);
        }
        if (pass % 500 == 0)
            kprintf("memwrite: pass %u\n", pass);
    }
    for (uint32_t p = 0; p < PAGES * PAGE; p += 64)
        sum += area[p];
    kprintf("memwrite: %s, checksum %08x\n", idle ? "idle" : "hot set", sum);
}
