#!/usr/bin/env bash
# compare.sh: runs one guest image on QEMU and on trapsim and compares what
# each printed on COM1 (stdout) and its exit status.
#
#   compare.sh [options] IMAGE [CMDLINE]
#
#   --vmm                 run trapsim with --vmm (added to TRAPSIM_FLAGS)
#   --expected FILE       also compare trapsim's record with FILE (a stored
#                         QEMU record: the check still means something when
#                         this machine's QEMU differs)
#   --save-expected FILE  run QEMU only and write its record to FILE
#   --no-qemu             a guest QEMU cannot run (VMX: TCG has none): no
#                         QEMU run; --expected compares trapsim's record with
#                         FILE, --save-expected writes trapsim's record
#
# Environment: TRAPSIM (default ./trapsim), TRAPSIM_FLAGS (extra trapsim
# flags, e.g. '--vmm --isa pg'), QEMU (default qemu-system-i386),
# TIMEOUT (seconds per run, default 30).
#
# QEMU runs exactly as PLATFORM.md says:
#   qemu-system-i386 -m 64 -kernel IMAGE -display none -serial stdio -no-reboot
#                    -device isa-debug-exit,iobase=0xf4,iosize=0x04 [-append CMDLINE]
# and trapsim as `$TRAPSIM run $TRAPSIM_FLAGS [--cmdline CMDLINE] IMAGE`.
#
# A record is the transcript byte for byte, then one line `[exit S]` (after a
# line `\ no newline at end of transcript` when the transcript does not end
# with one). Records are compared with diff -u, so a mismatch in output or in
# exit status shows in the same diff.
#
# Exit status: 0 when everything compared equal (one `same: ...` line per
# comparison), 1 on a mismatch (with the diff) or a missing tool, 2 on bad
# arguments.
set -u

usage() {
    echo "usage: compare.sh [--vmm] [--no-qemu] [--expected FILE | --save-expected FILE] IMAGE [CMDLINE]" >&2
    exit 2
}

TRAPSIM=${TRAPSIM:-./trapsim}
QEMU=${QEMU:-qemu-system-i386}
TIMEOUT=${TIMEOUT:-30}
read -r -a tflags <<< "${TRAPSIM_FLAGS:-}"
expected=
save=
qemu=1
while [ $# -gt 0 ]; do
    case $1 in
    --vmm) tflags+=(--vmm); shift ;;
    --no-qemu) qemu=0; shift ;;
    --expected) [ $# -ge 2 ] || usage; expected=$2; shift 2 ;;
    --save-expected) [ $# -ge 2 ] || usage; save=$2; shift 2 ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
    esac
done
[ $# -eq 1 ] || [ $# -eq 2 ] || usage
image=$1
have_cmdline=0
cmdline=
if [ $# -eq 2 ]; then
    have_cmdline=1
    cmdline=$2
fi
label=$image
[ $have_cmdline = 1 ] && label="$image \"$cmdline\""
[ ${#tflags[@]} -gt 0 ] && label="$label (trapsim ${tflags[*]})"

if [ ! -r "$image" ]; then
    echo "compare.sh: $image: no such image (build it with make)" >&2
    exit 1
fi
if [ $qemu = 1 ] && ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "compare.sh: $QEMU not found: install the Debian package qemu-system-x86 (make deps does)" >&2
    exit 1
fi
if { [ -z "$save" ] || [ $qemu = 0 ]; } && [ ! -x "$TRAPSIM" ]; then
    echo "compare.sh: trapsim not found at $TRAPSIM (set TRAPSIM, or build it with make)" >&2
    exit 1
fi
if [ -n "$expected" ] && [ ! -r "$expected" ]; then
    echo "compare.sh: $expected: no such file (make guests-expected writes it)" >&2
    exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# record NAME STATUS: $tmp/NAME.out (the transcript) -> $tmp/NAME.rec
record() {
    local out=$tmp/$1.out rec=$tmp/$1.rec
    cat "$out" > "$rec"
    if [ -s "$out" ] && [ "$(tail -c 1 "$out" | od -An -c | tr -d ' ')" != '\n' ]; then
        printf '\n\\ no newline at end of transcript\n' >> "$rec"
    fi
    printf '[exit %d]\n' "$2" >> "$rec"
}

# run NAME COMMAND...: runs it under the timeout, no input, stdout to
# $tmp/NAME.out, stderr to $tmp/NAME.err; makes the record.
run() {
    local name=$1 status
    shift
    timeout "$TIMEOUT" "$@" < /dev/null > "$tmp/$name.out" 2> "$tmp/$name.err"
    status=$?
    if [ $status = 124 ]; then
        echo "compare.sh: $name timed out after $TIMEOUT s: $label" >> "$tmp/$name.err"
    fi
    record "$name" $status
}

qemu_cmd=("$QEMU" -m 64 -kernel "$image" -display none -serial stdio -no-reboot
          -device isa-debug-exit,iobase=0xf4,iosize=0x04)
[ $have_cmdline = 1 ] && qemu_cmd+=(-append "$cmdline")
trapsim_cmd=("$TRAPSIM" run "${tflags[@]}")
[ $have_cmdline = 1 ] && trapsim_cmd+=(--cmdline "$cmdline")
trapsim_cmd+=("$image")

lines() { grep -c '' < "$tmp/$1.out"; }
status_of() { sed -n '$s/^\[exit \(.*\)\]$/\1/p' "$tmp/$1.rec"; }

# the reference: QEMU, or trapsim itself for a guest QEMU cannot run
ref=qemu
if [ $qemu = 1 ]; then
    run qemu "${qemu_cmd[@]}"
else
    ref=trapsim
    run trapsim "${trapsim_cmd[@]}"
fi

if [ -n "$save" ]; then
    if [ "$(status_of $ref)" = 124 ]; then
        cat "$tmp/$ref.err" >&2
        exit 1
    fi
    cp "$tmp/$ref.rec" "$save" || exit 1
    echo "saved: $label -> $save ($(lines $ref) lines, exit $(status_of $ref))"
    exit 0
fi

[ $qemu = 1 ] && run trapsim "${trapsim_cmd[@]}"

# compare A B LABEL_A LABEL_B: diff -u of two records.
compare() {
    if diff -u --label "$3" --label "$4" "$1" "$2" > "$tmp/diff"; then
        return 0
    fi
    echo "DIFFERENT: $label"
    cat "$tmp/diff"
    return 1
}

show_stderr() {
    local name
    for name in qemu trapsim; do
        if [ -s "$tmp/$name.err" ]; then
            echo "--- $name stderr:"
            cat "$tmp/$name.err"
        fi
    done
}

tname="trapsim${tflags[*]:+ ${tflags[*]}}"
rc=0
if [ $qemu = 0 ]; then
    :
elif compare "$tmp/qemu.rec" "$tmp/trapsim.rec" "qemu: $label" "$tname: $label"; then
    echo "same: $label ($(lines trapsim) lines, exit $(status_of trapsim))"
else
    rc=1
fi
if [ -n "$expected" ]; then
    if compare "$expected" "$tmp/trapsim.rec" "expected: $expected" "$tname: $label"; then
        echo "same: $label as $expected"
    else
        echo "(when the guest changed on purpose, rewrite $expected with: make guests-expected)"
        rc=1
    fi
fi
[ $rc = 0 ] || show_stderr
exit $rc
