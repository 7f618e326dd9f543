#!/usr/bin/env bash
# Re-minimise the checked-in corpora (make fuzz-cmin): for each harness, the
# generated seeds (build/fuzz/seeds/<h>), the current corpus and any
# campaign/smoke queues are merged and reduced with afl-cmin (plain build)
# into fuzz/corpus/<h>/, then each file is shrunk with afl-tmin when
# FUZZ_TMIN=1. Only this minimised form is committed (peers.md §3.4).
# Usage: scripts/fuzz-cmin.sh HARNESS...
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
export AFL_ALLOW_TMP=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
[ $# -gt 0 ] || set -- mmio_vtd mmio_amdvi mmio_smmuv3 ioctl
for h in "$@"; do
    all=$root/build/fuzz/cmin/$h/all
    min=$root/build/fuzz/cmin/$h/min
    rm -rf "$all" "$min"; mkdir -p "$all"
    i=0
    for f in "$root"/build/fuzz/seeds/$h/* "$root"/fuzz/corpus/$h/* \
             "$root"/build/fuzz/out/$h/*/queue/id:* "$root"/build/fuzz/smoke/$h/*/queue/id:*; do
        [ -f "$f" ] || continue
        cp "$f" "$all/$(printf '%06d' $i)"; i=$((i + 1))
    done
    afl-cmin -i "$all" -o "$min" -- "$root/build/fuzz/$h" >/dev/null
    if [ "${FUZZ_TMIN:-0}" = 1 ]; then
        for f in "$min"/*; do afl-tmin -i "$f" -o "$f.t" -- "$root/build/fuzz/$h" >/dev/null && mv "$f.t" "$f"; done
    fi
    rm -rf "$root/fuzz/corpus/$h"; mkdir -p "$root/fuzz/corpus/$h"
    # Seed names are kept where the file is unchanged; others are numbered.
    for f in "$min"/*; do
        name=$(basename "$f")
        for s in "$root"/build/fuzz/seeds/$h/*; do
            [ -f "$s" ] && cmp -s "$s" "$f" && name=$(basename "$s") && break
        done
        cp "$f" "$root/fuzz/corpus/$h/$name"
    done
    echo "fuzz-cmin $h: $i inputs -> $(ls "$root/fuzz/corpus/$h" | wc -l) files, $(du -sh "$root/fuzz/corpus/$h" | cut -f1)"
done
