/* The protocol between the microbench guest (tests/guests/microbench.c) and
 * `trapsim compare` (app/compare.c): one port, its rows, its counts. */
#ifndef MICROBENCH_H
#define MICROBENCH_H
#define MB_PORT     0x80        /* markers: row * 4 + 0..3; verdicts: MB_OK/MB_WRONG | row */
#define MB_OK       0x80
#define MB_WRONG    0x40
#define MB_NA       (MB_OK | MB_WRONG)   /* the technique does not have the operation (pv: cr0 write) */
#define MB_SHORT    200         /* operations in the short run */
#define MB_LONG     1200        /* ... and in the long one: the difference is measured */
enum { MB_SYSCALL, MB_IN, MB_CR0, MB_CLISTI, MB_DIV0, MB_CALLRET, MB_POPF, MB_ROWS };
#endif
