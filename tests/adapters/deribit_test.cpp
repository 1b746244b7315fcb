// The Deribit adapter driving real connection actors against the kit's Deribit simulator
// (testing/deribit_simulator.hpp): every method of the table, signature auth, heartbeats, the
// credit limits and cancel-on-disconnect; and the order book kept across a forced gap.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "actors/connection_fixture.hpp"
#include "zenws/adapters/deribit.hpp"
#include "zenws/adapters/deribit_book_keeper.hpp"
#include "zenws/adapters/deribit_order_book.hpp"
#include "zenws/testing/deribit_simulator.hpp"

using namespace connection_test;
using strings = std::vector<std::string>;

namespace {

/// The simulator with heartbeats scaled down (set_heartbeat 10 -> every 50 ms) and no market
/// activity unless a test steps it.
kit::deribit_simulator_options fast_venue() {
  kit::deribit_simulator_options o;
  o.heartbeat_second = 5ms;
  o.market_interval = 0ms;
  return o;
}

zenws::deribit::settings logged_in(const kit::deribit_simulator& venue) {
  zenws::deribit::settings s;
  s.login = {venue.client_id(), venue.client_secret()};
  s.heartbeat = std::chrono::seconds{10};
  return s;
}

zenws::connection_actor spawn(fixture& f, const kit::deribit_simulator& venue,
                              const zenws::deribit::settings& s) {
  const auto adapter = zenws::deribit::adapter(s);
  auto config = adapter.configure(fixture::fast_config(venue.url()));
  return f.spawn(std::move(config), adapter.options);
}

std::pair<std::optional<zenws::rpc_response>, zenws::failure>
call(fixture& f, const zenws::connection_actor& conn, std::string_view method,
     std::string params = "{}") {
  return f.ask<zenws::rpc_response>(conn, zenws::request_atom::value, std::string{method},
                                    std::move(params), caf::timespan{0});
}

/// The value of "name":"..." in `json` (enough for ids in the simulator's answers).
std::string string_member(const std::string& json, const std::string& name) {
  const auto key = "\"" + name + "\":\"";
  const auto at = json.find(key);
  if (at == std::string::npos)
    return {};
  const auto start = at + key.size();
  return json.substr(start, json.find('"', start) - start);
}

double best_price(fixture& f, const zenws::connection_actor& conn, const char* side) {
  const auto book =
      call(f, conn, "public/get_order_book", R"({"instrument_name":"BTC-PERPETUAL","depth":1})");
  REQUIRE(book.first);
  const auto key = std::string{"\""} + side + "\":[[";
  const auto at = book.first->result.find(key);
  REQUIRE(at != std::string::npos);
  return std::stod(book.first->result.substr(at + key.size()));
}

} // namespace

