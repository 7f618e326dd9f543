#!/usr/bin/env bash
# Build the upstream 6.12 iommufd selftests from the unpacked Debian source
# into build/oracle/ (their code never enters the repo): a static build for
# the VM and a dynamic one for the host under the LD_PRELOAD shim.
#
# iommufd.md §7.5: the selftest sources in Debian's 6.12.117 are newer than
# that tree's uapi headers; these -D defines supply the five missing names
# with their upstream values (in_data_type is a union with out_data_type
# upstream, at the same offset).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$PWD/build/oracle
SRC=$OUT/linux-source-6.12
ST=$SRC/tools/testing/selftests/iommu
[ -d "$ST" ] || bash scripts/oracle/build-kernel.sh >/dev/null
[ -d "$ST" ] || { echo "oracle-selftest: no selftest sources in $ST" >&2; exit 1; }
HDR=$OUT/khdr-obj/usr/include
if [ ! -f "$HDR/linux/iommufd.h" ]; then
    # `make headers` (not headers_install: that one needs rsync) leaves the
    # exported uapi headers in O/usr/include.
    nice make -s -C "$SRC" O="$OUT/khdr-obj" ARCH=x86_64 headers >/dev/null
fi
DEFS=(-D_GNU_SOURCE -DIOMMU_HW_INFO_TYPE_DEFAULT=0 -DIOMMU_HW_INFO_FLAG_INPUT_TYPE=1
      -Din_data_type=out_data_type -DMOCK_FLAGS_DEVICE_PASID=4 -DMOCK_PASID_WIDTH=20)
CF=(-O2 -Wall -Wno-unused-function -isystem "$HDR" "${DEFS[@]}" -pthread)
for t in iommufd iommufd_fail_nth; do
    if [ ! -x "$OUT/st-$t" ] || [ "$ST/$t.c" -nt "$OUT/st-$t" ] || [ "$0" -nt "$OUT/st-$t" ]; then
        gcc "${CF[@]}" -static -o "$OUT/st-$t" "$ST/$t.c"
        gcc "${CF[@]}" -o "$OUT/st-$t.dyn" "$ST/$t.c"
    fi
done
echo "$OUT/st-iommufd"
