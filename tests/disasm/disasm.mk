# The objdump comparison test: trapsim's instruction lengths and text
# (isa_decode + isa_disasm) against `objdump -D -b binary -m i386` over
#  - a generated corpus holding every row of isa/insn.def in every operand
#    form it has (tests/disasm/gen_corpus.c),
#  - 50000 random instructions (random rows, prefixes and operand bytes,
#    fixed seed), and
#  - the .text of every guest image (GUESTS).
# Included by the top Makefile:  -include tests/disasm/disasm.mk
#
#   make test-disasm                    the comparison (fails on any difference)
#   make test-disasm DISASM_FLAGS=-v    every difference, not the first 40
#   make disasm-listings                both listings side by side in
#                                       $(BUILD)/tests/disasm/listings/
DISASM_DIR     := $(BUILD)/tests/disasm
DISASM_CHECK   := $(DISASM_DIR)/check_disasm
DISASM_GEN     := $(DISASM_DIR)/gen_corpus
DISASM_CORPUS  := $(DISASM_DIR)/corpus.bin
DISASM_RANDOM  := $(DISASM_DIR)/random.bin
DISASM_FLAGS   ?=
# The simulator library, spelled out: this fragment is included before the
# top Makefile defines LIBTRAPSIM, and a rule's prerequisites are expanded
# when it is read.
DISASM_LIB     := $(BUILD)/libtrapsim.a

$(DISASM_CHECK) $(DISASM_GEN): $(DISASM_DIR)/%: tests/disasm/%.c $(DISASM_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(DISASM_LIB) $(LDFLAGS) $(LDLIBS)

$(DISASM_CORPUS): $(DISASM_GEN)
	$(DISASM_GEN) $@

$(DISASM_RANDOM): $(DISASM_GEN)
	$(DISASM_GEN) --random 50000 --seed 1 $@

# The guest images are built first (`guests` lists them all, whichever
# fragment defines them); the ones that are ELF files are compared, except
# the robustness guests, which hold deliberately undefined encodings that a
# newer objdump names (0f 01 ff is AMD's tlbsync, #UD on an i686).
DISASM_GUESTS = $(filter-out $(GUEST_DIR)/robust/%,$(filter %.elf,$(GUESTS)))
.PHONY: test-disasm disasm-listings
test-disasm: $(DISASM_CHECK) $(DISASM_CORPUS) $(DISASM_RANDOM) guests
	bash tests/disasm/compare.sh $(DISASM_FLAGS) $(DISASM_CHECK) $(DISASM_CORPUS) \
	  $(DISASM_RANDOM) $(DISASM_GUESTS)

disasm-listings: $(DISASM_CHECK) $(DISASM_CORPUS) $(DISASM_RANDOM) guests
	-bash tests/disasm/compare.sh -k $(DISASM_DIR)/listings $(DISASM_CHECK) \
	  $(DISASM_CORPUS) $(DISASM_RANDOM) $(DISASM_GUESTS)

TEST_TARGETS += test-disasm

-include $(wildcard $(DISASM_DIR)/*.d)
