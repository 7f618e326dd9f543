#!/usr/bin/env bash
# Exec/s of each harness's plain (non-sanitized) AFL++ build over N seconds
# (default 60), one core at a time. Prints one line per harness; never fails
# on speed (targets are in docs/fuzzing.md: >= 20k exec/s per core for ioctl).
#
# "Per core" means afl-fuzz and its target bound to one CPU (-b, AFL++'s
# default when a core is free): the persistent loop stops the target with
# SIGSTOP after every input and the fork server resumes it, and unbound that
# ping-pong migrates between CPUs. Measured here with an empty harness: ~41k
# exec/s bound, 17-27k unbound (AFL_NO_AFFINITY=1). -c CPU picks the core;
# if afl-fuzz cannot bind, the run is repeated unbound and says so.
# Usage: scripts/fuzz-speed.sh [-s SECONDS] [-c CPU] HARNESS...
set -u
secs=60; cpu=$(( $(nproc 2>/dev/null || echo 1) - 1 ))
while getopts "s:c:" o; do
    case $o in s) secs=$OPTARG ;; c) cpu=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- mmio_vtd mmio_amdvi mmio_smmuv3 ioctl
root=$(cd "$(dirname "$0")/.." && pwd)
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_ALLOW_TMP=1
for h in "$@"; do
    out=$root/build/fuzz/speed/$h
    bind="bound to CPU $cpu"
    rm -rf "$out"; mkdir -p "$out"
    if ! afl-fuzz -V "$secs" -t 1000 -b "$cpu" -i "$root/fuzz/corpus/$h" -o "$out" \
            -- "$root/build/fuzz/$h" >"$out/afl.log" 2>&1; then
        bind="unbound: binding failed, see $out/afl.log.bind"
        mv "$out/afl.log" "$out/afl.log.bind"; rm -rf "$out/default"
        AFL_NO_AFFINITY=1 afl-fuzz -V "$secs" -t 1000 -i "$root/fuzz/corpus/$h" -o "$out" \
            -- "$root/build/fuzz/$h" >"$out/afl.log" 2>&1
    fi
    st=$out/default/fuzzer_stats
    if [ -f "$st" ]; then
        printf '%-12s %10s exec/s  (%s execs in %ss, stability %s, edges %s, %s)\n' "$h" \
            "$(sed -n 's/^execs_per_sec *: *//p' "$st")" "$(sed -n 's/^execs_done *: *//p' "$st")" \
            "$secs" "$(sed -n 's/^stability *: *//p' "$st")" "$(sed -n 's/^edges_found *: *//p' "$st")" \
            "$bind"
    else
        echo "$h: afl-fuzz failed, see $out/afl.log"
    fi
done
