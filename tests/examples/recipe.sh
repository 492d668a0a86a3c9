#!/usr/bin/env bash
# The README's recipe for writing a guest, run as written (make test-examples).
#
# The fenced block after the line `<!-- recipe: own guest -->` in README.md
# is run line by line, from a scratch folder that holds a copy of examples/
# and the trapsim under test, as the repository root would: each command
# must end with the status its comment names ("status N"; 0 when it names
# none), and what the guest prints must show.
#
# Environment: TRAPSIM (default ./trapsim), OUT (default build/recipe-check).
set -u
cd "$(dirname "$0")/../.."
TRAPSIM=${TRAPSIM:-./trapsim}
OUT=${OUT:-build/recipe-check}
rm -rf "$OUT" && mkdir -p "$OUT"
cp -r examples "$OUT/"
ln -s "$(realpath "$TRAPSIM")" "$OUT/trapsim"
mapfile -t lines < <(awk '/^<!-- recipe: own guest -->$/ { on = 1; next }
                          on && /^```/ { if (++fence == 2) exit; next }
                          on && fence == 1 && NF { print }' README.md)
[ ${#lines[@]} -gt 0 ] || { echo "FAIL recipe: no block after '<!-- recipe: own guest -->' in README.md"; exit 1; }
failed=0 n=0
for line in "${lines[@]}"; do
  want=0
  [[ $line =~ \#.*status\ ([0-9]+) ]] && want=${BASH_REMATCH[1]}
  n=$((n + 1))
  (cd "$OUT" && timeout 60 bash -c "$line") >"$OUT/step$n.out" 2>&1 </dev/null
  st=$?
  if [ $st != "$want" ]; then
    echo "FAIL recipe line $n: status $st, not $want: $line"; sed 's/^/    /' "$OUT/step$n.out" | head -20
    failed=$((failed + 1))
  elif [[ $line =~ (trapsim\ run|qemu).*hello\.elf ]] && ! grep -q "hello from my own guest" "$OUT/step$n.out"; then
    echo "FAIL recipe line $n: the guest's greeting is missing: $line"; failed=$((failed + 1))
  fi
done
if [ $failed = 0 ]; then
  echo "ok   the README's recipe for writing a guest: $n commands, as written"
fi
[ $failed = 0 ]
