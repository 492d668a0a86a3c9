#!/usr/bin/env bash
# The GDB stub end to end (app/gdb.h):
#   tests/gdb/run.sh TRAPSIM GUESTOS_ELF
# Starts `trapsim run --gdb 0` (any free port: read back from stderr), then
# drives it with `gdb -batch` and with tests/gdb/rsp.py (raw protocol), and
# checks both sides' output and trapsim's exit status. Everything is under
# `timeout`. Skips the gdb cases when gdb is not installed.
set -u
TRAPSIM=${1:-./trapsim}
ELF=${2:-build/guests/guestos.elf}
T=${GDB_TIMEOUT:-60}
here=$(dirname "$0")
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0 n=0
unset DEBUGINFOD_URLS

fail() { echo "FAIL gdb/$1: $2"; for f in "$tmp/$1".*; do echo "  == ${f##*/}"; sed 's/^/    | /' "$f" | head -60; done; fails=$((fails + 1)); }

# start NAME ARGS...: trapsim in the background, waits for its port
start() {
    local name=$1
    shift
    timeout "$T" "$TRAPSIM" run --gdb 0 "$@" "$ELF" >"$tmp/$name.trapsim-out" 2>"$tmp/$name.trapsim-err" &
    pid=$!
    port=
    for _ in $(seq 200); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/$name.trapsim-err")
        [ -n "$port" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    return 1
}
# finish NAME: waits for trapsim, leaves its status in $tmp/NAME.rc
finish() { wait "$pid"; echo $? >"$tmp/$1.rc"; pid=; }
# check NAME STATUS FILE-SUFFIX [+LINE | -LINE]...
check() {
    local name=$1 want=$2 file=$tmp/$1.$3 got
    shift 3
    n=$((n + 1))
    got=$(cat "$tmp/$name.rc")
    if [ "$got" != "$want" ]; then fail "$name" "trapsim exit status $got, expected $want"; return; fi
    for pat in "$@"; do
        case $pat in
        +*) grep -qF -- "${pat#+}" "$file" || { fail "$name" "missing in ${file##*/}: ${pat#+}"; return; } ;;
        -*) ! grep -qF -- "${pat#-}" "$file" || { fail "$name" "unexpected in ${file##*/}: ${pat#-}"; return; } ;;
        esac
    done
    echo "ok   gdb/$name"
}
gdb_batch() {
    local name=$1
    shift
    local args=(-nx -batch -ex 'set architecture i386' -ex "target remote 127.0.0.1:$port")
    for c in "$@"; do args+=(-ex "$c"); done
    timeout "$T" gdb "${args[@]}" "$ELF" >"$tmp/$name.gdb" 2>&1
}

main8=$(nm "$ELF" | awk '$3 == "main" { print $1 }')
trap8=$(nm "$ELF" | awk '$3 == "trap" { print $1 }')
sched8=$(nm "$ELF" | awk '$3 == "scheduler" { print $1 }')
idt8=$(nm "$ELF" | awk '$3 == "idt" { print $1 }')
[ -n "$main8" ] && [ -n "$trap8" ] || { echo "FAIL gdb: no symbols main/trap in $ELF"; exit 1; }
main=$(printf '0x%x' "0x$main8")
next=$(printf '0x%08x' $((main + 1)))

# Options.
n=$((n + 1))
if timeout 10 "$TRAPSIM" run --gdb 70000 "$ELF" >/dev/null 2>&1; [ $? = 2 ] &&
   timeout 10 "$TRAPSIM" run --gdb-verbose "$ELF" >/dev/null 2>&1; [ $? = 2 ]; then
    echo "ok   gdb/options"
else
    echo "FAIL gdb/options: bad --gdb options not refused with status 2"; fails=$((fails + 1))
fi

