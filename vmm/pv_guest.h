/* vmm/pv_guest.h: the guest's side of vmm/pv_abi.h, for the guests that
 * paravirtualize themselves (guestos/pvops.c, tests/guests/microbench.c):
 * finding the pv monitor, calling it, and the virtual IF in the shared
 * page. Static inline on fixed-width types: each guest has its own libc. */
#ifndef TRAPSIM_PV_GUEST_H
#define TRAPSIM_PV_GUEST_H
#include "pv_abi.h"

static inline int32_t pv_hypercall(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
    int32_t r;
    __asm__ volatile("int $0x82" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static inline void pv_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* 1 under --vmm=pv: a hypervisor (CPUID.1:ECX bit 31) with PV_SIGNATURE
 * at PV_CPUID_LEAF; 0 bare, under the other monitors and elsewhere. The
 * guest gives memcmp. */
static inline int pv_detect(void)
{
    uint32_t a, b, c, d, sig[3];
    pv_cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 31)))
        return 0;                       /* no hypervisor */
    pv_cpuid(PV_CPUID_LEAF, &a, &sig[0], &sig[1], &sig[2]);
    if (memcmp(sig, PV_SIGNATURE, 12) != 0)
        return 0;                       /* another one (vtx) */
    return 1;
}

/* CLI and STI: the mask byte; an event that came while masked is had now. */
static inline void pv_events_mask(volatile pv_shared_t *sh)
{
    sh->upcall_mask = 1;
    __asm__ volatile("" ::: "memory");
}

static inline void pv_events_unmask(volatile pv_shared_t *sh)
{
    sh->upcall_mask = 0;
    __asm__ volatile("" ::: "memory");
    if (sh->upcall_pending)
        pv_hypercall(PV_event_check, 0, 0, 0);
}
#endif
