#!/usr/bin/env bash
# `make test-pictures`: every scenario's pictures rendered by Graphviz and
# checked as a projector shows them (tests/pictures/check_svg.py): each SVG
# fits a 16:9 slide 1920 pixels wide with its text at 12 pt or more, the
# labels say what happened, the graph's VM exits agree with the summary, a
# run's last note is whole; and an unwritable picture path is refused before
# the run (one line, status 2); a long run shows progress on a terminal.
#
# Environment: TRAPSIM (default ./trapsim), OUT (default build/pictures-check).
set -u
cd "$(dirname "$0")/../.."
TRAPSIM=${TRAPSIM:-./trapsim}
OUT=${OUT:-build/pictures-check}
rm -rf "$OUT" && mkdir -p "$OUT"
command -v dot >/dev/null 2>&1 || { echo "test-pictures: Graphviz's dot is missing (bash tools/deps.sh)"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "test-pictures: python3 is missing"; exit 1; }
passed=0 failed=0
for f in scenarios/*.scn; do
  n=$(basename "$f" .scn)
  "$TRAPSIM" scenario "$n" --no-color --svg "$OUT/$n.svg" --timeline "$OUT/$n-timeline.svg" >"$OUT/$n.log" 2>&1
  pages=("$OUT/$n-timeline.svg")
  for ((p = 2; ; p++)); do
    [ -f "$OUT/$n-timeline-p$p.svg" ] || break
    pages+=("$OUT/$n-timeline-p$p.svg")
  done
  if python3 tests/pictures/check_svg.py "$OUT/$n.log" "$OUT/$n.svg" "${pages[@]}"; then
    echo "ok   $n: graph and ${#pages[@]} timeline page(s) fit a 16:9 slide"; passed=$((passed + 1))
  else
    echo "FAIL $n"; failed=$((failed + 1))
  fi
done
# an unwritable path: refused before the run
out=$("$TRAPSIM" run --svg /nonexistent-trapsim-dir/x.svg build/guests/guestos.elf 2>&1)
st=$?
if [ $st = 2 ] && [ "$out" = "trapsim: /nonexistent-trapsim-dir/x.svg: cannot write the picture: No such file or directory" ]; then
  echo "ok   an unwritable picture path: one line, status 2, nothing run"; passed=$((passed + 1))
else
  echo "FAIL unwritable path: status $st: $out"; failed=$((failed + 1))
fi
# progress on a long run: on a terminal (script(1) gives one), not in a file
if command -v script >/dev/null 2>&1; then
  cmd="$TRAPSIM run --quiet --dot $OUT/long.dot --cmdline 'procs=isprime n=700000' build/guests/guestos.elf"
  script -qec "$cmd >/dev/null" /dev/null >"$OUT/progress.tty" 2>&1
  eval "$cmd" >/dev/null 2>"$OUT/progress.file"
  if grep -q "trapsim: [0-9]* M instructions, drawing the pictures at the end" "$OUT/progress.tty" &&
     [ ! -s "$OUT/progress.file" ]; then
    echo "ok   progress of a long run on a terminal only"; passed=$((passed + 1))
  else
    echo "FAIL progress: $(cat -v "$OUT/progress.tty" | head -c 300) / $(head -c 300 "$OUT/progress.file")"; failed=$((failed + 1))
  fi
fi
echo "test-pictures: $passed passed, $failed failed"
[ $failed = 0 ]
