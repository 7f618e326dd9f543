#!/usr/bin/env bash
# Exec/s of each harness's plain (non-sanitized) AFL++ build over N seconds
# (default 60), one core at a time. Prints one line per harness; never fails
# on speed (targets are in docs/fuzzing.md: >= 20k exec/s per core for ioctl).
# Usage: scripts/fuzz-speed.sh [-s SECONDS] HARNESS...
set -u
secs=60
while getopts "s:" o; do
    case $o in s) secs=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- mmio_vtd mmio_amdvi mmio_smmuv3 ioctl
root=$(cd "$(dirname "$0")/.." && pwd)
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_AFFINITY=1 AFL_ALLOW_TMP=1
for h in "$@"; do
    out=$root/build/fuzz/speed/$h
    rm -rf "$out"; mkdir -p "$out"
    afl-fuzz -V "$secs" -t 1000 -i "$root/fuzz/corpus/$h" -o "$out" -- "$root/build/fuzz/$h" \
        >"$out/afl.log" 2>&1
    st=$out/default/fuzzer_stats
    if [ -f "$st" ]; then
        printf '%-12s %10s exec/s  (%s execs in %ss, stability %s, edges %s)\n' "$h" \
            "$(sed -n 's/^execs_per_sec *: *//p' "$st")" "$(sed -n 's/^execs_done *: *//p' "$st")" \
            "$secs" "$(sed -n 's/^stability *: *//p' "$st")" "$(sed -n 's/^edges_found *: *//p' "$st")"
    else
        echo "$h: afl-fuzz failed, see $out/afl.log"
    fi
done
