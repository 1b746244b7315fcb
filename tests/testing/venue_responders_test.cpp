// The kit's OKX, Bybit and Ethereum venue responders, installed on a real test_server and driven
// by a raw Beast client (tests/testing/ws_test_client.hpp). Signatures are computed here with
// OpenSSL, and pinned to values computed with the openssl command line.

#include "testing/ws_test_client.hpp"

#include <zenws/testing/bybit_venue.hpp>
#include <zenws/testing/ethereum_venue.hpp>
#include <zenws/testing/okx_venue.hpp>
#include <zenws/testing/test_server.hpp>

#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>

#include <atomic>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

using namespace zenws::testing;
using namespace zenws_test;

#define REQUIRE_OK(ec) REQUIRE_MESSAGE(!(ec), (ec).message())

namespace {

constexpr std::chrono::milliseconds wait_time{2000};

// -- signatures, computed independently of the venues --------------------------------------------

std::string hmac_sha256(const std::string& key, const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
               reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest,
               &length) != nullptr);
  return {reinterpret_cast<const char*>(digest), length};
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string hex(const std::string& bytes) {
  std::string out;
  char two[3];
  for (unsigned char b : bytes) {
    std::snprintf(two, sizeof two, "%02x", b);
    out += two;
  }
  return out;
}

std::string okx_sign(const std::string& secret, const std::string& timestamp) {
  return base64(hmac_sha256(secret, timestamp + "GET/users/self/verify"));
}

std::string bybit_sign(const std::string& secret, std::int64_t expires) {
  return hex(hmac_sha256(secret, "GET/realtime" + std::to_string(expires)));
}

// -- a client of the venue -----------------------------------------------------------------------

/// One raw client connected to `server`; ask() sends a text frame and reads one reply.
struct venue_client {
  /// `first`, when given, is asked at once: a session gets its connId with its first frame, and
  /// the expected answers quote it (CHECK(ask() == expected) may build `expected` first).
  venue_client(test_server& server, std::size_t nth, const std::string& first = {}) {
    REQUIRE_OK(client.connect(server.port()));
    REQUIRE_OK(client.upgrade("127.0.0.1", "/"));
    const auto id = server.wait_for_sessions(nth, wait_time);
    REQUIRE(id);
    session = *id;
    if (!first.empty())
      ask(first);
  }

  void send(const std::string& text, bool binary = false) {
    REQUIRE_OK(client.write(text, binary));
  }
  std::string read() {
    auto m = client.read(wait_time);
    REQUIRE_OK(m.ec);
    CHECK_FALSE(m.binary);
    return m.data;
  }
  std::string ask(const std::string& text) {
    send(text);
    return read();
  }

  ws_client<false> client;
  session_id session = 0;
};

/// The string member `name` of the JSON object `text` ("" when there is none).
std::string member(const std::string& text, const char* name) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  if (!doc.IsObject())
    return {};
  const auto it = doc.FindMember(name);
  return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

} // namespace

// -- OKX -----------------------------------------------------------------------------------------

namespace {

constexpr std::int64_t okx_now = 1704876947;

/// An OKX venue on a fake clock (`now`, seconds) with its state observable.
struct okx_fixture {
  explicit okx_fixture(okx_venue_options options = {}) {
    options.now_seconds = [this] { return now.load(); };
    options.state = state;
    server.set_responder(okx_venue(std::move(options)));
  }

  std::string login(const std::string& timestamp, const std::string& sign,
                    const std::string& key = "okx-key", const std::string& pass = "okx-pass") {
    return R"({"id":"L1","op":"login","args":[{"apiKey":")" + key + R"(","passphrase":")" + pass +
           R"(","timestamp":")" + timestamp + R"(","sign":")" + sign + R"("}]})";
  }
  std::string good_login(std::int64_t at = okx_now) {
    const auto ts = std::to_string(at);
    return login(ts, okx_sign("okx-secret", ts));
  }
  std::string error(const std::string& id, const std::string& code, const std::string& msg,
                    session_id session) const {
    const auto id_member = id.empty() ? std::string{} : R"("id":")" + id + R"(",)";
    return "{" + id_member + R"("event":"error","code":")" + code + R"(","msg":")" + msg +
           R"(","connId":")" + state->session(session).conn_id + R"("})";
  }

  std::atomic<std::int64_t> now{okx_now}; // outlives the server, which calls it
  std::shared_ptr<okx_venue_state> state = std::make_shared<okx_venue_state>();
  test_server server;
};

} // namespace

TEST_CASE("okx: the login sign is Base64(HMAC-SHA256(secret, ts + GET + /users/self/verify))") {
  // printf '1704876947GET/users/self/verify' | openssl dgst -sha256 -hmac okx-secret -binary |
  //   base64
  CHECK(okx_sign("okx-secret", "1704876947") == "gIrMHxAvQi8W1PvLsUHA9UwRf4ItBZcPJOuEAuhRIoI=");
}

