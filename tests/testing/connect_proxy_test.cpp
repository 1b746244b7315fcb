// The CONNECT proxy checked with a raw Beast client tunnelling to the kit's test server.

#include "testing/ws_test_client.hpp"

#include <zenws/testing/connect_proxy.hpp>
#include <zenws/testing/test_server.hpp>

#include <doctest/doctest.h>

using namespace zenws::testing;
using namespace zenws_test;

#define CHECK_OK(ec) CHECK_MESSAGE(!(ec), (ec).message())
#define REQUIRE_OK(ec) REQUIRE_MESSAGE(!(ec), (ec).message())

namespace {

constexpr std::chrono::milliseconds wait_time{2000};

/// The proxy's answer to a CONNECT: status code and the whole head.
struct proxy_answer {
  error_code ec;
  int status = 0;
  std::string head;
};

/// Connects `c` to the proxy and asks it for a tunnel to `target`, with `extra` header lines.
proxy_answer connect_via(ws_client<false>& c, const connect_proxy& proxy, const std::string& target,
                         const std::string& extra = {}) {
  proxy_answer a;
  a.ec = c.connect(proxy.port());
  if (a.ec)
    return a;
  const std::string request =
      "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n" + extra + "\r\n";
  a.ec = c.run([&](auto h) { net::async_write(c.socket(), net::buffer(request), std::move(h)); });
  if (a.ec)
    return a;
  // read_until may read past the head, but the proxy sends nothing after it until the tunnel
  // carries the server's bytes, which only come after our upgrade request.
  a.ec = c.run([&](auto h) {
    net::async_read_until(c.socket(), net::dynamic_buffer(a.head), "\r\n\r\n", std::move(h));
  });
  if (!a.ec && a.head.size() > 12)
    a.status = std::stoi(a.head.substr(9, 3));
  return a;
}

std::string server_target(const test_server& server) {
  return "127.0.0.1:" + std::to_string(server.port());
}

/// Echo through the established tunnel, then a clean close the server sees.
void check_websocket_through(ws_client<false>& c, test_server& server) {
  REQUIRE_OK(c.upgrade("127.0.0.1", "/via-proxy"));
  REQUIRE_OK(c.write("tunnelled"));
  auto m = c.read();
  CHECK_OK(m.ec);
  CHECK(m.data == "tunnelled");
  auto id = server.wait_for_sessions(1, wait_time);
  REQUIRE(id);
  REQUIRE_OK(c.close(4003, "via proxy"));
  auto end = server.wait_for_end(*id, wait_time);
  REQUIRE(end);
  CHECK(end->close_frame);
  CHECK(end->code == 4003);
  CHECK(server.upgrade_requests().at(0).target == "/via-proxy");
}

} // namespace

TEST_CASE("connect_proxy tunnels a WebSocket connection to the test server") {
  test_server server;
  connect_proxy proxy;
  ws_client<false> c;
  auto answer = connect_via(c, proxy, server_target(server));
  REQUIRE_OK(answer.ec);
  CHECK(answer.status == 200);
  CHECK(answer.head == "HTTP/1.1 200 Connection established\r\n\r\n");
  CHECK(proxy.wait_for_tunnels(1, wait_time));
  check_websocket_through(c, server);
  CHECK(proxy.tunnels() == 1);
  CHECK(proxy.targets() == std::vector<std::string>{server_target(server)});
  CHECK_FALSE(proxy.received_authorization());
}

