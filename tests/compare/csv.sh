#!/usr/bin/env bash
# trapsim compare --csv against the text table of the same counts: every
# operation x technique row of scenarios/compare.expected is a CSV row with
# the same counts and result (the CSV's host times are left out).
set -u
TRAPSIM=${TRAPSIM:-./trapsim}
csv=$("$TRAPSIM" compare --csv --no-times) || { echo "test-compare: FAIL: trapsim compare --csv failed"; exit 1; }
want=$(awk 'NR > 5 && !NF { exit }   # the notes under the table
  NR > 5 {
    if (substr($0, 1, 1) != " ") { op = substr($0, 1, 22); sub(/ +$/, "", op) }
    tech = substr($0, 24, 10); sub(/ +$/, "", tech); rest = substr($0, 35); sub(/^ +/, "", rest)
    if (rest ~ /^(not built yet|no result|n\/a)/) print op "," tech ",,,,," rest
    else { split(rest, f, / +/); print op "," tech "," f[1] "," f[2] "," f[3] "," f[4] "," f[5] }
  }' scenarios/compare.expected)
got=$(tail -n +2 <<<"$csv" | awk -F, '{ print $1 "," $2 "," $5 "," $6 "," $7 "," $8 "," $10 }')
if [ "$want" != "$got" ]; then
  echo "test-compare: FAIL: the CSV differs from the table (scenarios/compare.expected):"
  diff <(echo "$want") <(echo "$got") | head -20
  exit 1
fi
echo "test-compare: the CSV has the table's $(wc -l <<<"$got") rows"
