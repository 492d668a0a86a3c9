/* Unit tests for scenario files and the --check diff (app/scenario.c):
 * every key, every error message with its file and line, and the diff's
 * hunks against what GNU diff -u prints for the same texts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/linediff.h"
#include "app/scenario_file.h"
#include "cpu/trace.h"

static int parse(const char *text, scenario_t *s, char *err, size_t n)
{
    return scenario_parse_buf("scenarios/t.scn", text, strlen(text), s, err, n);
}

START_TEST(test_full)
{
    const char *text =
        "# a comment\n"
        "   # an indented comment\n"
        "\n"
        "description = First line.\n"
        "description =   Second line, with # and = inside  \n"
        "description =\n"
        "image = build/guests/guestos.elf\n"
        "cmdline = procs=hello n=3\n"
        "mode = vmm\n"
        "isa = pg\n"
        "expose_pg = yes\n"
        "trace = trap, vmm\n"
        "max_insns = 5000000\n"
        "guest_ips = 0x1000\n"
        "mem = 32M\n"
        "insns = lidt , popf\n"
        "ports = 0x20-0x21, 0x40\n"
        "match = lidt | shadow IDT|IRQ0\n"
        "from = int 0x80\n"
        "until = r3 insn\n"
        "context = 4\n"
        "tail = 10\r\n"
        "timeline = #GP lidt\n";
    scenario_t s;
    char err[256];
    ck_assert_int_eq(parse(text, &s, err, sizeof err), 0);
    ck_assert_str_eq(s.name, "t");
    ck_assert_str_eq(s.description, "First line.\nSecond line, with # and = inside\n\n");
    ck_assert_str_eq(s.image, "build/guests/guestos.elf");
    ck_assert_str_eq(s.cmdline, "procs=hello n=3");
    ck_assert_int_eq(s.has_cmdline, 1);
    ck_assert_int_eq(s.monitor, MON_TE);
    ck_assert_str_eq(s.isa, "pg");
    ck_assert_int_eq(s.expose_pg, 1);
    ck_assert_uint_eq(s.trace_levels, TL_TRAP | TL_VMM | TL_PG | TL_INSN | TL_IO);
    ck_assert_str_eq(s.trace, "trap,vmm");
    ck_assert_uint_eq(s.max_insns, 5000000);
    ck_assert_uint_eq(s.guest_ips, 0x1000);
    ck_assert_uint_eq(s.mem, 32u << 20);
    ck_assert_str_eq(s.insns, ",lidt,popf,");
    ck_assert_int_eq(s.nports, 2);
    ck_assert_uint_eq(s.ports[0][0], 0x20);
    ck_assert_uint_eq(s.ports[0][1], 0x21);
    ck_assert_uint_eq(s.ports[1][0], 0x40);
    ck_assert_uint_eq(s.ports[1][1], 0x40);
    ck_assert_str_eq(s.match, "lidt|shadow IDT|IRQ0");
    ck_assert_str_eq(s.from, "int 0x80");
    ck_assert_str_eq(s.until, "r3 insn");
    ck_assert_uint_eq(s.context, 4);
    ck_assert_uint_eq(s.tail, 10);
    ck_assert_str_eq(s.timeline, "#GP lidt");
}
END_TEST

START_TEST(test_defaults)
{
    scenario_t s;
    char err[256];
    ck_assert_int_eq(parse("description = d\nimage = x.elf", &s, err, sizeof err), 0);
    ck_assert_int_eq(s.monitor, MON_BARE);
    ck_assert_str_eq(s.isa, "x86");
    ck_assert_uint_eq(s.trace_levels, TL_TRAP);
    ck_assert_uint_eq(s.max_insns, 200000000ull);
    ck_assert_int_eq(s.has_cmdline, 0);
    ck_assert_uint_eq(s.limit, 0);
    ck_assert_str_eq(s.timeline, "");
    ck_assert_uint_eq(s.hide_hi, 0);
    ck_assert_int_eq(parse("description = d\nimage = x.elf\nhide_code = 0x101fb0-0x101fcf uartputc: polling", &s, err,
                           sizeof err), 0);
    ck_assert_uint_eq(s.hide_lo, 0x101fb0);
    ck_assert_uint_eq(s.hide_hi, 0x101fcf);
    ck_assert_str_eq(s.hide_what, "uartputc: polling");
}
END_TEST

/* What Windows editors write: CRLF line ends and a UTF-8 byte-order mark;
 * a BOM anywhere but at the start is an error (line 2). */
