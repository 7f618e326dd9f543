#!/usr/bin/env bash
# Re-minimise the checked-in corpora (make fuzz-cmin): for each harness, the
# generated seeds (build/fuzz/seeds/<h>), the current corpus, any
# campaign/smoke queues and the extra directories of FUZZ_CMIN_EXTRA are
# merged and reduced with afl-cmin (plain build); with FUZZ_TMIN=1 every file
# (or, with FUZZ_TMIN_BUDGET=<seconds>, the biggest files first until that
# much time has passed) is then shrunk with afl-tmin and the set reduced
# with afl-cmin again. The result replaces fuzz/corpus/<h>/. Only this
# minimised form is committed (peers.md §3.4).
#
# Usage: [FUZZ_CMIN_EXTRA="DIR..."] [FUZZ_TMIN=1 [FUZZ_TMIN_BUDGET=S]]
#        scripts/fuzz-cmin.sh HARNESS...
#   FUZZ_CMIN_EXTRA  directories whose <h>/ subdirectory (files, or AFL++
#                    output dirs with */queue/id:*) joins the merge, e.g. a
#                    campaign's afl-cmin output: FUZZ_CMIN_EXTRA=/work/fuzzcamp/cmin
#   FUZZ_NICE        niceness of afl-cmin/afl-tmin (default 10: shared machine)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
export AFL_ALLOW_TMP=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
nice="nice -n ${FUZZ_NICE:-10}"
[ $# -gt 0 ] || set -- mmio_vtd mmio_amdvi mmio_smmuv3 ioctl
for h in "$@"; do
    work=$root/build/fuzz/cmin/$h
    all=$work/all min=$work/min
    rm -rf "$work"; mkdir -p "$all"
    # Inputs are renamed to numbers; names.txt maps a number to the seed it
    # came from, so a seed keeps its name even after afl-tmin changed it.
    : >"$work/names.txt"
    i=0
    extra=()
    for d in ${FUZZ_CMIN_EXTRA:-}; do
        extra+=("$d/$h"/* "$d/$h"/*/queue/id:*)
    done
    for f in "$root"/build/fuzz/seeds/$h/* "$root"/fuzz/corpus/$h/* \
             "$root"/build/fuzz/out/$h/*/queue/id:* "$root"/build/fuzz/smoke/$h/*/queue/id:* \
             ${extra[@]+"${extra[@]}"}; do
        [ -f "$f" ] || continue
        n=$(printf '%06d' $i)
        cp "$f" "$all/$n"; i=$((i + 1))
        case $f in
        "$root"/build/fuzz/seeds/*|"$root"/fuzz/corpus/*)
            case $(basename "$f") in
            [0-9][0-9][0-9][0-9][0-9][0-9]) ;;   # a number from an earlier run
            *) echo "$n $(basename "$f")" >>"$work/names.txt" ;;
            esac ;;
        esac
    done
    $nice afl-cmin -i "$all" -o "$min" -- "$root/build/fuzz/$h" >"$work/cmin1.log" 2>&1 ||
        { tail -n 20 "$work/cmin1.log"; exit 1; }
    echo "fuzz-cmin $h: $i inputs -> $(ls "$min" | wc -l) after afl-cmin ($(du -sb "$min" | cut -f1) bytes)"
    if [ "${FUZZ_TMIN:-0}" = 1 ]; then
        start=$(date +%s) done=0
        # Biggest first: with a budget, the bytes that matter go first.
        for f in $(ls -S "$min"); do
            if [ -n "${FUZZ_TMIN_BUDGET:-}" ] && [ $(($(date +%s) - start)) -ge "$FUZZ_TMIN_BUDGET" ]; then
                echo "fuzz-cmin $h: afl-tmin budget ${FUZZ_TMIN_BUDGET}s spent after $done files"
                break
            fi
            $nice afl-tmin -i "$min/$f" -o "$min/$f.t" -- "$root/build/fuzz/$h" >/dev/null 2>&1 &&
                mv "$min/$f.t" "$min/$f"
            rm -f "$min/$f.t"
            done=$((done + 1))
        done
        echo "fuzz-cmin $h: afl-tmin on $done files in $(($(date +%s) - start))s -> $(du -sb "$min" | cut -f1) bytes"
        mv "$min" "$work/tmin"
        $nice afl-cmin -i "$work/tmin" -o "$min" -- "$root/build/fuzz/$h" >"$work/cmin2.log" 2>&1 ||
            { tail -n 20 "$work/cmin2.log"; exit 1; }
    fi
    rm -rf "$root/fuzz/corpus/$h"; mkdir -p "$root/fuzz/corpus/$h"
    for f in "$min"/*; do
        n=$(basename "$f")
        name=$(awk -v n="$n" '$1 == n { print $2 }' "$work/names.txt")
        cp "$f" "$root/fuzz/corpus/$h/${name:-$n}"
    done
    echo "fuzz-cmin $h: $i inputs -> $(ls "$root/fuzz/corpus/$h" | wc -l) files, $(du -sb "$root/fuzz/corpus/$h" | cut -f1) bytes"
done
