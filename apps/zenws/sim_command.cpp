// zenws sim deribit|binance: a venue simulator from the test kit, for the user's own tests.

#include <iostream>
#include <map>
#include <string>

#include "commands.hpp"
#include "zenws/testing/binance_simulator.hpp"
#include "zenws/testing/deribit_simulator.hpp"

namespace zenws::cli {

namespace {

const char* sim_usage =
    "usage: zenws sim deribit|binance [--tls] [--port N] [--key ID:SECRET]...\n"
    "                 [--heartbeat-second MS] [--market-interval MS] [--reply-spread MS]\n"
    "                 [--no-rate-limits]\n"
    "Runs a venue simulator on 127.0.0.1 until SIGINT or SIGTERM, then prints what it saw.\n"
    "  --tls                  serve wss with a certificate from a CA made at start (its file is\n"
    "                         printed; give it to the client as its CA)\n"
    "  --port N               listen on N (default: a free port, printed)\n"
    "  --key ID:SECRET        an API key the simulator accepts (repeatable); default for\n"
    "                         deribit: zenws-client:zenws-secret, binance: none\n"
    "deribit only:\n"
    "  --heartbeat-second MS  the length of one second of set_heartbeat's interval (1000)\n"
    "  --market-interval MS   market steps: book, ticker and trades (100; 0 = none)\n"
    "  --reply-spread MS      answer requests out of order, each delayed 0..MS (0)\n"
    "  --no-rate-limits       do not enforce credits (10028)\n";

long number(const std::string& option, const std::string& value) {
  try {
    std::size_t used = 0;
    const auto n = std::stol(value, &used);
    if (used == value.size() && n >= 0)
      return n;
  } catch (const std::exception&) {
  }
  throw usage_error{option + " takes a number of 0 or more, was " + value};
}

struct sim_options {
  std::string venue;
  testing::server_options server;
  std::map<std::string, std::string> keys;
  testing::deribit_simulator_options deribit;
};

sim_options parse_sim(arguments& args) {
  sim_options o;
  if (args.empty())
    throw usage_error{"sim needs a venue: deribit or binance"};
  o.venue = args.take();
  if (o.venue != "deribit" && o.venue != "binance")
    throw usage_error{"unknown venue " + o.venue + " (deribit or binance)"};
  while (!args.empty()) {
    if (args.take_flag("--tls")) {
      o.server.tls = true;
    } else if (const auto port = args.take_option("--port")) {
      const auto n = number("--port", *port);
      if (n > 65535)
        throw usage_error{"--port must be at most 65535"};
      o.server.port = static_cast<std::uint16_t>(n);
    } else if (const auto key = args.take_option("--key")) {
      const auto colon = key->find(':');
      if (colon == 0 || colon == std::string::npos || colon + 1 == key->size())
        throw usage_error{"--key takes ID:SECRET"};
      o.keys[key->substr(0, colon)] = key->substr(colon + 1);
    } else if (const auto second = args.take_option("--heartbeat-second")) {
      const auto ms = number("--heartbeat-second", *second);
      if (ms == 0)
        throw usage_error{"--heartbeat-second must be at least 1"};
      o.deribit.heartbeat_second = std::chrono::milliseconds{ms};
    } else if (const auto market = args.take_option("--market-interval")) {
      o.deribit.market_interval = std::chrono::milliseconds{number("--market-interval", *market)};
    } else if (const auto spread = args.take_option("--reply-spread")) {
      o.deribit.reply_spread = std::chrono::milliseconds{number("--reply-spread", *spread)};
    } else if (args.take_flag("--no-rate-limits")) {
      o.deribit.rate_limits = false;
    } else {
      throw usage_error{"unknown argument " + args.peek()};
    }
  }
  return o;
}

void print_deribit(const testing::deribit_counters& c) {
  std::cout << "sessions " << c.sessions_opened << ", requests " << c.requests << " ("
            << c.error_responses << " errors), auths " << c.auths << " (" << c.auth_failures
            << " refused), test_requests " << c.test_requests << " (" << c.tests_answered
            << " answered, " << c.heartbeat_closes << " closes), 10028 " << c.rate_limited
            << ", orders " << c.orders_placed << " (" << c.orders_cancelled << " cancelled, "
            << c.cod_cancels << " by cancel-on-disconnect), trades " << c.trades << std::endl;
}

} // namespace

int sim_command(arguments& args) {
  if (args.take_flag("--help")) {
    std::cout << sim_usage;
    return exit_ok;
  }
  sim_options o;
  try {
    o = parse_sim(args);
  } catch (const usage_error& e) {
    std::cerr << "zenws sim: " << e.message << "\n" << sim_usage;
    return exit_usage;
  }
  termination_signals signals; // before the server's threads start
  if (o.venue == "deribit") {
    o.deribit.server = o.server;
    if (!o.keys.empty())
      o.deribit.clients = o.keys;
    testing::deribit_simulator venue{o.deribit};
    std::cout << venue.url() << std::endl;
    if (o.server.tls)
      std::cout << "CA file: " << venue.tls().ca_file << std::endl;
    std::cout << "client id: " << venue.client_id() << std::endl;
    signals.wait();
    print_deribit(venue.counters());
    return exit_ok;
  }
  testing::binance_simulator_options binance;
  binance.server = o.server;
  binance.api_keys = o.keys;
  testing::binance_simulator venue{binance};
  std::cout << venue.url("/ws") << "  " << venue.url("/stream") << "  " << venue.url("/ws-api/v3")
            << std::endl;
  if (o.server.tls)
    std::cout << "CA file: " << venue.tls().ca_file << std::endl;
  signals.wait();
  const auto c = venue.counters();
  std::cout << "sessions " << c.sessions_opened << ", pings " << c.pings_sent << " ("
            << c.pongs_received << " answered), rate-limit closes " << c.rate_limit_closes
            << ", 429s " << c.rate_limited_requests << std::endl;
  return exit_ok;
}

} // namespace zenws::cli
