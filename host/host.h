/* host/: the physical machine of one run: its VMs and the VM scheduler
 * (DESIGN.md, "Monitors and the host").
 *
 * The scheduler is round robin in virtual time: each VM that has not
 * stopped runs in turn for a quantum of `quantum * weight` steps (retired
 * instructions plus the steps that retire nothing, as --max-insns counts),
 * then the next. A VM's own virtual time (its timer, its rdtsc) advances
 * only while it runs, so each VM runs exactly as it would alone; the host's
 * time is the sum of the steps of all VMs, and a VM's share of the CPU is
 * its steps over that sum. A VM that stops (its guest's exit, a triple
 * fault, halted for ever, its budget, something not modelled) stops alone:
 * the others go on until each has stopped. The scheduler sees VMs only
 * through host/vm.h. */
#ifndef TRAPSIM_HOST_H
#define TRAPSIM_HOST_H
#include <stdint.h>
#include <stdio.h>
#include "host/vm.h"

#define HOST_MAX_VMS 16
/* The default quantum: 100,000 steps, one timer tick of a guest at the
 * default --guest-ips (10 ms of its time, the lecture's OS quantum). */
#define HOST_DEFAULT_QUANTUM 100000ull
#define HOST_MAX_WEIGHT 1000

typedef struct host host_t;

host_t *host_new(uint64_t quantum);
/* Adds a VM (the host owns it from now on) with a weight from 1 to
 * HOST_MAX_WEIGHT; -1 when the host is full. */
int host_add(host_t *h, vm_t *vm, unsigned weight);
/* Round robin until every VM has stopped. */
void host_run(host_t *h);
/* At most `turns` more turns (a turn: each running VM one quantum); returns
 * how many VMs still run. host_run() is this until it returns 0. */
int host_run_turns(host_t *h, uint64_t turns);
void host_free(host_t *h);

int host_count(const host_t *h);
vm_t *host_vm(const host_t *h, int k);
uint64_t host_quantum(const host_t *h);
unsigned host_weight(const host_t *h, int k);
uint64_t host_quanta(const host_t *h, int k);   /* quanta VM k was given */
void host_set_quanta(host_t *h, int k, uint64_t quanta);   /* a snapshot's (host/snapshot.h) */
uint64_t host_steps(const host_t *h);           /* the host's time: every VM's steps */
/* VM k's share of the CPU, in millionths (steps over the host's steps). */
uint64_t host_share_ppm(const host_t *h, int k);
/* The run's exit status with several VMs (README, "Exit statuses"): the
 * highest of trapsim's own statuses (even, 4 and up) that any VM ended
 * with; when no VM ended so, the highest guest status. With one VM, its
 * own status. */
int host_exit_status(const host_t *h);
/* The table of shares: one row per VM (weight, steps, share, quanta, how
 * it ended). */
void host_print_shares(const host_t *h, FILE *out);
/* vm.NAME.steps=, vm.NAME.share_ppm=, vm.NAME.quanta=, vm.NAME.weight= */
void host_write_stats(const host_t *h, FILE *f);
#endif
