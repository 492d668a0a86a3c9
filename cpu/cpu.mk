# cpu/: machine state, memory, protection, interrupt delivery, devices,
# loader, run loop, trace sinks.
SIM_SRCS += $(wildcard cpu/*.c)
