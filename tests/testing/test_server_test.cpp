// The test server kit checked with a raw Beast client (tests/testing/ws_test_client.hpp): every
// feature, fault and waiter of test_server, plus the certificates and the blackhole listener.

#include "testing/ws_test_client.hpp"

#include <zenws/testing/certificates.hpp>
#include <zenws/testing/test_server.hpp>

#include <doctest/doctest.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <future>

using namespace zenws::testing;
using namespace zenws_test;

#define CHECK_OK(ec) CHECK_MESSAGE(!(ec), (ec).message())
#define REQUIRE_OK(ec) REQUIRE_MESSAGE(!(ec), (ec).message())

namespace {

using plain_client = ws_client<false>;
using tls_client = ws_client<true>;
using clock_type = std::chrono::steady_clock;

constexpr std::chrono::milliseconds wait_time{2000};

/// Connects and upgrades `c`, the `nth` client of `server` to upgrade; the server's id for it.
session_id open(plain_client& c, test_server& server, std::size_t nth = 1,
                const std::string& target = "/") {
  REQUIRE_OK(c.connect(server.port()));
  REQUIRE_OK(c.upgrade("127.0.0.1", target));
  auto id = server.wait_for_sessions(nth, wait_time);
  REQUIRE(id);
  return *id;
}

server_options tls_options() {
  server_options o;
  o.tls = true;
  return o;
}

auto data_is(const std::string& data) {
  return [data](const frame& f) { return f.data == data; };
}

std::chrono::milliseconds since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0);
}

} // namespace

// -- frames --------------------------------------------------------------------------------------

TEST_CASE("echo: text comes back as text and binary as binary, and every frame is kept") {
  test_server server;
  CHECK(server.url("/x") == "ws://127.0.0.1:" + std::to_string(server.port()) + "/x");
  CHECK(server.url("x") == server.url("/x"));
  CHECK(server.tls().ca_file.empty());
  plain_client c;
  auto id = open(c, server);
  CHECK(server.accepted_connections() == 1);
  CHECK(server.open_sessions() == 1);

  REQUIRE_OK(c.write("hello"));
  auto m = c.read();
  CHECK_OK(m.ec);
  CHECK(m.data == "hello");
  CHECK_FALSE(m.binary);

  const std::string bytes{"\x00\x01\xff", 3};
  REQUIRE_OK(c.write(bytes, true));
  m = c.read();
  CHECK(m.binary);
  CHECK(m.data == bytes);

  auto frames = server.frames();
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].session == id);
  CHECK(frames[0].data == "hello");
  CHECK_FALSE(frames[0].binary);
  CHECK(frames[1].binary);
  CHECK(frames[1].data == bytes);
}

TEST_CASE("wait_for_frame sees frames from before and after the call, and times out") {
  test_server server;
  server.silent();
  plain_client c;
  auto id = open(c, server);
  REQUIRE_OK(c.write("early"));
  auto early = server.wait_for_frame(data_is("early"), wait_time);
  REQUIRE(early);
  CHECK(early->session == id);

  auto late = std::async(std::launch::async,
                         [&] { return server.wait_for_frame(data_is("late"), wait_time); });
  REQUIRE_OK(c.write("late"));
  auto got = late.get();
  REQUIRE(got);
  CHECK(got->data == "late");

  auto t0 = clock_type::now();
  CHECK_FALSE(server.wait_for_frame(data_is("never"), std::chrono::milliseconds{50}));
  CHECK(since(t0) >= std::chrono::milliseconds{50});
}

TEST_CASE("scripted replies wait for the reply delay and precede the answer to a close frame") {
  test_server server;
  server.set_responder([](const frame& f) {
    return std::vector<frame>{{0, false, "re:" + f.data}, {0, true, "bin:" + f.data}};
  });
  server.set_reply_delay(std::chrono::milliseconds{100});
  plain_client c;
  auto id = open(c, server);

  // "a", "b" and a close frame back to back: the server must answer both before the close.
  // The close frame is written raw because Beast's close would discard what arrives before
  // the answer, which is exactly what this test wants to see.
  auto t0 = clock_type::now();
  REQUIRE_OK(c.write("a"));
  REQUIRE_OK(c.write("b"));
  REQUIRE_OK(c.write_raw(masked_close_frame(1000)));

  for (std::string expected : {"re:a", "bin:a", "re:b", "bin:b"}) {
    auto m = c.read();
    REQUIRE_OK(m.ec);
    CHECK(m.data == expected);
    CHECK(m.binary == (expected.rfind("bin:", 0) == 0));
  }
  CHECK(since(t0) >= std::chrono::milliseconds{200});
  auto m = c.read();
  CHECK(m.ec == websocket::error::closed);
  CHECK(c.ws.reason().code == 1000);

  auto end = server.wait_for_end(id, wait_time);
  REQUIRE(end);
  CHECK(end->close_frame);
  CHECK(end->code == 1000);
}

