#!/usr/bin/env bash
# bench/bench.sh: trapsim's speed table (`make bench`; bench/README.md).
#
# Every case runs at two sizes of its work (n, loops) and its speed is the
# slope: (instructions of the big run - instructions of the small run) /
# (seconds of the big run - seconds of the small run). That separates the
# start-up cost (process start, loading, BIOS POST) from the steady-state
# speed. Each size runs BENCH_REPS times and keeps the fastest run.
#
#   bash bench/bench.sh --trapsim T --image I --dir D [--floppy F]
#        [--native N] [--notrace T2] [--kprime-image K] [--xlate-image X]
# Environment: BENCH_REPS (default 3), BENCH_CLOCK (cpu, the default: user +
# system time, steady on a machine shared with other jobs; or wall), BENCH_ONLY (words among
# vmm sysloop pv dbt pictures trace notrace hosts vtx snapshot qemu bochs native; the bare isprime reference
# always runs).
# Output: the table on stdout; progress on stderr; the table again in
# D/bench.txt and every number as key=value lines in D/bench.stats.
set -u
export LC_ALL=C

TRAPSIM=./trapsim IMAGE=build/guests/guestos.elf DIR=build/bench
FLOPPY= NATIVE= NOTRACE= KIMAGE= XIMAGE=
while [ $# -gt 0 ]; do
  case "$1" in
    --trapsim) TRAPSIM=$2; shift 2 ;;
    --image) IMAGE=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --floppy) FLOPPY=$2; shift 2 ;;
    --native) NATIVE=$2; shift 2 ;;
    --notrace) NOTRACE=$2; shift 2 ;;
    --kprime-image) KIMAGE=$2; shift 2 ;;
    --xlate-image) XIMAGE=$2; shift 2 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
