#!/usr/bin/env bash
# Run every Criterion suite in the plain and the sanitizer build, then the extra
# checks named after "--" (make targets such as scenario goldens or corpus
# replay), and finish with one closing line "N passed, N failed".
# Usage: scripts/run-tests.sh SUITE... -- [EXTRA_TARGET...]
set -u
suites=(); extra=(); seen_sep=0
for a in "$@"; do
    if [ "$a" = "--" ]; then seen_sep=1; continue; fi
    if [ $seen_sep -eq 0 ]; then suites+=("$a"); else extra+=("$a"); fi
done
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
pass=0; fail=0; failed=()
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_suite() { # tree suite
    local bin="$1/tests/$2" log
    log=$(mktemp)
    if [ ! -x "$bin" ]; then echo "missing test binary $bin"; fail=$((fail+1)); failed+=("$bin"); return; fi
    "$bin" --jobs "$jobs" >"$log" 2>&1
    local rc=$?
    # Criterion's closing line: "[====] Synthesis: Tested: N | Passing: P | Failing: F | Crashing: C"
    local line; line=$(grep -a 'Synthesis:' "$log" | tail -n 1)
    local p f c
    p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line"); p=${p:-0}
    f=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$line"); f=${f:-0}
    c=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$line"); c=${c:-0}
    pass=$((pass+p)); fail=$((fail+f+c))
    if [ $rc -ne 0 ] || [ $((f+c)) -ne 0 ] || [ -z "$line" ]; then
        [ $((f+c)) -eq 0 ] && fail=$((fail+1))
        failed+=("$bin"); cat "$log"
    fi
    printf '%-28s %s\n' "$bin" "${line:-(no synthesis line, rc=$rc)}"
    rm -f "$log"
}

for s in "${suites[@]}"; do run_suite build "$s"; done
for s in "${suites[@]}"; do run_suite build-asan "$s"; done
for t in "${extra[@]}"; do
    if make --no-print-directory "$t"; then pass=$((pass+1)); echo "extra check $t: ok"
    else fail=$((fail+1)); failed+=("make $t"); echo "extra check $t: FAILED"; fi
done
[ ${#failed[@]} -eq 0 ] || printf 'failed: %s\n' "${failed[@]}"
echo "tests: $pass passed, $fail failed"
[ $fail -eq 0 ]
