# The HTML view (app/html.h) in headless Chromium: tests/html/test.sh.
#   make test-html     the pages of a few runs and scenarios, checked in the
#                      browser; screenshots in $(BUILD)/html-test/
.PHONY: test-html
test-html: $(TRAPSIM) guests
	@TRAPSIM='$(TRAPSIM)' OUT='$(BUILD)/html-test' bash tests/html/test.sh
TEST_TARGETS += test-html
