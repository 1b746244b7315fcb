// The Binance adapters driving real connection actors against the kit's Binance simulator,
// which enforces the venue's rules (pings, frame rate, stream limit, lifetime, weights,
// signatures) with scaled timings.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "actors/connection_fixture.hpp"
#include "zenws/adapters/binance.hpp"
#include "zenws/testing/binance_simulator.hpp"

using namespace connection_test;
using strings = std::vector<std::string>;

namespace {

const std::string api_key = "sim-key";
const std::string api_secret = "sim-secret";

kit::binance_simulator_options quiet_simulator() {
  kit::binance_simulator_options options;
  options.ping_interval = 0ms; // the tests that want pings ask for them
  options.api_keys[api_key] = api_secret;
  return options;
}

zenws::binance::stream_settings stream_settings() {
  zenws::binance::stream_settings settings;
  settings.ping_interval = 300ms;
  settings.missed_pings = 4;
  return settings;
}

zenws::connection_actor open(fixture& f, const zenws::venue_adapter& venue, const std::string& url,
                             std::chrono::milliseconds request_timeout = 2000ms) {
  auto config = venue.configure(fixture::fast_config(url));
  config.timeouts.request = request_timeout;
  auto conn = f.spawn(std::move(config), venue.options);
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  return conn;
}

std::pair<std::optional<zenws::subscription_outcome>, zenws::failure>
subscribe(fixture& f, const zenws::connection_actor& conn, strings channels) {
  return f.ask<zenws::subscription_outcome>(conn, zenws::subscribe_atom::value,
                                            std::move(channels));
}

std::pair<std::optional<zenws::rpc_response>, zenws::failure>
call(fixture& f, const zenws::connection_actor& conn, std::string method, std::string params) {
  return f.ask<zenws::rpc_response>(conn, zenws::request_atom::value, std::move(method),
                                    std::move(params), caf::timespan{0});
}

} // namespace

// -- streams --------------------------------------------------------------------------------------

TEST_CASE("Binance streams: SUBSCRIBE with ids on a combined connection, data arrives wrapped") {
  fixture f;
  kit::binance_simulator sim{quiet_simulator()};
  auto conn =
      open(f, zenws::binance::streams(stream_settings()), sim.url("/stream?streams=btcusdt@trade"));
  const auto session = *sim.wait_for_sessions(1, wait);
  const auto out = subscribe(f, conn, {"ethusdt@aggTrade", "bnbbtc@depth@100ms"});
  REQUIRE(out.first);
  CHECK(out.first->accepted == strings{"ethusdt@aggTrade", "bnbbtc@depth@100ms"});
  CHECK(sim.streams(session).size() == 3); // the URL's stream and the two subscribed
  sim.publish_trade("btcusdt", "100.5", "2");
  const auto trade = f.next("text");
  CHECK(trade.text.find(R"({"stream":"btcusdt@trade","data":{"e":"trade")") == 0);
  // A name Binance refuses never reaches it.
  CHECK(subscribe(f, conn, {"BTCUSDT@trade"}).second.code == errc::bad_channel);
  // LIST_SUBSCRIPTIONS through the same envelope.
  const auto listed = call(f, conn, "LIST_SUBSCRIPTIONS", "");
  REQUIRE(listed.first);
  CHECK(listed.first->result.find("ethusdt@aggTrade") != std::string::npos);
}

TEST_CASE("Binance streams: the server's pings are answered and keep the connection") {
  fixture f;
  auto options = quiet_simulator();
  options.ping_interval = 300ms;
  options.pong_timeout = 1000ms;
  kit::binance_simulator sim{options};
  auto conn = open(f, zenws::binance::streams(stream_settings()), sim.url("/ws"));
  std::this_thread::sleep_for(2000ms);
  const auto counters = sim.counters();
  CHECK(counters.pings_sent >= 4);
  CHECK(counters.pongs_received >= 4);
  CHECK(counters.pong_timeout_closes == 0);
  CHECK(counters.rate_limit_closes == 0);
  const auto beat =
      f.ask<zenws::heartbeat_health>(conn, caf::get_atom::value, zenws::heartbeat_atom::value);
  REQUIRE(beat.first);
  CHECK(beat.first->received >= 4);
  CHECK(beat.first->stale == 0);
  CHECK(
      f.ask<zenws::connection_state>(conn, caf::get_atom::value, zenws::state_atom::value).first ==
      zenws::connection_state::connected);
}

