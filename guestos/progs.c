// The user programs that procs= can name. Each runs in ring 3 as
// main(arg); what main returns is its exit status.
//
// To add a program: write user/NAME.c with `int NAME_main(int arg)` (see
// user/hello.c), declare it below, and add a row to the table.
#include "types.h"
#include "defs.h"

int isprime_main(int n);
int counter_main(int arg);
int hog_main(int arg);
int sleeper_main(int arg);
int hello_main(int arg);
int sysloop_main(int loops);
int faulty_main(int arg);
#ifdef GUESTOS_SHARES
int spin_main(int until);
#endif

const struct program programs[] = {
  // name       main           option   default arg
  { "isprime",  isprime_main,  "n",     10000 },  // primes below n, by trial division
  { "counter",  counter_main,  0,       0 },      // counts, yielding now and then
  { "hog",      hog_main,      0,       0 },      // computes, never yields
  { "sleeper",  sleeper_main,  0,       0 },      // sleeps a few ticks, a few times
  { "hello",    hello_main,    0,       0 },      // exactly one write
  { "sysloop",  sysloop_main,  "loops", 1000 },   // getpid in a tight loop
  { "faulty",   faulty_main,   0,       0 },      // CLI in ring 3: killed
#ifdef GUESTOS_SHARES
  { "spin",     spin_main,     "until", 100 },    // computes until tick `until`
#endif
  { 0, 0, 0, 0 },
};

const struct program *program_lookup(const char *name, int len) {
  for (const struct program *p = programs; p->name; p++)
    if (strncmp(p->name, name, len) == 0 && p->name[len] == '\0')
      return p;
  return 0;
}