TEST_CASE("deribit adapter: every method of the table works against the simulator") {
  kit::deribit_simulator venue{fast_venue()};
  fixture f;
  auto conn = spawn(f, venue, logged_in(venue));
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  const auto session = *venue.wait_for_sessions(1, wait);
  // The bootstrap ran: signature auth, hello, cancel-on-disconnect, set_heartbeat.
  CHECK(venue.account(session) == venue.client_id());
  CHECK(venue.cancel_on_disconnect(session));
  CHECK(venue.heartbeat_interval(session) == 10);

  const auto bid = best_price(f, conn, "bids") - 20;
  std::string order_id;
  const auto place = [&](const char* direction) {
    return R"({"instrument_name":"BTC-PERPETUAL","amount":10,"price":)" +
           std::to_string(direction[0] == 'b' ? bid : bid + 100) + "}";
  };
  using params_of = std::function<std::string()>;
  const auto constant = [](const std::string& p) -> params_of { return [p] { return p; }; };
  const auto with_order = [&](const std::string& extra) -> params_of {
    return [&order_id, extra] { return R"({"order_id":")" + order_id + "\"" + extra + "}"; };
  };
  const auto btc_instrument = constant(R"({"instrument_name":"BTC-PERPETUAL"})");
  const auto btc = constant(R"({"currency":"BTC"})");
  // In table order; buy comes before the methods that need an order id.
  const std::map<std::string_view, params_of> params{
      {"public/auth",
       constant(zenws::deribit::auth_params({venue.client_id(), venue.client_secret()},
                                            zenws::deribit::grant::client_credentials, 0, {}))},
      {"public/hello", constant(R"({"client_name":"t","client_version":"1"})")},
      {"public/get_time", constant("{}")},
      {"public/test", constant("{}")},
      {"public/set_heartbeat", constant(R"({"interval":10})")},
      {"public/disable_heartbeat", constant("{}")},
      {"public/subscribe", constant(R"({"channels":["ticker.BTC-PERPETUAL.100ms"]})")},
      {"public/unsubscribe", constant(R"({"channels":["ticker.BTC-PERPETUAL.100ms"]})")},
      {"public/unsubscribe_all", constant("{}")},
      {"public/get_instruments", btc},
      {"public/get_order_book", btc_instrument},
      {"public/ticker", btc_instrument},
      {"public/get_last_trades_by_instrument", btc_instrument},
      {"private/subscribe", constant(R"({"channels":["user.orders.any.any.raw"]})")},
      {"private/unsubscribe", constant(R"({"channels":["user.orders.any.any.raw"]})")},
      {"private/unsubscribe_all", constant("{}")},
      {"private/enable_cancel_on_disconnect", constant("{}")},
      {"private/disable_cancel_on_disconnect", constant("{}")},
      {"private/get_cancel_on_disconnect", constant("{}")},
      {"private/buy", [&] { return place("buy"); }},
      {"private/sell", [&] { return place("sell"); }},
      {"private/edit", with_order(R"(,"amount":20,"price":)" + std::to_string(bid - 1))},
      {"private/get_order_state", with_order("")},
      {"private/cancel", with_order("")},
      {"private/cancel_all", constant("{}")},
      {"private/cancel_all_by_instrument", btc_instrument},
      {"private/get_open_orders_by_instrument", btc_instrument},
      {"private/get_positions", btc},
      {"private/get_position", btc_instrument},
      {"private/get_account_summary", btc},
      {"private/get_user_trades_by_instrument", btc_instrument},
      {"private/get_settlement_history_by_instrument", btc_instrument},
      {"private/get_settlement_history_by_currency", btc},
      {"private/get_portfolio_margins", btc},
  };
  // The order in which they run: buy first so the order-id methods have one; logout last.
  strings order{"private/buy"};
  for (const auto& m : zenws::deribit::all_methods())
    if (m.name != "private/buy" && m.name != "private/logout")
      order.emplace_back(m.name);
  std::size_t answered = 0;
  for (const auto& name : order) {
    CAPTURE(name);
    const auto it = params.find(name);
    REQUIRE_MESSAGE(it != params.end(), "no test params for a method of the table");
    const auto r = call(f, conn, name, it->second());
    CHECK_MESSAGE(r.first, zenws::explain(r.second));
    if (!r.first)
      continue;
    ++answered;
    if (name == "private/buy") {
      order_id = string_member(r.first->result, "order_id");
      CHECK(!order_id.empty());
    }
    if (name == "private/edit")
      CHECK(r.first->result.find(R"("amount":20.0)") != std::string::npos);
    if (name == "private/cancel")
      CHECK(string_member(r.first->result, "order_state") == "cancelled");
  }
  CHECK(answered == zenws::deribit::all_methods().size() - 1);
  // private/logout: the venue answers by closing the session (no cancel-on-disconnect).
  const auto requests_before = venue.counters().logouts;
  const auto out = call(f, conn, zenws::deribit::methods::logout.name);
  CHECK_FALSE(out.first);
  CHECK(venue.counters().logouts == requests_before + 1);
}

TEST_CASE("deribit adapter: the method table refuses missing params before anything is sent") {
  kit::deribit_simulator venue{fast_venue()};
  fixture f;
  auto conn = spawn(f, venue, logged_in(venue));
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  const auto before = venue.counters().requests;
  const auto no_amount = call(f, conn, "private/buy", R"({"instrument_name":"BTC-PERPETUAL"})");
  CHECK(no_amount.second.code == errc::bad_params);
  CHECK(no_amount.second.detail == "private/buy needs params.amount/contracts (Deribit would "
                                   "refuse it)");
  CHECK(call(f, conn, "private/get_account_summary").second.code == errc::bad_params);
  CHECK(call(f, conn, "public/ticker", "").second.code == errc::bad_params);
  CHECK(venue.counters().requests == before);
  // A method the table does not hold goes out as it is (the venue decides).
  const auto unknown = call(f, conn, "public/status");
  CHECK(unknown.second.code == errc::server_error);
  CHECK(unknown.second.detail == "-32601 Method not found");
}

