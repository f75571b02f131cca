#!/usr/bin/env bash
# Per-chunk cost of a streamed `#[llm_call]` next to the bare stream (benches/streaming_instructions.rs):
# instructions counted by valgrind (each variant drains 20 streams of 100 and of 1,000 chunks;
# the difference divided by 20 × 900), and the fastest-drain time, both repeatable on a loaded
# machine. Needs valgrind (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bench streaming_instructions >/dev/null 2>&1
bin=$(ls -t target/release/deps/streaming_instructions-* | grep -v '\.d$' | head -1)
variants="bare no_provider unsampled_root recorded recorded_global recorded_usage_false otel_with_context otel_with_context_global"
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 20 2>&1 |
    awk '/Collected/ {print $4}'
}
printf '%-22s %14s\n' variant instr/chunk
for variant in $variants; do
  small=$(count "$variant" 100)
  large=$(count "$variant" 1000)
  printf '%-22s %14d\n' "$variant" $(( (large - small) / (20 * 900) ))
done
echo
echo "fastest drains:"
for variant in $variants; do
  "$bin" "$variant" time
done
