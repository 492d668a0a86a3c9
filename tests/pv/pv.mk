# --vmm=pv (vmm/pv.c): every guestos case paravirtualized, against the
# stored QEMU transcripts (the same as bare); the default case again with
# the fast system-call trap off (fasttrap=0); and the refusal of every guest
# kernel that does not paravirtualize (tests/pv/refusals.sh).
PV_FLAGS := --vmm=pv
.PHONY: test-pv
test-pv: $(TRAPSIM) $(TG_IMAGES) $(GUESTOS_ELF)
	@NO_QEMU=1 TRAPSIM='$(TRAPSIM)' TRAPSIM_VMM_FLAGS='$(PV_FLAGS)' bash guestos/check.sh $(GUESTOS_ELF)
	@t=$$($(TRAPSIM) run --quiet $(PV_FLAGS) --cmdline fasttrap=0 $(GUESTOS_ELF) </dev/null; echo "exit status $$?"); \
	  if [ "$$t" = "$$(cat guestos/expected/default.txt)" ]; then echo "test-pv: ok default with fasttrap=0"; \
	  else echo "test-pv: FAIL default with fasttrap=0"; diff guestos/expected/default.txt <(printf '%s\n' "$$t"); exit 1; fi
	@TRAPSIM='$(TRAPSIM)' bash tests/pv/refusals.sh
TEST_TARGETS += test-pv
