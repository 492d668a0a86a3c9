#!/usr/bin/env bash
# dbt-compare.sh: one test guest under --vmm=dbt --isa x86 against its QEMU
# transcript, where only the differences listed for it in
# tests/dbt/ring3-leaks.txt are allowed (its user-mode probe values).
#
#   dbt-compare.sh NAME EXPECTED IMAGE [CMDLINE]
#
# NAME picks the listed differences; each names its line in EXPECTED, which
# must read as listed (the list stays exact: a leak that went away fails
# the comparison, a line that moved fails here). Then compare.sh --no-qemu with the
# record patched by them. Environment as compare.sh's (TRAPSIM,
# TRAPSIM_FLAGS: default '--vmm=dbt --isa x86'); LEAKS overrides the list.
# Exit status: compare.sh's; 1 when the list does not apply; 2 on bad arguments.
set -u
[ $# -ge 3 ] && [ $# -le 4 ] || { echo "usage: dbt-compare.sh NAME EXPECTED IMAGE [CMDLINE]" >&2; exit 2; }
name=$1 expected=$2
shift 2
dir=$(dirname "$0")
leaks=${LEAKS:-$dir/ring3-leaks.txt}
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
if ! awk -F'\t' -v g="$name" -v file="$leaks" '
    FNR == NR { if ($0 !~ /^#/ && $1 == g) { from[$2] = $3; to[$2] = $4; want[$2] = 1 } next }
    FNR in want { if ($0 != from[FNR]) {
                    printf "dbt-compare.sh: %s: %s line %d is \"%s\", not the listed \"%s\"\n",
                           FILENAME, g, FNR, $0, from[FNR] > "/dev/stderr"; bad = 1 }
                  print to[FNR]; next }
    { print }
    END { exit bad }' "$leaks" "$expected" > "$tmp"; then
    exit 1
fi
TRAPSIM_FLAGS=${TRAPSIM_FLAGS:---vmm=dbt --isa x86} bash "$dir/../guests/compare.sh" --no-qemu --expected "$tmp" "$@"
