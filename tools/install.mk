# The man page and installation (README, "Installing").
#
#   make man                        $(BUILD)/trapsim.1 from --help by help2man
#   make install PREFIX=DIR         DIR/bin/trapsim, its man page, bash completion,
#                                   and DIR/share/trapsim: the scenarios and the
#                                   guest images they run (default PREFIX /usr/local)
#   make uninstall PREFIX=DIR
PREFIX  ?= /usr/local
DESTDIR ?=
MAN_PAGE := $(BUILD)/trapsim.1
SHARE    = $(DESTDIR)$(PREFIX)/share/trapsim

# every image a scenario runs (its 'image =' lines), installed where the scenario names it
SCENARIO_IMAGES = $(sort $(shell sed -n 's|^image *= *||p' scenarios/*.scn))

.PHONY: man install uninstall test-install
man: $(MAN_PAGE)
$(MAN_PAGE): $(TRAPSIM) tools/man.sh
	bash tools/man.sh $(TRAPSIM) $@

install: $(TRAPSIM) guests $(MAN_PAGE)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(SHARE)/scenarios
	install -m 755 $(TRAPSIM) $(DESTDIR)$(PREFIX)/bin/trapsim
	install -m 644 $(MAN_PAGE) $(DESTDIR)$(PREFIX)/share/man/man1/trapsim.1
	install -m 644 tools/completion/trapsim.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/trapsim
	install -m 644 scenarios/*.scn scenarios/*.expected scenarios/*.dot scenarios/README.md $(SHARE)/scenarios/
	@set -e; for img in $(SCENARIO_IMAGES); do install -D -m 644 $$img $(SHARE)/$$img; done
	@echo "install: $(DESTDIR)$(PREFIX)/bin/trapsim, man trapsim, scenarios in $(SHARE)"

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/trapsim $(DESTDIR)$(PREFIX)/share/man/man1/trapsim.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/trapsim
	rm -rf $(SHARE)

# An install into a scratch PREFIX: the installed trapsim finds its scenarios,
# every one passes --check, the man page names every run option, completion works.
test-install: $(TRAPSIM) guests
	@TRAPSIM='$(TRAPSIM)' OUT='$(BUILD)/install-check' bash tools/test_install.sh
TEST_TARGETS += test-install
