// zenws soak: a supervised pool under steady load against the test kit's JSON-RPC venue (wss)
// for a given time, with a fault every few seconds (a killed connection actor, a reset socket,
// a stalled session, a server close), reporting over time what a long run must keep: the pool
// recovering, heartbeats answered, every request ending exactly once, flat memory and no
// leaked file descriptors. Exits 0 only when every check held.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "checklist.hpp"
#include "commands.hpp"
#include "pool_watch.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/supervision/pool_actor.hpp"
#include "zenws/testing/json_rpc_venue.hpp"
#include "zenws/testing/request_ledger.hpp"
#include "zenws/testing/test_server.hpp"

namespace zenws::cli {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;
namespace kit = zenws::testing;

struct soak_options {
  seconds duration{60};
  seconds fault_every{5};
  seconds report_every{5};
  std::uint32_t connections = 3;
  std::size_t rate = 2000; ///< balanced requests a second
};

// -- what the process holds ------------------------------------------------------------------

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

std::size_t rss_kib() {
  std::ifstream statm{"/proc/self/statm"};
  std::size_t pages = 0;
  std::size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) / 1024;
}

// -- the load ----------------------------------------------------------------------------------

using load_tick_atom = caf::atom_constant<caf::atom("load_tick")>;

struct load_state {
  static inline const char* name = "soak_load";
  bool stopped = false;
  std::size_t in_flight = 0;
};
using load_actor = caf::stateful_actor<load_state>;

constexpr auto load_tick = 10ms;
constexpr std::size_t max_in_flight = 256;

/// One balanced request, recorded in the ledger when it ends.
void issue(load_actor* self, const pool_actor& pool, kit::request_ledger* ledger) {
  ++self->state.in_flight;
  const auto n = ledger->open();
  // No CAF timeout: the pool ends every request (the ledger shows one that never ends), and a
  // timeout is a timer entry per request in CAF's clock, ~200 bytes held for its whole span.
  self->request(pool, caf::infinite, request_balanced_atom::value, std::string{"public/get_time"},
                std::string{}, caf::timespan{2s})
      .then(
          [=](rpc_response&) {
            ledger->end(n, errc::none);
            --self->state.in_flight;
          },
          [=](caf::error& err) {
            ledger->end(n, to_failure(err).code);
            --self->state.in_flight;
          });
}

/// `per_tick` requests every 10 ms (at most max_in_flight outstanding) until told to stop.
caf::behavior request_load(load_actor* self, const pool_actor& pool, kit::request_ledger* ledger,
                           std::size_t per_tick) {
  self->send(self, load_tick_atom::value);
  return {
      [=](load_tick_atom) {
        if (self->state.stopped)
          return;
        for (std::size_t i = 0; i < per_tick && self->state.in_flight < max_in_flight; ++i)
          issue(self, pool, ledger);
        self->delayed_send(self, load_tick, load_tick_atom::value);
      },
      [=](caf::close_atom) { self->state.stopped = true; },
  };
}

/// Counts the market data the connections deliver.
caf::behavior market_data_counter(caf::event_based_actor* self, std::atomic<std::uint64_t>* n) {
  self->set_default_handler(caf::drop);
  return {[=](const text_frame&) { n->fetch_add(1, std::memory_order_relaxed); }};
}

// -- the server side ---------------------------------------------------------------------------

/// The venue's open sessions (a stalled one is taken out by the fault that stalls it).
class live_sessions {
public:
  void add(kit::session_id id) {
    std::lock_guard<std::mutex> guard{mutex_};
    ids_.insert(id);
  }
  void remove(kit::session_id id) {
    std::lock_guard<std::mutex> guard{mutex_};
    ids_.erase(id);
  }
  /// The oldest open session, taken out of the set; nullopt when none is open.
  std::optional<kit::session_id> take_oldest() {
    std::lock_guard<std::mutex> guard{mutex_};
    if (ids_.empty())
      return std::nullopt;
    const auto id = *ids_.begin();
    ids_.erase(ids_.begin());
    return id;
  }

private:
  std::mutex mutex_;
  std::set<kit::session_id> ids_;
};

