// faulty: CLI in ring 3 with IOPL 0 raises #GP; the kernel kills us.
#include "user.h"

int faulty_main(int arg) {
  (void)arg;
  printf("faulty: executing cli in ring 3\n");
  asm volatile("cli");
  printf("faulty: still alive after cli?!\n");
  return 1;
}
