/* Fuzz target `rawargs`: `trapsim raw`'s option parsing (RAW-MODE.md),
 * through raw_main() itself.
 *
 * Input: the arguments after "raw", separated by newlines (so no argument
 * holds one). The harness appends "--max-insns=200" and "code.bin", a
 * two-instruction fragment (nop; int3) in a private temporary directory that
 * is the current directory during the call; arguments holding '/' are refused, so no fuzzed
 * file name leaves that directory (no /dev/zero, no /dev/stdin). Inputs
 * whose --dump options ask for more than 64 KiB in all are skipped (slow, and
 * not parsing).
 *
 * Checked: the exit status is 0 or 2; with 2, standard error holds exactly
 * one line starting with "trapsim: "; with 0, nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "app/raw.h"
#include "tests/fuzz/fuzz_common.h"

#define MAX_ARGS 64
#define DUMP_CAP (64u << 10)

static char workdir[] = "/tmp/trapsim-fuzz-rawargs-XXXXXX";
static char codefile[sizeof workdir + 16];

static void cleanup(void)
{
    unlink(codefile);
    rmdir(workdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(workdir))
        abort();
    snprintf(codefile, sizeof codefile, "%s/code.bin", workdir);
    atexit(cleanup);
    FILE *f = fopen(codefile, "wb");
    static const uint8_t code[] = { 0x90, 0xcc };   /* nop; int3 */
    if (!f || fwrite(code, 1, sizeof code, f) != sizeof code || fclose(f) != 0)
        abort();
    return 0;
}

/* The bytes --dump asks for, roughly as raw.c reads them. */
static unsigned long long dump_bytes(char **args, int n)
{
    unsigned long long total = 0;
    for (int i = 0; i < n; i++) {
        const char *v = NULL;
        if (strcmp(args[i], "--dump") == 0 && i + 1 < n)
            v = args[i + 1];
        else if (strncmp(args[i], "--dump=", 7) == 0)
            v = args[i] + 7;
        const char *colon = v ? strchr(v, ':') : NULL;
        if (colon) {
            unsigned long long len = strtoull(colon + 1, NULL, 0);
            total += len > (1u << 20) ? (1u << 20) : len;
        }
    }
    return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *buf = malloc(size + 1);
    FUZZ_CHECK(buf != NULL, "malloc");
    memcpy(buf, data, size);
    buf[size] = 0;
    char *args[MAX_ARGS + 3];
    int n = 0;
    char *p = buf;
    if (size > 0) {
        for (;;) {
            char *nl = memchr(p, '\n', (size_t)(buf + size - p));
            if (n == MAX_ARGS || memchr(p, '/', nl ? (size_t)(nl - p) : strlen(p))) {
                free(buf);
                return 0;
            }
            args[n++] = p;
            if (!nl)
                break;
            *nl = 0;
            p = nl + 1;
        }
    }
    if (dump_bytes(args, n) > DUMP_CAP) {
        free(buf);
        return 0;
    }
    args[n++] = "--max-insns=200";
    args[n++] = "code.bin";
    args[n] = NULL;

    /* relative names resolve in the private directory during the call only
     * (libFuzzer's own paths are relative to where it was started) */
    int here = open(".", O_RDONLY | O_DIRECTORY);
    FUZZ_CHECK(here >= 0 && chdir(workdir) == 0, "cannot enter %s", workdir);
    fuzz_capture_t cap;
    fuzz_capture_begin(&cap);
    int rc = raw_main(n, args);
    fuzz_capture_end(&cap);
    FUZZ_CHECK(fchdir(here) == 0, "cannot come back from %s", workdir);
    close(here);
    FUZZ_CHECK(rc == 0 || rc == 2, "exit status %d", rc);
    if (rc == 2)
        FUZZ_CHECK(fuzz_one_line_message(cap.err_text, cap.err_len),
                   "status 2 with standard error \"%s\" (%zu bytes)", cap.err_text, cap.err_len);
    else
        FUZZ_CHECK(cap.err_len == 0, "status 0 with standard error \"%s\"", cap.err_text);
    fuzz_capture_free(&cap);
    free(buf);
    return 0;
}
