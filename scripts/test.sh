#!/usr/bin/env bash
# Builds zenws and runs every test: the doctest suites through CTest (including the installed
# package consumed with find_package), then the actor, transport and protocol suites again
# under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/test.sh            the default run (what CI runs)
#   ZENWS_SKIP_SANITIZERS=1    skip the sanitizer build (quicker local iterations)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${ZENWS_JOBS:-$(nproc)}

echo "== build (RelWithDebInfo) =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZENWS_WERROR=ON
cmake --build build -j "$jobs"

echo "== tests =="
ctest --test-dir build --output-on-failure -j "$jobs"

if [ -z "${ZENWS_SKIP_SANITIZERS:-}" ]; then
  echo "== tests under ASan + UBSan =="
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DZENWS_SANITIZE=address,undefined \
        -DZENWS_BUILD_APPS=OFF -DZENWS_BUILD_BENCH=OFF -DZENWS_WERROR=ON
  suites=(protocol_tests codec_tests resilience_tests rate_limit_tests transport_tests actor_tests
          supervision_tests pool_tests adapter_tests testing_tests interop_tests
          conformance_tests)
  cmake --build build-asan -j "$jobs" --target "${suites[@]}"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  for suite in "${suites[@]}"; do
    echo "-- $suite"
    "build-asan/tests/$suite"
  done
fi
echo "== all tests passed =="
