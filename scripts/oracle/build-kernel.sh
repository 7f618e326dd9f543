#!/usr/bin/env bash
# make oracle-kernel (issue #10): build the 6.12 kernel with the iommufd
# selftest mock from Debian's linux-source-6.12, configured from
# oracle/kernel.config on top of tinyconfig.
#
# Cached: the result is build/oracle/kernel-<key>/bzImage where key hashes the
# source package version and the config fragment; a second run with the same
# key does nothing. Bounded by ORACLE_KERNEL_TIMEOUT seconds (default 3600).
# Prints the bzImage path on its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/build/oracle
FRAG=$ROOT/oracle/kernel.config
TARBALL=/usr/src/linux-source-6.12.tar.xz
TIMEOUT=${ORACLE_KERNEL_TIMEOUT:-3600}

die() { echo "oracle-kernel: $*" >&2; exit 1; }

bash scripts/install-deps.sh --oracle || die "could not install the oracle packages"
[ -f "$TARBALL" ] || die "missing $TARBALL (package linux-source-6.12)"
for t in bc bison flex cpio xz gcc make qemu-system-x86_64; do
    command -v "$t" >/dev/null || die "missing tool: $t"
done

ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$(printf '%s\n' "$ver" | cat - "$FRAG" | sha256sum | cut -c1-12)
KDIR=$OUT/kernel-$key
if [ -f "$KDIR/bzImage" ]; then
    echo "oracle-kernel: cached ($ver, fragment $key)"
    echo "$KDIR/bzImage"
    exit 0
fi

SRC=$OUT/linux-source-6.12
if [ ! -f "$SRC/.unpacked-$ver" ]; then
    echo "oracle-kernel: unpacking $TARBALL"
    rm -rf "$SRC"; mkdir -p "$OUT"
    tar -C "$OUT" -xf "$TARBALL"
    touch "$SRC/.unpacked-$ver"
fi

OBJ=$OUT/kobj-$key
mkdir -p "$OBJ"
echo "oracle-kernel: configuring into $OBJ"
make -s -C "$SRC" O="$OBJ" ARCH=x86_64 tinyconfig >/dev/null
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$FRAG" >/dev/null
make -s -C "$SRC" O="$OBJ" ARCH=x86_64 olddefconfig >/dev/null
# Every y in the fragment must survive olddefconfig (a dependency we forgot
# would silently drop it).
missing=0
while IFS= read -r line; do
    case "$line" in CONFIG_*=y) grep -qx "$line" "$OBJ/.config" || { echo "  not set: $line" >&2; missing=1; } ;; esac
done < "$FRAG"
[ $missing -eq 0 ] || die "config fragment options dropped by olddefconfig (see above)"

echo "oracle-kernel: building (nice -n 10 make -j2, timeout ${TIMEOUT}s; log $OBJ/build.log)"
start=$(date +%s)
if ! timeout "$TIMEOUT" nice -n 10 make -C "$SRC" O="$OBJ" ARCH=x86_64 -j2 bzImage >"$OBJ/build.log" 2>&1; then
    tail -n 20 "$OBJ/build.log" >&2
    die "kernel build failed or ran past ${TIMEOUT}s (log: $OBJ/build.log)"
fi
mkdir -p "$KDIR"
cp "$OBJ/arch/x86/boot/bzImage" "$KDIR/bzImage"
cp "$OBJ/.config" "$KDIR/config"
echo "$ver" > "$KDIR/version"
echo "oracle-kernel: built in $(( $(date +%s) - start ))s"
echo "$KDIR/bzImage"
