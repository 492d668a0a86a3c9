// spin: computes until the OS's clock reaches tick `until` (option until=N,
// default 100), asking the time every 1000 rounds; prints how many thousand
// rounds it got done, which is its share of the CPU. Only in the
// guestos-shares image (guestos.mk): the default image stays as it was.
#ifdef GUESTOS_SHARES
#include "user.h"

int spin_main(int until) {
  uint rounds = 0, x = 1;
  while (ticks() < (uint)until) {
    for (int i = 0; i < 1000; i++)
      x = x * 1103515245 + 12345;   // hog's linear congruential generator
    rounds++;
  }
  printf("spin: %u thousand rounds by tick %d (result %08x)\n", rounds, until, x);
  return 0;
}
#endif
