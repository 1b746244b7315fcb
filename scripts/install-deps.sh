#!/usr/bin/env bash
# Installs every Debian package zenws needs to build, test and benchmark, on a fresh Debian 12
# (bookworm) machine, as root.
#
# Boost must stay 1.81: packages that depend on Debian's default Boost (libboost-dev,
# libboost-*-dev without a version, libcpprest-dev) pull 1.74, and apt then removes
# libboost1.81-dev. None of those are listed here, and the check at the end fails loudly if
# the headers are not 1.81.
set -euo pipefail

packages=(
  # toolchain; clang and its runtimes (libFuzzer) build the fuzz targets (scripts/fuzz.sh)
  g++ cmake ninja-build make pkg-config git ca-certificates clang-14 libclang-rt-14-dev
  # libraries
  libcaf-dev libboost1.81-dev libssl-dev openssl rapidjson-dev doctest-dev
  # tools the tests use; the interop tests' independent servers (tests/interop/): Python's
  # websockets, node's ws and the libwebsockets test server
  python3 procps python3-websockets nodejs node-ws libwebsockets-test-server
  # the peers and tools of the benchmarks (bench/run_bench.py): websocketpp and libwebsockets
  # clients, node's ws and Python's websockets, gnuplot for the plots
  libwebsocketpp-dev libwebsockets-dev nodejs node-ws python3-websockets gnuplot-nox
)

export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (apt-get needs it)" >&2
  exit 1
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"

boost_version=$(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp)
if [ "$boost_version" != "1_81" ]; then
  echo "install-deps.sh: expected Boost 1.81 headers, found ${boost_version:-none}" >&2
  exit 1
fi
echo "install-deps.sh: all packages installed (Boost $boost_version)"
