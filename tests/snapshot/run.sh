#!/usr/bin/env bash
# Snapshots and live migration, end to end (README, "Snapshots and live
# migration"):
#   - a run cut by --snapshot and continued by `resume` prints, on the
#     console and in the trace, exactly what the uninterrupted run prints:
#     bare, under te, vtx, pv and dbt, two VMs;
#   - bad snapshot files (not one, another version, truncated, corrupted, a
#     layout that does not fit): one line naming the file, exit status 2;
#   - live migration: the source's console followed by the destination's is
#     the uninterrupted run's; a destination that refuses, disconnects, does
#     not answer (--migrate-timeout) or is not there leaves the source running; a malformed stream is refused;
#     a destination nobody comes to gives up after its --timeout.
set -u
T=${TRAPSIM:-./trapsim}
GOS=build/guests/guestos.elf
MW=build/guests/snapshot/memwrite.elf
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
fail=0
ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*"; fail=1; }

# resume_same NAME AT RUN-ARGS...: cut at step AT, resume, compare
resume_same() {
    local name=$1 at=$2; shift 2
    "$T" run --quiet --trace trap,io --trace-file "$W/full.trace" "$@" >"$W/full.out" 2>/dev/null
    "$T" run --quiet --trace trap,io --trace-file "$W/a.trace" --snapshot "$W/s.snap" --snapshot-at "$at" "$@" \
        >"$W/a.out" 2>"$W/a.err"
    local st=$?
    [ $st -eq 0 ] || { bad "$name: the snapshot run ended with $st: $(cat "$W/a.err")"; return; }
    "$T" resume "$W/s.snap" --quiet --trace trap,io --trace-file "$W/b.trace" >"$W/b.out" 2>/dev/null
    if cat "$W/a.out" "$W/b.out" | cmp -s - "$W/full.out" &&
       cat "$W/a.trace" "$W/b.trace" | cmp -s - "$W/full.trace" && [ -s "$W/b.trace" ] && [ -s "$W/a.trace" ]; then
        ok "$name: snapshot at $at + resume == the uninterrupted run (console and trace)"
    else
        bad "$name: snapshot at $at + resume differs from the uninterrupted run"
    fi
}

echo "== snapshot and resume"
resume_same bare 3000000 "$GOS"
resume_same te 3000000 --vmm "$GOS"
resume_same te-expose-pg 1234567 --vmm --expose-pg --isa pg "$GOS"
resume_same vtx 3000000 --vmm=vtx "$GOS"
resume_same pv 3000000 --vmm=pv "$GOS"
resume_same pv-early 250000 --vmm=pv "$GOS"
resume_same dbt 3000000 --vmm=dbt "$GOS"
resume_same dbt-early 123457 --vmm=dbt "$GOS"
resume_same memwrite-te 177777 --vmm "$MW"
resume_same two-vms 2500000 --quantum 30000 --vm a --vmm "$GOS" --vm b --vmm=vtx --cmdline procs=counter,hello --weight 2 "$GOS"

