// The Binance simulator checked with a raw Beast client (tests/testing/ws_test_client.hpp; no
// zenws client): the stream control protocol, the limits that close connections, pings,
// lifetimes, depth sequencing and the WS API with real HMAC signatures. Also the test_server
// hooks it is built on. Timings are scaled to tens of milliseconds; checks on them are bounds.

#include "testing/ws_test_client.hpp"

#include <zenws/testing/binance_simulator.hpp>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

using namespace zenws::testing;
using namespace zenws_test;

#define CHECK_OK(ec) CHECK_MESSAGE(!(ec), (ec).message())
#define REQUIRE_OK(ec) REQUIRE_MESSAGE(!(ec), (ec).message())

namespace {

using plain_client = ws_client<false>;
using clock_type = std::chrono::steady_clock;

constexpr std::chrono::milliseconds wait_time{3000};

// The verified vector of exchanges.md section 6 (and Binance's own signing example).
constexpr char doc_api_key[] = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
constexpr char doc_secret[] = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

/// Only the rule a test is about: no pings, no lifetime, no incoming limit; the doc's API key.
binance_simulator_options quiet() {
  binance_simulator_options o;
  o.ping_interval = std::chrono::milliseconds{0};
  o.lifetime = std::chrono::milliseconds{0};
  o.max_incoming_per_second = 0;
  o.api_keys = {{doc_api_key, doc_secret}};
  return o;
}

/// Connects and upgrades `c` to `target`, the `nth` session of `venue`; its session id.
session_id open(plain_client& c, binance_simulator& venue, const std::string& target,
                std::size_t nth = 1) {
  REQUIRE_OK(c.connect(venue.port()));
  REQUIRE_OK(c.upgrade("127.0.0.1", target));
  auto id = venue.wait_for_sessions(nth, wait_time);
  REQUIRE(id);
  return *id;
}

/// Sends one text frame and returns the next message.
std::string ask(plain_client& c, const std::string& request) {
  REQUIRE_OK(c.write(request));
  auto m = c.read();
  REQUIRE_OK(m.ec);
  return m.data;
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  REQUIRE_MESSAGE(!d.HasParseError(), text);
  return d;
}

/// Reads until the server closes; the close code (0 if the connection ended otherwise).
std::uint16_t read_until_closed(plain_client& c) {
  for (int i = 0; i < 100; ++i) {
    auto m = c.read();
    if (m.ec)
      return c.ws.reason().code;
  }
  return 0;
}

std::chrono::milliseconds since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0);
}

/// What pump() saw.
struct pumped {
  std::vector<std::string> pings;    ///< ping payloads (Beast answered each with a pong)
  std::vector<std::string> messages; ///< data messages
  error_code ended;                  ///< how reading ended before the deadline; none if open
};

/// Keeps reading for `duration`, so that Beast answers every ping, then closes the socket.
pumped pump(plain_client& c, std::chrono::milliseconds duration) {
  pumped p;
  bool deadline = false;
  c.ws.control_callback([&](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::ping)
      p.pings.emplace_back(payload);
  });
  std::function<void()> next = [&] {
    c.ws.async_read(c.buffer, [&](error_code ec, std::size_t) {
      if (ec) {
        if (!deadline)
          p.ended = ec;
        return;
      }
      p.messages.push_back(beast::buffers_to_string(c.buffer.data()));
      c.buffer.consume(c.buffer.size());
      next();
    });
  };
  next();
  c.ioc.restart();
  c.ioc.run_for(duration);
  deadline = true;
  error_code ignored;
  c.socket().close(ignored);
  c.ioc.restart();
  c.ioc.run(); // lets the aborted read complete
  c.ws.control_callback();
  return p;
}

