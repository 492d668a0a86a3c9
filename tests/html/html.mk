# The HTML view (app/html.h) in headless Chromium: tests/html/test.sh.
#   make test-html     the pages of a few runs and scenarios, checked in the
#                      browser; screenshots in $(BUILD)/html-test/
.PHONY: test-html
test-html: $(TRAPSIM) guests
	@TRAPSIM='$(TRAPSIM)' OUT='$(BUILD)/html-test' bash tests/html/test.sh
TEST_TARGETS += test-html

# The README's pictures of the view (docs/), made again after the view
# changed: scenario popf on its first POPF that did not trap, and
# scenario uber-ola's process lanes; 1280x720, the projector's 16:9.
.PHONY: html-screenshots
html-screenshots: $(TRAPSIM) guests
	@TRAPSIM='$(TRAPSIM)' OUT='$(BUILD)/html-test' DOCS=docs bash tests/html/test.sh --screenshots
