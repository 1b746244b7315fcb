// The transport against WebSocket servers we did not write: Python's websockets, node's ws and
// the libwebsockets test server (Debian's packages), each started on 127.0.0.1 in a child
// process (tests/interop/servers/ holds the scripts of the first two). Real sockets, their
// frames, their close handshakes.

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "interop/server_process.hpp"
#include "transport/transport_client.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/transport.hpp"

using namespace std::chrono_literals;
using zenws::frame_kind;
using zenws::test::server_process;

namespace {

constexpr auto patience = 10s;

/// An independent server: how to start it.
struct server_kind {
  const char* name;
  std::vector<std::string> argv;
};

std::vector<server_kind> servers(bool compression = true) {
  const std::string dir = ZENWS_INTEROP_SERVERS;
  auto python = std::vector<std::string>{"/usr/bin/python3", dir + "/python_websockets_server.py"};
  auto node = std::vector<std::string>{ZENWS_NODE, dir + "/node_ws_server.js"};
  if (!compression) {
    python.emplace_back("--no-compression");
    node.emplace_back("--no-compression");
  }
  return {{"python-websockets", python}, {"node-ws", node}};
}

/// One transport to a server; ask() waits `patience` for the answer.
struct client : zenws::test::transport_client {
  client(zenws::io_runtime& io, const zenws::connection_config& cfg) : transport_client(io, cfg) {}
  std::string ask(const std::string& text) { return transport_client::ask(text, patience); }
};

zenws::connection_config config_for(const server_process& server) {
  zenws::connection_config cfg;
  cfg.url = server.url();
  cfg.max_message_size = std::size_t{64} << 20;
  return cfg;
}

std::string pattern(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return out;
}

std::string random_bytes(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761U + 1;
  for (auto& c : out) {
    x ^= x << 13U;
    x ^= x >> 17U;
    x ^= x << 5U;
    c = static_cast<char>(x & 0xffU);
  }
  return out;
}

} // namespace

TEST_CASE("interop: text and binary messages echo, small and several MiB") {
  for (const bool compression : {false, true}) {
    for (const auto& kind : servers(compression)) {
      CAPTURE(kind.name);
      CAPTURE(compression);
      server_process server{kind.argv};
      zenws::io_runtime io{1};
      auto cfg = config_for(server);
      cfg.compression.enabled = compression;
      client c{io, cfg};
      const auto opened = c.events->wait_open(patience);
      REQUIRE(opened);
      CHECK(opened->status == 101);
      CHECK(opened->compression == compression);
      const std::vector<std::pair<frame_kind, std::string>> sent{
          {frame_kind::text, "hello"},
          {frame_kind::binary, std::string("\x00\xff\x01", 3)},
          {frame_kind::text, ""},
          {frame_kind::binary, ""},
          {frame_kind::text, pattern(std::size_t{5} << 20, 1)},
          {frame_kind::binary, random_bytes(std::size_t{3} << 20, 2)},
          {frame_kind::text, "after the big ones"},
      };
      for (const auto& [kind_of, payload] : sent)
        REQUIRE(c.link->send(kind_of, payload) == zenws::errc::none);
      REQUIRE(c.events->wait_messages(sent.size(), 3 * patience));
      const auto got = c.events->messages();
      REQUIRE(got.size() == sent.size());
      for (std::size_t i = 0; i < sent.size(); ++i) {
        CAPTURE(i);
        CHECK(got[i].kind == sent[i].first);
        CHECK(got[i].payload.size() == sent[i].second.size());
        CHECK(got[i].payload == sent[i].second);
      }
      CHECK(c.ask("!compression") == (compression ? "deflate" : "none"));
    }
  }
}

TEST_CASE("interop: a message the server sends in fragments arrives whole") {
  for (const auto& kind : servers()) {
    CAPTURE(kind.name);
    server_process server{kind.argv};
    zenws::io_runtime io{1};
    client c{io, config_for(server)};
    REQUIRE(c.events->wait_open(patience));
    CHECK(c.ask("!fragments 4 one message in four fragments") == "one message in four fragments");
    const auto big = pattern(200000, 3);
    CHECK(c.ask("!fragments 50 " + big) == big);
    CHECK(c.ask("still in step") == "still in step");
  }
}

TEST_CASE("interop: the server's pings are answered with its payload") {
  for (const auto& kind : servers()) {
    CAPTURE(kind.name);
    server_process server{kind.argv};
    zenws::io_runtime io{1};
    client c{io, config_for(server)};
    REQUIRE(c.events->wait_open(patience));
    // The server replies only once it has our pong.
    CHECK(c.ask("!ping are you there") == "pong are you there");
    CHECK(c.ask("!ping ") == "pong ");
    const auto pings = c.events->pings();
    REQUIRE(pings.size() == 2);
    CHECK(pings[0] == "are you there");
    CHECK(pings[1].empty());
  }
}

TEST_CASE("interop: a close started by the server reports its code and reason") {
  const std::vector<std::pair<int, std::string>> closes{
      {1000, "done"}, {1001, "going away"}, {3000, ""}, {4999, "app specific"}};
  for (const auto& kind : servers()) {
    for (const auto& close : closes) {
      const int code = close.first; // not a structured binding: CAPTURE captures it in a lambda
      const std::string& reason = close.second;
      CAPTURE(kind.name);
      CAPTURE(code);
      server_process server{kind.argv};
      zenws::io_runtime io{1};
      client c{io, config_for(server)};
      REQUIRE(c.events->wait_open(patience));
      REQUIRE(c.link->send(frame_kind::text, "!close " + std::to_string(code) + " " + reason) ==
              zenws::errc::none);
      const auto closed = c.events->wait_closed(patience);
      REQUIRE(closed);
      CHECK(closed->initiator == zenws::close_initiator::remote);
      CHECK(closed->code == code);
      CHECK(closed->reason == reason);
      CHECK_FALSE(closed->error);
      CHECK(closed->was_open);
    }
  }
}

TEST_CASE("interop: subprotocol negotiation") {
  for (const auto& kind : servers()) {
    CAPTURE(kind.name);
    server_process server{kind.argv};
    zenws::io_runtime io{1};
    {
      auto cfg = config_for(server);
      cfg.subprotocols = {"unknown.proto", "zenws.v1"};
      client c{io, cfg};
      const auto opened = c.events->wait_open(patience);
      REQUIRE(opened);
      CHECK(opened->subprotocol == "zenws.v1");
      CHECK(c.ask("!subprotocol") == "zenws.v1");
    }
    {
      auto cfg = config_for(server);
      cfg.subprotocols = {"zenws.v2"};
      client c{io, cfg};
      const auto opened = c.events->wait_open(patience);
      REQUIRE(opened);
      CHECK(opened->subprotocol == "zenws.v2");
    }
    {
      client c{io, config_for(server)}; // none offered: none chosen
      const auto opened = c.events->wait_open(patience);
      REQUIRE(opened);
      CHECK(opened->subprotocol.empty());
      CHECK(c.ask("!subprotocol") == "none");
    }
  }
}

TEST_CASE("interop: the libwebsockets test server's protocols") {
  const auto port = server_process::free_port();
  server_process server{{ZENWS_LWS_TEST_SERVER, "--port=" + std::to_string(port), "-d", "1"}, port};
  zenws::io_runtime io{1};
  SUBCASE("dumb-increment-protocol: its counter, a reset, and its close on request") {
    auto cfg = config_for(server);
    cfg.subprotocols = {"dumb-increment-protocol"};
    client c{io, cfg};
    const auto opened = c.events->wait_open(patience);
    REQUIRE(opened);
    CHECK(opened->subprotocol == "dumb-increment-protocol");
    REQUIRE(c.events->wait_messages(3, patience)); // it counts every 50 ms from 0
    auto got = c.events->messages();
    CHECK(got[0].payload == "0");
    CHECK(got[1].payload == "1");
    CHECK(got[2].payload == "2");
    REQUIRE(c.link->send(frame_kind::text, "reset\n") == zenws::errc::none);
    // After the reset the count starts again: some message after it is "0" again.
    const auto before = c.events->messages().size();
    REQUIRE(c.events->wait_messages(before + 3, patience));
    got = c.events->messages();
    bool restarted = false;
    for (auto i = before; i < got.size(); ++i)
      restarted = restarted || got[i].payload == "0";
    CHECK(restarted);
    REQUIRE(c.link->send(frame_kind::text, "closeme\n") == zenws::errc::none);
    const auto closed = c.events->wait_closed(patience);
    REQUIRE(closed);
    CHECK(closed->initiator == zenws::close_initiator::remote);
    CHECK(closed->code == 1001);
    CHECK(closed->reason == "seeya");
    CHECK_FALSE(closed->error);
  }
  SUBCASE("lws-mirror-protocol: what one client sends reaches every client") {
    auto cfg = config_for(server);
    cfg.subprotocols = {"lws-mirror-protocol"};
    client first{io, cfg};
    client second{io, cfg};
    REQUIRE(first.events->wait_open(patience));
    REQUIRE(second.events->wait_open(patience));
    REQUIRE(first.link->send(frame_kind::text, "hello mirror") == zenws::errc::none);
    REQUIRE(first.events->wait_messages(1, patience));
    REQUIRE(second.events->wait_messages(1, patience));
    CHECK(first.events->messages()[0].payload == "hello mirror");
    CHECK(second.events->messages()[0].payload == "hello mirror");
    CHECK(first.ask("and back") == "and back");
  }
  SUBCASE("no common subprotocol: the server refuses the upgrade, and we say so") {
    auto cfg = config_for(server);
    cfg.subprotocols = {"not-offered-by-the-server"};
    client c{io, cfg};
    CHECK_FALSE(c.events->wait_open(patience));
    const auto closed = c.events->wait_closed(patience);
    REQUIRE(closed);
    CHECK_FALSE(closed->was_open);
    // It closes the TCP connection without an HTTP answer: not a refusal we can read, so a
    // dropped connection (retried by the policy) that says what happened.
    CHECK(closed->error.code == zenws::errc::connection_lost);
    CHECK(closed->error.detail.find("closed the connection before answering the upgrade") !=
          std::string::npos);
  }
}
