// zenws demo: the Deribit desk story (deribit_demo.cpp) by default; with --basics, the
// client's basics on an embedded wss echo server (the test kit's), every step checked and
// timed: a verified TLS connect, echo round trips, binary and fragmented messages, a server
// ping, and a close handshake that still delivers the replies in flight.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "checklist.hpp"
#include "commands.hpp"
#include "deribit_demo.hpp"
#include "zenws/actors/blocking_connection.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/testing/test_server.hpp"

namespace zenws::cli {

namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

/// Waits for the next message event, skipping none; nullopt after `timeout`.
std::optional<event> next_message(blocking_connection& conn, milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (clock_type::now() < deadline) {
    auto ev = conn.receive(std::chrono::duration_cast<milliseconds>(deadline - clock_type::now()));
    if (ev && (ev->kind == event::type::text || ev->kind == event::type::binary))
      return ev;
  }
  return std::nullopt;
}

long long percentile(std::vector<long long> samples, double p) {
  std::sort(samples.begin(), samples.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1));
  return samples[index];
}

void echo_round_trips(blocking_connection& conn, checklist& checks, std::size_t size, int count) {
  std::vector<long long> rtt_us;
  const std::string payload(size, 'x');
  int echoed = 0;
  for (int i = 0; i < count; ++i) {
    const auto start = clock_type::now();
    if (!conn.send_text(payload))
      break;
    auto ev = next_message(conn, milliseconds(2000));
    if (!ev || ev->data != payload)
      break;
    rtt_us.push_back(std::chrono::duration_cast<microseconds>(clock_type::now() - start).count());
    ++echoed;
  }
  checks.check(echoed == count, std::to_string(echoed) + "/" + std::to_string(count) +
                                    " text echoes of " + std::to_string(size) + " B");
  if (!rtt_us.empty())
    std::cout << "        round trip p50 " << percentile(rtt_us, 0.5) << " us, p99 "
              << percentile(rtt_us, 0.99) << " us (blocking facade: includes its mailbox hops)"
              << std::endl;
}

void run_story(testing::test_server& server, blocking_connection& conn, checklist& checks) {
  auto up = conn.connect();
  checks.check(bool(up), up ? "connected over wss, certificate verified against the demo CA"
                            : "connect failed: " + explain(up.error()));
  if (!up)
    return;
  std::cout << "        tcp " << up->connect_time.count() << " us, tls " << up->tls_time.count()
            << " us, upgrade " << up->upgrade_time.count() << " us" << std::endl;
  echo_round_trips(conn, checks, 64, 1000);
  echo_round_trips(conn, checks, 1024, 1000);

  const std::string blob("\x00\x01\xfe\xff binary", 11);
  conn.send_binary(blob);
  auto bin = next_message(conn, milliseconds(2000));
  checks.check(bin && bin->kind == event::type::binary && bin->data == blob,
               "binary message echoed byte for byte");

  const auto session = server.wait_for_sessions(1, milliseconds(1000));
  const std::string big(100000, 'f');
  server.send_fragmented(*session, {0, false, big}, 4096);
  auto frag = next_message(conn, milliseconds(2000));
  checks.check(frag && frag->data == big,
               "100 kB message sent by the server in 25 fragments arrived whole");

  server.ping(*session, "demo-ping");
  checks.check(server.wait_for_pong(*session, "demo-ping", milliseconds(2000)),
               "server ping answered with a matching pong");

  server.set_reply_delay(milliseconds(20));
  for (const char* text : {"last-1", "last-2", "last-3"})
    conn.send_text(text);
  auto closed = conn.close(1000, "demo done");
  int delivered = 0;
  while (auto ev = next_message(conn, milliseconds(200)))
    delivered += ev->data.rfind("last-", 0) == 0 ? 1 : 0;
  checks.check(closed && !closed->error && delivered == 3,
               "close handshake done; the 3 replies still in flight were delivered");
  const auto end = server.wait_for_end(*session, milliseconds(2000));
  checks.check(end && end->close_frame && end->code == 1000 && end->reason == "demo done",
               "server saw our close frame: 1000 \"demo done\"");
}

