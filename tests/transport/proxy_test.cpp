// Connections through an HTTP CONNECT proxy (the kit's), with and without credentials.

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

#include "transport/event_recorder.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/transport.hpp"
#include "zenws/testing/connect_proxy.hpp"
#include "zenws/testing/test_server.hpp"

using namespace std::chrono_literals;
using zenws::errc;
using zenws::test::event_recorder;
namespace kit = zenws::testing;

namespace {

constexpr auto wait = 5s;

struct proxied {
  explicit proxied(const zenws::connection_config& cfg) {
    events = std::make_shared<event_recorder>();
    link = zenws::transport::create(io, cfg, *zenws::parse_url(cfg.url).url, events);
    link->start();
    opened = events->wait_open(wait);
    if (!opened)
      closed = events->wait_closed(wait);
  }
  ~proxied() { link->abort(); }

  zenws::io_runtime io{1};
  std::shared_ptr<event_recorder> events;
  std::shared_ptr<zenws::transport> link;
  std::optional<zenws::upgrade_response> opened;
  std::optional<zenws::disconnect_info> closed;
};

zenws::connection_config through(const kit::connect_proxy& proxy, const kit::test_server& server) {
  zenws::connection_config cfg;
  cfg.url = server.url("/via-proxy");
  cfg.tls.ca_file = server.tls().ca_file;
  cfg.proxy.url = "http://127.0.0.1:" + std::to_string(proxy.port());
  return cfg;
}

} // namespace

TEST_CASE("ws and wss connections tunnel through the proxy and echo") {
  for (bool tls : {false, true}) {
    CAPTURE(tls);
    kit::test_server server{kit::server_options::secure(tls)};
    kit::connect_proxy proxy;
    proxied p{through(proxy, server)};
    REQUIRE(p.opened);
    REQUIRE(p.link->send(zenws::frame_kind::text, "through the tunnel") == errc::none);
    REQUIRE(p.events->wait_messages(1, wait));
    CHECK(p.events->messages()[0].payload == "through the tunnel");
    CHECK(proxy.tunnels() == 1);
    CHECK(proxy.targets().at(0) == "127.0.0.1:" + std::to_string(server.port()));
    CHECK_FALSE(proxy.received_authorization());
  }
}

TEST_CASE("a proxy demanding credentials gets them, and a wrong password is refused with 407") {
  kit::test_server server;
  kit::connect_proxy proxy{kit::proxy_options{kit::proxy_credentials{"trader", "s3cret"}}};
  auto cfg = through(proxy, server);
  cfg.proxy.username = "trader";
  SUBCASE("right password") {
    cfg.proxy.password = "s3cret";
    proxied p{cfg};
    CHECK(p.opened);
    CHECK(proxy.received_authorization());
  }
  SUBCASE("wrong password") {
    cfg.proxy.password = "guess";
    proxied p{cfg};
    REQUIRE(p.closed);
    CHECK(p.closed->error.code == errc::proxy_failed);
    CHECK(p.closed->error.http_status == 407);
    CHECK(p.closed->error.detail.find("guess") == std::string::npos);
  }
}

TEST_CASE("a proxy refusing the tunnel and a proxy that is not there are proxy failures") {
  kit::test_server server;
  SUBCASE("refused with 403") {
    kit::connect_proxy proxy;
    proxy.refuse(403);
    proxied p{through(proxy, server)};
    REQUIRE(p.closed);
    CHECK(p.closed->error.code == errc::proxy_failed);
    CHECK(p.closed->error.http_status == 403);
  }
  SUBCASE("nothing listening") {
    std::uint16_t port = 0;
    {
      kit::connect_proxy gone;
      port = gone.port();
    }
    auto cfg = through(kit::connect_proxy{}, server);
    cfg.proxy.url = "http://127.0.0.1:" + std::to_string(port);
    proxied p{cfg};
    REQUIRE(p.closed);
    CHECK(p.closed->error.code == errc::proxy_failed);
  }
}
