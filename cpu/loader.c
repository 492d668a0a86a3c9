/* Multiboot v1 ELF32 loader (PLATFORM.md "Boot: Multiboot v1 ELF32").
 *
 * loader_load_multiboot() reads the whole file into memory and hands it to
 * loader_load_multiboot_buf(), which does all the work on the buffer (and is
 * what the fuzzer calls). That work is done in two passes:
 *
 *   1. validate everything, in the order of the messages below, and stop at
 *      the first problem (nothing has been written to RAM yet);
 *   2. copy the PT_LOAD segments, zero their bss, write the Multiboot
 *      information structure (MBI) and the command line, fill boot_info_t.
 *
 * Every offset and size taken from the file is checked with 64-bit arithmetic
 * before it is used, and multi-byte fields are read a byte at a time (little-
 * endian), so no input can make us read past the buffer, write outside
 * ram[0..mem_upper_limit) or overflow an integer.
 *
 * Where QEMU 7.2 (the reference machine, `qemu-system-i386 -kernel`) decides
 * something a guest can see, we decide it the same way; each such place says
 * "QEMU:" below. Checked against QEMU's hw/i386/multiboot.c and
 * include/hw/elf_ops.h, and by booting small Multiboot guests on
 * qemu-system-i386 7.2.
 *
 * Errors are one line, "NAME: what is wrong" (the caller adds "trapsim: "):
 *
 *   cannot open: <strerror>             cannot read: <strerror>
 *   file is larger than 1 GiB           out of memory
 *   not an ELF file (also an empty file)  truncated ELF header (...)
 *   not a 32-bit ELF file (...)         not a little-endian ELF file (...)
 *   not an i386 ELF file (...)          not an executable ELF file (...)
 *   program header entry size is N bytes, expected 32
 *   truncated program header table (...)
 *   no Multiboot header in the first 8 KiB
 *   Multiboot header checksum is wrong (...)
 *   Multiboot header requires video mode information (flags bit 2), ...
 *   Multiboot header requires unsupported features (flags 0x...)
 *   Multiboot header uses the a.out kludge (flags bit 16), ...
 *   no PT_LOAD segment
 *   segment N: file size 0x... is larger than memory size 0x...
 *   segment N is truncated: file offset 0x... + 0x... bytes is past end of file (...)
 *   segment N at 0x...-0x... does not fit in RAM (... bytes)
 *   segments N and M overlap (...)
 *   entry point 0x... is not inside a loaded segment
 *   command line is too long (...)
 *   no room for the Multiboot information (...)
 *
 * Segment numbers are indexes into the program header table, counted from 0
 * as `readelf -l` counts them.
 */
#include "cpu/loader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ELF32 (System V ABI, i386 supplement). */
enum {
    EHDR_SIZE = 52,       /* sizeof(Elf32_Ehdr) */
    PHDR_SIZE = 32,       /* sizeof(Elf32_Phdr) */
    EI_CLASS = 4, ELFCLASS32 = 1,
    EI_DATA = 5, ELFDATA2LSB = 1,
    ET_EXEC = 2,
    EM_386 = 3,
    PT_LOAD = 1,
    PF_X = 1,
    /* Elf32_Ehdr field offsets */
    E_TYPE = 16, E_MACHINE = 18, E_ENTRY = 24, E_PHOFF = 28,
    E_PHENTSIZE = 42, E_PHNUM = 44,
    /* Elf32_Phdr field offsets */
    P_TYPE = 0, P_OFFSET = 4, P_VADDR = 8, P_PADDR = 12, P_FILESZ = 16,
    P_MEMSZ = 20, P_FLAGS = 24,
};

/* Multiboot v0.6.96, section 3.1 (header) and 3.3 (information). */
#define MB_MAGIC        0x1BADB002u
#define MB_HDR_SIZE     12u          /* magic, flags, checksum */
/* QEMU: searches 4-byte aligned offsets i < 8192 - 48 (room for the full
 * 48-byte header), so a header at 8144..8180 is not found there. We do the
 * same, so both machines accept the same images (checked on QEMU 7.2: a
 * header at offset 8140 boots, at 8144 it is not recognised). */
#define MB_SEARCH_END   (8192u - 48u)
#define MB_F_PAGE_ALIGN 0x00000001u  /* modules page aligned: we load none */
#define MB_F_MEMINFO    0x00000002u  /* mem_* fields wanted: always given */
#define MB_F_VIDEO      0x00000004u  /* video mode table: not provided */
#define MB_F_REQUIRED   0x0000FFFFu  /* bits 0-15: the loader must honour */
#define MB_F_AOUT       0x00010000u  /* load address fields (a.out kludge) */
#define MBI_F_MEM       0x00000001u  /* mem_lower, mem_upper valid */
#define MBI_F_CMDLINE   0x00000004u  /* cmdline valid */
#define MBI_SIZE        88u          /* up to vbe_interface_len, all zeroed */
#define MBI_FLAGS       0u
#define MBI_MEM_LOWER   4u
#define MBI_MEM_UPPER   8u
#define MBI_CMDLINE     16u

/* Where the MBI and the command line go. QEMU puts the MBI at 0x9500 (its
 * E820 map is at 0x9000), so a guest that prints EBX sees the same value on
 * both machines. The command line follows the MBI at +0x100. QEMU instead
 * puts the command line just after the kernel image (image_lo + the image
 * size rounded up to 4 KiB, e.g. 0x101000), and it sets more MBI flags
 * (0x24f: boot_device, mods, mmap, boot_loader_name); the pointer value and
 * those extra fields are the differences a guest could observe. If the image
 * covers this area, the block is placed in the lowest free gap in
 * [LOW_BASE, LOW_TOP) (conventional memory, below the VGA hole). */
#define MBI_ADDR        0x9500u
#define MBI_AREA        0x100u       /* MBI, then the command line */
#define LOW_BASE        0x1000u      /* keep page 0 (IVT, BDA) free */
#define LOW_TOP         0xA0000u
/* The Multiboot command line, NUL included, is at most this long. */
#define CMDLINE_MAX     4096u
#define MIB             0x100000u
#define FILE_MAX        (1u << 30)   /* larger files are refused */

/* A non-empty PT_LOAD segment: physical [start, end), index in the table. */
typedef struct seg {
    uint64_t start, end;
    unsigned idx;
} seg_t;

