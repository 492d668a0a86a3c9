#!/usr/bin/env bash
# Writes the generated seeds of the fuzz targets into tests/corpus/ (run by
# `make fuzz-seeds`, from the top of the tree, after `make guests`; the
# result is committed). Hand-written seeds and regress-* inputs are kept.
#
#   guest/gen-*     8-byte header (fuzz_guest.c) + a code fragment below
#   loader/gen-*    4-byte parameters (fuzz_loader.c) + a stripped image
#   rawargs/gen-*   newline-separated arguments of `trapsim raw`
#   scenario/gen-*  the scenarios of scenarios/
#   gdb/gen-*       1 byte (reply size choice, fuzz_gdb.c) + a debugger's byte stream
set -eu
out=tests/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p $out/guest $out/loader $out/rawargs $out/scenario $out/gdb
rm -f $out/guest/gen-* $out/loader/gen-* $out/rawargs/gen-* $out/scenario/gen-* $out/gdb/gen-*

# asm NAME: assembles stdin (32-bit, GNU as) for address 0x4000 (CODE_ADDR
# in fuzz_guest.c) into $tmp/NAME.bin
asm() {
  as --32 -o "$tmp/$1.o" - &&
  ld -m elf_i386 --no-warn-rwx-segments -N -e 0x4000 -Ttext=0x4000 --build-id=none -o "$tmp/$1.elf" "$tmp/$1.o" &&
  objcopy -O binary -j .text "$tmp/$1.elf" "$tmp/$1.bin"
}
# guest SEED CODE MODE PROFILE RAM GDT_N IDT_N EFLAGS CS SS: header + $tmp/CODE.bin
guest() {
  local name=$1 code=$2; shift 2
  printf "$(printf '\\x%02x' "$@")" > "$out/guest/gen-$name"
  cat "$tmp/$code.bin" >> "$out/guest/gen-$name"
}

# mode bits: ring | raw 4 | vmm 8 | gdt segs 16 | twice 32 | trace 64 | std 128
asm tables <<'EOF'
    lgdt (%esi)
    lidt (%edi)
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %ss
    ljmp $0x08, $1f
1:  movl $0x9, %eax
    ltr %ax
    sidt -8(%esp)
    sgdt -16(%esp)
    str %bx
    smsw %cx
    outb %al, $0xe9
    int3
    int $0x80
    hlt
EOF
guest tables tables 0x80 0 2 0 0 0 0 0
guest tables-twice tables 0xa0 0 2 0 0 0 0 0
asm ring3 <<'EOF'
    pushfl
    popfl
    cli
    sti
    inb $0x21, %al
    int $0x80
    sidt -8(%esp)
    popfl
    iret
    movl %cr0, %eax
    hlt
EOF
guest ring3-x86 ring3 0x83 0 2 0 0 3 0 0
guest ring3-pg ring3 0x83 1 2 0 0 3 0 0
guest ring3-umip ring3 0x83 2 2 0 0 0 0 0
guest ring3-raw ring3 0x07 0 2 0 0 0 0 0
guest ring3-trace ring3 0xc3 0 2 0 0 0x07 0 0
asm timer <<'EOF'
    movb $0x11, %al
    outb %al, $0x20
    movb $0x20, %al
    outb %al, $0x21
    movb $0x04, %al
    outb %al, $0x21
    movb $0x01, %al
    outb %al, $0x21
    movb $0xfe, %al
    outb %al, $0x21
    movb $0x34, %al
    outb %al, $0x43
    movb $0x10, %al
    outb %al, $0x40
    movb $0x00, %al
    outb %al, $0x40
    sti
1:  hlt
    movb $0x20, %al
    outb %al, $0x20
    jmp 1b
EOF
guest timer timer 0x80 0 2 0 0 0x04 0 0
asm paging <<'EOF'
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
EOF
guest paging paging 0x80 0 2 0 0 0 0 0
asm exit <<'EOF'
    movw $0xf4, %dx
    movb $3, %al
    outb %al, %dx
