#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan, and runs each one for a
# while starting from its seed corpus and saved crashes. Fails when a target crashes or breaks
# an invariant; the input that did it is left in build-fuzz/findings/NAME/ (add it to
# tests/fuzz/crashes/NAME/ with the fix, so the replay test keeps checking it).
#
#   scripts/fuzz.sh              20 seconds per target (what scripts/test.sh runs)
#   scripts/fuzz.sh 600          ten minutes per target
#   scripts/fuzz.sh 600 url      one target
#
# New inputs that reach new code collect in build-fuzz/corpus/NAME/ and are reused by the next
# run on this machine; the seeds in the repo stay as they are (tests/fuzz/seed_corpus.py).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(frame_reader json_rpc dialects url config handshake recording)
fi
jobs=${ZENWS_JOBS:-$(nproc)}

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DZENWS_FUZZ=ON -DZENWS_SANITIZE=address,undefined -DZENWS_WERROR=ON \
  -DZENWS_BUILD_TESTS=OFF -DZENWS_BUILD_APPS=OFF -DZENWS_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/fuzz/ubsan.supp
failed=()
for name in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$name
  findings=build-fuzz/findings/$name
  mkdir -p "$corpus" "$findings"
  inputs=("$corpus" "tests/fuzz/corpus/$name")
  [ -d "tests/fuzz/crashes/$name" ] && inputs+=("tests/fuzz/crashes/$name")
  echo "-- fuzz_$name for ${seconds}s"
  if ! build-fuzz/tests/fuzz/fuzz_"$name" -max_total_time="$seconds" -timeout=10 \
       -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$findings/" "${inputs[@]}" >"build-fuzz/fuzz_$name.log" 2>&1; then
    tail -n 40 "build-fuzz/fuzz_$name.log"
    failed+=("$name")
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "build-fuzz/fuzz_$name.log" |
    tr '\n' ' '
  echo
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: ${failed[*]} failed; inputs in build-fuzz/findings/" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets ran ${seconds}s each without a finding"