static int fail(char *err, size_t errlen, const char *name,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, const char *name,
                const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        int n = snprintf(err, errlen, "%s: ", name);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

/* Little-endian reads; the caller has checked that the bytes are there. */
static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int seg_cmp(const void *a, const void *b)
{
    const seg_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Does [lo, hi) meet any segment? segs sorted by start. */
static int area_used(const seg_t *segs, size_t n, uint64_t lo, uint64_t hi)
{
    for (size_t i = 0; i < n && segs[i].start < hi; i++)
        if (segs[i].end > lo)
            return 1;
    return 0;
}

/* First address for a `size`-byte block: MBI_ADDR if free, else the lowest
 * free 16-byte aligned gap in [LOW_BASE, top). 0 when there is none. */
static uint32_t place_mbi(const seg_t *segs, size_t n, uint64_t size,
                          uint64_t top)
{
    if (MBI_ADDR + size <= top && !area_used(segs, n, MBI_ADDR, MBI_ADDR + size))
        return MBI_ADDR;
    uint64_t cur = LOW_BASE;
    for (size_t i = 0; i < n && cur + size <= top; i++) {
        if (segs[i].start >= cur + size)
            break;                          /* the gap before segs[i] fits */
        if (segs[i].end > cur)
            cur = (segs[i].end + 15) & ~(uint64_t)15;
    }
    return cur + size <= top ? (uint32_t)cur : 0;
}

int loader_load_multiboot_buf(const char *name, const uint8_t *img, size_t len,
                              uint8_t *ram, uint32_t ram_size,
                              uint32_t mem_upper_limit, const char *cmdline,
                              boot_info_t *out, char *err, size_t errlen)
{
    static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

    if (name == NULL)
        name = "(image)";
    if (img == NULL)
        len = 0;
    if (ram == NULL || out == NULL)
        return fail(err, errlen, name, "loader called without RAM or boot info");
    /* The guest is told about, and we write to, RAM below this only. */
    uint64_t limit = mem_upper_limit < ram_size ? mem_upper_limit : ram_size;

    /* --- ELF header --- */
    if (len == 0)
        return fail(err, errlen, name, "not an ELF file (the file is empty)");
    if (len < 4 || memcmp(img, elf_magic, 4) != 0)
        return fail(err, errlen, name, "not an ELF file");
    if (len < EHDR_SIZE)
        return fail(err, errlen, name,
                    "truncated ELF header (%zu bytes, an ELF header is %d)",
                    len, EHDR_SIZE);
    if (img[EI_CLASS] != ELFCLASS32)
        return fail(err, errlen, name,
                    "not a 32-bit ELF file (EI_CLASS %u, expected 1 ELFCLASS32)",
                    img[EI_CLASS]);
    if (img[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, name,
                    "not a little-endian ELF file (EI_DATA %u, expected 1 ELFDATA2LSB)",
                    img[EI_DATA]);
    uint16_t machine = rd16(img + E_MACHINE);
    if (machine != EM_386)
        return fail(err, errlen, name,
                    "not an i386 ELF file (e_machine %u, expected 3 EM_386)",
                    machine);
    uint16_t type = rd16(img + E_TYPE);
    if (type != ET_EXEC)
        return fail(err, errlen, name,
                    "not an executable ELF file (e_type %u, expected 2 ET_EXEC)",
                    type);
    uint32_t e_entry = rd32(img + E_ENTRY);
    uint32_t phoff = rd32(img + E_PHOFF);
    uint16_t phentsize = rd16(img + E_PHENTSIZE);
    uint16_t phnum = rd16(img + E_PHNUM);

    /* --- program header table --- */
    if (phnum > 0 && phentsize != PHDR_SIZE)
        return fail(err, errlen, name,
                    "program header entry size is %u bytes, expected %d",
                    phentsize, PHDR_SIZE);
    if ((uint64_t)phoff + (uint64_t)phnum * PHDR_SIZE > len)
        return fail(err, errlen, name,
                    "truncated program header table (%u entries at offset 0x%x "
                    "go past end of file, %zu bytes)", phnum, phoff, len);

    /* --- Multiboot header --- */
    uint32_t mb_flags = 0, bad_at = 0;
    int found = 0, bad = 0;
    for (uint32_t i = 0; i < MB_SEARCH_END && (uint64_t)i + MB_HDR_SIZE <= len;
         i += 4) {
        if (rd32(img + i) != MB_MAGIC)
            continue;
        uint32_t flags = rd32(img + i + 4), sum = rd32(img + i + 8);
        if ((uint32_t)(MB_MAGIC + flags + sum) == 0) {
            mb_flags = flags;
            found = 1;
            break;
        }
        if (!bad) {             /* QEMU: a bad one is skipped, search on */
            bad = 1;
            bad_at = i;
        }
    }
    if (!found && bad)
        return fail(err, errlen, name,
                    "Multiboot header checksum is wrong (at offset 0x%x)", bad_at);
    if (!found)
        return fail(err, errlen, name, "no Multiboot header in the first 8 KiB");
    if (mb_flags & MB_F_VIDEO)
        return fail(err, errlen, name,
                    "Multiboot header requires video mode information "
                    "(flags bit 2), which trapsim does not provide");
    if (mb_flags & MB_F_REQUIRED & ~(MB_F_PAGE_ALIGN | MB_F_MEMINFO))
        return fail(err, errlen, name,
                    "Multiboot header requires unsupported features (flags 0x%08x)",
                    mb_flags);
    /* QEMU loads by the header's address fields instead of the ELF segments
     * when bit 16 is set; PLATFORM makes the ELF segments authoritative, so
     * rather than risk loading differently we refuse. */
    if (mb_flags & MB_F_AOUT)
        return fail(err, errlen, name,
                    "Multiboot header uses the a.out kludge (flags bit 16), "
                    "which trapsim does not support: the ELF segments must "
                    "describe the image");

    /* --- segments --- */
    unsigned nload = 0;
    for (unsigned i = 0; i < phnum; i++)
        if (rd32(img + phoff + (size_t)i * PHDR_SIZE + P_TYPE) == PT_LOAD)
            nload++;
    if (nload == 0)
        return fail(err, errlen, name, "no PT_LOAD segment");
    seg_t *segs = malloc(nload * sizeof *segs);
    if (segs == NULL)
        return fail(err, errlen, name, "out of memory");
    size_t nseg = 0;                    /* the non-empty ones */
    int rc = -1;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (size_t)i * PHDR_SIZE;
        if (rd32(ph + P_TYPE) != PT_LOAD)
            continue;
        uint32_t off = rd32(ph + P_OFFSET), paddr = rd32(ph + P_PADDR);
        uint32_t filesz = rd32(ph + P_FILESZ), memsz = rd32(ph + P_MEMSZ);
        if (filesz > memsz) {
            fail(err, errlen, name,
                 "segment %u: file size 0x%x is larger than memory size 0x%x",
                 i, filesz, memsz);
            goto out;
        }
        if (filesz > 0 && (uint64_t)off + filesz > len) {
            fail(err, errlen, name,
                 "segment %u is truncated: file offset 0x%x + 0x%x bytes is "
                 "past end of file (%zu bytes)", i, off, filesz, len);
            goto out;
        }
        if (memsz == 0)
            continue;                   /* loads nothing, occupies nothing */
        uint64_t end = (uint64_t)paddr + memsz;
        if (end > limit) {
            fail(err, errlen, name,
                 "segment %u at 0x%08x-0x%08llx does not fit in RAM (%llu bytes)",
                 i, paddr, (unsigned long long)end, (unsigned long long)limit);
            goto out;
        }
        segs[nseg].start = paddr;
        segs[nseg].end = end;
        segs[nseg].idx = i;
        nseg++;
    }
    if (nseg > 1)
        qsort(segs, nseg, sizeof *segs, seg_cmp);
    /* Sorted by start, two segments overlap only if some neighbours do. */
    for (size_t k = 0; k + 1 < nseg; k++) {
        if (segs[k + 1].start < segs[k].end) {
            const seg_t *a = &segs[k], *b = &segs[k + 1];
            if (a->idx > b->idx) {
                const seg_t *t = a;
                a = b;
                b = t;
            }
            fail(err, errlen, name,
                 "segments %u and %u overlap (physical 0x%08llx-0x%08llx and "
                 "0x%08llx-0x%08llx)", a->idx, b->idx,
                 (unsigned long long)a->start, (unsigned long long)a->end,
                 (unsigned long long)b->start, (unsigned long long)b->end);
            goto out;
        }
    }

    /* --- entry point ---
     * QEMU (include/hw/elf_ops.h): when e_entry lies in [p_vaddr, p_vaddr +
     * p_filesz) of an executable PT_LOAD whose p_vaddr != p_paddr, it is a
     * virtual address and is moved to p_paddr + (e_entry - p_vaddr); the
     * last such segment wins. So a higher-half kernel linked at 0xC0100000
     * and loaded at 0x100000 starts at its physical entry on both machines
     * (checked on QEMU 7.2; without PF_X, QEMU jumps to the virtual address
     * and hangs, and we refuse the image below). */
    uint32_t entry = e_entry;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (size_t)i * PHDR_SIZE;
        uint32_t vaddr = rd32(ph + P_VADDR), paddr = rd32(ph + P_PADDR);
        if (rd32(ph + P_TYPE) == PT_LOAD && (rd32(ph + P_FLAGS) & PF_X) &&
            vaddr != paddr && e_entry >= vaddr &&
            (uint64_t)e_entry < (uint64_t)vaddr + rd32(ph + P_FILESZ))
            entry = e_entry - vaddr + paddr;
    }
    int inside = 0;
    for (size_t k = 0; k < nseg && !inside; k++)
        inside = entry >= segs[k].start && entry < segs[k].end;
    if (!inside) {
        fail(err, errlen, name, "entry point 0x%08x is not inside a loaded segment",
             entry);
        goto out;
    }

    /* --- command line and MBI placement ---
     * QEMU (hw/i386/multiboot.c) builds the Multiboot command line as
     * "%s %s" of the -kernel file name, exactly as given on its command
     * line, and the -append string ("" when there is none). Checked on QEMU
     * 7.2: `-kernel k.elf -append "A b  c"` gives "k.elf A b  c", `-kernel
     * ./k.elf` gives "./k.elf " (trailing space), an absolute path is kept
     * absolute. We do the same with `name` (the path as given to trapsim),
     * so a guest sees the same string on both machines when both are given
     * the same path. cmdline == NULL means no --cmdline: then, as the header
     * says, no command line is written and MBI flag bit 2 stays clear
     * (QEMU always sets it); a caller that wants QEMU's "PATH " passes "". */
    size_t name_len = strlen(name);
    uint64_t cmd_bytes = 0;             /* with the NUL */
    if (cmdline != NULL) {
        cmd_bytes = (uint64_t)name_len + 1 + strlen(cmdline) + 1;
        if (cmd_bytes > CMDLINE_MAX) {
            fail(err, errlen, name,
                 "command line is too long (%llu bytes with the file name; "
                 "at most %u)", (unsigned long long)(cmd_bytes - 1),
                 CMDLINE_MAX - 1);
            goto out;
        }
    }
    uint64_t block = (MBI_AREA + cmd_bytes + 15) & ~(uint64_t)15;
    uint64_t top = limit < LOW_TOP ? limit : LOW_TOP;
    uint32_t mbi = place_mbi(segs, nseg, block, top);
    if (mbi == 0) {
        fail(err, errlen, name,
             "no room for the Multiboot information (%llu bytes needed "
             "below 0x%05llx, outside the image)", (unsigned long long)block,
             (unsigned long long)top);
        goto out;
    }

    /* --- load: nothing above has written to RAM --- */
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t k = 0; k < nseg; k++) {
        const uint8_t *ph = img + phoff + (size_t)segs[k].idx * PHDR_SIZE;
        uint32_t off = rd32(ph + P_OFFSET), filesz = rd32(ph + P_FILESZ);
        uint32_t start = (uint32_t)segs[k].start;
        uint32_t memsz = (uint32_t)(segs[k].end - segs[k].start);
        if (filesz > 0)
            memcpy(ram + start, img + off, filesz);
        memset(ram + start + filesz, 0, memsz - filesz);
        if (start < lo)
            lo = start;
        if (segs[k].end > hi)
            hi = (uint32_t)segs[k].end;
    }

    uint8_t *m = ram + mbi;
    memset(m, 0, MBI_AREA);
    uint32_t mem_lower = limit / 1024 < 639 ? (uint32_t)(limit / 1024) : 639;
    uint32_t mem_upper = limit > MIB ? (uint32_t)((limit - MIB) / 1024) : 0;
    uint32_t mbi_flags = MBI_F_MEM;
    wr32(m + MBI_MEM_LOWER, mem_lower);
    wr32(m + MBI_MEM_UPPER, mem_upper);
    if (cmdline != NULL) {
        char *c = (char *)m + MBI_AREA;
        memcpy(c, name, name_len);
        c[name_len] = ' ';
        memcpy(c + name_len + 1, cmdline, (size_t)cmd_bytes - name_len - 1);
        wr32(m + MBI_CMDLINE, mbi + MBI_AREA);
        mbi_flags |= MBI_F_CMDLINE;
    }
    wr32(m + MBI_FLAGS, mbi_flags);

    out->entry = entry;
    out->mbi = mbi;
    out->image_lo = lo;
    out->image_hi = hi;
    rc = 0;
out:
    free(segs);
    return rc;
}

