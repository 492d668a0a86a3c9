/* Fuzz target `scenario`: the scenario file parser, scenario_parse_buf()
 * (app/scenario_file.h; the format: scenarios/README.md).
 *
 * Input: the text of a scenario file, given in a buffer of exactly its
 * size with no NUL after it (the parser must never read past text[len-1]).
 *
 * Checked: the result is 0 or -1. With 0: every string field of the
 * scenario_t is NUL-terminated inside its array, the name is "fuzz", the
 * port ranges fit SCN_MAX_PORTS. With -1: the message is one line,
 * "scenarios/fuzz.scn:LINE: what" with LINE a line of the text, or
 * "scenarios/fuzz.scn: what" for a fault of the whole file, and leaves room
 * in the buffer (not truncated). tests/corpus/scenario/ seeds are the
 * scenarios of scenarios/ (tests/fuzz/mkseeds.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "app/scenario_file.h"
#include "tests/fuzz/fuzz_common.h"

#define NAME "scenarios/fuzz.scn"

#define TERMINATED(field) \
    FUZZ_CHECK(memchr(s.field, 0, sizeof s.field) != NULL, #field " is not NUL-terminated")

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    FUZZ_CHECK(text != NULL, "malloc");
    if (size)
        memcpy(text, data, size);
    static scenario_t s;
    char err[512];
    memset(err, 0x7f, sizeof err);
    int rc = scenario_parse_buf(NAME, size ? text : NULL, size, &s, err, sizeof err);
    size_t lines = 1;
    for (size_t k = 0; k < size; k++)
        lines += text[k] == '\n';
    free(text);

    FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
    if (rc == 0) {
        TERMINATED(name);
        TERMINATED(description);
        TERMINATED(image);
        TERMINATED(cmdline);
        TERMINATED(isa);
        TERMINATED(trace);
        TERMINATED(insns);
        TERMINATED(match);
        TERMINATED(from);
        TERMINATED(until);
        TERMINATED(timeline);
        FUZZ_CHECK(strcmp(s.name, "fuzz") == 0, "name '%s'", s.name);
        FUZZ_CHECK(s.nports >= 0 && s.nports <= SCN_MAX_PORTS, "nports %d", s.nports);
        FUZZ_CHECK(s.image[0] != 0, "no image but parsed");
        return 0;
    }
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL, "message not NUL-terminated");
    size_t n = strlen(err);
    FUZZ_CHECK(n + 1 < sizeof err, "message fills the buffer (truncated?): \"%s\"", err);
    FUZZ_CHECK(strchr(err, '\n') == NULL, "message has a newline: \"%s\"", err);
    const size_t pre = strlen(NAME ":");
    FUZZ_CHECK(strncmp(err, NAME ":", pre) == 0, "message does not name the file: \"%s\"", err);
    const char *p = err + pre;
    if (*p == ' ') {
        FUZZ_CHECK(p[1] != 0, "empty message: \"%s\"", err);
    } else {
        char *end;
        unsigned long line = strtoul(p, &end, 10);
        FUZZ_CHECK(end != p && line >= 1 && line <= lines && end[0] == ':' && end[1] == ' ' && end[2],
                   "expected NAME:LINE: (text of %zu lines): \"%s\"", lines, err);
    }
    return 0;
}