TEST_CASE("Binance streams: a burst of 10 subscribes is paced under 5 frames a second") {
  fixture f;
  auto options = quiet_simulator();
  options.ping_interval = 1000ms; // our pongs count against the limit too
  kit::binance_simulator sim{options};
  // The requests' timeouts run while they wait for tokens: at 4 frames a second, pongs
  // included, 10 subscribes need about 4 s.
  auto conn = open(f, zenws::binance::streams(stream_settings()), sim.url("/ws"), 15s);
  // 10 subscribes at once: the limiter holds them and releases at most 4 in any second.
  const std::vector<std::string> symbols{"btcusdt", "ethusdt"};
  const std::vector<std::string> types{"trade", "aggTrade", "bookTicker", "depth", "ticker"};
  std::vector<strings> requests;
  for (const auto& s : symbols)
    for (const auto& t : types)
      requests.push_back({s + "@" + t});
  const caf::actor sink = caf::actor_cast<caf::actor>(f.self);
  f.sys.spawn([=](caf::event_based_actor* a) {
    auto left = std::make_shared<std::size_t>(requests.size());
    auto report = [=](bool ok) {
      a->send(sink, ok);
      if (--*left == 0)
        a->quit();
    };
    for (const auto& channels : requests)
      a->request(conn, std::chrono::seconds{30}, zenws::subscribe_atom::value, channels)
          .then([=](zenws::subscription_outcome&) { report(true); },
                [=](caf::error&) { report(false); });
  });
  std::size_t done = 0;
  std::size_t failed = 0;
  for (int i = 0; i < 10; ++i)
    f.self->receive([&](bool ok) { ++(ok ? done : failed); }, caf::after(20s) >> [] {});
  CHECK(done == 10);
  CHECK(failed == 0);
  const auto counters = sim.counters();
  CHECK(counters.rate_limit_closes == 0);
  CHECK(counters.pongs_received >= 2);
  CHECK(sim.streams(*sim.wait_for_sessions(1, wait)).size() == 10);
}

TEST_CASE("Binance streams: the same burst without the limiter is closed with 1008") {
  // The control for the test above: the simulator does enforce the rule.
  fixture f;
  kit::binance_simulator sim{quiet_simulator()};
  auto venue = zenws::binance::streams(stream_settings());
  venue.options.rate_limit = {}; // no local limiter
  auto conn = open(f, venue, sim.url("/ws"));
  for (int i = 0; i < 8; ++i)
    caf::anon_send(
        conn, zenws::send_atom::value,
        zenws::text_frame{R"({"method":"LIST_SUBSCRIPTIONS","id":)" + std::to_string(i + 1) + "}"});
  const auto retry = f.next("reconnecting");
  CHECK(retry.error.detail.find("code 1008") != std::string::npos);
  CHECK(sim.counters().rate_limit_closes == 1);
}

TEST_CASE("Binance streams: more streams than a connection may hold are refused locally") {
  fixture f;
  auto options = quiet_simulator();
  options.max_streams = 3;
  kit::binance_simulator sim{options};
  auto settings = stream_settings();
  settings.max_streams = 3;
  auto conn = open(f, zenws::binance::streams(settings), sim.url("/ws"));
  REQUIRE(subscribe(f, conn, {"btcusdt@trade", "ethusdt@trade"}).first);
  const auto over = subscribe(f, conn, {"bnbbtc@trade", "xrpusdt@trade"});
  CHECK(over.second.code == errc::bad_channel);
  CHECK(sim.counters().stream_limit_rejections == 0); // never sent
}

