// zenws demo: a small Deribit desk on a supervised pool of three connections, against the test
// kit's Deribit simulator over wss (or any Deribit endpoint with --url). The connections log in
// with a signature, enable cancel-on-disconnect and answer the venue's test_requests; the desk
// keeps a local order book from book deltas, watches ticker and trades, and places and cancels
// orders through request_balanced while the demo injects faults. Exits 0 only if nothing was
// lost: every request ended exactly once, every fault was recovered from, the local book matches
// the venue's, and no order was left open.

#include "deribit_demo.hpp"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "checklist.hpp"
#include "commands.hpp"
#include "pool_watch.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/adapters/deribit.hpp"
#include "zenws/adapters/deribit_book_keeper.hpp"
#include "zenws/supervision/pool_actor.hpp"
#include "zenws/testing/deribit_simulator.hpp"
#include "zenws/testing/request_ledger.hpp"

namespace zenws::cli {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;
namespace kit = zenws::testing;

constexpr const char* instrument = "BTC-PERPETUAL";
constexpr const char* book_channel = "book.BTC-PERPETUAL.100ms";
constexpr const char* channels[] = {book_channel, "ticker.BTC-PERPETUAL.100ms",
                                    "trades.BTC-PERPETUAL.100ms"};
constexpr double tick = 0.5; // BTC-PERPETUAL's tick size

/// What the desk's actors report to the main thread.
struct desk_stats {
  std::atomic<std::uint64_t> tickers{0};
  std::atomic<std::uint64_t> trades{0};
  std::atomic<std::uint64_t> gaps{0};
  std::atomic<std::uint64_t> resubscribes{0};
  std::atomic<bool> book_valid{false};
  std::atomic<std::int64_t> change_id{0};
  std::atomic<double> best_bid{0};
  std::atomic<double> best_ask{0};
  std::atomic<std::uint64_t> placed{0};
  std::atomic<std::uint64_t> cancelled{0};
  std::atomic<std::uint64_t> gone_before_cancel{0}; ///< 11044: cancel-on-disconnect was first
  std::atomic<std::uint64_t> unsure{0};             ///< outcome_unknown or timed out
  std::atomic<std::uint64_t> refused{0};            ///< other errors
};

// -- the market-data side ----------------------------------------------------------------------

/// Behind the book keeper: counts the ticker and trades messages it forwards.
caf::behavior market(caf::event_based_actor* self, desk_stats* stats) {
  self->set_default_handler(caf::drop);
  return {
      [=](const text_frame& f) {
        if (f.data.find("\"ticker.") != std::string::npos)
          ++stats->tickers;
        else if (f.data.find("\"trades.") != std::string::npos)
          ++stats->trades;
      },
  };
}

/// Reads the book keeper's book into the stats the trader and the status use.
void read_book(caf::scoped_actor& self, const caf::actor& keeper, desk_stats& stats) {
  self->request(keeper, 2s, caf::get_atom::value, std::string{book_channel}, std::uint32_t{1})
      .receive(
          [&](deribit::book_state& b) {
            stats.book_valid = b.valid;
            stats.change_id = b.change_id;
            stats.gaps = b.breaks;
            stats.resubscribes = b.resubscribes;
            if (!b.bids.empty())
              stats.best_bid = b.bids.front().price;
            if (!b.asks.empty())
              stats.best_ask = b.asks.front().price;
          },
          [](caf::error&) {});
}

// -- the trading side --------------------------------------------------------------------------

using trade_tick_atom = caf::atom_constant<caf::atom("trade_tick")>;

struct trader_state {
  static inline const char* name = "demo_trader";
  std::string open_order; ///< the order resting now, if any
  bool busy = false;      ///< a request is in flight
  bool stopped = false;
};
using trader_actor = caf::stateful_actor<trader_state>;

/// The value of "order_id":"..." in an answer.
std::string order_id_of(const std::string& json) {
  const std::string key = "\"order_id\":\"";
  const auto at = json.find(key);
  if (at == std::string::npos)
    return {};
  const auto start = at + key.size();
  return json.substr(start, json.find('"', start) - start);
}

void counted(desk_stats* stats, const failure& f) {
  if (f.code == errc::outcome_unknown || f.code == errc::request_timeout)
    ++stats->unsure;
  else if (f.code == errc::server_error && f.detail.rfind("11044", 0) == 0)
    ++stats->gone_before_cancel; // its connection died first: cancel-on-disconnect took it
  else
    ++stats->refused;
}

/// Places a post-only buy well below the best bid, or cancels the one resting: one request at
/// a time, every 300 ms, each recorded in the ledger.
void trade_step(trader_actor* self, const pool_actor& pool, desk_stats* stats,
                kit::request_ledger* ledger) {
  auto& st = self->state;
  const double bid = stats->best_bid;
  if (st.busy || st.stopped || (st.open_order.empty() && bid <= 0))
    return;
  st.busy = true;
  const auto n = ledger->open();
  const bool place = st.open_order.empty();
  std::string method = place ? "private/buy" : "private/cancel";
  std::string params;
  if (place) {
    char price[32];
    std::snprintf(price, sizeof price, "%.1f", std::floor((bid - 50 * tick) / tick) * tick);
    params = std::string{R"({"instrument_name":")"} + instrument +
             R"(","amount":10,"type":"limit","price":)" + price +
             R"(,"post_only":true,"label":"zenws-demo"})";
  } else {
    params = R"({"order_id":")" + st.open_order + "\"}";
  }
  self->request(pool, caf::infinite, request_balanced_atom::value, std::move(method),
                std::move(params), caf::timespan{2s})
      .then(
          [=](rpc_response& r) {
            ledger->end(n, errc::none);
            auto& s = self->state;
            if (place) {
              ++stats->placed;
              s.open_order = order_id_of(r.result);
            } else {
              ++stats->cancelled;
              s.open_order.clear();
            }
            s.busy = false;
          },
          [=](caf::error& err) {
            const auto f = to_failure(err);
            ledger->end(n, f.code);
            counted(stats, f);
            // An order whose fate is unknown is left to the final cancel_all.
            self->state.open_order.clear();
            self->state.busy = false;
          });
}

