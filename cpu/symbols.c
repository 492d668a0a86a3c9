/* The symbol table of a guest image (cpu/symbols.h). Every offset and size
 * taken from the file is checked before use, as in cpu/loader.c: a broken
 * symbol table only means no names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/snap.h"
#include "cpu/symbols.h"

typedef struct sym {
    uint32_t addr, end;    /* [addr, end): code symbols only; end == addr for data */
    uint32_t name;         /* offset into names */
    uint8_t code;
    uint8_t sized;         /* the ELF gave its size */
} sym_t;

struct symtab {
    sym_t *syms;           /* code symbols first, sorted by address; then data */
    size_t ncode, n;
    char *names;
    uint32_t names_len;    /* bytes of names, its last a NUL */
};

enum { STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, SHT_SYMTAB = 2, SHF_EXECINSTR = 4,
       SHN_UNDEF = 0, SHN_LORESERVE = 0xff00, EHDR = 52, SHDR = 40, SYM = 16 };

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int sym_cmp(const void *a, const void *b)
{
    const sym_t *x = a, *y = b;
    if (x->code != y->code)
        return x->code ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* Section header k, or NULL when outside the image. */
static const uint8_t *shdr(const uint8_t *img, size_t len, uint32_t shoff, uint16_t shnum, uint32_t k)
{
    if (k >= shnum || (uint64_t)shoff + (uint64_t)(k + 1) * SHDR > len)
        return NULL;
    return img + shoff + (size_t)k * SHDR;
}

symtab_t *symtab_from_elf(const uint8_t *img, size_t len)
{
    if (!img || len < EHDR || memcmp(img, "\177ELF", 4) || img[4] != 1 || img[5] != 1)
        return NULL;
    uint32_t shoff = rd32(img + 32);
    uint16_t shentsize = rd16(img + 46), shnum = rd16(img + 48);
    if (shentsize != SHDR)
        return NULL;
    const uint8_t *st = NULL;
    for (uint32_t k = 0; k < shnum; k++) {
        const uint8_t *s = shdr(img, len, shoff, shnum, k);
        if (s && rd32(s + 4) == SHT_SYMTAB) {
            st = s;
            break;
        }
    }
    const uint8_t *str = st ? shdr(img, len, shoff, shnum, rd32(st + 24)) : NULL;
    if (!str)
        return NULL;
    uint32_t symoff = rd32(st + 16), symsize = rd32(st + 20);
    uint32_t stroff = rd32(str + 16), strsize = rd32(str + 20);
    if ((uint64_t)symoff + symsize > len || (uint64_t)stroff + strsize > len || strsize == 0)
        return NULL;
    symtab_t *t = calloc(1, sizeof *t);
    size_t max = symsize / SYM;
    if (!t || !(t->syms = calloc(max ? max : 1, sizeof *t->syms)) || !(t->names = malloc(strsize + 1))) {
        symtab_free(t);
        return NULL;
    }
    memcpy(t->names, img + stroff, strsize);
    t->names[strsize] = 0;
    t->names_len = strsize + 1;
    for (size_t k = 1; k < max; k++) {   /* entry 0 is the null symbol */
        const uint8_t *p = img + symoff + k * SYM;
        uint32_t name = rd32(p), value = rd32(p + 4), size = rd32(p + 8);
        int type = p[12] & 0xf;
        uint16_t shndx = rd16(p + 14);
        if (name == 0 || name >= strsize || !t->names[name] || shndx == SHN_UNDEF || shndx >= SHN_LORESERVE)
            continue;
        const uint8_t *sec = shdr(img, len, shoff, shnum, shndx);
        if (!sec || (type != STT_FUNC && type != STT_NOTYPE && type != STT_OBJECT))
            continue;
        int exec = (rd32(sec + 8) & SHF_EXECINSTR) != 0;
        sym_t *s = &t->syms[t->n++];
        s->name = name;
        s->addr = value;
        s->code = exec && type != STT_OBJECT;
        if (!s->code) {
            s->end = value;
        } else if (size) {
            s->end = value + size < value ? UINT32_MAX : value + size;
            s->sized = 1;
        } else {   /* a label: up to the next code symbol, at most its section's end */
            uint32_t sec_end = rd32(sec + 12) + rd32(sec + 20);
            s->end = sec_end > value ? sec_end : value + 1;
        }
    }
    qsort(t->syms, t->n, sizeof *t->syms, sym_cmp);
    while (t->ncode < t->n && t->syms[t->ncode].code)
        t->ncode++;
    /* an unsized label ends where the next code symbol starts */
    for (size_t k = 0, next = 0; k < t->ncode; k++) {
        while (next < t->ncode && t->syms[next].addr <= t->syms[k].addr)
            next++;
        if (next < t->ncode && t->syms[k].end > t->syms[next].addr && !t->syms[k].sized)
            t->syms[k].end = t->syms[next].addr;
    }
    return t;
}

symtab_t *symtab_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    symtab_t *t = NULL;
    uint8_t *buf = NULL;
    long len;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && len <= (1l << 30) && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len)) && fread(buf, 1, (size_t)len, f) == (size_t)len)
        t = symtab_from_elf(buf, (size_t)len);
    free(buf);
    fclose(f);
    return t;
}