TEST_CASE("okx: text ping gets text pong, anything else must be a JSON request with an op") {
  okx_fixture f;
  venue_client c{f.server, 1};
  CHECK(c.ask("ping") == "pong");
  const auto conn = f.state->session(c.session).conn_id;
  CHECK(std::regex_match(conn, std::regex{"[0-9a-f]{8}"}));
  CHECK(c.ask("hello") == f.error("", "60012", "Invalid request: hello", c.session));
  CHECK(c.ask(R"({"id":"7","args":[]})") ==
        f.error("", "60012", R"(Invalid request: {\"id\":\"7\",\"args\":[]})", c.session));
  CHECK(member(c.ask(R"({"id":"x-1","op":"subscribe","args":[]})"), "code") == "60012");
  CHECK(member(c.ask(R"({"id":"123456789012345678901234567890123","op":"subscribe","args":[]})"),
               "code") == "60012");
  CHECK(member(c.ask(R"({"op":"subscribe","args":{}})"), "code") == "60012");
  CHECK(c.ask(R"({"id":"9","op":"cancel-order","args":[]})") ==
        f.error("9", "60019", "Invalid op: cancel-order", c.session));
  c.send("ping", true); // binary: no answer, so the next reply is the pong
  CHECK(c.ask("ping") == "pong");
  CHECK(f.state->session(c.session).conn_id == conn);
}

TEST_CASE("okx: login checks args, key, passphrase, timestamp and sign in that order") {
  okx_fixture f;
  venue_client c{f.server, 1, "ping"};
  const auto ts = std::to_string(okx_now);
  const auto sign = okx_sign("okx-secret", ts);
  const auto s = c.session;
  CHECK(c.ask(R"({"id":"L1","op":"login","args":[]})") == f.error("", "60013", "Invalid args", s));
  CHECK(c.ask(R"({"op":"login","args":[{"apiKey":"okx-key","passphrase":"okx-pass",)"
              R"("timestamp":"1704876947"}]})") == f.error("", "60013", "Invalid args", s));
  CHECK(c.ask(f.login("x", "bad", "other", "wrong")) ==
        f.error("", "60005", "Invalid OK-ACCESS-KEY", s));
  CHECK(c.ask(f.login("x", "bad", "okx-key", "wrong")) ==
        f.error("", "60024", "Wrong passphrase", s));
  CHECK(c.ask(f.login("17048769x7", "bad")) == f.error("", "60004", "Invalid timestamp", s));
  CHECK(c.ask(f.login(ts + "000", okx_sign("okx-secret", ts + "000"))) ==
        f.error("", "60006", "Timestamp request expired", s)); // milliseconds: far in the future
  CHECK(c.ask(f.good_login(okx_now - 31)) == f.error("", "60006", "Timestamp request expired", s));
  CHECK(c.ask(f.good_login(okx_now + 31)) == f.error("", "60006", "Timestamp request expired", s));
  CHECK(c.ask(f.login(ts, okx_sign("other-secret", ts))) ==
        f.error("", "60007", "Invalid sign", s));
  CHECK_FALSE(f.state->session(s).logged_in);

  const auto ok =
      R"({"event":"login","code":"0","msg":"","connId":")" + f.state->session(s).conn_id + R"("})";
  CHECK(c.ask(f.login(ts, sign)) == ok); // no "id": OKX's documented answers have none
  CHECK(f.state->session(s).logged_in);
  CHECK(c.ask(f.login(ts, sign)) ==
        f.error("", "60031", "The WebSocket endpoint does not allow multiple or repeated logins.",
                s));

  SUBCASE("the window is login_window_s either way, inclusive") {
    for (const auto at : {okx_now - 30, okx_now + 30}) {
      f.state->update(s, [](okx_session& session) { session.logged_in = false; });
      CHECK(c.ask(f.good_login(at)) == ok);
    }
  }
}

TEST_CASE("okx: echo_login_id puts the request's id on login answers") {
  okx_venue_options options;
  options.echo_login_id = true;
  okx_fixture f{options};
  venue_client c{f.server, 1, "ping"};
  CHECK(c.ask(f.login("1", "x", "nobody")) ==
        f.error("L1", "60005", "Invalid OK-ACCESS-KEY", c.session));
  CHECK(c.ask(f.good_login()) == R"({"id":"L1","event":"login","code":"0","msg":"","connId":")" +
                                     f.state->session(c.session).conn_id + R"("})");
}

