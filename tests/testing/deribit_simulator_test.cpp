// The Deribit simulator checked with a raw Beast client (tests/testing/ws_test_client.hpp; no
// zenws client): the JSON-RPC envelope, authentication with real signatures, heartbeats,
// cancel-on-disconnect, subscriptions and the book's change_id chain, the matching engine, the
// credit limits and out-of-order replies. Timings are scaled to tens of milliseconds.

#include "testing/ws_test_client.hpp"

#include <zenws/testing/deribit_simulator.hpp>

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace zenws::testing;
using namespace zenws_test;

#define REQUIRE_OK(ec) REQUIRE_MESSAGE(!(ec), (ec).message())

namespace {

constexpr std::chrono::milliseconds wait_time{3000};

/// No market activity unless a test steps it; everything else the venue's defaults.
deribit_simulator_options quiet() {
  deribit_simulator_options o;
  o.market_interval = std::chrono::milliseconds{0};
  return o;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  v.Accept(w);
  return {buffer.GetString(), buffer.GetSize()};
}

/// A parsed message.
struct json {
  rapidjson::Document doc;
  std::string text;

  explicit json(std::string t) : text(std::move(t)) { doc.Parse(text.c_str()); }
  bool has(const char* name) const { return doc.IsObject() && doc.HasMember(name); }
  const rapidjson::Value& operator[](const char* name) const { return doc[name]; }
  int error_code() const { return has("error") ? doc["error"]["code"].GetInt() : 0; }
  std::string result() const { return has("result") ? to_json(doc["result"]) : ""; }
};

/// A raw client session on the simulator with JSON-RPC helpers.
class venue_client {
public:
  explicit venue_client(deribit_simulator& venue) : venue_(venue) {
    const auto opened = venue.counters().sessions_opened;
    REQUIRE_OK(ws_.connect(venue.port()));
    REQUIRE_OK(ws_.upgrade("127.0.0.1", "/ws/api/v2"));
    const auto id = venue.wait_for_sessions(opened + 1, wait_time);
    REQUIRE(id);
    session = *id;
  }

  /// Sends a request and reads until its response; notifications on the way are kept.
  json call(const std::string& method, const std::string& params = "{}") {
    const auto id = next_id_++;
    send(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method +
         R"(","params":)" + params + "}");
    return response(id);
  }

  void send(const std::string& text) { REQUIRE_OK(ws_.write(text)); }

  json response(std::int64_t id) {
    while (true) {
      auto m = ws_.read(wait_time);
      REQUIRE_OK(m.ec);
      json j{m.data};
      if (j.has("id") && j["id"].IsInt64() && j["id"].GetInt64() == id)
        return j;
      notifications.push_back(m.data);
    }
  }

  /// The next message: a kept notification first.
  message next(std::chrono::milliseconds deadline = wait_time) {
    if (!notifications.empty()) {
      message m;
      m.data = notifications.front();
      notifications.erase(notifications.begin());
      return m;
    }
    return ws_.read(deadline);
  }

  /// Reads until a notification on `channel` (or of method `method`) arrives.
  json notification(const std::string& channel) {
    while (true) {
      auto m = next();
      REQUIRE_OK(m.ec);
      json j{m.data};
      if (j.has("params") && j["params"].HasMember("channel") &&
          j["params"]["channel"].GetString() == channel)
        return j;
    }
  }

  void login() {
    const auto r = call("public/auth", R"({"grant_type":"client_credentials","client_id":")" +
                                           venue_.client_id() + R"(","client_secret":")" +
                                           venue_.client_secret() + R"("})");
    REQUIRE_MESSAGE(r.has("result"), r.text);
  }

  ws_client<false>& ws() { return ws_; }
  session_id session = 0;
  std::vector<std::string> notifications;

private:
  deribit_simulator& venue_;
  ws_client<false> ws_;
  std::int64_t next_id_ = 1;
};