TEST_CASE("Binance streams: serverShutdown replaces the connection before the venue drops it") {
  fixture f;
  auto options = quiet_simulator();
  options.lifetime = 1500ms;
  options.shutdown_notice = 1000ms;
  kit::binance_simulator sim{options};
  auto conn = open(f, zenws::binance::streams(stream_settings()), sim.url("/stream"));
  REQUIRE(subscribe(f, conn, {"btcusdt@trade"}).first);
  const auto first = *sim.wait_for_sessions(1, wait);
  const auto dropped = f.next("disconnected");
  CHECK(dropped.error.code == errc::server_shutdown);
  CHECK(f.next("restored").accepted == strings{"btcusdt@trade"});
  CHECK(f.next("connected").tag == "connected");
  const auto second = *sim.wait_for_sessions(2, wait);
  CHECK(second != first);
  CHECK(sim.streams(second) == strings{"btcusdt@trade"});
  CHECK(sim.counters().shutdown_notices >= 1);
  CHECK(sim.counters().lifetime_closes == 0); // we left before the venue's drop
}

TEST_CASE("Binance streams: the planned replacement comes before the venue's 24 h mark") {
  fixture f;
  auto options = quiet_simulator();
  options.lifetime = 3000ms; // the venue's "24 h"
  kit::binance_simulator sim{options};
  auto settings = stream_settings();
  settings.lifetime = 500ms; // ours, shorter
  auto conn = open(f, zenws::binance::streams(settings), sim.url("/ws"));
  REQUIRE(subscribe(f, conn, {"ethusdt@trade"}).first);
  CHECK(f.next("disconnected").error.code == errc::server_shutdown);
  CHECK(f.next("reconnecting").delay == 0ms);
  CHECK(f.next("restored").accepted == strings{"ethusdt@trade"});
  const auto second = *sim.wait_for_sessions(2, wait);
  CHECK(sim.streams(second) == strings{"ethusdt@trade"});
  CHECK(sim.counters().lifetime_closes == 0);
}

// -- WebSocket API --------------------------------------------------------------------------------

TEST_CASE("Binance API: signed order.place accepted, status and rateLimits reach the caller") {
  fixture f;
  kit::binance_simulator sim{quiet_simulator()};
  zenws::binance::api_settings settings;
  settings.credentials = {api_key, api_secret};
  auto conn = open(f, zenws::binance::ws_api(settings), sim.url("/ws-api/v3"));
  const auto placed = call(f, conn, "order.place",
                           R"({"symbol":"BTCUSDT","side":"BUY","type":"LIMIT",)"
                           R"("timeInForce":"GTC","price":"100.5","quantity":"0.01"})");
  REQUIRE(placed.first);
  CHECK(placed.first->status == 200);
  CHECK(placed.first->result.find(R"("status":"NEW")") != std::string::npos);
  CHECK(placed.first->meta.find(R"("rateLimitType":"REQUEST_WEIGHT")") != std::string::npos);
  const auto time = call(f, conn, "time", "");
  REQUIRE(time.first);
  CHECK(time.first->result.find("serverTime") != std::string::npos);
  // A signed call without a key is refused before it is sent.
  auto anonymous = open(f, zenws::binance::ws_api(), sim.url("/ws-api/v3"));
  CHECK(call(f, anonymous, "order.place", "{}").second.code == errc::auth_failed);
}

