#!/usr/bin/env bash
# The scenario checks behind `make test-scenarios` (and `make pictures`).
#
#   bash scenarios/test.sh              check every scenario (below)
#   bash scenarios/test.sh --pictures   render every scenario's pictures
#   bash scenarios/test.sh NAME...      only these
#
# For each scenario NAME:
#   1. `trapsim scenario NAME --check`: the log equals NAME.expected and the
#      trap-flow graph NAME.dot (exit status 0);
#   2. two more runs give byte-identical logs, graphs and timelines;
#   3. Graphviz's `dot -Tsvg` accepts the graph and the timeline;
#   4. its pg lines fit 160 columns.
# Then the checks of the command itself: a changed expected log is a mismatch (status 12) with a
# diff, a missing one and a broken scenario file are errors (status 2).
#
# Environment: TRAPSIM (default ./trapsim), OUT (default build/scenario-checks).
set -u
cd "$(dirname "$0")/.."
TRAPSIM=${TRAPSIM:-./trapsim}
OUT=${OUT:-build/scenario-checks}
mkdir -p "$OUT"
pictures=0
if [ "${1:-}" = --pictures ]; then pictures=1; shift; fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in scenarios/*.scn; do names+=("$(basename "$f" .scn)"); done
fi

passed=0 failed=0
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

if ! command -v dot >/dev/null 2>&1; then
  echo "test-scenarios: Graphviz's dot is missing (apt-get install graphviz, or: bash tools/deps.sh)"
  exit 1
fi

if [ $pictures = 1 ]; then
  for n in "${names[@]}"; do
    "$TRAPSIM" scenario "$n" --no-color --svg "$OUT/$n.svg" --timeline "$OUT/$n-timeline.svg" \
      >"$OUT/$n.log" 2>"$OUT/$n.err"
    if [ $? = 2 ] || [ -s "$OUT/$n.err" ]; then fail "$n" "$(cat "$OUT/$n.err")"; continue; fi
    rm -f "$OUT/$n.err"
    echo "$OUT/$n.svg $OUT/$n-timeline.svg"
    passed=$((passed + 1))
  done
  echo "pictures: $passed passed, $failed failed"
  [ $failed = 0 ]
  exit
fi

for n in "${names[@]}"; do
  "$TRAPSIM" scenario "$n" --check --dot "$OUT/$n.dot" --timeline "$OUT/$n-timeline.dot" >"$OUT/$n.check" 2>&1
  st=$?
  if [ $st != 0 ]; then
    head -c 20000 "$OUT/$n.check"
    fail "$n" "--check exited with status $st"
    continue
  fi
  ok=1
  for run in 1 2; do
    "$TRAPSIM" scenario "$n" --no-color --dot "$OUT/$n.run$run.dot" \
      --timeline "$OUT/$n-timeline.run$run.dot" >"$OUT/$n.run$run" 2>&1
  done
  for f in "" .dot -timeline.dot; do
    a="$OUT/$n.run1$f" b="$OUT/$n.run2$f"
    [ "$f" = -timeline.dot ] && a="$OUT/$n-timeline.run1.dot" b="$OUT/$n-timeline.run2.dot"
    cmp -s "$a" "$b" || { fail "$n" "two runs differ: $a $b"; ok=0; }
  done
  cmp -s "$OUT/$n.run1" "scenarios/$n.expected" || { fail "$n" "the plain log differs from scenarios/$n.expected"; ok=0; }
  long=$(awk '/^[0-9]{10} r[0-9] pg / && length > 160 { print NR": "length" columns" }' "$OUT/$n.run1" | head -3)
  [ -z "$long" ] || { fail "$n" "pg lines wider than 160 columns: $long"; ok=0; }
  cmp -s "$OUT/$n.dot" "$OUT/$n.run1.dot" || { fail "$n" "--dot differs from the graph --check compared"; ok=0; }
  for d in "$OUT/$n.dot" "$OUT/$n-timeline.dot"; do
    dot -Tsvg "$d" -o "${d%.dot}.svg" 2>"$OUT/$n.doterr" && [ ! -s "$OUT/$n.doterr" ] ||
      { fail "$n" "dot -Tsvg $d: $(cat "$OUT/$n.doterr")"; ok=0; }
  done
  if [ $ok = 1 ]; then echo "ok   $n"; passed=$((passed + 1)); fi
done

# The command's own failures, on a copy of lde in a scenarios folder of our
# own (TRAPSIM_SCENARIOS).
if [ -f scenarios/lde.expected ]; then
  tmp="$OUT/selftest"
  rm -rf "$tmp" && mkdir -p "$tmp"
  cp scenarios/lde.scn scenarios/lde.expected scenarios/lde.dot "$tmp/"
  sed -i '20s/.*/0000000000 r0 trap  this line was changed/' "$tmp/lde.expected"
  TRAPSIM_SCENARIOS="$tmp" "$TRAPSIM" scenario lde --check >"$tmp/out" 2>&1
  st=$?
  if [ $st = 12 ] && grep -q "first difference at line 20 of $tmp/lde.expected" "$tmp/out" &&
     grep -q '^-0000000000 r0 trap  this line was changed' "$tmp/out" && grep -q '^@@ ' "$tmp/out"; then
    echo "ok   --check: a changed expected log is a mismatch (12) with a diff"; passed=$((passed + 1))
  else
    cat "$tmp/out"; fail "--check" "a changed log gave status $st, or no diff"
  fi
  rm "$tmp/lde.expected"
  TRAPSIM_SCENARIOS="$tmp" "$TRAPSIM" scenario lde --check >"$tmp/out" 2>&1
  st=$?
  if [ $st = 2 ] && grep -q "lde.expected: no expected log" "$tmp/out"; then
    echo "ok   --check: a missing expected log is an error (2)"; passed=$((passed + 1))
  else
    cat "$tmp/out"; fail "--check" "a missing expected log gave status $st"
  fi
  printf 'description = x\nimage = build/guests/guestos.elf\n\nfoo = 1\n' >"$tmp/broken.scn"
  TRAPSIM_SCENARIOS="$tmp" "$TRAPSIM" scenario broken >"$tmp/out" 2>&1
  st=$?
  if [ $st = 2 ] && [ "$(cat "$tmp/out")" = "trapsim: $tmp/broken.scn:4: unknown key 'foo'" ]; then
    echo "ok   a broken scenario file: one line naming file and line, status 2"; passed=$((passed + 1))
  else
    cat "$tmp/out"; fail "broken.scn" "status $st"
  fi
fi

echo "test-scenarios: $passed passed, $failed failed"
[ $failed = 0 ]