std::string order_params(const std::string& instrument, double amount, double price,
                         const std::string& extra = "") {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w{b};
  w.Double(price);
  return R"({"instrument_name":")" + instrument + R"(","amount":)" + std::to_string(amount) +
         R"(,"price":)" + b.GetString() + extra + "}";
}

/// The best ask (or bid) of the instrument from public/get_order_book.
double best(venue_client& c, const std::string& instrument, const char* side) {
  const auto r = c.call("public/get_order_book", R"({"instrument_name":")" + instrument + "\"}");
  return r["result"][side][0][0].GetDouble();
}

} // namespace

TEST_CASE("deribit: responses carry usIn, usOut, usDiff and testnet, bad requests get the "
          "JSON-RPC error codes") {
  deribit_simulator venue{quiet()};
  venue_client c{venue};
  const auto before = now_ms();
  const auto t = c.call("public/get_time");
  REQUIRE(t.has("result"));
  CHECK(t["result"].GetInt64() >= before);
  CHECK(t["result"].GetInt64() <= now_ms());
  REQUIRE(t.has("usIn"));
  CHECK(t["usOut"].GetInt64() >= t["usIn"].GetInt64());
  CHECK(t["usDiff"].GetInt64() == t["usOut"].GetInt64() - t["usIn"].GetInt64());
  CHECK(t["testnet"].GetBool());

  c.send(R"({"jsonrpc":"2.0","id":"abc","method":"public/test"})"); // a string id, echoed
  auto m = c.next();
  REQUIRE_OK(m.ec);
  CHECK(json{m.data}["id"].GetString() == std::string{"abc"});

  CHECK(c.call("public/no_such_method").error_code() == -32601);
  CHECK(c.call("public/get_time", "[1]").error_code() == -32600); // positional params
  c.send("not json");
  m = c.next();
  json parse_error{m.data};
  CHECK(parse_error.error_code() == -32700);
  CHECK(parse_error["id"].IsNull());
  c.send(R"({"jsonrpc":"2.0","method":"public/test"})"); // no id
  CHECK(json{c.next().data}.error_code() == -32600);

  const std::string big(std::size_t{33} * 1024, 'x');
  c.send(R"({"jsonrpc":"2.0","id":77,"method":"public/test","params":{"pad":")" + big + "\"}}");
  const auto too_large = c.response(77);
  CHECK(too_large.error_code() == -32600);
  CHECK(too_large["error"]["message"].GetString() == std::string{"request entity too large"});
  CHECK(venue.counters().oversize_frames == 1);
  CHECK(c.call("public/test").has("result")); // the session goes on

  const auto hello = c.call("public/hello", R"({"client_name":"zenws"})");
  CHECK(hello.error_code() == -32602);
  CHECK(hello["error"]["data"]["param"].GetString() == std::string{"client_version"});
  CHECK(c.call("public/hello", R"({"client_name":"zenws","client_version":"1"})").result() ==
        R"({"version":"1.2.26"})");
  CHECK(c.call("public/test", R"({"expected_result":"exception"})").error_code() == 11094);
}

TEST_CASE("deribit: client_signature matches the documented vector and is checked for real") {
  CHECK(deribit_signature("AMANDASECRECT", 1576074319000, "1iqt2wls", "") ==
        "56590594f97921b09b18f166befe0d1319b198bbcdad7ca73382de2f88fe9aa1");
  deribit_simulator venue{quiet()};
  venue_client c{venue};
  const auto signed_auth = [&](std::int64_t ts, const std::string& nonce,
                               const std::string& signature) {
    return c.call("public/auth", R"({"grant_type":"client_signature","client_id":")" +
                                     venue.client_id() + R"(","timestamp":)" + std::to_string(ts) +
                                     R"(,"nonce":")" + nonce + R"(","data":"","signature":")" +
                                     signature + R"("})");
  };
  const auto sign = [&](std::int64_t ts, const std::string& nonce) {
    return deribit_signature(venue.client_secret(), ts, nonce, "");
  };
  const auto ts = now_ms();
  const auto ok = signed_auth(ts, "n1", sign(ts, "n1"));
  REQUIRE_MESSAGE(ok.has("result"), ok.text);
  CHECK(ok["result"]["scope"].GetString() == std::string{"connection mainaccount"});
  CHECK(ok["result"]["token_type"].GetString() == std::string{"bearer"});
  CHECK(ok["result"]["expires_in"].GetInt() == 900);
  CHECK(venue.account(c.session) == venue.client_id());

  CHECK(signed_auth(ts, "n1", sign(ts, "n1")).error_code() == 13004); // replayed nonce
  CHECK(signed_auth(ts, "n2", sign(ts, "n3")).error_code() == 13004); // signature of another
  const auto old = ts - 61'000;
  CHECK(signed_auth(old, "n4", sign(old, "n4")).error_code() == 13004); // outside 60 s
  CHECK(signed_auth(ts, "n5", deribit_signature("wrong-secret", ts, "n5", "")).error_code() ==
        13004);
  const auto fresh = now_ms();
  CHECK(signed_auth(fresh, "n6", sign(fresh, "n6")).has("result"));
  CHECK(venue.counters().auth_failures == 4);
  CHECK(venue.counters().auths == 2);
}

