/* expdown: a push and a pop through an expand-down stack segment (see
 * expdown.c). uint32_t ed_pushpop(uint32_t ss, uint32_t esp_offset,
 * uint32_t value): loads SS, moves ESP by esp_offset (the segment's base
 * is taken off), pushes value, pops it into EAX, then restores SS:ESP. */
#include "rt.h"

    .text
GLOBAL(ed_pushpop)
    pushl %ebx
    movl 8(%esp), %eax              /* ss */
    movl 12(%esp), %ecx             /* esp offset */
    movl 16(%esp), %edx             /* value */
    movl %esp, %ebx
    movw %ax, %ss
    addl %ecx, %esp
    pushl %edx
    popl %eax
    movw $SEL_KDATA, %cx
    movw %cx, %ss
    movl %ebx, %esp
    popl %ebx
    ret
