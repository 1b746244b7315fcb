#pragma once
// zenws demo's main story: a Deribit desk on a supervised pool (deribit_demo.cpp).

#include <chrono>
#include <cstdint>
#include <string>

#include "zenws/adapters/deribit.hpp"

namespace zenws::cli {

struct demo_options {
  std::chrono::seconds duration{30};
  std::uint32_t connections = 3;
  std::string url;            ///< empty: the embedded simulator
  std::string ca_file;        ///< with url: trust this CA instead of the system's
  deribit::credentials login; ///< with url: from the environment; empty = market data only
};

/// Runs the story; the exit code (0 only when every check held).
int run_deribit_demo(const demo_options& options);

} // namespace zenws::cli
