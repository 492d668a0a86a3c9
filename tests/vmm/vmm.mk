# tests/vmm: tests that the VMM can fail (see tests/vmm/README.md).
#
#   make test-vmm     transcripts of guestos under --vmm with the x86, pg and
#                     umip profiles against the bare ones (the documented
#                     differences and nothing else), and the attack guest
#
# The attack guest is built with the test guests' runtime (tests/guests/lib,
# so this fragment comes after tests/guests/guests.mk) into
# $(GUEST_DIR)/vmm/attack.elf.
VT_DIR    := $(GUEST_DIR)/vmm
# Guests that print the same bare, on QEMU and under the VMM with every
# profile (check.sh part 6; tests/vmm/NAME.expected is QEMU's record).
VT_SAME   := ring2 gdt-end gdt-vmmarea tsd expdown
VT_IMAGES := $(VT_DIR)/attack.elf $(VT_SAME:%=$(VT_DIR)/%.elf)
GUESTS    += $(VT_IMAGES)

$(VT_DIR)/obj/%.o: tests/vmm/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(TG_CFLAGS) -c $< -o $@

$(VT_DIR)/obj/%.S.o: tests/vmm/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(TG_CFLAGS) -c $< -o $@

$(foreach n,attack $(VT_SAME),$(eval $(call TG_IMAGE_RULE,$(n),tests/vmm,$(VT_DIR))))

.PHONY: test-vmm
test-vmm: $(TRAPSIM) $(VT_IMAGES) $(GUEST_DIR)/guestos.elf
	@TRAPSIM='$(TRAPSIM)' VT_SAME='$(VT_SAME)' bash tests/vmm/check.sh
TEST_TARGETS += test-vmm

-include $(wildcard $(VT_DIR)/obj/*.d)
