# Unit tests: every tests/unit/test_NAME.c is its own libcheck program,
# linked against the simulator library, and `make test` runs each.
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIBTRAPSIM)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LIBTRAPSIM) $(CHECK_LIBS) $(LDFLAGS) $(LDLIBS)

.PHONY: test-unit
# check's own limit per test (4 s) guards against hangs, not speed: the
# sanitizer build runs several times slower, more so on a loaded machine
UNIT_TIMEOUT ?= $(if $(SAN),60,20)
test-unit: $(UNIT_BINS) $(TRAPSIM) guests
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; TRAPSIM=$(TRAPSIM) CK_FORK=yes CK_DEFAULT_TIMEOUT=$(UNIT_TIMEOUT) $$t; done
TEST_TARGETS += test-unit

-include $(UNIT_BINS:=.d)

# Every shell script parses, those make test never runs included (make
# bench's bench/bench.sh once lost a `fi` in a merge and nobody knew).
.PHONY: test-scripts
test-scripts:
	@n=0; bad=0; for f in .ci/run $$(find . -name '*.sh' -not -path './build/*' | sort); do \
	  n=$$((n + 1)); bash -n "$$f" || { echo "test-scripts: $$f does not parse"; bad=$$((bad + 1)); }; \
	done; echo "test-scripts: $$((n - bad)) of $$n shell scripts parse"; [ $$bad = 0 ]
TEST_TARGETS += test-scripts
