# Robustness tests (tests/robust/README.md): bad input everywhere, guests that
# attack the machine (containment), and valgrind over a few runs.
#
#   make test-robust      bad_input.sh, containment.sh, statuses.sh (part of make test)
#   make test-valgrind    ./trapsim run and raw under valgrind (part of make test)
#   make robust-guests    the containment guests, $(GUEST_DIR)/robust/NAME.elf
RB_DIR    := $(GUEST_DIR)/robust
RB_NAMES  := $(basename $(notdir $(wildcard tests/robust/guests/*.S)))
RB_IMAGES := $(RB_NAMES:%=$(RB_DIR)/%.elf)
RB_LDS    := tests/guests/lib/guest.ld
GUESTS    += $(RB_IMAGES)

$(RB_DIR)/%.o: tests/robust/guests/%.S tests/robust/guests/mb.h tests/robust/guests/isolation.h
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

.PRECIOUS: $(RB_DIR)/%.o
$(RB_DIR)/%.elf: $(RB_DIR)/%.o $(RB_LDS)
	$(LD) $(GUEST_LDFLAGS) --no-warn-rwx-segments -z noexecstack -T $(RB_LDS) -o $@ $<

.PHONY: test-robust test-valgrind robust-guests
robust-guests: $(RB_IMAGES)

test-robust: $(TRAPSIM) $(RB_IMAGES) $(GUESTS)
	@TRAPSIM=$(TRAPSIM) bash tests/robust/bad_input.sh
	@TRAPSIM=$(TRAPSIM) GDIR=$(RB_DIR) bash tests/robust/containment.sh
	@TRAPSIM=$(TRAPSIM) GDIR=$(RB_DIR) bash tests/robust/statuses.sh
	@TRAPSIM=$(TRAPSIM) GDIR=$(RB_DIR) bash tests/robust/isolation.sh
TEST_TARGETS += test-robust

# valgrind on the plain build only: under `make sanitize` ASan is in charge
test-valgrind: $(TRAPSIM) $(RB_IMAGES) $(GUESTS)
	@TRAPSIM=$(TRAPSIM) GDIR=$(RB_DIR) bash tests/robust/valgrind.sh
TEST_TARGETS += $(if $(SAN),,test-valgrind)
