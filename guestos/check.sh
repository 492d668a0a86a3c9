#!/usr/bin/env bash
# guestos on QEMU: every case's transcript must be the same on two runs,
# on a slow virtual CPU (-icount shift=7: many timer ticks per program),
# and as in guestos/expected/CASE.txt. Exit status must be 1 (outb 0xf4, 0).
# Then the same transcript on trapsim ($TRAPSIM, default ./trapsim): bare,
# and under the VMM with the pg profile (every sensitive instruction traps).
#   bash guestos/check.sh [IMAGE]            check
#   bash guestos/check.sh --update [IMAGE]   rewrite the expected transcripts
# With NO_QEMU=1, trapsim alone against the expected transcripts (QEMU's
# record), e.g. NO_QEMU=1 TRAPSIM_VMM_FLAGS='--vmm=vtx --isa x86' for the
# VMX hypervisor, where the bare run is left out too.
# A case "NAME|CMDLINE|VARIANT" runs guestos-VARIANT.elf (beside IMAGE)
# instead: kprime=N is only in guestos-kprime.elf (guestos/guestos.mk).
set -u
update=0
[ "${1:-}" = --update ] && { update=1; shift; }
image=${1:-build/guests/guestos.elf}
dir=$(dirname "$0")/expected

cases=(
  "isprime|procs=isprime"
  "counter|procs=counter"
  "hog|procs=hog"
  "sleeper|procs=sleeper"
  "hello|procs=hello"
  "sysloop|procs=sysloop"
  "faulty|procs=faulty"
  "default|"
  "isprime-counter|procs=isprime,counter"
  "isprime-counter-hog|procs=isprime,counter,hog"
  "counter-sleeper|procs=counter,sleeper"
  "faulty-counter|procs=faulty,counter"
  "probe|probe=1"
  "lidt2|lidt2=1"
  "options|procs=isprime,sysloop,nosuch,sysloop n=100 loops=50 bogus=1"
  "kprime|procs= kprime=5000|kprime"
  "kprime-procs|procs=isprime,counter,sleeper n=3000 kprime=3000 probe=1|kprime"
)

run() {   # run CMDLINE [QEMU OPTIONS...]: the transcript, then "exit status N"
  local cmdline=$1; shift
  timeout 20 qemu-system-i386 -m 64 -kernel "$img" -display none -serial stdio \
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -append "$cmdline" "$@" </dev/null
  echo "exit status $?"
}

trapsim=${TRAPSIM:-./trapsim}
run_trapsim() {   # run_trapsim CMDLINE [TRAPSIM OPTIONS...]
  local cmdline=$1; shift
  timeout 60 "$trapsim" run --quiet "$@" --cmdline "$cmdline" "$img" </dev/null
  echo "exit status $?"
}

fail=0
for c in "${cases[@]}"; do
  name=${c%%|*} cmdline=${c#*|} img=$image
  case $cmdline in *"|"*) img=$(dirname "$image")/guestos-${cmdline#*|}.elf cmdline=${cmdline%%|*} ;; esac
  if [ "${NO_QEMU:-0}" = 1 ]; then   # the expected transcript is QEMU's record
    a=$(cat "$dir/$name.txt")
    runs=("$TRAPSIM_VMM_FLAGS")
  else
    a=$(run "$cmdline")
    b=$(run "$cmdline")
    s=$(run "$cmdline" -icount shift=7)
    if [ $update = 1 ]; then
      mkdir -p "$dir" && printf '%s\n' "$a" > "$dir/$name.txt"
    fi
    want=$(cat "$dir/$name.txt" 2>/dev/null)
    if [ "$a" != "$b" ] || [ "$a" != "$s" ] || [ "$a" != "$want" ]; then
      echo "guestos: FAIL $name ($cmdline)"
      diff <(printf '%s\n' "$want") <(printf '%s\n' "$a") | head -20
      [ "$a" != "$b" ] && echo "  (two runs differ)"
      [ "$a" != "$s" ] && echo "  (differs under -icount shift=7)"
      fail=1
    else
      echo "guestos: ok $name (QEMU)"
    fi
    runs=("" "${TRAPSIM_VMM_FLAGS-"--vmm --isa pg"}")
  fi
  for flags in "${runs[@]}"; do
    t=$(run_trapsim "$cmdline" $flags)
    if [ "$t" != "$a" ]; then
      echo "guestos: FAIL $name ($cmdline) on trapsim ${flags:-bare}"
      diff <(printf '%s\n' "$a") <(printf '%s\n' "$t") | head -20
      fail=1
    else
      echo "guestos: ok $name (trapsim ${flags:-bare})"
    fi
  done
done
exit $fail
