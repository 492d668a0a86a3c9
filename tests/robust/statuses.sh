#!/usr/bin/env bash
# The README's exit-status table against trapsim (tests/robust/README.md):
# every status the table lists has a row here that makes trapsim end with
# it, checked with the first line trapsim prints on standard error; and
# every row's status is in the table. A status added to one and not the
# other fails the suite.
#
#   TRAPSIM=./trapsim GDIR=build/guests/robust bash tests/robust/statuses.sh
#
# Rows are `s STATUS MESSAGE CMD...` (MESSAGE: the first line of standard
# error that starts with "trapsim: ", or the first line of standard output
# after a leading `out:`; a leading ~ makes it
# an ERE; @SYM:GUEST@ is the address of GUEST's symbol SYM); STATUS `odd`
# stands for the table's isa-debug-exit row.
set -u
TRAPSIM=${TRAPSIM:-./trapsim}
GDIR=${GDIR:-build/guests/robust}
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
covered=" "

# the table: "| 2 | ..." rows, and "| odd (1, 3, ...) | ..." as "odd"
table=$(awk '/^## Exit statuses/ { on = 1; next } on && /^## / { on = 0 }
             on && /^\| *[0-9]+ *\|/ { gsub(/[| ]/, "", $2); print $2 }
             on && /^\| *odd/ { print "odd" }' FS='|' "$top/README.md" | tr '\n' ' ')
if [ -z "$table" ]; then
  echo "FAIL  README.md has no exit-status table under '## Exit statuses'"; exit 1
fi

addr() { nm "$GDIR/$1.elf" | awk -v s="$2" '$3 == s { print $1 }'; }

# s STATUS MESSAGE CMD...: runs CMD (with standard input from $tmp/stdin)
s() {
  local want=$1 msg=$2; shift 2
  local sym guest
  while [[ $msg =~ @([A-Za-z0-9_]+):([A-Za-z0-9_-]+)@ ]]; do
    sym=${BASH_REMATCH[1]} guest=${BASH_REMATCH[2]}
    msg=${msg//@$sym:$guest@/$(addr "$guest" "$sym")}
  done
  timeout -k 5 60 "$@" < "$tmp/stdin" > "$tmp/out" 2> "$tmp/err"
  local st=$? why=
  local stream=err
  [[ $msg == out:* ]] && { stream=out; msg=${msg#out:}; }
  # trapsim's own line on standard error (step mode echoes the trace there
  # first), the first line of standard output
  local line
  if [ $stream = err ]; then line=$(grep '^trapsim: ' "$tmp/err" | head -n 1)
  else line=$(head -n 1 "$tmp/out"); fi
  if [ "$want" = odd ]; then
    [ $((st % 2)) = 1 ] && [ "$st" -lt 124 ] || why="exit status $st, expected an odd one"
  elif [ "$st" != "$want" ]; then
    why="exit status $st, expected $want"
  fi
  if [ -z "$why" ]; then
    if [[ $msg == '~'* ]]; then
      [[ $line =~ ^${msg#\~}$ ]] || why="message does not match"
    elif [ "$line" != "$msg" ]; then
      why="message differs"
    fi
  fi
  if [[ " $table " != *" $want "* ]]; then
    why="status $want is not in the README's exit-status table${why:+; $why}"
  fi
  if [ -n "$why" ]; then
    failed=$((failed + 1))
    echo "FAIL  status $want: $why"
    echo "      command:  $*"
    echo "      expected: $msg"
    echo "      got:      $st, $line"
  else
    passed=$((passed + 1))
    covered+="$want "
    echo "ok    status $want: $*"
  fi
}

: > "$tmp/stdin"
printf '\xf4' > "$tmp/hlt.bin"                       # hlt: the fragment's documented stop
mkdir -p "$tmp/scn"
cp "$top/scenarios/lde.scn" "$tmp/scn/"
sed '20s/.*/0000000000 r0 trap  this line was changed/' "$top/scenarios/lde.expected" > "$tmp/scn/lde.expected"
cp "$top/scenarios/lde.dot" "$tmp/scn/"

s odd "trapsim: the guest wrote 0x1 to isa-debug-exit (port 0xf4): exit status 3" \
  "$TRAPSIM" run --vmm --isa x86 "$top/build/guests/vmm/attack.elf"
s 0   "" "$TRAPSIM" raw "$tmp/hlt.bin"
s 0   "" "$TRAPSIM" scenario lde --check
s 2   "trapsim: run: unknown option '--bogus' (see 'trapsim --help')" "$TRAPSIM" run --bogus "$GDIR/hlt.elf"
s 4   "trapsim: instruction budget of 1000 ran out at 0008:@spin_here:spin@" \
  "$TRAPSIM" run --max-insns 1000 "$GDIR/spin.elf"
s 6   "~trapsim: triple fault: #GP \(13\), then #GP \(13\) while delivering it, then #GP \(13\) while delivering the double fault; instruction at 0008:@fault_here:triple@" \
  "$TRAPSIM" run "$GDIR/triple.elf"
s 8   "trapsim: halted for ever: HLT with interrupts disabled (IF = 0) at 0008:@hlt_here:hlt@" \
  "$TRAPSIM" run "$GDIR/hlt.elf"
s 10  "trapsim: paging is not modelled (the guest set CR0.PG), at 0008:@pg_here:paging@" \
  "$TRAPSIM" run "$GDIR/paging.elf"
s 12  "out:scenario lde: MISMATCH: the log differs from $tmp/scn/lde.expected" env TRAPSIM_SCENARIOS="$tmp/scn" "$TRAPSIM" scenario lde --check
s 16  "~trapsim: pv: the guest kernel ran 'cli' at 0009:[0-9a-f]{8} .*the mask byte of its shared page.*" \
  "$TRAPSIM" run --vmm=pv "$GDIR/hlt.elf"
printf 'q\n' > "$tmp/stdin"
s 14  "trapsim: quit from step mode at 0008:@_start:spin@" \
  "$TRAPSIM" run --step --trace insn "$GDIR/spin.elf"

for st in $table; do
  if [[ $covered != *" $st "* ]]; then
    failed=$((failed + 1))
    echo "FAIL  status $st is in the README's exit-status table but no row here ends with it"
  fi
done
echo "exit-statuses: $passed passed, $failed failed (README table: $table)"
[ $failed = 0 ]
