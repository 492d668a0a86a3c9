# app/: what the commands do (a run session, raw mode, scenarios); trapsim.c
# is only the command line.
SIM_SRCS += $(wildcard app/*.c)
