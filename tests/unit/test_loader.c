/* Unit tests for the Multiboot v1 ELF32 loader (cpu/loader.c).
 *
 * Images are built in memory: good_image() makes a small valid kernel, and
 * each test changes one thing in it with the put16/put32 helpers, so a test
 * reads as "the good image, except ...". Layout of the good image:
 *
 *   0x0000  ELF header, entry 0x00100010, 2 program headers at 0x34
 *   0x0200  Multiboot header (flags 0x3)
 *   0x1000  segment 0: PT_LOAD R+X, paddr 0x100000, filesz 0x100, memsz 0x200
 *   0x2000  segment 1: PT_LOAD R+W, paddr 0x200000, filesz 0x80, memsz 0x1000
 *   0x3000  end of file
 *
 * RAM is 8 MiB, filled with 0xAA before each load so that zeroing shows.
 */
#include "cpu/loader.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NAME      "img.elf"
#define RAM_SIZE  (8u << 20)
#define IMG_LEN   0x3000u
#define IMG_CAP   0x10000u
#define MB_OFF    0x200u
#define PH(i)     (52u + 32u * (i))
/* program header field offsets */
#define P_TYPE    0
#define P_OFFSET  4
#define P_VADDR   8
#define P_PADDR   12
#define P_FILESZ  16
#define P_MEMSZ   20
#define P_FLAGS   24

static uint8_t img[IMG_CAP];
static size_t img_len;
static uint8_t *ram;
static boot_info_t bi;
static char err[512];