TEST_CASE("a responder that throws counts as no reply and the server keeps serving") {
  test_server server;
  server.set_responder([](const frame& f) -> std::vector<frame> {
    if (f.data == "boom")
      throw std::runtime_error{"scripted failure"};
    return {{0, false, "ok:" + f.data}};
  });
  plain_client c;
  open(c, server);
  REQUIRE_OK(c.write("boom"));
  REQUIRE_OK(c.write("fine"));
  auto m = c.read();
  CHECK_OK(m.ec);
  CHECK(m.data == "ok:fine");
}

TEST_CASE("wait_for_end reports the client's close code, or a socket end without one") {
  test_server server;
  plain_client c;
  auto id = open(c, server);

  SUBCASE("close frame") {
    REQUIRE_OK(c.close(4002, "done"));
    auto end = server.wait_for_end(id, wait_time);
    REQUIRE(end);
    CHECK(end->session == id);
    CHECK(end->close_frame);
    CHECK(end->code == 4002);
    CHECK(end->reason == "done");
  }
  SUBCASE("socket end") {
    c.socket().close();
    auto end = server.wait_for_end(id, wait_time);
    REQUIRE(end);
    CHECK_FALSE(end->close_frame);
    CHECK(end->code == 0);
  }
  CHECK(server.open_sessions() == 0);
  CHECK_FALSE(server.wait_for_end(id + 1, std::chrono::milliseconds{10}));
}

// -- injection -----------------------------------------------------------------------------------

TEST_CASE("send, send_raw and broadcast arrive in call order") {
  test_server server;
  plain_client a;
  plain_client b;
  auto id_a = open(a, server, 1);
  open(b, server, 2);

  server.send(id_a, {0, false, "one"});
  server.send_raw(id_a, std::string{"\x81\x03two", 5}); // FIN + text, unmasked, 3 bytes
  server.send(id_a, {0, true, "three"});
  server.broadcast({0, false, "all"});

  for (std::string expected : {"one", "two", "three", "all"}) {
    auto m = a.read();
    REQUIRE_OK(m.ec);
    CHECK(m.data == expected);
  }
  auto m = b.read();
  CHECK_OK(m.ec);
  CHECK(m.data == "all");
  server.send(999, {0, false, "nobody"}); // an unknown session: nothing happens
}

TEST_CASE("send_raw never lands inside a frame of Beast's own, such as a pong") {
  test_server server;
  server.silent();
  plain_client c;
  auto id = open(c, server);
  constexpr int n = 300;
  // The server's Beast answers each ping with a pong from inside its read while raw frames
  // arrive from another thread: bytes of one written into the other would break the framing,
  // and the client's reads would fail.
  std::thread injector{[&] {
    for (int i = 0; i < n; ++i)
      server.send_raw(id, std::string{"\x81\x05hello", 7});
  }};
  int pings = 0;
  int pongs = 0;
  int messages = 0;
  error_code failure;
  c.ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong)
      ++pongs;
  });
  std::function<void()> next_ping = [&] {
    c.ws.async_ping({}, [&](error_code ec) {
      if (!ec && ++pings < n)
        next_ping();
    });
  };
  std::function<void()> next_read = [&] {
    c.ws.async_read(c.buffer, [&](error_code ec, std::size_t) {
      if (ec) {
        failure = ec;
        return;
      }
      if (beast::buffers_to_string(c.buffer.data()) != "hello")
        failure = websocket::error::bad_opcode;
      c.buffer.consume(c.buffer.size());
      if (++messages < n)
        next_read();
    });
  };
  next_ping();
  next_read();
  c.ioc.restart();
  c.ioc.run_for(std::chrono::seconds{10});
  injector.join();
  CHECK_OK(failure);
  CHECK(messages == n);
  CHECK(pings == n);
  CHECK(pongs > 0); // pongs after the last raw frame stay unread: the client stopped reading
}

