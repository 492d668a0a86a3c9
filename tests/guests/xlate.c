/* xlate: code rewritten and run again, round after round: in each round
 * the kernel writes the first immediate of each of 64 blocks (11 ADDs and
 * a RET, 64 bytes apart) and calls them all. A binary translator must
 * translate every block again in every round; `make bench` uses this
 * guest for the translation cost (`rounds=N` on the command line, default
 * 20). The check: the sum the blocks computed, against C's own. */
#include "rt.h"

const char guest_name[] = "xlate";

#define BLOCKS 64
extern uint8_t xlate_blocks[];

/* rounds=N from the command line (after the image name), or 20. */
static uint32_t rounds_arg(void)
{
    const uint32_t *mbi = (const uint32_t *)boot_mbi;
    if (!(mbi[0] & 4))
        return 20;
    for (const char *s = (const char *)mbi[4]; *s; s++) {
        if (s[0] == 'r' && s[1] == 'o' && s[2] == 'u' && s[3] == 'n' && s[4] == 'd' && s[5] == 's' &&
            s[6] == '=') {
            uint32_t n = 0;
            for (s += 7; *s >= '0' && *s <= '9' && n < 10000000; s++)
                n = n * 10 + (uint32_t)(*s - '0');
            return n;
        }
    }
    return 20;
}

static uint32_t call_block(int k)
{
    uint32_t eax = 0;
    __asm__ volatile("call *%1" : "+a"(eax) : "r"(xlate_blocks + 64 * k) : "memory", "cc");
    return eax;
}

void guest_main(void)
{
    uint32_t rounds = rounds_arg(), sum = 0, want = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        for (int k = 0; k < BLOCKS; k++)
            ((volatile uint8_t *)xlate_blocks)[64 * k + 2] = (uint8_t)((r + (uint32_t)k) & 0x7f);
        for (int k = 0; k < BLOCKS; k++) {
            sum += call_block(k);
            want += ((r + (uint32_t)k) & 0x7f) + 10;
        }
    }
    kprintf("%u rounds of %u blocks rewritten and run\n", rounds, BLOCKS);
    check("the sum the blocks computed", sum, want);
}