TEST_CASE("Binance API: wrong secret, unknown key and a skewed clock get the venue's codes") {
  fixture f;
  kit::binance_simulator sim{quiet_simulator()};
  const std::string order = R"({"symbol":"BTCUSDT","side":"SELL","type":"LIMIT",)"
                            R"("timeInForce":"GTC","price":"1","quantity":"1"})";
  zenws::binance::api_settings wrong;
  wrong.credentials = {api_key, "not-the-secret"};
  auto c1 = open(f, zenws::binance::ws_api(wrong), sim.url("/ws-api/v3"));
  const auto bad_sig = call(f, c1, "order.place", order);
  CHECK(bad_sig.second.code == errc::server_error);
  CHECK(bad_sig.second.http_status == 400);
  CHECK(bad_sig.second.detail.find("-1022") == 0);

  zenws::binance::api_settings unknown;
  unknown.credentials = {"who", api_secret};
  auto c2 = open(f, zenws::binance::ws_api(unknown), sim.url("/ws-api/v3"));
  const auto bad_key = call(f, c2, "order.place", order);
  CHECK(bad_key.second.code == errc::auth_failed); // status 401
  CHECK(bad_key.second.detail.find("-2015") == 0);

  zenws::binance::api_settings skewed;
  skewed.credentials = {api_key, api_secret};
  skewed.clock_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() -
           10000;
  };
  auto c3 = open(f, zenws::binance::ws_api(skewed), sim.url("/ws-api/v3"));
  CHECK(call(f, c3, "order.place", order).second.detail.find("-1021") == 0);
}

TEST_CASE("Binance API: the venue's 429 is venue_rate_limited, the local limiter avoids it") {
  fixture f;
  auto options = quiet_simulator();
  options.weight_limit = 30;
  options.weight_window = 60000ms;
  kit::binance_simulator sim{options};
  // No local weight limit: the venue answers 429 with retryAfter.
  auto loose = open(f, zenws::binance::ws_api(), sim.url("/ws-api/v3"));
  zenws::failure refused;
  for (int i = 0; i < 10 && !refused; ++i)
    refused = call(f, loose, "depth", R"({"symbol":"BTCUSDT","limit":5})").second;
  CHECK(refused.code == errc::venue_rate_limited);
  CHECK(refused.http_status == 429);
  CHECK(refused.detail.find("retry after") != std::string::npos);

  // With this connection's share set to what is left, requests wait or are refused locally.
  kit::binance_simulator fresh{options};
  zenws::binance::api_settings settings;
  settings.weight_per_minute = 24; // 30 minus the 2 each of the connects, with room to spare
  auto careful = open(f, zenws::binance::ws_api(settings), fresh.url("/ws-api/v3"));
  int ok = 0;
  int local = 0;
  for (int i = 0; i < 6; ++i) {
    const auto [answer, err] = f.ask<zenws::rpc_response>(
        careful, zenws::request_atom::value, std::string{"depth"},
        std::string{R"({"symbol":"BTCUSDT","limit":5})"}, caf::timespan{200ms});
    ok += answer ? 1 : 0;
    local += err.code == errc::rate_limited ? 1 : 0;
  }
  CHECK(ok >= 2);
  CHECK(local >= 1);
  CHECK(ok + local == 6);
  CHECK(fresh.counters().rate_limited_requests == 0); // the venue never had to refuse
}

TEST_CASE("Binance API: an order that waited for tokens is signed again when it goes") {
  fixture f;
  kit::binance_simulator sim{quiet_simulator()};
  zenws::binance::api_settings settings;
  settings.credentials = {api_key, api_secret};
  settings.recv_window = 300ms; // shorter than the wait of the last orders below
  settings.orders_per_10s = 20; // 10 at once, then one a second
  auto conn = open(f, zenws::binance::ws_api(settings), sim.url("/ws-api/v3"), 10s);
  const auto sink = caf::actor_cast<caf::actor>(f.self);
  auto sender = fire(f.sys, conn, 12, "order.place", caf::timespan{10s}, sink,
                     R"({"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","timeInForce":"GTC",)"
                     R"("price":"100","quantity":"1"})");
  const auto ends = endings(f.self, 12);
  f.self->send_exit(sender, caf::exit_reason::user_shutdown);
  REQUIRE(ends.size() == 12);
  for (const auto& [request, code] : ends)
    CHECK(code == errc::none); // no -1021 for the ones that waited ~1-2 s
}