REPS=${BENCH_REPS:-3}
CLOCK=${BENCH_CLOCK:-cpu}   # cpu: user+system time of the run; wall: elapsed time
ONLY=${BENCH_ONLY:-}
RUNSTAT=$DIR/runstat
RUN=$DIR/runs
mkdir -p "$RUN"
rm -f "$RUN"/*

# Sizes: the big run lasts a few seconds on trapsim today (about 70 MIPS);
# the small one is a tenth of the work or less.
ISP_S=50000   ISP_B=500000     # isprime n (big: 257 M instructions)
SYS_S=100000  SYS_B=2000000    # sysloop getpid calls
TRC_S=5000    TRC_B=50000      # isprime n with the insn trace on
EMU_K=8                        # QEMU and native: 8 isprime runs of the big n
KP_S=8000     KP_B=25000       # kprime n: the lecture's isPrime in the guest kernel (big: ~320 M)
XL_S=200      XL_B=2000        # xlate rounds: 64 blocks rewritten and translated again each round
MEM=64M MEM_MIB=64             # guest RAM, named on every trapsim run
TIMEOUT=150                    # seconds, per run
LONG=${BENCH_LONG:-8}          # seconds: a longer run is not repeated
REPEAT_KEYS="vsys pic"         # ... except these: the pictures row compares them (at most 20 % apart)

want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
say() { echo "bench: $*" >&2; }

# --- one run, timed ---------------------------------------------------------
# run_case KEY SIZE CHECK CMD...: runs CMD REPS times (stdout, stderr and
# runstat's line in $RUN/KEY.SIZE.*), keeps the fastest time (CLOCK) and the
# largest peak RSS in T[KEY.SIZE] (ns) and RSS[KEY.SIZE] (KiB). CHECK is a
# function name called with KEY SIZE that says whether the output is right.
# On failure F[KEY] holds the reason.
declare -A T RSS F
RUNFAIL=0   # runs that crashed or printed a wrong result: make bench fails
run_case() {
  local key=$1 size=$2 check=$3; shift 3
  local r base t wall cpu rss st
  for ((r = 1; r <= REPS; r++)); do
    base=$RUN/$key.$size
    "$RUNSTAT" -t "$TIMEOUT" -o "$base.rs" -- "$@" >"$base.out" 2>"$base.err" </dev/null
    read -r wall cpu rss st < <(sed "s/[a-z_]*=//g" "$base.rs" 2>/dev/null)
    t=$cpu
    [ "$CLOCK" = wall ] && t=$wall
    if [ -z "${st:-}" ] || ! "$check" "$key" "$size" "${st}"; then
      RUNFAIL=$((RUNFAIL + 1))
      [ -n "${F[$key]:-}" ] || F[$key]="run failed (status ${st:-?}; see $base.out, $base.err)"
      return 1
    fi
    if [ -z "${T[$key.$size]:-}" ] || [ "$t" -lt "${T[$key.$size]}" ]; then
      T[$key.$size]=$t
    fi
    if [ -z "${RSS[$key.$size]:-}" ] || [ "$rss" -gt "${RSS[$key.$size]}" ]; then
      RSS[$key.$size]=$rss
    fi
    # a run of more than LONG seconds is not repeated (the bench stays near
    # 3 minutes), but for the two that a row compares within a few percent
    case " $REPEAT_KEYS " in
      *" $key "*) ;;
      *) [ "$wall" -gt $((LONG * 1000000000)) ] && break ;;
    esac
  done
  return 0
}

# sval KEY SIZE NAME: a value from the --stats file of the last run.
sval() { sed -n "s/^$3=//p" "$RUN/$1.$2.stats" 2>/dev/null | head -n 1; }
# exits KEY SIZE: VM exits from the stats file: vmm.exits, vmm.exits.total,
# vmm.exit.total, or else the sum of every vmm.exit(s).* counter, or of
# every vtx.exits.* counter (--vmm=vtx: by exit reason).
exits() {
  local f=$RUN/$1.$2.stats v k
  for k in vmm.exits vmm.exits.total vmm.exit.total vmm.exit_count; do
    v=$(sed -n "s/^$k=//p" "$f" 2>/dev/null | head -n 1)
    [ -n "$v" ] && { echo "$v"; return; }
  done
  awk -F= '$1 ~ /^(vmm\.exits?|vtx\.exits)\./ && $2 ~ /^[0-9]+$/ { s += $2; n++ } END { if (n) print s }' "$f" 2>/dev/null
}

# Output checks. The guest ends by writing 0 to isa-debug-exit: status 1.
PRIMES=  # the prime count trapsim bare found for the big n: every machine must agree
check_isprime() {  # KEY SIZE STATUS
  local n=$2 out=$RUN/$1.$2.out
  [ "$3" = 1 ] || return 1
  grep -q "all processes exited" "$out" || return 1
  grep -qE "isprime: [0-9]+ primes below $n\$" "$out" || return 1
  check_count "$1" "$n" "$out"
}
check_count() {  # KEY N FILE: same prime count as trapsim bare for the big n
  [ "$2" = "$ISP_B" ] && [ -n "$PRIMES" ] || return 0
  local c
  c=$(sed -n "s/.*isprime: \([0-9]*\) primes below $2\$/\1/p" "$3" | sort -u)
  [ "$c" = "$PRIMES" ] && return 0
  F[$1]="wrong result: '$c' primes below $2, trapsim bare says $PRIMES"
  return 1
}
check_sysloop() {
  [ "$3" = 1 ] && grep -q "sysloop: $2 getpid calls" "$RUN/$1.$2.out" &&
    grep -q "all processes exited" "$RUN/$1.$2.out"
}
check_qemu() {  # status 1; the big run prints EMU_K lines
  local want=1
  [ "$2" = "$ISP_B" ] && want=$EMU_K
  [ "$3" = 1 ] || return 1
  [ "$(grep -cE "isprime: [0-9]+ primes below $2\$" "$RUN/$1.$2.out")" = "$want" ] || return 1
  check_count "$1" "$2" "$RUN/$1.$2.out"
}
check_native() {
  local want=1
  [ "$2" = "$ISP_B" ] && want=$EMU_K
  [ "$3" = 0 ] || return 1
  [ "$(grep -cE "isprime: [0-9]+ primes below $2\$" "$RUN/$1.$2.out")" = "$want" ] || return 1
  check_count "$1" "$2" "$RUN/$1.$2.out"
}
check_bochs() {  # Bochs ends through its shutdown port (a "panic": status 1)
  grep -qaE "isprime: [0-9]+ primes below $2\$" "$RUN/$1.$2.out" || return 1
  check_count "$1" "$2" "$RUN/$1.$2.out"
}

# trapsim KEY SIZE CHECK [options...] -- CMDLINE
trapsim_case() {
  local key=$1 size=$2 check=$3; shift 3
  local opts=()
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done
  run_case "$key" "$size" "$check" "$TRAPSIM" run --quiet --mem "$MEM" "${opts[@]}" \
    --stats "$RUN/$key.$size.stats" --cmdline "$2" "$IMAGE"
}

# --- arithmetic -------------------------------------------------------------
# slope KEY DI: MIPS from the instruction difference DI and the time
# difference of KEY's two sizes; sets M[KEY] and S[KEY] (start-up seconds,
# the intercept). Empty when the difference is lost in the noise.
declare -A M S I
slope() {
  local key=$1 di=$2 small=$3 big=$4 is=$5
  local ts=${T[$key.$small]:-} tb=${T[$key.$big]:-}
  [ -n "$ts" ] && [ -n "$tb" ] || return 1
  M[$key]=$(awk -v di="$di" -v ts="$ts" -v tb="$tb" 'BEGIN { if (tb > ts) printf "%.1f", di / (tb - ts) * 1000 }')
  [ -n "${M[$key]}" ] || { F[$key]="no slope: the big run was not slower than the small one"; return 1; }
  S[$key]=$(awk -v m="${M[$key]}" -v ts="$ts" -v is="$is" 'BEGIN { printf "%.3f", ts / 1e9 - is / (m * 1e6) }')
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }   # calc FORMAT EXPR

# ============================================================================
[ -x "$RUNSTAT" ] || { echo "bench.sh: $RUNSTAT missing (make bench builds it)" >&2; exit 2; }
[ -x "$TRAPSIM" ] && [ -f "$IMAGE" ] || { echo "bench.sh: $TRAPSIM or $IMAGE missing" >&2; exit 2; }
START=$(date +%s)

# 1. isprime bare: the reference. Its instruction counts also give the other
#    machines theirs (same object code, same count).
say "isprime bare (n=$ISP_S, $ISP_B; best of $REPS)"
trapsim_case isp "$ISP_S" check_isprime -- "procs=isprime n=$ISP_S" &&
  trapsim_case isp "$ISP_B" check_isprime -- "procs=isprime n=$ISP_B"
PRIMES=$(sed -n "s/.*isprime: \([0-9]*\) primes below $ISP_B\$/\1/p" "$RUN/isp.$ISP_B.out" 2>/dev/null)
for s in "$ISP_S" "$ISP_B"; do
  I[isp.$s]=$(sval isp "$s" insns.total)
  I[r3.$s]=$(sval isp "$s" insns.ring3)
done
if [ -z "${F[isp]:-}" ] && [ -n "${I[isp.$ISP_B]}" ]; then
  slope isp $((I[isp.$ISP_B] - I[isp.$ISP_S])) "$ISP_S" "$ISP_B" "${I[isp.$ISP_S]}"
else
  echo "bench.sh: the reference run (trapsim bare isprime) failed: ${F[isp]:-no stats}" >&2
  cat "$RUN"/isp.*.err >&2 2>/dev/null
  exit 1
fi
R3_S=${I[r3.$ISP_S]} R3_B=${I[r3.$ISP_B]}

# 2. Is the VMM there? A one-process boot under --vmm --isa pg.
VMM_NA=
if want vmm; then
  "$TRAPSIM" run --quiet --vmm --isa pg --mem "$MEM" --cmdline "procs=hello" "$IMAGE" \
    >"$RUN/vmmprobe.out" 2>"$RUN/vmmprobe.err" </dev/null
  st=$?
  if [ "$st" != 1 ] || ! grep -q "all processes exited" "$RUN/vmmprobe.out"; then
    VMM_NA="n/a (--vmm does not run yet: $(grep -v '^$' "$RUN/vmmprobe.err" | tail -n 1 | cut -c1-60))"
  fi
else
  VMM_NA="n/a (not selected)"
fi

if [ -z "$VMM_NA" ]; then
  say "isprime --vmm --isa pg"
  if trapsim_case vmm "$ISP_S" check_isprime --vmm --isa pg -- "procs=isprime n=$ISP_S" &&
     trapsim_case vmm "$ISP_B" check_isprime --vmm --isa pg -- "procs=isprime n=$ISP_B"; then
    for s in "$ISP_S" "$ISP_B"; do I[vmm.$s]=$(sval vmm "$s" insns.total); done
    slope vmm $((I[vmm.$ISP_B] - I[vmm.$ISP_S])) "$ISP_S" "$ISP_B" "${I[vmm.$ISP_S]}"
  fi
fi

# 3. The system-call loop, bare and under the VMM.
if want sysloop; then
  say "sysloop bare (loops=$SYS_S, $SYS_B)"
  if trapsim_case sys "$SYS_S" check_sysloop -- "procs=sysloop loops=$SYS_S" &&
     trapsim_case sys "$SYS_B" check_sysloop -- "procs=sysloop loops=$SYS_B"; then
    for s in "$SYS_S" "$SYS_B"; do I[sys.$s]=$(sval sys "$s" insns.total); done
    slope sys $((I[sys.$SYS_B] - I[sys.$SYS_S])) "$SYS_S" "$SYS_B" "${I[sys.$SYS_S]}"
  fi
  if [ -z "$VMM_NA" ]; then
    say "sysloop --vmm --isa pg"
    if trapsim_case vsys "$SYS_S" check_sysloop --vmm --isa pg -- "procs=sysloop loops=$SYS_S" &&
       trapsim_case vsys "$SYS_B" check_sysloop --vmm --isa pg -- "procs=sysloop loops=$SYS_B"; then
      for s in "$SYS_S" "$SYS_B"; do
        I[vsys.$s]=$(sval vsys "$s" insns.total)
        I[vexit.$s]=$(exits vsys "$s")
      done
      slope vsys $((I[vsys.$SYS_B] - I[vsys.$SYS_S])) "$SYS_S" "$SYS_B" "${I[vsys.$SYS_S]}"
    fi
  fi
fi

# 3b. Paravirtualization (--vmm=pv) against trap-and-emulate (--vmm --isa
#     pg), each its own runs: exits and host ns per system call (sysloop,
#     two sizes), per timer tick (isprime at two guest speeds: the same
#     instructions, ten times the ticks) and per boot (procs=hello).
PV_MODES="te pv"
pv_flags() { if [ "$1" = te ]; then echo "--vmm --isa pg"; else echo "--vmm=pv"; fi; }
check_any_exit() { [ "$3" = 1 ] && grep -q "all processes exited" "$RUN/$1.$2.out"; }
check_tick() { check_any_exit "$@" && grep -qE "isprime: [0-9]+ primes below $ISP_B\$" "$RUN/$1.$2.out"; }
pv_sysloop() {  # MODE: ns and exits per system call
  local k=${1}sys
  trapsim_case "$k" "$SYS_S" check_sysloop $(pv_flags "$1") -- "procs=sysloop loops=$SYS_S" &&
    trapsim_case "$k" "$SYS_B" check_sysloop $(pv_flags "$1") -- "procs=sysloop loops=$SYS_B" || return 1
  PV_NS[$k]=$(calc "%.0f" "(${T[$k.$SYS_B]} - ${T[$k.$SYS_S]}) / ($SYS_B - $SYS_S)")
  PV_EX[$k]=$(calc "%.2f" "($(exits "$k" "$SYS_B") - $(exits "$k" "$SYS_S")) / ($SYS_B - $SYS_S)")
}
pv_tick() {  # MODE: ns and exits per timer tick
  local k=${1}tick n=$ISP_B
  trapsim_case "$k" 10000000 check_tick $(pv_flags "$1") --guest-ips 10000000 -- "procs=isprime n=$n" &&
    trapsim_case "$k" 1000000 check_tick $(pv_flags "$1") --guest-ips 1000000 -- "procs=isprime n=$n" || return 1
  local t1 t2
  t1=$(sval "$k" 10000000 vmm.exit.irq.0) t2=$(sval "$k" 1000000 vmm.exit.irq.0)
  [ -n "$t1" ] && [ -n "$t2" ] && [ "$t2" -gt "$t1" ] || return 1
  PV_NS[$k]=$(calc "%.0f" "(${T[$k.1000000]} - ${T[$k.10000000]}) / ($t2 - $t1)")
  PV_EX[$k]=$(calc "%.2f" "($(exits "$k" 1000000) - $(exits "$k" 10000000)) / ($t2 - $t1)")
}
pv_boot() {  # MODE: a whole run of one process that writes one line
  local k=${1}boot
  trapsim_case "$k" 1 check_any_exit $(pv_flags "$1") -- "procs=hello" || return 1
  PV_NS[$k]=${T[$k.1]}
  PV_EX[$k]=$(exits "$k" 1)
}
declare -A PV_NS PV_EX
if want pv; then
  for mode in $PV_MODES; do
    say "paravirtualization: $mode (sysloop, timer ticks, boot)"
    pv_sysloop "$mode" || F[${mode}sys]=${F[${mode}sys]:-failed}
    pv_tick "$mode" || F[${mode}tick]=${F[${mode}tick]:-failed}
    pv_boot "$mode" || F[${mode}boot]=${F[${mode}boot]:-failed}
  done
fi

# 3c. Binary translation (issue 15), on guestos-kprime.elf: the lecture's
#     isPrime run by the guest kernel (kprime=N, CPL 0) bare and under
#     --vmm=dbt (after warm-up: the slope leaves the first translations
#     out); the translation cost, on the test guest xlate (every round
#     rewrites 64 blocks, which are translated again): the host time per
#     round under dbt less bare's, over the guest instructions translated
#     per round (--stats dbt.guest_insns); system-call exits per call under
#     te and dbt, both on the x86 profile. n/a until --vmm=dbt exists.
KIMAGE=${KIMAGE:-$(dirname "$IMAGE")/guestos-kprime.elf}
XIMAGE=${XIMAGE:-$(dirname "$IMAGE")/tests/xlate.elf}
check_xlate() { [ "$3" = 1 ] && grep -q "^$2 rounds of 64 blocks" "$RUN/$1.$2.out" && grep -q "xlate: 3 checks, 0 failed" "$RUN/$1.$2.out"; }
DBT_NA= KPRIMES= TRANS_NA= TRANS_NS= TRANS_PER=
check_kprime() {  # KEY SIZE STATUS: the count, the same as bare's for the big n
  local out=$RUN/$1.$2.out c
  [ "$3" = 1 ] && grep -q "all processes exited" "$out" || return 1
  c=$(sed -n "s/^kprime: \([0-9]*\) primes below $2 (kernel mode)\$/\1/p" "$out")
  [ -n "$c" ] || return 1
  [ "$2" = "$KP_B" ] && [ -n "$KPRIMES" ] && [ "$c" != "$KPRIMES" ] &&
    { F[$1]="wrong result: '$c' primes below $2, trapsim bare says $KPRIMES"; return 1; }
  return 0
}
# kprime_case KEY [options...]: both sizes of kprime on KIMAGE; sets the slope.
kprime_case() {
  local key=$1 s; shift
  local main_image=$IMAGE
  IMAGE=$KIMAGE
  trapsim_case "$key" "$KP_S" check_kprime "$@" -- "procs= kprime=$KP_S" &&
    trapsim_case "$key" "$KP_B" check_kprime "$@" -- "procs= kprime=$KP_B"
  local st=$?
  IMAGE=$main_image
  [ $st = 0 ] || return 1
  for s in "$KP_S" "$KP_B"; do I[$key.$s]=$(sval "$key" "$s" insns.total); done
  slope "$key" $((I[$key.$KP_B] - I[$key.$KP_S])) "$KP_S" "$KP_B" "${I[$key.$KP_S]}"
}
# sysloop_case KEY [options...]: both sizes of sysloop; exits per call in I[KEY.exits].
sysloop_case() {
  local key=$1 s; shift
  trapsim_case "$key" "$SYS_S" check_sysloop "$@" -- "procs=sysloop loops=$SYS_S" &&
    trapsim_case "$key" "$SYS_B" check_sysloop "$@" -- "procs=sysloop loops=$SYS_B" || return 1
  for s in "$SYS_S" "$SYS_B"; do I[$key.$s]=$(sval "$key" "$s" insns.total); I[$key.x$s]=$(exits "$key" "$s"); done
  slope "$key" $((I[$key.$SYS_B] - I[$key.$SYS_S])) "$SYS_S" "$SYS_B" "${I[$key.$SYS_S]}"
  [ -n "${I[$key.x$SYS_B]}" ] && [ -n "${I[$key.x$SYS_S]}" ] &&
    I[$key.exits]=$(calc "%.2f" "(${I[$key.x$SYS_B]} - ${I[$key.x$SYS_S]}) / ($SYS_B - $SYS_S)")
  # the translator's own exits (dbt.exit.CAUSE: into the VMM from a fragment), per call and cause
  I[$key.dexits]=$(awk -F= -v n=$((SYS_B - SYS_S)) '
      FNR == NR && $1 ~ /^dbt\.exit\./ { small[$1] = $2; next }
      $1 ~ /^dbt\.exit\./ { c = substr($1, 10); d = ($2 - small[$1]) / n; t += d
                             list = list sprintf("%s%s %.2f", list == "" ? "" : ", ", c, d) }
      END { if (list != "") printf "%.2f (%s)", t, list }' \
      "$RUN/$key.$SYS_S.stats" "$RUN/$key.$SYS_B.stats" 2>/dev/null)
  return 0
}
if ! want dbt; then
  DBT_NA="n/a (not selected)"
elif [ ! -f "$KIMAGE" ]; then
  DBT_NA="n/a (no $KIMAGE: make builds it)"
else
  "$TRAPSIM" run --quiet --vmm=dbt --isa x86 --mem "$MEM" --cmdline "procs=hello" "$IMAGE" \
    >"$RUN/dbtprobe.out" 2>"$RUN/dbtprobe.err" </dev/null
  st=$?
  if [ "$st" != 1 ] || ! grep -q "all processes exited" "$RUN/dbtprobe.out"; then
    DBT_NA="n/a (--vmm=dbt does not run yet: $(grep -v '^$' "$RUN/dbtprobe.err" | tail -n 1 | cut -c1-60))"
  fi
fi
TRANS_NA=$DBT_NA
if want dbt && [ -f "$KIMAGE" ]; then
  say "kprime bare (n=$KP_S, $KP_B)"
  kprime_case kp
  KPRIMES=$(sed -n "s/^kprime: \([0-9]*\) primes below $KP_B (kernel mode)\$/\1/p" "$RUN/kp.$KP_B.out" 2>/dev/null)
fi
if [ -z "$DBT_NA" ]; then
  say "kprime --vmm=dbt --isa x86"
  kprime_case kpdbt --vmm=dbt --isa x86
  if [ ! -f "$XIMAGE" ]; then
    TRANS_NA="n/a (no $XIMAGE: make builds it)"
  else
    say "xlate bare and --vmm=dbt --isa x86 (rounds=$XL_S, $XL_B)"
    main_image=$IMAGE IMAGE=$XIMAGE
    if trapsim_case xl "$XL_S" check_xlate -- "xlate rounds=$XL_S" &&
       trapsim_case xl "$XL_B" check_xlate -- "xlate rounds=$XL_B" &&
       trapsim_case xldbt "$XL_S" check_xlate --vmm=dbt --isa x86 -- "xlate rounds=$XL_S" &&
       trapsim_case xldbt "$XL_B" check_xlate --vmm=dbt --isa x86 -- "xlate rounds=$XL_B"; then
      g0=$(sval xldbt "$XL_S" dbt.guest_insns) g1=$(sval xldbt "$XL_B" dbt.guest_insns)
      if [ -z "$g0" ] || [ -z "$g1" ] || [ "$g1" -le "$g0" ]; then
        TRANS_NA="n/a (no dbt.guest_insns in --stats, or no more for more rounds)"
      else
        TRANS_NS=$(calc "%.0f" "((${T[xldbt.$XL_B]} - ${T[xldbt.$XL_S]}) - (${T[xl.$XL_B]} - ${T[xl.$XL_S]})) / ($g1 - $g0)")
        TRANS_PER="$(calc "%.0f" "($g1 - $g0) / ($XL_B - $XL_S)") guest insns translated a round"
      fi
    else
      TRANS_NA="FAILED: ${F[xl]:-${F[xldbt]:-run failed}}"
    fi
    IMAGE=$main_image
  fi
fi
if want dbt && want sysloop; then
  say "sysloop --vmm=te --isa x86"
  sysloop_case tsys --vmm=te --isa x86
  if [ -z "$DBT_NA" ]; then
    say "sysloop --vmm=dbt --isa x86"
    sysloop_case dsys --vmm=dbt --isa x86
  fi
fi

# 3c. Pictures (--dot, --timeline): the sysloop under the VMM, the run with
#     the most events per instruction, with the trap-flow graph and timeline.
if want pictures && [ -z "$VMM_NA" ]; then
  say "sysloop --vmm --isa pg with --dot --timeline (loops=$SYS_S, $SYS_B)"
  if trapsim_case pic "$SYS_S" check_sysloop --vmm --isa pg --dot "$RUN/pic.dot" --timeline "$RUN/pic-timeline.dot" \
       -- "procs=sysloop loops=$SYS_S" &&
     trapsim_case pic "$SYS_B" check_sysloop --vmm --isa pg --dot "$RUN/pic.dot" --timeline "$RUN/pic-timeline.dot" \
       -- "procs=sysloop loops=$SYS_B"; then
    for s in "$SYS_S" "$SYS_B"; do I[pic.$s]=$(sval pic "$s" insns.total); done
    slope pic $((I[pic.$SYS_B] - I[pic.$SYS_S])) "$SYS_S" "$SYS_B" "${I[pic.$SYS_S]}"
  fi
fi

# 4. The insn trace to /dev/null. One event per retired instruction: checked
#    once on a tiny run written to a file.
TRACE_NOTE=
if want trace; then
  say "insn trace to /dev/null (n=$TRC_S, $TRC_B)"
  "$TRAPSIM" run --quiet --mem "$MEM" --trace insn --trace-file "$RUN/trace-check.txt" \
    --stats "$RUN/trace-check.stats" --cmdline "procs=isprime n=1000" "$IMAGE" >/dev/null 2>&1 </dev/null
  lines=$(wc -l <"$RUN/trace-check.txt" 2>/dev/null || echo 0)
  ins=$(sed -n 's/^insns.total=//p' "$RUN/trace-check.stats" 2>/dev/null)
  rm -f "$RUN/trace-check.txt"
  if [ -n "$ins" ] && [ "$lines" = "$ins" ]; then
    TRACE_NOTE="one insn event per retired instruction (checked: $lines lines = insns.total on n=1000)"
  else
    TRACE_NOTE="WARNING: the insn trace of n=1000 had $lines lines for ${ins:-?} instructions; events/s counts instructions"
  fi
  if trapsim_case trc "$TRC_S" check_isprime --trace insn --trace-file /dev/null -- "procs=isprime n=$TRC_S" &&
     trapsim_case trc "$TRC_B" check_isprime --trace insn --trace-file /dev/null -- "procs=isprime n=$TRC_B"; then
    for s in "$TRC_S" "$TRC_B"; do I[trc.$s]=$(sval trc "$s" insns.total); done
    slope trc $((I[trc.$TRC_B] - I[trc.$TRC_S])) "$TRC_S" "$TRC_B" "${I[trc.$TRC_S]}"
  fi
fi

# 5. trapsim built without trace hooks.
NOTRACE_NA=
if ! want notrace; then
  NOTRACE_NA="n/a (not selected)"
elif [ -z "$NOTRACE" ] || [ ! -x "$NOTRACE" ]; then
  NOTRACE_NA="n/a (needs -DTRAPSIM_NO_TRACE)"
else
  say "isprime bare, -DTRAPSIM_NO_TRACE build"
  TRAPSIM_MAIN=$TRAPSIM TRAPSIM=$NOTRACE
  if trapsim_case ntr "$ISP_S" check_isprime -- "procs=isprime n=$ISP_S" &&
     trapsim_case ntr "$ISP_B" check_isprime -- "procs=isprime n=$ISP_B"; then
    for s in "$ISP_S" "$ISP_B"; do I[ntr.$s]=$(sval ntr "$s" insns.total); done
    slope ntr $((I[ntr.$ISP_B] - I[ntr.$ISP_S])) "$ISP_S" "$ISP_B" "${I[ntr.$ISP_S]}"
  fi
  TRAPSIM=$TRAPSIM_MAIN
fi

# 5b. Four VMs on one host (host/), each running isprime: the aggregate
#     speed of the host against one VM's (the reference).
HOSTS_NA= HOSTS_N=4
check_hosts() {  # KEY SIZE STATUS: each VM found the primes, all the same count
  local out=$RUN/$1.$2.out
  [ "$3" = 1 ] || return 1
  [ "$(grep -cE "^\[v[0-9]\] \[1 isprime\] isprime: [0-9]+ primes below $2\$" "$out")" = "$HOSTS_N" ] || return 1
  check_count "$1" "$2" "$out"
}
hosts_case() {  # SIZE: HOSTS_N VMs, bare, each with isprime n=SIZE
  local n=$1 args=() k
  for ((k = 1; k <= HOSTS_N; k++)); do args+=(--vm "v$k" --cmdline "procs=isprime n=$n" "$IMAGE"); done
  run_case hosts "$n" check_hosts "$TRAPSIM" run --quiet --mem "$MEM" --stats "$RUN/hosts.$n.stats" "${args[@]}"
}
if ! want hosts; then
  HOSTS_NA="n/a (not selected)"
else
  say "isprime, $HOSTS_N VMs on one host (n=$ISP_S, $ISP_B each)"
  if hosts_case "$ISP_S" && hosts_case "$ISP_B"; then
    for s in "$ISP_S" "$ISP_B"; do
      I[hosts.$s]=$(awk -F= '$1 ~ /^vm\.[^.]*\.insns\.total$/ { t += $2 } END { print t + 0 }' "$RUN/hosts.$s.stats")
    done
    slope hosts $((I[hosts.$ISP_B] - I[hosts.$ISP_S])) "$ISP_S" "$ISP_B" "${I[hosts.$ISP_S]}"
  fi
fi

# 5c. VT-x next to trap-and-emulate (issue 17): what a VM exit + entry
#     round trip costs, and how many exits a timer tick, a system call and a
#     boot take. Ticks: isprime with a tick every TICK_IPS/100 instructions,
#     bare, --vmm=vtx --isa x86 and --vmm --isa pg; both monitors retire the
#     bare run's instructions, so the time over bare per exit is the round
#     trip (exit, the monitor's work, entry). System calls: sysloop under
#     vtx (te's is row 3). A boot: procs= (boot, then the exit), once.
VTX_NA= TICK_IPS=100000
declare -A BOOT_EXITS
vtx_cases() {
  local s m key
  for m in "tkb" "tkx --vmm=vtx --isa x86" "tkt --vmm --isa pg"; do
    set -- $m
    key=$1; shift
    [ "$key" = tkt ] && [ -n "$VMM_NA" ] && continue
    say "isprime, a tick every $((TICK_IPS / 100)) insns: ${*:-bare}"
    if trapsim_case "$key" "$ISP_S" check_isprime "$@" --guest-ips "$TICK_IPS" -- "procs=isprime n=$ISP_S" &&
       trapsim_case "$key" "$ISP_B" check_isprime "$@" --guest-ips "$TICK_IPS" -- "procs=isprime n=$ISP_B"; then
      for s in "$ISP_S" "$ISP_B"; do
        I[$key.$s]=$(sval "$key" "$s" insns.total)
        I[$key.ticks.$s]=$(sval "$key" "$s" irq.0)
        I[$key.exits.$s]=$(exits "$key" "$s")
      done
      slope "$key" $((I[$key.$ISP_B] - I[$key.$ISP_S])) "$ISP_S" "$ISP_B" "${I[$key.$ISP_S]}"
    fi
  done
  say "sysloop --vmm=vtx --isa x86"
  if trapsim_case xsys "$SYS_S" check_sysloop --vmm=vtx --isa x86 -- "procs=sysloop loops=$SYS_S" &&
     trapsim_case xsys "$SYS_B" check_sysloop --vmm=vtx --isa x86 -- "procs=sysloop loops=$SYS_B"; then
    for s in "$SYS_S" "$SYS_B"; do
      I[xsys.$s]=$(sval xsys "$s" insns.total)
      I[xsys.exits.$s]=$(exits xsys "$s")
    done
    slope xsys $((I[xsys.$SYS_B] - I[xsys.$SYS_S])) "$SYS_S" "$SYS_B" "${I[xsys.$SYS_S]}"
  fi
  for m in "vtx --vmm=vtx --isa x86" "te --vmm --isa pg"; do
    set -- $m
    key=$1; shift
    [ "$key" = te ] && [ -n "$VMM_NA" ] && continue
    "$TRAPSIM" run --quiet "$@" --mem "$MEM" --stats "$RUN/boot-$key.0.stats" --cmdline "procs=" "$IMAGE" \
      >"$RUN/boot-$key.0.out" 2>&1 </dev/null
    [ $? = 1 ] && BOOT_EXITS[$key]=$(exits "boot-$key" 0)
  done
}
if ! want vtx; then
  VTX_NA="n/a (not selected)"
else
  vtx_cases
fi
# 5d. Snapshots and live migration (host/snapshot.h, host/migrate.h), 64 MiB
#     guests: snapshot write and resume times (wall, best of REPS) and file
#     size, mostly empty (the guest OS) and fully written (memwrite fill);
#     migration downtime of an idle guest and of one writing a hot set.
MEMWRITE=${BENCH_MEMWRITE:-build/guests/snapshot/memwrite.elf}
SNAP_NA=
declare -A SNAP
# best_ms CMD...: the fastest of REPS times (CLOCK) of CMD, in ms; fails when
# CMD could not run (status 2)
best_ms() {
  local best= k wall cpu rss st t
  for ((k = 0; k < REPS; k++)); do
    "$RUNSTAT" -t "$TIMEOUT" -o "$RUN/snap.rs" -- "$@" >/dev/null 2>&1 </dev/null
    read -r wall cpu rss st < <(sed "s/[a-z_]*=//g" "$RUN/snap.rs" 2>/dev/null)
    [ -n "${st:-}" ] && [ "$st" != 2 ] && [ "$st" != 124 ] || return 1
    t=$cpu
    [ "$CLOCK" = wall ] && t=$wall
    [ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
  done
  calc "%.1f" "$best / 1000000"
}
# snapshot_case KEY IMAGE CMDLINE: the guest runs to its end, then the snapshot
#   of the stopped VM is written; write = that run - the same run without it;
#   resume = loading it (the VM has nothing left to run)
snapshot_case() {
  local key=$1 image=$2 cmdline=$3 f=$RUN/$1.snap plain with
  plain=$(best_ms "$TRAPSIM" run --quiet --mem "$MEM" --cmdline "$cmdline" "$image") &&
  with=$(best_ms "$TRAPSIM" run --quiet --mem "$MEM" --cmdline "$cmdline" --snapshot "$f" --snapshot-at 1000000000000 "$image") &&
  SNAP[$key.resume]=$(best_ms "$TRAPSIM" resume --quiet "$f") || { SNAP[$key.fail]=1; return 1; }
  SNAP[$key.write]=$(calc "%.1f" "$with - $plain")
  SNAP[$key.kib]=$(( $(stat -c %s "$f") / 1024 ))
}
# migrate_case KEY CMDLINE: memwrite migrated at step 100000 over loopback
migrate_case() {
  local key=$1 cmdline=$2 addr
  "$TRAPSIM" migrate-listen 127.0.0.1:0 --quiet --timeout 30 >/dev/null 2>"$RUN/$key.dest" &
  local dest=$!
  for _ in $(seq 100); do grep -q "waiting on" "$RUN/$key.dest" && break; sleep 0.05; done
  addr=$(sed -n 's/.*waiting on //p' "$RUN/$key.dest")
  "$TRAPSIM" run --quiet --mem "$MEM" ${cmdline:+--cmdline "$cmdline"} --migrate-to "$addr" --migrate-at 100000 \
    --migrate-dirty 8 "$MEMWRITE" >/dev/null 2>"$RUN/$key.src"
  wait "$dest" 2>/dev/null
  SNAP[$key.rounds]=$(grep -c ': round ' "$RUN/$key.src")
  SNAP[$key.insns]=$(sed -n 's/.*downtime \([0-9]*\) guest instructions.*/\1/p' "$RUN/$key.src")
  SNAP[$key.ms]=$(sed -n 's/.*downtime \([0-9.]*\) ms.*/\1/p' "$RUN/$key.src")
  SNAP[$key.bytes]=$(sed -n 's/.*ms on this host, \([0-9]*\) bytes.*/\1/p' "$RUN/$key.src")
  [ -n "${SNAP[$key.ms]}" ] || { SNAP[$key.fail]=1; return 1; }
}
if ! want snapshot; then
  SNAP_NA="n/a (not selected)"
