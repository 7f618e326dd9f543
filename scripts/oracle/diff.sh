#!/usr/bin/env bash
# make oracle-diff / make oracle-record (issue #10): run the ioctl corpus
# (tests/golden/corpus/*.ioc) on the real 6.12 kernel in the VM and on the
# mock (MOCKFD_KERNEL=6.12), compare every call, report the first unexplained
# difference of each program. --record also stores the kernel's results as
# the golden files tests/golden/kernel-6.12/<program>.out.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$PWD/build/oracle/diff
CORPUS=tests/golden/corpus
GOLDEN=tests/golden/kernel-6.12
record=0; [ "${1:-}" = "--record" ] && record=1
KERNEL=$(bash scripts/oracle/build-kernel.sh | tail -n 1)
mkdir -p "$OUT"
progs=$(cd "$CORPUS" && ls *.ioc)
job="build/oracle/ioc-run"
for p in $progs; do job="$job /data/corpus/$p"; done
echo "oracle-diff: kernel run (QEMU TCG)"
bash scripts/oracle/run-vm.sh -k "$KERNEL" -t "${ORACLE_VM_TIMEOUT:-300}" -f "$CORPUS" "$OUT/vm" "$job"
cp "$OUT/vm/job0.out" "$OUT/kernel.txt"
[ "$(cat "$OUT/vm/job0.status")" = "exit=0" ] || echo "oracle-diff: the runner in the VM ended $(cat "$OUT/vm/job0.status")" >&2
echo "oracle-diff: mock run (MOCKFD_KERNEL=6.12)"
(cd "$CORPUS" && MOCKFD_KERNEL=6.12 ../../../build/oracle/ioc-run-mock $progs) > "$OUT/mock.txt" || true
if [ $record -eq 1 ]; then
    mkdir -p "$GOLDEN"
    rm -f "$GOLDEN"/*.out
    awk -v dir="$GOLDEN" '
        /^== / { if (f) close(f); n = $2; sub(/\.ioc$/, ".out", n); f = (n == "end") ? "" : dir "/" n; if (f) printf "" > f; next }
        f { print > f }' "$OUT/kernel.txt"
    { echo "linux-source-6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12)"
      echo "kernel config fragment: oracle/kernel.config sha256 $(sha256sum oracle/kernel.config | cut -c1-16)"
      echo "recorded: $(date -u +%Y-%m-%dT%H:%MZ) by make oracle-record"; } > "$GOLDEN/VERSION"
    echo "oracle-record: wrote $(ls "$GOLDEN"/*.out | wc -l) golden files to $GOLDEN"
fi
python3 scripts/oracle/ioc-compare.py "$OUT/kernel.txt" "$OUT/mock.txt" tests/golden/known-diffs.txt \
    | tee "$OUT/report.txt"
