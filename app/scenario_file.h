/* Scenario files: the format of scenarios/NAME.scn (scenarios/README.md)
 * parsed into a scenario_t. The parser reads only the text it is given. */
#ifndef TRAPSIM_SCENARIO_FILE_H
#define TRAPSIM_SCENARIO_FILE_H
#include <stddef.h>
#include <stdint.h>

/* A scenario that runs away still ends: the default instruction budget. */
#define SCN_DEFAULT_BUDGET 200000000ull
#define SCN_MAX_PORTS 16

typedef struct scenario {
    char name[64];              /* NAME, from the file name */
    char description[2048];     /* the `description` lines, each ending in '\n' */
    char image[256];            /* relative to the repository root, or absolute */
    char cmdline[256];
    int has_cmdline;
    int vmm;                    /* mode = vmm */
    char isa[16];               /* x86, pg, umip, ... */
    int expose_pg;
    uint32_t trace_levels;      /* TL_* */
    char trace[64];             /* the level list as written */
    uint64_t max_insns;         /* 0: none */
    uint64_t guest_ips;         /* 0: the default */
    uint64_t mem;               /* 0: the default */
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
} scenario_t;

/* Parses a scenario's text; `name` is how errors name the file
 * ("scenarios/x.scn"), and the scenario's name is its base name without
 * ".scn". 0, or -1 with "NAME:LINE: what is wrong" in err. Never reads
 * past text[len - 1]; text need not end in a NUL. */
int scenario_parse_buf(const char *name, const char *text, size_t len, scenario_t *out,
                       char *err, size_t errlen);

#endif
