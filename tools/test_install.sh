#!/usr/bin/env bash
# `make test-install`: make install into a scratch PREFIX, then the installed
# trapsim runs every built-in scenario (--check) from another directory, its
# man page documents the run options, and bash completion offers commands,
# options and scenario names.
# Environment: TRAPSIM (default ./trapsim), OUT (default build/install-check).
set -u
cd "$(dirname "$0")/.."
TRAPSIM=${TRAPSIM:-./trapsim}
OUT=${OUT:-build/install-check}
rm -rf "$OUT" && mkdir -p "$OUT"
prefix=$(realpath "$OUT")/prefix
failed=0
fail() { echo "FAIL install: $*"; failed=$((failed + 1)); }
make -s install PREFIX="$prefix" TRAPSIM="$TRAPSIM" >"$OUT/install.log" 2>&1 || { cat "$OUT/install.log"; fail "make install"; exit 1; }
for f in bin/trapsim share/man/man1/trapsim.1 share/bash-completion/completions/trapsim; do
  [ -f "$prefix/$f" ] || fail "$f missing"
done
for n in $(ls scenarios/*.scn | xargs -n1 basename | sed 's/\.scn$//'); do
  (cd /tmp && "$prefix/bin/trapsim" scenario "$n" --check) >"$OUT/$n.out" 2>&1 || fail "scenario $n --check: $(tail -n 2 "$OUT/$n.out")"
done
man_text=$(MANWIDTH=200 man -l "$prefix/share/man/man1/trapsim.1" 2>/dev/null || cat "$prefix/share/man/man1/trapsim.1")
for opt in --vmm --isa --success-exit --svg --timeline --step --gdb; do
  grep -q -- "$opt" <<<"$man_text" || fail "the man page does not name $opt"
done
comp() {   # comp WORDS...: what completion offers for the last word
  PATH="$prefix/bin:$PATH" bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _trapsim; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$prefix/share/bash-completion/completions/trapsim" "$@"
}
[ "$(comp trapsim sc)" = scenario ] || fail "completion of 'trapsim sc': $(comp trapsim sc)"
comp trapsim scenario po | grep -qx popf-pg || fail "completion of scenario names: $(comp trapsim scenario po)"
comp trapsim run --succ | grep -qx -- --success-exit || fail "completion of run options"
comp trapsim run --isa "" | grep -qx umip || fail "completion of --isa"
[ $failed = 0 ] && echo "ok   make install PREFIX=...: scenarios run from the installed trapsim, man page, bash completion"
[ $failed = 0 ]
