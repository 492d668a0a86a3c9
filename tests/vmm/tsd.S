/* tsd: RDTSC probes in rings 0 to 3 (see tsd.c). */
#include "rt.h"

    .text
UPROBE u_rdtsc, FL_1|FL_IF, rdtsc
KPROBE k_rdtsc, FL_1, rdtsc
