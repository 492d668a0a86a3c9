#!/usr/bin/env bash
# `make man`: trapsim.1 from `trapsim --help` and `--version`, by help2man.
# As root it installs help2man when missing (apt-get), otherwise it prints
# the one command that would.
#   bash tools/man.sh TRAPSIM OUT
set -u
trapsim=$1 out=$2
if ! command -v help2man >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "man: installing help2man"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq help2man >/dev/null ||
      { echo "man: apt-get install help2man failed" >&2; exit 1; }
  else
    echo "make man needs help2man. Run: sudo apt-get install -y help2man" >&2
    exit 1
  fi
fi
mkdir -p "$(dirname "$out")"
help2man --no-info --no-discard-stderr --section 1 \
  --name "a teaching simulator of x86 virtualization (trap and emulate, Popek-Goldberg, VT-x)" \
  --output "$out" "$trapsim"