TEST_CASE("connect_proxy with credentials: the right ones tunnel, others get 407") {
  test_server server;
  proxy_options options;
  options.credentials = proxy_credentials{"trader", "s3cret"};
  connect_proxy proxy{options};

  SUBCASE("right credentials") {
    ws_client<false> c;
    // base64("trader:s3cret")
    auto answer = connect_via(c, proxy, server_target(server),
                              "Proxy-Authorization: Basic dHJhZGVyOnMzY3JldA==\r\n");
    REQUIRE_OK(answer.ec);
    CHECK(answer.status == 200);
    check_websocket_through(c, server);
    CHECK(proxy.tunnels() == 1);
    CHECK(proxy.received_authorization());
  }
  SUBCASE("wrong credentials") {
    ws_client<false> c;
    // base64("trader:wrong")
    auto answer = connect_via(c, proxy, server_target(server),
                              "Proxy-Authorization: Basic dHJhZGVyOndyb25n\r\n");
    REQUIRE_OK(answer.ec);
    CHECK(answer.status == 407);
    CHECK(answer.head.find("Proxy-Authenticate: Basic realm=\"zenws\"\r\n") != std::string::npos);
    CHECK(proxy.received_authorization());
    CHECK(proxy.tunnels() == 0);
  }
  SUBCASE("no credentials") {
    ws_client<false> c;
    auto answer = connect_via(c, proxy, server_target(server));
    REQUIRE_OK(answer.ec);
    CHECK(answer.status == 407);
    CHECK(answer.head.find("Proxy-Authenticate: Basic") != std::string::npos);
    CHECK_FALSE(proxy.received_authorization());
    CHECK(proxy.tunnels() == 0);
  }
  CHECK(proxy.targets() == std::vector<std::string>{server_target(server)});
}

TEST_CASE("connect_proxy refuses with the status it was told, then tunnels again at 0") {
  test_server server;
  connect_proxy proxy;
  proxy.refuse(403);
  ws_client<false> refused;
  auto answer = connect_via(refused, proxy, server_target(server));
  REQUIRE_OK(answer.ec);
  CHECK(answer.status == 403);
  CHECK(answer.head.rfind("HTTP/1.1 403 Forbidden\r\n", 0) == 0);

  proxy.refuse(0);
  ws_client<false> c;
  answer = connect_via(c, proxy, server_target(server));
  REQUIRE_OK(answer.ec);
  CHECK(answer.status == 200);
  check_websocket_through(c, server);
  CHECK(proxy.targets().size() == 2);
}

TEST_CASE("connect_proxy answers 502 when the target refuses and 400 to anything but CONNECT") {
  connect_proxy proxy;
  std::string closed_target;
  {
    test_server gone;
    closed_target = server_target(gone);
  } // nothing listens there any more
  ws_client<false> c;
  auto answer = connect_via(c, proxy, closed_target);
  REQUIRE_OK(answer.ec);
  CHECK(answer.status == 502);

  ws_client<false> d;
  REQUIRE_OK(d.connect(proxy.port()));
  const std::string get = "GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n";
  REQUIRE_OK(d.run([&](auto h) { net::async_write(d.socket(), net::buffer(get), std::move(h)); }));
  std::string head;
  REQUIRE_OK(d.run([&](auto h) {
    net::async_read_until(d.socket(), net::dynamic_buffer(head), "\r\n\r\n", std::move(h));
  }));
  CHECK(head.rfind("HTTP/1.1 400 ", 0) == 0);
  CHECK(proxy.tunnels() == 0);
}

TEST_CASE("connect_proxy passes a server's close and reset through the tunnel") {
  test_server server;
  connect_proxy proxy;
  ws_client<false> c;
  REQUIRE_OK(connect_via(c, proxy, server_target(server)).ec);
  REQUIRE_OK(c.upgrade("127.0.0.1", "/"));
  auto id = server.wait_for_sessions(1, wait_time);
  REQUIRE(id);

  SUBCASE("close frame") {
    server.close(*id, 4001, "bye");
    auto m = c.read();
    CHECK(m.ec == websocket::error::closed);
    CHECK(c.ws.reason().code == 4001);
    auto end = server.wait_for_end(*id, wait_time);
    REQUIRE(end);
    CHECK(end->code == 4001);
  }
  SUBCASE("reset") {
    server.reset(*id);
    auto m = c.read();
    CHECK(m.ec); // the proxy closes the client's side when the upstream side fails
  }
}
