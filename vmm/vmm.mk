# vmm/: the VMM: dispatch, emulation, shadow tables, injection, PG audit.
SIM_SRCS += $(wildcard vmm/*.c)
