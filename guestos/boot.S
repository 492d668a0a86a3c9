# Entry: the Multiboot header, a boot stack, and a call to main().
# The loader enters at _start in 32-bit protected mode, CPL 0, paging off,
# IF = 0, EAX = MB_BOOT_MAGIC, EBX = the Multiboot information structure.
#include "multiboot.h"

.section .multiboot, "a"
.align 4
  .long MB_HEADER_MAGIC
  .long MB_HEADER_FLAGS
  .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)   # checksum: the three sum to 0

.text
.globl _start
_start:
  movl $bootstack_top, %esp
  cld                       # gcc's string code expects DF = 0
  pushl %ebx                # main(magic, mbi)
  pushl %eax
  call main
1:
  jmp 1b                    # main does not return

.bss
.align 16
  .space 16384
bootstack_top:              # the boot stack becomes the scheduler's stack

.section .note.GNU-stack, "", @progbits
