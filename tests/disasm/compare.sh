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
# than 7 bytes folded into their instruction. An instruction passes when
# trapsim prints the same text at the same address and its next instruction
# starts where objdump's does (same length). Exit status 1 when anything
# differs.
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
    # an instruction passes when trapsim has one at the same address, with
    # the same text, and the next one starts where objdump's next one does
    result=$(awk -F'\t' -v verbose="$verbose" -v name="$name" '
        FNR == NR {
            i = index($0, ": ")
            a = substr($0, 1, i - 1)
            got[a] = substr($0, i + 2)
            if (prev != "") tnext[prev] = a
            prev = a
            next
        }
        { oaddr[++n] = $1; obytes[n] = $2; otext[n] = $3 }
        END {
            if (prev != "") tnext[prev] = "end"
            for (k = 1; k <= n; k++) {
                a = oaddr[k]; onext = k < n ? oaddr[k + 1] : "end"
                if ((a in got) && got[a] == otext[k] && tnext[a] == onext) { pass++; continue }
                fail++
                if (!verbose && fail > 40) continue
                if (!(a in got))
                    msg = "trapsim: no instruction starts here (an earlier length differs)"
                else if (got[a] != otext[k])
                    msg = "trapsim \"" got[a] "\""
                else
                    msg = "trapsim: same text but the next instruction starts at " tnext[a] ", objdump at " onext " (length differs)"
                printf "%s: %s: [%s] objdump \"%s\" %s\n", name, a, obytes[k], otext[k], msg > "/dev/stderr"
            }
            printf "%d %d\n", pass, fail
        }
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