const char* demo_usage =
    "usage: zenws demo [--seconds N] [--url URL [--ca FILE]] [--basics]\n"
    "A Deribit desk on a supervised pool of 3 connections, with faults injected while it\n"
    "trades; prints live status and a summary, exits 0 only if nothing was lost.\n"
    "  --seconds N  how long it runs (default and minimum 30; with --url at least 10)\n"
    "  --url URL    run against a Deribit endpoint (e.g. wss://test.deribit.com/ws/api/v2)\n"
    "               instead of the embedded simulator; credentials come from\n"
    "               ZENWS_DERIBIT_CLIENT_ID and ZENWS_DERIBIT_CLIENT_SECRET (without them:\n"
    "               market data only). Faults that need our own server are skipped there.\n"
    "  --ca FILE    with --url: trust this CA (e.g. the one `zenws sim deribit --tls` prints)\n"
    "  --basics     the client's basics on an embedded echo server instead\n";

int run_basics() {
  testing::test_server server{testing::server_options::secure()};
  std::cout << "zenws demo: echo server at " << server.url("/demo") << std::endl;
  io_runtime io{1};
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};
  connection_config config;
  config.url = server.url("/demo?session=1");
  config.tls.ca_file = server.tls().ca_file;
  checklist checks;
  {
    blocking_connection conn{sys, io, config};
    run_story(server, conn, checks);
  }
  std::cout << (checks.failures() == 0
                    ? "demo passed"
                    : "demo FAILED: " + std::to_string(checks.failures()) + " check(s)")
            << std::endl;
  return checks.failures() == 0 ? exit_ok : exit_failure;
}

demo_options parse_demo(arguments& args, bool& basics) {
  demo_options o;
  long minimum_checked = 30;
  while (!args.empty()) {
    if (args.take_flag("--basics")) {
      basics = true;
    } else if (const auto seconds = args.take_option("--seconds")) {
      long n = 0;
      try {
        std::size_t used = 0;
        n = std::stol(*seconds, &used);
        if (used != seconds->size())
          n = 0;
      } catch (const std::exception&) {
      }
      if (n < 10)
        throw usage_error{"--seconds takes a whole number of at least 10, was " + *seconds};
      minimum_checked = n;
      o.duration = std::chrono::seconds{n};
    } else if (const auto url = args.take_option("--url")) {
      o.url = *url;
    } else if (const auto ca = args.take_option("--ca")) {
      o.ca_file = *ca;
    } else {
      throw usage_error{"unknown argument " + args.peek()};
    }
  }
  // The stalled session is noticed within two heartbeat intervals (20 s) of the stall at 10%
  // of the run; against another endpoint there is no stall.
  if (o.url.empty() && minimum_checked < 30)
    throw usage_error{"--seconds must be at least 30 on the embedded simulator (the stalled "
                      "session takes up to 20 s to notice)"};
  if (!o.url.empty()) {
    const char* id = std::getenv("ZENWS_DERIBIT_CLIENT_ID");
    const char* secret = std::getenv("ZENWS_DERIBIT_CLIENT_SECRET");
    if (id && secret && *id && *secret)
      o.login = {id, secret};
  }
  return o;
}

} // namespace

int demo_command(arguments& args) {
  if (args.take_flag("--help")) {
    std::cout << demo_usage;
    return exit_ok;
  }
  bool basics = false;
  demo_options options;
  try {
    options = parse_demo(args, basics);
  } catch (const usage_error& e) {
    std::cerr << "zenws demo: " << e.message << "\n" << demo_usage;
    return exit_usage;
  }
  if (basics)
    return run_basics();
  if (!options.url.empty()) {
    connection_config probe;
    probe.url = options.url;
    if (auto problems = validate(probe); !problems.empty()) {
      std::cerr << "zenws demo: " << problems.front().to_string() << "\n";
      return exit_usage;
    }
  }
  return run_deribit_demo(options);
}

} // namespace zenws::cli
