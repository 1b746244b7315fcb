// The OKX, Bybit and generic JSON-RPC (Ethereum) adapters driving real connection actors
// against the kit's venue responders, which check signatures and enforce the venues' rules.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "actors/connection_fixture.hpp"
#include "zenws/adapters/bybit.hpp"
#include "zenws/adapters/json_rpc.hpp"
#include "zenws/adapters/okx.hpp"
#include "zenws/testing/bybit_venue.hpp"
#include "zenws/testing/ethereum_venue.hpp"
#include "zenws/testing/okx_venue.hpp"

using namespace connection_test;
using strings = std::vector<std::string>;

namespace {

using outcome = std::pair<std::optional<zenws::subscription_outcome>, zenws::failure>;

outcome subscribe(fixture& f, const zenws::connection_actor& conn, strings channels) {
  return f.ask<zenws::subscription_outcome>(conn, zenws::subscribe_atom::value,
                                            std::move(channels));
}

outcome unsubscribe(fixture& f, const zenws::connection_actor& conn, strings channels) {
  return f.ask<zenws::subscription_outcome>(conn, zenws::unsubscribe_atom::value,
                                            std::move(channels));
}

std::pair<std::optional<zenws::rpc_response>, zenws::failure>
call(fixture& f, const zenws::connection_actor& conn, std::string method, std::string params) {
  return f.ask<zenws::rpc_response>(conn, zenws::request_atom::value, std::move(method),
                                    std::move(params), caf::timespan{0});
}

/// The lines of the recording at `path` once it holds one with `part`; waits up to 5 s.
std::string recording_with(const std::filesystem::path& path, const std::string& part) {
  std::string text;
  for (int i = 0; i < 500 && text.find(part) == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
    std::ifstream in{path};
    text.assign(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
  }
  return text;
}

/// Connects through `venue` and waits until the connection is ready (or not).
std::pair<std::optional<zenws::upgrade_response>, zenws::failure>
open(fixture& f, zenws::connection_actor& conn, const zenws::venue_adapter& venue,
     const std::string& url, std::chrono::milliseconds ping_interval = 100ms) {
  auto config = venue.configure(fixture::fast_config(url));
  config.heartbeat.interval = ping_interval;
  conn = f.spawn(std::move(config), venue.options);
  return f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value);
}

} // namespace

// -- OKX ------------------------------------------------------------------------------------------

TEST_CASE("OKX: login on connect, per-channel acks collected into one confirmed subscribe") {
  fixture f;
  auto state = std::make_shared<kit::okx_venue_state>();
  kit::okx_venue_options venue_options;
  venue_options.state = state;
  kit::test_server server;
  server.set_responder(kit::okx_venue(venue_options));
  zenws::okx::settings settings;
  settings.login = {"okx-key", "okx-secret", "okx-pass"};
  zenws::connection_actor conn;
  REQUIRE(open(f, conn, zenws::okx::adapter(settings), server.url("/ws/v5/private")).first);
  const auto session = *server.wait_for_sessions(1, wait);
  CHECK(state->session(session).logged_in); // the id-less login answer was matched

  const auto out =
      subscribe(f, conn, {"tickers:BTC-USDT", "books5:ETH-USDT", "orders,instType=ANY"});
  REQUIRE(out.first);
  CHECK(out.first->accepted ==
        strings{"tickers:BTC-USDT", "books5:ETH-USDT", "orders,instType=ANY"});
  CHECK(out.first->rejected.empty());
  CHECK(state->session(session).subscriptions.size() == 3);

  // A refused arg refuses the request: nothing subscribed, nothing in the restore set.
  const auto bad = subscribe(f, conn, {"tickers:BTC-USDT", "tickers:NOPE-USDT"});
  CHECK(bad.second.code == errc::server_error);
  CHECK(bad.second.detail.find("60018") == 0);
  const auto held = f.ask<strings>(conn, caf::get_atom::value, zenws::subscribe_atom::value);
  CHECK(held.first == strings{"books5:ETH-USDT", "orders,instType=ANY", "tickers:BTC-USDT"});

  // Pushes reach the handler; the text pings' pongs do not.
  server.send(session, {0, false, kit::okx_push("tickers", "BTC-USDT", R"([{"last":"1"}])")});
  const auto pushed = f.next("text");
  CHECK(pushed.text.find(R"("last":"1")") != std::string::npos);
  std::this_thread::sleep_for(300ms);
  const auto beat =
      f.ask<zenws::heartbeat_health>(conn, caf::get_atom::value, zenws::heartbeat_atom::value);
  REQUIRE(beat.first);
  CHECK(beat.first->received >= 1);
  CHECK(beat.first->failures == 0);
}