/// A param of a WS API request: its name and its JSON text ("\"BTCUSDT\"" or "5000").
struct param {
  std::string name;
  std::string json;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A WS API request signed as a client must: every param sorted by name, `k=v` joined by '&',
/// strings unquoted. The JSON keeps `params` in the given order (the venue sorts). `secret`
/// empty: unsigned.
std::string request(const std::string& id, const std::string& method, std::vector<param> params,
                    const std::string& secret = {}) {
  if (!secret.empty()) {
    auto sorted = params;
    std::sort(sorted.begin(), sorted.end(),
              [](const param& a, const param& b) { return a.name < b.name; });
    std::string payload;
    for (const auto& p : sorted) {
      const bool quoted = p.json.front() == '"';
      payload += (payload.empty() ? "" : "&") + p.name + "=" +
                 (quoted ? p.json.substr(1, p.json.size() - 2) : p.json);
    }
    params.push_back({"signature", "\"" + binance_hmac_sha256_hex(secret, payload) + "\""});
  }
  std::string json = R"({"id":)" + id + R"(,"method":")" + method + R"(","params":{)";
  for (std::size_t i = 0; i < params.size(); ++i)
    json += (i ? "," : "") + ("\"" + params[i].name + "\":") + params[i].json;
  return json + "}}";
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

/// order.place params for a LIMIT BUY of 0.01 BTCUSDT at 52000.5, deliberately unsorted.
std::vector<param> order_params(std::int64_t timestamp, const std::string& key = doc_api_key) {
  return {{"symbol", quoted("BTCUSDT")}, {"side", quoted("BUY")},
          {"type", quoted("LIMIT")},     {"timeInForce", quoted("GTC")},
          {"quantity", quoted("0.01")},  {"price", quoted("52000.5")},
          {"recvWindow", "5000"},        {"timestamp", std::to_string(timestamp)},
          {"apiKey", quoted(key)}};
}

int status_of(const rapidjson::Document& d) {
  return d["status"].GetInt();
}

int code_of(const rapidjson::Document& d) {
  return d["error"]["code"].GetInt();
}

std::string msg_of(const rapidjson::Document& d) {
  return d["error"]["msg"].GetString();
}

std::uint64_t weight_count(const rapidjson::Document& d) {
  return d["rateLimits"][0]["count"].GetUint64();
}

} // namespace

// -- signing -------------------------------------------------------------------------------------

TEST_CASE("the HMAC signature matches the verified Binance test vectors") {
  const std::string payload =
      std::string{"apiKey="} + doc_api_key +
      "&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT"
      "&timeInForce=GTC&timestamp=1645423376532&type=LIMIT";
  CHECK(binance_hmac_sha256_hex(doc_secret, payload) ==
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24");
  CHECK(binance_hmac_sha256_hex("key", "") ==
        "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0");
}

TEST_CASE("Binance's own signed example request is accepted as sent, signature and all") {
  // The docs' request, verbatim: its timestamp is from 2022, so the simulator's clock is set
  // 900 ms before it, which gives the request 1 s to arrive within its recvWindow of 100 ms.
  const std::string doc_request =
      std::string{R"({"id":"4885f793-e5ad-4c3b-8f6c-55d891472b71","method":"order.place",)"
                  R"("params":{"symbol":"BTCUSDT","side":"SELL","type":"LIMIT",)"
                  R"("timeInForce":"GTC","quantity":"0.01000000","price":"52000.00",)"
                  R"("newOrderRespType":"ACK","recvWindow":100,"timestamp":1645423376532,)"
                  R"("apiKey":")"} +
      doc_api_key +
      R"(","signature":"cc15477742bd704c29492d96c7ead9414dfd8e0ec4a00f947bb5bb454ddbd08a"}})";
  bool checked = false;
  for (int attempt = 0; attempt < 3 && !checked; ++attempt) {
    auto options = quiet();
    options.clock_offset = std::chrono::milliseconds{1645423376532 - 900 - now_ms()};
    const auto t0 = clock_type::now();
    binance_simulator venue{options};
    plain_client c;
    open(c, venue, "/ws-api/v3");
    const auto text = ask(c, doc_request);
    if (since(t0) >= std::chrono::milliseconds{900})
      continue; // too slow for the 100 ms window (a loaded machine): try again
    checked = true;
    auto reply = parse(text);
    REQUIRE_MESSAGE(status_of(reply) == 200, text);
    CHECK(std::string{reply["id"].GetString()} == "4885f793-e5ad-4c3b-8f6c-55d891472b71");
    CHECK(std::string{reply["result"]["symbol"].GetString()} == "BTCUSDT");
    CHECK(reply["result"]["orderId"].GetInt64() == 1);
    CHECK_FALSE(reply["result"].HasMember("status")); // ACK: the short answer
  }
  CHECK(checked);
}

// -- streams: control messages -------------------------------------------------------------------

TEST_CASE("raw streams: URL stream, SUBSCRIBE, LIST_SUBSCRIPTIONS and UNSUBSCRIBE replies") {
  binance_simulator venue{quiet()};
  plain_client c;
  auto id = open(c, venue, "/ws/btcusdt@trade");
  CHECK(venue.streams(id) == std::vector<std::string>{"btcusdt@trade"});
  CHECK_FALSE(venue.combined(id));

  CHECK(ask(c, R"({"method":"LIST_SUBSCRIPTIONS","id":1})") ==
        R"({"result":["btcusdt@trade"],"id":1})");
  CHECK(ask(c, R"({"method":"SUBSCRIBE","params":["ethusdt@depth","btcusdt@depth@100ms"],)"
               R"("id":"abc"})") == R"({"result":null,"id":"abc"})");
  CHECK(venue.wait_for_streams(id, 3, wait_time));
  CHECK(ask(c, R"({"method":"LIST_SUBSCRIPTIONS","id":-7})") ==
        R"({"result":["btcusdt@trade","ethusdt@depth","btcusdt@depth@100ms"],"id":-7})");
  CHECK(ask(c, R"({"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":null})") ==
        R"({"result":null,"id":null})");
  CHECK(venue.streams(id) == std::vector<std::string>{"ethusdt@depth", "btcusdt@depth@100ms"});
  CHECK(ask(c, R"({"method":"GET_PROPERTY","params":["combined"],"id":2})") ==
        R"({"result":false,"id":2})");

  // A raw session gets the payload itself; the unsubscribed trade stream sends nothing, so the
  // depth update is the next message.
  venue.publish_trade("btcusdt", "100.5", "2");
  venue.publish_depth("btcusdt", {{"100.5", "1"}}, {});
  auto d = parse(c.read().data);
  CHECK(std::string{d["e"].GetString()} == "depthUpdate");
  CHECK(std::string{d["s"].GetString()} == "BTCUSDT");
}