EOF
guest exit exit 0x00 0 2 0 0 0 0 0
asm walk <<'EOF'
    movl $0xfffff000, %esi
    movl $0x100, %ecx
    rep movsl
    movl $0x3fff0, %edi
    movl $0x1000, %ecx
    rep stosl
    movl 0xfffffffc, %eax
    movl %eax, 0xfffffffd
    movl $0x40000000, %ebx
1:  movl %eax, (%ebx)
    addl $0x10000, %ebx
    jnc 1b
    hlt
EOF
guest walk walk 0x80 0 3 0 0 0 0 0
guest walk-small walk 0xa0 0 6 0 0 0 0 0
asm smc <<'EOF'
    movb $0x90, 1f
    movb $0x40, 2f
1:  int3
2:  nop
    movl $1f, %ebx
    movb $0xcc, (%ebx)
1:  nop
    hlt
EOF
guest smc-twice smc 0xa0 0 2 0 0 0 0 0
asm far <<'EOF'
    ljmp $0x1b, $0
    lcall $0x2b, $0
    movw $0x43, %ax
    movw %ax, %ds
    lret
    iret
    lar %ax, %ebx
    lsl %ax, %ebx
    verr %ax
    verw %ax
    lldt %ax
EOF
guest far far 0x80 0 2 0 0 0 0 0
guest far-ring1 far 0x81 0 2 0 0 0 0 0
# a fuzzed GDT entry at index 1 used for CS: a 16-bit code segment
asm seg16 <<'EOF'
    nop
    .byte 0x66
    pushl $0
    .long 0x0000ffff, 0x00009a00
EOF
guest seg16 seg16 0x10 0 2 1 0 0 1 1
asm faultloop <<'EOF'
    ud2
EOF
guest faultloop faultloop 0x80 0 2 0 0 0 0 0
asm triple <<'EOF'
    lidt 1f
    int3
1:  .word 0
    .long 0
EOF
guest triple triple 0x00 0 2 0 0 0 0 0
guest vmm tables 0x08 0 4 0 0 0 0 0