TEST_CASE("deribit adapter: venue errors injected into the simulator reach the caller with "
          "their code") {
  kit::deribit_simulator venue{fast_venue()};
  fixture f;
  auto conn = spawn(f, venue, logged_in(venue));
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  venue.fail_next("private/buy", 11051, "system_maintenance");
  venue.fail_next("private/buy", 10066, "too_many_concurrent_requests");
  const auto order = R"({"instrument_name":"BTC-PERPETUAL","amount":10,"price":40000})";
  const auto maintenance = call(f, conn, "private/buy", order);
  CHECK(maintenance.second.code == errc::server_error);
  CHECK(maintenance.second.detail == "11051 system_maintenance");
  CHECK(call(f, conn, "private/buy", order).second.code == errc::venue_rate_limited);
  CHECK(call(f, conn, "private/buy", order).first); // the injections are used up
}

TEST_CASE("deribit adapter: a wrong secret is refused once, fatally, with no retry storm") {
  kit::deribit_simulator venue{fast_venue()};
  fixture f;
  auto s = logged_in(venue);
  s.login.client_secret = "not-the-secret";
  auto conn = spawn(f, venue, s);
  const auto out = f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value);
  CHECK_FALSE(out.first);
  CHECK(out.second.code == errc::auth_failed);
  CHECK(out.second.detail == "13004 invalid_credentials");
  const auto gave_up = f.next("gave_up");
  CHECK(gave_up.fatal);
  std::this_thread::sleep_for(300ms); // retry_delay is 20 ms: a storm would show by now
  CHECK(venue.counters().auth_failures == 1);
  CHECK(venue.counters().sessions_opened == 1);

  // client_credentials works too, and a signature with the right secret after all.
  auto plain = logged_in(venue);
  plain.auth = zenws::deribit::grant::client_credentials;
  auto conn2 = spawn(f, venue, plain);
  CHECK(f.ask<zenws::upgrade_response>(conn2, caf::connect_atom::value).first);
  CHECK(venue.counters().auths == 1);
}

TEST_CASE("deribit adapter: test_requests are answered inside the connection for many "
          "intervals") {
  kit::deribit_simulator venue{fast_venue()};
  fixture f;
  auto conn = spawn(f, venue, logged_in(venue));
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  CHECK(venue.wait_for([](const kit::deribit_counters& c) { return c.tests_answered >= 30; }, 5s));
  const auto c = venue.counters();
  CHECK(c.heartbeat_closes == 0);
  CHECK(c.test_requests >= 30);
  CHECK(c.tests_answered + 1 >= c.test_requests); // at most the latest one in flight
  const auto health =
      f.ask<zenws::heartbeat_health>(conn, caf::get_atom::value, zenws::heartbeat_atom::value);
  REQUIRE(health.first);
  CHECK(health.first->received >= 30);
  CHECK(health.first->stale == 0);
  // Neither the heartbeats nor the public/test answers reach the handler.
  CHECK(f.next("connected").tag == "connected");
  CHECK(f.next(100ms).tag == "timeout");
}

TEST_CASE("deribit adapter: a connection that leaves test_requests unanswered is closed, its "
          "orders are cancelled, and it comes back logged in") {
  kit::deribit_simulator venue{fast_venue()};
  fixture f;
  auto s = logged_in(venue);
  const auto adapter = zenws::deribit::adapter(s);
  auto config = adapter.configure(fixture::fast_config(venue.url()));
  config.heartbeat.policy = zenws::heartbeat_policy::none; // this client never answers
  auto conn = f.spawn(std::move(config), adapter.options);
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  const auto bid = best_price(f, conn, "bids") - 30;
  for (int i = 0; i < 2; ++i)
    REQUIRE(call(f, conn, "private/buy",
                 R"({"instrument_name":"BTC-PERPETUAL","amount":10,"price":)" +
                     std::to_string(bid) + "}")
                .first);
  CHECK(venue.open_orders(venue.client_id()).size() == 2);
  REQUIRE(call(f, conn, "public/set_heartbeat", R"({"interval":10})").first);
  CHECK(venue.wait_for([](const kit::deribit_counters& c) { return c.cod_cancels == 2; }, wait));
  CHECK(venue.counters().heartbeat_closes == 1);
  CHECK(venue.open_orders(venue.client_id()).empty());
  // The connection reconnects and bootstraps again.
  CHECK(f.next("disconnected").tag == "disconnected");
  CHECK(f.next("connected").tag == "connected");
  CHECK(venue.counters().auths == 2);
}