TEST_CASE("combined streams wrap payloads, and SET_PROPERTY combined switches the wrapper") {
  binance_simulator venue{quiet()};
  plain_client c;
  auto id = open(c, venue, "/stream?streams=btcusdt@trade/ethusdt@trade");
  CHECK(venue.streams(id) == std::vector<std::string>{"btcusdt@trade", "ethusdt@trade"});
  CHECK(ask(c, R"({"method":"GET_PROPERTY","params":["combined"],"id":1})") ==
        R"({"result":true,"id":1})");

  venue.publish_trade("btcusdt", "100.5", "2", true);
  auto wrapped = parse(c.read().data);
  CHECK(std::string{wrapped["stream"].GetString()} == "btcusdt@trade");
  const auto& trade = wrapped["data"];
  CHECK(std::string{trade["e"].GetString()} == "trade");
  CHECK(std::string{trade["s"].GetString()} == "BTCUSDT");
  CHECK(trade["t"].GetInt64() == 1);
  CHECK(std::string{trade["p"].GetString()} == "100.5");
  CHECK(std::string{trade["q"].GetString()} == "2");
  CHECK(trade["m"].GetBool());
  CHECK(std::abs(trade["E"].GetInt64() - now_ms()) < 60000);

  CHECK(ask(c, R"({"method":"SET_PROPERTY","params":["combined",false],"id":2})") ==
        R"({"result":null,"id":2})");
  venue.publish_trade("ethusdt", "10", "1");
  auto raw = parse(c.read().data);
  CHECK(std::string{raw["e"].GetString()} == "trade");
  CHECK(std::string{raw["s"].GetString()} == "ETHUSDT");
  CHECK(raw["t"].GetInt64() == 1); // trade ids count per symbol
}

TEST_CASE("bad requests get nested errors: invalid stream, unknown method, invalid JSON, bad id") {
  binance_simulator venue{quiet()};
  plain_client c;
  auto id = open(c, venue, "/ws");

  CHECK(ask(c, R"({"method":"SUBSCRIBE","params":["BTCUSDT@trade"],"id":1})") ==
        R"({"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":1})");
  CHECK(ask(c, R"({"method":"SUBSCRIBE","params":["btcusdt@trade","btcusdt@trades"],"id":2})") ==
        R"({"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":2})");
  auto unknown = parse(ask(c, R"({"method":"PING","id":3})"));
  CHECK(code_of(unknown) == 2);
  CHECK(msg_of(unknown).rfind("Invalid request: unknown variant `PING`", 0) == 0);
  CHECK(unknown["id"].GetInt() == 3);

  auto bad_json = parse(ask(c, R"({"method":"SUBSCRIBE","id":)"));
  CHECK(code_of(bad_json) == 3);
  CHECK(bad_json["id"].IsNull());
  for (const char* bad_id :
       {"1.5", R"("has-dash")", R"("0123456789012345678901234567890123456")", "true", "[1]"}) {
    auto reply =
        parse(ask(c, std::string{R"({"method":"LIST_SUBSCRIPTIONS","id":)"} + bad_id + "}"));
    CHECK_MESSAGE(code_of(reply) == 2, bad_id);
    CHECK(reply["id"].IsNull());
  }
  CHECK(ask(c, R"({"id":4})") ==
        R"({"error":{"code":2,"msg":"Invalid request: missing field `method`"},"id":4})");
  CHECK(code_of(parse(ask(c, R"({"method":"LIST_SUBSCRIPTIONS"})"))) == 2); // no id at all
  CHECK(ask(c, R"({"method":"SET_PROPERTY","params":["combined","yes"],"id":5})") ==
        R"({"error":{"code":1,"msg":"Invalid value type: expected Boolean"},"id":5})");
  CHECK(ask(c, R"({"method":"GET_PROPERTY","params":["speed"],"id":6})") ==
        R"({"error":{"code":0,"msg":"Unknown property"},"id":6})");
  CHECK(venue.streams(id).empty()); // nothing of a failed SUBSCRIBE is subscribed

  // A well-formed stream of an unknown symbol is accepted, as on the venue, and stays silent.
  CHECK(ask(c, R"({"method":"SUBSCRIBE","params":["xyzusdt@trade"],"id":7})") ==
        R"({"result":null,"id":7})");
  CHECK_THROWS_AS(venue.publish_trade("xyzusdt", "1", "1"), std::invalid_argument);
}

