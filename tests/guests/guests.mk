# Test guests: small self-checking Multiboot images, each run on QEMU and on
# trapsim by compare.sh (see its header). A guest NAME is tests/guests/NAME.c
# and/or NAME.S, linked with the runtime in tests/guests/lib/ into
# $(GUEST_DIR)/tests/NAME.elf. Its QEMU transcript is kept in NAME.expected
# and rewritten only by `make guests-expected`.
#
#   make test-guests                 every test guest: trapsim (bare, and --vmm --isa pg)
#                                    == QEMU == NAME.expected
#   make test-guests TRAPSIM_FLAGS='--vmm --isa pg'   the same with extra trapsim flags
#   make guests-expected             rewrite tests/guests/*.expected from QEMU
TG_NAMES   := basic flags segments tf-emul fwait tswitch rep-int smc reload kstate kgs xlate
TG_DIR     := $(GUEST_DIR)/tests
TG_IMAGES  := $(TG_NAMES:%=$(TG_DIR)/%.elf)
# Guests that use what QEMU's TCG does not have (VMX): compared with their
# stored trapsim transcript only (test-trapsim-only).
TG_TRAPSIM_ONLY := minivisor
TG_LIB_OBJS := $(TG_DIR)/obj/lib/start.o $(TG_DIR)/obj/lib/probes.o $(TG_DIR)/obj/lib/rt.o
TG_LDS     := tests/guests/lib/guest.ld
TG_CFLAGS  := $(GUEST_CFLAGS) -Itests/guests/lib -MMD -MP
TG_LDFLAGS := $(GUEST_LDFLAGS) --no-warn-rwx-segments -z noexecstack -T $(TG_LDS)
GUESTS     += $(TG_IMAGES) $(TG_TRAPSIM_ONLY:%=$(TG_DIR)/%.elf)

$(TG_DIR)/obj/%.o: tests/guests/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(TG_CFLAGS) -c $< -o $@

$(TG_DIR)/obj/%.S.o: tests/guests/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(TG_CFLAGS) -c $< -o $@

$(TG_DIR)/obj/lib/%.o: tests/guests/lib/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(TG_CFLAGS) -c $< -o $@

