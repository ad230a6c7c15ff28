#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang in build/fuzz and runs each for
# FUZZ_SECONDS (default 60) on a copy of its seed corpus in build/fuzz; the
# repo's corpus is never written. Exits non-zero if any harness crashed.
# Usage: [FUZZ_SECONDS=20] scripts/fuzz.sh [seed|irc|names|web|sasl|redis]...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
build=build/fuzz
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=(seed irc names web sasl redis)
fi

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCHAT_FUZZ=ON -DCHAT_BUILD_BENCH=OFF -DCHAT_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target "${harnesses[@]/#/chat-fuzz-}"

failed=()
for name in "${harnesses[@]}"; do
  corpus="$build/corpus/$name"
  artifacts="$build/artifacts/$name"
  rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts"
  cp -R "tests/fuzz/corpus/$name/." "$corpus/"
  log="$build/fuzz-$name.log"
  echo "== $name: ${seconds}s, corpus copy $corpus, log $log"
  # -timeout: an input taking 10 s is a hang; -max_len: room for long IRC tag sections.
  if "$build/tests/fuzz/chat-fuzz-$name" -max_total_time="$seconds" -timeout=10 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" || true
  else
    echo "== $name: CRASH (input saved in $artifacts/); tail of $log:" >&2
    tail -n 40 "$log" >&2
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no crashes"