TEST_CASE("upgrades: unknown paths get 404, invalid or too many URL streams 400") {
  auto options = quiet();
  options.max_streams = 2;
  binance_simulator venue{options};
  auto status = [&](const std::string& target) {
    plain_client c;
    REQUIRE_OK(c.connect(venue.port()));
    websocket::response_type res;
    auto ec = c.upgrade("127.0.0.1", target, &res);
    return ec ? res.result_int() : 101;
  };
  CHECK(status("/ws") == 101);
  CHECK(status("/ws/btcusdt@aggTrade") == 101);
  CHECK(status("/ws/btcusdt%40kline_1m") == 101); // an escaped '@' is the same name
  CHECK(status("/stream") == 101);
  CHECK(status("/ws-api/v3") == 101);
  CHECK(status("/api/v3") == 404);
  CHECK(status("/ws/BTCUSDT@trade") == 400);
  CHECK(status("/ws/btcusdt@trade/ethusdt@trade") == 400); // raw paths take one stream
  CHECK(status("/stream?streams=btcusdt@trade/ethusdt@trade") == 101);
  CHECK(status("/stream?streams=btcusdt@trade/ethusdt@trade/bnbbtc@trade") == 400);
  // The client may read its 101 before the server's side of the upgrade has completed.
  CHECK(
      venue.wait_for([](const binance_counters& k) { return k.sessions_opened == 6; }, wait_time));
  auto c = venue.counters();
  CHECK(c.refused_upgrades == 4);
  CHECK(c.stream_limit_rejections == 1);
}

// -- streams: limits -----------------------------------------------------------------------------

TEST_CASE("a sixth frame within a second closes the connection with 1008 Too many requests") {
  auto options = quiet();
  options.max_incoming_per_second = 5;
  binance_simulator venue{options};
  plain_client c;
  open(c, venue, "/ws");
  for (int i = 0; i < 6; ++i)
    REQUIRE_OK(c.write(R"({"method":"LIST_SUBSCRIPTIONS","id":)" + std::to_string(i) + "}"));
  for (int i = 0; i < 5; ++i)
    CHECK(c.read().data == R"({"result":[],"id":)" + std::to_string(i) + "}");
  CHECK(read_until_closed(c) == 1008);
  CHECK(std::string{c.ws.reason().reason.c_str()} == "Too many requests");
  CHECK(venue.counters().rate_limit_closes == 1);
}

TEST_CASE("pings and pongs from the client count against the incoming limit") {
  auto options = quiet();
  options.max_incoming_per_second = 5;
  binance_simulator venue{options};
  plain_client c;
  open(c, venue, "/ws");
  for (int i = 0; i < 3; ++i) {
    REQUIRE_OK(c.run([&](auto h) { c.ws.async_ping({}, std::move(h)); }));
    REQUIRE_OK(c.run([&](auto h) { c.ws.async_pong({}, std::move(h)); }));
  }
  CHECK(read_until_closed(c) == 1008);
  auto counters = venue.counters();
  CHECK(counters.rate_limit_closes == 1);
  CHECK(counters.unsolicited_pongs == 2); // the third pong was the sixth frame: it closed
}

TEST_CASE("four frames a second, twice, stay within the incoming limit") {
  auto options = quiet();
  options.max_incoming_per_second = 5;
  binance_simulator venue{options};
  plain_client c;
  open(c, venue, "/ws");
  for (int burst = 0; burst < 2; ++burst) {
    if (burst > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds{1100});
    for (int i = 0; i < 4; ++i)
      CHECK(ask(c, R"({"method":"LIST_SUBSCRIPTIONS","id":1})") == R"({"result":[],"id":1})");
  }
  CHECK(venue.counters().rate_limit_closes == 0);
}

TEST_CASE("SUBSCRIBE beyond max_streams is refused whole, with code 2") {
  auto options = quiet();
  options.max_streams = 3;
  binance_simulator venue{options};
  plain_client c;
  auto id = open(c, venue, "/stream?streams=btcusdt@trade/ethusdt@trade");
  auto refused =
      parse(ask(c, R"({"method":"SUBSCRIBE","params":["bnbbtc@trade","btcusdt@depth"],"id":1})"));
  CHECK(code_of(refused) == 2);
  CHECK(msg_of(refused).find("too many streams") != std::string::npos);
  CHECK(venue.streams(id).size() == 2);
  // Streams already subscribed do not count twice.
  CHECK(ask(c, R"({"method":"SUBSCRIBE","params":["bnbbtc@trade","btcusdt@trade"],"id":2})") ==
        R"({"result":null,"id":2})");
  CHECK(venue.streams(id).size() == 3);
  CHECK(venue.counters().stream_limit_rejections == 1);
}

// -- connections: pings and lifetime -------------------------------------------------------------