TEST_CASE("deribit: client_credentials, refresh_token, token scope and expiry") {
  auto options = quiet();
  options.token_lifetime = std::chrono::milliseconds{300};
  deribit_simulator venue{options};
  venue_client a{venue};
  CHECK(a.call("private/get_positions").error_code() == 13009); // not authenticated
  const auto wrong = a.call("public/auth", R"({"grant_type":"client_credentials",)"
                                           R"("client_id":"zenws-client","client_secret":"no"})");
  CHECK(wrong.error_code() == 13004);
  const auto auth = a.call("public/auth", R"({"grant_type":"client_credentials",)"
                                          R"("client_id":"zenws-client",)"
                                          R"("client_secret":"zenws-secret","state":"s1"})");
  REQUIRE(auth.has("result"));
  CHECK(auth["result"]["state"].GetString() == std::string{"s1"});
  const std::string access = auth["result"]["access_token"].GetString();
  const std::string refresh = auth["result"]["refresh_token"].GetString();
  CHECK(a.call("private/get_positions").has("result"));

  // A connection-scoped token is refused elsewhere; a session-scoped one is not.
  venue_client b{venue};
  CHECK(b.call("private/get_positions", R"({"access_token":")" + access + "\"}").error_code() ==
        13009);
  const auto session_auth =
      a.call("public/auth", R"({"grant_type":"client_credentials","client_id":"zenws-client",)"
                            R"("client_secret":"zenws-secret","scope":"session:desk1"})");
  REQUIRE(session_auth.has("result"));
  CHECK(session_auth["result"]["scope"].GetString() == std::string{"session:desk1 mainaccount"});
  const std::string shared = session_auth["result"]["access_token"].GetString();
  CHECK(b.call("private/get_positions", R"({"access_token":")" + shared + "\"}").has("result"));

  // Refresh tokens work once.
  const auto refreshed =
      b.call("public/auth", R"({"grant_type":"refresh_token","refresh_token":")" + refresh + "\"}");
  REQUIRE_MESSAGE(refreshed.has("result"), refreshed.text);
  CHECK(b.call("private/get_positions").has("result"));
  CHECK(
      b.call("public/auth", R"({"grant_type":"refresh_token","refresh_token":")" + refresh + "\"}")
          .error_code() == 13004);

  // Tokens expire.
  std::this_thread::sleep_for(std::chrono::milliseconds{400});
  CHECK(a.call("private/get_positions").error_code() == 13009);
  CHECK(a.call("public/auth", R"({"grant_type":"bogus"})").error_code() == -32602);
}

