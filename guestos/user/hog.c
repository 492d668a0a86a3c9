// hog: compute for a long time without a single system call; only the
// timer takes the CPU away from it.
#include "user.h"

#define ROUNDS 3000000

int hog_main(int arg) {
  (void)arg;
  uint x = 1;
  for (int i = 0; i < ROUNDS; i++)
    x = x * 1103515245 + 12345;   // a linear congruential generator
  printf("hog: %d rounds without a system call, result %08x\n", ROUNDS, x);
  return 0;
}