TEST_CASE("the server pings every ping_interval and the client's automatic pongs keep it open") {
  auto options = quiet();
  options.ping_interval = std::chrono::milliseconds{50};
  options.pong_timeout = std::chrono::milliseconds{200};
  binance_simulator venue{options};
  plain_client c;
  open(c, venue, "/ws/btcusdt@trade");
  auto seen = pump(c, std::chrono::milliseconds{1000}); // 5 pong timeouts
  CHECK_MESSAGE(!seen.ended, seen.ended.message());
  CHECK(seen.pings.size() >= 3);
  CHECK(std::set<std::string>(seen.pings.begin(), seen.pings.end()).size() == seen.pings.size());
  auto counters = venue.counters();
  CHECK(counters.pings_sent >= seen.pings.size());
  CHECK(counters.pongs_received >= 3);
  CHECK(counters.pong_timeout_closes == 0);
}

TEST_CASE("a client that stops reading never pongs and is closed after pong_timeout with 1008") {
  auto options = quiet();
  options.ping_interval = std::chrono::milliseconds{50};
  options.pong_timeout = std::chrono::milliseconds{200};
  binance_simulator venue{options};
  plain_client c;
  const auto t0 = clock_type::now();
  open(c, venue, "/ws/btcusdt@trade");
  // Beast answers pings only while reading. Unsolicited pongs (empty, as Binance recommends)
  // go out meanwhile: they must not keep the connection alive.
  auto closed = [](const binance_counters& k) { return k.pong_timeout_closes > 0; };
  while (!venue.wait_for(closed, std::chrono::milliseconds{50}) && since(t0) < wait_time)
    REQUIRE_OK(c.run([&](auto h) { c.ws.async_pong({}, std::move(h)); }));
  CHECK(since(t0) >= std::chrono::milliseconds{250}); // first ping at 50 ms, then 200 ms
  CHECK(venue.counters().pong_timeout_closes == 1);
  CHECK(venue.counters().unsolicited_pongs >= 1);
  CHECK(read_until_closed(c) == 1008);
  CHECK(std::string{c.ws.reason().reason.c_str()} == "Pong timeout");
}

TEST_CASE("at the lifetime's end the server closes with 1001, after serverShutdown if asked") {
  auto options = quiet();
  options.lifetime = std::chrono::milliseconds{300};
  options.shutdown_notice = std::chrono::milliseconds{150};
  binance_simulator venue{options};
  plain_client raw;
  plain_client combined;
  plain_client api;
  const auto t0 = clock_type::now();
  open(raw, venue, "/ws/btcusdt@trade", 1);
  open(combined, venue, "/stream?streams=btcusdt@trade", 2);
  open(api, venue, "/ws-api/v3", 3);

  auto notice = parse(raw.read().data);
  CHECK(since(t0) >= std::chrono::milliseconds{150});
  CHECK(std::string{notice["e"].GetString()} == "serverShutdown");
  CHECK(std::abs(notice["E"].GetInt64() - now_ms()) < 60000);
  auto wrapped = parse(combined.read().data);
  CHECK(std::string{wrapped["stream"].GetString()} == "!serverShutdown");
  CHECK(std::string{wrapped["data"]["e"].GetString()} == "serverShutdown");
  auto event = parse(api.read().data);
  CHECK(std::string{event["event"]["e"].GetString()} == "serverShutdown");

  for (auto* c : {&raw, &combined, &api})
    CHECK(read_until_closed(*c) == 1001);
  CHECK(since(t0) >= std::chrono::milliseconds{300});
  CHECK(venue.wait_for([](const binance_counters& k) { return k.open_sessions == 0; }, wait_time));
  auto counters = venue.counters();
  CHECK(counters.lifetime_closes == 3);
  CHECK(counters.shutdown_notices == 3);
}

// -- market data: depth ----------------------------------------------------------------------