TEST_CASE("deribit: test_request every interval, answered ones keep the session, an unanswered "
          "one closes it") {
  auto options = quiet();
  options.heartbeat_second = std::chrono::milliseconds{5}; // interval 10 -> 50 ms
  deribit_simulator venue{options};
  venue_client c{venue};
  const auto refused = c.call("public/set_heartbeat", R"({"interval":5})");
  CHECK(refused.error_code() == -32602);
  CHECK(refused["error"]["data"]["param"].GetString() == std::string{"interval"});
  CHECK(c.call("public/set_heartbeat", R"({"interval":10})").result() == R"("ok")");
  CHECK(venue.heartbeat_interval(c.session) == 10);
  const auto started = std::chrono::steady_clock::now();
  int answered = 0;
  while (answered < 20) {
    auto m = c.next();
    REQUIRE_OK(m.ec);
    json j{m.data};
    if (j.has("method") && j["method"].GetString() == std::string{"heartbeat"}) {
      CHECK(j["params"]["type"].GetString() == std::string{"test_request"});
      CHECK_FALSE(j.has("usIn")); // notifications carry no timing
      c.call("public/test");
      ++answered;
    }
  }
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= std::chrono::milliseconds{19 * 50}); // one per interval, not faster
  CHECK(venue.counters().heartbeat_closes == 0);
  CHECK(venue.counters().tests_answered >= 20);

  // Now stop answering: the session is closed after one more interval.
  message m;
  do
    m = c.ws().read(wait_time);
  while (!m.ec);
  CHECK(m.ec == websocket::error::closed);
  CHECK(c.ws().ws.reason().code == 1000);
  CHECK(std::string{c.ws().ws.reason().reason.c_str()} == "heartbeat timeout");
  CHECK(venue.counters().heartbeat_closes == 1);
}

TEST_CASE("deribit: cancel-on-disconnect cancels the orders of the session that ended, not on "
          "logout, and account scope covers new sessions") {
  deribit_simulator venue{quiet()};
  const auto client = venue.client_id();
  double far_bid = 0;
  {
    venue_client a{venue};
    a.login();
    far_bid = best(a, "BTC-PERPETUAL", "bids") - 100;
    CHECK(a.call("private/enable_cancel_on_disconnect").result() == R"("ok")");
    CHECK(a.call("private/get_cancel_on_disconnect").result() ==
          R"({"scope":"connection","enabled":true})");
    CHECK(a.call("private/buy", order_params("BTC-PERPETUAL", 10, far_bid)).has("result"));
    CHECK(a.call("private/buy", order_params("BTC-PERPETUAL", 20, far_bid)).has("result"));
    venue_client b{venue};
    b.login();
    CHECK(b.call("private/buy", order_params("BTC-PERPETUAL", 30, far_bid)).has("result"));
    CHECK(venue.open_orders(client).size() == 3);
    REQUIRE_OK(a.ws().close(1000));
    CHECK(venue.wait_for([](const deribit_counters& k) { return k.cod_cancels == 2; }, wait_time));
    const auto open = venue.open_orders(client);
    REQUIRE(open.size() == 1);
    CHECK(open[0].amount == 30);
    CHECK(venue.orders(client).back().order_state == "cancelled");

    // Logout closes without cancelling, even with cancel-on-disconnect on.
    CHECK(b.call("private/enable_cancel_on_disconnect").has("result"));
    b.send(R"({"jsonrpc":"2.0","id":99,"method":"private/logout","params":{}})");
    auto m = b.ws().read(wait_time);
    CHECK(m.ec == websocket::error::closed);
    CHECK(
        venue.wait_for([](const deribit_counters& k) { return k.open_sessions == 0; }, wait_time));
    CHECK(venue.open_orders(client).size() == 1);
    CHECK(venue.counters().logouts == 1);
  }
  // Account scope: a new session is covered without enabling anything on it.
  venue_client c{venue};
  c.login();
  CHECK(c.call("private/enable_cancel_on_disconnect", R"({"scope":"account"})").has("result"));
  venue_client d{venue};
  d.login();
  CHECK(venue.cancel_on_disconnect(d.session));
  CHECK(d.call("private/sell", order_params("BTC-PERPETUAL", 10, far_bid + 1000)).has("result"));
  venue.server().reset(d.session); // a dropped socket, not a close
  CHECK(venue.wait_for([](const deribit_counters& k) { return k.cod_cancels == 3; }, wait_time));
  CHECK(venue.open_orders(client).size() == 1);
}

