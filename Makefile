# trapsim: top-level build. Each folder adds its part through a fragment
# (isa/isa.mk, cpu/cpu.mk, ...); this file holds only what they share.
#
#   make            the simulator ./trapsim and the guest images
#   make test       every test (unit, guests vs QEMU, differential, scenarios)
#   make demo       the main classroom scenario
#   make sanitize   the tests again under AddressSanitizer + UBSan
.DEFAULT_GOAL := all
SHELL := /bin/bash

BUILD   ?= build
TRAPSIM ?= ./trapsim
OPT     ?= -O2
SAN     ?=
CC      := gcc

CFLAGS  := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
           -Wall -Wextra -Werror -g $(OPT) -I. -MMD -MP
LDFLAGS :=
ifneq ($(SAN),)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
# libraries of the simulator itself: zstd for snapshots (host/snapshot.c)
LDLIBS  := -lzstd
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

# Guest images: 32-bit freestanding code for the simulated machine.
GUEST_CC      := gcc
GUEST_CFLAGS  := -m32 -march=i686 -ffreestanding -fno-pie -fno-stack-protector \
                 -fno-asynchronous-unwind-tables -nostdlib -O2 -Wall -Wextra -Werror -g
GUEST_LDFLAGS := -m elf_i386 -nostdlib --build-id=none
GUEST_LIBGCC   = $(shell $(GUEST_CC) -m32 -print-libgcc-file-name)
GUEST_DIR     := build/guests

SIM_SRCS :=
LIBTRAPSIM := $(BUILD)/libtrapsim.a
GUESTS   :=
TEST_TARGETS :=

include isa/isa.mk
include cpu/cpu.mk
include app/app.mk
-include vmm/vmm.mk
include host/host.mk
-include guestos/guestos.mk
include tests/tests.mk
-include tests/guests/guests.mk
-include tests/snapshot/snapshot.mk
-include tests/vmm/vmm.mk
-include tests/pv/pv.mk
-include tests/diff/diff.mk
-include scenarios/scenarios.mk
-include tests/html/html.mk
-include tests/compare/compare.mk
-include tests/disasm/disasm.mk
-include tests/fuzz/fuzz.mk
-include tests/robust/robust.mk
-include tests/interactive.mk
-include tests/pictures/pictures.mk
-include examples/examples.mk
-include tools/install.mk
-include bench/bench.mk

SIM_OBJS := $(SIM_SRCS:%.c=$(BUILD)/obj/%.o)

.PHONY: all deps test demo sanitize clean guests
all: deps $(TRAPSIM) guests

deps:
	@bash tools/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBTRAPSIM): $(SIM_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(TRAPSIM): $(BUILD)/obj/trapsim.o $(LIBTRAPSIM)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

guests: $(GUESTS)

test: all $(TEST_TARGETS)
	@echo "make test: $(words $(TEST_TARGETS)) passed, 0 failed (test suites: $(TEST_TARGETS))"

# The main classroom scenario, and its trap-flow picture for the projector.
demo: all
	@mkdir -p $(BUILD)/pictures
	$(TRAPSIM) scenario trap-and-emulate --svg $(BUILD)/pictures/trap-and-emulate.svg \
	  --timeline $(BUILD)/pictures/trap-and-emulate-timeline.svg
	@TRAPSIM='$(TRAPSIM)' OUT='$(BUILD)/pictures' bash scenarios/test.sh --pictures
	@echo "demo: the trap-flow picture is $(BUILD)/pictures/trap-and-emulate.svg; every scenario's SVGs are in $(BUILD)/pictures/"

sanitize: deps
	$(MAKE) BUILD=build/san SAN=1 TRAPSIM=build/san/trapsim OPT=-O1 SANITIZE_RUN=1 test

clean:
	rm -rf build trapsim

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
