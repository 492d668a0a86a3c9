# host/: the VMs of one run and the VM scheduler (host/host.h).
SIM_SRCS += $(wildcard host/*.c)