TEST_CASE("deribit: an unanswered test_request closes the session and cancel-on-disconnect "
          "fires") {
  auto options = quiet();
  options.heartbeat_second = std::chrono::milliseconds{5};
  deribit_simulator venue{options};
  venue_client c{venue};
  c.login();
  const auto bid = best(c, "ETH-PERPETUAL", "bids") - 10;
  CHECK(c.call("private/enable_cancel_on_disconnect").has("result"));
  CHECK(c.call("private/buy", order_params("ETH-PERPETUAL", 5, bid)).has("result"));
  CHECK(c.call("public/set_heartbeat", R"({"interval":10})").has("result"));
  CHECK(
      venue.wait_for([](const deribit_counters& k) { return k.heartbeat_closes == 1; }, wait_time));
  CHECK(venue.wait_for([](const deribit_counters& k) { return k.cod_cancels == 1; }, wait_time));
  CHECK(venue.open_orders(venue.client_id()).empty());
}

TEST_CASE("deribit: subscriptions accept what is valid, snapshot then deltas chained by "
          "change_id, and a dropped change shows as a gap") {
  deribit_simulator venue{quiet()};
  venue_client c{venue};
  const auto partial = c.call(
      "public/subscribe", R"({"channels":["book.BTC-PERPETUAL.100ms","ticker.NOPE.100ms",)"
                          R"("trades.BTC-PERPETUAL.100ms","user.orders.any.any.raw","bogus"]})");
  CHECK(partial.result() == R"(["book.BTC-PERPETUAL.100ms","trades.BTC-PERPETUAL.100ms"])");
  CHECK(c.call("public/subscribe", R"({"channels":["book.BTC-PERPETUAL.raw"]})").error_code() ==
        13778);
  CHECK(c.call("private/subscribe", R"({"channels":["user.orders.any.any.raw"]})").error_code() ==
        13009);
  CHECK(venue.channels(c.session).size() == 2);

  // The local book from the snapshot and the deltas matches the venue's book.
  const auto snapshot = c.notification("book.BTC-PERPETUAL.100ms");
  const auto& data = snapshot["params"]["data"];
  CHECK(data["type"].GetString() == std::string{"snapshot"});
  CHECK_FALSE(data.HasMember("prev_change_id"));
  std::int64_t last = data["change_id"].GetInt64();
  std::map<double, double> bids;
  std::map<double, double> asks;
  const auto apply = [](std::map<double, double>& side, const rapidjson::Value& levels) {
    for (const auto& l : levels.GetArray()) {
      const std::string action = l[0].GetString();
      if (action == "delete") {
        CHECK(side.erase(l[1].GetDouble()) == 1);
      } else {
        CHECK((action == "new") == (side.count(l[1].GetDouble()) == 0));
        side[l[1].GetDouble()] = l[2].GetDouble();
      }
    }
  };
  apply(bids, data["bids"]);
  apply(asks, data["asks"]);
  for (int i = 0; i < 30; ++i) {
    venue.step_market();
    if (venue.change_id("BTC-PERPETUAL") == last)
      continue;
    const auto delta = c.notification("book.BTC-PERPETUAL.100ms");
    const auto& d = delta["params"]["data"];
    CHECK(d["prev_change_id"].GetInt64() == last);
    last = d["change_id"].GetInt64();
    apply(bids, d["bids"]);
    apply(asks, d["asks"]);
  }
  CHECK(last > data["change_id"].GetInt64());
  const auto book =
      c.call("public/get_order_book", R"({"instrument_name":"BTC-PERPETUAL","depth":1000})");
  REQUIRE(book.has("result"));
  CHECK(book["result"]["change_id"].GetInt64() == last);
  CHECK(book["result"]["bids"].Size() == bids.size());
  CHECK(book["result"]["asks"].Size() == asks.size());
  for (const auto& l : book["result"]["bids"].GetArray())
    CHECK(bids[l[0].GetDouble()] == l[1].GetDouble());
  CHECK(book["result"]["best_bid_price"].GetDouble() == bids.rbegin()->first);
  CHECK(book["result"]["best_ask_price"].GetDouble() == asks.begin()->first);

  // A dropped change: the next delta does not follow.
  venue.drop_next_book_change("BTC-PERPETUAL");
  while (venue.counters().dropped_book_changes == 0)
    venue.step_market();
  const auto before_gap = last;
  while (venue.change_id("BTC-PERPETUAL") == before_gap + 1)
    venue.step_market();
  const auto after = c.notification("book.BTC-PERPETUAL.100ms");
  CHECK(after["params"]["data"]["prev_change_id"].GetInt64() > last);

  const auto removed =
      c.call("public/unsubscribe", R"({"channels":["trades.BTC-PERPETUAL.100ms","nope"]})");
  CHECK(removed.result() == R"(["trades.BTC-PERPETUAL.100ms"])");
  CHECK(c.call("public/unsubscribe_all").result() == R"("ok")");
  CHECK(venue.channels(c.session).empty());
  CHECK(venue.counters().subscriptions == 0);
}