TEST_CASE("depth updates chain U to the previous u, gaps and overlaps come when injected") {
  binance_simulator venue{quiet()};
  plain_client c;
  open(c, venue, "/ws/btcusdt@depth@100ms");
  auto next_update = [&] {
    auto d = parse(c.read().data);
    REQUIRE(std::string{d["e"].GetString()} == "depthUpdate");
    return std::pair{d["U"].GetInt64(), d["u"].GetInt64()};
  };

  venue.publish_depth("btcusdt", {{"100.0", "1"}, {"99.5", "2"}}, {{"101.0", "3"}});
  CHECK(next_update() == std::pair<std::int64_t, std::int64_t>{1001, 1003});
  venue.publish_depth("btcusdt", {{"100.0", "0"}}, {});
  CHECK(next_update() == std::pair<std::int64_t, std::int64_t>{1004, 1004});
  venue.skip_depth("btcusdt", {}, {{"102.0", "5"}}); // lost: id 1005
  venue.publish_depth("btcusdt", {{"99.0", "1"}}, {});
  CHECK(next_update() == std::pair<std::int64_t, std::int64_t>{1006, 1006}); // gap: 1005
  venue.overlap_next_depth("btcusdt", 2);
  venue.publish_depth("btcusdt", {{"98.0", "1"}}, {});
  CHECK(next_update() == std::pair<std::int64_t, std::int64_t>{1005, 1007});
  CHECK(venue.last_update_id("btcusdt") == 1007);
  CHECK(venue.last_update_id("ethusdt") == 1000); // ids are per symbol
  CHECK_THROWS_AS(venue.publish_depth("btcusdt", {{"abc", "1"}}, {}), std::invalid_argument);
  CHECK(venue.last_update_id("btcusdt") == 1007);

  // The WS API snapshot is the book these updates built, the lost level included.
  plain_client api;
  open(api, venue, "/ws-api/v3", 2);
  auto snapshot =
      parse(ask(api, request("1", "depth", {{"symbol", quoted("BTCUSDT")}, {"limit", "2"}})));
  REQUIRE(status_of(snapshot) == 200);
  const auto& book = snapshot["result"];
  CHECK(book["lastUpdateId"].GetInt64() == 1007);
  REQUIRE(book["bids"].Size() == 2); // limit 2 of 99.5, 99.0, 98.0
  CHECK(std::string{book["bids"][0][0].GetString()} == "99.5");
  CHECK(std::string{book["bids"][0][1].GetString()} == "2");
  CHECK(std::string{book["bids"][1][0].GetString()} == "99.0");
  REQUIRE(book["asks"].Size() == 2);
  CHECK(std::string{book["asks"][0][0].GetString()} == "101.0");
  CHECK(std::string{book["asks"][1][0].GetString()} == "102.0");
  CHECK(std::string{book["asks"][1][1].GetString()} == "5");
}

// -- WS API ----------------------------------------------------------------------------------

TEST_CASE("WS API: ping, time and depth answer with rateLimits counting the weight") {
  binance_simulator venue{quiet()};
  plain_client c;
  open(c, venue, "/ws-api/v3");

  auto ping = parse(ask(c, R"({"id":1,"method":"ping"})"));
  CHECK(status_of(ping) == 200);
  CHECK(ping["id"].GetInt() == 1);
  CHECK(ping["result"].IsObject());
  CHECK(ping["result"].MemberCount() == 0);
  const auto& limit = ping["rateLimits"][0];
  CHECK(std::string{limit["rateLimitType"].GetString()} == "REQUEST_WEIGHT");
  CHECK(std::string{limit["interval"].GetString()} == "MINUTE");
  CHECK(limit["intervalNum"].GetInt() == 1);
  CHECK(limit["limit"].GetInt() == 6000);
  CHECK(limit["count"].GetInt() == 3); // connecting costs 2

  auto time = parse(ask(c, R"({"id":"t1","method":"v3/time"})"));
  CHECK(std::string{time["id"].GetString()} == "t1");
  CHECK(std::abs(time["result"]["serverTime"].GetInt64() - now_ms()) < 60000);
  CHECK(weight_count(time) == 4);

  auto quiet_time =
      parse(ask(c, R"({"id":3,"method":"time","params":{"returnRateLimits":false}})"));
  CHECK(status_of(quiet_time) == 200);
  CHECK_FALSE(quiet_time.HasMember("rateLimits"));
  CHECK(venue.counters().weight_used == 5);

  auto depth =
      parse(ask(c, request("4", "depth", {{"symbol", quoted("ETHUSDT")}, {"limit", "500"}})));
  CHECK(depth["result"]["lastUpdateId"].GetInt64() == 1000);
  CHECK(weight_count(depth) == 30); // limit 101-500 weighs 25

  auto unknown = parse(ask(c, R"({"id":5,"method":"order.teleport"})"));
  CHECK(status_of(unknown) == 400);
  CHECK(code_of(unknown) == -1020);
  CHECK(weight_count(unknown) == 30); // unknown methods are not charged
  auto lower = parse(ask(c, request("6", "depth", {{"symbol", quoted("btcusdt")}})));
  CHECK(code_of(lower) == -1100);
  auto unlisted = parse(ask(c, request("7", "depth", {{"symbol", quoted("XYZUSDT")}})));
  CHECK(code_of(unlisted) == -1121);
  CHECK(weight_count(unlisted) == 40); // failures are charged
  auto bad = parse(ask(c, R"({"id":8,"method":)"));
  CHECK(code_of(bad) == -1135);
  CHECK(bad["id"].IsNull());
  CHECK(code_of(parse(ask(c, R"({"id":9,"method":"depth","params":{}})"))) == -1102);
}

TEST_CASE("WS API: ?returnRateLimits=false hides rateLimits unless a request asks for them") {
  binance_simulator venue{quiet()};
  plain_client c;
  open(c, venue, "/ws-api/v3?returnRateLimits=false");
  CHECK_FALSE(parse(ask(c, R"({"id":1,"method":"ping"})")).HasMember("rateLimits"));
  auto asked = parse(ask(c, R"({"id":2,"method":"ping","params":{"returnRateLimits":true}})"));
  CHECK(weight_count(asked) == 4);
}