START_TEST(test_windows_text)
{
    scenario_t s;
    char err[256];
    ck_assert_int_eq(parse("\xef\xbb\xbf" "description = d\r\nimage = x.elf\r\nmode = vmm\r\n", &s, err, sizeof err), 0);
    ck_assert_str_eq(s.description, "d\n");
    ck_assert_str_eq(s.image, "x.elf");
    ck_assert_int_eq(s.monitor, MON_TE);
    ck_assert_int_eq(parse("description = d\n\xef\xbb\xbf" "image = x.elf\n", &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "scenarios/t.scn:2: "));
}
END_TEST

/* Each broken file, and the one line it must give. */
static const struct { const char *text, *err; } broken[] = {
    { "description = d\nimage = x\n\nfoo = 1\n", "scenarios/t.scn:4: unknown key 'foo'" },
    { "description = d\nimage\n", "scenarios/t.scn:2: expected 'key = value' (or a '#' comment)" },
    { "description = d\n = x\n", "scenarios/t.scn:2: expected 'key = value': the key is missing" },
    { "description = d\nimage = a\nimage = b\n", "scenarios/t.scn:3: 'image' given twice (first on line 2)" },
    { "description = d\nimage = a\nmode = kvm\n", "scenarios/t.scn:3: 'mode' is bare, vmm or one of te, vtx, pv, dbt (got 'kvm')" },
    { "description = d\nimage = a\nisa = arm\n", "scenarios/t.scn:3: unknown isa 'arm' (x86, pg, umip)" },
    { "description = d\nimage = a\nexpose_pg = maybe\n", "scenarios/t.scn:3: 'expose_pg' is yes or no (got 'maybe')" },
    { "description = d\nimage = a\nexpose_pg = yes\n",
      "scenarios/t.scn:3: 'expose_pg = yes' needs 'mode = vmm' (it names what the VMM could not see)" },
    { "description = d\nimage = a\ntrace = trap,bogus\n",
      "scenarios/t.scn:3: 'trace' is a list of insn, trap, io, vmm, pg, all, none (got 'trap,bogus')" },
    { "description = d\nimage = a\nmax_insns = -3\n", "scenarios/t.scn:3: 'max_insns' needs a number (0: no budget)" },
    { "description = d\nimage = a\nguest_ips = 10\n",
      "scenarios/t.scn:3: 'guest_ips' needs a number of instructions per second (at least 1000)" },
    { "description = d\nimage = a\nmem = 1K\n", "scenarios/t.scn:3: 'mem' needs a size from 2M to 3G (e.g. 64M)" },
    { "description = d\nimage = a\ninsns = popf, frobnicate\n",
      "scenarios/t.scn:3: 'insns': unknown instruction 'frobnicate'" },
    { "description = d\nimage = a\nports = 0x40-0x20\n",
      "scenarios/t.scn:3: 'ports': expected port ranges like 0x20-0x21, 0x40 (got '0x40-0x20')" },
    { "description = d\nimage = a\nmatch = a || b\n",
      "scenarios/t.scn:3: 'match': an empty alternative (write 'a | b | c')" },
    { "description = d\nimage = a\ncontext = 3\n", "scenarios/t.scn:3: 'context' needs 'from' (the lines before which line?)" },
    { "description = d\nimage = a\nlimit = 3\ntail = 4\n",
      "scenarios/t.scn:4: 'tail' and 'limit' do not go together (the last lines, or the first?)" },
    { "description = d\nimage =\n", "scenarios/t.scn:2: 'image' needs a file name" },
    { "description = d\nimage = a\nhide_code = 0x20-0x10 x\n",
      "scenarios/t.scn:3: 'hide_code': expected an address range and what it is, like 0x101fb0-0x101fcf uart polling" },
    { "image = a\n", "scenarios/t.scn: no 'description': say what the scenario shows" },
    { "description = d\n", "scenarios/t.scn: no 'image': which guest image to run" },
    { "description = d\nimage = a\x01\n", "scenarios/t.scn:2: a control character (0x01) in the line" },
};

