/* The Multiboot v1 header and the exit port, for the containment guests
 * (tests/robust/README.md). Each guest is one .S file linked alone with
 * tests/guests/lib/guest.ld: image at 1 MiB, header first. */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003
#define EXIT_PORT 0xf4

#define MULTIBOOT_HEADER                                   \
    .section .multiboot, "a";                              \
    .align 4;                                              \
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS);      \
    .text

/* isa-debug-exit with value v: trapsim's exit status is (v << 1) | 1 */
#define EXIT(v)                 \
    movb $(v), %al;             \
    outb %al, $EXIT_PORT

/* The start of a flat GDT at label `gdt`, in .data: null, 0x08 code and
 * 0x10 data, 4 GiB each, DPL 0. A guest adds entries after it, then its
 * pseudo-descriptor. */
#define FLAT_GDT                                          \
    .data;                                                \
    .align 8;                                             \
gdt:                                                      \
    .quad 0;                                              \
    .quad 0x00cf9b000000ffff;                             \
    .quad 0x00cf93000000ffff