elif [ ! -e "$MEMWRITE" ]; then
  SNAP_NA="n/a (no $MEMWRITE: make guests)"
else
  say "snapshots and migration, $MEM guests"
  snapshot_case empty "$IMAGE" "procs=isprime n=1000"
  snapshot_case full "$MEMWRITE" "fill"
  migrate_case idle idle
  migrate_case hot ""
fi
# snapshot_table: the rows of 5c (in the table's output)
snapshot_table() {
  echo "snapshots and migration, $MEM_MIB MiB guests (ms of $CLOCK time, best of $REPS; downtime: wall)"
  if [ -n "$SNAP_NA" ]; then echo "  $SNAP_NA"; return; fi
  printf '  %-50s %10s %10s %10s\n' case "write ms" "resume ms" "file KiB"
  for c in "empty mostly empty (guest OS, isprime n=1000)" "full fully written (memwrite fill)"; do
    local k=${c%% *}
    if [ -n "${SNAP[$k.fail]:-}" ]; then printf '  %-50s %s\n' "snapshot, ${c#* }" FAILED; continue; fi
    printf '  %-50s %10s %10s %10s\n' "snapshot, ${c#* }" "${SNAP[$k.write]}" "${SNAP[$k.resume]}" "${SNAP[$k.kib]}"
    kv "snapshot.$k.write_ms" "${SNAP[$k.write]}"; kv "snapshot.$k.resume_ms" "${SNAP[$k.resume]}"; kv "snapshot.$k.kib" "${SNAP[$k.kib]}"
  done
  printf '  %-50s %10s %14s %14s %10s\n' case rounds "downtime insns" "downtime ms" "bytes"
  for c in "idle migration, idle guest" "hot migration, guest writing 24 pages"; do
    local k=${c%% *}
    if [ -n "${SNAP[$k.fail]:-}" ]; then printf '  %-50s %s\n' "${c#* }" FAILED; continue; fi
    printf '  %-50s %10s %14s %14s %10s\n' "${c#* }" "${SNAP[$k.rounds]}" "${SNAP[$k.insns]}" "${SNAP[$k.ms]}" "${SNAP[$k.bytes]}"
    kv "migrate.$k.downtime_ms" "${SNAP[$k.ms]}"; kv "migrate.$k.downtime_insns" "${SNAP[$k.insns]}"
  done
  echo "  write = the run that writes the snapshot at its end - the same run without it; resume = loading it"
  echo "  (the VM has nothing left to run); migration at step 100000, --migrate-dirty 8, over 127.0.0.1"
}