TEST_CASE("okx: subscribe checks every arg first, then acks each arg as sent, in order") {
  okx_fixture f;
  venue_client c{f.server, 1, "ping"};
  const auto s = c.session;
  const auto conn = [&] { return f.state->session(s).conn_id; };
  const std::string good = R"({"channel":"tickers","instId":"BTC-USDT"})";

  // One error for the first bad arg, with the request's id; nothing subscribed.
  CHECK(c.ask(R"({"id":"1","op":"subscribe","args":[)" + good +
              R"(,{"channel":"candle1m","instId":"BTC-USDT"}]})") ==
        f.error("1", "60018", "Wrong URL or channel:candle1m,instId:BTC-USDT doesn't exist.", s));
  CHECK(c.ask(R"({"id":"2","op":"subscribe","args":[)" + good +
              R"(,{"channel":"books","instId":"DOGE-USDT"}]})") ==
        f.error("2", "60018", "Wrong URL or channel:books,instId:DOGE-USDT doesn't exist.", s));
  CHECK(c.ask(R"({"id":"3","op":"subscribe","args":[)" + good +
              R"(,{"channel":"orders","instType":"SPOT"}]})") ==
        f.error("3", "60011", "Please log in", s));
  CHECK(c.ask(R"({"id":"4","op":"subscribe","args":[)" + good + R"(,{"channel":"trades"}]})") ==
        f.error("4", "60013", "Invalid args", s));
  CHECK(c.ask(R"({"id":"5","op":"subscribe","args":[{"channel":"tickers","instId":1}]})") ==
        f.error("5", "60013", "Invalid args", s));
  CHECK(c.ask(R"({"id":"6","op":"subscribe","args":[]})") ==
        f.error("6", "60013", "Invalid args", s));
  CHECK(f.state->session(s).subscriptions.empty());

  // All good: one ack per arg, members in the order sent.
  const std::string books = R"({"instId":"ETH-USDT","channel":"books5"})";
  c.send(R"({"id":"7","op":"subscribe","args":[)" + good + "," + books + "]}");
  CHECK(c.read() ==
        R"({"id":"7","event":"subscribe","arg":)" + good + R"(,"connId":")" + conn() + R"("})");
  CHECK(c.read() ==
        R"({"id":"7","event":"subscribe","arg":)" + books + R"(,"connId":")" + conn() + R"("})");
  auto subs = f.state->session(s).subscriptions;
  REQUIRE(subs.size() == 2);
  CHECK(subs[0].channel == "tickers");
  CHECK(subs[0].inst_id == "BTC-USDT");
  CHECK(subs[1].channel == "books5");
  CHECK(subs[1].inst_id == "ETH-USDT");

  // Again: acked (no id this time), not duplicated.
  CHECK(c.ask(R"({"op":"subscribe","args":[)" + good + "]}") ==
        R"({"event":"subscribe","arg":)" + good + R"(,"connId":")" + conn() + R"("})");
  CHECK(f.state->session(s).subscriptions.size() == 2);

  // Unsubscribe: same checks, event "unsubscribe".
  CHECK(c.ask(R"({"id":"8","op":"unsubscribe","args":[{"channel":"nope","instId":"BTC-USDT"}]})") ==
        f.error("8", "60018", "Wrong URL or channel:nope,instId:BTC-USDT doesn't exist.", s));
  CHECK(c.ask(R"({"id":"9","op":"unsubscribe","args":[)" + good + "]}") ==
        R"({"id":"9","event":"unsubscribe","arg":)" + good + R"(,"connId":")" + conn() + R"("})");
  subs = f.state->session(s).subscriptions;
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].channel == "books5");

  // Private channels after login; instId optional there but checked when given.
  REQUIRE(member(c.ask(f.good_login()), "event") == "login");
  const std::string orders = R"({"channel":"orders","instType":"SPOT"})";
  CHECK(c.ask(R"({"id":"10","op":"subscribe","args":[)" + orders + "]}") ==
        R"({"id":"10","event":"subscribe","arg":)" + orders + R"(,"connId":")" + conn() + R"("})");
  CHECK(member(c.ask(R"({"id":"11","op":"subscribe","args":[{"channel":"positions",)"
                     R"("instType":"SWAP","instId":"XRP-USDT-SWAP"}]})"),
               "code") == "60018");
  CHECK(f.state->session(s).subscriptions.size() == 2);
}

TEST_CASE("okx: 480 login/subscribe/unsubscribe requests per session per sliding hour") {
  okx_fixture f;
  venue_client c{f.server, 1};
  venue_client other{f.server, 2};
  const std::string sub = R"({"id":"1","op":"subscribe","args":[{"channel":"tickers","instId":)"
                          R"("BTC-USDT"}]})";
  CHECK(member(c.ask(R"({"op":"login","args":[]})"), "code") == "60013"); // counts (1)
  for (int i = 1; i < 480; ++i)
    REQUIRE(member(c.ask(sub), "event") == "subscribe");
  CHECK(c.ask(sub) == f.error("1", "60014", "Requests too frequent.", c.session));
  CHECK(c.ask(f.good_login()) == f.error("", "60014", "Requests too frequent.", c.session));
  CHECK(member(c.ask(R"({"id":"2","op":"order","args":[{}]})"), "code") == "60011"); // not counted
  CHECK(member(other.ask(sub), "event") == "subscribe");                             // per session
  f.now = okx_now + 3599;
  CHECK(member(c.ask(sub), "code") == "60014");
  f.now = okx_now + 3600; // the first 480 are an hour old
  CHECK(member(c.ask(sub), "event") == "subscribe");
}

TEST_CASE("okx: orders need login and are checked field by field") {
  okx_fixture f;
  venue_client c{f.server, 1, "ping"};
  const auto order = [](const std::string& fields) {
    return R"({"id":"o1","op":"order","args":[{)" + fields + "}]}";
  };
  const std::string limit_buy =
      R"("instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","sz":"1","px":"100")";
  CHECK(c.ask(order(limit_buy)) == f.error("o1", "60011", "Please log in", c.session));
  REQUIRE(member(c.ask(f.good_login()), "event") == "login");

  const auto failed = [](const std::string& code, const std::string& msg) {
    return R"({"id":"o1","op":"order","code":"1","msg":"Operation failed.","data":[{"ordId":"",)"
           R"("clOrdId":"","tag":"","sCode":")" +
           code + R"(","sMsg":")" + msg + R"("}]})";
  };
  CHECK(c.ask(order(R"("instId":"DOGE-USDT","tdMode":"cash","side":"buy","ordType":"market",)"
                    R"("sz":"1")")) == failed("51001", "Instrument ID does not exist"));
  CHECK(c.ask(order(R"("instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"market")")) ==
        failed("51000", "Parameter sz error"));
  CHECK(c.ask(order(R"("instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit",)"
                    R"("sz":"1")")) == failed("51000", "Parameter px error"));
  CHECK(c.ask(order(R"("instId":"BTC-USDT","tdMode":"cash","side":"hold","ordType":"market",)"
                    R"("sz":"1")")) == failed("51000", "Parameter side error"));
  CHECK(c.ask(order(R"("instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"market",)"
                    R"("sz":"0")")) == failed("51000", "Parameter sz error"));
  CHECK(c.ask(R"({"id":"o2","op":"order","args":[{"instId":"BTC-USDT"},{"instId":"BTC-USDT"}]})") ==
        f.error("o2", "60013", "Invalid args", c.session));
  CHECK(f.state->session(c.session).orders.empty());

  CHECK(c.ask(order(limit_buy + R"(,"clOrdId":"mine1")")) ==
        R"({"id":"o1","op":"order","code":"0","msg":"","data":[{"ordId":"1","clOrdId":"mine1",)"
        R"("tag":"","sCode":"0","sMsg":"Order placed"}]})");
  CHECK(member(c.ask(order(R"("instId":"ETH-USDT","tdMode":"cross","side":"sell",)"
                           R"("ordType":"market","sz":"0.5")")),
               "code") == "0");
  const auto orders = f.state->session(c.session).orders;
  REQUIRE(orders.size() == 2);
  CHECK(orders[0].ord_id == "1");
  CHECK(orders[0].cl_ord_id == "mine1");
  CHECK(orders[0].px == "100");
  CHECK(orders[1].ord_id == "2");
  CHECK(orders[1].side == "sell");
}

TEST_CASE("okx: tests push data and the 64008 notice with test_server::send") {
  okx_fixture f;
  venue_client c{f.server, 1};
  REQUIRE(c.ask("ping") == "pong");
  const auto conn = f.state->session(c.session).conn_id;
  f.server.send(c.session, {0, false, okx_push("tickers", "BTC-USDT", R"([{"last":"42000.1"}])")});
  CHECK(c.read() ==
        R"({"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"last":"42000.1"}]})");
  f.server.send(c.session, {0, false, okx_push("books", "BTC-USDT", "[]", "snapshot")});
  CHECK(c.read() ==
        R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[]})");
  f.server.send(c.session, {0, false, okx_notice_64008(conn)});
  CHECK(c.read() == R"({"event":"notice","code":"64008","msg":"The connection will soon be closed )"
                    R"(for a service upgrade. Please reconnect.","connId":")" +
                        conn + R"("})");
}

// -- Bybit ---------------------------------------------------------------------------------------

namespace {

constexpr std::int64_t bybit_now = 1704876947000;
constexpr std::int64_t bybit_expires = bybit_now + 30000;

/// A Bybit venue on a fake clock (`now`, ms) with its state observable.
struct bybit_fixture {
  explicit bybit_fixture(bybit_venue_options options = {}) {
    options.now_ms = [this] { return now.load(); };
    options.state = state;
    server.set_responder(bybit_venue(std::move(options)));
  }
  static constexpr const char* ping = R"({"op":"ping"})";

  static bybit_venue_options private_endpoint() {
    bybit_venue_options options;
    options.private_endpoint = true;
    return options;
  }
  static std::string auth(const std::string& key, const std::string& expires,
                          const std::string& sign) {
    return R"({"req_id":"a1","op":"auth","args":[")" + key + R"(",)" + expires + R"(,")" + sign +
           R"("]})";
  }
  std::string status(bool success, const std::string& msg, const std::string& req_id,
                     const std::string& op, session_id session) const {
    return std::string{R"({"success":)"} + (success ? "true" : "false") + R"(,"ret_msg":")" + msg +
           R"(","conn_id":")" + state->session(session).conn_id + R"(","req_id":")" + req_id +
           R"(","op":")" + op + R"("})";
  }
  std::string auth_answer(bool success, const std::string& msg, session_id session) const {
    return std::string{R"({"success":)"} + (success ? "true" : "false") + R"(,"ret_msg":")" + msg +
           R"(","op":"auth","conn_id":")" + state->session(session).conn_id + R"("})";
  }

  std::atomic<std::int64_t> now{bybit_now};
  std::shared_ptr<bybit_venue_state> state = std::make_shared<bybit_venue_state>();
  test_server server;
};

} // namespace

TEST_CASE("bybit: the auth signature is hex(HMAC-SHA256(secret, GET/realtime + expires))") {
  // printf 'GET/realtime1704876977000' | openssl dgst -sha256 -hmac bybit-secret
  CHECK(bybit_sign("bybit-secret", bybit_expires) ==
        "5e9e1e221a24d01b7b837ab3c30dac8690a60672c03f3592ab228ea339a4026f");
}

TEST_CASE("bybit: ping answers differ between public and private endpoints") {
  SUBCASE("public") {
    bybit_fixture f;
    venue_client c{f.server, 1};
    const auto answer = c.ask(R"({"req_id":"100001","op":"ping"})");
    const auto conn = f.state->session(c.session).conn_id;
    CHECK(std::regex_match(conn, std::regex{"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                            "[0-9a-f]{12}"}));
    CHECK(answer == f.status(true, "pong", "100001", "ping", c.session));
    CHECK(c.ask(R"({"op":"ping"})") == f.status(true, "pong", "", "ping", c.session));
  }
  SUBCASE("private") {
    bybit_fixture f{bybit_fixture::private_endpoint()};
    venue_client c{f.server, 1};
    const auto answer = c.ask(R"({"req_id":"test","op":"ping"})");
    const auto conn = f.state->session(c.session).conn_id;
    CHECK(std::regex_match(conn, std::regex{"[0-9a-z]{20}-[0-9a-z]{4}"}));
    CHECK(answer ==
          R"({"req_id":"test","op":"pong","args":["1704876947000"],"conn_id":")" + conn + R"("})");
  }
}

TEST_CASE("bybit: auth checks the endpoint, args, expiry, key and signature") {
  const auto sign = bybit_sign("bybit-secret", bybit_expires);
  const auto expires = std::to_string(bybit_expires);
  SUBCASE("public endpoints have no auth") {
    bybit_fixture f;
    venue_client c{f.server, 1, bybit_fixture::ping};
    CHECK(c.ask(bybit_fixture::auth("bybit-key", expires, sign)) ==
          f.auth_answer(false, "Request not authorized", c.session));
  }
  SUBCASE("private endpoint") {
    bybit_fixture f{bybit_fixture::private_endpoint()};
    venue_client c{f.server, 1, bybit_fixture::ping};
    const auto s = c.session;
    CHECK(c.ask(R"({"op":"auth","args":["bybit-key",1]})") ==
          f.auth_answer(false, "Params Error", s));
    CHECK(c.ask(bybit_fixture::auth("bybit-key", "1.5", sign)) ==
          f.auth_answer(false, "Params Error", s));
    f.now = bybit_expires; // expires must be in the future
    CHECK(c.ask(bybit_fixture::auth("bybit-key", expires, sign)) ==
          f.auth_answer(false, "Params Error", s));
    f.now = bybit_expires - 1;
    CHECK(c.ask(bybit_fixture::auth("other-key", expires, sign)) ==
          f.auth_answer(false, "Request not authorized", s));
    CHECK(c.ask(bybit_fixture::auth("bybit-key", expires, bybit_sign("other", bybit_expires))) ==
          f.auth_answer(false, "Request not authorized", s));
    CHECK_FALSE(f.state->session(s).authenticated);
    // No req_id on the answer, as Bybit's documented one.
    CHECK(c.ask(bybit_fixture::auth("bybit-key", expires, sign)) == f.auth_answer(true, "", s));
    CHECK(f.state->session(s).authenticated);
  }
  SUBCASE("a decimal string expires and an uppercase signature are accepted") {
    bybit_fixture f{bybit_fixture::private_endpoint()};
    venue_client c{f.server, 1, bybit_fixture::ping};
    std::string upper = sign;
    for (auto& ch : upper)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(c.ask(bybit_fixture::auth("bybit-key", "\"" + expires + "\"", upper)) ==
          f.auth_answer(true, "", c.session));
  }
  SUBCASE("echo_auth_req_id puts req_id first") {
    auto options = bybit_fixture::private_endpoint();
    options.echo_auth_req_id = true;
    bybit_fixture f{options};
    venue_client c{f.server, 1, bybit_fixture::ping};
    CHECK(c.ask(bybit_fixture::auth("bybit-key", expires, sign)) ==
          R"({"req_id":"a1","success":true,"ret_msg":"","op":"auth","conn_id":")" +
              f.state->session(c.session).conn_id + R"("})");
  }
}

TEST_CASE("bybit: public subscribe checks every topic first, one failure subscribes nothing") {
  bybit_fixture f;
  venue_client c{f.server, 1, bybit_fixture::ping};
  const auto s = c.session;
  const auto topics = [&] { return f.state->session(s).topics; };
  CHECK(c.ask(R"({"req_id":"1","op":"subscribe","args":["orderbook.1.BTCUSDT",)"
              R"("orderbook.1.XRPUSDT"]})") ==
        f.status(false, "Invalid symbol :[orderbook.1.XRPUSDT]", "1", "subscribe", s));
  CHECK(
      c.ask(
          R"({"req_id":"2","op":"subscribe","args":["orderbook.1.BTCUSDT","kline.1.BTCUSDT"]})") ==
      f.status(false, "error:handler not found,topic:kline.1.BTCUSDT", "2", "subscribe", s));
  CHECK(c.ask(R"({"req_id":"3","op":"subscribe","args":["orderbook.25.BTCUSDT"]})") ==
        f.status(false, "error:handler not found,topic:orderbook.25.BTCUSDT", "3", "subscribe", s));
  CHECK(c.ask(R"({"req_id":"4","op":"subscribe","args":["order"]})") ==
        f.status(false, "error:handler not found,topic:order", "4", "subscribe", s));
  CHECK(c.ask(R"({"req_id":"5","op":"subscribe","args":[]})") ==
        f.status(false, "Params Error", "5", "subscribe", s));
  CHECK(topics().empty());

  CHECK(c.ask(R"({"req_id":"test","op":"subscribe","args":["orderbook.1.BTCUSDT",)"
              R"("publicTrade.BTCUSDT"]})") == f.status(true, "", "test", "subscribe", s));
  CHECK(topics() == std::vector<std::string>{"orderbook.1.BTCUSDT", "publicTrade.BTCUSDT"});
  CHECK(
      c.ask(
          R"({"req_id":"6","op":"subscribe","args":["tickers.ETHUSDT","publicTrade.BTCUSDT"]})") ==
      f.status(false, "error:already subscribed,topic:publicTrade.BTCUSDT", "6", "subscribe", s));
  CHECK(c.ask(R"({"req_id":"7","op":"subscribe","args":["tickers.ETHUSDT","tickers.ETHUSDT"]})") ==
        f.status(false, "error:already subscribed,topic:tickers.ETHUSDT", "7", "subscribe", s));
  CHECK(c.ask(R"({"req_id":"8","op":"unsubscribe","args":["orderbook.1.BTCUSDT","x.BTCUSDT"]})") ==
        f.status(false, "error:handler not found,topic:x.BTCUSDT", "8", "unsubscribe", s));
  CHECK(topics().size() == 2);
  CHECK(c.ask(R"({"req_id":"9","op":"unsubscribe","args":["orderbook.1.BTCUSDT"]})") ==
        f.status(true, "", "9", "unsubscribe", s));
  CHECK(topics() == std::vector<std::string>{"publicTrade.BTCUSDT"});
  CHECK(c.ask(R"({"req_id":"10","op":"foo"})") ==
        f.status(false, "error:handler not found,op:foo", "10", "foo", s));
  CHECK(c.ask("not json") == R"({"success":false,"ret_msg":"Params Error","conn_id":")" +
                                 f.state->session(s).conn_id + R"("})");
}

TEST_CASE("bybit: a public connection's topics total at most 21000 characters") {
  bybit_venue_options options;
  CHECK(options.max_args_chars == 21000);
  std::string args; // 1000 topics of 21 characters: "tickers." + "S00000000USDT"
  for (int i = 0; i < 1000; ++i) {
    char symbol[16];
    std::snprintf(symbol, sizeof symbol, "S%08dUSDT", i);
    options.symbols.emplace_back(symbol);
    args += std::string{args.empty() ? "" : ","} + "\"tickers." + symbol + "\"";
  }
  bybit_fixture f{options};
  venue_client c{f.server, 1, bybit_fixture::ping};
  const auto s = c.session;
  CHECK(c.ask(R"({"req_id":"1","op":"subscribe","args":[)" + args + "]}") ==
        f.status(true, "", "1", "subscribe", s));
  CHECK(f.state->session(s).topics.size() == 1000);
  CHECK(c.ask(R"({"req_id":"2","op":"subscribe","args":["tickers.BTCUSDT"]})") ==
        f.status(false, "error:args length exceeds 21000", "2", "subscribe", s));
  CHECK(c.ask(R"({"req_id":"3","op":"unsubscribe","args":["tickers.S00000000USDT"]})") ==
        f.status(true, "", "3", "unsubscribe", s));
  CHECK(c.ask(R"({"req_id":"4","op":"subscribe","args":["orderbook.1.BTCUSDT"]})") ==
        f.status(true, "", "4", "subscribe", s)); // 21000 - 21 + 19 <= 21000
}

TEST_CASE("bybit: private topics need auth first") {
  bybit_fixture f{bybit_fixture::private_endpoint()};
  venue_client c{f.server, 1, bybit_fixture::ping};
  const auto s = c.session;
  CHECK(c.ask(R"({"req_id":"1","op":"subscribe","args":["order"]})") ==
        f.status(false, "Request not authorized", "1", "subscribe", s));
  const auto auth = bybit_fixture::auth("bybit-key", std::to_string(bybit_expires),
                                        bybit_sign("bybit-secret", bybit_expires));
  REQUIRE(c.ask(auth) == f.auth_answer(true, "", s));
  CHECK(c.ask(R"({"req_id":"2","op":"subscribe","args":["order","orderbook.1.BTCUSDT"]})") ==
        f.status(false, "error:handler not found,topic:orderbook.1.BTCUSDT", "2", "subscribe", s));
  CHECK(c.ask(R"({"req_id":"3","op":"subscribe","args":["order","execution","position",)"
              R"("wallet"]})") == f.status(true, "", "3", "subscribe", s));
  CHECK(f.state->session(s).topics ==
        std::vector<std::string>{"order", "execution", "position", "wallet"});
}

TEST_CASE("bybit: tests push topic messages with test_server::send") {
  bybit_fixture f;
  venue_client c{f.server, 1};
  REQUIRE(member(c.ask(R"({"op":"ping"})"), "ret_msg") == "pong");
  f.server.send(c.session,
                {0, false,
                 bybit_push("orderbook.1.BTCUSDT", "snapshot",
                            R"({"s":"BTCUSDT","b":[],"a":[],"u":1,"seq":7})", 1704876947123)});
  CHECK(c.read() == R"({"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":1704876947123,)"
                    R"("data":{"s":"BTCUSDT","b":[],"a":[],"u":1,"seq":7},"cts":1704876947123})");
}

// -- Ethereum ------------------------------------------------------------------------------------

namespace {

struct ethereum_fixture {
  ethereum_fixture() {
    ethereum_venue_options options;
    options.state = state;
    server.set_responder(ethereum_venue(options));
  }
  static std::string request(const std::string& id, const std::string& method,
                             const std::string& params) {
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":")" + method + R"(","params":)" +
           params + "}";
  }
  static std::string error(const std::string& id, int code, const std::string& message) {
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"error":{"code":)" + std::to_string(code) +
           R"(,"message":")" + message + R"("}})";
  }

  std::shared_ptr<ethereum_venue_state> state = std::make_shared<ethereum_venue_state>();
  test_server server;
};

/// The string result of a JSON-RPC answer ("" when it has none).
std::string result_of(const std::string& answer) {
  return member(answer, "result");
}

} // namespace

TEST_CASE("ethereum: eth_subscribe gives fresh ids for the three kinds and checks params") {
  ethereum_fixture f;
  venue_client c{f.server, 1};
  const std::regex id_shape{"0x[0-9a-f]{32}"};
  const auto heads =
      result_of(c.ask(ethereum_fixture::request("1", "eth_subscribe", R"(["newHeads"])")));
  const auto pending = result_of(c.ask(
      ethereum_fixture::request("\"two\"", "eth_subscribe", R"(["newPendingTransactions"])")));
  const std::string filter = R"({"address":"0x8320fe7702b96808f7bbc0d4a888ed1468216cfd"})";
  const auto logs =
      c.ask(ethereum_fixture::request("3", "eth_subscribe", R"(["logs",)" + filter + "]"));
  CHECK(std::regex_match(heads, id_shape));
  CHECK(std::regex_match(pending, id_shape));
  CHECK(std::regex_match(result_of(logs), id_shape));
  CHECK(logs == R"({"jsonrpc":"2.0","id":3,"result":")" + result_of(logs) + R"("})");
  CHECK(heads != pending);

  const auto subs = f.state->session(c.session).subscriptions;
  REQUIRE(subs.size() == 3);
  CHECK(subs[0].id == heads);
  CHECK(subs[0].kind == "newHeads");
  CHECK(subs[1].kind == "newPendingTransactions");
  CHECK(subs[2].kind == "logs");
  CHECK(subs[2].filter == filter);
  CHECK(f.state->owner(heads) == c.session);

  CHECK(c.ask(ethereum_fixture::request("4", "eth_subscribe", R"(["blocks"])")) ==
        ethereum_fixture::error("4", -32602, R"(no \"blocks\" subscription in eth namespace)"));
  CHECK(c.ask(ethereum_fixture::request("5", "eth_subscribe", "[]")) ==
        ethereum_fixture::error("5", -32602, "missing value for required argument 0"));
  CHECK(c.ask(ethereum_fixture::request("6", "eth_subscribe", R"(["newHeads",{}])")) ==
        ethereum_fixture::error("6", -32602, "too many arguments, want at most 1"));
  CHECK(result_of(c.ask(ethereum_fixture::request("7", "eth_subscribe", R"(["logs",1])"))).empty());
  CHECK(c.ask(ethereum_fixture::request("8", "eth_subscribe", R"({"kind":"newHeads"})")) ==
        ethereum_fixture::error("8", -32602, "non-array args"));
  CHECK(f.state->session(c.session).subscriptions.size() == 3);
}

TEST_CASE("ethereum: eth_unsubscribe is true only for the session's own live subscription") {
  ethereum_fixture f;
  venue_client a{f.server, 1};
  venue_client b{f.server, 2};
  const auto sub =
      result_of(a.ask(ethereum_fixture::request("1", "eth_subscribe", R"(["newHeads"])")));
  REQUIRE_FALSE(sub.empty());
  CHECK(b.ask(ethereum_fixture::request("1", "eth_unsubscribe", "[\"" + sub + "\"]")) ==
        R"({"jsonrpc":"2.0","id":1,"result":false})");
  CHECK(a.ask(ethereum_fixture::request("2", "eth_unsubscribe", "[\"" + sub + "\"]")) ==
        R"({"jsonrpc":"2.0","id":2,"result":true})");
  CHECK(a.ask(ethereum_fixture::request("3", "eth_unsubscribe", "[\"" + sub + "\"]")) ==
        R"({"jsonrpc":"2.0","id":3,"result":false})");
  CHECK(a.ask(ethereum_fixture::request("4", "eth_unsubscribe", "[]")) ==
        ethereum_fixture::error("4", -32602, "missing value for required argument 0"));
  CHECK(f.state->session(a.session).subscriptions.empty());
  CHECK_FALSE(f.state->owner(sub));
}

TEST_CASE("ethereum: reads, unknown methods and malformed requests") {
  ethereum_fixture f;
  venue_client c{f.server, 1};
  CHECK(c.ask(ethereum_fixture::request("1", "eth_blockNumber", "[]")) ==
        R"({"jsonrpc":"2.0","id":1,"result":"0x10"})");
  CHECK(c.ask(R"({"jsonrpc":"2.0","id":"c","method":"eth_chainId"})") ==
        R"({"jsonrpc":"2.0","id":"c","result":"0x1"})");
  CHECK(c.ask(ethereum_fixture::request("2", "eth_getBalance", "[]")) ==
        ethereum_fixture::error("2", -32601,
                                "the method eth_getBalance does not exist/is not available"));
  CHECK(c.ask("{oops") == ethereum_fixture::error("null", -32700, "parse error"));
  CHECK(c.ask(R"([{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}])") ==
        ethereum_fixture::error("null", -32600, "invalid request"));
  CHECK(c.ask(R"({"jsonrpc":"1.0","id":3,"method":"eth_chainId"})") ==
        ethereum_fixture::error("3", -32600, "invalid request"));
  CHECK(c.ask(R"({"jsonrpc":"2.0","id":{},"method":"eth_chainId"})") ==
        ethereum_fixture::error("null", -32600, "invalid request"));
  // A notification gets no answer: the next answer is the next request's.
  c.send(R"({"jsonrpc":"2.0","method":"eth_subscribe","params":["newHeads"]})");
  CHECK(c.ask(ethereum_fixture::request("4", "eth_chainId", "[]")) ==
        R"({"jsonrpc":"2.0","id":4,"result":"0x1"})");
  CHECK(f.state->session(c.session).subscriptions.empty());
}

TEST_CASE("ethereum: tests push subscription notifications with test_server::send") {
  ethereum_fixture f;
  venue_client c{f.server, 1};
  const auto sub =
      result_of(c.ask(ethereum_fixture::request("1", "eth_subscribe", R"(["newHeads"])")));
  f.server.send(c.session, {0, false, eth_subscription_notification(sub, R"({"number":"0x11"})")});
  CHECK(c.read() == R"({"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":")" +
                        sub + R"(","result":{"number":"0x11"}}})");
}
