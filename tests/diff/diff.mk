# Differential test: random ring-3 instruction sequences run natively on the
# host CPU and through `trapsim raw`, compared (tests/diff/README.md).
#
#   make test-diff                          DIFF_N cases (3000) with seed DIFF_SEED (1)
#   make fuzz-diff N=100000 [SEED=s]        as many as asked; the seed is printed
#   make diff-replay SEED=s CASE=k          one case, verbosely
#   make diff-self-check [N=...]            the native runner against itself (no trapsim)
# DIFF_ARGS passes more options (e.g. DIFF_ARGS="--max-len 1"), DIFF_JOBS the
# number of worker processes.
DIFF_DIR    := $(BUILD)/diff
DIFF_SRCS   := tests/diff/difftest.c tests/diff/gen.c tests/diff/native.c tests/diff/qemu.c tests/diff/simrun.c
DIFF_OBJS   := $(DIFF_SRCS:tests/diff/%.c=$(DIFF_DIR)/%.o)
DIFFTEST    := $(DIFF_DIR)/difftest
DIFF_CHILD  := $(DIFF_DIR)/child32
DIFF_SEED   ?= 1
DIFF_N      ?= $(if $(SANITIZE_RUN),1000,3000)
DIFF_JOBS   ?= 2
# the 32-bit native child: static, non-PIE, at 0x08048000, away from the
# case's areas (0x8000, 0x100000, 0x200000, 0x7fe000)
DIFF_CHILD_CFLAGS := -m32 -static -no-pie -O2 -fno-stack-protector -D_GNU_SOURCE \
                     -Wall -Wextra -Werror -I.

$(DIFF_DIR)/%.o: tests/diff/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(DIFFTEST): $(DIFF_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^

# The QEMU reference kernel (tests/diff/refkernel/): a Multiboot image at
# 16 MiB, built like the test guests.
REFK_DIR    := $(DIFF_DIR)/refkernel
REFKERNEL   := $(DIFF_DIR)/refkernel.elf
REFK_OBJS   := $(REFK_DIR)/start.o $(REFK_DIR)/kernel.o
GUESTS      += $(REFKERNEL)

$(REFK_DIR)/%.o: tests/diff/refkernel/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -I. -MMD -MP -c $< -o $@

$(REFK_DIR)/%.o: tests/diff/refkernel/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -I. -MMD -MP -c $< -o $@

$(REFKERNEL): $(REFK_OBJS) tests/diff/refkernel/kernel.ld
	$(LD) $(GUEST_LDFLAGS) --no-warn-rwx-segments -z noexecstack \
	    -T tests/diff/refkernel/kernel.ld -o $@ $(REFK_OBJS) $(GUEST_LIBGCC)

$(DIFF_CHILD): tests/diff/child32.c tests/diff/diff.h
	@mkdir -p $(@D)
	$(GUEST_CC) $(DIFF_CHILD_CFLAGS) -o $@ $<

.PHONY: test-diff fuzz-diff diff-replay diff-self-check difftest
difftest: $(DIFFTEST) $(DIFF_CHILD)

test-diff: $(DIFFTEST) $(DIFF_CHILD) $(TRAPSIM)
	$(DIFFTEST) --seed $(DIFF_SEED) --count $(DIFF_N) -j $(DIFF_JOBS) --trapsim $(TRAPSIM) $(DIFF_ARGS)

fuzz-diff: $(DIFFTEST) $(DIFF_CHILD) $(TRAPSIM)
	$(DIFFTEST) --seed $(if $(SEED),$(SEED),random) --count $(if $(N),$(N),100000) \
	    -j $(DIFF_JOBS) --trapsim $(TRAPSIM) $(DIFF_ARGS)

diff-replay: $(DIFFTEST) $(DIFF_CHILD) $(TRAPSIM)
	$(DIFFTEST) --seed $(if $(SEED),$(SEED),$(DIFF_SEED)) --case $(CASE) \
	    --trapsim $(TRAPSIM) $(DIFF_ARGS)

diff-self-check: $(DIFFTEST) $(DIFF_CHILD)
	$(DIFFTEST) --self-check --seed $(if $(SEED),$(SEED),$(DIFF_SEED)) \
	    --count $(if $(N),$(N),$(DIFF_N)) -j $(DIFF_JOBS) $(DIFF_ARGS)

TEST_TARGETS += test-diff

-include $(wildcard $(DIFF_DIR)/*.d $(REFK_DIR)/*.d)