# 6. QEMU (TCG): the same image. The big run is EMU_K isprime processes, so
#    that the steady state is long enough to see next to QEMU's start-up.
QEMU_NA=
if ! want qemu; then
  QEMU_NA="n/a (not selected)"
elif ! command -v qemu-system-i386 >/dev/null 2>&1; then
  QEMU_NA="n/a (install: sudo apt-get install -y qemu-system-x86)"
else
  say "isprime on QEMU (n=$ISP_S; $EMU_K x n=$ISP_B)"
  procs=isprime
  for ((k = 1; k < EMU_K; k++)); do procs+=",isprime"; done
  qemu() {
    run_case qemu "$1" check_qemu qemu-system-i386 -accel tcg -m 64 -kernel "$IMAGE" -display none \
      -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -append "$2"
  }
  if qemu "$ISP_S" "procs=isprime n=$ISP_S" && qemu "$ISP_B" "procs=$procs n=$ISP_B"; then
    I[qemu.$ISP_S]=$R3_S I[qemu.$ISP_B]=$((EMU_K * R3_B))
    slope qemu $((EMU_K * R3_B - R3_S)) "$ISP_S" "$ISP_B" "$R3_S"
  fi
fi

# 7. Bochs: a boot floppy running the same isprime object, n patched in.
BOCHS_NA=
le32() {  # the 4 bytes of $1, little-endian, as printf escapes
  printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
    $((($1 >> 16) & 255)) $((($1 >> 24) & 255))
}
vgabios() {
  local f
  for f in /usr/share/bochs/VGABIOS-lgpl-latest /usr/share/vgabios/vgabios.bin \
           /usr/share/seabios/vgabios-isavga.bin /usr/share/seabios/vgabios-stdvga.bin; do
    [ -e "$f" ] && { readlink -f "$f"; return; }
  done
}
bochs_setup() {  # N GUI: the image and bochsrc for n = N
  local n=$1 img=$RUN/bochs-$1.img
  cp "$FLOPPY" "$img"
  printf "$(le32 "$n")" | dd of="$img" bs=1 seek=512 conv=notrunc status=none
  cat >"$RUN/bochsrc-$n.txt" <<EOF
# written by bench/bench.sh
megs: 32
romimage: file=$BOCHS_ROM
vgaromimage: file=$BOCHS_VGA
floppya: 1_44=$img, status=inserted
boot: floppy
display_library: $2
log: $RUN/bochs-$n.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
port_e9_hack: enabled=1
speaker: enabled=0
clock: sync=none
EOF
}
if ! want bochs; then
  BOCHS_NA="n/a (not selected)"