START_TEST(test_broken)
{
    scenario_t s;
    char err[256];
    ck_assert_int_eq(parse(broken[_i].text, &s, err, sizeof err), -1);
    ck_assert_str_eq(err, broken[_i].err);
}
END_TEST

START_TEST(test_nul_and_length)
{
    scenario_t s;
    char err[256];
    static const char nul[] = "description = d\nimage = a\0b\n";
    ck_assert_int_eq(scenario_parse_buf("x.scn", nul, sizeof nul - 1, &s, err, sizeof err), -1);
    ck_assert_str_eq(err, "x.scn:2: a NUL byte in the line");
    /* len is honoured: the text need not end in a NUL */
    char buf[64];
    memset(buf, 'z', sizeof buf);
    memcpy(buf, "description = d\nimage = abc", 27);
    ck_assert_int_eq(scenario_parse_buf("x.scn", buf, 27, &s, err, sizeof err), 0);
    ck_assert_str_eq(s.image, "abc");
    /* a line too long */
    char *big = malloc(3000);
    memset(big, 'a', 2999);
    big[2999] = 0;
    memcpy(big, "description = ", 14);
    ck_assert_int_eq(scenario_parse_buf("x.scn", big, 2999, &s, err, sizeof err), -1);
    ck_assert_str_eq(err, "x.scn:1: line too long (at most 1023 characters)");
    free(big);
    /* a short error buffer is cut, not overrun */
    char small[8];
    ck_assert_int_eq(scenario_parse_buf("x.scn", "foo = 1\n", 8, &s, small, sizeof small), -1);
    ck_assert_str_eq(small, "x.scn:1");
}
END_TEST

/* Random bytes and mutations of a good file: the parser never crashes and
 * always either succeeds or says what is wrong (run under ASan/UBSan by
 * make sanitize). */
START_TEST(test_random)
{
    static const char good[] = "description = d\nimage = a\nmode = vmm\nisa = pg\ntrace = all\n"
                               "match = a|b\nfrom = x\ncontext = 2\nports = 0x20-0x21\ninsns = popf\n";
    unsigned seed = 12345;
    char buf[256];
    scenario_t s;
    char err[128];
    for (int round = 0; round < 20000; round++) {
        size_t n = sizeof good - 1;
        memcpy(buf, good, n);
        int flips = 1 + (int)(seed % 6);
        for (int k = 0; k < flips; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % n] = (char)(seed >> 16);
        }
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 8) % (n + 1);
        int r = scenario_parse_buf("f.scn", buf, len, &s, err, sizeof err);
        if (r)
            ck_assert(strncmp(err, "f.scn", 5) == 0);
        else
            ck_assert(s.image[0] != 0);
    }
}
END_TEST

/* ---- the diff ---- */

static char *diff(const char *a, const char *b, size_t *first)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    *first = line_diff(a, strlen(a), "want", b, strlen(b), "got", f);
    fclose(f);
    return out;
}

