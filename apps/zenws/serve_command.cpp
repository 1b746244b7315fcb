// zenws serve: the test kit's echo server, for trying `zenws connect` or a client of your own.

#include <iostream>

#include "commands.hpp"
#include "zenws/testing/test_server.hpp"

namespace zenws::cli {

int serve_command(arguments& args) {
  testing::server_options options;
  while (!args.empty()) {
    if (args.take_flag("--tls")) {
      options.tls = true;
    } else if (args.take_flag("--help")) {
      std::cout << "usage: zenws serve [--tls]\n"
                   "Echoes every message until SIGINT or SIGTERM. With --tls it serves wss with\n"
                   "a certificate from a CA made at start; connect with --ca CA_FILE.\n";
      return exit_ok;
    } else {
      std::cerr << "zenws serve: unknown argument " << args.peek() << "\n";
      return exit_usage;
    }
  }
  termination_signals signals; // before the server's threads start
  testing::test_server server{options};
  std::cout << server.url("/") << std::endl;
  if (options.tls)
    std::cout << "CA file: " << server.tls().ca_file << std::endl;
  signals.wait();
  return exit_ok;
}

} // namespace zenws::cli
