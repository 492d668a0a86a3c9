/* Unit tests for the symbol table of a guest image (cpu/symbols.c): an ELF
 * built here with functions, a label, an object and an undefined symbol;
 * every truncation of it (no crash, no names from outside the buffer); and
 * the guest OS's own image. */
#include "cpu/symbols.h"

#include <check.h>
#include "tests/unit/suite_main.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Layout: ELF header | .symtab (6 entries) | .strtab | section headers
 * (null, .text at 0x100000 size 0x100 AX, .data at 0x200000 W, .symtab, .strtab). */
enum { SYMOFF = 52, NSYM = 7, STROFF = SYMOFF + NSYM * 16, STRSIZE = 64, SHOFF = STROFF + STRSIZE, NSH = 5,
       IMGLEN = SHOFF + NSH * 40 };
static uint8_t img[IMGLEN];

static void w16(uint32_t at, uint32_t v) { img[at] = (uint8_t)v; img[at + 1] = (uint8_t)(v >> 8); }
static void w32(uint32_t at, uint32_t v) { w16(at, v & 0xffff); w16(at + 2, v >> 16); }

static const char strtab[] = "\0main\0vector32\0counter\0printf\0alltraps\0tiny";
enum { N_MAIN = 1, N_VEC = 6, N_COUNTER = 15, N_PRINTF = 23, N_ALLTRAPS = 30, N_TINY = 39 };

static void sym(int k, uint32_t name, uint32_t value, uint32_t size, int type, uint16_t shndx)
{
    uint32_t at = SYMOFF + (uint32_t)k * 16;
    w32(at, name);
    w32(at + 4, value);
    w32(at + 8, size);
    img[at + 12] = (uint8_t)(0x10 | type);   /* global */
    w16(at + 14, shndx);
}

static void section(int k, uint32_t type, uint32_t flags, uint32_t addr, uint32_t off, uint32_t size, uint32_t link)
{
    uint32_t at = SHOFF + (uint32_t)k * 40;
    w32(at + 4, type);
    w32(at + 8, flags);
    w32(at + 12, addr);
    w32(at + 16, off);
    w32(at + 20, size);
    w32(at + 24, link);
}

static void build(void)
{
    memset(img, 0, sizeof img);
    memcpy(img, "\177ELF\1\1\1", 7);
    w16(16, 2);          /* ET_EXEC */
    w16(18, 3);          /* EM_386 */
    w32(32, SHOFF);
    w16(46, 40);
    w16(48, NSH);
    sym(1, N_MAIN, 0x100010, 0x30, 2, 1);        /* func main [0x100010, 0x100040) */
    sym(2, N_VEC, 0x100080, 0, 0, 1);            /* label vector32: up to alltraps */
    sym(3, N_ALLTRAPS, 0x1000a0, 0, 0, 1);       /* label alltraps: up to the end of .text */
    sym(4, N_COUNTER, 0x200000, 4, 1, 2);        /* object counter */
    sym(5, N_PRINTF, 0, 0, 2, 0);                /* undefined: ignored */
    sym(6, N_TINY, 0x100040, 2, 2, 1);           /* func tiny [0x100040, 0x100042) */
    memcpy(img + STROFF, strtab, sizeof strtab);
    section(1, 1, 6, 0x100000, 0, 0x100, 0);
    section(2, 1, 3, 0x200000, 0, 0x10, 0);
    section(3, 2, 0, 0, SYMOFF, NSYM * 16, 4);
    section(4, 3, 0, 0, STROFF, STRSIZE, 0);
}

static void expect_at(const symtab_t *t, uint32_t addr, const char *name, uint32_t off)
{
    uint32_t o = 0xdead;
    const char *n = symtab_lookup(t, addr, &o);
    if (!name) {
        ck_assert_msg(n == NULL, "%08x: expected no symbol, got %s", addr, n ? n : "");
        return;
    }
    ck_assert_msg(n != NULL, "%08x: expected %s", addr, name);
    ck_assert_str_eq(n, name);
    ck_assert_uint_eq(o, off);
}