/// Market data to every open session every 10 ms until `stop`.
void broadcast_market_data(kit::test_server& server, const std::atomic<bool>& stop) {
  std::uint64_t change_id = 0;
  while (!stop.load()) {
    ++change_id;
    server.broadcast({0, false,
                      R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":)"
                      R"("book.BTC-PERPETUAL.100ms","data":{"change_id":)" +
                          std::to_string(change_id) +
                          R"(,"bids":[["new",100.5,10]],"asks":[["new",101.0,3]]}}})"});
    std::this_thread::sleep_for(10ms);
  }
}

// -- faults ------------------------------------------------------------------------------------

enum class fault : std::uint8_t { kill_actor, reset_socket, stall_session, server_close };
constexpr fault fault_cycle[] = {fault::kill_actor, fault::reset_socket, fault::stall_session,
                                 fault::server_close};

const char* name_of(fault f) {
  switch (f) {
  case fault::kill_actor:
    return "kill a connection actor";
  case fault::reset_socket:
    return "reset a socket";
  case fault::stall_session:
    return "stall a session";
  case fault::server_close:
    return "server close 1001";
  }
  return "?";
}

// -- the run -----------------------------------------------------------------------------------

pool_spec soak_spec(const kit::test_server& server, std::uint32_t connections) {
  pool_spec spec;
  spec.connection.url = server.url("/ws/api/v2");
  spec.connection.tls.ca_file = server.tls().ca_file;
  spec.connection.heartbeat = {heartbeat_policy::ping_pong, 250ms, 2, "ping"};
  spec.connection.reconnect.retry_count = std::nullopt;
  spec.connection.reconnect.retry_delay = 50ms;
  spec.connection.reconnect.max_backoff = 1000ms;
  spec.connection.timeouts.request = 2s;
  spec.pool.size = connections;
  spec.pool.max_restarts = 1000;
  return spec;
}

/// Runs one connection of the same kind and ends it, so that what is made once per process
/// (the io runtime's reactor, OpenSSL's state) exists before the descriptors are counted.
void warm_up(caf::actor_system& sys, io_runtime& io, caf::scoped_actor& self) {
  kit::test_server server{kit::server_options::secure()};
  server.set_responder(kit::json_rpc_venue());
  auto pool = spawn_pool(sys, io, soak_spec(server, 1), caf::actor{});
  wait_ready(self, pool, 1, 10s);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  self->wait_for(pool);
}

struct sample {
  seconds at{0};
  std::size_t rss = 0;
  std::size_t fds = 0;
};