TEST_CASE("deribit: orders match against the book, rest, edit and cancel, positions and the "
          "account follow") {
  deribit_simulator venue{quiet()};
  venue_client c{venue};
  c.login();
  const auto subscribed =
      c.call("private/subscribe",
             R"({"channels":["user.orders.BTC-PERPETUAL.raw","user.orders.any.any.100ms"]})");
  CHECK(subscribed.result() == R"(["user.orders.BTC-PERPETUAL.raw","user.orders.any.any.100ms"])");

  // A buy at the best ask takes liquidity.
  const auto ask = best(c, "BTC-PERPETUAL", "asks");
  const auto taken =
      c.call("private/buy", order_params("BTC-PERPETUAL", 10, ask, R"(,"label":"t1")"));
  REQUIRE_MESSAGE(taken.has("result"), taken.text);
  CHECK(taken["result"]["order"]["order_state"].GetString() == std::string{"filled"});
  CHECK(taken["result"]["order"]["label"].GetString() == std::string{"t1"});
  REQUIRE(taken["result"]["trades"].Size() == 1);
  CHECK(taken["result"]["trades"][0]["price"].GetDouble() == ask);
  CHECK(taken["result"]["trades"][0]["liquidity"].GetString() == std::string{"T"});
  CHECK(venue.position(venue.client_id(), "BTC-PERPETUAL") == 10);
  // user.orders: an object on raw channels, an array on interval channels.
  const auto raw = c.notification("user.orders.BTC-PERPETUAL.raw");
  CHECK(raw["params"]["data"].IsObject());
  const auto batched = c.notification("user.orders.any.any.100ms");
  CHECK(batched["params"]["data"].IsArray());

  // A resting order, edited and cancelled.
  const auto bid = best(c, "BTC-PERPETUAL", "bids") - 50;
  const auto placed = c.call("private/buy", order_params("BTC-PERPETUAL", 100, bid));
  REQUIRE(placed.has("result"));
  const std::string id = placed["result"]["order"]["order_id"].GetString();
  CHECK(placed["result"]["order"]["order_state"].GetString() == std::string{"open"});
  const auto open =
      c.call("private/get_open_orders_by_instrument", R"({"instrument_name":"BTC-PERPETUAL"})");
  REQUIRE(open["result"].Size() == 1);
  CHECK(open["result"][0]["order_id"].GetString() == id);
  const auto edited = c.call("private/edit", R"({"order_id":")" + id + R"(","amount":50,"price":)" +
                                                 std::to_string(bid - 1) + "}");
  REQUIRE_MESSAGE(edited.has("result"), edited.text);
  CHECK(edited["result"]["order"]["replaced"].GetBool());
  CHECK(edited["result"]["order"]["amount"].GetDouble() == 50);
  CHECK(edited["result"]["order"]["price"].GetDouble() == bid - 1);
  const auto state = c.call("private/get_order_state", R"({"order_id":")" + id + "\"}");
  CHECK(state["result"]["price"].GetDouble() == bid - 1);
  const auto cancelled = c.call("private/cancel", R"({"order_id":")" + id + "\"}");
  CHECK(cancelled["result"]["order_state"].GetString() == std::string{"cancelled"});
  CHECK(cancelled["result"]["cancel_reason"].GetString() == std::string{"user_request"});
  CHECK(c.call("private/cancel", R"({"order_id":")" + id + "\"}").error_code() == 11044);
  CHECK(c.call("private/cancel", R"({"order_id":"BTC-999999"})").error_code() == 10004);

  // Refusals.
  CHECK(c.call("private/buy", order_params("NOPE-PERPETUAL", 10, 100)).error_code() == 10020);
  CHECK(c.call("private/buy", order_params("BTC-PERPETUAL", 10, 100.25)).error_code() == 10043);
  CHECK(c.call("private/buy", order_params("BTC-PERPETUAL", 15, bid)).error_code() == -32602);
  CHECK(c.call("private/buy", R"({"instrument_name":"BTC-PERPETUAL","amount":10})").error_code() ==
        -32602); // a limit order needs a price
  CHECK(c.call("private/sell", order_params("BTC-PERPETUAL", 10, bid,
                                            R"(,"post_only":true,)"
                                            R"("reject_post_only":true)"))
            .error_code() == 11054);
  CHECK(c.call("private/buy", order_params("BTC-PERPETUAL", 100'000'000, bid)).error_code() ==
        10009);
  const auto ioc = c.call("private/buy", order_params("BTC-PERPETUAL", 10, bid,
                                                      R"(,"time_in_force":"immediate_or_cancel")"));
  CHECK(ioc["result"]["order"]["order_state"].GetString() == std::string{"cancelled"});

  // cancel_all_by_instrument counts what it cancelled.
  const auto keep = c.call("private/buy", order_params("BTC-PERPETUAL", 10, bid));
  const std::string kept = keep["result"]["order"]["order_id"].GetString();
  CHECK(c.call("private/cancel_all_by_instrument", R"({"instrument_name":"BTC-PERPETUAL"})")
            .result() == "1");
  CHECK(
      c.call("private/get_order_state", R"({"order_id":")" + kept + "\"}")["result"]["order_state"]
          .GetString() == std::string{"cancelled"});

  const auto positions = c.call("private/get_positions", R"({"currency":"BTC"})");
  REQUIRE(positions["result"].Size() == 1);
  CHECK(positions["result"][0]["size"].GetDouble() == 10);
  CHECK(positions["result"][0]["direction"].GetString() == std::string{"buy"});
  CHECK(positions["result"][0]["average_price"].GetDouble() == ask);
  const auto summary = c.call("private/get_account_summary", R"({"currency":"BTC"})");
  CHECK(summary["result"]["balance"].GetDouble() == 10);
  CHECK(summary["result"]["initial_margin"].GetDouble() > 0);
  CHECK(c.call("private/get_account_summary").error_code() == -32602);
  const auto trades =
      c.call("private/get_user_trades_by_instrument", R"({"instrument_name":"BTC-PERPETUAL"})");
  CHECK(trades["result"]["trades"].Size() == 1);
  CHECK(c.call("public/get_instruments", R"({"currency":"BTC"})")["result"].Size() == 1);
  CHECK(
      c.call("public/ticker", R"({"instrument_name":"ETH-PERPETUAL"})")["result"]["best_bid_price"]
          .GetDouble() > 0);
}

