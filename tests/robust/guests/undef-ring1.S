/* An undefined encoding (0F 01 FF) in the guest kernel. Under --vmm
 * --expose-pg the kernel runs in ring 1 and the PG audit looks every
 * instruction up in the instruction table first: that lookup must not index
 * the table with ROW_INVALID (found by the guest fuzz target; the sanitizer
 * build, `make sanitize`, catches the out-of-bounds read). With no IDT the
 * #UD ends in a triple fault (exit status 6). */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    movl $stack_top, %esp
    .globl fault_here
fault_here:
    .byte 0x0f, 0x01, 0xff           /* 0F 01 /7 with mod = 3: undefined */
    EXIT(0x7f)

    .bss
    .align 16
    .space 4096
stack_top:
