#!/usr/bin/env bash
# Step mode, scripted from standard input (app/step.h):
#   tests/step/run.sh TRAPSIM GUESTOS_ELF
# Each case pipes commands into `trapsim run --step/--break/--break-on`,
# then checks the exit status and lines of the output (stdout + stderr).
set -u
TRAPSIM=${1:-./trapsim}
ELF=${2:-build/guests/guestos.elf}
T=${STEP_TIMEOUT:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

# run NAME INPUT ARGS...: runs trapsim with INPUT on stdin into $tmp/NAME.out
run() {
    local name=$1 input=$2
    shift 2
    printf '%b' "$input" | timeout "$T" "$TRAPSIM" run "$@" >"$tmp/$name.out" 2>&1
    echo $? >"$tmp/$name.rc"
}
fail() { echo "FAIL step/$1: $2"; sed 's/^/    | /' "$tmp/$1.out" | head -60; fails=$((fails + 1)); }
# check NAME STATUS [+LINE | -LINE]...: +LINE must appear (fixed string), -LINE must not
check() {
    local name=$1 want=$2 got
    shift 2
    n=$((n + 1))
    got=$(cat "$tmp/$name.rc")
    if [ "$got" != "$want" ]; then fail "$name" "exit status $got, expected $want"; return; fi
    for pat in "$@"; do
        case $pat in
        +*) grep -qF -- "${pat#+}" "$tmp/$name.out" || { fail "$name" "missing: ${pat#+}"; return; } ;;
        -*) ! grep -qF -- "${pat#-}" "$tmp/$name.out" || { fail "$name" "unexpected: ${pat#-}"; return; } ;;
        esac
    done
    echo "ok   step/$name"
}

main8=$(nm "$ELF" | awk '$3 == "main" { print $1 }')   # 8 hex digits
[ -n "$main8" ] || { echo "FAIL step: no symbol main in $ELF"; exit 1; }
main=$(printf '0x%x' "0x$main8")

# r at the first trap event, Enter to the next event, c to the next trap, q.
run regs 'r\n\nc\nq\n' --step --trace trap "$ELF"
check regs 14 \
    '+0000004340 r0 trap  iret at 001032a3 -> 001b:001036c0, ring 0->3' \
    '+registers at icount 4340:' \
    '+  eax=00000000 ecx=00000000 edx=00000000 ebx=00000000' \
    '+  eip=001036c0 eflags=00000202 [ IF ] iopl=0  cpl=3' \
    '+  cs   001b  base=00000000 limit=ffffffff dpl=3 code r-x 32-bit' \
    '+  ss   0023  base=00000000 limit=ffffffff dpl=3 data rw- 32-bit' \
    '+  cr0=00000011 [ PE ET ] cr2=00000000 cr3=00000000 cr4=00000000' \
    '+  gdtr base=' '+idtr base=' '+  tr   0028' '+  ldtr 0000  (null: unusable)' \
    '+0000102768 r3 trap  IRQ0 at' \
    '+0000103014 r0 trap  iret at' \
    '+trapsim: quit from step mode' \
    '-0000202770' '-step>'

# The end of input lets the run go on to its end (the guest's own exit status).
run eof '' --step --trace trap "$ELF"
check eof 1 '+guestos: all processes exited' '+0000004340 r0 trap  iret' '+exit status 1'

# --break ADDR stops before the instruction at ADDR; g runs to the next break.
run break "r\ng\n" --break "$main" "$ELF"
check break 1 "+ break 0008:$main8: push   %ebp  (--break $main)" \
    "+  eip=$main8 eflags=00000002 [ ] iopl=0  cpl=0" '+guestos: all processes exited'

# i before the guest's LIDT: the IDT is empty; after it: 256 gates.
run idt 'i\ng\n' --break-on mnemonic lidt "$ELF"
check idt 1 '+(--break-on mnemonic lidt)' '+lidt' '+limit=0000, 0 gates' '+(empty: no LIDT yet'
run idt2 'i\nq\n' --break-on vector 0x80 "$ELF"
check idt2 14 '+r3 trap  int 0x80 at 001034c3 via idt[0x80]' \
    '+IDT (the CPU'"'"'s IDTR): base=' '+, 256 gates' \
    '+  0x0d  int32   0008:' '+#GP' '+  0x80  trap32  0008:' '+dpl=3' '+gates not present)' \
    '+quit from step mode'

# --break-on trap: every trap event, traced or not; unknown commands are said so.
run trap 'x\n\n\nq\n' --break-on trap --trace io "$ELF"
check trap 14 "+unknown command 'x' (h: help)" '+0000004340 r0 trap  iret' \
    '+0000102768 r3 trap  IRQ0' '+io    out'

# --step at the insn level: one instruction per Enter.
run insn '\n\nr\nq\n' --step --trace insn "$ELF"
check insn 14 '+0000000000 r0 insn  00103245:' '+0000000001 r0 insn' '+0000000002 r0 insn' \
    '+registers at icount 2:' '-0000000003 r0 insn'

# Bad options.
run bad1 '' --break-on nothing "$ELF"
check bad1 2 '+--break-on: expected trap, vector N or mnemonic M'
run bad2 '' --break-on mnemonic frobnicate "$ELF"
check bad2 2 "+trapsim knows no instruction 'frobnicate'"
run bad3 '' --break-on vector 256 "$ELF"
check bad3 2 "+is not a vector number"
run bad4 '' --break "$ELF"
check bad4 2 '+--break needs an address'
run bad5 '' --step --gdb 0 "$ELF"
check bad5 2 '+--gdb cannot be combined with --step'

# Under the VMM: the run and the stepper still work.
run vmm 'c\nr\ni\nq\n' --vmm --step --trace trap "$ELF"
check vmm 14 '+registers at icount' '+guest IDT at 00000000 limit 0000 (virtual IDTR)   |   shadow IDT at fff10000 (real IDTR)' '+quit from step mode'

if [ "$fails" -ne 0 ]; then
    echo "step: $fails of $n cases failed"
    exit 1
fi
echo "step: all $n cases passed"