static void put16(uint32_t off, uint16_t v)
{
    img[off] = (uint8_t)v;
    img[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint32_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        img[off + (uint32_t)i] = (uint8_t)(v >> (8 * i));
}

static uint32_t ram32(uint32_t addr)
{
    return (uint32_t)ram[addr] | (uint32_t)ram[addr + 1] << 8 |
           (uint32_t)ram[addr + 2] << 16 | (uint32_t)ram[addr + 3] << 24;
}

static void phdr(unsigned i, uint32_t type, uint32_t off, uint32_t vaddr,
                 uint32_t paddr, uint32_t filesz, uint32_t memsz, uint32_t flags)
{
    put32(PH(i) + P_TYPE, type);
    put32(PH(i) + P_OFFSET, off);
    put32(PH(i) + P_VADDR, vaddr);
    put32(PH(i) + P_PADDR, paddr);
    put32(PH(i) + P_FILESZ, filesz);
    put32(PH(i) + P_MEMSZ, memsz);
    put32(PH(i) + P_FLAGS, flags);
    put32(PH(i) + 28, 0x1000);          /* p_align */
}

/* A Multiboot header at `off`; checksum right unless `bad`. */
static void mbhdr(uint32_t off, uint32_t flags, int bad)
{
    put32(off, 0x1BADB002u);
    put32(off + 4, flags);
    put32(off + 8, (uint32_t)(0u - (0x1BADB002u + flags)) ^ (bad ? 1u : 0u));
}

static void good_image(void)
{
    memset(img, 0, sizeof img);
    static const uint8_t ident[16] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
    memcpy(img, ident, sizeof ident);
    put16(16, 2);                       /* e_type ET_EXEC */
    put16(18, 3);                       /* e_machine EM_386 */
    put32(20, 1);                       /* e_version */
    put32(24, 0x00100010);              /* e_entry */
    put32(28, 52);                      /* e_phoff */
    put16(40, 52);                      /* e_ehsize */
    put16(42, 32);                      /* e_phentsize */
    put16(44, 2);                       /* e_phnum */
    phdr(0, 1, 0x1000, 0x100000, 0x100000, 0x100, 0x200, 5);
    phdr(1, 1, 0x2000, 0x200000, 0x200000, 0x80, 0x1000, 6);
    mbhdr(MB_OFF, 0x3, 0);
    for (uint32_t i = 0; i < 0x100; i++)
        img[0x1000 + i] = (uint8_t)(i * 7 + 1);
    for (uint32_t i = 0; i < 0x80; i++)
        img[0x2000 + i] = (uint8_t)(0xC0 ^ i);
    img_len = IMG_LEN;
}

static void setup(void)
{
    ram = malloc(RAM_SIZE);
    ck_assert_ptr_nonnull(ram);
    memset(ram, 0xAA, RAM_SIZE);
    memset(&bi, 0, sizeof bi);
    memset(err, 0, sizeof err);
    good_image();
}

static void teardown(void)
{
    free(ram);
    ram = NULL;
}

static int load_lim(const char *cmdline, uint32_t limit)
{
    return loader_load_multiboot_buf(NAME, img, img_len, ram, RAM_SIZE, limit,
                                     cmdline, &bi, err, sizeof err);
}

static int load(const char *cmdline)
{
    return load_lim(cmdline, RAM_SIZE);
}

/* ---------- errors: one per class, exact text ---------- */

typedef struct err_case {
    const char *what;
    void (*mutate)(void);
    const char *msg;                    /* after "img.elf: " */
} err_case_t;

static void m_empty(void) { img_len = 0; }
static void m_short(void) { img_len = 51; }
static void m_magic(void) { img[1] = 'X'; }
static void m_mz(void) { img[0] = 'M'; img[1] = 'Z'; img_len = 2; }
static void m_class(void) { img[4] = 2; }
static void m_data(void) { img[5] = 2; }
static void m_machine(void) { put16(18, 62); }
static void m_type(void) { put16(16, 3); }
static void m_phentsize(void) { put16(42, 40); }
static void m_phoff_huge(void) { put32(28, 0xFFFFFFF0u); }
static void m_phnum_big(void) { put16(44, 0x200); }
static void m_no_mb(void) { put32(MB_OFF, 0); }
static void m_mb_8144(void) { put32(MB_OFF, 0); mbhdr(8144, 0x3, 0); }
static void m_mb_sum(void) { mbhdr(MB_OFF, 0x3, 1); }
static void m_mb_video(void) { mbhdr(MB_OFF, 0x7, 0); }
static void m_mb_unknown(void) { mbhdr(MB_OFF, 0xB, 0); }
static void m_mb_aout(void) { mbhdr(MB_OFF, 0x10003, 0); }
static void m_no_load(void) { put32(PH(0), 4); put32(PH(1), 6); }
static void m_phnum0(void) { put16(44, 0); }
static void m_filesz(void) { put32(PH(1) + P_FILESZ, 0x1001); }
static void m_seg_trunc(void) { put32(PH(1) + P_OFFSET, 0x2F90); }
static void m_seg_wrap_off(void) { put32(PH(1) + P_OFFSET, 0xFFFFFFF0u); }
static void m_ram(void) { put32(PH(1) + P_PADDR, 0x7FF800); }
static void m_ram_wrap(void) { put32(PH(1) + P_PADDR, 0xFFFFF800u); }
static void m_overlap(void) { put32(PH(1) + P_PADDR, 0x1001F0); }
static void m_overlap_same(void) { put32(PH(1) + P_PADDR, 0x100000); }
static void m_entry(void) { put32(24, 0x300000); }
static void m_entry_bss_end(void) { put32(24, 0x201000); }
static void m_hh_nx(void)
{
    put32(PH(0) + P_VADDR, 0xC0100000u);
    put32(PH(0) + P_FLAGS, 4);
    put32(24, 0xC0100010u);
}
static void m_no_room(void)
{
    /* segment 0 covers all of conventional memory */
    put32(PH(0) + P_PADDR, 0);
    put32(PH(0) + P_VADDR, 0);
    put32(PH(0) + P_MEMSZ, 0xA0000);
    put32(24, 0x10);
}

static const err_case_t err_cases[] = {
    { "empty file", m_empty, "not an ELF file (the file is empty)" },
    { "short file", m_short, "truncated ELF header (51 bytes, an ELF header is 52)" },
    { "bad magic", m_magic, "not an ELF file" },
    { "short non-ELF", m_mz, "not an ELF file" },
    { "ELFCLASS64", m_class, "not a 32-bit ELF file (EI_CLASS 2, expected 1 ELFCLASS32)" },
    { "big-endian", m_data, "not a little-endian ELF file (EI_DATA 2, expected 1 ELFDATA2LSB)" },
    { "x86-64 machine", m_machine, "not an i386 ELF file (e_machine 62, expected 3 EM_386)" },
    { "ET_DYN", m_type, "not an executable ELF file (e_type 3, expected 2 ET_EXEC)" },
    { "phentsize", m_phentsize, "program header entry size is 40 bytes, expected 32" },
    { "phoff past 4G", m_phoff_huge,
      "truncated program header table (2 entries at offset 0xfffffff0 go past end of file, 12288 bytes)" },
    { "phnum too big", m_phnum_big,
      "truncated program header table (512 entries at offset 0x34 go past end of file, 12288 bytes)" },
    { "no Multiboot header", m_no_mb, "no Multiboot header in the first 8 KiB" },
    { "header at 8144", m_mb_8144, "no Multiboot header in the first 8 KiB" },
    { "bad checksum", m_mb_sum, "Multiboot header checksum is wrong (at offset 0x200)" },
    { "video flag", m_mb_video,
      "Multiboot header requires video mode information (flags bit 2), which trapsim does not provide" },
    { "unknown required flag", m_mb_unknown,
      "Multiboot header requires unsupported features (flags 0x0000000b)" },
    { "a.out kludge", m_mb_aout,
      "Multiboot header uses the a.out kludge (flags bit 16), which trapsim does not support: "
      "the ELF segments must describe the image" },
    { "no PT_LOAD", m_no_load, "no PT_LOAD segment" },
    { "no program headers", m_phnum0, "no PT_LOAD segment" },
    { "filesz > memsz", m_filesz, "segment 1: file size 0x1001 is larger than memory size 0x1000" },
    { "segment past EOF", m_seg_trunc,
      "segment 1 is truncated: file offset 0x2f90 + 0x80 bytes is past end of file (12288 bytes)" },
    { "segment offset wraps", m_seg_wrap_off,
      "segment 1 is truncated: file offset 0xfffffff0 + 0x80 bytes is past end of file (12288 bytes)" },
    { "segment past RAM", m_ram,
      "segment 1 at 0x007ff800-0x00800800 does not fit in RAM (8388608 bytes)" },
    { "segment wraps 4G", m_ram_wrap,
      "segment 1 at 0xfffff800-0x100000800 does not fit in RAM (8388608 bytes)" },
    { "overlap", m_overlap,
      "segments 0 and 1 overlap (physical 0x00100000-0x00100200 and 0x001001f0-0x001011f0)" },
    { "same address", m_overlap_same,
      "segments 0 and 1 overlap (physical 0x00100000-0x00100200 and 0x00100000-0x00101000)" },
    { "entry outside", m_entry, "entry point 0x00300000 is not inside a loaded segment" },
    { "entry one past bss", m_entry_bss_end, "entry point 0x00201000 is not inside a loaded segment" },
    { "virtual entry, no PF_X", m_hh_nx, "entry point 0xc0100010 is not inside a loaded segment" },
    { "no room for MBI", m_no_room,
      "no room for the Multiboot information (288 bytes needed below 0xa0000, outside the image)" },
};
#define N_ERR_CASES ((int)(sizeof err_cases / sizeof err_cases[0]))

START_TEST(test_error_messages)
{
    const err_case_t *c = &err_cases[_i];
    char want[512];
    c->mutate();
    snprintf(want, sizeof want, NAME ": %s", c->msg);
    int rc = load("console=ttyS0");
    ck_assert_msg(rc == -1, "%s: returned %d", c->what, rc);
    ck_assert_msg(strcmp(err, want) == 0, "%s:\n got  \"%s\"\n want \"%s\"",
                  c->what, err, want);
    ck_assert_ptr_null(strchr(err, '\n'));
    /* nothing is loaded when the image is refused */
    ck_assert_uint_eq(ram[0x100000], 0xAA);
    ck_assert_uint_eq(ram[0x9500], 0xAA);
}
END_TEST

START_TEST(test_messages_distinct)
{
    /* Equal texts only for the same error reached two ways (adjacent rows). */
    for (int i = 0; i < N_ERR_CASES; i++)
        for (int j = i + 1; j < N_ERR_CASES; j++) {
            if (strcmp(err_cases[i].msg, err_cases[j].msg) != 0)
                continue;
            ck_assert_msg(j == i + 1 && (err_cases[i].mutate == m_magic ||
                                         err_cases[i].mutate == m_no_mb ||
                                         err_cases[i].mutate == m_no_load),
                          "%s and %s", err_cases[i].what, err_cases[j].what);
        }
}
END_TEST

START_TEST(test_cmdline_too_long)
{
    static char cmd[5000];
    memset(cmd, 'a', sizeof cmd - 1);
    cmd[sizeof cmd - 1] = 0;
    ck_assert_int_eq(load(cmd), -1);
    ck_assert_str_eq(err, NAME ": command line is too long (5007 bytes with the "
                          "file name; at most 4095)");
    /* exactly the limit is fine: 7 + 1 + 4087 = 4095 characters */
    cmd[4087] = 0;
    ck_assert_int_eq(load(cmd), 0);
    ck_assert_uint_eq(strlen((const char *)ram + ram32(bi.mbi + 16)), 4095);
    cmd[4087] = 'a';
    cmd[4088] = 0;
    ck_assert_int_eq(load(cmd), -1);
}
END_TEST

START_TEST(test_limit_below_ram)
{
    /* segment 1 fits in the 8 MiB of RAM but not below the 2 MiB limit */
    ck_assert_int_eq(load_lim(NULL, 2u << 20), -1);
    ck_assert_str_eq(err, NAME ": segment 1 at 0x00200000-0x00201000 does not "
                          "fit in RAM (2097152 bytes)");
    /* a limit above ram_size is clamped to it */
    put32(PH(1) + P_PADDR, 0x7FF000);
    ck_assert_int_eq(loader_load_multiboot_buf(NAME, img, img_len, ram, RAM_SIZE,
                                               UINT32_MAX, NULL, &bi, err,
                                               sizeof err), 0);
    put32(PH(1) + P_PADDR, 0x7FF800);
    ck_assert_int_eq(loader_load_multiboot_buf(NAME, img, img_len, ram, RAM_SIZE,
                                               UINT32_MAX, NULL, &bi, err,
                                               sizeof err), -1);
}
END_TEST

START_TEST(test_small_errlen)
{
    char small[8];
    img[1] = 'X';
    ck_assert_int_eq(loader_load_multiboot_buf(NAME, img, img_len, ram, RAM_SIZE,
                                               RAM_SIZE, NULL, &bi, small,
                                               sizeof small), -1);
    ck_assert_str_eq(small, "img.elf");
    ck_assert_int_eq(loader_load_multiboot_buf(NAME, img, img_len, ram, RAM_SIZE,
                                               RAM_SIZE, NULL, &bi, NULL, 0), -1);
    ck_assert_int_eq(loader_load_multiboot_buf(NAME, NULL, 0, ram, RAM_SIZE,
                                               RAM_SIZE, NULL, &bi, err,
                                               sizeof err), -1);
    ck_assert_str_eq(err, NAME ": not an ELF file (the file is empty)");
}
END_TEST

/* ---------- success ---------- */

START_TEST(test_load_ok)
{
    ck_assert_int_eq(load("console=ttyS0 x"), 0);
    ck_assert_uint_eq(bi.entry, 0x00100010);
    ck_assert_uint_eq(bi.image_lo, 0x00100000);
    ck_assert_uint_eq(bi.image_hi, 0x00201000);
    /* segment 0: 0x100 bytes copied, then 0x100 zeroed, then untouched */
    ck_assert_mem_eq(ram + 0x100000, img + 0x1000, 0x100);
    for (uint32_t a = 0x100100; a < 0x100200; a++)
        ck_assert_uint_eq(ram[a], 0);
    ck_assert_uint_eq(ram[0x0FFFFF], 0xAA);
    ck_assert_uint_eq(ram[0x100200], 0xAA);
    /* segment 1: 0x80 bytes, bss to 0x201000 */
    ck_assert_mem_eq(ram + 0x200000, img + 0x2000, 0x80);
    for (uint32_t a = 0x200080; a < 0x201000; a++)
        ck_assert_uint_eq(ram[a], 0);
    ck_assert_uint_eq(ram[0x201000], 0xAA);
    /* the Multiboot information */
    ck_assert_uint_eq(bi.mbi, 0x9500);
    ck_assert_uint_eq(ram32(0x9500), 0x5);              /* flags: mem, cmdline */
    ck_assert_uint_eq(ram32(0x9504), 639);              /* mem_lower */
    ck_assert_uint_eq(ram32(0x9508), (RAM_SIZE - 0x100000) / 1024);
    ck_assert_uint_eq(ram32(0x9508), 7168);
    ck_assert_uint_eq(ram32(0x950C), 0);                /* boot_device */
    ck_assert_uint_eq(ram32(0x9510), 0x9600);           /* cmdline */
    ck_assert_uint_eq(ram32(0x9514), 0);                /* mods_count */
    ck_assert_str_eq((const char *)ram + 0x9600, NAME " console=ttyS0 x");
}
END_TEST

START_TEST(test_no_cmdline)
{
    ck_assert_int_eq(load(NULL), 0);
    ck_assert_uint_eq(ram32(bi.mbi), 0x1);
    ck_assert_uint_eq(ram32(bi.mbi + 16), 0);
}
END_TEST

START_TEST(test_empty_cmdline)
{
    /* QEMU without -append: "PATH " */
    ck_assert_int_eq(load(""), 0);
    ck_assert_uint_eq(ram32(bi.mbi), 0x5);
    ck_assert_str_eq((const char *)ram + ram32(bi.mbi + 16), NAME " ");
}
END_TEST

START_TEST(test_higher_half_entry)
{
    /* QEMU: a virtual e_entry in an executable segment becomes physical */
    put32(PH(0) + P_VADDR, 0xC0100000u);
    put32(24, 0xC0100010u);
    ck_assert_int_eq(load(NULL), 0);
    ck_assert_uint_eq(bi.entry, 0x00100010);
    ck_assert_mem_eq(ram + 0x100000, img + 0x1000, 0x100);
}
END_TEST

START_TEST(test_entry_in_bss)
{
    put32(24, 0x200FFF);
    ck_assert_int_eq(load(NULL), 0);
    ck_assert_uint_eq(bi.entry, 0x200FFF);
}
END_TEST

START_TEST(test_header_at_8140)
{
    put32(MB_OFF, 0);
    mbhdr(8140, 0x3, 0);
    ck_assert_int_eq(load(NULL), 0);
}
END_TEST

START_TEST(test_bad_then_good_header)
{
    /* QEMU skips a magic with a wrong checksum and searches on */
    mbhdr(MB_OFF, 0x3, 1);
    mbhdr(0x400, 0x0, 0);
    ck_assert_int_eq(load(NULL), 0);
}
END_TEST

START_TEST(test_optional_flags_ok)
{
    /* bits 0-1 are honoured, bits 17-31 are optional */
    mbhdr(MB_OFF, 0xFFFE0003u, 0);
    ck_assert_int_eq(load(NULL), 0);
}
END_TEST

START_TEST(test_empty_and_other_segments_ignored)
{
    put16(44, 4);
    /* memsz 0 at an address outside RAM, and a PT_NOTE past the file */
    phdr(2, 1, 0xFFFFFFF0u, 0xF0000000u, 0xF0000000u, 0, 0, 4);
    phdr(3, 4, 0xFFFFFFF0u, 0, 0, 0x100, 0x100, 4);
    ck_assert_int_eq(load(NULL), 0);
    ck_assert_uint_eq(bi.image_lo, 0x100000);
    ck_assert_uint_eq(bi.image_hi, 0x201000);
}
END_TEST

START_TEST(test_adjacent_segments)
{
    put32(PH(1) + P_PADDR, 0x100200);   /* ends where segment 0 ends */
    ck_assert_int_eq(load(NULL), 0);
    ck_assert_uint_eq(bi.image_hi, 0x101200);
}
END_TEST

START_TEST(test_mbi_moves_when_image_is_low)
{
    /* segment 0 at 0x9000-0xA000 covers 0x9500: the MBI goes to 0x1000 */
    put32(PH(0) + P_PADDR, 0x9000);
    put32(PH(0) + P_MEMSZ, 0x1000);
    put32(24, 0x9000);
    ck_assert_int_eq(load("x"), 0);
    ck_assert_uint_eq(bi.mbi, 0x1000);
    ck_assert_uint_eq(ram32(0x1010), 0x1100);
    ck_assert_str_eq((const char *)ram + 0x1100, NAME " x");
    ck_assert_mem_eq(ram + 0x9000, img + 0x1000, 0x100);

    /* segment 0 at 0x1000-0x9600: the first gap is at 0x9600 */
    good_image();
    memset(ram, 0xAA, RAM_SIZE);
    put32(PH(0) + P_PADDR, 0x1000);
    put32(PH(0) + P_MEMSZ, 0x8600);
    put32(24, 0x1000);
    ck_assert_int_eq(load("x"), 0);
    ck_assert_uint_eq(bi.mbi, 0x9600);
    ck_assert_str_eq((const char *)ram + ram32(0x9610), NAME " x");
}
END_TEST

START_TEST(test_small_ram)
{
    /* 512 KiB of RAM: mem_lower is what there is, mem_upper 0 */
    put32(PH(0) + P_PADDR, 0x20000);
    put32(PH(1) + P_PADDR, 0x30000);
    put32(24, 0x20000);
    ck_assert_int_eq(load_lim(NULL, 0x80000), 0);
    ck_assert_uint_eq(ram32(bi.mbi + 4), 512);
    ck_assert_uint_eq(ram32(bi.mbi + 8), 0);
}
END_TEST

/* Random damage to the good image must give 0 or a one-line error, and
 * never a crash (run under ASan/UBSan to mean something). */
START_TEST(test_mutations)
{
    uint32_t seed = 12345;
    uint8_t base[IMG_LEN];
    memcpy(base, img, IMG_LEN);
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(img, base, IMG_LEN);
        img_len = IMG_LEN;
        int n = 1 + iter % 8;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 8;
            /* mostly the headers, where the decisions are */
            uint32_t off = (r & 1) ? (r >> 1) % 0x210 : (r >> 1) % IMG_LEN;
            seed = seed * 1103515245u + 12345u;
            img[off] = (uint8_t)(seed >> 16);
        }
        if (iter % 7 == 0)
            img_len = (seed >> 4) % IMG_LEN;
        /* a heap copy of exactly img_len bytes, so ASan sees any overread */
        uint8_t *copy = malloc(img_len ? img_len : 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, img, img_len);
        err[0] = 0;
        int rc = loader_load_multiboot_buf(NAME, copy, img_len, ram, RAM_SIZE,
                                           RAM_SIZE, "c", &bi, err, sizeof err);
        free(copy);
        ck_assert(rc == 0 || rc == -1);
        if (rc == -1) {
            ck_assert(strncmp(err, NAME ": ", strlen(NAME) + 2) == 0);
            ck_assert(strlen(err) > strlen(NAME) + 2);
            ck_assert_ptr_null(strchr(err, '\n'));
        } else {
            ck_assert(bi.image_lo < bi.image_hi && bi.image_hi <= RAM_SIZE);
            ck_assert(bi.entry >= bi.image_lo && bi.entry < bi.image_hi);
        }
    }
}
END_TEST

