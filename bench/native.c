/* bench/native.c: the isprime loop run natively, for the reference column.
 * It is linked with guestos's own isprime object file (build/guests/obj/...),
 * so the host executes the very instructions trapsim counts.
 *   isprime-native N REPS      runs isprime_main(N) REPS times */
#include <stdlib.h>

int isprime_main(int n);

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int reps = argc > 2 ? atoi(argv[2]) : 1;
  for (int i = 0; i < reps; i++)
    isprime_main(n);
  return 0;
}
