// zenws bench: runs the comparison benchmark (bench/run_bench.py) against the clients built
// next to this program. The script does the work; this command finds it and the build.

#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include "commands.hpp"

namespace zenws::cli {

int bench_command(arguments& args) {
  std::vector<std::string> argv{"/usr/bin/python3", ZENWS_BENCH_SCRIPT, "--build-dir",
                                ZENWS_BUILD_DIR};
  while (!args.empty()) {
    if (args.take_flag("--help")) {
      std::cout
          << "usage: zenws bench [--quick] [--runs N] [--out DIR] [--no-plots] [--clients LIST]\n"
             "Runs zenws, raw Beast, websocketpp, libwebsockets, node's ws and Python's\n"
             "websockets against one local server and prints the medians, the ratios to Beast\n"
             "and the targets. The full run (5 runs, ~5 minutes) writes results.json,\n"
             "results.md and PNG plots to docs/benchmarks (or DIR); --quick takes seconds and\n"
             "writes nothing unless --out is given.\n";
      return exit_ok;
    }
    argv.push_back(args.take());
  }
  std::vector<char*> raw;
  raw.reserve(argv.size() + 1);
  for (auto& a : argv)
    raw.push_back(a.data());
  raw.push_back(nullptr);
  ::execv(raw[0], raw.data());
  std::cerr << "zenws bench: cannot run " << argv[0] << " " << argv[1] << "\n";
  return exit_failure;
}

} // namespace zenws::cli