if command -v gdb >/dev/null 2>&1; then
    # The brief's session: registers, a breakpoint at main, a step, the stack, kill.
    if start basic; then
        gdb_batch basic 'info registers' "break *$main" 'continue' 'stepi' 'x/4xw $esp' 'kill'
        finish basic
        check basic 14 gdb '+eax            0x2badb002' '+ebx            0x9500' \
            '+eip            0x103245' '+eflags         0x2                 [ ]' \
            '+cs             0x8' '+ss             0x10' '+gs             0x10' \
            "+Breakpoint 1, main (" "+$next" '+0x125350:	0x00000000	0x00103252	0x2badb002	0x00009500' \
            '+killed]'
        check basic 14 trapsim-err '+killed from the debugger at 0008:'"${next#0x}"
    else
        finish basic; fail basic "trapsim did not listen"
    fi

    # Run to the end under the debugger: the exit is reported to gdb.
    if start end; then
        gdb_batch end 'continue'
        finish end
        check end 1 gdb '+trapsim: the guest wrote 0x0 to isa-debug-exit' '+exited with code 01'
        check end 1 trapsim-out '+guestos: all processes exited'
    else
        finish end; fail end "trapsim did not listen"
    fi

    # Under the VMM: the guest kernel runs in ring 1.
    if start vmm --vmm; then
        gdb_batch vmm 'break trap' 'continue' 'bt' 'info registers cs' 'kill'
        finish vmm
        check vmm 14 gdb '+Breakpoint 1, trap (tf=' '+in alltraps ()' '+cs             0x9'
    else
        finish vmm; fail vmm "trapsim did not listen"
    fi

    # Under VT-x: the guest kernel in ring 0 (non-root), breakpoints and steps as bare.
    if start vtx --vmm=vtx; then
        gdb_batch vtx 'break trap' 'continue' 'info registers cs' 'stepi' 'kill'
        finish vtx
        check vtx 14 gdb '+Breakpoint 1, trap (tf=' '+cs             0x8' '+killed]'
    else
        finish vtx; fail vtx "trapsim did not listen"
    fi

    # Under the binary translator: the guest kernel runs from the translation
    # cache, but gdb sees the guest's addresses: a breakpoint in the kernel,
    # EIP and CS as the guest has them, stepi on, a write of EIP.
    if start dbt --vmm=dbt --isa x86; then
        gdb_batch dbt 'break trap' 'continue' 'info registers eip cs gs' 'stepi' 'info registers eip' \
            "set \$eip = $main" 'info registers eip' 'kill'
        finish dbt
        check dbt 14 gdb '+Breakpoint 1, trap (tf=' "+eip            0x${trap8#00}" '+cs             0x9' \
            '+gs             0x10' '+<trap+' "+eip            $main " '-0xfff4'
    else
        finish dbt; fail dbt "trapsim did not listen"
    fi

    # monitor commands (qRcmd) at the popf lesson's scheduler: the virtual
    # CPU beside the real one, the guest's tables beside the shadow ones.
    if start monitor --vmm --isa x86 --cmdline procs=sleeper; then
        gdb_batch monitor 'break scheduler' 'continue' 'monitor help' 'monitor info registers' \
            'monitor info vcpu' 'monitor info idt' 'monitor info gdt' 'monitor info tss' \
            'monitor info shadow' 'monitor info nothing' 'kill'
        finish monitor
        check monitor 14 gdb '+Breakpoint 1, scheduler ()' '+trapsim monitor commands (QEMU-style):' \
            '+  cr0=00000011 [ PE ET ] cr2=00000000 cr3=00000000 cr4=00000000 [ ]' \
            "+  eip=$sched8" '+cpl=1  eip <scheduler>' \
            "+the guest's virtual CPU (vmm_t.vcpu) beside the real CPU:" \
            '+  cpl      0                                    1 (ring compression)' \
            "+IDT (the CPU's IDTR): base=fff10000 limit=07ff, 256 gates" '+  0x0d  int32   fff8:00000000 dpl=3  #GP' \
            "+GDT (the CPU's GDTR): base=fff00000 limit=ffff" \
            "+TSS (the CPU's TR): tr=ffe8 base=fff10800" '+  ss0:esp0=fff0:fff20000' \
            "+guest IDT at $idt8 limit 07ff (virtual IDTR)" '+<vector32>' \
            '+        shadow: base=00000000 limit=ffefffff dpl=1 code r-x 32-bit' \
            "+TSS (the guest's, its virtual TR): tr=0028" '+trap-and-emulate VMM: area fff00000-ffffffff' \
            "+unknown monitor command 'info nothing'"
    else
        finish monitor; fail monitor "trapsim did not listen"
    fi
    if start monitor-bare; then
        gdb_batch monitor-bare 'monitor info vcpu' 'monitor info gdt' 'kill'
        finish monitor-bare
        check monitor-bare 14 gdb '+no monitor: the guest runs bare' "+GDT (the CPU's GDTR): base=00000000 limit=0000"
    else
        finish monitor-bare; fail monitor-bare "trapsim did not listen"
    fi
else
    echo "skip gdb/basic, gdb/end, gdb/vmm, gdb/vtx, gdb/monitor (no gdb installed)"
fi

# The raw protocol: acks, checksums, errors, Ctrl-C, no-ack mode, detach.
if command -v python3 >/dev/null 2>&1 && python3 -c 'import socket' 2>/dev/null; then
    if start rsp; then
        timeout "$T" python3 "$here/rsp.py" "$port" "$main8" >"$tmp/rsp.client" 2>&1
        finish rsp
        check rsp 1 client '+rsp: ok'
        check rsp 1 trapsim-out '+guestos: all processes exited'
    else
        finish rsp; fail rsp "trapsim did not listen"
    fi
else
    echo "skip gdb/rsp (no python3)"
fi

if [ "$fails" -ne 0 ]; then
    echo "gdb: $fails of $n cases failed"
    exit 1
fi
echo "gdb: all $n cases passed"