caf::behavior trader(trader_actor* self, const pool_actor& pool, desk_stats* stats,
                     kit::request_ledger* ledger) {
  self->send(self, trade_tick_atom::value);
  return {
      [=](trade_tick_atom) {
        trade_step(self, pool, stats, ledger);
        if (!self->state.stopped)
          self->delayed_send(self, 300ms, trade_tick_atom::value);
      },
      [=](caf::close_atom) { self->state.stopped = true; },
  };
}

// -- faults ------------------------------------------------------------------------------------

enum class fault : std::uint8_t {
  stall_session,
  lose_book_update,
  kill_actor,
  reset_socket,
  force_reconnect
};

const char* name_of(fault f) {
  switch (f) {
  case fault::stall_session:
    return "stall a session (the server stops reading and writing)";
  case fault::lose_book_update:
    return "lose a book update (the venue skips a change_id)";
  case fault::kill_actor:
    return "kill a connection actor";
  case fault::reset_socket:
    return "reset a socket (TCP RST from the server)";
  case fault::force_reconnect:
    return "force a reconnect";
  }
  return "?";
}

/// What a pool has done to recover so far: restarts of its connection actors and connects of the
/// actors it has now. Each part only grows while no actor dies, and a restart replaces an actor
/// (and its connect count), so a recovery shows as either part growing, never as their sum.
struct recovery_count {
  std::uint64_t restarts = 0;
  std::uint64_t connects = 0;

  bool exceeds(const recovery_count& before) const {
    return restarts > before.restarts || connects > before.connects;
  }
};

recovery_count recoveries_so_far(caf::scoped_actor& self, const pool_health& h) {
  recovery_count n{h.restarts, 0};
  for (const auto& slot : h.slots)
    self->request(slot.connection, 2s, caf::get_atom::value, metrics_atom::value)
        .receive([&](connection_metrics& m) { n.connects += m.connects; }, [](caf::error&) {});
  return n;
}

/// The newest session of the simulator other than the stalled ones.
std::optional<kit::session_id> pick_session(kit::deribit_simulator& venue,
                                            const std::vector<kit::session_id>& stalled) {
  auto open = venue.sessions();
  for (auto it = open.rbegin(); it != open.rend(); ++it)
    if (std::find(stalled.begin(), stalled.end(), *it) == stalled.end())
      return *it;
  return std::nullopt;
}

// -- status ------------------------------------------------------------------------------------

