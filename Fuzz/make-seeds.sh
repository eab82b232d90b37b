#!/usr/bin/env bash
# Regenerates the committed seed corpora, Fuzz/Corpus/<target>/, from each target's seed list
# (its Seeds.swift; generated with this project's code and fixed test keys only). Files are
# overwritten, never deleted: Corpus/<target>/regression-* are inputs that once crashed a target.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$(bash "$here/build.sh")"
while read -r target _; do
  [[ -z "$target" || "$target" == \#* ]] && continue
  FUZZ_WRITE_SEEDS="$here/Corpus/$target" "$bin/$target" </dev/null
  echo "$target: $(ls "$here/Corpus/$target" | wc -l) seeds, $(du -sk "$here/Corpus/$target" | cut -f1) KiB"
done < "$here/targets.txt"
