// isprime: count the primes below n by trial division (the lecture's example).
#include "user.h"

static int isprime(int x) {
  if (x < 2)
    return 0;
  for (int d = 2; d * d <= x; d++)
    if (x % d == 0)
      return 0;
  return 1;
}

int isprime_main(int n) {
  int count = 0;
  for (int x = 2; x < n; x++)
    count += isprime(x);
  printf("isprime: %d primes below %d\n", count, n);
  return 0;
}
