#!/usr/bin/env bash
# Builds the fuzz package (debug, libFuzzer + AddressSanitizer, linked with lld) and prints the
# directory holding the fuzz executables. Scratch directory: $FUZZ_SCRATCH (default .build-fuzz
# in the repository root, which .build-*/ in .gitignore covers).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
scratch="${FUZZ_SCRATCH:-$root/.build-fuzz}"
swift="${SWIFT:-swift}"
# -use-ld=lld: gold warns about every ASan helper symbol it cannot export.
flags=(--package-path "$here" --scratch-path "$scratch" -c debug
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
"$swift" build "${flags[@]}" >&2 </dev/null
"$swift" build "${flags[@]}" --show-bin-path </dev/null
