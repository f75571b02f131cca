#!/usr/bin/env bash
# Instructions per call of each overhead variant, counted by valgrind (repeatable, unlike
# wall-clock time on a shared 2-core machine). Needs valgrind (apt-get install valgrind).
#   scripts/instructions.sh             every variant
#   scripts/instructions.sh realistic   only the realistic call (issue 15)
set -euo pipefail
cd "$(dirname "$0")/.."
# INSTRUCTIONS_BIN=path: count a binary built earlier (e.g. a copy from before a change).
if [[ -n "${INSTRUCTIONS_BIN:-}" ]]; then
  bin=$INSTRUCTIONS_BIN
else
  cargo build --release --bench overhead_instructions >/dev/null 2>&1
  bin=$(ls -t target/release/deps/overhead_instructions-* | grep -v '\.d$' | head -1)
fi
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
    awk '/Collected/ {print $4}'
}
# Instructions of the main thread (the caller) and of all threads together. Valgrind runs one
# thread at a time; `--fair-sched=yes` hands the CPU round-robin, so back to back the processing
# and export threads run between the caller's calls as they would on their own cores (with the
# default, unfair lock the caller keeps running, fills the processing queue and processes its
# own calls).
count_threads() {
  local dir
  dir=$(mktemp -d)
  valgrind --tool=callgrind --fair-sched=yes --separate-threads=yes --callgrind-out-file="$dir/cg" \
    "$bin" "$1" "$2" >/dev/null 2>&1
  local main all
  main=$(awk '/^summary:|^totals:/ {print $2; exit}' "$dir"/cg-01)
  all=$(cat "$dir"/cg-* | awk '/^totals:/ {s+=$2} END {print s}')
  rm -rf "$dir"
  echo "$main $all"
}
if [[ "${1:-}" != realistic ]]; then
  printf '%-34s %12s\n' variant instr/call
  for variant in bare llm_call llm_call_known_sampler raw_sdk raw_sdk_with_cost \
    tracing_opentelemetry tracing_opentelemetry_with_cost llm_call_unsampled \
    llm_call_unsampled_caller llm_call_unsampled_sdk_sampler raw_sdk_unsampled \
    llm_call_no_provider tracing_instrument_no_subscriber; do
    small=$(count "$variant" 5000)
    large=$(count "$variant" 15000)
    printf '%-34s %12d\n' "$variant" $(( (large - small) / 10000 ))
  done
  echo
fi
# The realistic call: the caller's thread, and every thread (the export/processing work too).
printf '%-34s %12s %12s\n' "realistic variant" "caller" "all threads"
for variant in llm_call llm_call_deferred llm_call_deferred_paced raw_sdk tracing llm_call_simple \
  llm_call_deferred_simple llm_call_deferred_paced_simple raw_sdk_simple tracing_simple floor; do
  read -r small_main small_all < <(count_threads "realistic_$variant" 5000)
  read -r large_main large_all < <(count_threads "realistic_$variant" 15000)
  printf '%-34s %12d %12d\n' "$variant" $(( (large_main - small_main) / 10000 )) \
    $(( (large_all - small_all) / 10000 ))
done
