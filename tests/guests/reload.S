/* reload: the programs that reload.c loads, one over the other, into
 * load_area, and the area itself. Each program is position-independent
 * code with its entry at offset 0: uint32_t prog(uint32_t n) (cdecl). */
#include "rt.h"

    .section .rodata
/* A: 1 + 2 + ... + n, in a loop that calls a subroutine (CALL rel32). */
GLOBAL(prog_a)
    movl 4(%esp), %ecx
    xorl %eax, %eax
1:  call 2f
    loop 1b
    ret
2:  addl %ecx, %eax
    ret
GLOBAL(prog_a_end)

/* B: n * 3 + 1, a longer program whose branches land where A had other
 * instructions (and a jump table: JMP through a register). */
GLOBAL(prog_b)
    movl 4(%esp), %ecx
    xorl %eax, %eax
    call 1f                 /* EDX = the address of 1: (where B was loaded) */
1:  popl %edx
    leal 3f - 1b(%edx), %edx
    testl %ecx, %ecx
    jz 4f
2:  jmp *%edx               /* to 3: */
    nop
    nop
3:  addl $3, %eax
    decl %ecx
    jnz 2b
4:  incl %eax
    ret
GLOBAL(prog_b_end)

/* C: n xor 0x5a5a5a5a, shorter than A: the rest of A stays behind it. */
GLOBAL(prog_c)
    movl 4(%esp), %eax
    xorl $0x5a5a5a5a, %eax
    ret
GLOBAL(prog_c_end)

    .bss
    .align 4096
/* Where the programs are loaded and run (two pages: the second for a
 * program loaded across the page boundary). */
GLOBAL(load_area)
    .space 8192
