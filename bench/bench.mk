# bench/: `make bench`, the speed table (bench/README.md). Included by the top
# Makefile with `-include bench/bench.mk`. Builds the helpers under
# $(BUILD)/bench and runs bench/bench.sh, which prints one table.
#
#   make bench                    every case (1 to 2 minutes)
#   make bench BENCH_REPS=1       one run per size instead of the best of 3
#   make bench BENCH_ONLY="qemu bochs"      a subset (bench/README.md)
BENCH_DIR      := $(BUILD)/bench
BENCH_RUNSTAT  := $(BENCH_DIR)/runstat
BENCH_FLOPPY   := $(BENCH_DIR)/isprime-floppy.img
BENCH_NATIVE   := $(BENCH_DIR)/isprime-native
BENCH_NOTRACE  := build/bench-notrace/trapsim
BENCH_ISPRIME_O = $(GUESTOS_OBJ)/user/isprime.c.o
BENCH_REPS     ?= 3
BENCH_ONLY     ?=

.PHONY: bench bench-helpers bench-notrace
bench: deps $(TRAPSIM) $(GUESTOS_ELF) $(SNAP_GUEST) $(GUESTOS_KPRIME_ELF) $(TG_DIR)/xlate.elf bench-helpers bench-notrace
	@BENCH_REPS='$(BENCH_REPS)' BENCH_ONLY='$(BENCH_ONLY)' bash bench/bench.sh \
	  --trapsim $(TRAPSIM) --image $(GUESTOS_ELF) --dir $(BENCH_DIR) \
	  --floppy $(BENCH_FLOPPY) --native $(BENCH_NATIVE) --notrace $(BENCH_NOTRACE) \
	  --kprime-image $(GUESTOS_KPRIME_ELF) --xlate-image $(TG_DIR)/xlate.elf

# The native and Bochs helpers are optional: without gcc-multilib's 32-bit
# libc or a guest toolchain the bench prints n/a for their rows.
bench-helpers: $(BENCH_RUNSTAT) $(GUESTOS_ELF)
	@$(MAKE) --no-print-directory $(BENCH_FLOPPY) >$(BENCH_DIR)/floppy-build.log 2>&1 || \
	  { rm -f $(BENCH_FLOPPY); echo "bench: the Bochs floppy did not build ($(BENCH_DIR)/floppy-build.log)"; }
	@$(MAKE) --no-print-directory $(BENCH_NATIVE) >$(BENCH_DIR)/native-build.log 2>&1 || \
	  { rm -f $(BENCH_NATIVE); echo "bench: the native isprime did not build ($(BENCH_DIR)/native-build.log)"; }

$(BENCH_RUNSTAT): bench/runstat.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 -o $@ $<

# The Bochs boot floppy: boot sector + second stage + guestos's isprime object.
$(BENCH_DIR)/obj/%.o: bench/bochs/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(BENCH_DIR)/obj/%.o: bench/bochs/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(BENCH_DIR)/isprime-floppy.elf: $(BENCH_DIR)/obj/boot.o $(BENCH_DIR)/obj/stage2.o \
                                 $(BENCH_ISPRIME_O) bench/bochs/floppy.ld
	ld $(GUEST_LDFLAGS) -T bench/bochs/floppy.ld -o $@ $(filter %.o,$^)
$(BENCH_FLOPPY): $(BENCH_DIR)/isprime-floppy.elf
	objcopy -O binary $< $@.tmp
	truncate -s 1474560 $@.tmp
	mv $@.tmp $@

# The same isprime object, run natively as a 32-bit Linux program.
$(BENCH_NATIVE): bench/native.c $(BENCH_ISPRIME_O)
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 -O2 -static -no-pie -o $@ $^

# trapsim without trace hooks, for the "trace hooks cost" row: built only when
# the core knows -DTRAPSIM_NO_TRACE; otherwise the row says n/a.
bench-notrace:
	@mkdir -p $(BENCH_DIR)
	@if grep -rqs TRAPSIM_NO_TRACE isa cpu vmm app trapsim.c; then \
	  $(MAKE) --no-print-directory BUILD=build/bench-notrace TRAPSIM=$(BENCH_NOTRACE) \
	    OPT='$(OPT) -DTRAPSIM_NO_TRACE' $(BENCH_NOTRACE) >$(BENCH_DIR)/notrace-build.log 2>&1 || \
	  { rm -f $(BENCH_NOTRACE); echo "bench: the -DTRAPSIM_NO_TRACE build failed ($(BENCH_DIR)/notrace-build.log)"; }; \
	else rm -f $(BENCH_NOTRACE); fi
