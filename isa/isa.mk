# isa/: decoder, instruction table, handlers, profiles, disassembler.
SIM_SRCS += $(wildcard isa/*.c)
