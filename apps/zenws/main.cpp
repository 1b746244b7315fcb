// zenws: the command-line program. `zenws help` lists the commands.

#include <iostream>
#include <string>

#include "commands.hpp"

namespace {

const char* usage =
    "usage: zenws COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  bench [--quick]        compare zenws with raw Beast and peer libraries\n"
    "  connect URL [OPTIONS]  interactive client: stdin lines out, messages to stdout\n"
    "  demo                   the whole story on an embedded server\n"
    "  node                   a node agent: other processes' pools place connections here\n"
    "  replay FILE            print a recording made with connect --record\n"
    "  serve [--tls]          run the test kit's echo server until interrupted\n"
    "  sim deribit|binance    run a venue simulator until interrupted\n"
    "  soak [--seconds N]     a pool under load and faults, checked over time\n"
    "  help                   this text\n"
    "\n"
    "`zenws COMMAND --help` describes a command's options.\n";

} // namespace

int main(int argc, char** argv) {
  using namespace zenws::cli;
  if (argc < 2) {
    std::cerr << usage;
    return exit_usage;
  }
  const std::string command = argv[1];
  arguments args{argc, argv, 2};
  if (command == "bench")
    return bench_command(args);
  if (command == "connect")
    return connect_command(args);
  if (command == "demo")
    return demo_command(args);
  if (command == "node")
    return node_command(args);
  if (command == "replay")
    return replay_command(args);
  if (command == "serve")
    return serve_command(args);
  if (command == "sim")
    return sim_command(args);
  if (command == "soak")
    return soak_command(args);
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << usage;
    return exit_ok;
  }
  std::cerr << "zenws: unknown command " << command << "\n" << usage;
  return exit_usage;
}
