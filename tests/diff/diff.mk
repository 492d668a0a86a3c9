# Differential test: random instruction sequences run on a reference and
# through `trapsim raw`, compared (tests/diff/README.md).  The reference is
# the host CPU (native: ring 3 only, where the host runs 32-bit code) or QEMU
# running the reference kernel (every ring).
#
#   make test-diff                          QEMU, every ring, DIFF_N cases (3000), seed
#                                           DIFF_SEED (1); native on ring 3 too where the
#                                           host allows; each known QEMU deviation's case
#   make fuzz-diff N=100000 [SEED=s] [REF=qemu|native|auto] [RINGS=all|3]
#                                           as many as asked; the seed is printed
#   make diff-replay SEED=s CASE=k [REF=...] [RINGS=...]   one case, verbosely
#   make diff-self-check [N=...]            the native runner against itself (no trapsim)
# DIFF_ARGS passes more options (e.g. DIFF_ARGS="--max-len 1"), DIFF_JOBS the
# number of worker processes.  REF defaults to auto (native where possible),
# RINGS to all with QEMU and 3 with native.
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
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

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

.PHONY: test-diff test-diff-qemu test-diff-native test-diff-deviations fuzz-diff diff-replay \
        diff-self-check difftest
difftest: $(DIFFTEST) $(DIFF_CHILD) $(REFKERNEL)

DIFF_RUN = $(DIFFTEST) --trapsim $(TRAPSIM) -j $(DIFF_JOBS)
REF     ?= auto
# every ring unless the reference is the host CPU
RINGS   ?= $(if $(filter native,$(REF)),3,all)

test-diff: test-diff-qemu test-diff-native test-diff-deviations

test-diff-qemu: $(DIFFTEST) $(REFKERNEL) $(TRAPSIM)
	$(DIFF_RUN) --ref qemu --rings all --seed $(DIFF_SEED) --count $(DIFF_N) $(DIFF_ARGS)

# Where the host cannot run the 32-bit child, one line says so: not a failure.
test-diff-native: $(DIFFTEST) $(DIFF_CHILD) $(TRAPSIM)
	$(DIFF_RUN) --ref native --if-possible --seed $(DIFF_SEED) --count $(DIFF_N) $(DIFF_ARGS)

# tests/diff/qemu-deviations.md: every indented `difftest ... --deviation NAME`
# line there is run; each must show that QEMU still deviates so.
test-diff-deviations: $(DIFFTEST) $(REFKERNEL) $(TRAPSIM)
	@n=0; failed=0; \
	while read -r cmd; do n=$$((n + 1)); \
	  eval "$(DIFFTEST) --trapsim $(TRAPSIM) $${cmd#difftest }" > $(DIFF_DIR)/deviation.out 2>&1; \
	  if [ $$? != 0 ]; then failed=$$((failed + 1)); cat $(DIFF_DIR)/deviation.out; fi; \
	  grep '^difftest: deviation' $(DIFF_DIR)/deviation.out; \
	done < <(sed -n 's/^    \(difftest .*--deviation .*\)$$/\1/p' tests/diff/qemu-deviations.md); \
	echo "test-diff-deviations: $$((n - failed)) of $$n known QEMU deviations still shown"; \
	[ $$n -gt 0 ] && [ $$failed = 0 ]

fuzz-diff: $(DIFFTEST) $(DIFF_CHILD) $(REFKERNEL) $(TRAPSIM)
	$(DIFF_RUN) --ref $(REF) --rings $(RINGS) --seed $(if $(SEED),$(SEED),random) \
	    --count $(if $(N),$(N),100000) $(DIFF_ARGS)

diff-replay: $(DIFFTEST) $(DIFF_CHILD) $(REFKERNEL) $(TRAPSIM)
	$(DIFFTEST) --ref $(REF) --rings $(RINGS) --seed $(if $(SEED),$(SEED),$(DIFF_SEED)) \
	    --case $(CASE) --trapsim $(TRAPSIM) $(DIFF_ARGS)

diff-self-check: $(DIFFTEST) $(DIFF_CHILD)
	$(DIFFTEST) --self-check --seed $(if $(SEED),$(SEED),$(DIFF_SEED)) \
	    --count $(if $(N),$(N),$(DIFF_N)) -j $(DIFF_JOBS) $(DIFF_ARGS)

TEST_TARGETS += test-diff

-include $(wildcard $(DIFF_DIR)/*.d $(REFK_DIR)/*.d)