void symtab_free(symtab_t *t)
{
    if (!t)
        return;
    free(t->syms);
    free(t->names);
    free(t);
}

size_t symtab_count(const symtab_t *t)
{
    return t ? t->n : 0;
}

const char *symtab_lookup(const symtab_t *t, uint32_t addr, uint32_t *off)
{
    if (!t || !t->ncode)
        return NULL;
    /* the last code symbol starting at or below addr; prefer a sized one that covers it */
    size_t lo = 0, hi = t->ncode;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k-- > 0;) {
        const sym_t *s = &t->syms[k];
        if (addr < s->end) {
            if (off)
                *off = addr - s->addr;
            return t->names + s->name;
        }
        if (lo - k > 8)   /* nested symbols are rare and close: stop looking */
            break;
    }
    return NULL;
}

int symtab_find(const symtab_t *t, const char *name, uint32_t *addr)
{
    for (size_t k = 0; t && k < t->n; k++) {
        if (strcmp(t->names + t->syms[k].name, name) == 0) {
            *addr = t->syms[k].addr;
            return 0;
        }
    }
    return -1;
}

int symtab_format(const symtab_t *t, uint32_t addr, char *buf, size_t size)
{
    uint32_t off;
    const char *name = symtab_lookup(t, addr, &off);
    int n = 0;
    if (size == 0)
        return 0;
    buf[0] = 0;
    if (name)
        n = off ? snprintf(buf, size, " <%s+0x%x>", name, off) : snprintf(buf, size, " <%s>", name);
    if (n < 0)
        n = 0;
    return (size_t)n >= size ? (int)size - 1 : n;
}

/* ---- in a snapshot: the table as it is, so a resumed run needs no image ---- */

#define SNAP_SYMS_MAX  (1u << 22)
#define SNAP_NAMES_MAX (1u << 26)
#define SNAP_SYM_BYTES 14u         /* addr, end, name, code, sized */

/* Both ways (cpu/snap.h): the counts, the names, the symbols in order. */
static void symtab_io(snap_io_t *io, symtab_t *t)
{
    uint32_t n = (uint32_t)t->n, ncode = (uint32_t)t->ncode, names_len = t->names_len;
    snap_u32(io, &n);
    snap_u32(io, &ncode);
    snap_u32(io, &names_len);
    if (!snap_ok(io))
        return;
    if (io->load) {
        if (n > SNAP_SYMS_MAX || ncode > n || names_len > SNAP_NAMES_MAX || (n && !names_len) ||
            io->len - io->pos < names_len + (uint64_t)n * SNAP_SYM_BYTES) {
            snap_fail(io, "a symbol table of %u symbols (%u code) and %u bytes of names", n, ncode, names_len);
            return;
        }
        if (!(t->syms = calloc(n ? n : 1, sizeof *t->syms)) || !(t->names = malloc(names_len ? names_len : 1))) {
            snap_fail(io, "out of memory for the symbol table");
            return;
        }
        t->n = n;
        t->ncode = ncode;
        t->names_len = names_len;
    }
    if (names_len)   /* (an empty table has no names to copy) */
        snap_bytes(io, t->names, names_len);
    for (uint32_t k = 0; k < n && snap_ok(io); k++) {
        sym_t *s = &t->syms[k];
        snap_u32(io, &s->addr);
        snap_u32(io, &s->end);
        snap_u32(io, &s->name);
        snap_u8(io, &s->code);
        snap_u8(io, &s->sized);
        if (io->load && (s->name >= names_len || s->code != (k < ncode) || s->sized > 1 ||
                         (k && sym_cmp(&t->syms[k - 1], s) > 0)))
            snap_fail(io, "symbol %u of the table is malformed", k);
    }
    if (io->load && snap_ok(io) && names_len && t->names[names_len - 1])
        snap_fail(io, "the symbol names do not end with a NUL");
}

void symtab_snap_save(const symtab_t *t, snap_io_t *io)
{
    symtab_t copy = t ? *t : (symtab_t){ 0 };
    symtab_io(io, &copy);
}

symtab_t *symtab_snap_load(snap_io_t *io)
{
    symtab_t *t = calloc(1, sizeof *t);
    if (!t) {
        snap_fail(io, "out of memory for the symbol table");
        return NULL;
    }
    symtab_io(io, t);
    if (!snap_ok(io) || t->n == 0) {   /* an image without symbols saves an empty table */
        symtab_free(t);
        return NULL;
    }
    return t;
}
