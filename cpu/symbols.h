/* cpu/symbols.h: the symbol table of a guest image (its ELF .symtab), so
 * that traces, step mode, the GDB stub's monitor commands and pictures name
 * code addresses ("-> 0008:0010212f <timer_handler>") and `--break SYMBOL`
 * works. An image without a symbol table simply has no names. Addresses are
 * linear (= physical: trapsim has no paging), as the ELF's are. */
#ifndef TRAPSIM_SYMBOLS_H
#define TRAPSIM_SYMBOLS_H
#include <stddef.h>
#include <stdint.h>

typedef struct symtab symtab_t;
struct snap_io;

/* The functions and code labels (STT_FUNC, STT_NOTYPE in an executable
 * section) and the data objects (STT_OBJECT) of an ELF32 image in memory.
 * NULL when it has no usable symbol table (none, stripped, malformed: every
 * offset is checked against len) or memory is short. */
symtab_t *symtab_from_elf(const uint8_t *img, size_t len);
/* The same from a file; NULL as above, or when the file cannot be read. */
symtab_t *symtab_load(const char *path);
void symtab_free(symtab_t *t);
size_t symtab_count(const symtab_t *t);

/* The code symbol that covers addr: its name, and the offset of addr into
 * it in *off. A symbol covers [value, value + size), or, without a size, up
 * to the next code symbol or the end of its section. NULL when none (t may
 * be NULL). */
const char *symtab_lookup(const symtab_t *t, uint32_t addr, uint32_t *off);
/* A symbol's address by name (code or data); 0, or -1 when there is none. */
int symtab_find(const symtab_t *t, const char *name, uint32_t *addr);
/* " <name>" or " <name+0x1c>" for a code address, "" when none; returns
 * the length written (buf always terminated when size > 0). */
int symtab_format(const symtab_t *t, uint32_t addr, char *buf, size_t size);
/* The table in a snapshot section (cpu/snap.h, docs/SNAPSHOT.md), so that
 * a resumed or migrated VM names addresses as its first run did, without
 * the image. NULL saves as an empty table and an empty table loads as
 * NULL (also on a malformed one: the problem is in io). */
void symtab_snap_save(const symtab_t *t, struct snap_io *io);
symtab_t *symtab_snap_load(struct snap_io *io);
#endif
