/* check_disasm: walks a flat binary of 32-bit code instruction by
 * instruction with isa_decode() + isa_disasm() and prints one line per
 * instruction, "ADDR: TEXT" (ADDR in lowercase hex without leading zeros),
 * the same shape tests/disasm/compare.sh makes of objdump's listing. An
 * undefined encoding prints "(bad)" and the walk goes on after the bytes
 * the decoder examined; bytes cut off at the end of the file print as
 * objdump prints them, ".byte 0x..".
 *
 *   check_disasm FILE [--base ADDR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "isa/isa.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [--base ADDR]\n", argv[0]);
        return 2;
    }
    uint32_t base = 0;
    if (argc > 3 && !strcmp(argv[2], "--base"))
        base = (uint32_t)strtoul(argv[3], NULL, 0);
    FILE *fp = fopen(argv[1], "rb");
    if (!fp) {
        perror(argv[1]);
        return 2;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            perror("malloc");
            return 2;
        }
        size_t k = fread(buf + n, 1, cap - n, fp);
        n += k;
        if (n < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    fclose(fp);

    size_t pos = 0;
    char text[256];
    while (pos < n) {
        isa_insn_t in;
        int rc = isa_decode(buf + pos, n - pos, 1, &in);
        size_t len = in.len ? in.len : 1;
        if (rc == ISA_DECODE_OK) {
            isa_disasm(&in, base + (uint32_t)pos, text, sizeof text);
        } else if (pos + len >= n && rc != ISA_DECODE_TOOLONG &&
                   in.row != ROW_INVALID) {
            /* a defined instruction cut off by the end of the data */
            snprintf(text, sizeof text, ".byte 0x%x", buf[pos]);
            len = 1;
        } else {
            snprintf(text, sizeof text, "(bad)");
        }
        printf("%x: %s\n", base + (uint32_t)pos, text);
        pos += len;
    }
    free(buf);
    return 0;
}
