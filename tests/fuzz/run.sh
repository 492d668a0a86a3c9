#!/usr/bin/env bash
# Runs trapsim's fuzz targets (tests/fuzz/README.md):
#
#   run.sh --dir BUILD/fuzz --seconds N TARGET...
#
# For each TARGET: first every input in tests/corpus/TARGET/ is replayed once
# (the seeds and the regress-* inputs of crashes found before: each must run
# clean), then libFuzzer mutates from there for N seconds (N = 0: replay
# only). New inputs go to DIR/corpus/TARGET/, crashes to DIR/artifacts/TARGET/,
# the fuzzer's log to DIR/TARGET.log. Ends with "fuzz: P passed, F failed"
# and a non-zero status when any target failed.
set -u
dir= seconds=5
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ -n "$dir" ] && [ ${#targets[@]} -gt 0 ] || { echo "usage: run.sh --dir DIR --seconds N TARGET..." >&2; exit 2; }
top=$(pwd)
dir=$(cd "$dir" && pwd) || exit 2
passed=0 failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# the lines of a libFuzzer log that say what went wrong and where
report() {
  grep -aE 'ERROR: |SUMMARY: |runtime error|fuzz check failed|Test unit written|^ *#[0-3] ' "$1" | head -n 14 | sed 's/^/    /'
}

for t in "${targets[@]}"; do
  bin=$dir/fuzz_$t
  seeds=$top/tests/corpus/$t
  work=$dir/corpus/$t
  art=$dir/artifacts/$t
  log=$dir/$t.log
  mkdir -p "$work" "$art" "$seeds"
  if [ ! -x "$bin" ]; then
    echo "fuzz $t: FAILED: $bin is not built"; failed=$((failed + 1)); continue
  fi
  # 1. replay: seeds and regressions, one run each
  mapfile -t inputs < <(find "$seeds" -maxdepth 1 -type f ! -name '.*' ! -name 'README*' | sort)
  if [ ${#inputs[@]} -gt 0 ]; then
    if ! (cd "$art" && "$bin" -timeout=20 "${inputs[@]}") > "$log.replay" 2>&1; then
      echo "fuzz $t: FAILED: replaying tests/corpus/$t/ (log: $log.replay)"
      report "$log.replay"
      failed=$((failed + 1)); continue
    fi
  fi
  if [ "$seconds" = 0 ]; then
    echo "fuzz $t: replayed ${#inputs[@]} inputs"; passed=$((passed + 1)); continue
  fi
  # 2. fuzz
  opts=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
        -artifact_prefix="$art/")
  # value profiles help find magic numbers (ELF, Multiboot), at some cost in speed
  [ "$t" = loader ] && opts+=(-use_value_profile=1)
  [ -f "$top/tests/fuzz/$t.dict" ] && opts+=(-dict="$top/tests/fuzz/$t.dict")
  start=$(date +%s)
  (cd "$art" && "$bin" "${opts[@]}" "$work" "$seeds") > "$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -n 1)
  corp=$(ls "$work" | wc -l)
  if [ $rc -ne 0 ]; then
    echo "fuzz $t: FAILED after ${took}s, exit $rc (log: $log)"
    report "$log"
    echo "    keep the input as tests/corpus/$t/regress-WHAT once the cause is known"
    failed=$((failed + 1))
  else
    echo "fuzz $t: ok, ${took}s, ${execs:-?} runs, ${cov:-cov: ?}, corpus $corp (${#inputs[@]} seeds)"
    passed=$((passed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed = 0 ]
