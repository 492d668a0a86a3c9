#!/usr/bin/env bash
# Checks that this machine has what trapsim's build and tests need; as root it
# installs what is missing with apt-get, otherwise it prints the one command.
set -u
missing=()
pkg-config --exists check 2>/dev/null || missing+=(check pkg-config)
[ -e /usr/include/zstd.h ] || missing+=(libzstd-dev)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v qemu-system-i386 >/dev/null 2>&1 || missing+=(qemu-system-x86)
command -v objdump >/dev/null 2>&1 || missing+=(binutils)
command -v gdb >/dev/null 2>&1 || missing+=(gdb)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)   # the HTML view's browser test
command -v help2man >/dev/null 2>&1 || missing+=(help2man)   # the man page (make man, test-install)
[ -e "$(gcc -m32 -print-libgcc-file-name 2>/dev/null)" ] && \
  [ -e /usr/lib32/libc.a -o -e /usr/lib/i386-linux-gnu/libc.a ] || missing+=(gcc-multilib)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null || {
    echo "deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
else
  echo "trapsim needs: ${missing[*]}. Run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