double ms(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

void print_status(caf::scoped_actor& self, const pool_health& h, const desk_stats& stats,
                  double seconds) {
  std::printf("  %5.1fs  book #%lld %s %.1f / %.1f  (%llu gaps repaired)  tickers %llu  "
              "trades %llu  orders placed %llu cancelled %llu\n",
              seconds, static_cast<long long>(stats.change_id.load()),
              stats.book_valid ? "valid" : "INVALID", stats.best_bid.load(), stats.best_ask.load(),
              static_cast<unsigned long long>(stats.resubscribes.load()),
              static_cast<unsigned long long>(stats.tickers.load()),
              static_cast<unsigned long long>(stats.trades.load()),
              static_cast<unsigned long long>(stats.placed.load()),
              static_cast<unsigned long long>(stats.cancelled.load()));
  for (const auto& slot : h.slots) {
    connection_metrics m;
    heartbeat_health hb;
    self->request(slot.connection, 2s, caf::get_atom::value, metrics_atom::value)
        .receive([&](connection_metrics& x) { m = x; }, [](caf::error&) {});
    self->request(slot.connection, 2s, caf::get_atom::value, heartbeat_atom::value)
        .receive([&](heartbeat_health& x) { hb = x; }, [](caf::error&) {});
    std::printf("          slot %u %-12s health %3d  p50 %.2f ms  p99 %.2f ms  test_requests "
                "answered %llu  restarts %llu\n",
                slot.slot, to_string(slot.state), slot.score, ms(m.latency.p50), ms(m.latency.p99),
                static_cast<unsigned long long>(hb.sent),
                static_cast<unsigned long long>(slot.restarts));
  }
  std::fflush(stdout);
}

// -- the run -----------------------------------------------------------------------------------

pool_spec desk_spec(const demo_options& opt, const deribit::credentials& login,
                    const std::string& url, const std::string& ca_file) {
  deribit::settings s;
  s.login = login;
  s.heartbeat = std::chrono::seconds{10}; // the venue's minimum: the demo is short
  const auto venue = deribit::adapter(s);
  pool_spec spec;
  spec.connection = venue.configure(connection_config{});
  spec.connection.url = url;
  spec.connection.tls.ca_file = ca_file;
  spec.connection.reconnect.retry_count = std::nullopt;
  spec.connection.reconnect.retry_delay = 100ms;
  spec.connection.reconnect.max_backoff = 2s;
  spec.connection.timeouts.request = 2s;
  spec.options = venue.options;
  spec.pool.size = opt.connections;
  spec.pool.max_restarts = 100;
  return spec;
}

/// The venue's best bid and ask at the change_id of the local book, compared.
bool book_matches(caf::scoped_actor& self, const pool_actor& pool, const caf::actor& keeper,
                  desk_stats& stats) {
  for (int attempt = 0; attempt < 40; ++attempt) {
    read_book(self, keeper, stats);
    std::string result;
    self->request(pool, 3s, request_balanced_atom::value, std::string{"public/get_order_book"},
                  std::string{R"({"instrument_name":")"} + instrument + R"(","depth":1})",
                  caf::timespan{2s})
        .receive([&](rpc_response& r) { result = std::move(r.result); }, [](caf::error&) {});
    const auto change_at = result.find("\"change_id\":");
    if (change_at != std::string::npos &&
        std::stoll(result.substr(change_at + 12)) == stats.change_id.load()) {
      char expected[96];
      std::snprintf(expected, sizeof expected, "\"bids\":[[%.1f,", stats.best_bid.load());
      const bool bid_ok = result.find(expected) != std::string::npos;
      std::snprintf(expected, sizeof expected, "\"asks\":[[%.1f,", stats.best_ask.load());
      return bid_ok && result.find(expected) != std::string::npos;
    }
    std::this_thread::sleep_for(25ms);
  }
  return false;
}

} // namespace

int run_deribit_demo(const demo_options& opt) {
  checklist checks;
  std::unique_ptr<kit::deribit_simulator> venue;
  std::string url = opt.url;
  std::string ca_file;
  deribit::credentials login;
  if (url.empty()) {
    kit::deribit_simulator_options o;
    o.server = kit::server_options::secure();
    o.market_interval = 100ms;
    venue = std::make_unique<kit::deribit_simulator>(o);
    url = venue->url();
    ca_file = venue->tls().ca_file;
    login = {venue->client_id(), venue->client_secret()};
    std::cout << "zenws demo: Deribit simulator at " << url << " (certificate from a CA made now)"
              << std::endl;
  } else {
    login = opt.login;
    ca_file = opt.ca_file;
    std::cout << "zenws demo: " << url
              << (login.client_id.empty() ? " (no credentials: market data only)" : "")
              << std::endl;
  }
  io_runtime io{1};
  zenws::actor_system_config cfg{2};
  register_pool_types(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  desk_stats stats;
  kit::request_ledger ledger;
  // The pool's handler is the book keeper: it keeps the local book (resubscribing through the
  // pool on a gap) and forwards every message to the market counter.
  auto handler = sys.spawn(market, &stats);
  auto keeper = deribit::spawn_book_keeper(sys, {book_channel}, handler);
  auto pool = spawn_pool(sys, io, desk_spec(opt, login, url, ca_file), keeper);
  self->send(keeper, caf::put_atom::value, caf::actor_cast<caf::actor>(pool));
  const auto ready = wait_ready(self, pool, opt.connections, 15s);
  checks.check(ready.has_value(),
               std::to_string(opt.connections) +
                   " connections ready: TLS verified, logged in with a signature, hello, "
                   "cancel-on-disconnect, set_heartbeat" +
                   (ready ? " (" + std::to_string(ready->count()) + " ms)" : ""));
  if (!ready) {
    self->send_exit(pool, caf::exit_reason::user_shutdown);
    return exit_failure;
  }
  std::size_t accepted = 0;
  for (const char* channel : channels)
    self->request(pool, 5s, subscribe_atom::value, std::vector<std::string>{channel})
        .receive([&](subscription_outcome& o) { accepted += o.accepted.size(); },
                 [](caf::error&) {});
  checks.check(accepted == std::size(channels), "subscribed to the book, ticker and trades of " +
                                                    std::string{instrument} + " through the pool");
  caf::actor desk;
  if (!login.client_id.empty())
    desk = sys.spawn(trader, pool, &stats, &ledger);

  // Faults at fixed points of the run; those that need our own server only against it.
  std::vector<std::pair<double, fault>> plan;
  if (venue)
    plan = {{0.05, fault::lose_book_update},
            {0.1, fault::stall_session},
            {0.5, fault::kill_actor},
            {0.75, fault::reset_socket}};
  else
    plan = {{0.25, fault::kill_actor}, {0.55, fault::force_reconnect}};
  std::vector<kit::session_id> stalled;
  bool lost_book_update = false;
  struct pending_fault {
    fault what;
    clock_type::time_point at;
    recovery_count before;
  };
  std::optional<pending_fault> watching;
  std::vector<std::pair<fault, std::optional<milliseconds>>> recoveries;
  std::size_t next = 0;
  const auto start = clock_type::now();
  auto next_status = start;
  // A fault late in the run may still be recovering at its end (a stall takes up to 20 s to be
  // noticed), and one fault waits for the one before: the run goes on until every fault was
  // injected and watched, for at most `overtime`.
  const auto overtime = 30s;
  const auto faults_pending = [&] { return watching || next < plan.size(); };
  while (clock_type::now() - start < opt.duration ||
         (faults_pending() && clock_type::now() - start < opt.duration + overtime)) {
    std::this_thread::sleep_for(50ms);
    const auto now = clock_type::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    read_book(self, keeper, stats);
    auto h = health_of(self, pool);
    if (!h)
      continue;
    if (watching) {
      const bool all_ready = ready_slots(*h) == h->slots.size();
      if (recoveries_so_far(self, *h).exceeds(watching->before) && all_ready) {
        recoveries.emplace_back(watching->what,
                                std::chrono::duration_cast<milliseconds>(now - watching->at));
        std::printf("          recovered in %lld ms\n",
                    static_cast<long long>(recoveries.back().second->count()));
        watching.reset();
      }
    }
    // One fault at a time, each connection fault watched until recovered.
    if (next < plan.size() && !watching &&
        elapsed >= plan[next].first * std::chrono::duration<double>(opt.duration).count()) {
      const auto what = plan[next++].second;
      const auto before = recoveries_so_far(self, *h);
      std::printf("  %5.1fs  fault: %s%s\n", elapsed, name_of(what),
                  what == fault::stall_session
                      ? "; its connection notices when test_requests stop (stale after 2 "
                        "heartbeat intervals of 10 s)"
                      : "");
      bool done = true;
      switch (what) {
      case fault::stall_session:
      case fault::reset_socket:
        if (const auto session = pick_session(*venue, stalled)) {
          if (what == fault::stall_session) {
            venue->server().stall(*session);
            stalled.push_back(*session);
          } else {
            venue->server().reset(*session);
          }
        } else {
          done = false;
        }
        break;
      case fault::lose_book_update:
        venue->drop_next_book_change(instrument);
        lost_book_update = true;
        done = false; // not a connection's fault: checked at the end
        break;
      case fault::kill_actor:
        self->send_exit(h->slots.front().connection, caf::exit_reason::kill);
        break;
      case fault::force_reconnect:
        caf::anon_send(h->slots.back().connection, reconnect_atom::value);
        break;
      }
      if (done)
        watching = pending_fault{what, now, before};
      else if (what != fault::lose_book_update)
        recoveries.emplace_back(what, std::nullopt);
    }
    if (now >= next_status) {
      next_status += 2s;
      print_status(self, *h, stats, elapsed);
    }
  }
  if (watching)
    recoveries.emplace_back(watching->what, std::nullopt);
  for (; next < plan.size(); ++next)
    checks.check(false, std::string{name_of(plan[next].second)} +
                            ": not injected (the faults before it took the whole run)");

  // Wind down: stop trading, let every request end, cancel what may rest.
  if (desk)
    self->send(desk, caf::close_atom::value);
  std::cout << "summary" << std::endl;
  for (const auto& [what, took] : recoveries)
    checks.check(took.has_value(), std::string{name_of(what)} + ": " +
                                       (took ? "recovered, all connections ready again in " +
                                                   std::to_string(took->count()) + " ms"
                                             : "NOT recovered before the end of the run"));
  if (desk) {
    const bool ended = ledger.all_ended(10s);
    checks.check(
        ended && ledger.not_once() == 0,
        std::to_string(ledger.issued()) +
            " order requests ended exactly once each: " + std::to_string(stats.placed.load()) +
            " placed, " + std::to_string(stats.cancelled.load()) + " cancelled, " +
            std::to_string(stats.gone_before_cancel.load()) +
            " already cancelled by cancel-on-disconnect, " + std::to_string(stats.unsure.load()) +
            " with an unknown outcome (their connection died or stalled)");
    checks.check(stats.refused == 0,
                 std::to_string(stats.refused.load()) + " order requests refused by the venue");
    std::string open = "?";
    self->request(pool, 5s, request_balanced_atom::value, std::string{"private/cancel_all"},
                  std::string{"{}"}, caf::timespan{3s})
        .receive([&](rpc_response& r) { open = r.result; }, [](caf::error&) {});
    std::string left = "?";
    self->request(pool, 5s, request_balanced_atom::value,
                  std::string{"private/get_open_orders_by_instrument"},
                  std::string{R"({"instrument_name":")"} + instrument + "\"}", caf::timespan{3s})
        .receive([&](rpc_response& r) { left = r.result; }, [](caf::error&) {});
    checks.check(left == "[]", "no order left open (cancel_all at the end took " + open +
                                   (venue ? ", cancel-on-disconnect " +
                                                std::to_string(venue->counters().cod_cancels)
                                          : std::string{}) +
                                   ")");
  }
  const bool book_ok = book_matches(self, pool, keeper, stats);
  checks.check(book_ok && stats.book_valid,
               "local order book valid and equal to the venue's at change_id " +
                   std::to_string(stats.change_id.load()) + " (" +
                   std::to_string(stats.gaps.load()) + " breaks, " +
                   std::to_string(stats.resubscribes.load()) + " repaired by resubscribing)");
  if (lost_book_update)
    checks.check(stats.gaps >= 1 && stats.resubscribes >= 1,
                 "the lost book update was noticed (prev_change_id did not follow) and the book "
                 "repaired by a resubscribe");
  checks.check(stats.tickers > 0 && stats.trades > 0,
               std::to_string(stats.tickers.load()) + " tickers and " +
                   std::to_string(stats.trades.load()) + " trade messages received");
  if (venue) {
    const auto c = venue->counters();
    checks.check(c.tests_answered > 0 && c.heartbeat_closes <= stalled.size(),
                 std::to_string(c.tests_answered) + " of " + std::to_string(c.test_requests) +
                     " test_requests answered by the connections (the stalled session's "
                     "could not be)");
    checks.check(c.rate_limited == 0, "no request drew 10028 (credits charged before sending)");
  }
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  self->wait_for(pool);
  if (desk) {
    self->send_exit(desk, caf::exit_reason::user_shutdown);
    self->wait_for(desk);
  }
  self->send_exit(keeper, caf::exit_reason::user_shutdown);
  self->wait_for(keeper);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  self->wait_for(handler);
  std::cout << (checks.failures() == 0
                    ? "demo passed"
                    : "demo FAILED: " + std::to_string(checks.failures()) + " check(s)")
            << std::endl;
  return checks.failures() == 0 ? exit_ok : exit_failure;
}

} // namespace zenws::cli
