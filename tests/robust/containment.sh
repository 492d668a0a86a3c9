#!/usr/bin/env bash
# Containment (tests/robust/README.md): guests that attack the machine must
# end with the documented message (the first line of standard error) and
# exit status, within a time limit, and print nothing they should not.
#
#   TRAPSIM=./trapsim GDIR=build/guests/robust bash tests/robust/containment.sh [-v] [ID...]
#
# Rows are `c ID STATUS MESSAGE ARGS...`; in MESSAGE, @SYM@ stands for the
# address of the guest's symbol SYM (8 hex digits), a leading ~ makes it an
# ERE. Known failures: tests/robust/known-failures, as in bad_input.sh.
set -u
TRAPSIM=${TRAPSIM:-./trapsim}
GDIR=${GDIR:-build/guests/robust}
LIMIT=${CONTAINMENT_TIMEOUT:-20}      # seconds a run may take (ROW_LIMIT=N c ...: for one row)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/verdict.sh" "$@"

# addr GUEST SYM: the symbol's address, 8 hex digits
addr() { nm "$GDIR/$1.elf" | awk -v s="$2" '$3 == s { print $1 }'; }

# c ID STATUS MESSAGE GUEST [ARGS...]: trapsim run ARGS GDIR/GUEST.elf
c() {
  local id=$1 want_status=$2 want=$3 guest=$4; shift 4
  selected "$id" || return
  local img=$GDIR/$guest.elf why= status
  if [ ! -f "$img" ]; then
    failed=$((failed + 1)); echo "FAIL  $id: $img is not built (make robust-guests)"; return
  fi
  local sym
  while [[ $want =~ @([A-Za-z0-9_]+)@ ]]; do
    sym=${BASH_REMATCH[1]}
    want=${want//@$sym@/$(addr "$guest" "$sym")}
  done
  local t0; t0=$(date +%s%N)
  timeout -k 5 "${ROW_LIMIT:-$LIMIT}" "$TRAPSIM" run "$@" "$img" > "$tmp/out" 2> "$tmp/err" < /dev/null
  status=$?
  local took=$(( ($(date +%s%N) - t0) / 1000000 ))
  local line; line=$(head -n 1 "$tmp/err")
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    why="still running after ${ROW_LIMIT:-$LIMIT}s (killed)"
  elif [ "$status" != "$want_status" ]; then
    why="exit status $status, expected $want_status"
  elif [[ $want == '~'* ]]; then
    [[ $line =~ ^${want#\~}$ ]] || why="message does not match"
  elif [ "$line" != "$want" ]; then
    why="message differs"
  elif [ -s "$tmp/out" ]; then
    why="the guest printed something: $(head -c 200 "$tmp/out" | od -An -c | head -n 2)"
  fi
  verdict "$id" "$why" "$id (${took} ms)" && return
  echo "      command:  trapsim run $* $img"
  echo "      expected: $want_status, $want"
  echo "      got:      $status, $line"
}

exitmsg="trapsim: the guest wrote 0x0 to isa-debug-exit (port 0xf4): exit status 1"
triple="trapsim: triple fault: #GP (13), then #GP (13) while delivering it, then #GP (13) while delivering the double fault; instruction at 0008:@fault_here@"

c wildmem        1 "$exitmsg" wildmem
c wildmem-2M     1 "$exitmsg" wildmem --mem 2M
c wildmem-odd    1 "$exitmsg" wildmem --mem 2051K
c wildmem-nocache 1 "$exitmsg" wildmem --no-cache
c ports          1 "$exitmsg" ports
c triple         6 "$triple" triple
c triple-noidt   6 "$triple" triple-noidt
c budget         4 "trapsim: instruction budget of 1000 ran out at 0008:@spin_here@" spin --max-insns 1000
c budget-1       4 "trapsim: instruction budget of 1 ran out at 0008:@spin_here@" spin --max-insns 1
c halted         8 "trapsim: halted for ever: HLT with interrupts disabled (IF = 0) at 0008:@hlt_here@" hlt
c budget-quiet   4 "trapsim: instruction budget of 1000 ran out at 0008:@spin_here@" spin --max-insns 1000 --quiet
c noeoi          8 "trapsim: halted for ever: HLT with the timer held back by its last interrupt, still in service (no EOI) at the PIC" noeoi
c paging        10 "trapsim: paging is not modelled (the guest set CR0.PG), at 0008:@pg_here@" paging
c taskswitch    10 "trapsim: task switch (far JMP to a TSS or task gate) is not modelled, at 0008:@ljmp_here@" taskswitch
c vmmtables-bare 1 "$exitmsg" vmmtables
# Loops that retire nothing, or retire very late, must still end by the budget.
# They should take milliseconds: 3 s is plenty, and keeps the known failures cheap.
ROW_LIMIT=3 c faultloop 4 "~trapsim: instruction budget of 1000 ran out.*" faultloop --max-insns 1000
ROW_LIMIT=3 c longrep  4 "~trapsim: instruction budget of 100 ran out.*" longrep --max-insns 100

# Under the VMM: the same attacks, and one on the VMM's own tables.
# wildmem's writes above the guest's RAM vanish as bare until they reach the
# VMM's MiB at the top of the address space, beyond every guest segment
# (README "The VMM"): there they raise #GP, and with no IDT of its own the
# guest triple-faults.
c vmm-wildmem   6 "~trapsim: triple fault: .*" wildmem --vmm
c vmm-ports     1 "$exitmsg" ports --vmm
c vmm-triple    6 "~trapsim: triple fault: .*" triple --vmm
c vmm-budget    4 "~trapsim: instruction budget of 1000 ran out.*" spin --vmm --max-insns 1000
c vmm-halted    8 "~trapsim: halted for ever: .*" hlt --vmm
c vmm-noeoi      8 "trapsim: halted for ever: the guest executed HLT with its timer held back by its last interrupt, still in service (no EOI) at its (virtual) PIC" noeoi --vmm
c vmm-paging   10 "trapsim: paging is not modelled (the guest set CR0.PG), at 0009:@pg_here@ (guest under the VMM)" paging --vmm
c vmm-taskswitch 10 "trapsim: task switch (far JMP to a TSS or task gate) is not modelled, at 0009:@ljmp_here@" taskswitch --vmm
c vmm-tables    1 "$exitmsg" vmmtables --vmm
# the PG audit must not look up an undefined encoding in the table (make sanitize sees it)
c vmm-undef-pg  6 "~trapsim: triple fault: .*" undef-ring1 --vmm --expose-pg

[ $xfailed = 0 ] || echo "containment: $xfailed known failures (tests/robust/known-failures), counted as passed"
echo "containment: $((passed + xfailed)) passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