TEST_CASE("deribit: a sell at the price of another account's resting buy fills it") {
  auto options = quiet();
  options.clients = {{"maker", "m-secret"}, {"taker", "t-secret"}};
  deribit_simulator venue{options};
  venue_client maker{venue};
  CHECK(maker
            .call("public/auth", R"({"grant_type":"client_credentials","client_id":"maker",)"
                                 R"("client_secret":"m-secret"})")
            .has("result"));
  venue_client taker{venue};
  CHECK(taker
            .call("public/auth", R"({"grant_type":"client_credentials","client_id":"taker",)"
                                 R"("client_secret":"t-secret"})")
            .has("result"));
  const auto top = best(maker, "BTC-PERPETUAL", "bids");
  const auto ask = best(maker, "BTC-PERPETUAL", "asks");
  const double inside = top + 0.5; // better than the market's best bid, below the best ask
  REQUIRE(inside < ask);
  const auto resting = maker.call("private/buy", order_params("BTC-PERPETUAL", 50, inside));
  REQUIRE(resting.has("result"));
  const std::string id = resting["result"]["order"]["order_id"].GetString();
  const auto sold = taker.call("private/sell", order_params("BTC-PERPETUAL", 20, inside));
  REQUIRE(sold.has("result"));
  CHECK(sold["result"]["order"]["order_state"].GetString() == std::string{"filled"});
  const auto state = maker.call("private/get_order_state", R"({"order_id":")" + id + "\"}");
  CHECK(state["result"]["filled_amount"].GetDouble() == 20);
  CHECK(state["result"]["order_state"].GetString() == std::string{"open"});
  CHECK(venue.position("maker", "BTC-PERPETUAL") == 20);
  CHECK(venue.position("taker", "BTC-PERPETUAL") == -20);
  CHECK(taker.call("private/cancel", R"({"order_id":")" + id + "\"}").error_code() == 10029);
}

