#!/usr/bin/env bash
# The HTML view in a real browser (make test-html): writes the pages of a
# few runs and scenarios, opens each in headless Chromium with #selftest (the
# page then steps, clicks, zooms and reports what it shows in one line, see
# app/html_view.js) and checks that line: no console error, the lanes, the
# number of event marks (for a run: the number of lines of its text trace at
# the same levels), that stepping and clicking move the selection, the
# embedded graph; with PROCS=N, N process lanes in ring 3 and, for a run,
# each system call in the lane of its process (the kernel stack it landed
# on, from the text trace). Saves screenshots of three of the pages in $OUT.
#   TRAPSIM=./trapsim OUT=build/html-test bash tests/html/test.sh
set -u
TRAPSIM=${TRAPSIM:-./trapsim}
OUT=${OUT:-build/html-test}
OS=build/guests/guestos.elf
MAX_MARKS=5000   # HTML_MAX_MARKS (app/html.h)
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then
  echo "test-html: FAIL: no Chromium to test the HTML view in. Run: sudo apt-get install -y chromium" >&2
  exit 1
fi
mkdir -p "$OUT"
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
CHROME=("$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars
        --user-data-dir="$PROFILE" --window-size=1600,900)

# --screenshots (make html-screenshots): the README's pictures into $DOCS
if [ "${1:-}" = --screenshots ]; then
  # docshot SCENARIO EVENT PNG: the scenario's page at 1280x720, on event EVENT
  docshot() {
    "$TRAPSIM" scenario "$1" --html "$OUT/doc-$1.html" >/dev/null &&
      timeout 60 "${CHROME[@]}" --window-size=1280,720 --screenshot="$DOCS/$3" "file://$(realpath "$OUT/doc-$1.html")#event=$2" \
        >/dev/null 2>&1 && echo "html-screenshots: $DOCS/$3"
  }
  docshot popf 291 html-view.png && docshot uber-ola 136 html-view-processes.png
  exit
fi
fails=0
fail() { echo "test-html: FAIL: $*"; fails=$((fails + 1)); }

# selftest PAGE: the page's self-test line ("lanes=4 marks=12 ...")
selftest() {
  timeout 60 "${CHROME[@]}" --dump-dom "file://$(realpath "$1")#selftest" 2>/dev/null |
    grep -o 'selftest lanes=[^<]*' | head -1 | sed 's/^selftest //'
}
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }

# check NAME PAGE LANES MARKS [PGMARKS]: what the page shows (PROCS: its
# process lanes; SYSCALLS: "KEY:N/..." the INT n marks in each, any order)
check() {
  local name=$1 page=$2 lanes=$3 marks=$4 pg=${5:-}
  local st
  st=$(selftest "$page")
  if [ -z "$st" ]; then fail "$name: $page did not load or ran no self-test"; return; fi
  local ok=1
  [ "$(field "$st" errors)" = 0 ] || { fail "$name: console errors: $st"; ok=0; }
  [ "$(field "$st" lanes)" = "$lanes" ] || { fail "$name: lanes $(field "$st" lanes), want $lanes"; ok=0; }
  [ "$(field "$st" marks)" = "$marks" ] || { fail "$name: event marks $(field "$st" marks), want $marks"; ok=0; }
  [ -z "$pg" ] || [ "$(field "$st" pgmarks)" = "$pg" ] || { fail "$name: PG marks $(field "$st" pgmarks), want $pg"; ok=0; }
  [ -z "${PROCS:-}" ] || [ "$(field "$st" procs)" = "$PROCS" ] ||
    { fail "$name: process lanes $(field "$st" procs), want $PROCS"; ok=0; }
  [ -z "${SYSCALLS:-}" ] || [ "$(field "$st" syscalls | tr / '\n' | sort | paste -sd/)" = "$SYSCALLS" ] ||
    { fail "$name: system calls by process lane $(field "$st" syscalls), want $SYSCALLS (the trace's)"; ok=0; }
  [ "$(field "$st" step)" = 0,1,0 ] || { fail "$name: the arrow keys did not step 0 -> 1 -> 0: $st"; ok=0; }
  [ "$(field "$st" click)" = 2 ] && [ "$(field "$st" selected)" = 2 ] || { fail "$name: a click did not select event 2: $st"; ok=0; }
  [ "$(field "$st" detail)" = ok ] || { fail "$name: the detail is not the selected event's trace line"; ok=0; }
  [ "$(field "$st" zoom)" = ok ] || { fail "$name: zooming in did not narrow the axis"; ok=0; }
  [ "$(field "$st" graph)" = svg ] || { fail "$name: no trap-flow graph in the page"; ok=0; }
  [ -z "${SHOT:-}" ] || timeout 60 "${CHROME[@]}" --screenshot="$OUT/$name.png" "file://$(realpath "$page")" >/dev/null 2>&1 ||
    { fail "$name: no screenshot"; ok=0; }
  [ $ok = 1 ] && echo "test-html: $name: ok ($st${SHOT:+; $OUT/$name.png})"
}