TEST_CASE("WS API: signed requests pass with the right HMAC and fail with -1022, -1021, -2015") {
  binance_simulator venue{quiet()};
  plain_client c;
  open(c, venue, "/ws-api/v3");

  auto placed = parse(ask(c, request("1", "order.place", order_params(now_ms()), doc_secret)));
  REQUIRE_MESSAGE(status_of(placed) == 200, msg_of(placed));
  const auto& order = placed["result"];
  CHECK(std::string{order["symbol"].GetString()} == "BTCUSDT");
  CHECK(order["orderId"].GetInt64() == 1);
  CHECK(order["orderListId"].GetInt() == -1);
  CHECK(std::string{order["status"].GetString()} == "NEW");
  CHECK(std::string{order["price"].GetString()} == "52000.50000000");
  CHECK(std::string{order["origQty"].GetString()} == "0.01000000");
  CHECK(std::string{order["side"].GetString()} == "BUY");
  CHECK(order["fills"].IsArray());

  // Signature case does not matter; a changed character does.
  auto upper = request("2", "account.status",
                       {{"timestamp", std::to_string(now_ms())}, {"apiKey", quoted(doc_api_key)}},
                       doc_secret);
  for (auto pos = upper.find("signature") + 12; upper[pos] != '"'; ++pos)
    upper[pos] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[pos])));
  auto status = parse(ask(c, upper));
  CHECK(status_of(status) == 200);
  CHECK(status["result"]["canTrade"].GetBool());
  auto tampered = request("3", "order.place", order_params(now_ms()), doc_secret);
  tampered.replace(tampered.find("52000.5"), 7, "52000.6");
  auto bad_signature = parse(ask(c, tampered));
  CHECK(status_of(bad_signature) == 400);
  CHECK(code_of(bad_signature) == -1022);

  auto stale =
      parse(ask(c, request("4", "order.place", order_params(now_ms() - 10000), doc_secret)));
  CHECK(code_of(stale) == -1021);
  CHECK(msg_of(stale) == "Timestamp for this request is outside of the recvWindow.");
  auto ahead =
      parse(ask(c, request("5", "order.place", order_params(now_ms() + 5000), doc_secret)));
  CHECK(code_of(ahead) == -1021);
  CHECK(msg_of(ahead).find("ahead") != std::string::npos);

  auto stranger =
      parse(ask(c, request("6", "order.place", order_params(now_ms(), "nokey"), doc_secret)));
  CHECK(status_of(stranger) == 401);
  CHECK(code_of(stranger) == -2015);
  auto params = order_params(now_ms());
  params.erase(params.begin() + 7); // timestamp
  auto unstamped = parse(ask(c, request("7", "order.place", params, doc_secret)));
  CHECK(code_of(unstamped) == -1102);
  CHECK(msg_of(unstamped).find("'timestamp'") != std::string::npos);
  params = order_params(now_ms());
  params[6].json = "70000"; // recvWindow
  CHECK(code_of(parse(ask(c, request("8", "order.place", params, doc_secret)))) == -1102);

  // Signed over the params in the order sent instead of sorted: not what the venue verifies.
  params = order_params(now_ms());
  std::string unsorted;
  for (const auto& p : params)
    unsorted += (unsorted.empty() ? "" : "&") + p.name + "=" +
                (p.json.front() == '"' ? p.json.substr(1, p.json.size() - 2) : p.json);
  params.push_back({"signature", quoted(binance_hmac_sha256_hex(doc_secret, unsorted))});
  CHECK(code_of(parse(ask(c, request("9", "order.place", params)))) == -1022);
}

TEST_CASE("WS API: order.cancel removes a resting order once") {
  binance_simulator venue{quiet()};
  plain_client c;
  open(c, venue, "/ws-api/v3");
  auto params = order_params(now_ms());
  params.push_back({"newClientOrderId", quoted("mine1")});
  REQUIRE(status_of(parse(ask(c, request("1", "order.place", params, doc_secret)))) == 200);
  params.back().json = quoted("mine1"); // the same client id again, still open
  params[7].json = std::to_string(now_ms());
  CHECK(code_of(parse(ask(c, request("2", "order.place", params, doc_secret)))) == -2010);

  auto cancel = [&](const char* id) {
    return parse(ask(c, request(id, "order.cancel",
                                {{"symbol", quoted("BTCUSDT")},
                                 {"origClientOrderId", quoted("mine1")},
                                 {"timestamp", std::to_string(now_ms())},
                                 {"apiKey", quoted(doc_api_key)}},
                                doc_secret)));
  };
  auto canceled = cancel("3");
  REQUIRE(status_of(canceled) == 200);
  CHECK(std::string{canceled["result"]["status"].GetString()} == "CANCELED");
  CHECK(std::string{canceled["result"]["origClientOrderId"].GetString()} == "mine1");
  auto again = cancel("4");
  CHECK(code_of(again) == -2011);
  CHECK(msg_of(again) == "Unknown order sent.");
}

