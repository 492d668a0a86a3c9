// counter: count to a fixed number, yielding the CPU now and then.
#include "user.h"

#define TARGET 200000
#define EVERY  20000   // yield after this many

int counter_main(int arg) {
  (void)arg;
  volatile uint count = 0;   // in memory, so the loop is really run
  int yields = 0;
  while (count < TARGET) {
    count++;
    if (count % EVERY == 0) {
      yield();
      yields++;
    }
  }
  printf("counter: counted to %u, yielding %d times\n", count, yields);
  return 0;
}
