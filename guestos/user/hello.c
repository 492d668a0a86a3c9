// hello: exactly one system call that does something (write), then exit:
// the shortest trip from ring 3 through the kernel and back.
#include "user.h"

int hello_main(int arg) {
  (void)arg;
  static const char msg[] = "hello from ring 3\n";
  write(1, msg, sizeof msg - 1);
  return 0;
}
