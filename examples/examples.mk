# examples/: guests to start from (README, "Writing a guest"). Each builds
# with its own Makefile; make builds them into $(BUILD)/examples/ and
# make test checks them:
#   test-examples   hello's transcript on trapsim (bare and --vmm --isa pg)
#                   == QEMU == examples/hello/hello.expected, and the README's
#                   recipe run as written (tests/examples/recipe.sh)
EXAMPLE_HELLO := $(BUILD)/examples/hello/hello.elf
GUESTS += $(EXAMPLE_HELLO)

$(EXAMPLE_HELLO): $(wildcard examples/hello/*.S examples/hello/*.c) examples/hello/link.ld examples/hello/Makefile
	@mkdir -p $(@D)
	$(MAKE) -s -C examples/hello OUT=$(abspath $(@D))

.PHONY: test-examples examples-expected
test-examples: $(TRAPSIM) $(EXAMPLE_HELLO)
	@set -e; for flags in '' '--vmm --isa pg'; do \
	  TRAPSIM='$(TRAPSIM)' TRAPSIM_FLAGS="$$flags" \
	    bash tests/guests/compare.sh --expected examples/hello/hello.expected $(EXAMPLE_HELLO); \
	done; TRAPSIM='$(TRAPSIM)' bash tests/examples/recipe.sh
TEST_TARGETS += test-examples

examples-expected: $(EXAMPLE_HELLO)
	bash tests/guests/compare.sh --save-expected examples/hello/hello.expected $(EXAMPLE_HELLO)
