/* reload: a kernel that loads one program over another in the same place
 * and runs each: a binary translator must drop what it translated of the
 * old program (issue 15, "Exactness": loading a new program). Three
 * programs, A B A C B ... into the same bytes, copied by a byte loop or by
 * REP MOVSL, each run twice (the second run finds its translation), one
 * loaded across a page boundary, and one loaded at two addresses at once. */
#include "rt.h"

const char guest_name[] = "reload";

typedef uint32_t (*prog_t)(uint32_t n);
extern uint8_t prog_a[], prog_a_end[], prog_b[], prog_b_end[], prog_c[], prog_c_end[];
extern uint8_t load_area[];

struct prog {
    const char *name;
    const uint8_t *start, *end;
    uint32_t (*want)(uint32_t n);
};

static uint32_t want_a(uint32_t n) { return n * (n + 1) / 2; }
static uint32_t want_b(uint32_t n) { return n * 3 + 1; }
static uint32_t want_c(uint32_t n) { return n ^ 0x5a5a5a5a; }

static const struct prog progs[] = {
    { "A (sum)", prog_a, prog_a_end, want_a },
    { "B (3n+1)", prog_b, prog_b_end, want_b },
    { "C (xor)", prog_c, prog_c_end, want_c },
};

static void copy_bytes(uint8_t *to, const uint8_t *from, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++)
        ((volatile uint8_t *)to)[k] = from[k];
}

static void copy_movsl(uint8_t *to, const uint8_t *from, uint32_t n)
{
    uint32_t words = (n + 3) / 4;
    __asm__ volatile("cld; rep movsl" : "+D"(to), "+S"(from), "+c"(words) : : "memory");
}

/* Loads program p at `at` and runs it twice with n and n + 1. */
static void load_run(const struct prog *p, uint8_t *at, int movsl, uint32_t n)
{
    uint32_t len = (uint32_t)(p->end - p->start);
    if (movsl)
        copy_movsl(at, p->start, len);
    else
        copy_bytes(at, p->start, len);
    prog_t run = (prog_t)(uintptr_t)at;
    kprintf("  load %s at load_area+%x by %s:", p->name, (uint32_t)(at - load_area),
            movsl ? "rep movsl" : "a byte loop");
    uint32_t r1 = run(n), r2 = run(n + 1);
    kprintf(" %u -> %08x, %u -> %08x", n, r1, n + 1, r2);
    verdict(r1 == p->want(n) && r2 == p->want(n + 1));
}

void guest_main(void)
{
    static const int order[] = { 0, 1, 0, 2, 1, 2, 0 };
    puts_("one after the other in the same place\n");
    for (unsigned k = 0; k < sizeof order / sizeof order[0]; k++)
        load_run(&progs[order[k]], load_area, k & 1, 10 + k);

    puts_("across a page boundary\n");
    load_run(&progs[0], load_area + 4096 - 7, 0, 20);
    load_run(&progs[1], load_area + 4096 - 7, 1, 21);

    puts_("two copies, then one of them replaced\n");
    load_run(&progs[0], load_area + 0x100, 0, 30);
    load_run(&progs[0], load_area + 0x200, 0, 31);
    load_run(&progs[1], load_area + 0x100, 0, 32);
    uint32_t r = ((prog_t)(uintptr_t)(load_area + 0x200))(33);
    kprintf("  A at load_area+200 still: 33 -> %08x", r);
    verdict(r == want_a(33));
}
