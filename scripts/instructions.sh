#!/usr/bin/env bash
# Instructions per call of each overhead variant, counted by valgrind (repeatable, unlike
# wall-clock time on a shared 2-core machine). Needs valgrind (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bench overhead_instructions >/dev/null 2>&1
bin=$(ls -t target/release/deps/overhead_instructions-* | grep -v '\.d$' | head -1)
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
    awk '/Collected/ {print $4}'
}
printf '%-34s %12s\n' variant instr/call
for variant in bare llm_call llm_call_known_sampler raw_sdk raw_sdk_with_cost \
  tracing_opentelemetry tracing_opentelemetry_with_cost llm_call_unsampled \
  llm_call_unsampled_caller llm_call_unsampled_sdk_sampler raw_sdk_unsampled \
  llm_call_no_provider tracing_instrument_no_subscriber; do
  small=$(count "$variant" 5000)
  large=$(count "$variant" 15000)
  printf '%-34s %12d\n' "$variant" $(( (large - small) / 10000 ))
done