TEST_CASE("deribit adapter: 10028 fails the request as venue_rate_limited and the reconnect "
          "backs off longest, with the adapter's credits a burst never sees 10028") {
  auto options = fast_venue();
  options.non_matching = {500, 5000, 1}; // ten requests, hardly any refill
  kit::deribit_simulator venue{options};
  fixture f;
  auto s = logged_in(venue);
  s.rate_limits = false; // over-spend on purpose
  s.heartbeat = std::chrono::seconds{60};
  auto conn = spawn(f, venue, s);
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  zenws::failure limited;
  for (int i = 0; i < 20 && !limited; ++i)
    limited = call(f, conn, "public/get_time").second;
  CHECK(limited.code == errc::venue_rate_limited);
  CHECK(limited.detail == "10028 too_many_requests");
  const auto notice = f.next("reconnecting");
  CHECK(notice.error.code == errc::venue_rate_limited);
  CHECK(notice.delay == fixture::fast_config("").reconnect.max_backoff);

  // The same burst with the adapter's own credit accounting against the venue's real pools
  // (and its real heartbeat timing: at 50 ms, test_requests alone would use up the refill).
  auto real_options = fast_venue();
  real_options.heartbeat_second = std::chrono::milliseconds{1000};
  kit::deribit_simulator real{real_options};
  fixture g;
  auto conn2 = spawn(g, real, logged_in(real));
  REQUIRE(g.ask<zenws::upgrade_response>(conn2, caf::connect_atom::value).first);
  auto sink = caf::actor_cast<caf::actor>(g.self);
  auto burst =
      fire(g.sys, conn2, 120, "public/get_time", caf::timespan{std::chrono::seconds{10}}, sink);
  const auto ended = endings(g.self, 120);
  CHECK(ended.size() == 120);
  CHECK(std::count_if(ended.begin(), ended.end(),
                      [](const auto& e) { return e.second == errc::none; }) == 120);
  CHECK(real.counters().rate_limited == 0);
  g.self->send_exit(burst, caf::exit_reason::user_shutdown);
}

TEST_CASE("deribit adapter: the order book follows snapshot and deltas, and a resubscribe "
          "repairs a forced gap") {
  kit::deribit_simulator venue{fast_venue()};
  fixture f;
  auto conn = spawn(f, venue, logged_in(venue));
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  const std::string channel = "book.BTC-PERPETUAL.100ms";
  zenws::deribit::order_book book{channel};
  const auto subscribe = [&] {
    const auto out =
        f.ask<zenws::subscription_outcome>(conn, zenws::subscribe_atom::value, strings{channel});
    REQUIRE(out.first);
    CHECK(out.first->accepted == strings{channel});
  };
  // Feeds the handler's messages to the book until `want` comes (or nothing more does).
  const auto feed_until = [&](zenws::deribit::book_update want) {
    for (int i = 0; i < 200; ++i) {
      const auto e = f.next(wait);
      if (e.tag == "timeout")
        return false;
      if (e.tag == "text" && book.apply(e.text) == want)
        return true;
    }
    return false;
  };
  subscribe();
  REQUIRE(feed_until(zenws::deribit::book_update::snapshot));
  for (int i = 0; i < 10; ++i) {
    const auto before = venue.change_id("BTC-PERPETUAL");
    venue.step_market();
    if (venue.change_id("BTC-PERPETUAL") != before)
      CHECK(feed_until(zenws::deribit::book_update::applied));
  }
  CHECK(book.valid());
  CHECK(book.change_id() == venue.change_id("BTC-PERPETUAL"));

  venue.drop_next_book_change("BTC-PERPETUAL");
  while (venue.counters().dropped_book_changes == 0)
    venue.step_market();
  const auto dropped_at = venue.change_id("BTC-PERPETUAL");
  while (venue.change_id("BTC-PERPETUAL") == dropped_at)
    venue.step_market();
  CHECK(feed_until(zenws::deribit::book_update::gap));
  CHECK_FALSE(book.valid());
  // The repair: unsubscribe, subscribe, and a fresh snapshot.
  REQUIRE(f.ask<zenws::subscription_outcome>(conn, zenws::unsubscribe_atom::value, strings{channel})
              .first);
  subscribe();
  REQUIRE(feed_until(zenws::deribit::book_update::snapshot));
  CHECK(book.valid());
  for (int i = 0; i < 5; ++i) {
    const auto before = venue.change_id("BTC-PERPETUAL");
    venue.step_market();
    if (venue.change_id("BTC-PERPETUAL") != before)
      CHECK(feed_until(zenws::deribit::book_update::applied));
  }
  // The same book as the venue's, level by level.
  const auto venue_book =
      call(f, conn, "public/get_order_book", R"({"instrument_name":"BTC-PERPETUAL","depth":1000})");
  REQUIRE(venue_book.first);
  std::string ours = "\"bids\":[";
  for (const auto& l : book.bids(1000)) {
    if (ours.back() != '[')
      ours += ',';
    char level[64];
    std::snprintf(level, sizeof level, "[%.1f,%.1f]", l.price, l.amount);
    ours += level;
  }
  ours += "]";
  CHECK(venue_book.first->result.find(ours) != std::string::npos);
  CHECK(book.change_id() == venue.change_id("BTC-PERPETUAL"));
}