elif ! command -v bochs >/dev/null 2>&1; then
  BOCHS_NA="n/a (install: sudo apt-get install -y bochs bochsbios)"
elif [ -z "$FLOPPY" ] || [ ! -f "$FLOPPY" ]; then
  BOCHS_NA="n/a (the boot floppy did not build: $DIR/floppy-build.log)"
else
  BOCHS_ROM=/usr/share/bochs/BIOS-bochs-latest
  BOCHS_VGA=$(vgabios)
  if [ ! -e "$BOCHS_ROM" ]; then
    BOCHS_NA="n/a (no $BOCHS_ROM: sudo apt-get install -y bochsbios)"
  elif [ -z "$BOCHS_VGA" ]; then
    BOCHS_NA="n/a (no VGA BIOS: sudo apt-get install -y vgabios)"
  fi
fi
if [ -z "$BOCHS_NA" ]; then
  # Debian's Bochs has the debugger built in: it stops at t=0 until told "c".
  BOCHS_ARGS=(-q)
  if bochs --help 2>&1 | grep -q -- '-rc'; then
    printf 'c\nquit\n' >"$RUN/bochs.rc"
    BOCHS_ARGS+=(-rc "$RUN/bochs.rc")
  fi
  # Headless: nogui when built in; Debian's build has only the rfb (VNC)
  # library without X, which with timeout=0 does not wait for a viewer.
  BOCHS_GUI=nogui
  bochs_setup 1000 "$BOCHS_GUI"
  bochs "${BOCHS_ARGS[@]}" -f "$RUN/bochsrc-1000.txt" >"$RUN/bochsprobe.out" 2>&1 </dev/null
  if grep -q "display library 'nogui' not available" "$RUN/bochsprobe.out" "$RUN/bochs-1000.log" 2>/dev/null; then
    BOCHS_GUI='rfb, options="timeout=0"'
  fi
  say "isprime on Bochs (n=$ISP_S, $ISP_B; display_library: ${BOCHS_GUI%%,*})"
  for s in "$ISP_S" "$ISP_B"; do bochs_setup "$s" "$BOCHS_GUI"; done
  if run_case bochs "$ISP_S" check_bochs bochs "${BOCHS_ARGS[@]}" -f "$RUN/bochsrc-$ISP_S.txt" &&
     run_case bochs "$ISP_B" check_bochs bochs "${BOCHS_ARGS[@]}" -f "$RUN/bochsrc-$ISP_B.txt"; then
    I[bochs.$ISP_S]=$R3_S I[bochs.$ISP_B]=$R3_B
    slope bochs $((R3_B - R3_S)) "$ISP_S" "$ISP_B" "$R3_S"
  fi
