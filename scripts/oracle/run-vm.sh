#!/usr/bin/env bash
# Oracle VM runner (issue #10): boot the oracle kernel under QEMU TCG with an
# initramfs holding static programs, run them in order, collect each one's
# output and exit status. No network, no KVM, hard timeout.
#
# Usage: scripts/oracle/run-vm.sh [-k bzImage] [-t seconds] [-f file]... OUTDIR JOB...
#   JOB   "host/path/to/static-binary arg1 arg2" (single spaces, no quoting);
#         the binary is copied to /bin/<basename> in the VM and run from /.
#   -f    extra data file, copied to /data/<basename> in the VM.
#   -k    kernel image (default: what scripts/oracle/build-kernel.sh built).
#   -t    hard timeout for the whole VM (default 600 s).
# Results: OUTDIR/job<N>.out (stdout+stderr), OUTDIR/job<N>.status
# ("exit=0", "signal=11", "timeout", or "missing" when the VM died first),
# OUTDIR/console.log (kernel console). Exit status 0 when the VM reached the
# end of the job list, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
KERNEL=""; TIMEOUT=600; FILES=()
while getopts k:t:f: o; do
    case $o in
        k) KERNEL=$OPTARG ;; t) TIMEOUT=$OPTARG ;; f) FILES+=("$OPTARG") ;;
        *) echo "usage: $0 [-k bzImage] [-t s] [-f file]... OUTDIR JOB..." >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { echo "usage: $0 [-k bzImage] [-t s] [-f file]... OUTDIR JOB..." >&2; exit 2; }
OUTDIR=$1; shift
die() { echo "oracle-vm: $*" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make oracle-kernel installs it)"
if [ -z "$KERNEL" ]; then
    KERNEL=$(bash scripts/oracle/build-kernel.sh | tail -n 1)
fi
[ -f "$KERNEL" ] || die "no kernel image $KERNEL"

mkdir -p "$OUTDIR" "$ROOT/build/oracle"
rm -f "$OUTDIR"/job*.out "$OUTDIR"/job*.status
STAGE=$(mktemp -d "$ROOT/build/oracle/initramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/bin" "$STAGE/data" "$STAGE/dev" "$STAGE/proc" "$STAGE/sys" "$STAGE/tmp"
INIT=$ROOT/build/oracle/init
if [ ! -x "$INIT" ] || [ "$ROOT/tools/oracle/init.c" -nt "$INIT" ]; then
    gcc -std=c11 -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE -static -Os \
        -o "$INIT" "$ROOT/tools/oracle/init.c"
fi
cp "$INIT" "$STAGE/init"
: > "$STAGE/jobs"
for j in "$@"; do
    bin=${j%% *}; rest=""
    [ "$bin" != "$j" ] && rest=" ${j#* }"
    [ -x "$bin" ] || die "job binary $bin is not executable"
    readelf -l "$bin" 2>/dev/null | grep -q "Requesting program interpreter" && die "$bin is not static (dynamically linked)"
    cp "$bin" "$STAGE/bin/"
    echo "$(basename "$bin")$rest" >> "$STAGE/jobs"
done
for f in "${FILES[@]}"; do cp -r "$f" "$STAGE/data/"; done
(cd "$STAGE" && find . | cpio -o -H newc --quiet) > "$STAGE.cpio"
trap 'rm -rf "$STAGE" "$STAGE.cpio"' EXIT

# hugepages=: iommufd.md §7.5 (the hugetlb tests need reserved 2M pages).
# ttyS0 carries the kernel console, ttyS1 the programs' output (init.c).
rc=0
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 2G -smp 1 \
    -nographic -no-reboot -nic none -monitor none \
    -kernel "$KERNEL" -initrd "$STAGE.cpio" \
    -append "console=ttyS0 loglevel=4 panic=-1 hugepages=64 rdinit=/init" \
    -serial "file:$OUTDIR/console.log" -serial "file:$OUTDIR/out.raw" \
    </dev/null >/dev/null 2>"$OUTDIR/qemu.err" || rc=$?
[ $rc -eq 124 ] && echo "oracle-vm: VM ran past ${TIMEOUT}s, killed" >&2

# Split ttyS1 into per-job files.
awk -v dir="$OUTDIR" '
    # A program whose last line lacks a newline leaves the END marker mid-line.
    { if ((i = index($0, "@@ORACLE-END ")) > 1) { if (cur != "") print substr($0, 1, i - 1) > cur; $0 = substr($0, i) } }
    /^@@ORACLE-BEGIN / { cur = dir "/job" $2 ".out"; printf "" > cur; next }
    /^@@ORACLE-END /   { st = $3; for (k = 4; k <= NF; k++) st = st " " $k
                         print st > (dir "/job" $2 ".status"); close(dir "/job" $2 ".status");
                         if (cur != "") close(cur); cur = ""; next }
    /^@@ORACLE-(BOOTED|DONE)/ { next }
    cur != "" { print > cur }
' "$OUTDIR/out.raw"
n=0; for j in "$@"; do
    [ -f "$OUTDIR/job$n.status" ] || { echo missing > "$OUTDIR/job$n.status"; [ -f "$OUTDIR/job$n.out" ] || : > "$OUTDIR/job$n.out"; }
    n=$((n + 1))
done
grep -q '^@@ORACLE-DONE' "$OUTDIR/out.raw" || { echo "oracle-vm: the VM did not finish the job list (see $OUTDIR/console.log)" >&2; exit 1; }
exit 0