int loader_load_multiboot(const char *path, uint8_t *ram, uint32_t ram_size,
                          uint32_t mem_upper_limit, const char *cmdline,
                          boot_info_t *out, char *err, size_t errlen)
{
    return loader_load_multiboot_as(path, path, ram, ram_size, mem_upper_limit, cmdline, out, err, errlen);
}

int loader_load_multiboot_as(const char *path, const char *name, uint8_t *ram, uint32_t ram_size,
                             uint32_t mem_upper_limit, const char *cmdline,
                             boot_info_t *out, char *err, size_t errlen)
{
    if (path == NULL || name == NULL)
        return fail(err, errlen, "(null)", "no image file given");
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail(err, errlen, path, "cannot open: %s", strerror(errno));

    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap > FILE_MAX) {
                fclose(f);
                free(buf);
                return fail(err, errlen, path, "file is larger than 1 GiB");
            }
            size_t ncap = cap == 0 ? 65536 : cap * 2;
            if (ncap > (size_t)FILE_MAX + 1)
                ncap = (size_t)FILE_MAX + 1;
            uint8_t *nbuf = realloc(buf, ncap);
            if (nbuf == NULL) {
                fclose(f);
                free(buf);
                return fail(err, errlen, path, "out of memory");
            }
            buf = nbuf;
            cap = ncap;
        }
        errno = 0;
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0 || len < cap) {
            if (ferror(f)) {
                int e = errno;
                fclose(f);
                free(buf);
                return fail(err, errlen, path, "cannot read: %s",
                            strerror(e != 0 ? e : EIO));
            }
            if (feof(f))
                break;
        }
    }
    fclose(f);
    if (len > FILE_MAX) {
        free(buf);
        return fail(err, errlen, path, "file is larger than 1 GiB");
    }
    int rc = loader_load_multiboot_buf(name, buf, len, ram, ram_size,
                                       mem_upper_limit, cmdline, out, err,
                                       errlen);
    free(buf);
    return rc;
}
