#!/usr/bin/env bash
# Bad input, everywhere (tests/robust/README.md): every row runs trapsim on
# something wrong and checks the exit status (2) and that standard error is
# exactly one line, the message given (or, with ~, a line matching an ERE).
#
#   TRAPSIM=./trapsim bash tests/robust/bad_input.sh [-v] [ID...]
#
# Rows are `t ID STATUS MESSAGE ARGS...`; MESSAGE is the whole line without
# "trapsim: ". Images are made by mkelf below, byte by byte, so each row
# changes one thing in one small known-good image. Rows whose ID is listed
# in tests/robust/known-failures are expected to fail until the simulator
# is fixed (XFAIL); one that passes is reported (XPASS) so the line can go.
set -u
TRAPSIM=${TRAPSIM:-./trapsim}
case $TRAPSIM in */*) TRAPSIM=$(cd "$(dirname "$TRAPSIM")" && pwd)/$(basename "$TRAPSIM") ;; esac
here=$(cd "$(dirname "$0")" && pwd)
. "$here/verdict.sh" "$@"

# ---- a small Multiboot ELF, built byte by byte -----------------------------
# Layout: ELF header at 0, program headers at 0x34, Multiboot header at
# 0x100, code at 0x10c (mov $0, %al; out %al, $0xf4: exit status 1), file
# size 0x110. Segment 0 loads the whole file at physical 0x100000 (memory
# size 0x1000), so the entry point is 0x10010c.
le16() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))"; }
le32() { le16 $(($1 & 65535)); le16 $((($1 >> 16) & 65535)); }
# mkelf FILE [VAR=VALUE...]: the good image with some fields changed
mkelf() {
  local f=$1; shift
  local class=1 data=1 type=2 machine=3 entry=0x10010c phentsize=32 phnum=1
  local mbmagic=0x1BADB002 mbflags=3 mbsum= p0type=1 p0off=0 p0addr=0x100000
  local p0filesz=0x110 p0memsz=0x1000 p1=0 p1addr=0x100800 p1memsz=0x1000
  local v
  for v in "$@"; do local "$v"; done
  [ -n "$mbsum" ] || mbsum=$(( (-(mbmagic + mbflags)) & 0xffffffff ))
  [ "$p1" = 1 ] && phnum=2
  {
    printf '\x7fELF'; printf "\\x$(printf %02x "$class")\\x$(printf %02x "$data")\\x01"
    printf '\0%.0s' {1..9}
    le16 "$type"; le16 "$machine"; le32 1; le32 "$entry"; le32 52; le32 0; le32 0
    le16 52; le16 "$phentsize"; le16 "$phnum"; le16 0; le16 0; le16 0
    # program header 0
    le32 "$p0type"; le32 "$p0off"; le32 "$p0addr"; le32 "$p0addr"
    le32 "$p0filesz"; le32 "$p0memsz"; le32 7; le32 4096
    if [ "$p1" = 1 ]; then
      le32 1; le32 0; le32 "$p1addr"; le32 "$p1addr"; le32 0; le32 "$p1memsz"; le32 6; le32 4096
    fi
  } > "$f"
  local pad=$((0x100 - $(stat -c %s "$f")))
  head -c "$pad" /dev/zero >> "$f"
  { le32 "$mbmagic"; le32 "$mbflags"; le32 "$mbsum"; printf '\xb0\x00\xe6\xf4'; } >> "$f"
}

# t ID STATUS MESSAGE ARGS...: one row
t() {
  local id=$1 want_status=$2 want=$3; shift 3
  selected "$id" || return
  local out=$tmp/out err=$tmp/err status why=
  (cd "$tmp" && exec "$TRAPSIM" "$@") > "$out" 2> "$err" < /dev/null
  status=$?
  local lines; lines=$(wc -l < "$err")
  local line; line=$(head -n 1 "$err")
  if [ "$status" != "$want_status" ]; then
    why="exit status $status, expected $want_status"
  elif [ "$lines" != 1 ] || [ "$(tail -c 1 "$err" | od -An -c | tr -d ' ')" != '\n' ]; then
    why="standard error has $lines lines, expected exactly one"
  elif [[ $want == '~'* ]]; then
    [[ $line =~ ^trapsim:\ ${want#\~}$ ]] || why="message does not match"
  elif [ "$line" != "trapsim: $want" ]; then
    why="message differs"
  fi
  verdict "$id" "$why" "$id" && return
  echo "      command:  trapsim $*"
  echo "      expected: $want_status, trapsim: $want"
  echo "      got:      $status, $(head -c 600 "$err" | sed '2,$s/^/                /')"
}

# ---- inputs ------------------------------------------------------------------
cd "$tmp" || exit 2
mkelf good.elf
mkelf class64.elf class=2
mkelf bigend.elf data=2
mkelf arm.elf machine=40
mkelf dyn.elf type=3
mkelf phent.elf phentsize=40
mkelf phnum.elf phnum=300
mkelf nomb.elf mbmagic=0x12345678
mkelf badsum.elf mbsum=0
mkelf video.elf mbflags=7
mkelf unsup.elf mbflags=0x10
mkelf aout.elf mbflags=0x10003
mkelf noload.elf p0type=4
mkelf filesz.elf p0filesz=0x2000 p0memsz=0x1000
mkelf trunc-seg.elf p0filesz=0x800 p0memsz=0x1000
mkelf outside.elf p0addr=0x7ff00000 entry=0x7ff0010c
mkelf overlap.elf p1=1
mkelf entry.elf entry=0x300000
head -c 40 good.elf > short.elf
printf 'hello, world\n' > text.elf
: > empty.elf
printf '\x90\xcc' > code.bin
mkdir adir
printf '\xcc' > noread.bin; chmod 000 noread.bin
cp good.elf noread.elf; chmod 000 noread.elf
long=$(head -c 5000 /dev/zero | tr '\0' x)
cd - >/dev/null || exit 2
if [ "$(id -u)" = 0 ]; then root=1; else root=0; fi

# sanity: the good image runs and exits with status 1
(cd "$tmp" && "$TRAPSIM" run --quiet good.elf) > /dev/null 2>&1
st=$?
if [ $st != 1 ]; then
  echo "FAIL  mkelf: the good image ended with status $st, expected 1: the rows below prove nothing"
  failed=$((failed + 1))
fi

# ---- the command line ----------------------------------------------------------
t noargs        2 "no command given (see 'trapsim --help')"
t bogus-cmd     2 "unknown command 'bogus' (see 'trapsim --help')" bogus
t run-unknown   2 "run: unknown option '--bogus' (see 'trapsim --help')" run --bogus good.elf
t success-bad   2 "--success-exit needs the guest's success value, 0 to 127" run --success-exit 128 good.elf
t svg-nodir     2 "/nonexistent-trapsim/x.svg: cannot write the picture: No such file or directory" run --svg /nonexistent-trapsim/x.svg good.elf
t run-noimage   2 "run: no image given (trapsim run [options] IMAGE)" run
t run-noimage2  2 "run: no image given (trapsim run [options] IMAGE)" run --quiet
t run-twoimages 2 "run: more than one image ('good.elf' and 'text.elf')" run good.elf text.elf
t isa-unknown   2 "--isa: unknown profile 'bogus' (see 'trapsim isa list')" run --isa bogus good.elf
t isa-eq        2 "--isa: unknown profile '' (see 'trapsim isa list')" run --isa= good.elf
t isa-missing   2 "--isa needs a profile name (see 'trapsim isa list')" run good.elf --isa
t trace-unknown 2 "--trace: expected a list of insn, trap, io, vmm, pg, all (got 'bogus')" run --trace bogus good.elf
t trace-list    2 "--trace: expected a list of insn, trap, io, vmm, pg, all (got 'trap,,io')" run --trace trap,,io good.elf
t trace-missing 2 "--trace needs a list of insn, trap, io, vmm, pg, all" run good.elf --trace
t maxi-bad      2 "--max-insns needs a number" run --max-insns abc good.elf
t maxi-neg      2 "--max-insns needs a number" run --max-insns -5 good.elf
t maxi-huge     2 "--max-insns needs a number" run --max-insns 99999999999999999999999 good.elf
t maxi-suffix   2 "--max-insns needs a number" run --max-insns 10k good.elf
t maxi-missing  2 "--max-insns needs a number" run good.elf --max-insns
t mem-small     2 "--mem needs a size from 2M to 3G (e.g. 64M)" run --mem 1M good.elf
t mem-big       2 "--mem needs a size from 2M to 3G (e.g. 64M)" run --mem 4G good.elf
t mem-bad       2 "--mem needs a size from 2M to 3G (e.g. 64M)" run --mem lots good.elf
t mem-overflow  2 "--mem needs a size from 2M to 3G (e.g. 64M)" run --mem 99999999999999999G good.elf
t ips-small     2 "--guest-ips needs a number of instructions per second (at least 1000)" run --guest-ips 10 good.elf
t cmdline-miss  2 "--cmdline needs a string" run good.elf --cmdline
t tracefile-dir 2 "nodir/t.txt: cannot write the trace: No such file or directory" run --trace trap --trace-file nodir/t.txt good.elf
t stats-dir     2 "nodir/s.txt: cannot write the statistics: No such file or directory" run --quiet --stats nodir/s.txt good.elf
t expose-novmm  2 "--expose-pg needs --vmm (it names what the VMM could not see)" run --expose-pg good.elf
# several VMs (--vm NAME [options] IMAGE ...)
t vm-noname     2 "--vm needs a name of letters, digits, '-' and '_' (at most 31 characters)" run --vm
t vm-badname    2 "--vm needs a name of letters, digits, '-' and '_' (at most 31 characters)" run --vm 'a b' good.elf
t vm-noimage    2 "--vm a2: no image given (--vm NAME [options] IMAGE)" run --vm a good.elf --vm a2
t vm-twice      2 "--vm a: two VMs of that name" run --vm a good.elf --vm a good.elf
t vm-imagefirst 2 "run: the image 'good.elf' comes before --vm: with --vm, each VM names its own" run good.elf --vm a good.elf
t vm-twoimages  2 "--vm a: more than one image ('good.elf' and 'good.elf')" run --vm a good.elf good.elf
t vm-expose     2 "--vm b: --expose-pg needs --vmm (it names what the VMM could not see)" run --vm a --vmm --expose-pg good.elf --vm b --expose-pg good.elf
t vm-step       2 "--step, --break, --break-on and --gdb take one VM, not --vm" run --step --vm a good.elf
t vm-weight     2 "--weight needs a number from 1 to 1000" run --vm a --weight 0 good.elf
t vm-quantum    2 "--quantum needs a number of steps (at least 1)" run --quantum 0 --vm a good.elf
t vm-badimage   2 "class64.elf: not a 32-bit ELF file (EI_CLASS 2, expected 1 ELFCLASS32)" run --vm a good.elf --vm b class64.elf
t isa-show      2 "isa show: unknown profile 'bogus' (see 'trapsim isa list')" isa show bogus
t isa-none      2 "isa: expected 'isa list' or 'isa show NAME'" isa

# ---- raw's options --------------------------------------------------------------
t raw-nofile    2 "raw: no code file given (trapsim raw [options] CODE.bin)" raw
t raw-twofiles  2 "raw: more than one code file ('code.bin' and 'good.elf')" raw code.bin good.elf
t raw-unknown   2 "raw: unknown option '--bogus' (see 'trapsim raw --help')" raw --bogus code.bin
t raw-ring      2 "--ring needs 0, 1, 2 or 3" raw --ring 4 code.bin
t raw-ring-neg  2 "--ring needs 0, 1, 2 or 3" raw --ring -1 code.bin
t raw-load      2 "--load needs a 32-bit address" raw --load 0x100000000 code.bin
t raw-set-noeq  2 "--set eax: expected REG=VALUE" raw --set eax code.bin
t raw-set-reg   2 "--set eip=1: unknown register 'eip' (eax ebx ecx edx esi edi ebp esp eflags)" raw --set eip=1 code.bin
t raw-set-val   2 "--set eax=zz: 'zz' is not a 32-bit number" raw --set eax=zz code.bin
t raw-set-big   2 "--set eax=0x100000000: '0x100000000' is not a 32-bit number" raw --set eax=0x100000000 code.bin
t raw-set-vm    2 "--set eflags=0x20202: EFLAGS.VM = 1 (virtual-8086 mode) is not allowed" raw --set eflags=0x20202 code.bin
t raw-mem-odd   2 "--mem 0x1000=abc: odd number of hex digits" raw --mem 0x1000=abc code.bin
t raw-mem-hex   2 "--mem 0x1000=zz: 'z' is not a hex digit" raw --mem 0x1000=zz code.bin
t raw-mem-addr  2 "--mem x=00: 'x' is not a 32-bit address" raw --mem x=00 code.bin
t raw-mem-noeq  2 "--mem 0x1000: expected ADDR=HEXBYTES" raw --mem 0x1000 code.bin
t raw-dump-len  2 "--dump 0:0x200000: expected a 32-bit address and a length up to 1 MiB" raw --dump 0:0x200000 code.bin
t raw-dump-fmt  2 "--dump 0x1000: expected ADDR:LEN" raw --dump 0x1000 code.bin
t raw-isa       2 "--isa: unknown profile 'bogus' (see 'trapsim isa list')" raw --isa bogus code.bin
t raw-maxi      2 "--max-insns needs a number" raw --max-insns x code.bin
t raw-missing   2 "nofile.bin: cannot open: No such file or directory" raw nofile.bin
t raw-dir       2 "adir: cannot read" raw adir
if [ $root = 0 ]; then
  t raw-noread  2 "noread.bin: cannot open: Permission denied" raw noread.bin
else
  skip raw-noread "running as root: a mode-000 file is readable"
fi

# ---- images (the loader's messages, cpu/loader.c) ---------------------------------
t img-missing   2 "nofile.elf: cannot open: No such file or directory" run nofile.elf
t img-dir       2 "adir: cannot read: Is a directory" run adir
if [ $root = 0 ]; then
  t img-noread  2 "noread.elf: cannot open: Permission denied" run noread.elf
else
  skip img-noread "running as root: a mode-000 file is readable"
fi
t img-text      2 "text.elf: not an ELF file" run text.elf
t img-empty     2 "empty.elf: not an ELF file (the file is empty)" run empty.elf
t img-short     2 "short.elf: truncated ELF header (40 bytes, an ELF header is 52)" run short.elf
t img-class     2 "class64.elf: not a 32-bit ELF file (EI_CLASS 2, expected 1 ELFCLASS32)" run class64.elf
t img-endian    2 "bigend.elf: not a little-endian ELF file (EI_DATA 2, expected 1 ELFDATA2LSB)" run bigend.elf
t img-machine   2 "arm.elf: not an i386 ELF file (e_machine 40, expected 3 EM_386)" run arm.elf
t img-type      2 "dyn.elf: not an executable ELF file (e_type 3, expected 2 ET_EXEC)" run dyn.elf
t img-phent     2 "phent.elf: program header entry size is 40 bytes, expected 32" run phent.elf
t img-phnum     2 "phnum.elf: truncated program header table (300 entries at offset 0x34 go past end of file, 272 bytes)" run phnum.elf
t img-nomb      2 "nomb.elf: no Multiboot header in the first 8 KiB" run nomb.elf
t img-mbsum     2 "badsum.elf: Multiboot header checksum is wrong (at offset 0x100)" run badsum.elf
t img-video     2 "video.elf: Multiboot header requires video mode information (flags bit 2), which trapsim does not provide" run video.elf
t img-unsup     2 "unsup.elf: Multiboot header requires unsupported features (flags 0x00000010)" run unsup.elf
t img-aout      2 "aout.elf: Multiboot header uses the a.out kludge (flags bit 16), which trapsim does not support: the ELF segments must describe the image" run aout.elf
t img-noload    2 "noload.elf: no PT_LOAD segment" run noload.elf
t img-filesz    2 "filesz.elf: segment 0: file size 0x2000 is larger than memory size 0x1000" run filesz.elf
t img-truncseg  2 "trunc-seg.elf: segment 0 is truncated: file offset 0x0 + 0x800 bytes is past end of file (272 bytes)" run trunc-seg.elf
t img-outside   2 "outside.elf: segment 0 at 0x7ff00000-0x7ff01000 does not fit in RAM (67108864 bytes)" run outside.elf
# under --vmm the guest keeps all its RAM: the same limit as bare
t img-vmm-ram   2 "outside.elf: segment 0 at 0x7ff00000-0x7ff01000 does not fit in RAM (2097152 bytes)" run --mem 2M --vmm outside.elf
t img-overlap   2 "overlap.elf: segments 0 and 1 overlap (physical 0x00100000-0x00101000 and 0x00100800-0x00101800)" run overlap.elf
t img-entry     2 "entry.elf: entry point 0x00300000 is not inside a loaded segment" run entry.elf
t img-cmdline   2 "good.elf: command line is too long (5009 bytes with the file name; at most 4095)" run --cmdline "$long" good.elf

# ---- scenarios (`trapsim scenario`) -------------------------------------------------
mkdir -p "$tmp/scn/dir.expected"
printf 'description = a scenario\nimage = %s\nmode = bare\nbogus = 1\n' "$tmp/good.elf" > "$tmp/scn/broken.scn"
printf 'description = a scenario\nimage = %s\n' "$tmp/good.elf" > "$tmp/scn/nolog.scn"
printf 'description = a scenario\nimage = %s\n' "$tmp/good.elf" > "$tmp/scn/dir.scn"
printf 'description = a scenario\nimage = %s\n' "$tmp/nofile.elf" > "$tmp/scn/noimage.scn"
printf 'description = a scenario\nimage = nofile.elf\n' > "$tmp/scn/noimage-rel.scn"
t scn-unknown  2 "scenarios/no-such-scenario.scn: no such scenario (see 'trapsim scenario --list')" scenario no-such-scenario
t scn-badname  2 "scenario 'a b': a name has letters, digits, '-', '_' and '.' only (see 'trapsim scenario --list')" scenario 'a b'
t scn-missing  2 "scn/nofile.scn: no such scenario (see 'trapsim scenario --list')" scenario scn/nofile.scn
t scn-broken   2 "~scn/broken\.scn:4: .*" scenario scn/broken.scn
t scn-nolog    2 "~scn/nolog\.expected: no expected .* to check against \(write it with: trapsim scenario nolog --update\)" scenario scn/nolog.scn --check
t scn-logdir   2 "scn/dir.expected: cannot read: Is a directory" scenario scn/dir.scn --check
t scn-noimage  2 "~scn/noimage\.scn: image .*nofile\.elf: No such file or directory \(build it with 'make'\)" scenario scn/noimage.scn
t scn-noimage-rel 2 "~scn/noimage-rel\.scn: image nofile\.elf: No such file or directory \(looked for beside the scenario file, then in .*; build it with 'make'\)" scenario scn/noimage-rel.scn
t scn-none     2 "scenario: which one? (trapsim scenario NAME; 'trapsim scenario --list' shows them)" scenario
t scn-unknown-opt 2 "scenario: unknown option '--bogus' (see 'trapsim --help')" scenario lde --bogus
t scn-both     2 "scenario: --check or --update, not both" scenario lde --check --update

# ---- the GDB stub's options (packets: the gdb fuzz target) ------------------------
t gdb-port    2 "--gdb needs a TCP port (0: any free port, printed on stderr)" run --gdb notaport good.elf
t gdb-range   2 "--gdb needs a TCP port (0: any free port, printed on stderr)" run --gdb 70000 good.elf
t gdb-missing 2 "--gdb needs a TCP port (0: any free port, printed on stderr)" run good.elf --gdb

[ $xfailed = 0 ] || echo "bad-input: $xfailed known failures (tests/robust/known-failures), counted as passed"
echo "bad-input: $((passed + xfailed)) passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
