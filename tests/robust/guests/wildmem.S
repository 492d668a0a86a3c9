/* Writes everywhere a flat segment reaches outside RAM, and checks that
 * every read there gives 0 and that RAM did not change (PLATFORM.md
 * "Memory": reads outside RAM return 0, writes there are dropped). Ends
 * with isa-debug-exit 0 (exit status 1) when all held; else with the
 * number of the check that failed (status 2N+1). */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    movl $stack_top, %esp
    /* the end of RAM from the Multiboot information: mem_upper is in KiB above 1 MiB */
    movl 8(%ebx), %eax
    addl $1024, %eax
    shll $10, %eax
    movl %eax, ram_end

    /* a pattern at the bottom of RAM: writes above RAM must not alias there */
    movl $0x1000, %edi
    movl $0x400, %ecx
    movl $0xa5a5a5a5, %eax
    cld
    rep stosl

    /* 1: every 64 KiB from the end of RAM up to 4 GiB: write, read back 0 */
    movl ram_end, %edi
1:  movl $0xdeadbeef, (%edi)
    cmpl $0, (%edi)
    jne fail1
    movb $0x5a, 0xfff(%edi)
    cmpb $0, 0xfff(%edi)
    jne fail1
    addl $0x10000, %edi
    jnc 1b

    /* 2: the last page below 4 GiB, and the last dword */
    movl $0xfffff000, %edi
    movl $0x3ff, %ecx
    movl $0x12345678, %eax
    rep stosl
    movl $0xfffff000, %esi
    movl $0x3ff, %ecx
2:  lodsl
    testl %eax, %eax
    jnz fail2
    loop 2b
    movl $0x87654321, 0xfffffffc
    cmpl $0, 0xfffffffc
    jne fail2

    /* 3: a dword across the end of RAM: the half inside is written, the
     * half outside dropped */
    movl ram_end, %edi
    movl $0x11223344, -2(%edi)
    cmpl $0x00003344, -2(%edi)
    jne fail3
    cmpw $0x3344, -2(%edi)
    jne fail3

    /* 4: string instructions entirely outside RAM */
    movl ram_end, %edi
    addl $0x100000, %edi
    movl $0x4000, %ecx
    movl $0xffffffff, %eax
    rep stosl
    movl ram_end, %edi
    addl $0x100000, %edi
    movl $0x4000, %ecx
    xorl %eax, %eax
    repe scasl
    jne fail4
    movl ram_end, %esi
    addl $0x100000, %esi
    movl $0x1000, %edi
    movl $4, %ecx
    rep movsl                    /* copies zeros into the pattern's first 16 bytes */
    cmpl $0, 0x1000
    jne fail4
    movl $0xa5a5a5a5, %eax       /* put the pattern back */
    movl $0x1000, %edi
    movl $4, %ecx
    rep stosl

    /* 5: the pattern is intact */
    movl $0x1000, %esi
    movl $0x400, %ecx
5:  lodsl
    cmpl $0xa5a5a5a5, %eax
    jne fail5
    loop 5b

    /* 6: reads far above RAM through a stack that is there: pushes are
     * dropped, pops give 0 */
    movl %esp, saved_esp
    movl $0xf0000000, %esp
    pushl $0x12345678
    popl %eax
    movl saved_esp, %esp
    testl %eax, %eax
    jnz fail6

    EXIT(0)
fail1: EXIT(1)
fail2: EXIT(2)
fail3: EXIT(3)
fail4: EXIT(4)
fail5: EXIT(5)
fail6: EXIT(6)

    .bss
    .align 16
ram_end:   .long 0
saved_esp: .long 0
    .space 4096
stack_top:
