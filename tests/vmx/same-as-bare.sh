#!/usr/bin/env bash
# tests/vmx/same-as-bare.sh: under --vmm=vtx the guest runs as on the bare
# machine, not only in its transcript: every trap (interrupt, INT n, IRET)
# at the same instruction count and address, and the same statistics (the
# vtx.* counts aside). A tick every 200 instructions (--guest-ips 20000)
# lands ticks inside the kernel's IF=0 sections, where the hypervisor must
# hold the interrupt back exactly as a bare CPU does.
#   bash tests/vmx/same-as-bare.sh [TRAPSIM] [GUESTOS_ELF]       (make test-vtx)
set -u
TRAPSIM=${1:-./trapsim}
ELF=${2:-build/guests/guestos.elf}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
# pv=0: guestos does not look for a paravirtualizing VMM (CPUID.1:ECX bit
# 31, then leaf 0x40000000): VT-x sets that bit, so the search alone would
# make the vtx run retire a few more instructions than the bare one.
for cmdline in "procs=isprime,counter n=3000 pv=0" "procs=sleeper,hello pv=0" "procs=counter,sleeper lidt2=1 pv=0"; do
    for ips in 20000 10000000; do
        n=$((n + 1))
        for mode in bare vtx; do
            flags=()
            [ $mode = vtx ] && flags=(--vmm=vtx --isa x86)
            timeout 60 "$TRAPSIM" run "${flags[@]}" --quiet --guest-ips "$ips" --max-insns 50000000 --trace trap \
                --trace-file "$tmp/$mode.trace" --stats "$tmp/$mode.stats" --cmdline "$cmdline" "$ELF" \
                >"$tmp/$mode.out" 2>&1
            echo "exit status $?" >>"$tmp/$mode.out"
            grep -v '^vtx\.' "$tmp/$mode.stats" >"$tmp/$mode.stats.kept"
        done
        if cmp -s "$tmp/bare.trace" "$tmp/vtx.trace" && cmp -s "$tmp/bare.stats.kept" "$tmp/vtx.stats.kept" &&
           cmp -s "$tmp/bare.out" "$tmp/vtx.out"; then
            echo "ok   vtx as bare: $cmdline, --guest-ips $ips"
        else
            echo "FAIL vtx as bare: $cmdline, --guest-ips $ips"
            diff "$tmp/bare.trace" "$tmp/vtx.trace" | head -10
            diff "$tmp/bare.stats.kept" "$tmp/vtx.stats.kept" | head -10
            diff "$tmp/bare.out" "$tmp/vtx.out" | head -10
            fails=$((fails + 1))
        fi
    done
done
[ $fails = 0 ] && echo "same-as-bare: all $n cases passed" || { echo "same-as-bare: $fails of $n cases failed"; exit 1; }
