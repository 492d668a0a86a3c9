// sleeper: sleep a few ticks, a few times. While it sleeps and nobody else
// can run, the kernel is idle (the HLT in scheduler()).
#include "user.h"

#define TIMES 3
#define NTICKS 5

int sleeper_main(int arg) {
  (void)arg;
  int early = 0;
  for (int i = 0; i < TIMES; i++) {
    uint t0 = ticks();
    sleep(NTICKS);
    if (ticks() - t0 < NTICKS)
      early++;
  }
  printf("sleeper: slept %d times for %d ticks, woke early %d times\n", TIMES, NTICKS, early);
  return 0;
}
