#!/usr/bin/env bash
# Multi-core AFL++ campaign for one harness (docs/fuzzing.md):
#   instance 0: -M main, plain build, CmpLog binary attached (-c, -l 2AT)
#   instance 1: -S asan, the ASan+UBSan build (one sanitizer instance is
#               enough, peers.md §3.3)
#   instances 2..: -S secN, plain build, alternating power schedules
# Usage: scripts/fuzz-campaign.sh -t HARNESS [-s SECONDS] [-j JOBS] [-o OUT]
#   -j 1 runs only the main instance (make fuzz). Output:
#   build/fuzz/out/<harness>/ by default. Crashes: <out>/*/crashes/.
set -u
target=ioctl; secs=600; jobs=$(nproc 2>/dev/null || echo 2); out=
while getopts "t:s:j:o:" o; do
    case $o in
        t) target=$OPTARG ;; s) secs=$OPTARG ;; j) jobs=$OPTARG ;; o) out=$OPTARG ;;
        *) echo "usage: $0 -t HARNESS [-s SECONDS] [-j JOBS] [-o OUT]" >&2; exit 2 ;;
    esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
fz=$root/build/fuzz
out=${out:-$fz/out/$target}
in=$root/fuzz/corpus/$target
for b in "$fz/$target" "$fz/$target.cmplog" "$fz/$target.asan"; do
    [ -x "$b" ] || { echo "missing $b: run make fuzz-build" >&2; exit 2; }
done
case $target in
    ioctl) dict=$root/fuzz/dict/ioctl.dict ;;
    mmio_*) dict=$root/fuzz/dict/${target#mmio_}.dict ;;
    *) dict= ;;
esac
dargs=(); [ -n "$dict" ] && [ -f "$dict" ] && dargs=(-x "$dict")

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_ALLOW_TMP=1 AFL_CMPLOG_ONLY_NEW=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=0:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1}
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup INT TERM

run() { # name log args...
    local name=$1; shift
    AFL_NO_UI=1 afl-fuzz -V "$secs" -t 1000 "${dargs[@]}" -i "$in" -o "$out" "$@" \
        >"$out/$name.log" 2>&1 &
    pids+=($!)
}
run main -M main -c "$fz/$target.cmplog" -l 2AT -- "$fz/$target"
[ "$jobs" -ge 2 ] && run asan -S asan -m none -- "$fz/$target.asan"
scheds=(explore fast coe lin quad exploit rare)
for ((i = 2; i < jobs; i++)); do
    run "sec$i" -S "sec$i" -p "${scheds[$(( (i - 2) % ${#scheds[@]} ))]}" -- "$fz/$target"
done
echo "fuzz-campaign: $target, $jobs instance(s), ${secs}s, output $out"
wait
afl-whatsup -s "$out" 2>/dev/null | sed -n '/Summary/,$p'
n=$(find "$out" -path '*/crashes/id:*' -type f 2>/dev/null | wc -l)
h=$(find "$out" -path '*/hangs/id:*' -type f 2>/dev/null | wc -l)
echo "fuzz-campaign: $n crash(es), $h hang(s) in $out"
[ "$n" -eq 0 ] && [ "$h" -eq 0 ]