# ---- loader: the test guests and the guest OS, stripped ----
for img in build/guests/guestos.elf build/guests/tests/*.elf build/guests/robust/*.elf; do
  [ -f "$img" ] || continue
  base=$(basename "$img" .elf)
  objcopy --strip-all "$img" "$tmp/s.elf"
  printf '\x00\x00\x00\x00' > "$out/loader/gen-$base"
  printf '\x04\x01\x01\x00' > "$out/loader/gen-$base-cmdline"
  cat "$tmp/s.elf" >> "$out/loader/gen-$base"
  cat "$tmp/s.elf" >> "$out/loader/gen-$base-cmdline"
done
# a minimal image: one segment, the header right after the program header
cat > "$tmp/mini.S" <<'EOF'
    .section .text
    .align 4
    .long 0x1BADB002, 0x3, -(0x1BADB002 + 0x3)
    .globl _start
_start:
    movw $0xf4, %dx
    outb %al, %dx
EOF
as --32 -o "$tmp/mini.o" "$tmp/mini.S"
ld -m elf_i386 --no-warn-rwx-segments -N -e _start -Ttext=0x100000 --build-id=none -o "$tmp/mini.elf" "$tmp/mini.o"
objcopy --strip-all "$tmp/mini.elf"
printf '\x00\x00\x02\x00' > "$out/loader/gen-mini"
cat "$tmp/mini.elf" >> "$out/loader/gen-mini"

# ---- rawargs ----
ra() { local name=$1; shift; printf '%s\n' "$@" | head -c -1 > "$out/rawargs/gen-$name"; }
ra ring0 --ring 0 --set eax=0x12345678 --set eflags=0x3202
ra tables --tables std --ring 1 --cr0 0x3b --cr4=0xc --set eflags=0x1202
ra load --load=0x200000 --isa pg --dump 0x200000:16
ra mem --mem 0x1000=deadbeef --mem=0x2000=00 --dump=0x1000:4 --max-insns 10
ra sets --set esp=0 --set ebp=4096 --set esi=0xffffffff --set edi=010 --set ecx=1 --set edx=2 --set ebx=3
ra umip --isa=umip --ring=3 --set eflags=0x202
ra bad --set eflags=0x20000 --ring 4 --load -1
ra empty ''
# ---- scenario ----
for f in scenarios/*.scn; do
  [ -f "$f" ] && cp "$f" "$out/scenario/gen-$(basename "$f" .scn)"
done
printf 'description = x\nimage = a.elf\nmode = vmm\nexpose_pg = yes\nports = 0x20-0x21, 0x40\ninsns = popf, cli\nmatch = a | b\nfrom = x\nuntil = y\ncontext = 3\ntail = 5\n' \
  > "$out/scenario/gen-keys"

# ---- gdb: packets with their checksums ----
pkt() {   # pkt PAYLOAD: $PAYLOAD#cs
  local p=$1 sum=0 i
  for ((i = 0; i < ${#p}; i++)); do
    sum=$(( (sum + $(printf '%d' "'${p:i:1}")) & 255 ))
  done
  printf '$%s#%02x' "$p" "$sum"
}
session() {   # session NAME SIZE-CHOICE PAYLOAD...
  local name=$1 size=$2; shift 2
  { printf "\\x$(printf %02x "$size")"; printf '+'; for p in "$@"; do pkt "$p"; printf '+'; done; } \
    > "$out/gdb/gen-$name"
}
session attach 0 'qSupported:multiprocess+;swbreak+' 'QStartNoAckMode' '?' 'qAttached' 'qC' \
  'qfThreadInfo' 'qsThreadInfo' 'Hg0' 'Hc-1' 'g' 'p8' 'p1f' 'm1000,4' 'vCont?'
session step 0 'Z0,1001,1' 's' 's' 'c' 'z0,1001,1' 'g' 'P0=78563412' 'G'"$(printf '0%.0s' {1..128})" 'vKill;1'
session memory 0 'M1000,2:9090' 'X1002,1:}]' 'm0,100' 'mfffffff0,20' 'M100000,4:00000000' 'k'
session small 1 'g' 'm1000,40' 'qSupported' '?' 'D'
printf '\x00\x03$g#00-+$?#3f' > "$out/gdb/gen-noise"

ls $out/guest | wc -l | sed 's/^/guest seeds: /'
ls $out/loader | wc -l | sed 's/^/loader seeds: /'
ls $out/rawargs | wc -l | sed 's/^/rawargs seeds: /'
ls $out/scenario | wc -l | sed 's/^/scenario seeds: /'
ls $out/gdb | wc -l | sed 's/^/gdb seeds: /'

# snapshot/gen-*: 1 mode byte (fuzz_snapshot.c) + a snapshot of the guest OS
# with 2 MiB of RAM, bare, under te, pv, dbt and vtx, two VMs; mode 0 as written,
# mode 1 (the target fixes length and CRC) with uncompressed sections
mkdir -p $out/snapshot
rm -f $out/snapshot/gen-*
g=build/guests/guestos.elf
snap() {  # NAME AT STORED OPTIONS...: STORED 1 for the uncompressed seed too
  local name=$1 at=$2 stored=$3; shift 3
  ./trapsim run --quiet --mem 2M --snapshot "$tmp/$name" --snapshot-at "$at" "$@" >/dev/null
  { printf '\x00'; cat "$tmp/$name"; } >"$out/snapshot/gen-$name"
  [ "$stored" = 1 ] || return 0
  ./trapsim run --quiet --mem 2M --snapshot "$tmp/$name.stored" --snapshot-stored --snapshot-at "$at" "$@" >/dev/null
  { printf '\x01'; cat "$tmp/$name.stored"; } >"$out/snapshot/gen-$name-stored"
}
# (te's uncompressed seed would be over a MiB: its VMM area)
snap bare 100000 1 $g
snap te 300000 0 --vmm $g
snap pv 300000 0 --vmm=pv $g
snap dbt 300000 0 --vmm=dbt $g
snap vtx 300000 1 --vmm=vtx $g
snap two 300000 0 --vm a --vmm $g --vm b $g
ls $out/snapshot | wc -l | sed 's/^/snapshot seeds: /'
