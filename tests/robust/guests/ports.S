/* Writes every I/O port 0x0000-0xFFFF with 8-, 16- and 32-bit OUTs, then
 * reads every one, then exits with isa-debug-exit 0 (exit status 1).
 * Skipped, so that nothing is printed and the run does not end early: the
 * exit port 0xF4, the debug console 0xE9 and COM1 0x3F8-0x3FF (for the
 * wider accesses, every port whose bytes would touch one of those). */
#include "mb.h"
MULTIBOOT_HEADER

/* skip_if_hits N: jumps to 8f when the N-byte access at %dx touches a
 * skipped port (%ebx is free) */
.macro skip_if_hits n
    movzwl %dx, %ebx
    addl $\n - 1, %ebx              /* last port of the access */
    cmpl $0xe9, %ebx
    jb 7f
    cmpw $0xe9, %dx
    jbe 8f                          /* [dx, last] contains 0xe9 */
7:  cmpl $0xf4, %ebx
    jb 7f
    cmpw $0xf4, %dx
    jbe 8f
7:  cmpl $0x3f8, %ebx
    jb 7f
    cmpw $0x3ff, %dx
    jbe 8f
7:
.endm

    .globl _start
_start:
    movl $stack_top, %esp
    cli
    xorl %edx, %edx
    movl $0xffffffff, %eax
1:  skip_if_hits 1
    outb %al, %dx
8:  incw %dx
    jnz 1b
2:  skip_if_hits 2
    outw %ax, %dx
8:  incw %dx
    jnz 2b
3:  skip_if_hits 4
    outl %eax, %dx
8:  incw %dx
    jnz 3b
4:  inb %dx, %al
    inw %dx, %ax
    inl %dx, %eax
    incw %dx
    jnz 4b
    EXIT(0)

    .bss
    .align 16
    .space 4096
stack_top:
