/* Loops for ever with interrupts off: only --max-insns ends the run
 * (exit status 4). */
#include "mb.h"
MULTIBOOT_HEADER

    .globl _start
_start:
    cli
    .globl spin_here
spin_here:
    jmp spin_here
