// Every way a connect attempt can end, each reported with its own error code: DNS, TCP, TLS
// verification, TLS and upgrade timeouts, refused upgrades, subprotocols, headers on the wire.

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

#include "transport/event_recorder.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/transport.hpp"
#include "zenws/testing/test_server.hpp"

using namespace std::chrono_literals;
using zenws::errc;
using zenws::test::event_recorder;
namespace kit = zenws::testing;

namespace {

constexpr auto wait = 5s;

/// Runs one connect attempt to the end of its handshake: open, or closed with an error.
struct attempt {
  attempt(const zenws::connection_config& cfg) {
    auto url = zenws::parse_url(cfg.url).url;
    REQUIRE(url);
    events = std::make_shared<event_recorder>();
    link = zenws::transport::create(io, cfg, *url, events);
    link->start();
    opened = events->wait_open(wait);
    if (!opened)
      closed = events->wait_closed(wait);
  }
  ~attempt() { link->abort(); }

  zenws::io_runtime io{1};
  std::shared_ptr<event_recorder> events;
  std::shared_ptr<zenws::transport> link;
  std::optional<zenws::upgrade_response> opened;
  std::optional<zenws::disconnect_info> closed;

  errc error() const { return closed ? closed->error.code : errc::none; }
};

zenws::connection_config config(const std::string& url) {
  zenws::connection_config cfg;
  cfg.url = url;
  return cfg;
}

} // namespace

TEST_CASE("nothing listening gives connect_refused") {
  std::string url;
  {
    kit::test_server server;
    url = server.url("/");
  } // the port is closed now
  attempt a{config(url)};
  CHECK(a.error() == errc::connect_refused);
  CHECK(a.closed->error.detail.find("127.0.0.1:") != std::string::npos);
  CHECK_FALSE(a.closed->was_open);
}

TEST_CASE("a name that does not resolve gives resolve_failed") {
  attempt a{config("ws://no-such-host.invalid/")};
  CHECK(a.error() == errc::resolve_failed);
  CHECK(a.closed->error.detail.find("no-such-host.invalid") != std::string::npos);
}

TEST_CASE("a connect that never completes gives connect_timeout after timeouts.connect") {
  kit::blackhole_listener hole;
  auto cfg = config("ws://127.0.0.1:" + std::to_string(hole.port()) + "/");
  cfg.timeouts.connect = 300ms;
  const auto started = std::chrono::steady_clock::now();
  attempt a{cfg};
  CHECK(a.error() == errc::connect_timeout);
  CHECK(std::chrono::steady_clock::now() - started >= 300ms);
  CHECK(a.closed->error.detail.find("300ms") != std::string::npos);
}

TEST_CASE("a server that accepts TCP but never speaks TLS gives tls_timeout") {
  kit::test_server server{kit::server_options::secure()};
  server.set_accept_mode(kit::accept_mode::hold);
  auto cfg = config(server.url("/"));
  cfg.tls.ca_file = server.tls().ca_file;
  cfg.timeouts.tls = 300ms;
  attempt a{cfg};
  CHECK(a.error() == errc::tls_timeout);
}

TEST_CASE("a server that never answers the upgrade gives upgrade_timeout") {
  SUBCASE("ws, silent after TCP") {
    kit::test_server server;
    server.set_accept_mode(kit::accept_mode::hold);
    auto cfg = config(server.url("/"));
    cfg.timeouts.upgrade = 300ms;
    attempt a{cfg};
    CHECK(a.error() == errc::upgrade_timeout);
  }
  SUBCASE("wss, upgrade delayed past the timeout") {
    kit::test_server server{kit::server_options::secure()};
    server.delay_upgrade(2s);
    auto cfg = config(server.url("/"));
    cfg.tls.ca_file = server.tls().ca_file;
    cfg.timeouts.upgrade = 300ms;
    attempt a{cfg};
    CHECK(a.error() == errc::upgrade_timeout);
  }
}

TEST_CASE("a self-signed server is rejected unless its CA is given or insecure is set") {
  kit::test_server server{kit::server_options::secure()};
  SUBCASE("system CAs only: tls_verify_failed, fatal") {
    attempt a{config(server.url("/"))};
    CHECK(a.error() == errc::tls_verify_failed);
    CHECK(zenws::is_fatal(a.error()));
    CHECK(a.closed->error.detail.find("certificate") != std::string::npos);
  }
  SUBCASE("the CA file: verified and open") {
    auto cfg = config(server.url("/"));
    cfg.tls.ca_file = server.tls().ca_file;
    attempt a{cfg};
    CHECK(a.opened);
  }
  SUBCASE("insecure: open without verification") {
    auto cfg = config(server.url("/"));
    cfg.tls.insecure = true;
    attempt a{cfg};
    CHECK(a.opened);
  }
}

TEST_CASE("a certificate for another name gives tls_hostname_mismatch") {
  auto options = kit::server_options::secure();
  options.certificate_names = {"exchange.example"};
  kit::test_server server{options};
  auto cfg = config(server.url("/"));
  cfg.tls.ca_file = server.tls().ca_file;
  attempt a{cfg};
  CHECK(a.error() == errc::tls_hostname_mismatch);
  SUBCASE("tls.server_name names the certificate's host: accepted") {
    cfg.tls.server_name = "exchange.example";
    attempt b{cfg};
    CHECK(b.opened);
    CHECK(server.upgrade_requests().back().sni == "exchange.example");
  }
}

TEST_CASE("SNI carries the host name, never an IP literal, and ALPN offers only http/1.1") {
  kit::test_server server{kit::server_options::secure()};
  auto by_name = config("wss://localhost:" + std::to_string(server.port()) + "/");
  by_name.tls.ca_file = server.tls().ca_file;
  attempt a{by_name};
  REQUIRE(a.opened);
  auto by_ip = config(server.url("/"));
  by_ip.tls.ca_file = server.tls().ca_file;
  attempt b{by_ip};
  REQUIRE(b.opened);
  const auto requests = server.upgrade_requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].sni == "localhost");
  CHECK(requests[0].alpn_offer == "http/1.1");
  CHECK(requests[1].sni.empty());
  CHECK(requests[1].alpn_offer == "http/1.1");
}

TEST_CASE("a server demanding a client certificate gets the configured one") {
  auto options = kit::server_options::secure();
  options.require_client_certificate = true;
  kit::test_server server{options};
  auto cfg = config(server.url("/"));
  cfg.tls.ca_file = server.tls().ca_file;
  SUBCASE("without one the handshake fails with a tls error") {
    attempt a{cfg};
    REQUIRE(a.closed);
    CHECK(zenws::category_of(a.error()) == zenws::category::tls);
  }
  SUBCASE("with one the connection opens and the server saw it") {
    cfg.tls.cert_file = server.tls().client_cert_file;
    cfg.tls.key_file = server.tls().client_key_file;
    attempt a{cfg};
    CHECK(a.opened);
    CHECK(server.upgrade_requests().back().client_certificate);
  }
  SUBCASE("an unreadable certificate file gives tls_setup_failed naming the file") {
    cfg.tls.cert_file = "/nonexistent/client.pem";
    cfg.tls.key_file = "/nonexistent/client.key";
    attempt a{cfg};
    CHECK(a.error() == errc::tls_setup_failed);
    CHECK(a.closed->error.detail.find("/nonexistent/client.pem") != std::string::npos);
  }
}

TEST_CASE("refused upgrades are reported with their HTTP status") {
  struct row {
    unsigned status;
    errc expected;
    bool fatal;
  };
  for (const auto& r :
       {row{401, errc::upgrade_rejected, true}, row{429, errc::upgrade_rate_limited, false},
        row{503, errc::upgrade_unavailable, false}}) {
    CAPTURE(r.status);
    kit::test_server server;
    server.refuse_upgrade(r.status, "go away");
    attempt a{config(server.url("/"))};
    CHECK(a.error() == r.expected);
    CHECK(a.closed->error.http_status == r.status);
    CHECK(zenws::is_fatal(a.error()) == r.fatal);
  }
}

TEST_CASE("the upgrade carries the query string and custom headers, the 101 headers come back") {
  kit::server_options options;
  options.response_headers = {{"X-Server-Id", "kit-7"}};
  options.subprotocols = {"v2.json", "v1.json"};
  kit::test_server server{options};
  auto cfg = config(server.url("/stream?token=abc&depth=10"));
  cfg.headers = {{"X-Api-Key", "k-123"}, {"Origin", "https://example.com"}};
  cfg.subprotocols = {"v1.json", "v2.json"};
  attempt a{cfg};
  REQUIRE(a.opened);
  CHECK(a.opened->header("x-server-id") == "kit-7");
  CHECK(a.opened->subprotocol == "v1.json"); // the server takes the client's first it knows
  const auto req = server.upgrade_requests().at(0);
  CHECK(req.target == "/stream?token=abc&depth=10");
  CHECK(req.header("X-Api-Key") == "k-123");
  CHECK(req.header("Origin") == "https://example.com");
  CHECK(req.header("Sec-WebSocket-Protocol") == "v1.json, v2.json");
  CHECK(req.header("User-Agent") == "zenws/0.1");
}

TEST_CASE("permessage-deflate is negotiated when both sides want it and messages survive it") {
  kit::server_options options;
  options.permessage_deflate = true;
  kit::test_server server{options};
  auto cfg = config(server.url("/"));
  cfg.compression.enabled = true;
  attempt a{cfg};
  REQUIRE(a.opened);
  CHECK(a.opened->compression);
  const std::string text(20000, 'w');
  REQUIRE(a.link->send(zenws::frame_kind::text, text) == errc::none);
  REQUIRE(a.events->wait_messages(1, wait));
  CHECK(a.events->messages()[0].payload == text);
}
