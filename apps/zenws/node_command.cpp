// zenws node: a node agent, published for pools on other processes and machines to place their
// connections on (docs/distribution.md).

#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "commands.hpp"
#include "node_recipes.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/supervision/distribution.hpp"
#include "zenws/supervision/node_agent.hpp"

namespace zenws::cli {

namespace {

const char* node_usage =
    "usage: zenws node [--host ADDRESS] [--port N] [--name NAME] [--workers N]\n"
    "                  [--tls [--cert FILE --key FILE --ca FILE]]\n"
    "Runs a node agent until SIGINT or SIGTERM: pools whose placement names this node spawn\n"
    "their connection actors here. Prints \"node NAME listening on ADDRESS:PORT\" once ready.\n"
    "  --host ADDRESS   where to listen (default 127.0.0.1; 0.0.0.0 = every interface)\n"
    "  --port N         port (default: a free one, printed)\n"
    "  --name NAME      the name pools report for this node (default hostname:pid)\n"
    "  --workers N      CAF scheduler threads (default 2)\n"
    "  --tls            links to other nodes over TLS (CAF's OpenSSL module); with --cert,\n"
    "                   --key and --ca mutually authenticated, else anonymous (encrypted only)\n"
    "Recipes: plain, deribit (logged in with ZENWS_DERIBIT_CLIENT_ID and\n"
    "ZENWS_DERIBIT_CLIENT_SECRET from this node's environment), binance_streams, okx, bybit,\n"
    "ethereum.\n";

struct node_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string name;
  std::size_t workers = 2;
  distribution_options distribution;
};

unsigned long number(const std::string& option, const std::string& value, unsigned long max) {
  try {
    std::size_t used = 0;
    const auto n = std::stoul(value, &used);
    if (used == value.size() && n <= max && value[0] != '-')
      return n;
  } catch (const std::exception&) {
  }
  throw usage_error{option + " takes a number from 0 to " + std::to_string(max) + ", was " + value};
}

node_options parse_node(arguments& args) {
  node_options o;
  auto& tls = o.distribution;
  while (!args.empty()) {
    if (auto host = args.take_option("--host")) {
      o.host = *host;
    } else if (auto port = args.take_option("--port")) {
      o.port = static_cast<std::uint16_t>(number("--port", *port, 65535));
    } else if (auto name = args.take_option("--name")) {
      o.name = *name;
    } else if (auto workers = args.take_option("--workers")) {
      o.workers = number("--workers", *workers, 64);
    } else if (args.take_flag("--tls")) {
      tls.tls = true;
    } else if (auto cert = args.take_option("--cert")) {
      tls.certificate_file = *cert;
    } else if (auto key = args.take_option("--key")) {
      tls.key_file = *key;
    } else if (auto ca = args.take_option("--ca")) {
      tls.ca_file = *ca;
    } else {
      throw usage_error{"unknown argument " + args.peek()};
    }
  }
  const bool any_file =
      !tls.certificate_file.empty() || !tls.key_file.empty() || !tls.ca_file.empty();
  const bool all_files =
      !tls.certificate_file.empty() && !tls.key_file.empty() && !tls.ca_file.empty();
  if (any_file && !tls.tls)
    throw usage_error{"--cert, --key and --ca need --tls"};
  if (any_file && !all_files)
    throw usage_error{"--cert, --key and --ca go together"};
  return o;
}

} // namespace

int node_command(arguments& args) {
  if (args.take_flag("--help")) {
    std::cout << node_usage;
    return exit_ok;
  }
  node_options o;
  try {
    o = parse_node(args);
  } catch (const usage_error& e) {
    std::cerr << "zenws node: " << e.message << "\n" << node_usage;
    return exit_usage;
  }
  termination_signals signals; // before CAF's and the io runtime's threads start
  io_runtime io{1};
  zenws::actor_system_config cfg{o.workers};
  enable_distribution(cfg, o.distribution);
  caf::actor_system sys{cfg};
  auto agent = spawn_node_agent(sys, io, {o.name, node_recipes()});
  auto port = publish(sys, agent, o.port, o.host);
  if (!port) {
    std::cerr << "zenws node: cannot listen: " << to_failure(port.error()).detail << std::endl;
    caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
    return exit_failure;
  }
  std::string name = o.name;
  if (name.empty()) {
    caf::scoped_actor self{sys};
    self->request(agent, caf::infinite, caf::get_atom::value, node_atom::value)
        .receive([&](node_info& info) { name = info.name; }, [](caf::error&) {});
  }
  std::cout << "node " << name << " listening on " << o.host << ":" << *port
            << (o.distribution.tls ? " (tls)" : "") << std::endl;
  signals.wait();
  // The agent ends the connections it spawned: pools see them lost with this node and move them.
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
  return exit_ok;
}

} // namespace zenws::cli
