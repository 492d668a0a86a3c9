# tests/pictures/: the scenarios' pictures rendered and checked as a
# projector shows them (tests/pictures/check.sh); part of make test.
.PHONY: test-pictures
test-pictures: $(TRAPSIM) guests
	@TRAPSIM='$(TRAPSIM)' OUT='$(BUILD)/pictures-check' bash tests/pictures/check.sh
TEST_TARGETS += test-pictures
