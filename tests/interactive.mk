# Step mode and the GDB stub (app/step.c, app/gdb.c): scripted runs of the
# guest OS. The stub's packet handler also has a unit test,
# tests/unit/test_gdb.c, which test-unit runs.
#   make test-step    tests/step/run.sh: --step/--break/--break-on from a pipe
#   make test-gdb     tests/gdb/run.sh: gdb -batch and a raw-protocol client
.PHONY: test-step test-gdb
test-step: $(TRAPSIM) guests
	@bash tests/step/run.sh $(TRAPSIM) $(GUEST_DIR)/guestos.elf
test-gdb: $(TRAPSIM) guests
	@bash tests/gdb/run.sh $(TRAPSIM) $(GUEST_DIR)/guestos.elf
TEST_TARGETS += test-step test-gdb