TEST_CASE("OKX and Bybit logins leave no key, passphrase or signature in a recording") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("zenws-venue-recording-" + std::to_string(::getpid()) + ".jsonl");
  for (const bool okx : {true, false}) {
    CAPTURE(okx);
    std::filesystem::remove(path);
    fixture f;
    kit::test_server server;
    zenws::venue_adapter venue;
    if (okx) {
      server.set_responder(kit::okx_venue({}));
      zenws::okx::settings settings;
      settings.login = {"okx-key", "okx-secret", "okx-pass"};
      venue = zenws::okx::adapter(settings);
    } else {
      kit::bybit_venue_options options;
      options.private_endpoint = true;
      server.set_responder(kit::bybit_venue(options));
      zenws::bybit::settings settings;
      settings.auth = {"bybit-key", "bybit-secret"};
      venue = zenws::bybit::adapter(settings);
    }
    auto config = venue.configure(fixture::fast_config(server.url("/private")));
    config.record_to = path.string();
    auto conn = f.spawn(std::move(config), venue.options);
    REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
    // The venue's answer to the login is recorded after the login itself.
    const auto text = recording_with(path, okx ? R"(\"event\":\"login\")" : R"(\"op\":\"auth\")");
    CHECK(text.find(okx ? R"(\"op\":\"login\")" : R"(\"op\":\"auth\")") != std::string::npos);
    CHECK(text.find("[REDACTED]") != std::string::npos);
    for (const char* secret : {"okx-key", "okx-secret", "okx-pass", "bybit-key", "bybit-secret"})
      CHECK_MESSAGE(text.find(secret) == std::string::npos, secret);
    f.self->send_exit(conn, caf::exit_reason::user_shutdown);
  }
  std::filesystem::remove(path);
}

TEST_CASE("OKX: orders through the op envelope, a refused order names the venue's sCode") {
  fixture f;
  kit::test_server server;
  server.set_responder(kit::okx_venue());
  zenws::okx::settings settings;
  settings.login = {"okx-key", "okx-secret", "okx-pass"};
  zenws::connection_actor conn;
  REQUIRE(open(f, conn, zenws::okx::adapter(settings), server.url()).first);
  const auto placed = call(f, conn, "order",
                           R"({"instId":"BTC-USDT","tdMode":"cash","side":"buy",)"
                           R"("ordType":"limit","sz":"1","px":"100"})");
  REQUIRE(placed.first);
  CHECK(placed.first->result.find(R"("sCode":"0")") != std::string::npos);
  const auto refused = call(f, conn, "order",
                            R"({"instId":"NOPE-USDT","tdMode":"cash","side":"buy",)"
                            R"("ordType":"limit","sz":"1","px":"100"})");
  CHECK(refused.second.code == errc::server_error);
  CHECK(refused.second.detail.find("51001") != std::string::npos);
}

TEST_CASE("OKX: a wrong secret fails the login once, fatally: no retry storm") {
  fixture f;
  kit::test_server server;
  server.set_responder(kit::okx_venue());
  zenws::okx::settings settings;
  settings.login = {"okx-key", "wrong-secret", "okx-pass"};
  zenws::connection_actor conn;
  const auto opened = open(f, conn, zenws::okx::adapter(settings), server.url());
  CHECK(opened.second.code == errc::auth_failed);
  CHECK(opened.second.detail.find("60007") == 0);
  const auto end = f.next("gave_up");
  CHECK(end.fatal);
  std::this_thread::sleep_for(200ms);
  CHECK(server.accepted_connections() == 1);
}

