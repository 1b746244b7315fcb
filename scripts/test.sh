#!/usr/bin/env bash
# Builds zenws and runs every test: the doctest suites and the fuzz corpora through CTest
# (including the installed package consumed with find_package); the whole suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer; the suites that do not link CAF under
# ThreadSanitizer (Debian's CAF is not instrumented, so TSan reports false races inside it);
# a 60-second soak of a pool under faults (zenws soak); and a short run of every fuzz target
# (scripts/fuzz.sh).
#
#   scripts/test.sh            the default run (what CI runs)
#   ZENWS_SKIP_SANITIZERS=1    skip the sanitizer builds and the fuzzing (quicker iterations)
#   ZENWS_FUZZ_SECONDS=N       seconds per fuzz target (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${ZENWS_JOBS:-$(nproc)}

echo "== build (RelWithDebInfo) =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZENWS_WERROR=ON
cmake --build build -j "$jobs"

echo "== tests =="
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== soak (60 s; zenws soak --seconds N for a longer one) =="
build/apps/zenws soak --seconds 60

if [ -z "${ZENWS_SKIP_SANITIZERS:-}" ]; then
  echo "== tests under ASan + UBSan =="
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DZENWS_SANITIZE=address,undefined \
        -DZENWS_BUILD_BENCH=OFF -DZENWS_WERROR=ON
  suites=(protocol_tests codec_tests resilience_tests rate_limit_tests deflate_tests
          transport_tests actor_tests supervision_tests pool_tests distribution_tests adapter_tests
          testing_tests
          interop_tests conformance_tests cli_tests multi_process_tests)
  fuzz_replays=(fuzz_frame_reader_replay fuzz_json_rpc_replay fuzz_dialects_replay fuzz_url_replay
                fuzz_config_replay fuzz_handshake_replay fuzz_recording_replay)
  examples=(example_actor_client example_blocking_client example_resilient_client
            example_supervised_pools example_venue_adapters example_distributed_pools)
  cmake --build build-asan -j "$jobs" --target "${suites[@]}" "${fuzz_replays[@]}" "${examples[@]}"
  (
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    for suite in "${suites[@]}"; do
      echo "-- $suite"
      "build-asan/tests/$suite"
    done
    ctest --test-dir build-asan -L "fuzz_corpus|examples" --output-on-failure
  )

  echo "== tests without CAF under ThreadSanitizer =="
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DZENWS_SANITIZE=thread \
        -DZENWS_BUILD_APPS=OFF -DZENWS_BUILD_BENCH=OFF -DZENWS_WERROR=ON
  tsan_suites=(protocol_tests codec_tests resilience_tests rate_limit_tests deflate_tests
               transport_tests testing_tests conformance_tests interop_tests)
  cmake --build build-tsan -j "$jobs" --target "${tsan_suites[@]}"
  for suite in "${tsan_suites[@]}"; do
    echo "-- $suite"
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "build-tsan/tests/$suite"
  done

  echo "== fuzzing (${ZENWS_FUZZ_SECONDS:-15} s per target) =="
  scripts/fuzz.sh "${ZENWS_FUZZ_SECONDS:-15}"
fi
echo "== all tests passed =="