fi

# 8. Native: the same object as a 32-bit Linux program.
NATIVE_NA=
if ! want native; then
  NATIVE_NA="n/a (not selected)"
elif [ -z "$NATIVE" ] || [ ! -x "$NATIVE" ]; then
  NATIVE_NA="n/a (did not build: $DIR/native-build.log; needs gcc-multilib)"
elif ! native_err=$("$NATIVE" 2 1 2>&1 </dev/null >/dev/null); then
  # some x86-64 kernels run no 32-bit code at all (no IA32 emulation): the
  # physical limit cannot be measured there, the other rows still stand
  native_err=${native_err##*: }
  NATIVE_NA="n/a (this host cannot run 32-bit programs: ${native_err:-it did not start})"
  say "isprime native: $NATIVE_NA"
else
  say "isprime native (n=$ISP_S; $EMU_K x n=$ISP_B)"
  if run_case native "$ISP_S" check_native "$NATIVE" "$ISP_S" 1 &&
     run_case native "$ISP_B" check_native "$NATIVE" "$ISP_B" "$EMU_K"; then
    I[native.$ISP_S]=$R3_S I[native.$ISP_B]=$((EMU_K * R3_B))
    slope native $((EMU_K * R3_B - R3_S)) "$ISP_S" "$ISP_B" "$R3_S"
  fi
fi

# ============================================================================
# The table.
OUT=$DIR/bench.txt
STATS=$DIR/bench.stats
: >"$STATS"
kv() { echo "$1=$2" >>"$STATS"; }
mib() { calc "%.1f" "$1 / 1024"; }
REF=${M[isp]}

# row LABEL KEY SMALL BIG PEROP [NA [SIZES]]: one line of the table; SIZES
# overrides the "small, big" text.
row() {
  local label=$1 key=$2 small=$3 big=$4 perop=$5 na=${6:-} sizes=${7:-$3, $4}
  if [ -n "$na" ]; then
    printf '%-30s %-17s %s\n' "$label" "" "$na"
    return
  fi
  if [ -n "${F[$key]:-}" ] || [ -z "${M[$key]:-}" ]; then
    printf '%-30s %-17s %s\n' "$label" "$sizes" "FAILED: ${F[$key]:-no measurement}"
    kv "$key.failed" "${F[$key]:-no measurement}"
    return
  fi
  local rss=-
  [ -n "${RSS[$key.$big]:-}" ] && rss=$(mib "${RSS[$key.$big]}")
  printf '%-30s %-17s %13s %8s %8s %9s %8s  %-8s %s\n' "$label" "$sizes" \
    "${I[$key.$big]}" "$(calc "%.3f" "${T[$key.$big]} / 1e9")" "${S[$key]}" "${M[$key]}" \
    "$(calc "%.3fx" "${M[$key]} / $REF")" "$rss" "$perop"
  kv "$key.insns.big" "${I[$key.$big]}"
  kv "$key.seconds.big" "$(calc "%.3f" "${T[$key.$big]} / 1e9")"
  kv "$key.startup_s" "${S[$key]}"
  kv "$key.mips" "${M[$key]}"
  kv "$key.vs_ref" "$(calc "%.4f" "${M[$key]} / $REF")"
  [ "$rss" != - ] && kv "$key.peak_rss_mib" "$rss"
}
ok() { [ -z "${F[$1]:-}" ] && [ -n "${M[$1]:-}" ]; }

# Per-operation figures.
SYS_NS= VSYS_NS= EXIT_NS= EXIT_PER= EXIT_XTRA= EV_S= HOOKS=
ok sys && SYS_NS=$(calc "%.0f" "(${T[sys.$SYS_B]} - ${T[sys.$SYS_S]}) / ($SYS_B - $SYS_S)")
if ok vsys; then
  VSYS_NS=$(calc "%.0f" "(${T[vsys.$SYS_B]} - ${T[vsys.$SYS_S]}) / ($SYS_B - $SYS_S)")
  if [ -n "${I[vexit.$SYS_B]:-}" ] && [ -n "${I[vexit.$SYS_S]:-}" ] &&
     [ "${I[vexit.$SYS_B]}" -gt "${I[vexit.$SYS_S]}" ]; then
    dx=$((I[vexit.$SYS_B] - I[vexit.$SYS_S]))
    EXIT_NS=$(calc "%.0f" "(${T[vsys.$SYS_B]} - ${T[vsys.$SYS_S]}) / $dx")
    EXIT_PER=$(calc "%.2f" "$dx / ($SYS_B - $SYS_S)")
    [ -n "$SYS_NS" ] && EXIT_XTRA=$(calc "%.0f" "($VSYS_NS - $SYS_NS) / $EXIT_PER")
  fi
fi
ok trc && EV_S=$(calc "%.2f" "${M[trc]}")
ok ntr && HOOKS=$(calc "%+.1f" "(${M[ntr]} / $REF - 1) * 100")
HOSTS_PCT=
ok hosts && HOSTS_PCT=$(calc "%.1f" "${M[hosts]} / $REF * 100")

# VT-x next to trap-and-emulate (5c): the time over bare per exit of the
# tick runs, exits per tick and per system call (slopes between the sizes).
declare -A XNS XPT
vtx_figures() {
  local key dx dt
  for key in tkx tkt; do
    ok tkb && ok "$key" && [ -n "${I[$key.exits.$ISP_B]:-}" ] && [ -n "${I[$key.exits.$ISP_S]:-}" ] || continue
    dx=$((I[$key.exits.$ISP_B] - I[$key.exits.$ISP_S]))
    dt=$((${I[$key.ticks.$ISP_B]:-0} - ${I[$key.ticks.$ISP_S]:-0}))
    [ "$dx" -gt 0 ] || continue
    XNS[$key]=$(calc "%.0f" "((${T[$key.$ISP_B]} - ${T[$key.$ISP_S]}) - (${T[tkb.$ISP_B]} - ${T[tkb.$ISP_S]})) / $dx")
    [ "$dt" -gt 0 ] && XPT[$key]=$(calc "%.2f" "$dx / $dt")
  done
  if ok xsys && [ -n "${I[xsys.exits.$SYS_B]:-}" ] && [ -n "${I[xsys.exits.$SYS_S]:-}" ]; then
    XPT[xsys]=$(calc "%.4f" "(${I[xsys.exits.$SYS_B]} - ${I[xsys.exits.$SYS_S]}) / ($SYS_B - $SYS_S)")
    XNS[xsys]=$(calc "%.0f" "(${T[xsys.$SYS_B]} - ${T[xsys.$SYS_S]}) / ($SYS_B - $SYS_S)")
  fi
}
vtx_figures
tick_perop() {  # KEY: the round trip and exits per tick
  local t=${I[$1.ticks.$ISP_B]:-}
  [ "$1" = tkb ] && { echo "${t:+$t ticks}"; return; }
  [ -n "${XNS[$1]:-}" ] || return
  echo "${XNS[$1]} ns per exit+entry over bare (${XPT[$1]:-?} exits/tick)"
}
xsys_perop=${XNS[xsys]:+${XNS[xsys]} ns/syscall; ${XPT[xsys]} exits/syscall}

sys_perop=${SYS_NS:+$SYS_NS ns/syscall}
vsys_perop=
if [ -n "$VSYS_NS" ]; then
  vsys_perop="$VSYS_NS ns/syscall; "
  if [ -n "$EXIT_NS" ]; then
    vsys_perop+="$EXIT_NS ns/VM exit ($EXIT_PER exits/syscall${EXIT_XTRA:+, +$EXIT_XTRA ns each over bare})"
  else
    vsys_perop+="VM exits: n/a (no vmm.exits in --stats)"
  fi
fi
trc_perop=${EV_S:+$EV_S M events/s ($(calc "%.1f" "$REF / ${M[trc]}")x slower than trace off)}
ntr_perop=${HOOKS:+without hooks: $HOOKS% MIPS}
hosts_perop=${HOSTS_PCT:+aggregate: $HOSTS_PCT% of one VM alone}
# pv_rows: te against pv, per system call, timer tick and boot.
pv_rows() {
  local what mode k
  if ! want pv; then
    printf '%-30s %-17s %s\n' "pv vs te (exits, ns)" "" "n/a (not selected)"
    return
  fi
  for what in "sys:system call" "tick:timer tick" "boot:boot (procs=hello)"; do
    for mode in $PV_MODES; do
      k=$mode${what%%:*}
      if [ -n "${F[$k]:-}" ] || [ -z "${PV_NS[$k]:-}" ]; then
        printf '%-30s %-17s %s\n' "${what#*:}, $mode" "" "FAILED: ${F[$k]:-no measurement}"
        continue
      fi
      printf '%-30s %-17s %s\n' "${what#*:}, $mode" "" "${PV_EX[$k]} VM exits, ${PV_NS[$k]} host ns"
      kv "pv.$k.exits" "${PV_EX[$k]}"
      kv "pv.$k.ns" "${PV_NS[$k]}"
    done
  done
}
emu_perop() { ok "$1" && echo "trapsim bare / $2 = $(calc "%.4f" "$REF / ${M[$1]}")"; }
KPDBT_PCT=
ok kp && ok kpdbt && KPDBT_PCT=$(calc "%.1f" "${M[kpdbt]} / ${M[kp]} * 100")
kpdbt_perop=${KPDBT_PCT:+$KPDBT_PCT% of kprime bare (after warm-up)}
sys_perop() {  # KEY: ns per call and exits per call of a sysloop_case
  ok "$1" || return 0
  echo "$(calc "%.0f" "(${T[$1.$SYS_B]} - ${T[$1.$SYS_S]}) / ($SYS_B - $SYS_S)") ns/syscall; ${I[$1.exits]:-n/a} VM exits/syscall${I[$1.dexits]:+; translator exits/syscall: ${I[$1.dexits]}}"
  [ -n "${I[$1.exits]:-}" ] && kv "$1.exits_per_call" "${I[$1.exits]}"
}

{
  echo "trapsim bench   $(date -u '+%Y-%m-%d %H:%M UTC')   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "trapsim $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- isa cpu vmm host app trapsim.c 2>/dev/null || echo '+local changes'); best of $REPS runs per size; host s = $CLOCK time; speed = slope between the two sizes"
  echo
  printf '%-30s %-17s %13s %8s %8s %9s %8s  %-8s %s\n' case "n or loops" "guest insns" "host s" "start s" \
    "guest MIPS" "vs ref" "RSS MiB" "per operation"
  printf '%-30s %-17s %13s %8s %8s %9s %8s  %-8s %s\n' "" "(small, big)" "(big run)" "(big)" \
    "(slope)" "(slope)" "" "(big)" ""
  row "isprime bare (reference)" isp "$ISP_S" "$ISP_B" ""
  row "isprime --vmm --isa pg" vmm "$ISP_S" "$ISP_B" "" "$VMM_NA"
  SYS_NA=$(want sysloop || echo "n/a (not selected)")
  row "sysloop bare" sys "$SYS_S" "$SYS_B" "$sys_perop" "$SYS_NA"
  row "sysloop --vmm --isa pg" vsys "$SYS_S" "$SYS_B" "$vsys_perop" "${SYS_NA:-$VMM_NA}"
  PIC_NA=$(want pictures || echo "n/a (not selected)")
  pic_perop=
  ok pic && ok vsys && pic_perop="$(calc "%+.1f" "(${M[vsys]} / ${M[pic]} - 1) * 100")% time vs sysloop --vmm without pictures"
  row "sysloop --vmm, --dot --timeline" pic "$SYS_S" "$SYS_B" "$pic_perop" "${PIC_NA:-${SYS_NA:-$VMM_NA}}"
  pv_rows
  # issue 15: binary translation
  KP_NA=$(want dbt || echo "n/a (not selected)")
  [ -z "$KP_NA" ] && [ ! -f "$KIMAGE" ] && KP_NA=$DBT_NA
  row "kprime bare (kernel isPrime)" kp "$KP_S" "$KP_B" "the lecture's isPrime at CPL 0" "$KP_NA"
  row "kprime --vmm=dbt --isa x86" kpdbt "$KP_S" "$KP_B" "$kpdbt_perop" "$DBT_NA"
  if [ -n "$TRANS_NS" ]; then
    printf '%-30s %-17s %s\n' "dbt translation cost (xlate)" "$XL_S, $XL_B" "$TRANS_NS ns per guest insn translated, over bare ($TRANS_PER)"
    kv dbt.translate_ns_per_insn "$TRANS_NS"
  else
    printf '%-30s %-17s %s\n' "dbt translation cost (xlate)" "" "$TRANS_NA"
  fi
  row "sysloop --vmm=te --isa x86" tsys "$SYS_S" "$SYS_B" "$(sys_perop tsys)" "${SYS_NA:-$KP_NA}"
  row "sysloop --vmm=dbt --isa x86" dsys "$SYS_S" "$SYS_B" "$(sys_perop dsys)" "${SYS_NA:-$DBT_NA}"
  row "isprime, insn trace >/dev/null" trc "$TRC_S" "$TRC_B" "$trc_perop" "$(want trace || echo 'n/a (not selected)')"
  row "isprime bare, no trace hooks" ntr "$ISP_S" "$ISP_B" "$ntr_perop" "$NOTRACE_NA"
  row "isprime, $HOSTS_N VMs on one host" hosts "$ISP_S" "$ISP_B" "$hosts_perop" "$HOSTS_NA" "$ISP_S, $ISP_B each"
  TK="$ISP_S, $ISP_B, tick/$((TICK_IPS / 100))"
  row "isprime, a timer tick often" tkb "$ISP_S" "$ISP_B" "$(tick_perop tkb)" "$VTX_NA" "$TK"
  row "  the same --vmm=vtx --isa x86" tkx "$ISP_S" "$ISP_B" "$(tick_perop tkx)" "$VTX_NA" "$TK"
  row "  the same --vmm --isa pg" tkt "$ISP_S" "$ISP_B" "$(tick_perop tkt)" "${VTX_NA:-$VMM_NA}" "$TK"
  row "sysloop --vmm=vtx --isa x86" xsys "$SYS_S" "$SYS_B" "$xsys_perop" "$VTX_NA"
  row "isprime on QEMU (TCG) *" qemu "$ISP_S" "$ISP_B" "$(emu_perop qemu QEMU)" "$QEMU_NA" "$ISP_S, ${EMU_K}x$ISP_B"
  row "isprime on Bochs *" bochs "$ISP_S" "$ISP_B" "$(emu_perop bochs Bochs)" "$BOCHS_NA"
  row "isprime native, 32-bit *" native "$ISP_S" "$ISP_B" "$(emu_perop native native)" "$NATIVE_NA" "$ISP_S, ${EMU_K}x$ISP_B"
  echo
  echo "trapsim next to the other machines (isprime, steady state; issue 8's reference for this machine class in [])"
  printf '  %-22s %10s %16s %18s\n' machine "MIPS" "trapsim bare/it" "trapsim --vmm/it"
  for m in "qemu QEMU_TCG 3400" "bochs Bochs 136" "native native 5800"; do
    set -- $m
    if ok "$1"; then
      v=n/a
      ok vmm && v=$(calc "%.4f" "${M[vmm]} / ${M[$1]}")
      printf '  %-22s %10s %16s %18s\n' "${2/_/ } [$3]" "${M[$1]}" "$(calc "%.4f" "$REF / ${M[$1]}")" "$v"
      kv "ratio.trapsim_over_$1" "$(calc "%.4f" "$REF / ${M[$1]}")"
    else
      printf '  %-22s %10s %16s %18s\n' "${2/_/ } [$3]" n/a "-" "-"
    fi
  done
  echo

  # Targets (issue 8), measured here, never assumed.
  echo "targets (issue 8)                          measured                                      status"
  tgt() { printf '  %-40s %-45s %s\n' "$1" "$2" "$3"; kv "target.$4" "$3"; }
  met() { awk "BEGIN { exit !($1) }" && echo met || echo "NOT MET"; }
  if ok bochs; then
    tgt "bare isprime >= 3x Bochs" "${M[isp]} MIPS = $(calc "%.2f" "${M[isp]} / ${M[bochs]}")x Bochs (${M[bochs]} MIPS)" \
      "$(met "${M[isp]} >= 3 * ${M[bochs]}")" bare_vs_bochs
  else
    tgt "bare isprime >= 400 MIPS (3x Bochs)" "${M[isp]} MIPS (Bochs not measured)" "$(met "${M[isp]} >= 400")" bare_vs_bochs
  fi
  if ok vmm; then
    tgt "VMM within 5% of bare" "$(calc "%+.1f" "(${M[vmm]} / $REF - 1) * 100")% (${M[vmm]} vs $REF MIPS)" \
      "$(met "${M[vmm]} >= 0.95 * $REF")" vmm_vs_bare
  else
    tgt "VMM within 5% of bare" "n/a" "n/a" vmm_vs_bare
  fi
  if [ -n "$EXIT_NS" ]; then
    tgt "VM exit < 300 ns" "$EXIT_NS ns per exit (sysloop, all-in)" "$(met "$EXIT_NS < 300")" vm_exit
  else
    tgt "VM exit < 300 ns" "n/a" "n/a" vm_exit
  fi
  if [ -n "$HOOKS" ]; then
    tgt "trace hooks <= 5%" "$(calc "%.1f" "(${M[ntr]} / $REF - 1) * 100")% (${M[ntr]} MIPS without, $REF with)" \
      "$(met "${M[ntr]} <= 1.05 * $REF")" trace_hooks
  else
    tgt "trace hooks <= 5%" "${NOTRACE_NA#n/a }" "n/a" trace_hooks
  fi
  if [ -n "$EV_S" ]; then
    tgt "insn trace >= 20M events/s" "$EV_S M events/s" "$(met "$EV_S >= 20")" trace_events
  else
    tgt "insn trace >= 20M events/s" "n/a" "n/a" trace_events
  fi
  if ok pic && ok vsys; then
    tgt "pictures <= 20% slower (issue 19)" "$(calc "%+.1f" "(${M[vsys]} / ${M[pic]} - 1) * 100")% (sysloop --vmm, ${M[pic]} vs ${M[vsys]} MIPS)" \
      "$(met "${M[vsys]} / ${M[pic]} <= 1.2")" pictures
  else
    tgt "pictures <= 20% slower (issue 19)" "n/a" "n/a" pictures
  fi
  if [ -n "$HOSTS_PCT" ]; then
    tgt "$HOSTS_N VMs >= 95% of one VM's MIPS (issue 14)" "$HOSTS_PCT% (${M[hosts]} MIPS aggregate, $REF alone)" \
      "$(met "${M[hosts]} >= 0.95 * $REF")" hosts
  else
    tgt "$HOSTS_N VMs >= 95% of one VM's MIPS (issue 14)" "${HOSTS_NA:-n/a}" "n/a" hosts
  fi
  if [ -n "$KPDBT_PCT" ]; then
    tgt "dbt kernel isPrime >= 90% of bare" "$KPDBT_PCT% (${M[kpdbt]} vs ${M[kp]} MIPS)" \
      "$(met "${M[kpdbt]} >= 0.9 * ${M[kp]}")" dbt_vs_bare
  else
    tgt "dbt kernel isPrime >= 90% of bare" "${DBT_NA:-n/a}" "n/a" dbt_vs_bare
  fi
  peak=0 peakkey=
  for k in "${!RSS[@]}"; do
    case "$k" in isp.*|vmm.*|sys.*|vsys.*|trc.*|ntr.*)
      [ "${RSS[$k]}" -gt "$peak" ] && { peak=${RSS[$k]}; peakkey=$k; } ;;
    esac
  done
  tgt "memory <= guest RAM + 16 MiB" "$(mib "$peak") MiB peak RSS ($peakkey), guest RAM $MEM_MIB MiB" \
    "$(met "$peak <= ($MEM_MIB + 16) * 1024")" memory
  echo
  snapshot_table
  echo
  echo "guest insns: retired instructions of the big run (trapsim: --stats insns.total). host s: $CLOCK time of the big"
  [ "$CLOCK" = cpu ] && echo "  run, user + system (other jobs on a shared machine count less than in wall time), best of $REPS."
  [ "$CLOCK" = cpu ] || echo "  run, elapsed, best of $REPS."
  echo "guest MIPS = (insns big - insns small) / (s big - s small): the steady state; start s = the intercept at zero"
  echo "  instructions (process start, image load, BIOS, boot). vs ref: MIPS / the bare isprime MIPS. RSS: peak resident"
  echo "  set of the big run (wait4)."
  echo "$HOSTS_N VMs on one host: trapsim run --vm v1 ... --vm v$HOSTS_N, each VM bare with isprime n; guest insns = the sum of"
  echo "  every VM's insns.total; the VM scheduler's default quantum (100000 steps)."
  echo "* QEMU, Bochs and native run the same isprime object code (the isprime.c.o that guestos links;"
  echo "  QEMU boots the same guestos image, Bochs a boot floppy that links that object, native a 32-bit program that"
  echo "  links it), so they retire the same instructions: their counts are trapsim's ring-3 count for the same n"
  echo "  (insns.ring3: $R3_S for n=$ISP_S, $R3_B for n=$ISP_B), not measured by them; the kernel's timer"
  echo "  work under QEMU is left out (< 1%). The big QEMU and native runs do n=$ISP_B $EMU_K times."
  if ok bochs; then
    echo "Bochs: $(bochs --help 2>&1 | grep -a -m1 -o 'Bochs x86 Emulator [0-9.]*'), boot floppy $FLOPPY (n patched in at"
    echo "  offset 512), display_library ${BOCHS_GUI%%,*}, clock sync=none; ends through its shutdown port (\"Shutdown\" to 0x8900)."
    tk_s=$(grep -a -o '^[0-9]*i\[SIM *\] quit_sim' "$RUN/bochs-$ISP_S.log" 2>/dev/null | tail -n 1 | sed 's/i.*//')
    tk_b=$(grep -a -o '^[0-9]*i\[SIM *\] quit_sim' "$RUN/bochs-$ISP_B.log" 2>/dev/null | tail -n 1 | sed 's/i.*//')
    if [ -n "$tk_s" ] && [ -n "$tk_b" ]; then
      echo "  Cross-check of the counts: Bochs' own tick counter (one tick per instruction) went $((10#$tk_b - 10#$tk_s)) further"
      echo "  for n=$ISP_B than for n=$ISP_S; trapsim counted $((R3_B - R3_S)) more ring-3 instructions."
      kv bochs.ticks_delta $((10#$tk_b - 10#$tk_s))
    fi
  fi
  ok qemu && echo "QEMU: $(qemu-system-i386 --version | head -n 1), -accel tcg."
  [ -n "$TRACE_NOTE" ] && echo "insn trace: $TRACE_NOTE."
  if [ -z "$VTX_NA" ]; then
    echo "VT-x next to trap-and-emulate: isprime with --guest-ips $TICK_IPS (a timer tick every $((TICK_IPS / 100)) instructions) bare,"
    echo "  --vmm=vtx --isa x86 and --vmm --isa pg retire the same instructions; ns per exit+entry = (their time slope -"
    echo "  bare's) / (exits big - exits small): the round trip alone. Exits from --stats (vtx.exits.*, vmm.exits)."
    echo "  VM exits per system call: vtx ${XPT[xsys]:-n/a}, te ${EXIT_PER:-n/a} (sysloop slopes); per timer tick: vtx ${XPT[tkx]:-n/a}, te ${XPT[tkt]:-n/a};"
    echo "  per boot (procs=, boot to exit): vtx ${BOOT_EXITS[vtx]:-n/a}, te ${BOOT_EXITS[te]:-n/a}."
    kv vtx.exit_entry_ns "${XNS[tkx]:-n/a}"
    kv te.exit_entry_ns "${XNS[tkt]:-n/a}"
    kv vtx.exits_per_tick "${XPT[tkx]:-n/a}"
    kv te.exits_per_tick "${XPT[tkt]:-n/a}"
    kv vtx.exits_per_syscall "${XPT[xsys]:-n/a}"
    kv te.exits_per_syscall "${EXIT_PER:-n/a}"
    kv vtx.exits_per_boot "${BOOT_EXITS[vtx]:-n/a}"
    kv te.exits_per_boot "${BOOT_EXITS[te]:-n/a}"
  fi
  if ok vsys; then
    echo "VM exit: (s big - s small) / (exits big - exits small) of sysloop under the VMM: the whole round trip"
    echo "  including the guest's own instructions between exits; '+N ns each over bare' is the extra per exit."
  fi
  echo "bench: $(($(date +%s) - START)) s; raw runs in $RUN, numbers in $STATS"
} | tee "$OUT"
[ "$RUNFAIL" = 0 ] || { echo "bench: $RUNFAIL case(s) failed: see FAILED above" >&2; exit 1; }