TEST_CASE("send_fragmented arrives as continuation frames that reassemble into the message") {
  test_server server;
  plain_client c;
  auto id = open(c, server);
  const std::string text = "hello fragmented world";
  for (bool binary : {false, true}) {
    CAPTURE(binary);
    server.send_fragmented(id, {0, binary, text}, 5);
    beast::flat_buffer b;
    REQUIRE_OK(c.run([&](auto h) { c.ws.async_read_some(b, 1024, std::move(h)); }));
    CHECK(b.size() <= 5);
    CHECK_FALSE(c.ws.is_message_done()); // more frames of the same message follow
    int reads = 1;
    while (!c.ws.is_message_done() && reads < 50) {
      REQUIRE_OK(c.run([&](auto h) { c.ws.async_read_some(b, 1024, std::move(h)); }));
      ++reads;
    }
    CHECK(reads >= 5); // 22 bytes in frames of at most 5
    CHECK(beast::buffers_to_string(b.data()) == text);
    CHECK(c.ws.got_binary() == binary);
  }
}

TEST_CASE("ping: the client's pong is recorded") {
  test_server server;
  plain_client c;
  auto id = open(c, server);
  server.ping(id, "p1");
  server.send(id, {0, false, "after"});
  auto m = c.read(); // Beast answers the ping while it reads up to "after"
  CHECK(m.data == "after");
  CHECK(server.wait_for_pong(id, "p1", wait_time));
  CHECK_FALSE(server.wait_for_pong(id, "p2", std::chrono::milliseconds{20}));
}

// -- upgrade -------------------------------------------------------------------------------------

TEST_CASE("the upgrade request's target, query string and headers are recorded") {
  test_server server;
  plain_client c;
  REQUIRE_OK(c.connect(server.port()));
  REQUIRE_OK(
      c.upgrade("127.0.0.1", "/ws/v2?token=abc&x=1", nullptr, [](websocket::request_type& req) {
        req.set("X-Api-Key", "k1");
        req.insert("X-Multi", "1");
        req.insert("X-Multi", "2");
      }));
  auto id = server.wait_for_sessions(1, wait_time);
  REQUIRE(id);
  auto requests = server.upgrade_requests();
  REQUIRE(requests.size() == 1);
  const auto& r = requests[0];
  CHECK(r.session == *id);
  CHECK(r.target == "/ws/v2?token=abc&x=1");
  CHECK(r.header("x-api-key") == "k1");
  CHECK(r.header("X-MULTI") == "1");
  CHECK(std::count_if(r.headers.begin(), r.headers.end(),
                      [](const auto& h) { return h.first == "X-Multi"; }) == 2);
  CHECK(r.header("Host") == "127.0.0.1");
  CHECK(r.header("Upgrade") == "websocket");
  CHECK_FALSE(r.header("X-Absent"));
  CHECK(r.sni.empty());
  CHECK(r.alpn_offer.empty());
  CHECK_FALSE(r.client_certificate);
}

TEST_CASE("response headers and the chosen subprotocol reach the client") {
  server_options o;
  o.subprotocols = {"v2.json", "v1.json"};
  o.response_headers = {{"X-Test", "yes"}, {"Server", "kit"}};
  test_server server{o};
  plain_client c;
  REQUIRE_OK(c.connect(server.port()));
  websocket::response_type res;
  REQUIRE_OK(c.upgrade("127.0.0.1", "/", &res, [](websocket::request_type& req) {
    req.set(http::field::sec_websocket_protocol, "v3.json, v1.json, v2.json");
  }));
  // The client's first offer the server supports, not the server's first preference.
  CHECK(res[http::field::sec_websocket_protocol] == "v1.json");
  CHECK(res["X-Test"] == "yes");
  CHECK(res[http::field::server] == "kit");
  CHECK(res.count(http::field::server) == 1);

  plain_client none;
  REQUIRE_OK(none.connect(server.port()));
  websocket::response_type plain_res;
  REQUIRE_OK(none.upgrade("127.0.0.1", "/", &plain_res));
  CHECK(plain_res.count(http::field::sec_websocket_protocol) == 0);
}

TEST_CASE("permessage-deflate is negotiated only when the server enables it") {
  bool enabled = false;
  SUBCASE("disabled (the default)") {
    enabled = false;
  }
  SUBCASE("enabled") {
    enabled = true;
  }
  server_options o;
  o.permessage_deflate = enabled;
  test_server server{o};
  plain_client c;
  websocket::permessage_deflate deflate;
  deflate.client_enable = true;
  c.ws.set_option(deflate);
  REQUIRE_OK(c.connect(server.port()));
  websocket::response_type res;
  REQUIRE_OK(c.upgrade("127.0.0.1", "/", &res));
  const auto extensions = std::string{res[http::field::sec_websocket_extensions]};
  CHECK((extensions.find("permessage-deflate") != std::string::npos) == enabled);
  const std::string text(10000, 'z');
  REQUIRE_OK(c.write(text));
  auto m = c.read();
  CHECK_OK(m.ec);
  CHECK(m.data == text);
}

TEST_CASE("refuse_upgrade answers with the status and body, and 0 accepts again") {
  test_server server;
  server.refuse_upgrade(401, "bad token");
  plain_client c;
  REQUIRE_OK(c.connect(server.port()));
  websocket::response_type res;
  auto ec = c.upgrade("127.0.0.1", "/private", &res);
  CHECK(ec == websocket::error::upgrade_declined);
  CHECK(res.result_int() == 401);
  CHECK(res.body() == "bad token");
  CHECK(res[http::field::content_type] == "text/plain");
  CHECK(res[http::field::connection] == "close");
  REQUIRE(server.upgrade_requests().size() == 1); // refused requests are recorded too
  CHECK(server.upgrade_requests()[0].target == "/private");
  auto end = server.wait_for_end(1, wait_time);
  REQUIRE(end);
  CHECK_FALSE(end->close_frame);

  server.refuse_upgrade(0);
  plain_client again;
  open(again, server);
}

TEST_CASE("delay_upgrade holds the 101 back for the delay") {
  test_server server;
  server.delay_upgrade(std::chrono::milliseconds{300});
  plain_client c;
  auto t0 = clock_type::now();
  REQUIRE_OK(c.connect(server.port()));
  REQUIRE_OK(c.upgrade("127.0.0.1", "/"));
  CHECK(since(t0) >= std::chrono::milliseconds{300});
}

// -- wss -----------------------------------------------------------------------------------------

TEST_CASE("echo over wss: the kit's CA verifies the server as 127.0.0.1 and as localhost") {
  test_server server{tls_options()};
  CHECK(server.url().rfind("wss://127.0.0.1:", 0) == 0);
  REQUIRE_FALSE(server.tls().ca_file.empty());
  auto ctx = client_tls_context(server.tls().ca_file);
  for (std::string host : {"127.0.0.1", "localhost"}) {
    CAPTURE(host);
    tls_client c{ctx};
    REQUIRE_OK(c.connect(server.port()));
    REQUIRE_OK(c.tls_handshake(host, host == "localhost" ? host : "")); // no SNI for an IP
    REQUIRE_OK(c.upgrade(host, "/"));
    REQUIRE_OK(c.write("secure"));
    auto m = c.read();
    CHECK_OK(m.ec);
    CHECK(m.data == "secure");
    CHECK_OK(c.close(1000));
  }
}

TEST_CASE("wss: IP addresses and DNS names in certificate_names are told apart") {
  server_options o = tls_options();
  std::string missing;
  SUBCASE("a DNS name only") {
    o.certificate_names = {"localhost"};
    missing = "127.0.0.1";
  }
  SUBCASE("an IP address only") {
    o.certificate_names = {"127.0.0.1"};
    missing = "localhost";
  }
  test_server server{o};
  auto ctx = client_tls_context(server.tls().ca_file);
  const std::string present = o.certificate_names.front();

  tls_client good{ctx};
  REQUIRE_OK(good.connect(server.port()));
  CHECK_OK(good.tls_handshake(present, ""));

  tls_client bad{ctx};
  REQUIRE_OK(bad.connect(server.port()));
  auto ec = bad.tls_handshake(missing, "");
  CHECK(ec);
  CHECK(ec.category() == net::error::get_ssl_category());
}

TEST_CASE("wss records the SNI and the ALPN offer, and selects http/1.1") {
  test_server server{tls_options()};
  auto ctx = client_tls_context(server.tls().ca_file);

  tls_client c{ctx};
  REQUIRE_OK(c.connect(server.port()));
  REQUIRE_OK(c.tls_handshake("localhost", "localhost", std::string{"\x02h2\x08http/1.1"}));
  const unsigned char* selected = nullptr;
  unsigned int selected_len = 0;
  SSL_get0_alpn_selected(c.ws.next_layer().native_handle(), &selected, &selected_len);
  CHECK(std::string(reinterpret_cast<const char*>(selected), selected_len) == "http/1.1");
  REQUIRE_OK(c.upgrade("localhost", "/"));

  tls_client d{ctx};
  REQUIRE_OK(d.connect(server.port()));
  REQUIRE_OK(d.tls_handshake("127.0.0.1", "", std::string{"\x08http/1.1"}));
  REQUIRE_OK(d.upgrade("127.0.0.1", "/"));

  tls_client e{ctx};
  REQUIRE_OK(e.connect(server.port()));
  REQUIRE_OK(e.tls_handshake("localhost", "localhost", std::string{"\x02h2"}));
  SSL_get0_alpn_selected(e.ws.next_layer().native_handle(), &selected, &selected_len);
  CHECK(selected_len == 0); // no protocol rather than h2
  REQUIRE_OK(e.upgrade("localhost", "/"));

  auto requests = server.upgrade_requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].sni == "localhost");
  CHECK(requests[0].alpn_offer == "h2,http/1.1");
  CHECK(requests[1].sni.empty());
  CHECK(requests[1].alpn_offer == "http/1.1");
  CHECK(requests[2].alpn_offer == "h2");
  CHECK_FALSE(requests[0].client_certificate);
}

TEST_CASE("a required client certificate: refused without one, accepted and recorded with one") {
  server_options o = tls_options();
  o.require_client_certificate = true;
  test_server server{o};

  auto anonymous_ctx = client_tls_context(server.tls().ca_file);
  tls_client anonymous{anonymous_ctx};
  REQUIRE_OK(anonymous.connect(server.port()));
  // Under TLS 1.3 the client's handshake may finish before the server's verdict arrives; the
  // alert then fails the upgrade instead.
  auto ec = anonymous.tls_handshake("127.0.0.1", "");
  if (!ec)
    ec = anonymous.upgrade("127.0.0.1", "/");
  CHECK(ec);
  auto end = server.wait_for_end(1, wait_time);
  REQUIRE(end);
  CHECK_FALSE(end->close_frame);
  CHECK(server.upgrade_requests().empty());

  auto ctx = client_tls_context(server.tls().ca_file);
  ctx.use_certificate_chain_file(server.tls().client_cert_file);
  ctx.use_private_key_file(server.tls().client_key_file, ssl::context::pem);
  tls_client c{ctx};
  REQUIRE_OK(c.connect(server.port()));
  REQUIRE_OK(c.tls_handshake("127.0.0.1", ""));
  REQUIRE_OK(c.upgrade("127.0.0.1", "/"));
  auto requests = server.upgrade_requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].client_certificate);
}

// -- faults --------------------------------------------------------------------------------------

TEST_CASE("close with a registered code reaches the client, its answer ends the session") {
  test_server server;
  plain_client c;
  auto id = open(c, server);
  server.close(id, 4001, "bye");
  auto m = c.read();
  CHECK(m.ec == websocket::error::closed);
  CHECK(c.ws.reason().code == 4001);
  CHECK(std::string{c.ws.reason().reason.data(), c.ws.reason().reason.size()} == "bye");
  auto end = server.wait_for_end(id, wait_time);
  REQUIRE(end);
  CHECK(end->close_frame);
  CHECK(end->code == 4001); // Beast's client answers with the code it received
}

TEST_CASE("close with a code RFC 6455 forbids goes on the wire as asked") {
  test_server server;
  plain_client c;
  auto id = open(c, server);

  SUBCASE("1005, which Beast writes as given") {
    server.close(id, 1005, "");
    auto [ec, bytes] = c.read_raw(4);
    REQUIRE_OK(ec);
    CHECK(bytes == std::string{"\x88\x02\x03\xed", 4});
  }
  SUBCASE("999 makes a Beast client fail with a protocol violation") {
    server.close(id, 999, "x");
    auto m = c.read();
    CHECK(m.ec == websocket::error::bad_close_code);
    CHECK(m.ec == websocket::condition::protocol_violation);
    auto end = server.wait_for_end(id, wait_time);
    REQUIRE(end);
    CHECK(end->code == 1002); // the client failed the connection with protocol_error
  }
  SUBCASE("0, written raw") {
    server.close(id, 0, "");
    auto [ec, bytes] = c.read_raw(4);
    REQUIRE_OK(ec);
    CHECK(bytes == std::string{"\x88\x02\x00\x00", 4});
  }
  SUBCASE("0, which a Beast client answers with a protocol error that ends the session") {
    server.close(id, 0, "");
    auto m = c.read();
    CHECK(m.ec == websocket::error::bad_close_code);
    auto end = server.wait_for_end(id, wait_time);
    REQUIRE(end);
    CHECK(end->close_frame);
    CHECK(end->code == 1002);
  }
  SUBCASE("a 200-byte reason, written raw with an extended length") {
    server.close(id, 4000, std::string(200, 'r'));
    auto [ec, bytes] = c.read_raw(6);
    REQUIRE_OK(ec);
    CHECK(bytes == std::string{"\x88\x7e\x00\xca\x0f\xa0", 6}); // 202 bytes, then code 4000
  }
}

TEST_CASE("a client that never answers a close frame loses the connection after 2 s") {
  test_server server;
  plain_client beast_close;
  plain_client raw_close;
  auto beast_id = open(beast_close, server, 1);
  auto raw_id = open(raw_close, server, 2);
  auto t0 = clock_type::now();
  server.close(beast_id, 4001, "bye"); // Beast's close handshake, with its timeout
  server.close(raw_id, 0, "");         // the raw close frame, with the kit's own timer
  // Neither client reads, so neither answers.
  for (auto id : {beast_id, raw_id}) {
    auto end = server.wait_for_end(id, std::chrono::milliseconds{4000});
    REQUIRE(end);
    CHECK_FALSE(end->close_frame);
  }
  CHECK(since(t0) >= std::chrono::milliseconds{1900});
  CHECK(server.open_sessions() == 0);
}

TEST_CASE("reset(session) makes the client's read fail with a connection reset") {
  test_server server;
  plain_client c;
  auto id = open(c, server);
  server.reset(id);
  auto m = c.read();
  CHECK(m.ec == net::error::connection_reset);
  auto end = server.wait_for_end(id, wait_time);
  REQUIRE(end);
  CHECK_FALSE(end->close_frame);
  CHECK(server.open_sessions() == 0);
}

TEST_CASE("stall: the server stops reading and writing but keeps the socket open") {
  test_server server;
  plain_client c;
  auto id = open(c, server);
  server.stall(id);
  server.send(id, {0, false, "never sent"});
  server.ping(id, "never sent either");
  REQUIRE_OK(c.write("unread"));
  auto m = c.read(std::chrono::milliseconds{300});
  CHECK(m.ec == net::error::timed_out); // no echo, no frame, and no end of stream either
  CHECK_FALSE(server.wait_for_frame(data_is("unread"), std::chrono::milliseconds{10}));
  CHECK_FALSE(server.wait_for_end(id, std::chrono::milliseconds{10}));
  CHECK(server.open_sessions() == 1);
}

TEST_CASE("slow_reader: each read waits for the delay, and 0 restores") {
  test_server server;
  server.silent();
  plain_client c;
  auto id = open(c, server);
  server.slow_reader(id, std::chrono::milliseconds{100});
  auto t0 = clock_type::now();
  for (std::string data : {"1", "2", "3"})
    REQUIRE_OK(c.write(data));
  REQUIRE(server.wait_for_frame(data_is("3"), wait_time));
  CHECK(since(t0) >= std::chrono::milliseconds{200}); // "1" at once, then 100 ms before each

  server.slow_reader(id, std::chrono::milliseconds{0});
  REQUIRE_OK(c.write("4"));
  CHECK(server.wait_for_frame(data_is("4"), wait_time));
}

TEST_CASE("max_message_size: a bigger message is refused with close code 1009") {
  server_options o;
  o.max_message_size = 16;
  test_server server{o};
  plain_client c;
  auto id = open(c, server);
  REQUIRE_OK(c.write(std::string(32, 'x')));
  auto m = c.read();
  CHECK(m.ec == websocket::error::closed);
  CHECK(c.ws.reason().code == 1009);
  CHECK(server.wait_for_end(id, wait_time));
}

TEST_CASE("accept_mode hold: the TCP connect succeeds, TLS and the upgrade never complete") {
  bool tls = false;
  SUBCASE("ws") {
    tls = false;
  }
  SUBCASE("wss") {
    tls = true;
  }
  server_options o;
  o.tls = tls;
  test_server server{o};
  server.set_accept_mode(accept_mode::hold);
  if (tls) {
    auto ctx = client_tls_context(server.tls().ca_file);
    tls_client c{ctx};
    REQUIRE_OK(c.connect(server.port()));
    CHECK(c.tls_handshake("127.0.0.1", "", {}, std::chrono::milliseconds{300}) ==
          net::error::timed_out);
  } else {
    plain_client c;
    REQUIRE_OK(c.connect(server.port()));
    CHECK(c.upgrade(
              "127.0.0.1", "/", nullptr, [](websocket::request_type&) {},
              std::chrono::milliseconds{300}) == net::error::timed_out);
  }
  CHECK(server.upgrade_requests().empty());
  CHECK(server.accepted_connections() == 1);

  server.set_accept_mode(accept_mode::serve);
  if (!tls) {
    plain_client again;
    open(again, server);
  }
}

TEST_CASE("accept_mode reset: the client's upgrade fails with a reset") {
  test_server server;
  server.set_accept_mode(accept_mode::reset);
  plain_client c;
  // The kernel usually completes the TCP handshake before accept(), so the reset meets the
  // upgrade; when the server is quicker, it meets the connect itself (ECONNABORTED).
  auto ec = c.connect(server.port());
  if (!ec)
    ec = c.upgrade("127.0.0.1", "/");
  CHECK_MESSAGE((ec == net::error::connection_reset || ec == net::error::broken_pipe ||
                 ec == net::error::connection_aborted),
                ec.message());
  CHECK(server.accepted_connections() == 1);
}

TEST_CASE("stop_listening: new connects are refused, open sessions go on") {
  test_server server;
  plain_client c;
  open(c, server);
  server.stop_listening();
  plain_client late;
  CHECK(late.connect(server.port()) == net::error::connection_refused);
  REQUIRE_OK(c.write("still here"));
  CHECK(c.read().data == "still here");
}

TEST_CASE("a client that vanishes during a handshake ends its session without harm") {
  bool tls = false;
  SUBCASE("ws") {
    tls = false;
  }
  SUBCASE("wss") {
    tls = true;
  }
  server_options o;
  o.tls = tls;
  test_server server{o};
  plain_client c; // raw TCP even for wss: the server sees a client that dies mid-handshake
  REQUIRE_OK(c.connect(server.port()));
  REQUIRE_OK(c.run([&](auto h) {
    net::async_write(c.socket(), net::buffer(std::string_view{"GET / HTTP/1.1\r\nHost"}),
                     std::move(h));
  }));
  c.socket().close();
  auto end = server.wait_for_end(1, wait_time);
  REQUIRE(end);
  CHECK_FALSE(end->close_frame);
  CHECK(server.open_sessions() == 0);
}

TEST_CASE("the destructor ends sessions in every state without hanging") {
  auto server = std::make_unique<test_server>(tls_options());
  auto ctx = client_tls_context(server->tls().ca_file);
  tls_client upgraded{ctx};
  REQUIRE_OK(upgraded.connect(server->port()));
  REQUIRE_OK(upgraded.tls_handshake("127.0.0.1", ""));
  REQUIRE_OK(upgraded.upgrade("127.0.0.1", "/"));
  tls_client stalled{ctx};
  REQUIRE_OK(stalled.connect(server->port()));
  REQUIRE_OK(stalled.tls_handshake("127.0.0.1", ""));
  REQUIRE_OK(stalled.upgrade("127.0.0.1", "/"));
  auto stalled_id = server->wait_for_sessions(2, wait_time);
  REQUIRE(stalled_id);
  server->stall(*stalled_id);
  server->set_reply_delay(std::chrono::milliseconds{10000}); // a reply timer left pending
  REQUIRE_OK(upgraded.write("pending"));
  REQUIRE(server->wait_for_frame(data_is("pending"), wait_time));
  tls_client mid_tls{ctx};
  REQUIRE_OK(mid_tls.connect(server->port()));
  server->set_accept_mode(accept_mode::hold);
  plain_client held;
  REQUIRE_OK(held.connect(server->port()));

  auto t0 = clock_type::now();
  server.reset();
  CHECK(since(t0) < std::chrono::milliseconds{1000});
  auto m = upgraded.read();
  CHECK(m.ec); // the connection ended without a close frame
}

// -- blackhole_listener --------------------------------------------------------------------------

TEST_CASE("blackhole_listener: a connect neither succeeds nor fails within 300 ms") {
  blackhole_listener hole;
  CHECK(hole.port() != 0);
  plain_client c;
  auto t0 = clock_type::now();
  CHECK(c.connect(hole.port(), std::chrono::milliseconds{300}) == net::error::timed_out);
  CHECK(since(t0) >= std::chrono::milliseconds{300});
}

// -- certificates --------------------------------------------------------------------------------

namespace {

struct x509_deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

x509_ptr parse_certificate(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  x509_ptr cert{PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)};
  BIO_free(bio);
  return cert;
}

bool key_matches(X509* cert, const std::string& key_pem) {
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bool ok = key && X509_check_private_key(cert, key) == 1;
  EVP_PKEY_free(key);
  return ok;
}

bool verifies(X509* ca, X509* leaf, int purpose) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

} // namespace

TEST_CASE("certificate_authority issues typed subjectAltNames under a verifiable CA") {
  auto ca = certificate_authority::create();
  auto server = ca.issue_server({"localhost", "127.0.0.1", "::1", "*.example.test"});
  auto client = ca.issue_client();
  auto ca_cert = parse_certificate(ca.certificate_pem());
  auto server_cert = parse_certificate(server.certificate_pem);
  auto client_cert = parse_certificate(client.certificate_pem);
  REQUIRE(ca_cert);
  REQUIRE(server_cert);
  REQUIRE(client_cert);

  CHECK(X509_check_ca(ca_cert.get()) == 1);
  CHECK(X509_check_ca(server_cert.get()) == 0);
  CHECK(key_matches(server_cert.get(), server.private_key_pem));
  CHECK(key_matches(client_cert.get(), client.private_key_pem));
  CHECK(verifies(ca_cert.get(), server_cert.get(), X509_PURPOSE_SSL_SERVER));
  CHECK(verifies(ca_cert.get(), client_cert.get(), X509_PURPOSE_SSL_CLIENT));
  CHECK_FALSE(verifies(ca_cert.get(), client_cert.get(), X509_PURPOSE_SSL_SERVER));

  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(server_cert.get(), NID_subject_alt_name, nullptr, nullptr));
  REQUIRE(names);
  REQUIRE(sk_GENERAL_NAME_num(names) == 4);
  auto type_of = [&](int i) { return sk_GENERAL_NAME_value(names, i)->type; };
  auto length_of = [&](int i) {
    return ASN1_STRING_length(sk_GENERAL_NAME_value(names, i)->d.ia5);
  };
  CHECK(type_of(0) == GEN_DNS);
  CHECK(type_of(1) == GEN_IPADD);
  CHECK(length_of(1) == 4);
  CHECK(type_of(2) == GEN_IPADD);
  CHECK(length_of(2) == 16);
  CHECK(type_of(3) == GEN_DNS);
  GENERAL_NAMES_free(names);

  CHECK(X509_check_host(server_cert.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(server_cert.get(), "a.example.test", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(server_cert.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(server_cert.get(), "::1", 0) == 1);
  CHECK(X509_check_host(server_cert.get(), "127.0.0.1", 0, 0, nullptr) != 1); // not a DNS name

  auto other = certificate_authority::create("another CA");
  auto other_cert = parse_certificate(other.certificate_pem());
  CHECK_FALSE(verifies(other_cert.get(), server_cert.get(), X509_PURPOSE_SSL_SERVER));
}

TEST_CASE("pem_directory holds private files and disappears with them") {
  std::string dir_path;
  std::string file_path;
  {
    pem_directory dir;
    dir_path = dir.path();
    CHECK(dir_path.rfind("/tmp/zenws-tls-", 0) == 0);
    file_path = dir.write("key.pem", "secret");
    CHECK(file_path == dir_path + "/key.pem");
    struct stat st {};
    REQUIRE(::stat(dir_path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(::stat(file_path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(st.st_size == 6);
    CHECK_THROWS_AS(dir.write("../escape.pem", "x"), std::invalid_argument);
    CHECK_THROWS_AS(dir.write("", "x"), std::invalid_argument);
  }
  struct stat st {};
  CHECK(::stat(file_path.c_str(), &st) != 0);
  CHECK(::stat(dir_path.c_str(), &st) != 0);
}
