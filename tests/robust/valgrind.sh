#!/usr/bin/env bash
# trapsim under valgrind (tests/robust/README.md): a few `run` and `raw`
# invocations and every scenario; each must end with its usual exit status
# and no valgrind error or leak. valgrind's own error status is 99, apart
# from every status trapsim uses (a guest's isa-debug-exit status 1 included).
#
#   TRAPSIM=./trapsim GDIR=build/guests/robust bash tests/robust/valgrind.sh
set -u
TRAPSIM=${TRAPSIM:-./trapsim}
GDIR=${GDIR:-build/guests/robust}
if ! command -v valgrind > /dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "valgrind: installing valgrind"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind > /dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind > /dev/null; } ||
      { echo "valgrind: apt-get install valgrind failed"; exit 1; }
  else
    echo "valgrind: not installed. Run: sudo apt-get install -y valgrind"; exit 1
  fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '\xb8\x01\x00\x00\x00\x01\xc3\xcc' > "$tmp/code.bin"   # mov eax, 1; add ebx, eax; int3
passed=0 failed=0
v() {   # v ID STATUS ARGS...
  local id=$1 want=$2; shift 2
  local t0; t0=$(date +%s%N)
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
      --log-file="$tmp/$id.vg" "$TRAPSIM" "$@" > "$tmp/$id.out" 2> "$tmp/$id.err" < /dev/null
  local st=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ $st = "$want" ] && [ ! -s "$tmp/$id.vg" ]; then
    passed=$((passed + 1)); echo "ok    $id (${ms} ms)"
  else
    failed=$((failed + 1))
    echo "FAIL  $id: exit status $st (expected $want; 99: valgrind found errors)"
    echo "      command: valgrind trapsim $*"
    sed 's/^/      /' "$tmp/$id.vg" | head -n 40
  fi
}
v run-flags       1 run --quiet build/guests/tests/flags.elf
v run-trace       6 run --trace all --trace-file "$tmp/trace.txt" --stats "$tmp/stats.txt" "$GDIR/triple.elf"
v run-guestos     4 run --max-insns 300000 --cmdline procs=counter build/guests/guestos.elf
v run-nocache     8 run --no-cache "$GDIR/hlt.elf"
v run-badimage    2 run "$tmp/code.bin"
v run-badopt      2 run --isa bogus build/guests/guestos.elf
v raw-dump        0 raw --ring 0 --set ebx=2 --mem 0x1000=deadbeef --dump 0x1000:4 "$tmp/code.bin"
v raw-budget      0 raw --max-insns 1 "$tmp/code.bin"
v raw-badopt      2 raw --set bogus=1 "$tmp/code.bin"
v raw-nofile      2 raw "$tmp/missing.bin"
v vmm-guestos     4 run --vmm --max-insns 300000 --cmdline procs=counter build/guests/guestos.elf
v vmm-tables      1 run --vmm --quiet "$GDIR/vmmtables.elf"
v vmm-noeoi       8 run --vmm --quiet "$GDIR/noeoi.elf"
# every teaching scenario, checked against its expected log and graph
for scn in scenarios/*.scn; do
  name=$(basename "$scn" .scn)
  v "scenario-$name" 0 scenario "$name" --check
done
echo "valgrind: $passed passed, $failed failed"
[ $failed = 0 ]
