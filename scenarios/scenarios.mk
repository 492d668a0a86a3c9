# scenarios/: the teaching scenarios (scenarios/README.md), included by the
# top Makefile.
#
#   make test-scenarios   every scenario: --check against NAME.expected and
#                         NAME.dot, run twice and compared byte for byte, and
#                         its pictures accepted by Graphviz (part of make test)
#   make pictures         NAME.svg and NAME-timeline.svg for every scenario in
#                         $(BUILD)/pictures/
#   make scenarios-expected   rewrite every NAME.expected and NAME.dot (then
#                         read the diff: the logs are what the class sees)
SCENARIO_NAMES := $(sort $(basename $(notdir $(wildcard scenarios/*.scn))))

.PHONY: test-scenarios pictures scenarios-expected
test-scenarios: $(TRAPSIM) guests
	@TRAPSIM='$(TRAPSIM)' OUT='$(BUILD)/scenario-checks' bash scenarios/test.sh
TEST_TARGETS += test-scenarios

pictures: $(TRAPSIM) guests
	@TRAPSIM='$(TRAPSIM)' OUT='$(BUILD)/pictures' bash scenarios/test.sh --pictures

scenarios-expected: $(TRAPSIM) guests
	@set -e; for n in $(SCENARIO_NAMES); do $(TRAPSIM) scenario $$n --update; done
