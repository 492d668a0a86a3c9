#!/bin/bash
# compare.sh: compares trapsim's instruction lengths and text with GNU
# objdump over flat binaries of 32-bit code.
#
#   compare.sh CHECKER FILE...        FILE: a flat binary, or an ELF whose
#                                     .text is compared
#   options (before CHECKER):
#     -v        print every mismatch (default: the first 40 per file)
#     -k DIR    keep the normalised listings in DIR (NAME.objdump, NAME.trapsim)
#
# CHECKER is tests/disasm/check_disasm (prints "ADDR: TEXT" per instruction).
# objdump's listing (objdump -D -z -b binary -m i386; -z so that runs of
# zero bytes are disassembled rather than elided) is normalised to the same
# shape: the address without leading spaces, the text after the bytes
# column, trailing blanks removed, continuation lines of instructions longer
# than 7 bytes dropped. An instruction passes when trapsim prints the same
# text at the same address; a length that differs shows up as an address
# one side has and the other lacks. Exit status 1 when anything differs.
set -u
verbose=0
keep=
while [ $# -gt 0 ]; do
    case "$1" in
    -v) verbose=1; shift ;;
    -k) keep=$2; shift 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 2 ]; then
    echo "usage: $0 [-v] [-k DIR] CHECKER FILE..." >&2
    exit 2
fi
checker=$1
shift
OBJDUMP=${OBJDUMP:-objdump}
OBJCOPY=${OBJCOPY:-objcopy}
if ! command -v "$OBJDUMP" >/dev/null; then
    echo "compare.sh: $OBJDUMP not found" >&2
    exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

total_pass=0
total_fail=0
status=0
for f in "$@"; do
    name=$(basename "$f")
    bin=$f
    if [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        bin=$tmp/$name.text
        if ! "$OBJCOPY" -O binary -j .text "$f" "$bin" 2>"$tmp/err" || [ ! -s "$bin" ]; then
            echo "compare.sh: $f: no .text to compare" >&2
            continue
        fi
    fi
    # objdump: "   1f:\t66 0f b6 c0          \tmovzbw %al,%ax" -> "1f\tBYTES\tTEXT"
    "$OBJDUMP" -D -z -b binary -m i386 "$bin" | awk -F'\t' '
        /^ *[0-9a-f]+:\t/ {
            addr = $1; sub(/^ +/, "", addr); sub(/:$/, "", addr)
            bytes = $2; sub(/ +$/, "", bytes)
            if (NF < 3) {                     # continuation of the bytes column
                if (last != "") extra[last] = extra[last] " " bytes
                next
            }
            text = $3
            for (i = 4; i <= NF; i++) text = text "\t" $i
            sub(/[ \t]+$/, "", text)
            order[++n] = addr; B[addr] = bytes; T[addr] = text; last = addr
        }
        END { for (i = 1; i <= n; i++) { a = order[i]; printf "%s\t%s%s\t%s\n", a, B[a], extra[a], T[a] } }
    ' >"$tmp/objdump"
    "$checker" "$bin" >"$tmp/trapsim" || { echo "compare.sh: $checker failed on $f" >&2; status=1; }
    if [ -n "$keep" ]; then
        mkdir -p "$keep"
        cut -f1,3 "$tmp/objdump" | sed 's/\t/: /' >"$keep/$name.objdump"
        cp "$tmp/trapsim" "$keep/$name.trapsim"
    fi
    result=$(awk -F'\t' -v verbose="$verbose" -v name="$name" '
        FNR == NR {
            i = index($0, ": ")
            got[substr($0, 1, i - 1)] = substr($0, i + 2)
            next
        }
        {
            if (($1 in got) && got[$1] == $3) { pass++; next }
            fail++
            if (verbose || fail <= 40) {
                if ($1 in got)
                    printf "%s: %s: [%s] objdump \"%s\" trapsim \"%s\"\n", name, $1, $2, $3, got[$1] > "/dev/stderr"
                else
                    printf "%s: %s: [%s] objdump \"%s\" trapsim: no instruction starts here (length differs)\n", name, $1, $2, $3 > "/dev/stderr"
            }
        }
        END { printf "%d %d\n", pass, fail }
    ' "$tmp/trapsim" "$tmp/objdump")
    pass=${result% *}
    fail=${result#* }
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    echo "compare.sh: $name: $pass instructions match objdump, $fail differ"
    [ "$fail" = 0 ] || status=1
done
echo "compare.sh: total: $total_pass match, $total_fail differ"
exit $status
