# Snapshots and live migration (host/snapshot.h, host/migrate.h): the guest
# they are tested and measured with, and the tests (tests/snapshot/run.sh).
SNAP_GUEST_DIR := $(GUEST_DIR)/snapshot
SNAP_GUEST     := $(SNAP_GUEST_DIR)/memwrite.elf
GUESTS         += $(SNAP_GUEST)

$(SNAP_GUEST_DIR)/obj/%.o: tests/snapshot/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(TG_CFLAGS) -c $< -o $@

$(SNAP_GUEST): $(SNAP_GUEST_DIR)/obj/memwrite.o $(TG_LIB_OBJS) $(TG_LDS)
	$(LD) $(TG_LDFLAGS) -o $@ $(filter %.o,$^) $(GUEST_LIBGCC)

.PHONY: test-snapshot
test-snapshot: $(TRAPSIM) $(SNAP_GUEST) guests
	@TRAPSIM=$(TRAPSIM) bash tests/snapshot/run.sh
TEST_TARGETS += test-snapshot
-include $(SNAP_GUEST_DIR)/obj/memwrite.d
