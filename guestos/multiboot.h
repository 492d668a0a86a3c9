// Multiboot v1: the header the loader looks for and the information
// structure it hands over in EBX. Only what guestos reads.
#ifndef GUESTOS_MULTIBOOT_H
#define GUESTOS_MULTIBOOT_H

#define MB_HEADER_MAGIC  0x1BADB002  // in the image's first 8 KiB
#define MB_HEADER_FLAGS  0x00000003  // bit 0: page-align modules, bit 1: give us memory info
#define MB_BOOT_MAGIC    0x2BADB002  // in EAX at entry

#define MB_INFO_CMDLINE  (1 << 2)    // mbinfo.flags: cmdline is valid

#ifndef __ASSEMBLER__
#include "types.h"
struct mbinfo {
  uint flags;
  uint mem_lower;    // KiB below 1 MiB
  uint mem_upper;    // KiB above 1 MiB
  uint boot_device;
  uint cmdline;      // physical address of a NUL-terminated string
};
#endif
#endif