TEST_CASE("deribit: a request without credits gets 10028 and the session is closed") {
  auto options = quiet();
  options.non_matching = {500, 1500, 0.001}; // three requests, (almost) no refill
  deribit_simulator venue{options};
  venue_client c{venue};
  for (int i = 0; i < 3; ++i)
    CHECK(c.call("public/test").has("result"));
  const auto limited = c.call("public/test");
  CHECK(limited.error_code() == 10028);
  CHECK(limited["error"]["message"].GetString() == std::string{"too_many_requests"});
  const auto m = c.ws().read(wait_time);
  CHECK(m.ec == websocket::error::closed);
  CHECK(c.ws().ws.reason().code == 1008);
  CHECK(venue.counters().rate_limited == 1);
  // Anonymous sessions share one pool (per IP): a new session has no credits either.
  venue_client d{venue};
  CHECK(d.call("public/test").error_code() == 10028);
}

TEST_CASE("deribit: with reply_spread, pipelined requests are answered out of order, each once") {
  auto options = quiet();
  options.reply_spread = std::chrono::milliseconds{40};
  deribit_simulator venue{options};
  venue_client c{venue};
  constexpr int n = 30;
  for (int i = 1; i <= n; ++i)
    c.send(R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"public/get_time"})");
  std::vector<std::int64_t> ids;
  while (ids.size() < n) {
    const auto m = c.next();
    REQUIRE_OK(m.ec);
    ids.push_back(json{m.data}["id"].GetInt64());
  }
  CHECK_FALSE(std::is_sorted(ids.begin(), ids.end()));
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  CHECK(ids.front() == 1);
  CHECK(ids.back() == n);
}

TEST_CASE("deribit: the market runs by itself and publishes ticker and trades") {
  auto options = quiet();
  options.market_interval = std::chrono::milliseconds{10};
  deribit_simulator venue{options};
  venue_client c{venue};
  CHECK(c.call("public/subscribe",
               R"({"channels":["ticker.ETH-PERPETUAL.100ms","trades.ETH-PERPETUAL.100ms"]})")
            .result() == R"(["ticker.ETH-PERPETUAL.100ms","trades.ETH-PERPETUAL.100ms"])");
  const auto ticker = c.notification("ticker.ETH-PERPETUAL.100ms");
  CHECK(ticker["params"]["data"]["instrument_name"].GetString() == std::string{"ETH-PERPETUAL"});
  const auto trades = c.notification("trades.ETH-PERPETUAL.100ms");
  REQUIRE(trades["params"]["data"].IsArray());
  CHECK(trades["params"]["data"].Size() >= 1);
  CHECK(trades["params"]["data"][0]["amount"].GetDouble() > 0);
}