TEST_CASE("WS API: over the weight limit 429 with retryAfter, and the next window serves again") {
  auto options = quiet();
  options.weight_limit = 10;
  options.weight_window = std::chrono::milliseconds{1000};
  binance_simulator venue{options};
  plain_client c;
  open(c, venue, "/ws-api/v3");
  // Pings until refused: at most 10 fit in one window, whichever window the loop starts in.
  std::optional<rapidjson::Document> refused;
  for (int i = 0; i < 30 && !refused; ++i) {
    auto reply = parse(ask(c, R"({"id":1,"method":"ping"})"));
    if (status_of(reply) != 200)
      refused = std::move(reply);
  }
  REQUIRE(refused);
  CHECK(status_of(*refused) == 429);
  CHECK(code_of(*refused) == -1003);
  CHECK(weight_count(*refused) == 10); // refused requests are not charged
  const auto& data = (*refused)["error"]["data"];
  const auto retry_after = data["retryAfter"].GetInt64();
  CHECK(retry_after > data["serverTime"].GetInt64());
  CHECK(retry_after - data["serverTime"].GetInt64() <= 1000);
  CHECK(venue.counters().rate_limited_requests == 1);

  std::this_thread::sleep_for(std::chrono::milliseconds{retry_after - venue.server_time() + 20});
  auto served = parse(ask(c, R"({"id":2,"method":"ping"})"));
  CHECK(status_of(served) == 200);
  CHECK(weight_count(served) < 10);
}

TEST_CASE("WS API: repeated 429s ban the IP: 418, the session closed, new upgrades refused") {
  auto options = quiet();
  options.weight_limit = 3;
  options.ban_after_429s = 2;
  binance_simulator venue{options};
  plain_client c;
  open(c, venue, "/ws-api/v3");                                          // 2
  CHECK(status_of(parse(ask(c, R"({"id":1,"method":"ping"})"))) == 200); // 3
  CHECK(status_of(parse(ask(c, R"({"id":2,"method":"ping"})"))) == 429);
  auto banned = parse(ask(c, R"({"id":3,"method":"ping"})"));
  CHECK(status_of(banned) == 418);
  CHECK(code_of(banned) == -1003);
  CHECK(msg_of(banned).find("IP banned until") != std::string::npos);
  CHECK(read_until_closed(c) == 1008);
  CHECK(venue.counters().ban_closes == 1);

  plain_client late;
  REQUIRE_OK(late.connect(venue.port()));
  websocket::response_type res;
  CHECK(late.upgrade("127.0.0.1", "/ws-api/v3", &res) == websocket::error::upgrade_declined);
  CHECK(res.result_int() == 418);
}

// -- test_server hooks (what the simulator is built on) --------------------------------------

TEST_CASE("test_server hooks see the target, client pings and pongs, ends, and may refuse") {
  test_server server;
  server.silent();
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> seen;
  auto record = [&](std::string event) {
    std::lock_guard<std::mutex> lock{mutex};
    seen.push_back(std::move(event));
    changed.notify_all();
  };
  session_hooks hooks;
  hooks.screen = [](const upgrade_request& r) {
    return r.target == "/no" ? upgrade_verdict{403, "go away"} : upgrade_verdict{};
  };
  hooks.on_open = [&](const upgrade_request& r) { record("open " + r.target); };
  hooks.on_control = [&](session_id, bool is_ping, const std::string& payload) {
    record((is_ping ? "ping " : "pong ") + payload);
  };
  hooks.on_end = [&](const session_end& end) { record("end " + std::to_string(end.code)); };
  server.set_hooks(hooks);

  plain_client refused;
  REQUIRE_OK(refused.connect(server.port()));
  websocket::response_type res;
  CHECK(refused.upgrade("127.0.0.1", "/no", &res) == websocket::error::upgrade_declined);
  CHECK(res.result_int() == 403);
  CHECK(res.body() == "go away");

  plain_client c;
  REQUIRE_OK(c.connect(server.port()));
  REQUIRE_OK(c.upgrade("127.0.0.1", "/ws?x=1"));
  auto id = server.wait_for_sessions(1, wait_time);
  REQUIRE(id);
  REQUIRE_OK(c.run([&](auto h) { c.ws.async_ping("p1", std::move(h)); }));
  REQUIRE_OK(c.run([&](auto h) { c.ws.async_pong("p2", std::move(h)); }));
  CHECK(server.wait_for_pong(*id, "p2", wait_time));
  REQUIRE_OK(c.close(4000));
  std::unique_lock<std::mutex> lock{mutex};
  CHECK(changed.wait_for(lock, wait_time, [&] { return seen.size() >= 4; }));
  CHECK(seen == std::vector<std::string>{"open /ws?x=1", "ping p1", "pong p2", "end 4000"});
}
