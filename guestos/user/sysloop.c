// sysloop: getpid in a tight loop, a benchmark of the system call path.
#include "user.h"

int sysloop_main(int loops) {
  uint sum = 0;
  for (int i = 0; i < loops; i++)
    sum += getpid();
  printf("sysloop: %d getpid calls, sum of pids %u\n", loops, sum);
  return 0;
}
