// kprime=N (guestos-kprime.elf only): the lecture's isPrime, run by the
// kernel itself at CPL 0, counting the primes below N. Under a binary
// translator (--vmm=dbt) this is the guest kernel code that is translated:
// scenarios/dbt-isprime.scn shows its first block, as in the lecture
// ("Full virtualization"; Adams & Agesen, ASPLOS 2006, figure 1).
// It runs after the boot's STI, so timer interrupts arrive in its loops.
#ifdef GUESTOS_KPRIME
#include "types.h"
#include "defs.h"

// The lecture's function, as it is there. The attributes only make gcc
// compile it the way the lecture's listing reads: the argument in a
// register, no frame pointer, the loop not unrolled or peeled; its first
// block is then  push %ebx; mov $2,%ecx; mov %eax,%ebx; cmp %ebx,%ecx;
// jge prime  (the lecture's: mov, mov $2, cmp, jge).
__attribute__((noinline, regparm(1), optimize("Os", "omit-frame-pointer")))
int isPrime(int a) {
  for (int i = 2; i < a; i++) {
    if (a % i == 0)
      return 0;
  }
  return 1;
}

// Count the primes below n (isPrime says 1 for 0 and 1: they are left out).
void kprime(int n) {
  int count = 0;
  for (int x = 2; x < n; x++)
    count += isPrime(x);
  cprintf("kprime: %d primes below %d (kernel mode)\n", count, n);
}
#endif
