#!/usr/bin/env bash
# Several VMs on one host (host/host.h): isolation and stopping alone.
#   - plantscan: a scan finds the marker its own VM planted (the scan works);
#   - owner + spy: the owner plants the marker at 2 MiB and keeps running
#     while the spy, in another VM, scans its whole address space (RAM at
#     every byte, above it one dword a page): the marker is nowhere; bare
#     and under --vmm --isa pg;
#   - a VM that triple-faults, one that halts for ever and one that spends
#     its budget each stop alone, and guestos in the other VM finishes;
#   - the run's exit status is the highest of trapsim's own (README).
#
#   TRAPSIM=./trapsim GDIR=build/guests/robust bash tests/robust/isolation.sh
set -u
TRAPSIM=${TRAPSIM:-./trapsim}
GDIR=${GDIR:-build/guests/robust}
OS=build/guests/guestos.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# t ID STATUS 'KEY=VALUE ...' ARGS...: trapsim run --stats ARGS ends with
# STATUS and the statistics hold each KEY=VALUE line
t() {
  local id=$1 want=$2 keys=$3; shift 3
  timeout -k 5 120 "$TRAPSIM" run --quiet --stats "$tmp/stats" "$@" >"$tmp/out" 2>"$tmp/err"
  local st=$? why=
  [ "$st" = "$want" ] || why="status $st, expected $want"
  for kv in $keys; do
    [ -z "$why" ] && ! grep -qxF "$kv" "$tmp/stats" && why="no '$kv' in the statistics"
  done
  if [ -z "$why" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL  isolation $id: $why"
    head -5 "$tmp/err" "$tmp/out" | sed 's/^/      /'
  fi
}

t control 1 "exit_status=1" --mem 4M "$GDIR/plantscan.elf"
for mode in bare vmm; do
  m=(); [ $mode = vmm ] && m=(--vmm --isa pg)
  t "spy-$mode" 1 "vm.owner.exit_status=1 vm.spy.exit_status=1 host.exit_status=1" \
    --mem 4M "${m[@]}" --vm owner "$GDIR/plant.elf" --vm spy "$GDIR/scan.elf"
  # the spy first: the owner plants in its first quantum, the spy has scanned part by then
  t "spy-first-$mode" 1 "vm.spy.exit_status=1" \
    --mem 4M "${m[@]}" --quantum 5000 --vm spy "$GDIR/scan.elf" --vm owner "$GDIR/plant.elf"
  t "triple-$mode" 6 "vm.bad.exit_status=6 vm.os.exit_status=1" \
    "${m[@]}" --vm bad "$GDIR/triple.elf" --vm os --cmdline procs=isprime,counter "$OS"
  t "halted-$mode" 8 "vm.bad.exit_status=8 vm.os.exit_status=1" \
    "${m[@]}" --vm os --cmdline procs=isprime,counter "$OS" --vm bad "$GDIR/hlt.elf"
done
t budget 4 "vm.spin.exit_status=4 vm.spin.steps=300000 vm.os.exit_status=1" \
  --vm spin --max-insns 300000 "$GDIR/spin.elf" --vm os --cmdline procs=hello "$OS"
# the other VM's console ends as it does alone
"$TRAPSIM" run --quiet --vm bad "$GDIR/triple.elf" --vm os --cmdline procs=hello "$OS" >"$tmp/out" 2>"$tmp/err"
if grep -qx '\[os\] guestos: all processes exited; critical-section violations: 0' "$tmp/out" &&
   grep -q '^trapsim: \[bad\] triple fault' "$tmp/err"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL  isolation console: the other VM did not finish"; cat "$tmp/out" "$tmp/err"
fi

echo "isolation: $passed passed, $failed failed"
[ $failed = 0 ]