START_TEST(test_diff_equal)
{
    size_t first;
    char *out = diff("a\nb\n", "a\nb\n", &first);
    ck_assert_uint_eq(first, 0);
    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

START_TEST(test_diff_change)
{
    size_t first;
    char *out = diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n", &first);
    ck_assert_uint_eq(first, 5);
    ck_assert_str_eq(out,
        "first difference at line 5 of want:\n"
        "  expected: 5\n"
        "  got:      five\n"
        "--- want\n"
        "+++ got\n"
        "@@ -2,7 +2,7 @@\n"
        " 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
    free(out);
}
END_TEST

/* Two changes far apart make two hunks; near ones, one (as diff -u). */
START_TEST(test_diff_hunks)
{
    size_t first;
    char *out = diff("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\n",
                     "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nn\nextra\n", &first);
    ck_assert_uint_eq(first, 2);
    ck_assert_str_eq(out,
        "first difference at line 2 of want:\n"
        "  expected: b\n"
        "  got:      B\n"
        "--- want\n"
        "+++ got\n"
        "@@ -1,5 +1,5 @@\n"
        " a\n-b\n+B\n c\n d\n e\n"
        "@@ -10,5 +10,5 @@\n"
        " j\n k\n l\n-m\n n\n+extra\n");
    free(out);
}
END_TEST

START_TEST(test_diff_ends)
{
    size_t first;
    char *out = diff("", "x\ny\n", &first);
    ck_assert_uint_eq(first, 1);
    ck_assert_str_eq(out,
        "first difference at line 1 of want:\n"
        "  expected: (end of file)\n"
        "  got:      x\n"
        "--- want\n+++ got\n"
        "@@ -0,0 +1,2 @@\n+x\n+y\n");
    free(out);
    out = diff("x\ny\nz\n", "x\ny\n", &first);
    ck_assert_uint_eq(first, 3);
    ck_assert(strstr(out, "@@ -1,3 +1,2 @@\n x\n y\n-z\n") != NULL);
    free(out);
    out = diff("x\ny", "x\ny\n", &first);
    ck_assert_uint_eq(first, 2);
    ck_assert(strstr(out, "does not end in a newline") != NULL);
    free(out);
}
END_TEST

/* Beyond the edit budget the diff replaces the middle wholesale: still
 * every line of both sides, marked. */
START_TEST(test_diff_large)
{
    enum { N = 3000 };
    char *a = malloc(N * 8), *b = malloc(N * 8);
    size_t ka = 0, kb = 0;
    for (int i = 0; i < N; i++) {
        ka += (size_t)sprintf(a + ka, "a%d\n", i);
        kb += (size_t)sprintf(b + kb, "b%d\n", i);
    }
    size_t first;
    char *out = diff(a, b, &first);
    ck_assert_uint_eq(first, 1);
    ck_assert(strstr(out, "\n-a0\n") != NULL);
    ck_assert(strstr(out, "cut at 300 lines") != NULL);
    free(out);
    free(a);
    free(b);
}
END_TEST

/* Sections: [run TITLE] and [vm NAME], the defaults they inherit. */
START_TEST(test_sections)
{
    const char *text =
        "description = d\n"
        "image = top.elf\n"
        "isa = umip\n"
        "quantum = 500\n"
        "[run one]\n"
        "cmdline = a\n"
        "[ run  two ]\n"
        "mode = vmm\n"
        "quantum = 7\n"
        "[vm x]\n"
        "cmdline = b\n"
        "weight = 3\n"
        "[vm y]\n"
        "image = other.elf\n"
        "expose_pg = yes\n";
    scenario_t s;
    char err[256];
    ck_assert_msg(parse(text, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(s.nruns, 2);
    ck_assert_str_eq(s.runs[0].title, "one");
    ck_assert_int_eq(s.runs[0].nvms, 0);
    ck_assert_str_eq(s.runs[0].dflt.cmdline, "a");
    ck_assert_str_eq(s.runs[0].dflt.image, "top.elf");
    ck_assert_uint_eq(s.runs[0].quantum, 500);
    ck_assert_str_eq(s.runs[1].title, "two");
    ck_assert_uint_eq(s.runs[1].quantum, 7);
    ck_assert_int_eq(s.runs[1].first, 0);
    ck_assert_int_eq(s.runs[1].nvms, 2);
    ck_assert_int_eq(s.nvms, 2);
    ck_assert_str_eq(s.vms[0].vm_name, "x");
    ck_assert_str_eq(s.vms[0].image, "top.elf");
    ck_assert_str_eq(s.vms[0].isa, "umip");
    ck_assert_int_eq(s.vms[0].monitor, MON_TE);
    ck_assert_str_eq(s.vms[0].cmdline, "b");
    ck_assert_uint_eq(s.vms[0].weight, 3);
    ck_assert_str_eq(s.vms[1].image, "other.elf");
    ck_assert_int_eq(s.vms[1].has_cmdline, 0);
    ck_assert_int_eq(s.vms[1].weight, 0);
    ck_assert(s.trace_levels & TL_PG);
    /* a file without sections is as it was: no runs */
    ck_assert_int_eq(parse("description = d\nimage = x\n", &s, err, sizeof err), 0);
    ck_assert_int_eq(s.nruns, 0);
    /* [vm] sections without a [run]: one run of them; the image may be theirs only */
    ck_assert_msg(parse("description = d\n[vm a]\nimage = x\n[vm b]\nimage = y\n", &s, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(s.nruns, 1);
    ck_assert_int_eq(s.runs[0].nvms, 2);
}
END_TEST

static const char *const broken_sections[][2] = {
    { "description = d\nimage = x\n[vm]\n", "scenarios/t.scn:3: [vm NAME]: a name of letters, digits, '-' and '_' (at most 31)" },
    { "description = d\nimage = x\n[vm a b]\n", "scenarios/t.scn:3: [vm NAME]: a name of letters, digits, '-' and '_' (at most 31)" },
    { "description = d\nimage = x\n[vm a\n", "scenarios/t.scn:3: a section is '[run TITLE]' or '[vm NAME]' (no closing ']')" },
    { "description = d\nimage = x\n[host]\n", "scenarios/t.scn:3: unknown section '[host]' (a section is [run TITLE] or [vm NAME])" },
    { "description = d\nimage = x\n[run]\n", "scenarios/t.scn:3: [run] needs a title: [run TITLE]" },
    { "description = d\nimage = x\n[vm a]\n[vm a]\n", "scenarios/t.scn:4: two VMs named 'a' in one run" },
    { "description = d\nimage = x\n[vm a]\ntrace = io\n", "scenarios/t.scn:4: 'trace' belongs before the first section" },
    { "description = d\nimage = x\n[vm a]\nquantum = 5\n", "scenarios/t.scn:4: 'quantum' belongs before the first section" },
    { "description = d\nimage = x\nweight = 2\n", "scenarios/t.scn:3: 'weight' belongs in a [vm] section" },
    { "description = d\nimage = x\n[vm a]\nweight = 0\n", "scenarios/t.scn:4: 'weight' needs a number from 1 to 1000" },
    { "description = d\nimage = x\n[vm a]\nmode = vmm\nmode = bare\n", "scenarios/t.scn:5: 'mode' given twice (first on line 4)" },
    { "description = d\n[vm a]\n", "scenarios/t.scn: [vm a] has no 'image': which guest image to run" },
    { "description = d\n[run r]\n", "scenarios/t.scn: [run r] has no 'image': which guest image to run" },
    { "description = d\nimage = x\n[vm a]\nexpose_pg = yes\n", "scenarios/t.scn: [vm a]: 'expose_pg = yes' needs 'mode = vmm' (it names what the VMM could not see)" },
    { "description = d\nimage = x\n[vm a]\n[run r]\n", "scenarios/t.scn:4: [run] after a [vm] outside any run: put each [vm] in a [run], or use no [run]" },
    { "description = d\nimage = x\nquantum = 0\n", "scenarios/t.scn:3: 'quantum' needs a number of steps (at least 1)" },
};

START_TEST(test_broken_sections)
{
    scenario_t s;
    char err[256];
    ck_assert_int_eq(parse(broken_sections[_i][0], &s, err, sizeof err), -1);
    ck_assert_str_eq(err, broken_sections[_i][1]);
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_full);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_windows_text);
    tcase_add_loop_test(tc, test_broken, 0, sizeof broken / sizeof broken[0]);
    tcase_add_test(tc, test_nul_and_length);
    tcase_add_test(tc, test_random);
    tcase_add_test(tc, test_sections);
    tcase_add_loop_test(tc, test_broken_sections, 0, sizeof broken_sections / sizeof broken_sections[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("diff");
    tcase_add_test(tc, test_diff_equal);
    tcase_add_test(tc, test_diff_change);
    tcase_add_test(tc, test_diff_hunks);
    tcase_add_test(tc, test_diff_ends);
    tcase_add_test(tc, test_diff_large);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(scenario_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
