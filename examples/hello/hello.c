/* hello.c: the smallest useful guest. It prints on COM1 (what trapsim and
 * QEMU's -serial stdio show) and ends the run through isa-debug-exit:
 * writing V to port 0xF4 ends it with status (V << 1) | 1. */
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void putc_com1(char c)
{
    while (!(inb(0x3f8 + 5) & 0x20))   /* line status: transmitter empty */
        ;
    outb(0x3f8, (uint8_t)c);
}

static void puts_com1(const char *s)
{
    for (; *s; s++)
        putc_com1(*s);
}

static void put_dec(uint32_t v)
{
    char buf[12];
    int n = 0;
    do
        buf[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        putc_com1(buf[--n]);
}

void main(uint32_t magic, const uint32_t *mbi)
{
    uint32_t cs, eflags;
    __asm__ volatile("movl %%cs, %0; pushfl; popl %1" : "=r"(cs), "=r"(eflags));
    puts_com1("hello from my own guest\n");
    puts_com1("running at CPL ");
    put_dec(cs & 3);
    puts_com1(", interrupts ");
    puts_com1(eflags & 0x200 ? "on" : "off");
    puts_com1(magic == 0x2badb002 ? ", started by a Multiboot loader" : ", not by a Multiboot loader?");
    puts_com1(mbi[0] & 4 ? " with a command line\n" : "\n");
    outb(0xf4, 0);                      /* exit: status (0 << 1) | 1 = 1 */
    for (;;)
        __asm__ volatile("cli; hlt");
}