TEST_CASE("deribit adapter: the book keeper repairs a gap by itself and forwards every message") {
  kit::deribit_simulator venue{fast_venue()};
  fixture f;
  const std::string channel = "book.BTC-PERPETUAL.100ms";
  auto keeper = zenws::deribit::spawn_book_keeper(f.sys, {channel}, f.handler);
  const auto adapter = zenws::deribit::adapter(logged_in(venue));
  auto conn = zenws::spawn_connection(
      f.sys, f.io, adapter.configure(fixture::fast_config(venue.url())), adapter.options, keeper);
  f.spawned.push_back(caf::actor_cast<caf::actor>(conn));
  f.self->send(keeper, caf::put_atom::value, caf::actor_cast<caf::actor>(conn));
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  CHECK(f.next("connected").tag == "connected"); // forwarded by the keeper
  REQUIRE(f.ask<zenws::subscription_outcome>(conn, zenws::subscribe_atom::value, strings{channel})
              .first);
  const auto state = [&] {
    zenws::deribit::book_state out;
    f.self->request(keeper, wait, caf::get_atom::value, channel, std::uint32_t{1000})
        .receive([&](zenws::deribit::book_state& b) { out = std::move(b); }, [](caf::error&) {});
    return out;
  };
  // Waits until the keeper's book is valid at the venue's change_id.
  const auto caught_up = [&] {
    for (int i = 0; i < 200; ++i) {
      const auto b = state();
      if (b.valid && b.change_id == venue.change_id("BTC-PERPETUAL"))
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  };
  CHECK(caught_up());
  CHECK(f.next("text").text.find(channel) != std::string::npos); // the snapshot, forwarded
  for (int i = 0; i < 5; ++i)
    venue.step_market();
  CHECK(caught_up());

  venue.drop_next_book_change("BTC-PERPETUAL");
  while (venue.counters().dropped_book_changes == 0)
    venue.step_market();
  venue.step_market(); // the delta after the dropped one shows the gap
  for (int i = 0; i < 3; ++i)
    venue.step_market();
  CHECK(caught_up()); // repaired: unsubscribed, subscribed, a fresh snapshot
  const auto b = state();
  CHECK(b.breaks == 1);
  CHECK(b.resubscribes == 1);
  CHECK(b.bids.size() > 5);
  CHECK(b.bids.front().price < b.asks.front().price);
  const auto unknown = [&] {
    zenws::failure out;
    f.self
        ->request(keeper, wait, caf::get_atom::value, std::string{"book.ETH-PERPETUAL.raw"},
                  std::uint32_t{1})
        .receive([](zenws::deribit::book_state&) {},
                 [&](caf::error& err) { out = zenws::to_failure(err); });
    return out;
  }();
  CHECK(unknown.code == errc::bad_channel);
  f.self->send_exit(keeper, caf::exit_reason::user_shutdown);
}

TEST_CASE("deribit adapter: the book keeper survives a downstream that drops what it does not "
          "handle") {
  // CAF answers a plain send that no handler takes with an error to the sender; the keeper
  // must not end over such answers from its downstream.
  kit::deribit_simulator venue{fast_venue()};
  fixture f;
  auto dropper = f.sys.spawn([](caf::event_based_actor* a) -> caf::behavior {
    a->set_default_handler(caf::drop);
    return {[](const zenws::text_frame&) {}};
  });
  auto keeper = zenws::deribit::spawn_book_keeper(f.sys, {"book.BTC-PERPETUAL.100ms"}, dropper);
  const auto adapter = zenws::deribit::adapter(logged_in(venue));
  auto conn = zenws::spawn_connection(
      f.sys, f.io, adapter.configure(fixture::fast_config(venue.url())), adapter.options, keeper);
  f.spawned.push_back(caf::actor_cast<caf::actor>(conn));
  REQUIRE(f.ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  std::this_thread::sleep_for(100ms); // the connected event went through the keeper
  bool alive = false;
  f.self
      ->request(keeper, wait, caf::get_atom::value, std::string{"book.BTC-PERPETUAL.100ms"},
                std::uint32_t{1})
      .receive([&](zenws::deribit::book_state&) { alive = true; }, [](caf::error&) {});
  CHECK(alive);
  f.self->send_exit(keeper, caf::exit_reason::user_shutdown);
  f.self->send_exit(dropper, caf::exit_reason::user_shutdown);
}
