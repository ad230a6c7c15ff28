#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang in build/fuzz and runs each for
# FUZZ_SECONDS (default 60), as many at once as there are cores (FUZZ_JOBS),
# on a copy of its seed corpus in build/fuzz; the repo's corpus is never
# written. Exits non-zero if any harness crashed.
# Usage: [FUZZ_SECONDS=20] [FUZZ_JOBS=1] scripts/fuzz.sh [seed|irc|names|web|sasl|cluster|redis]...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
build=build/fuzz
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=(seed irc names web sasl cluster redis)
fi

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCHAT_FUZZ=ON -DCHAT_BUILD_BENCH=OFF -DCHAT_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target "${harnesses[@]/#/chat-fuzz-}"

# One harness per core at a time: each still runs its full FUZZ_SECONDS.
jobs=${FUZZ_JOBS:-$(nproc)}

# Runs one harness; its exit status says whether it crashed.
fuzz_one() {
  local name=$1
  local corpus="$build/corpus/$name"
  local artifacts="$build/artifacts/$name"
  local log="$build/fuzz-$name.log"
  rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts"
  cp -R "tests/fuzz/corpus/$name/." "$corpus/"
  echo "== $name: ${seconds}s, corpus copy $corpus, log $log"
  # -timeout: an input taking 10 s is a hang; -max_len: room for long IRC tag sections.
  if "$build/tests/fuzz/chat-fuzz-$name" -max_total_time="$seconds" -timeout=10 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" | sed "s/^/$name: /" || true
  else
    echo "== $name: CRASH (input saved in $artifacts/); tail of $log:" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
}

failed=()
pids=()
names=()
for name in "${harnesses[@]}"; do
  fuzz_one "$name" &
  pids+=($!)
  names+=("$name")
  # Wait for the oldest once the cores are taken.
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || failed+=("${names[0]}")
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no crashes"
