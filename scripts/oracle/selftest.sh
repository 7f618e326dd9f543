#!/usr/bin/env bash
# make oracle-selftest (issue #10): run the upstream 6.12 iommufd selftests
# on the real kernel (in the VM) and on the mock (host, LD_PRELOAD shim,
# MOCKFD_KERNEL=6.12), and tabulate both per test into
# build/oracle/selftest.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$PWD/build/oracle
KERNEL=$(bash scripts/oracle/build-kernel.sh | tail -n 1)
bash scripts/oracle/build-selftest.sh >/dev/null
make -s build/libmockfd-preload.so
VM=$OUT/selftest-vm
echo "oracle-selftest: kernel run (QEMU TCG)"
bash scripts/oracle/run-vm.sh -k "$KERNEL" -t "${ORACLE_VM_TIMEOUT:-900}" "$VM" \
    "$OUT/st-iommufd" "$OUT/st-iommufd_fail_nth" || echo "oracle-selftest: VM run incomplete" >&2
echo "oracle-selftest: mock run (shim, MOCKFD_KERNEL=6.12)"
mkdir -p "$OUT/selftest-mock"
for t in iommufd iommufd_fail_nth; do
    MOCKFD_KERNEL=6.12 LD_PRELOAD=$PWD/build/libmockfd-preload.so \
        timeout -k 5 "${ORACLE_MOCK_TIMEOUT:-600}" "$OUT/st-$t.dyn" \
        > "$OUT/selftest-mock/$t.out" 2>&1 || true
done
python3 scripts/oracle/tap-compare.py "$OUT/selftest.txt" \
    iommufd "$VM/job0.out" "$OUT/selftest-mock/iommufd.out" \
    iommufd_fail_nth "$VM/job1.out" "$OUT/selftest-mock/iommufd_fail_nth.out" | tail -n 3
echo "oracle-selftest: table in $OUT/selftest.txt"