# trace_syscalls TRACE: "KEY:N/..." (sorted): the INT n from ring 3 by the
# kernel stack they land on (hex), which the page calls its processes' keys.
# Read from the frame: the stack after the 5 dwords pushed, on the trap
# line, or, when the CPU went to a ring-0 VMM's stack (fff0:), on the line
# the VMM forwards it to the guest kernel with.
trace_syscalls() {
  awk '/^[0-9]+ r3 trap  int 0x/ { want = 1 }
       want && /stack / { s = $0; sub(/.*stack /, "", s); if (s !~ /^fff0:/) { print substr(s, 6, 8); want = 0 } }' "$1" |
    while read -r esp; do printf '%08x\n' $((16#$esp + 20)); done | sort | uniq -c | awk '{ print $2 ":" $1 }' | paste -sd/
}

# run NAME LANES ARGS...: a run's page, its marks counted from its text trace
run() {
  local name=$1 lanes=$2
  shift 2
  local n pg
  "$TRAPSIM" run "$@" --quiet --html "$OUT/$name.html" --trace=trap,io,vmm,pg,vmx --trace-file "$OUT/$name.trace" >/dev/null 2>"$OUT/$name.stderr"
  n=$(grep -c '^[0-9]' "$OUT/$name.trace")
  pg=$(grep -c '^[0-9]* r[0-3] pg ' "$OUT/$name.trace")
  [ "$n" -gt "$MAX_MARKS" ] && n=$MAX_MARKS
  SYSCALLS=$(trace_syscalls "$OUT/$name.trace") check "$name" "$OUT/$name.html" "$lanes" "$n" "$pg"
}

# a lane per process: bare (3 + kernel, devices), under te (2 + kernel, VMM, devices)
SHOT=1 PROCS=3 run bare-procs 5 "$OS" --cmdline procs=sleeper,hello,counter
PROCS=2 run te-procs 5 "$OS" --vmm --isa pg --cmdline procs=hello,sleeper
SHOT=1 PROCS=1 run te-popf-x86 4 "$OS" --vmm --isa x86 --expose-pg --cmdline procs=sleeper

# scenario NAME LANES: a scenario's page; its marks are every event it kept
scenario() {
  local name=$1 lanes=$2
  "$TRAPSIM" scenario "$name" --html "$OUT/scenario-$name.html" >/dev/null
  local kept
  kept=$(grep -o '^\[[0-9]*,' "$OUT/scenario-$name.html" | wc -l)
  check "scenario-$name" "$OUT/scenario-$name.html" "$lanes" "$kept"
}
PROCS=1 scenario popf 4
# two runs: one OS with 5 processes (7 lanes), then two VMs under the VMM
# with 4 processes and 1 (7 lanes and 4)
SHOT=1 PROCS=10 scenario uber-ola 18
# a long run: each VM's first HTML_MAX_MARKS events are marks, the rest counted
if ! grep -q '"hidden":{"[a-z]' "$OUT/scenario-uber-ola.html"; then
  fail "scenario-uber-ola: more than $MAX_MARKS events, but the page counts none as not shown"
fi

[ $fails = 0 ] || { echo "test-html: $fails failed"; exit 1; }
echo "test-html: every page ok"