int run_soak(const soak_options& opt) {
  checklist checks;
  io_runtime io{1};
  zenws::actor_system_config cfg{2};
  register_pool_types(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  warm_up(sys, io, self);
  std::this_thread::sleep_for(200ms); // the sockets close on the io thread
  const auto fds_before = open_descriptors();

  auto server = std::make_unique<kit::test_server>(kit::server_options::secure());
  live_sessions sessions;
  kit::session_hooks hooks;
  hooks.on_open = [&](const kit::upgrade_request& r) { sessions.add(r.session); };
  hooks.on_end = [&](const kit::session_end& e) { sessions.remove(e.session); };
  server->set_hooks(std::move(hooks));
  server->set_responder(kit::json_rpc_venue());

  std::atomic<std::uint64_t> market_data{0};
  auto counter = sys.spawn(market_data_counter, &market_data);
  auto pool = spawn_pool(sys, io, soak_spec(*server, opt.connections), counter);
  checks.check(wait_ready(self, pool, opt.connections, 10s).has_value(),
               std::to_string(opt.connections) + " connections ready");
  const std::vector<std::string> channels{"book.BTC-PERPETUAL.100ms", "ticker.BTC-PERPETUAL.100ms",
                                          "trades.BTC-PERPETUAL.raw"};
  for (const auto& channel : channels)
    self->request(pool, 5s, subscribe_atom::value, std::vector<std::string>{channel})
        .receive([](subscription_outcome&) {}, [](caf::error&) {});

  std::atomic<bool> stop_feed{false};
  std::thread feed{broadcast_market_data, std::ref(*server), std::cref(stop_feed)};
  kit::request_ledger ledger;
  auto load = sys.spawn(request_load, pool, &ledger, std::max<std::size_t>(1, opt.rate / 100));

  std::cout << "  t(s)  ready  restarts  requests ok/unknown/other  heartbeats sent/answered"
               "  stale  market data  channels  RSS KiB  fds\n";
  heartbeat_totals heartbeats;
  std::vector<sample> samples;
  std::vector<milliseconds> recoveries;
  std::size_t fault_index = 0;
  std::uint64_t restarts = 0;
  const auto start = clock_type::now();
  auto next_fault = start + opt.fault_every;
  auto next_report = start + opt.report_every;
  while (clock_type::now() - start < opt.duration) {
    std::this_thread::sleep_for(20ms);
    const auto now = clock_type::now();
    if (now >= next_fault) {
      next_fault += opt.fault_every;
      const auto f = fault_cycle[fault_index++ % std::size(fault_cycle)];
      const auto h = health_of(self, pool);
      if (f == fault::kill_actor && h && !h->slots.empty()) {
        self->send_exit(h->slots.front().connection, caf::exit_reason::kill);
      } else if (const auto victim = sessions.take_oldest()) {
        if (f == fault::reset_socket)
          server->reset(*victim);
        else if (f == fault::stall_session)
          server->stall(*victim);
        else
          server->close(*victim, 1001, "going away");
      }
      std::this_thread::sleep_for(50ms); // let the fault land before waiting for recovery
      if (auto took = wait_ready(self, pool, opt.connections, 10s))
        recoveries.push_back(*took);
      else
        checks.check(false, std::string{"pool recovered from: "} + name_of(f));
    }
    if (now >= next_report) {
      next_report += opt.report_every;
      server->clear_history(); // the server's records are not the client's memory
      const auto h = health_of(self, pool);
      if (!h)
        continue;
      restarts = h->restarts;
      heartbeats.update(self, *h);
      const auto ok = ledger.count(errc::none);
      const auto unknown = ledger.count(errc::outcome_unknown);
      const auto other = ledger.issued() - ledger.in_flight() - ok - unknown;
      samples.push_back(
          {std::chrono::duration_cast<seconds>(now - start), rss_kib(), open_descriptors()});
      std::printf("%6lld  %2zu/%-2u  %8llu  %9zu/%zu/%zu  %14llu/%llu  %5llu  %11llu  %8llu  %7zu"
                  "  %3zu\n",
                  static_cast<long long>(samples.back().at.count()), ready_slots(*h),
                  opt.connections, static_cast<unsigned long long>(restarts), ok, unknown, other,
                  static_cast<unsigned long long>(heartbeats.sent()),
                  static_cast<unsigned long long>(heartbeats.received()),
                  static_cast<unsigned long long>(heartbeats.stale()),
                  static_cast<unsigned long long>(market_data.load()),
                  static_cast<unsigned long long>(held_channels(*h)), samples.back().rss,
                  samples.back().fds);
      std::fflush(stdout);
    }
  }

  // Stop the load and let every request end.
  self->send(load, caf::close_atom::value);
  const bool all_ended = ledger.all_ended(30s);
  std::this_thread::sleep_for(100ms); // a second ending would show up now
  const auto final_health = health_of(self, pool);
  if (final_health)
    heartbeats.update(self, *final_health);
  stop_feed = true;
  feed.join();

  std::cout << "summary\n";
  const auto ok = ledger.count(errc::none);
  const auto unknown = ledger.count(errc::outcome_unknown);
  checks.check(all_ended && ledger.not_once() == 0,
               std::to_string(ledger.issued()) + " requests ended exactly once each");
  std::string others;
  for (const auto& [code, n] : ledger.outcomes())
    if (code != errc::none && code != errc::outcome_unknown)
      others += std::string{" "} + to_string(code) + " x" + std::to_string(n);
  checks.check(others.empty(), std::to_string(ok) + " answered, " + std::to_string(unknown) +
                                   " outcome_unknown (in flight on a dropped connection)" +
                                   (others.empty() ? "" : ", and" + others));
  checks.check(fault_index == recoveries.size(),
               std::to_string(fault_index) + " faults, every one recovered from");
  if (!recoveries.empty()) {
    auto sorted = recoveries;
    std::sort(sorted.begin(), sorted.end());
    std::cout << "        recovery to all ready: median " << sorted[sorted.size() / 2].count()
              << " ms, worst " << sorted.back().count() << " ms\n";
  }
  const auto sent = heartbeats.sent();
  const auto answered = heartbeats.received();
  const double success =
      sent == 0 ? 0.0 : static_cast<double>(answered) / static_cast<double>(sent);
  char success_text[32];
  std::snprintf(success_text, sizeof success_text, "%.2f%%", 100.0 * success);
  checks.check(success >= 0.95, std::string{"heartbeats answered: "} + success_text + " (" +
                                    std::to_string(answered) + " of " + std::to_string(sent) +
                                    " pings; a stalled session loses its last ones)");
  checks.check(final_health && held_channels(*final_health) == channels.size(),
               std::to_string(channels.size()) + " channels held after every restart");
  checks.check(market_data.load() > 0,
               std::to_string(market_data.load()) + " market-data messages delivered");
  if (samples.size() >= 4) {
    const auto warm = samples[samples.size() / 4].rss;
    const auto last = samples.back().rss;
    checks.check(last <= warm + warm / 4 + 4096,
                 "memory flat after warm-up: " + std::to_string(warm) + " KiB at " +
                     std::to_string(samples[samples.size() / 4].at.count()) + " s, " +
                     std::to_string(last) + " KiB at the end");
  }

  // The load and the counter hold pointers to this frame's ledger and count: wait for them.
  self->send_exit(load, caf::exit_reason::user_shutdown);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  self->wait_for(load, pool);
  self->send_exit(counter, caf::exit_reason::user_shutdown);
  self->wait_for(counter);
  server.reset(); // closes the sessions it still holds, the stalled ones too
  std::this_thread::sleep_for(200ms);
  const auto fds_after = open_descriptors();
  checks.check(fds_after <= fds_before, "no descriptor leaked: " + std::to_string(fds_before) +
                                            " open before the run, " + std::to_string(fds_after) +
                                            " after");
  std::cout << (checks.failures() == 0
                    ? "soak passed"
                    : "soak FAILED: " + std::to_string(checks.failures()) + " check(s)")
            << std::endl;
  return checks.failures() == 0 ? exit_ok : exit_failure;
}

long positive_number(const std::string& text, const char* name) {
  try {
    const auto value = std::stol(text);
    if (value > 0)
      return value;
  } catch (const std::exception&) {
  }
  throw usage_error{std::string{name} + " takes a positive number, got " + text};
}

soak_options parse_soak(arguments& args, bool& help) {
  soak_options opt;
  while (!args.empty()) {
    if (args.take_flag("--help")) {
      std::cout << "usage: zenws soak [--seconds N] [--fault-every N] [--report-every N]\n"
                   "                  [--connections N] [--rate N]\n"
                   "A pool of connections (default 3) under steady balanced requests (--rate a\n"
                   "second, default 2000) and 100 market-data messages a second each, against\n"
                   "the test kit's JSON-RPC venue over wss, with a fault every --fault-every\n"
                   "seconds (default 5): a killed connection actor, a reset\n"
                   "socket, a stalled session, a server close. Prints reconnects, heartbeats,\n"
                   "requests, memory and descriptors every --report-every seconds (default 5)\n"
                   "for --seconds (default 60), then checks that every request ended exactly\n"
                   "once, every fault was recovered from, memory stayed flat and no descriptor\n"
                   "leaked. Exits 0 only if all of that held.\n";
      help = true;
      return opt;
    }
    if (auto v = args.take_option("--seconds"))
      opt.duration = seconds{positive_number(*v, "--seconds")};
    else if (auto f = args.take_option("--fault-every"))
      opt.fault_every = seconds{positive_number(*f, "--fault-every")};
    else if (auto r = args.take_option("--report-every"))
      opt.report_every = seconds{positive_number(*r, "--report-every")};
    else if (auto n = args.take_option("--rate"))
      opt.rate = static_cast<std::size_t>(positive_number(*n, "--rate"));
    else if (auto c = args.take_option("--connections"))
      opt.connections = static_cast<std::uint32_t>(positive_number(*c, "--connections"));
    else
      throw usage_error{"unknown argument " + args.peek()};
  }
  return opt;
}

} // namespace

int soak_command(arguments& args) {
  soak_options opt;
  try {
    bool help = false;
    opt = parse_soak(args, help);
    if (help)
      return exit_ok;
  } catch (const usage_error& e) {
    std::cerr << "zenws soak: " << e.message << "\n";
    return exit_usage;
  }
  std::cout << "zenws soak: " << opt.duration.count() << " s, " << opt.connections
            << " connections, a fault every " << opt.fault_every.count() << " s" << std::endl;
  return run_soak(opt);
}

} // namespace zenws::cli
