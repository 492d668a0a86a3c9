# Shared by bad_input.sh and containment.sh, sourced with the script's
# arguments: `-v` (list passing rows too) and row IDs (run only those) set
# `verbose` and `only`; `tmp` is a scratch directory removed at exit; the
# counters start at 0. Then the verdict on one row, with
# tests/robust/known-failures deciding XFAIL and XPASS:
#   verdict ID WHY OKTEXT   -- returns 0 when the row is settled (passed,
#   XPASS or XFAIL reported), 1 when it failed and the caller prints why.
#   selected ID             -- whether the command line asked for row ID
verbose=0
only=()
for a in "$@"; do
  case $a in -v) verbose=1 ;; *) only+=("$a") ;; esac
done
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0 failed=0 xfailed=0 skipped=0
selected() { [ ${#only[@]} = 0 ] || [[ " ${only[*]} " == *" $1 "* ]]; }
known=" $(sed -e 's/#.*//' "$here/known-failures" 2>/dev/null | tr '\n' ' ') "
verdict() {
  local id=$1 why=$2 oktext=$3 xf=0
  [[ $known == *" $id "* ]] && xf=1
  if [ -z "$why" ]; then
    if [ $xf = 1 ]; then
      echo "XPASS $id: now passes; remove it from tests/robust/known-failures"
      failed=$((failed + 1))
    else
      passed=$((passed + 1))
      [ "$verbose" = 1 ] && echo "ok    $oktext"
    fi
    return 0
  fi
  if [ $xf = 1 ]; then
    xfailed=$((xfailed + 1))
    echo "XFAIL $id: $why (known, tests/robust/known-failures)"
    return 0
  fi
  failed=$((failed + 1))
  echo "FAIL  $id: $why"
  return 1
}
skip() { skipped=$((skipped + 1)); echo "skip  $1: $2"; }