/* ---------- from a file ---------- */

static char tmp_path[64];

static void write_tmp(const uint8_t *data, size_t len)
{
    strcpy(tmp_path, "/tmp/test_loader_XXXXXX");
    int fd = mkstemp(tmp_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

START_TEST(test_file_ok)
{
    write_tmp(img, img_len);
    int rc = loader_load_multiboot(tmp_path, ram, RAM_SIZE, RAM_SIZE, "a=1",
                                   &bi, err, sizeof err);
    unlink(tmp_path);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_uint_eq(bi.entry, 0x00100010);
    ck_assert_mem_eq(ram + 0x200000, img + 0x2000, 0x80);
    char want[128];
    snprintf(want, sizeof want, "%s a=1", tmp_path);
    ck_assert_str_eq((const char *)ram + ram32(bi.mbi + 16), want);
}
END_TEST

START_TEST(test_file_big)
{
    /* more than the first 64 KiB read, so the buffer must grow */
    static uint8_t big[200000];
    memcpy(big, img, img_len);
    put32(PH(1) + P_OFFSET, 199000);
    memcpy(big, img, 0x100);
    memset(big + 199000, 0x5A, 0x80);
    write_tmp(big, sizeof big);
    int rc = loader_load_multiboot(tmp_path, ram, RAM_SIZE, RAM_SIZE, NULL,
                                   &bi, err, sizeof err);
    unlink(tmp_path);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_uint_eq(ram[0x200000], 0x5A);
    ck_assert_uint_eq(ram[0x20007F], 0x5A);
    ck_assert_uint_eq(ram[0x200080], 0);
}
END_TEST

START_TEST(test_file_truncated)
{
    write_tmp(img, 30);
    int rc = loader_load_multiboot(tmp_path, ram, RAM_SIZE, RAM_SIZE, NULL,
                                   &bi, err, sizeof err);
    unlink(tmp_path);
    ck_assert_int_eq(rc, -1);
    char want[128];
    snprintf(want, sizeof want,
             "%s: truncated ELF header (30 bytes, an ELF header is 52)", tmp_path);
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_file_missing)
{
    int rc = loader_load_multiboot("/nonexistent/trapsim/kernel.elf", ram,
                                   RAM_SIZE, RAM_SIZE, NULL, &bi, err, sizeof err);
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(err, "/nonexistent/trapsim/kernel.elf: cannot open: "
                          "No such file or directory");
}
END_TEST

START_TEST(test_file_is_directory)
{
    char dir[] = "/tmp/test_loader_dir_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    int rc = loader_load_multiboot(dir, ram, RAM_SIZE, RAM_SIZE, NULL, &bi, err,
                                   sizeof err);
    rmdir(dir);
    ck_assert_int_eq(rc, -1);
    char want[128];
    snprintf(want, sizeof want, "%s: cannot read: Is a directory", dir);
    ck_assert_str_eq(err, want);
}
END_TEST

static Suite *loader_suite(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_error_messages, 0, N_ERR_CASES);
    tcase_add_test(tc, test_messages_distinct);
    tcase_add_test(tc, test_cmdline_too_long);
    tcase_add_test(tc, test_limit_below_ram);
    tcase_add_test(tc, test_small_errlen);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_load_ok);
    tcase_add_test(tc, test_no_cmdline);
    tcase_add_test(tc, test_empty_cmdline);
    tcase_add_test(tc, test_higher_half_entry);
    tcase_add_test(tc, test_entry_in_bss);
    tcase_add_test(tc, test_header_at_8140);
    tcase_add_test(tc, test_bad_then_good_header);
    tcase_add_test(tc, test_optional_flags_ok);
    tcase_add_test(tc, test_empty_and_other_segments_ignored);
    tcase_add_test(tc, test_adjacent_segments);
    tcase_add_test(tc, test_mbi_moves_when_image_is_low);
    tcase_add_test(tc, test_small_ram);
    suite_add_tcase(s, tc);

    tc = tcase_create("fuzz");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_mutations);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_file_ok);
    tcase_add_test(tc, test_file_big);
    tcase_add_test(tc, test_file_truncated);
    tcase_add_test(tc, test_file_missing);
    tcase_add_test(tc, test_file_is_directory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(loader_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
