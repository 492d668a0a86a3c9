#!/usr/bin/env bash
# The fuzz targets need clang with libFuzzer and the sanitizer runtimes
# (Debian: clang and libclang-rt-N-dev for clang N). As root, installs what
# is missing with apt-get (like tools/deps.sh); otherwise prints the command.
set -u
cc=${FUZZ_CC:-clang}
probe() {
  local d; d=$(mktemp -d) || return 1
  printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$d/p.c"
  "$cc" -fsanitize=fuzzer,address,undefined "$d/p.c" -o "$d/p" >/dev/null 2>&1
  local rc=$?; rm -rf "$d"; return $rc
}
command -v "$cc" >/dev/null 2>&1 && probe && exit 0
pkgs=(clang)
if command -v "$cc" >/dev/null 2>&1; then
  major=$("$cc" -dumpversion 2>/dev/null | cut -d. -f1)
  pkgs+=("libclang-rt-${major}-dev")
fi
if [ "$(id -u)" != 0 ]; then
  echo "fuzz: needs ${pkgs[*]}. Run: sudo apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi
echo "fuzz: installing ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq "${pkgs[@]}" >/dev/null || {
  echo "fuzz: apt-get install ${pkgs[*]} failed" >&2; exit 1; }
if ! probe; then
  # clang was new: its libFuzzer runtime is in the versioned package
  major=$("$cc" -dumpversion | cut -d. -f1)
  apt-get install -y -qq "libclang-rt-${major}-dev" >/dev/null
  probe || { echo "fuzz: $cc -fsanitize=fuzzer still does not link" >&2; exit 1; }
fi
