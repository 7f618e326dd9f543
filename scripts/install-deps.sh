#!/usr/bin/env bash
# Install what the build, tests, fuzzing and coverage need, and nothing that is
# already there. Idempotent: a second run installs nothing and never touches the
# package lists. Runs apt-get as root (sudo when not root and sudo exists).
#
# Usage: scripts/install-deps.sh [--oracle]
#   --oracle  also the kernel-oracle packages (linux-source-6.12, qemu-system-x86,
#             kernel build tools); only the oracle targets ask for these.
set -euo pipefail

pkgs=(build-essential pkg-config libcriterion-dev lcov gcovr afl++ clang libclang-rt-14-dev valgrind python3)
if [ "${1:-}" = "--oracle" ]; then
    pkgs+=(linux-source-6.12 qemu-system-x86 bc bison flex libelf-dev libssl-dev cpio xz-utils)
fi

missing=()
for p in "${pkgs[@]}"; do
    # dpkg-query prints "install ok installed" only for a fully installed package.
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
# Try without refreshing the lists first; refresh only when that fails
# (a fresh machine has empty or stale lists).
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; then
    $SUDO apt-get update -q </dev/null
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi
