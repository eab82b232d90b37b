#!/usr/bin/env bash
# The unit and integration test suite under ThreadSanitizer and/or AddressSanitizer (+ LeakSanitizer).
#
#   .ci/sanitize.sh thread|address|all
#
# Each sanitizer has a scratch path of its own (.build-tsan, .build-asan; SANITIZE_SCRATCH_ROOT moves
# them), so neither disturbs the normal .build. Every executable the tests spawn (coap, coap-gateway,
# ...) comes from that scratch path and is sanitized too; all reports, the test process's and its
# children's, go to files (log_path) in <scratch>/sanitizer-reports/, so none is lost in a child's
# captured stderr and none changes what a test sees on a child's stderr. The script fails when the
# tests fail or when any report file was written, and prints the reports' first lines.
#
# Environment: SWIFT (default swift), SANITIZE_SCRATCH_ROOT (default: the package root),
# SANITIZE_JOBS (swift build -j), SANITIZE_FILTER (swift test --filter), SANITIZE_NO_PARALLEL=1
# (swift test --no-parallel: slower, but the timing-sensitive tests see an idle machine),
# SANITIZE_EXTRA_OPTIONS (appended to TSAN_OPTIONS / ASAN_OPTIONS; e.g. fast_unwind_on_malloc=0 for
# whole allocation stacks through libcoap/OpenSSL, which have no frame pointers), SANITIZE_REPORT_LINES
# (lines shown per report, 40).
# Needs no standard input; works the same with CI=true.
# The whole script is one compound command, so bash has parsed all of it before it runs: editing
# this file while a run is going on cannot change what that run does.
{
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SWIFT=${SWIFT:-swift}
SCRATCH_ROOT=${SANITIZE_SCRATCH_ROOT:-$ROOT}
REPORT_LINES=${SANITIZE_REPORT_LINES:-40}
export SECURECOAP_VENV=${SECURECOAP_VENV:-$ROOT/.venv}
# A sanitized suite runs 2-3x slower on 2 CPUs: the tests' time limits, waits and hang guards are
# multiplied by this (TestSupport.timeScale).
export SECURECOAP_TIME_SCALE=${SECURECOAP_TIME_SCALE:-4}

usage() { echo "usage: $0 thread|address|all" >&2; exit 2; }
[ $# -eq 1 ] || usage
case $1 in
    thread) sanitizers=(thread) ;;
    address) sanitizers=(address) ;;
    all) sanitizers=(thread address) ;;
    *) usage ;;
esac

timings=()
overall=0
ASAN_QUARANTINE_MB=64

# Runtime options, one sanitizer at a time (the other's variables are unset so that nothing from the
# caller's environment leaks in).
#
# exitcode=0: a report does not change a process's exit status. Tests check their children's exit
#   status and stderr; with the default (66 for TSan, 1 or 23 for ASan/LSan) a race or a leak in a
#   child would show up as a confusing test failure instead of as a report. The report files are
#   what fails this script, so nothing is missed.
# TSan halt_on_error=0 (its default, made explicit): a race does not corrupt the process by itself,
#   and one TSan run is slow, so it goes on and collects every race in one run.
# ASan abort_on_error=1 (halt_on_error stays 1): Swift code is not compiled with
#   -fsanitize-recover=address, so ASan cannot go on after a memory error anyway; abort() makes the
#   process die by SIGABRT (status 134), so a test whose child hit a use-after-free fails loudly,
#   even though exitcode=0.
# quarantine_size_mb=64 (the default is 256): freed memory ASan holds back to catch a use after
#   free. It shows as RSS growth; the tests that bound a gateway's RSS allow this much more
#   (SECURECOAP_ASAN_QUARANTINE_MB).
# detect_leaks=1 with precise suppressions in .ci/lsan.supp (see there why each one is there).
set_options() {
    local san=$1 reports=$2
    unset TSAN_OPTIONS ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS SECURECOAP_ASAN_QUARANTINE_MB
    local extra=${SANITIZE_EXTRA_OPTIONS:+:$SANITIZE_EXTRA_OPTIONS}
    case $san in
        thread)
            export TSAN_OPTIONS="log_path=$reports/tsan:halt_on_error=0:exitcode=0:suppressions=$ROOT/.ci/tsan.supp:print_suppressions=0:history_size=4:second_deadlock_stack=1$extra"
            ;;
        address)
            export ASAN_OPTIONS="log_path=$reports/asan:halt_on_error=1:abort_on_error=1:exitcode=0:detect_leaks=1:detect_stack_use_after_return=0:quarantine_size_mb=$ASAN_QUARANTINE_MB$extra"
            export SECURECOAP_ASAN_QUARANTINE_MB=$ASAN_QUARANTINE_MB
            export LSAN_OPTIONS="suppressions=$ROOT/.ci/lsan.supp:print_suppressions=0"
            ;;
    esac
}

# A LeakSanitizer report whose every leak is a Swift weak-reference side table (allocated in
# swift::RefCounts::formWeakReference) is LSan's known blind spot, not a leak: the object points
# to its side table only through bit-packed refcount bits, which LSan cannot follow
# (swiftlang/swift-corelibs-xctest#342), so the side table of a live, weakly referenced object
# looks unreferenced at exit. Such files are moved to known-false-positives/ and do not fail the
# run. This is not a suppression on purpose: a side table points back to its object, and LSan
# would then ignore everything reachable from it, hiding a real reference cycle through a weakly
# referenced object. A file with any other leak in it is reported in full, side tables included.
set_aside_side_table_only() {
    local reports=$1 f
    for f in "$reports"/*; do
        [ -f "$f" ] || continue
        grep -q 'LeakSanitizer: detected memory leaks' "$f" || continue
        if awk '/(Direct|Indirect) leak of/ { blocks++; inblock = 1; seen = 0 }
                inblock && /formWeakReference/ && !seen { weak++; seen = 1 }
                END { exit !(blocks > 0 && blocks == weak) }' "$f"; then
            mkdir -p "$reports/known-false-positives"
            mv "$f" "$reports/known-false-positives/"
        fi
    done
}

# Prints every non-empty report file's first lines and a count per kind; sets report_count.
show_reports() {
    local reports=$1 files
    set_aside_side_table_only "$reports"
    if [ -d "$reports/known-false-positives" ]; then
        echo "$(find "$reports/known-false-positives" -type f | wc -l) report file(s) with nothing but Swift weak side tables set aside (LSan false positive): $reports/known-false-positives"
    fi
    mapfile -t files < <(find "$reports" -maxdepth 1 -type f -size +0c | sort)
    report_count=${#files[@]}
    if [ "$report_count" -eq 0 ]; then
        echo "no sanitizer reports"
        return 0
    fi
    echo "${#files[@]} sanitizer report file(s) in $reports:"
    echo "--- by kind (SUMMARY lines) ---"
    cat "${files[@]}" | grep -h '^SUMMARY:' | sed -E 's/ \(pid=[0-9]+\)//' | sort | uniq -c | sort -rn || true
    local f
    for f in "${files[@]}"; do
        echo "=== $f ==="
        head -n "$REPORT_LINES" "$f"
    done
}

for san in "${sanitizers[@]}"; do
    case $san in thread) short=tsan ;; address) short=asan ;; esac
    scratch=$SCRATCH_ROOT/.build-$short
    reports=$scratch/sanitizer-reports
    log=$scratch/sanitize-test.log
    mkdir -p "$scratch"
    rm -rf "$reports"
    mkdir -p "$reports"

    echo "=== $san: build ($scratch) ==="
    jobs=()
    [ -n "${SANITIZE_JOBS:-}" ] && jobs=(-j "$SANITIZE_JOBS")
    start=$(date +%s)
    build_status=0
    # The build itself runs without any *SAN_OPTIONS (plugins and build tools are not sanitized).
    env -u TSAN_OPTIONS -u ASAN_OPTIONS -u LSAN_OPTIONS \
        "$SWIFT" build --build-tests --sanitize="$san" --scratch-path "$scratch" "${jobs[@]}" </dev/null || build_status=$?
    build_time=$(($(date +%s) - start))
    timings+=("$san build: ${build_time}s (status $build_status)")
    if [ $build_status -ne 0 ]; then
        echo "$san: build failed ($build_status)" >&2
        overall=1
        continue
    fi

    echo "=== $san: tests (log: $log, reports: $reports) ==="
    filter=()
    [ -n "${SANITIZE_FILTER:-}" ] && filter=(--filter "$SANITIZE_FILTER")
    parallel=(--parallel --num-workers 2)
    [ -n "${SANITIZE_NO_PARALLEL:-}" ] && parallel=(--no-parallel)
    start=$(date +%s)
    set +e
    (
        set_options "$san" "$reports"
        exec "$SWIFT" test --skip-build --sanitize="$san" --scratch-path "$scratch" "${parallel[@]}" "${filter[@]}" </dev/null
    ) 2>&1 | tee "$log"
    test_status=${PIPESTATUS[0]}
    set -e
    test_time=$(($(date +%s) - start))

    report_count=0
    show_reports "$reports"
    timings+=("$san tests: ${test_time}s (status $test_status, $report_count report file(s))")
    # Which tests failed, in one place (swift-testing and XCTest spellings).
    grep -E '^✘ Test .* failed|^✘ Suite .* failed|error: .* : XCTAssert|Test Case .* failed' "$log" | sort -u > "$scratch/failed-tests.txt" || true
    if [ -s "$scratch/failed-tests.txt" ]; then
        echo "--- failed tests under $san ---"
        cat "$scratch/failed-tests.txt"
    fi
    if [ "$test_status" -ne 0 ] || [ "$report_count" -ne 0 ]; then
        echo "$san: FAILED (tests status $test_status, $report_count report file(s))" >&2
        overall=1
    else
        echo "$san: passed, no reports"
    fi
done

echo "=== timings ==="
printf '%s\n' "${timings[@]}"
exit $overall
}
