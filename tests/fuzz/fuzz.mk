# Fuzz targets (tests/fuzz/README.md): libFuzzer programs built with clang
# and -fsanitize=fuzzer,address,undefined from the simulator's own sources
# (SIM_SRCS, without trapsim.c), each with a seed corpus in tests/corpus/NAME/.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS='guest loader']
#                            fuzz each target for FUZZ_SECONDS from its corpus
#   make test-fuzz           (in `make test`) replay every seed and regress-*
#                            input, then fuzz each target FUZZ_TEST_SECONDS (5;
#                            0, replay only, under `make sanitize`)
#   make fuzz-seeds          rebuild the generated seeds (tests/fuzz/mkseeds.sh)
#   make fuzz-NAME           build one target: $(BUILD)/fuzz/fuzz_NAME
#
# New inputs go to $(BUILD)/fuzz/corpus/NAME/, crashes to
# $(BUILD)/fuzz/artifacts/NAME/; a crash, once understood, is kept as
# tests/corpus/NAME/regress-WHAT and replayed by test-fuzz for ever.
FUZZ_CC      ?= clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
# under `make sanitize` only the replay: the targets are sanitizer builds anyway
FUZZ_TEST_SECONDS ?= $(if $(SANITIZE_RUN),0,5)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
                -g -O1 -I. -MMD -MP $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LDFLAGS := $(FUZZ_SAN) -fsanitize=fuzzer

# The targets. scenario and gdb need scenario_parse_buf() (app/scenario_file.c)
# and gdb_handle_packet() (app/gdb.c): a tree without them leaves them out.
FUZZ_ALL     := guest loader rawargs vmx pv snapshot kcode
FUZZ_ALL     += $(if $(shell grep -qs 'scenario_parse_buf' app/scenario_file.c && echo 1),scenario)
FUZZ_ALL     += $(if $(shell grep -qs 'gdb_handle_packet' app/gdb.c && echo 1),gdb)
FUZZ_TARGETS ?= $(FUZZ_ALL)

FUZZ_SIM_OBJS := $(filter-out trapsim.c,$(SIM_SRCS))
FUZZ_SIM_OBJS := $(FUZZ_SIM_OBJS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

$(FUZZ_DIR)/obj/%.o: %.c | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

# kcode: the generator of random kernel code is its own module
$(FUZZ_DIR)/fuzz_kcode: $(FUZZ_DIR)/obj/tests/fuzz/kcode_gen.o

.PRECIOUS: $(FUZZ_DIR)/obj/%.o
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_SIM_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: fuzz test-fuzz fuzz-seeds fuzz-deps $(FUZZ_ALL:%=fuzz-%)
$(foreach t,$(FUZZ_ALL),$(eval fuzz-$(t): $(FUZZ_DIR)/fuzz_$(t)))

fuzz-deps:
	@bash tests/fuzz/deps.sh

fuzz: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh --dir $(FUZZ_DIR) --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test-fuzz: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh --dir $(FUZZ_DIR) --seconds $(FUZZ_TEST_SECONDS) $(FUZZ_TARGETS)
TEST_TARGETS += test-fuzz

fuzz-seeds: $(GUESTS)
	bash tests/fuzz/mkseeds.sh

-include $(wildcard $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/obj/tests/fuzz/*.d)
