#!/usr/bin/env bash
# --vmm=pv refuses a guest kernel that does not paravirtualize: each image
# below (the test guests, and guestos with pv=0) must stop with exit status
# 16 and the one line on standard error that tests/pv/refusals.expected
# holds for it (the instruction, where it ran, the hypercall instead).
#   bash tests/pv/refusals.sh [--update]
set -u
trapsim=${TRAPSIM:-./trapsim}
expected=tests/pv/refusals.expected
runs=(
  "build/guests/guestos.elf|pv=0"
  "build/guests/tests/basic.elf|"
  "build/guests/tests/flags.elf|"
  "build/guests/tests/segments.elf|"
  "build/guests/tests/tswitch.elf|"
)
out=$(for r in "${runs[@]}"; do
  image=${r%%|*} cmdline=${r#*|}
  line=$(timeout 60 "$trapsim" run --vmm=pv --quiet --cmdline "$cmdline" "$image" 2>&1 >/dev/null </dev/null)
  st=$?
  echo "${image##*/} ${cmdline:--} status $st: $line"
done)
if [ "${1:-}" = --update ]; then
  printf '%s\n' "$out" > "$expected"
  exit 0
fi
if [ "$out" != "$(cat "$expected")" ]; then
  echo "test-pv: FAIL refusals"
  diff <(cat "$expected") <(printf '%s\n' "$out")
  exit 1
fi
echo "test-pv: ok refusals ($(printf '%s\n' "$out" | wc -l) guests stopped with status 16)"
