/* The registry of semantics profiles. A new profile is one new file
 * (profile_NAME.c defining `const isa_profile_t isa_profile_NAME`) and one
 * line in the list below. */
#include <string.h>
#include "isa/isa.h"

extern const isa_profile_t isa_profile_x86, isa_profile_pg, isa_profile_umip;

static const isa_profile_t *const registry[] = {
    &isa_profile_x86,
    &isa_profile_pg,
    &isa_profile_umip,
    NULL
};

const isa_profile_t *const *isa_profiles(void) { return registry; }

const isa_profile_t *isa_profile_find(const char *name)
{
    for (int k = 0; registry[k]; k++)
        if (strcmp(registry[k]->name, name) == 0)
            return registry[k];
    return NULL;
}