TEST_CASE("OKX: notice 64008 replaces the connection at once and restores its channels") {
  fixture f;
  auto state = std::make_shared<kit::okx_venue_state>();
  kit::okx_venue_options venue_options;
  venue_options.state = state;
  kit::test_server server;
  server.set_responder(kit::okx_venue(venue_options));
  zenws::connection_actor conn;
  REQUIRE(open(f, conn, zenws::okx::adapter(), server.url("/ws/v5/public")).first);
  REQUIRE(subscribe(f, conn, {"tickers:BTC-USDT", "trades:ETH-USDT"}).first);
  const auto first = *server.wait_for_sessions(1, wait);
  server.send(first, {0, false, kit::okx_notice_64008()});
  CHECK(f.next("text").text.find("64008") != std::string::npos); // the user sees the notice
  const auto dropped = f.next("disconnected");
  CHECK(dropped.error.code == errc::server_shutdown);
  const auto planned = f.next("reconnecting");
  CHECK(planned.delay == 0ms);
  const auto restored = f.next("restored");
  CHECK(restored.accepted == strings{"tickers:BTC-USDT", "trades:ETH-USDT"});
  CHECK(f.next("connected").tag == "connected");
  const auto second = *server.wait_for_sessions(2, wait);
  CHECK(state->session(second).subscriptions.size() == 2);
}

// -- Bybit ----------------------------------------------------------------------------------------

TEST_CASE("Bybit: auth on connect (answer without req_id), private topics, JSON pings") {
  fixture f;
  auto state = std::make_shared<kit::bybit_venue_state>();
  kit::bybit_venue_options venue_options;
  venue_options.private_endpoint = true;
  venue_options.state = state;
  kit::test_server server;
  server.set_responder(kit::bybit_venue(venue_options));
  zenws::bybit::settings settings;
  settings.auth = {"bybit-key", "bybit-secret"};
  zenws::connection_actor conn;
  REQUIRE(open(f, conn, zenws::bybit::adapter(settings), server.url("/v5/private")).first);
  const auto session = *server.wait_for_sessions(1, wait);
  CHECK(state->session(session).authenticated);
  const auto out = subscribe(f, conn, {"order", "execution"});
  REQUIRE(out.first);
  CHECK(out.first->accepted == strings{"order", "execution"});
  CHECK(state->session(session).topics == strings{"order", "execution"});
  std::this_thread::sleep_for(300ms);
  const auto beat =
      f.ask<zenws::heartbeat_health>(conn, caf::get_atom::value, zenws::heartbeat_atom::value);
  REQUIRE(beat.first);
  CHECK(beat.first->received >= 1); // private pongs ("op":"pong") were recognised
  CHECK(beat.first->failures == 0);
}

TEST_CASE("Bybit: public topics, a bad symbol refuses the whole subscribe") {
  fixture f;
  auto state = std::make_shared<kit::bybit_venue_state>();
  kit::bybit_venue_options venue_options;
  venue_options.state = state;
  kit::test_server server;
  server.set_responder(kit::bybit_venue(venue_options));
  zenws::connection_actor conn;
  REQUIRE(open(f, conn, zenws::bybit::adapter(), server.url("/v5/public/linear")).first);
  REQUIRE(subscribe(f, conn, {"orderbook.1.BTCUSDT", "publicTrade.BTCUSDT"}).first);
  const auto bad = subscribe(f, conn, {"tickers.ETHUSDT", "orderbook.1.NOPE"});
  CHECK(bad.second.code == errc::server_error);
  CHECK(bad.second.detail.find("Invalid symbol") != std::string::npos);
  const auto session = *server.wait_for_sessions(1, wait);
  CHECK(state->session(session).topics == strings{"orderbook.1.BTCUSDT", "publicTrade.BTCUSDT"});
  server.send(session, {0, false, kit::bybit_push("publicTrade.BTCUSDT", "snapshot", "[]")});
  CHECK(f.next("text").text.find("publicTrade.BTCUSDT") != std::string::npos);
  std::this_thread::sleep_for(300ms);
  const auto beat =
      f.ask<zenws::heartbeat_health>(conn, caf::get_atom::value, zenws::heartbeat_atom::value);
  REQUIRE(beat.first);
  CHECK(beat.first->received >= 1); // public pongs ("ret_msg":"pong")
}

