/* Tries to write the memory the VMM keeps for itself: every 4 KiB from the
 * end of the RAM the guest is told about (Multiboot mem_upper) for 2 MiB,
 * then every 1 MiB up to 4 GiB.
 * Bare, those writes land in RAM or are dropped; under --vmm the VMM's
 * segment truncation makes them fault (#GP), and the guest's #GP handler
 * skips the write. Either way the guest must then still run normally: an
 * int $0x80 reaches its handler (through the VMM's shadow IDT under
 * --vmm), and it exits with isa-debug-exit 0 (exit status 1). Exit value
 * 1 (status 3): int $0x80 did not arrive. */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    movl $stack_top, %esp
    movl 8(%ebx), %eax              /* mem_upper, KiB above 1 MiB */
    addl $1024, %eax
    shll $10, %eax
    movl %eax, ram_top
    lgdt gdtr
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    /* gates: 13 (#GP) to gp_handler, 0x80 to int80_handler */
    movl $gp_handler, %eax
    movl $idt + 13 * 8, %edi
    call set_gate
    movl $int80_handler, %eax
    movl $idt + 0x80 * 8, %edi
    call set_gate
    lidt idtr

    /* every 4 KiB of the 2 MiB above, then every 1 MiB up to 4 GiB */
    movl ram_top, %edi
    leal 0x200000(%edi), %ebx
    movl $0xdeadbeef, %eax
2:  movl %eax, (%edi)               /* 2 bytes (89 07): gp_handler skips it */
    addl $0x1000, %edi
    cmpl %ebx, %edi
    jb 2b
4:  movl %eax, (%edi)               /* 2 bytes too */
    addl $0x100000, %edi
    jnc 4b

    int $0x80
    cmpl $1, int80_seen
    jne 3f
    EXIT(0)
3:  EXIT(1)

/* set_gate: interrupt gate, DPL 0, selector 0x08, to %eax, at %edi */
set_gate:
    movw %ax, (%edi)
    movw $0x08, 2(%edi)
    movw $0x8e00, 4(%edi)
    shrl $16, %eax
    movw %ax, 6(%edi)
    ret

gp_handler:
    addl $4, %esp                   /* error code */
    addl $2, (%esp)                 /* past the faulting movl */
    incl gp_count
    iret

int80_handler:
    movl $1, int80_seen
    iret

    FLAT_GDT
gdtr:
    .word 3 * 8 - 1
    .long gdt
    .align 8
idtr:
    .word 256 * 8 - 1
    .long idt

    .bss
    .align 8
idt:
    .space 256 * 8
ram_top:    .long 0
gp_count:   .long 0
int80_seen: .long 0
    .align 16
    .space 8192
stack_top:
