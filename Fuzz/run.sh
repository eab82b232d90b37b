#!/usr/bin/env bash
# Fuzz/run.sh SECONDS — builds the fuzz package and runs every target of targets.txt for SECONDS
# seconds (libFuzzer -max_total_time), then prints one line per target: executions, exec/s,
# coverage (cov = edges, ft = features), corpus size, crashes. Exits 1 if any target crashed (or
# timed out, or ran out of memory), after copying each crashing input into Fuzz/crashes/<target>/.
#
# Environment: FUZZ_TARGETS="FuzzCBOR FuzzSenMLJSON" runs only those; FUZZ_SCRATCH moves the build
# and the working state (default .build-fuzz; working corpora, crash inputs and logs go to its
# fuzz/ subdirectory, which SwiftPM leaves alone, unlike its own artifacts/; the committed seeds in
# Corpus/ are only read); FUZZ_SKIP_BUILD=1 runs the executables already built (for a second
# run.sh next to one in progress: a build would rewrite what the other is running).
# Needs no standard input and no network beyond SwiftPM's dependency resolution.
set -euo pipefail
seconds="${1:?usage: Fuzz/run.sh SECONDS}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
scratch="${FUZZ_SCRATCH:-$root/.build-fuzz}"
export FUZZ_SCRATCH="$scratch"
if [[ "${FUZZ_SKIP_BUILD:-}" == 1 ]]; then
  bin="$scratch/debug"
else
  bin="$(bash "$here/build.sh")"
fi

# A fuzzing crash report must show where it crashed; a leak in an input that also crashed is noise.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:symbolize=1}"
# Swift's own crash backtracer would catch the trap first (and trips ASan reading the stack), so
# libFuzzer would never save the input: leave crashes to libFuzzer.
export SWIFT_BACKTRACE=enable=no

results=()
failed=0
while read -r target max_len; do
  [[ -z "$target" || "$target" == \#* ]] && continue
  if [[ -n "${FUZZ_TARGETS:-}" && " $FUZZ_TARGETS " != *" $target "* ]]; then continue; fi
  corpus="$scratch/fuzz/corpus/$target"      # working corpus: grows across runs, never committed
  artifacts="$scratch/fuzz/crashes/$target"
  log="$scratch/fuzz/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/*
  [[ -d "$here/Corpus/$target" ]] && cp -n "$here/Corpus/$target"/* "$corpus"/ 2>/dev/null || true
  dict=()
  [[ -f "$here/Dictionaries/$target.dict" ]] && dict=("-dict=$here/Dictionaries/$target.dict")
  echo "== $target: ${seconds}s, max_len $max_len" >&2
  set +e
  "$bin/$target" "$corpus" "${dict[@]}" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" -timeout=25 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 -close_fd_mask=1 </dev/null >"$log" 2>&1
  status=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  crashes=$(find "$artifacts" -type f 2>/dev/null | wc -l)
  if (( crashes > 0 || status != 0 )); then
    failed=1
    mkdir -p "$here/crashes/$target"
    find "$artifacts" -type f -exec cp {} "$here/crashes/$target/" \; 2>/dev/null || true
    echo "!! $target failed (exit $status); log: $log; inputs: Fuzz/crashes/$target/" >&2
    grep -m3 -E 'INVARIANT FAILED|ERROR: AddressSanitizer|Fatal error|deadly signal|timeout|out-of-memory' "$log" >&2 || true
  fi
  results+=("$(printf '%-22s %12s %8s %7s %8s %7s %8s' "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "$(find "$corpus" -type f 2>/dev/null | wc -l)" "$crashes")")
done < "$here/targets.txt"

printf '%-22s %12s %8s %7s %8s %7s %8s\n' target executions exec/s cov ft corpus crashes
printf '%s\n' "${results[@]}"
exit "$failed"
