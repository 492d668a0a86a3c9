# trapsim compare (app/compare.h): the microbenchmark table.
#   make test-compare   the counts (scenario compare) against
#                       scenarios/compare.expected; the CSV has a row per
#                       operation and technique, the same counts
.PHONY: test-compare
test-compare: $(TRAPSIM) guests
	@$(TRAPSIM) scenario compare --check
	@TRAPSIM='$(TRAPSIM)' bash tests/compare/csv.sh
TEST_TARGETS += test-compare