START_TEST(test_lookup)
{
    build();
    symtab_t *t = symtab_from_elf(img, sizeof img);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(symtab_count(t), 5);   /* the undefined one left out */
    expect_at(t, 0x100010, "main", 0);
    expect_at(t, 0x10003f, "main", 0x2f);
    expect_at(t, 0x100040, "tiny", 0);
    expect_at(t, 0x100042, NULL, 0);         /* past tiny's size, before vector32 */
    expect_at(t, 0x10000f, NULL, 0);
    expect_at(t, 0x100080, "vector32", 0);
    expect_at(t, 0x10009f, "vector32", 0x1f);
    expect_at(t, 0x1000a0, "alltraps", 0);
    expect_at(t, 0x1000ff, "alltraps", 0x5f);
    expect_at(t, 0x100100, NULL, 0);         /* past .text */
    expect_at(t, 0x200000, NULL, 0);         /* data is not code */
    expect_at(t, 0, NULL, 0);
    uint32_t a = 0;
    ck_assert_int_eq(symtab_find(t, "counter", &a), 0);
    ck_assert_uint_eq(a, 0x200000);
    ck_assert_int_eq(symtab_find(t, "alltraps", &a), 0);
    ck_assert_uint_eq(a, 0x1000a0);
    ck_assert_int_eq(symtab_find(t, "printf", &a), -1);
    ck_assert_int_eq(symtab_find(t, "nothing", &a), -1);
    char buf[64];
    ck_assert_int_eq(symtab_format(t, 0x100010, buf, sizeof buf), 7);
    ck_assert_str_eq(buf, " <main>");
    symtab_format(t, 0x100013, buf, sizeof buf);
    ck_assert_str_eq(buf, " <main+0x3>");
    ck_assert_int_eq(symtab_format(t, 0x300000, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(symtab_format(t, 0x100013, buf, 5), 4);   /* cut short, terminated */
    ck_assert_str_eq(buf, " <ma");
    symtab_free(t);
    /* no table: no names, and NULL is a valid empty table */
    ck_assert_ptr_null(symtab_lookup(NULL, 0x100010, NULL));
    ck_assert_int_eq(symtab_format(NULL, 0x100010, buf, sizeof buf), 0);
}
END_TEST

START_TEST(test_broken)
{
    build();
    /* every truncation: NULL or a table, never a read outside the buffer (ASan) */
    for (size_t len = 0; len < sizeof img; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, img, len);
        symtab_t *t = symtab_from_elf(copy, len);
        symtab_free(t);
        free(copy);
    }
    /* a string offset past the string table, a link to no section */
    w32(SYMOFF + 16, 1000);
    symtab_t *t = symtab_from_elf(img, sizeof img);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(symtab_find(t, "main", &(uint32_t){ 0 }), -1);
    symtab_free(t);
    w32(SHOFF + 3 * 40 + 24, 77);
    ck_assert_ptr_null(symtab_from_elf(img, sizeof img));
    memcpy(img, "\177ELG", 4);
    ck_assert_ptr_null(symtab_from_elf(img, sizeof img));
    ck_assert_ptr_null(symtab_load("/nonexistent/guest.elf"));
}
END_TEST

START_TEST(test_guestos)
{
    symtab_t *t = symtab_load("build/guests/guestos.elf");
    ck_assert_ptr_nonnull(t);
    uint32_t a, off;
    const char *names[] = { "main", "scheduler", "irqrestore", "alltraps" };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        ck_assert_msg(symtab_find(t, names[k], &a) == 0, "no %s", names[k]);
        const char *n = symtab_lookup(t, a, &off);
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(off, 0);
        ck_assert_int_eq(symtab_find(t, n, &off), 0);
        ck_assert_uint_eq(off, a);   /* an alias at the same address is as good */
    }
    symtab_free(t);
}
END_TEST

SUITE_MAIN("symbols", test_lookup, test_broken, test_guestos)