TEST_CASE("Bybit: a wrong secret fails auth fatally") {
  fixture f;
  kit::bybit_venue_options venue_options;
  venue_options.private_endpoint = true;
  kit::test_server server;
  server.set_responder(kit::bybit_venue(venue_options));
  zenws::bybit::settings settings;
  settings.auth = {"bybit-key", "not-the-secret"};
  zenws::connection_actor conn;
  const auto opened = open(f, conn, zenws::bybit::adapter(settings), server.url());
  CHECK(opened.second.code == errc::auth_failed);
  CHECK(f.next("gave_up").fatal);
  CHECK(server.accepted_connections() == 1);
}

// -- generic JSON-RPC: Ethereum -------------------------------------------------------------------

TEST_CASE("Ethereum: eth_subscribe per channel, unsubscribe by the server's id") {
  fixture f;
  auto state = std::make_shared<kit::ethereum_venue_state>();
  kit::ethereum_venue_options venue_options;
  venue_options.state = state;
  kit::test_server server;
  server.set_responder(kit::ethereum_venue(venue_options));
  zenws::connection_actor conn;
  REQUIRE(open(f, conn, zenws::generic_json_rpc::ethereum(), server.url()).first);
  const auto session = *server.wait_for_sessions(1, wait);
  REQUIRE(subscribe(f, conn, {"newHeads"}).first);
  const auto logs = subscribe(f, conn, {R"(logs:{"address":"0x1"})"});
  REQUIRE(logs.first);
  CHECK(logs.first->accepted == strings{R"(logs:{"address":"0x1"})"});
  auto live = state->session(session).subscriptions;
  REQUIRE(live.size() == 2);
  CHECK(live[1].kind == "logs");
  CHECK(subscribe(f, conn, {"newHeads", "newPendingTransactions"}).second.code ==
        errc::bad_channel);

  server.send(session,
              {0, false, kit::eth_subscription_notification(live[0].id, R"({"number":"0x1b4"})")});
  CHECK(f.next("text").text.find("0x1b4") != std::string::npos);

  const auto gone = unsubscribe(f, conn, {"newHeads"});
  REQUIRE(gone.first);
  CHECK(gone.first->accepted == strings{"newHeads"});
  live = state->session(session).subscriptions;
  REQUIRE(live.size() == 1);
  CHECK(live[0].kind == "logs");
  CHECK(call(f, conn, "eth_blockNumber", "[]").first->result == R"("0x10")");
  CHECK(call(f, conn, "eth_nope", "[]").second.detail.find("-32601") == 0);
}

TEST_CASE("Ethereum: after a reconnect each channel is restored in its own request, new ids kept") {
  fixture f;
  auto state = std::make_shared<kit::ethereum_venue_state>();
  kit::ethereum_venue_options venue_options;
  venue_options.state = state;
  kit::test_server server;
  server.set_responder(kit::ethereum_venue(venue_options));
  zenws::connection_actor conn;
  REQUIRE(open(f, conn, zenws::generic_json_rpc::ethereum(), server.url()).first);
  REQUIRE(subscribe(f, conn, {"newHeads"}).first);
  REQUIRE(subscribe(f, conn, {"newPendingTransactions"}).first);
  server.close(*server.wait_for_sessions(1, wait), 1001, "going away");
  CHECK(f.next("restored").accepted.size() == 1);
  CHECK(f.next("restored").accepted.size() == 1);
  CHECK(f.next("connected").tag == "connected");
  const auto second = *server.wait_for_sessions(2, wait);
  CHECK(state->session(second).subscriptions.size() == 2);
  // Unsubscribing uses the id the new session gave.
  REQUIRE(unsubscribe(f, conn, {"newHeads"}).first);
  const auto left = state->session(second).subscriptions;
  REQUIRE(left.size() == 1);
  CHECK(left[0].kind == "newPendingTransactions");
}
