/* Scenario files: the format of scenarios/NAME.scn (scenarios/README.md)
 * parsed into a scenario_t. The parser reads only the text it is given. */
#ifndef TRAPSIM_SCENARIO_FILE_H
#define TRAPSIM_SCENARIO_FILE_H
#include <stddef.h>
#include <stdint.h>
#include "host/monitor.h"

/* A scenario that runs away still ends: the default instruction budget. */
#define SCN_DEFAULT_BUDGET 200000000ull
#define SCN_MAX_PORTS 16

#define SCN_MAX_RUNS 4
#define SCN_MAX_VMS 8           /* in all runs together */

/* What one VM is made of: the keys a [vm NAME] section may give, and the
 * keys before it that are every VM's defaults. */
#define SCN_VM_FIELDS                                                              \
    char image[256];            /* relative to the repository root, or absolute */ \
    char cmdline[256];                                                             \
    int has_cmdline;                                                               \
    vm_monitor_t monitor;       /* mode = bare, vmm (te), vtx, ... */              \
    char isa[16];               /* x86, pg, umip, ... */                           \
    int expose_pg;                                                                 \
    uint64_t max_insns;         /* 0: none */                                      \
    uint64_t guest_ips;         /* 0: the default */                               \
    uint64_t mem;               /* 0: the default */                               \
    char vm_name[32];           /* [vm NAME] */                                    \
    unsigned weight;            /* 0: 1 */

typedef struct scn_vm {
    SCN_VM_FIELDS
} scn_vm_t;

/* A [run TITLE] section: one run of several VMs, after the one before. */
typedef struct scn_run {
    char title[128];
    uint64_t quantum;           /* 0: the host's default */
    scn_vm_t dflt;              /* the run's own VM keys: the one VM when it has no [vm] section */
    int first, nvms;            /* its VMs: vms[first .. first + nvms) */
} scn_run_t;

typedef struct scenario {
    char name[64];              /* NAME, from the file name */
    char description[2048];     /* the `description` lines, each ending in '\n' */
    /* the one VM of a file without sections; with sections, every VM's defaults */
    union {
        scn_vm_t vm;
        struct { SCN_VM_FIELDS };
    };
    uint32_t trace_levels;      /* TL_* */
    char trace[64];             /* the level list as written */
    uint64_t quantum;           /* `quantum` before the first section */
    int nruns;                  /* 0: a single-VM file, no sections */
    scn_run_t runs[SCN_MAX_RUNS];
    int nvms;
    scn_vm_t vms[SCN_MAX_VMS];
    /* filters of the text view */
    char insns[256];            /* ",popf,lidt,": only these instructions (empty: all) */
    int nports;                 /* io lines only for these port ranges (0: all) */
    uint16_t ports[SCN_MAX_PORTS][2];
    char match[256];            /* "a|b|c": only trace lines containing one of these (empty: all) */
    char from[128];             /* first line shown: the first containing this */
    char until[128];            /* last line shown: the first after `from` containing this */
    uint32_t context;           /* lines shown before `from` */
    uint64_t limit;             /* at most this many trace lines, the first (0: no limit) */
    uint32_t tail;              /* only the last this many trace lines (0: all) */
    char timeline[48];          /* where the timeline starts (empty: the first int 0x80) */
    /* each run cut in two (app/scenario.c): by a snapshot and `resume`, or
     * by a live migration to a destination in this process (0: not cut) */
    uint64_t snapshot_at, migrate_at;
    uint64_t migrate_dirty, migrate_rounds;   /* 0: --migrate-dirty's and --migrate-rounds' defaults */
    uint32_t hide_lo, hide_hi;  /* no trace lines of events at EIPs hide_lo..hide_hi (hide_hi 0: none) */
    char hide_what[64];         /* what that code is, for the log's header ("uartputc: UART polling") */
} scenario_t;

/* Parses a scenario's text; `name` is how errors name the file
 * ("scenarios/x.scn"), and the scenario's name is its base name without
 * ".scn". 0, or -1 with "NAME:LINE: what is wrong" in err. Never reads
 * past text[len - 1]; text need not end in a NUL. */
int scenario_parse_buf(const char *name, const char *text, size_t len, scenario_t *out,
                       char *err, size_t errlen);

#endif