# One image per guest: the objects of whichever of NAME.c and NAME.S exist
# in directory $(2), linked with the runtime into $(3)/NAME.elf.
define TG_IMAGE_RULE
$(3)/$(1).elf: $(patsubst $(2)/%.c,$(3)/obj/%.o,$(patsubst $(2)/%.S,$(3)/obj/%.S.o,$(wildcard $(2)/$(1).c $(2)/$(1).S))) $(TG_LIB_OBJS) $(TG_LDS)
	$$(LD) $$(TG_LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(GUEST_LIBGCC)
endef
$(foreach n,$(TG_NAMES) $(TG_TRAPSIM_ONLY),$(eval $(call TG_IMAGE_RULE,$(n),tests/guests,$(TG_DIR))))

# basic also runs once with a command line, which it prints (after the image
# path that QEMU, like GRUB, puts first).
TG_ARGS := hello  world

# tg_each CMD: runs CMD EXPECTED IMAGE [CMDLINE] for every run of a test guest.
define tg_each
	for n in $(TG_NAMES); do $(1) tests/guests/$$n.expected $(TG_DIR)/$$n.elf; done; \
	$(1) tests/guests/basic-args.expected $(TG_DIR)/basic.elf '$(TG_ARGS)'
endef

.PHONY: test-guests guests-expected
# Without TRAPSIM_FLAGS every guest runs twice: bare, and under the VMM with
# the pg profile (PLATFORM.md: the same transcript as on QEMU).
TG_FLAG_SETS = $(if $(TRAPSIM_FLAGS),'$(TRAPSIM_FLAGS)','' '--vmm --isa pg')
test-guests: $(TRAPSIM) $(TG_IMAGES)
	@runs=0; failed=0; \
	for flags in $(TG_FLAG_SETS); do \
	one() { runs=$$((runs + 1)); \
	  TRAPSIM='$(TRAPSIM)' TRAPSIM_FLAGS="$$flags" \
	  bash tests/guests/compare.sh --expected "$$@" || failed=$$((failed + 1)); }; \
	$(call tg_each,one); \
	done; \
	echo "test-guests: $$((runs - failed)) passed, $$failed failed"; \
	[ $$failed = 0 ]
TEST_TARGETS += test-guests

guests-expected: $(TG_IMAGES) $(TG_TRAPSIM_ONLY:%=$(TG_DIR)/%.elf) $(TRAPSIM)
	@set -e; one() { bash tests/guests/compare.sh --save-expected "$$@"; }; \
	$(call tg_each,one); \
	for n in $(TG_TRAPSIM_ONLY); do \
	  TRAPSIM='$(TRAPSIM)' bash tests/guests/compare.sh --no-qemu --save-expected tests/guests/$$n.expected $(TG_DIR)/$$n.elf; \
	done

# The trapsim-only guests: trapsim bare against the stored transcript
# (minivisor: a hypervisor with VMX; QEMU's TCG has no VMX).
.PHONY: test-trapsim-only
test-trapsim-only: $(TRAPSIM) $(TG_TRAPSIM_ONLY:%=$(TG_DIR)/%.elf)
	@set -e; for n in $(TG_TRAPSIM_ONLY); do \
	  TRAPSIM='$(TRAPSIM)' bash tests/guests/compare.sh --no-qemu --expected tests/guests/$$n.expected $(TG_DIR)/$$n.elf; \
	done
TEST_TARGETS += test-trapsim-only

# --vmm=vtx: every test guest and every guestos case under trapsim's VMX
# hypervisor, --isa x86, against the stored QEMU transcripts (the same as
# bare: the guest runs unchanged at its own rings in non-root operation);
# and tests/vmx/same-as-bare.sh: the same traps at the same instructions.
VTX_FLAGS := --vmm=vtx --isa x86
.PHONY: test-vtx
test-vtx: $(TRAPSIM) $(TG_IMAGES) $(GUESTOS_ELF) $(GUESTOS_KPRIME_ELF)
	@runs=0; failed=0; \
	one() { runs=$$((runs + 1)); \
	  TRAPSIM='$(TRAPSIM)' TRAPSIM_FLAGS='$(VTX_FLAGS)' \
	  bash tests/guests/compare.sh --no-qemu --expected "$$@" || failed=$$((failed + 1)); }; \
	$(call tg_each,one); \
	echo "test-vtx: guests $$((runs - failed)) passed, $$failed failed"; \
	NO_QEMU=1 TRAPSIM='$(TRAPSIM)' TRAPSIM_VMM_FLAGS='$(VTX_FLAGS)' bash guestos/check.sh $(GUESTOS_ELF) && \
	bash tests/vmx/same-as-bare.sh '$(TRAPSIM)' $(GUESTOS_ELF) && \
	[ $$failed = 0 ]
TEST_TARGETS += test-vtx

# --vmm=dbt: every test guest and every guestos case under the binary
# translator, --isa x86, against the stored QEMU transcripts, apart from the
# user-mode (ring 3) probe values listed in tests/dbt/ring3-leaks.txt; each
# twice: with the default translation cache and with a tiny one that
# flushes all the time (the same transcript).
DBT_FLAGS := --vmm=dbt --isa x86
DBT_TINY  := --tc-size 4K
.PHONY: test-dbt
test-dbt: $(TRAPSIM) $(TG_IMAGES) $(GUESTOS_ELF) $(GUESTOS_KPRIME_ELF)
	@runs=0; failed=0; \
	for tc in '' '$(DBT_TINY)'; do \
	one() { runs=$$((runs + 1)); \
	  TRAPSIM='$(TRAPSIM)' TRAPSIM_FLAGS="$(DBT_FLAGS) $$tc" \
	  bash tests/dbt/dbt-compare.sh "$$(basename "$$1" .expected)" "$$@" || failed=$$((failed + 1)); }; \
	$(call tg_each,one); \
	NO_QEMU=1 TRAPSIM='$(TRAPSIM)' TRAPSIM_VMM_FLAGS="$(DBT_FLAGS) $$tc" bash guestos/check.sh $(GUESTOS_ELF) || \
	  failed=$$((failed + 1)); \
	done; \
	echo "test-dbt: $$((runs - failed)) guest runs passed, $$failed failed (guestos included)"; \
	[ $$failed = 0 ]
TEST_TARGETS += test-dbt

-include $(wildcard $(TG_DIR)/obj/*.d $(TG_DIR)/obj/lib/*.d)

# microbench: Adams & Agesen's microbenchmarks for `trapsim compare`
# (app/compare.h); not a QEMU-compared guest (its markers are trapsim's).
# It paravirtualizes itself under --vmm=pv: it and the runtime are built
# with RT_PV (rt.h), in obj/pv/, so the other guests' images stay as they are.
TG_PV_OBJS := $(TG_DIR)/obj/pv/microbench.o $(TG_DIR)/obj/pv/microbench.S.o \
              $(TG_DIR)/obj/pv/lib/start.o $(TG_DIR)/obj/pv/lib/probes.o $(TG_DIR)/obj/pv/lib/rt.o
$(TG_DIR)/obj/pv/%.o: tests/guests/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(TG_CFLAGS) -DRT_PV -c $< -o $@
$(TG_DIR)/obj/pv/%.S.o: tests/guests/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(TG_CFLAGS) -DRT_PV -c $< -o $@
$(TG_DIR)/obj/pv/lib/%.o: tests/guests/lib/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(TG_CFLAGS) -DRT_PV -c $< -o $@
$(TG_DIR)/microbench.elf: $(TG_PV_OBJS) $(TG_LDS)
	$(LD) $(TG_LDFLAGS) -o $@ $(filter %.o,$^) $(GUEST_LIBGCC)
-include $(wildcard $(TG_DIR)/obj/pv/*.d $(TG_DIR)/obj/pv/lib/*.d)
GUESTS += $(TG_DIR)/microbench.elf