echo "== bad snapshot files (one line, exit status 2)"
"$T" run --quiet --snapshot "$W/good.snap" --snapshot-at 1000000 "$GOS" >/dev/null 2>&1
size=$(stat -c %s "$W/good.snap")
head -c $((size / 2)) "$W/good.snap" >"$W/truncated.snap"
cp "$W/good.snap" "$W/corrupt.snap"
printf '\xff' | dd of="$W/corrupt.snap" bs=1 seek=$((size / 2)) conv=notrunc status=none
cp "$W/good.snap" "$W/version.snap"
printf '\x09' | dd of="$W/version.snap" bs=1 seek=8 conv=notrunc status=none
echo "hello" >"$W/text.snap"
"$T" run --quiet --snapshot "$W/stored.snap" --snapshot-stored --snapshot-at 1000000 "$GOS" >/dev/null 2>&1
python3 tests/snapshot/fake_dest.py layout "$W/stored.snap" "$W/layout.snap"
for c in "truncated:truncated" "corrupt:corrupted" "version:version 9" "text:not a trapsim snapshot" "missing:cannot read" \
         "layout:a different guest layout"; do
    f=${c%%:*} want=${c#*:}
    "$T" resume "$W/$f.snap" >"$W/out" 2>"$W/err"
    st=$?
    if [ $st -eq 2 ] && [ "$(wc -l <"$W/err")" -eq 1 ] && grep -q "$W/$f.snap: .*$want" "$W/err" && [ ! -s "$W/out" ]; then
        ok "$f: $(cat "$W/err")"
    else
        bad "$f: status $st, '$(cat "$W/err")' (wanted '$want' and status 2)"
    fi
done

echo "== live migration"
# listen MODE-ARGS...: a destination in the background, its address in $W/addr
listen() {
    rm -f "$W/addr" "$W/d.out" "$W/d.err"
    "$T" migrate-listen 127.0.0.1:0 --quiet --timeout 20 "$@" >"$W/d.out" 2>"$W/d.err" &
    DEST=$!
    for _ in $(seq 100); do
        grep -q "waiting on" "$W/d.err" 2>/dev/null && break
        sleep 0.05
    done
    sed -n 's/.*waiting on //p' "$W/d.err" >"$W/addr"
}
for c in "" idle; do
    "$T" run --quiet ${c:+--cmdline $c} "$MW" >"$W/full.out" 2>/dev/null
    listen
    "$T" run --quiet ${c:+--cmdline $c} --migrate-to "$(cat "$W/addr")" --migrate-at 100000 --migrate-dirty 8 \
        "$MW" >"$W/s.out" 2>"$W/s.err"
    st=$?
    wait $DEST
    if [ $st -eq 0 ] && grep -q "the VM continues" "$W/s.err" && cat "$W/s.out" "$W/d.out" | cmp -s - "$W/full.out"; then
        ok "memwrite ${c:-hot set}: source + destination == the uninterrupted run ($(grep -c ": round " "$W/s.err") rounds)"
    else
        bad "memwrite ${c:-hot set}: migration status $st; $(cat "$W/s.err" "$W/d.err")"
    fi
done
for mon in te dbt; do
    "$T" run --vmm=$mon --quiet --trace trap --trace-file "$W/full.trace" "$GOS" >"$W/full.out" 2>/dev/null
    listen --trace trap --trace-file "$W/d.trace"
    "$T" run --vmm=$mon --quiet --trace trap --trace-file "$W/s.trace" --migrate-to "$(cat "$W/addr")" --migrate-at 1000000 \
        "$GOS" >"$W/s.out" 2>"$W/s.err"
    wait $DEST
    if cat "$W/s.out" "$W/d.out" | cmp -s - "$W/full.out" && cat "$W/s.trace" "$W/d.trace" | cmp -s - "$W/full.trace"; then
        ok "guestos under $mon: console and trace of source + destination == the uninterrupted run"
    else
        bad "guestos under $mon: migration differs"
    fi
done

# the source runs on, whole, when the destination is not what it should be
"$T" run --quiet "$MW" >"$W/full.out" 2>/dev/null
for mode in refuse disconnect silent absent; do
    rm -f "$W/port"
    if [ $mode = absent ]; then
        echo "127.0.0.1:1" >"$W/port"
    else
        python3 tests/snapshot/fake_dest.py $mode "$W/port" &
        for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
    fi
    "$T" run --quiet --migrate-to "$(cat "$W/port")" --migrate-at 100000 --migrate-timeout 1 "$MW" >"$W/s.out" 2>"$W/s.err"
    st=$?
    kill $(jobs -p) 2>/dev/null
    wait 2>/dev/null
    if [ $st -eq 1 ] && cmp -s "$W/s.out" "$W/full.out" && grep -q "the VM runs on here" "$W/s.err"; then
        ok "destination $mode: $(grep 'runs on' "$W/s.err")"
    else
        bad "destination $mode: status $st, $(cat "$W/s.err")"
    fi
done
listen
python3 tests/snapshot/fake_dest.py garbage "$W/addr"
wait $DEST
st=$?
if [ $st -eq 2 ] && grep -q "malformed stream" "$W/d.err" && [ ! -s "$W/d.out" ]; then
    ok "malformed stream: $(grep malformed "$W/d.err")"
else
    bad "malformed stream: status $st, $(cat "$W/d.err")"
fi
"$T" migrate-listen 127.0.0.1:0 --timeout 1 >/dev/null 2>"$W/d.err"
st=$?
if [ $st -eq 2 ] && grep -q "no VM came within 1 s" "$W/d.err"; then
    ok "nobody comes: $(tail -1 "$W/d.err")"
else
    bad "nobody comes: status $st, $(cat "$W/d.err")"
fi

[ $fail -eq 0 ] && echo "test-snapshot: all passed" || { echo "test-snapshot: FAILED"; exit 1; }
