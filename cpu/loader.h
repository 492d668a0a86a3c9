/* Multiboot v1 ELF32 loader (PLATFORM.md "Boot"). */
#ifndef TRAPSIM_LOADER_H
#define TRAPSIM_LOADER_H
#include <stddef.h>
#include <stdint.h>

typedef struct boot_info {
    uint32_t entry;      /* ELF e_entry: the guest's first EIP */
    uint32_t mbi;        /* physical address of the Multiboot information structure (EBX) */
    uint32_t image_lo;   /* lowest physical byte the image occupies */
    uint32_t image_hi;   /* one past the highest */
} boot_info_t;

/* Loads the file at `path` into ram[0..ram_size), writes the Multiboot
 * information structure (flags, mem_lower, mem_upper and, when cmdline is not
 * NULL, the command line) where it does not overlap the image, and fills
 * `out`. `mem_upper_limit` is the physical end of RAM the guest is told about
 * and the image may use (clamped to ram_size; trapsim passes ram_size).
 * On failure returns -1 and writes "PATH: what is wrong" (one line, no
 * newline) into err; nothing in ram is then relied on. */
int loader_load_multiboot(const char *path, uint8_t *ram, uint32_t ram_size,
                          uint32_t mem_upper_limit, const char *cmdline,
                          boot_info_t *out, char *err, size_t errlen);
/* The same, with `name` standing for the file in the guest's command line
 * (QEMU puts the kernel's file name first) and in messages about its
 * contents: a scenario names its image relative to the repository, so the
 * guest sees the same command line in every checkout. */
int loader_load_multiboot_as(const char *path, const char *name, uint8_t *ram, uint32_t ram_size,
                             uint32_t mem_upper_limit, const char *cmdline,
                             boot_info_t *out, char *err, size_t errlen);
/* The same from a buffer already in memory (for tests and fuzzing); `name`
 * stands for the path in messages. */
int loader_load_multiboot_buf(const char *name, const uint8_t *img, size_t len,
                              uint8_t *ram, uint32_t ram_size,
                              uint32_t mem_upper_limit, const char *cmdline,
                              boot_info_t *out, char *err, size_t errlen);
#endif
