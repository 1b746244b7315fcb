// The transport against the kit's Beast server: frames, the close handshake in both directions,
// protocol violations. Real sockets, no CAF.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "transport/transport_client.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/transport.hpp"
#include "zenws/testing/test_server.hpp"

using namespace std::chrono_literals;
namespace kit = zenws::testing;

namespace {

constexpr auto wait = 5s;

using client = zenws::test::transport_client;

zenws::connection_config config_for(const kit::test_server& server,
                                    const std::string& target = "/") {
  zenws::connection_config cfg;
  cfg.url = server.url(target);
  cfg.tls.ca_file = server.tls().ca_file;
  return cfg;
}

/// A server frame built byte by byte (unmasked), for cases Beast's writer would not produce.
std::string raw_frame(std::uint8_t first_byte, const std::string& payload, bool masked = false) {
  std::string out;
  out.push_back(static_cast<char>(first_byte));
  REQUIRE(payload.size() < 126);
  out.push_back(static_cast<char>((masked ? 0x80 : 0) | payload.size()));
  if (masked) {
    out.append("\0\0\0\0", 4); // a zero key leaves the payload as it is
  }
  out += payload;
  return out;
}

} // namespace

TEST_CASE("text and binary messages echo over ws and wss") {
  for (bool tls : {false, true}) {
    CAPTURE(tls);
    kit::test_server server{kit::server_options::secure(tls)};
    zenws::io_runtime io{1};
    client c{io, config_for(server, "/echo")};
    auto opened = c.events->wait_open(wait);
    REQUIRE(opened);
    CHECK(opened->status == 101);
    if (tls)
      CHECK(opened->tls_time.count() > 0);
    REQUIRE(c.link->send(zenws::frame_kind::text, "hello") == zenws::errc::none);
    REQUIRE(c.link->send(zenws::frame_kind::binary, std::string("\x00\xff\x01", 3)) ==
            zenws::errc::none);
    REQUIRE(c.events->wait_messages(2, wait));
    const auto got = c.events->messages();
    CHECK(got[0].kind == zenws::frame_kind::text);
    CHECK(got[0].payload == "hello");
    CHECK(got[1].kind == zenws::frame_kind::binary);
    CHECK(got[1].payload == std::string("\x00\xff\x01", 3));
  }
}

TEST_CASE("messages larger than the socket's send buffer go out whole, in order") {
  // A write the socket cannot take at once goes out partly at once and the rest when the
  // socket drains (plain TCP); small frames queued behind it keep their order.
  for (bool tls : {false, true}) {
    CAPTURE(tls);
    kit::test_server server{kit::server_options::secure(tls)};
    zenws::io_runtime io{1};
    client c{io, config_for(server, "/echo")};
    REQUIRE(c.events->wait_open(wait));
    std::vector<std::string> sent;
    for (int i = 0; i < 3; ++i) {
      sent.push_back(std::string(std::size_t{6} << 20, static_cast<char>('a' + i)));
      sent.push_back("small " + std::to_string(i));
    }
    for (const auto& m : sent)
      REQUIRE(c.link->send(zenws::frame_kind::text, m) == zenws::errc::none);
    REQUIRE(c.events->wait_messages(sent.size(), 4 * wait));
    const auto got = c.events->messages();
    REQUIRE(got.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
      CAPTURE(i);
      CHECK(got[i].payload.size() == sent[i].size());
      CHECK(got[i].payload == sent[i]);
    }
  }
}

TEST_CASE("messages the server sends before answering our close are delivered") {
  kit::test_server server;
  server.set_reply_delay(30ms); // the replies leave after our close frame has arrived
  zenws::io_runtime io{1};
  client c{io, config_for(server)};
  REQUIRE(c.events->wait_open(wait));
  for (const char* text : {"a", "b", "c"})
    REQUIRE(c.link->send(zenws::frame_kind::text, text) == zenws::errc::none);
  c.link->close(1000, "done");
  const auto closed = c.events->wait_closed(wait);
  REQUIRE(closed);
  CHECK_FALSE(closed->error);
  CHECK(closed->initiator == zenws::close_initiator::local);
  CHECK(closed->code == 1000);
  CHECK(closed->frames_written == 3);
  const auto got = c.events->messages();
  REQUIRE(got.size() == 3);
  CHECK(got[0].payload == "a");
  CHECK(got[2].payload == "c");
  const auto end = server.wait_for_end(1, wait);
  REQUIRE(end);
  CHECK(end->close_frame);
  CHECK(end->code == 1000);
  CHECK(end->reason == "done");
}

TEST_CASE("a close started by the server reports its code and reason") {
  kit::test_server server;
  zenws::io_runtime io{1};
  client c{io, config_for(server)};
  REQUIRE(c.events->wait_open(wait));
  const auto session = server.wait_for_sessions(1, wait);
  REQUIRE(session);
  server.close(*session, 4002, "maintenance");
  const auto closed = c.events->wait_closed(wait);
  REQUIRE(closed);
  CHECK_FALSE(closed->error);
  CHECK(closed->initiator == zenws::close_initiator::remote);
  CHECK(closed->code == 4002);
  CHECK(closed->reason == "maintenance");
  CHECK(closed->was_open);
  // The client echoed the code in its reply.
  const auto end = server.wait_for_end(*session, wait);
  REQUIRE(end);
  CHECK(end->code == 4002);
  CHECK(c.link->send(zenws::frame_kind::text, "late") == zenws::errc::not_connected);
}

TEST_CASE("a fragmented message from the server is reassembled") {
  kit::test_server server;
  zenws::io_runtime io{1};
  client c{io, config_for(server)};
  REQUIRE(c.events->wait_open(wait));
  const auto session = server.wait_for_sessions(1, wait);
  std::string big(50000, 'z');
  big[0] = 'A';
  server.send_fragmented(*session, {0, false, big}, 1000);
  REQUIRE(c.events->wait_messages(1, wait));
  CHECK(c.events->messages()[0].payload == big);
}

TEST_CASE("server pings are answered with the same payload") {
  kit::test_server server;
  zenws::io_runtime io{1};
  client c{io, config_for(server)};
  REQUIRE(c.events->wait_open(wait));
  const auto session = server.wait_for_sessions(1, wait);
  server.ping(*session, "are-you-there");
  CHECK(server.wait_for_pong(*session, "are-you-there", wait));
}

TEST_CASE("a message over max_message_size fails the connection with 1009") {
  kit::test_server server;
  zenws::io_runtime io{1};
  auto cfg = config_for(server);
  cfg.max_message_size = 1000;
  client c{io, cfg};
  REQUIRE(c.events->wait_open(wait));
  const auto session = server.wait_for_sessions(1, wait);
  server.send(*session, {0, false, std::string(1001, 'x')});
  const auto closed = c.events->wait_closed(wait);
  REQUIRE(closed);
  CHECK(closed->error.code == zenws::errc::message_too_big);
  CHECK(closed->code == 1009);
  CHECK(c.events->messages().empty());
  const auto end = server.wait_for_end(*session, wait);
  REQUIRE(end);
  CHECK(end->code == 1009);
}

TEST_CASE("protocol violations by the server fail the connection with the RFC's close code") {
  struct violation {
    const char* name;
    std::string bytes;
    zenws::errc expected;
    std::uint16_t close_code;
  };
  const violation cases[] = {
      {"masked server frame", raw_frame(0x81, "hi", true), zenws::errc::protocol_violation, 1002},
      {"reserved opcode", raw_frame(0x83, "x"), zenws::errc::protocol_violation, 1002},
      {"RSV2 set", raw_frame(0xA1, "x"), zenws::errc::protocol_violation, 1002},
      {"invalid UTF-8 text", raw_frame(0x81, "\xc0\xaf"), zenws::errc::invalid_utf8, 1007},
      {"invalid UTF-8 in the first fragment", raw_frame(0x01, "ok\xff"), zenws::errc::invalid_utf8,
       1007},
      {"continuation without a message", raw_frame(0x80, "x"), zenws::errc::protocol_violation,
       1002},
  };
  for (const auto& v : cases) {
    CAPTURE(v.name);
    kit::test_server server;
    zenws::io_runtime io{1};
    client c{io, config_for(server)};
    REQUIRE(c.events->wait_open(wait));
    const auto session = server.wait_for_sessions(1, wait);
    server.send_raw(*session, v.bytes);
    const auto closed = c.events->wait_closed(wait);
    REQUIRE(closed);
    CHECK(closed->error.code == v.expected);
    CHECK(closed->code == v.close_code);
    CHECK(c.events->messages().empty());
    const auto end = server.wait_for_end(*session, wait);
    REQUIRE(end);
    CHECK(end->code == v.close_code);
  }
}

TEST_CASE("a server that never answers our close is cut off after timeouts.close") {
  kit::test_server server;
  zenws::io_runtime io{1};
  auto cfg = config_for(server);
  cfg.timeouts.close = 200ms;
  client c{io, cfg};
  REQUIRE(c.events->wait_open(wait));
  const auto session = server.wait_for_sessions(1, wait);
  server.stall(*session);
  const auto started = std::chrono::steady_clock::now();
  c.link->close(1000, "");
  const auto closed = c.events->wait_closed(wait);
  REQUIRE(closed);
  CHECK(closed->error.code == zenws::errc::close_timeout);
  CHECK(std::chrono::steady_clock::now() - started >= 200ms);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("frames sent from several threads all arrive, each thread's in order") {
  kit::test_server server;
  zenws::io_runtime io{2};
  client c{io, config_for(server)};
  REQUIRE(c.events->wait_open(wait));
  constexpr int per_thread = 500;
  auto producer = [&](char tag) {
    for (int i = 0; i < per_thread; ++i)
      REQUIRE(c.link->send(zenws::frame_kind::text, tag + std::to_string(i)) == zenws::errc::none);
  };
  std::thread a{producer, 'a'};
  std::thread b{producer, 'b'};
  a.join();
  b.join();
  REQUIRE(c.events->wait_messages(2 * per_thread, wait));
  int next_a = 0;
  int next_b = 0;
  for (const auto& m : c.events->messages()) {
    auto& next = m.payload[0] == 'a' ? next_a : next_b;
    CHECK(std::stoi(m.payload.substr(1)) == next);
    ++next;
  }
  CHECK(next_a == per_thread);
  CHECK(next_b == per_thread);
}

TEST_CASE("the write queue depth is visible and bounded") {
  kit::test_server server;
  zenws::io_runtime io{1};
  auto cfg = config_for(server);
  cfg.max_write_queue = 8;
  client c{io, cfg};
  REQUIRE(c.events->wait_open(wait));
  const auto session = server.wait_for_sessions(1, wait);
  server.stall(*session); // nothing is read: the socket buffers fill, then our queue
  const std::string chunk(std::size_t{256} * 1024, 'q');
  int accepted = 0;
  zenws::errc refused = zenws::errc::none;
  for (int i = 0; i < 200 && refused == zenws::errc::none; ++i) {
    refused = c.link->send(zenws::frame_kind::binary, chunk);
    accepted += refused == zenws::errc::none ? 1 : 0;
  }
  CHECK(refused == zenws::errc::write_queue_full);
  CHECK(c.link->queue_depth() > 0); // nothing is read, so little can drain meanwhile
  CHECK(c.link->queue_depth() <= 8);
  CHECK(accepted >= 8);
}

TEST_CASE("an aborted transport reports nothing more") {
  kit::test_server server;
  zenws::io_runtime io{1};
  client c{io, config_for(server)};
  REQUIRE(c.events->wait_open(wait));
  c.link->send(zenws::frame_kind::text, "x");
  c.link->abort();
  REQUIRE(server.wait_for_end(1, wait));
  std::this_thread::sleep_for(50ms); // give a wrongly reported close time to show up
  CHECK(c.events->closed_count() == 0);
}

TEST_CASE("an urgent frame overtakes data frames still waiting to be written") {
  const std::string chunk(std::size_t{64} * 1024, 'd');
  constexpr int backlog = 100;
  // Whether data frames are still waiting when the urgent ones are queued depends on how fast
  // the socket takes them (a write the socket has room for goes out at once), so the scenario
  // runs until one attempt had frames to overtake; if urgent frames never went ahead, that is
  // the failure.
  bool overtook = false;
  for (int attempt = 0; attempt < 10 && !overtook; ++attempt) {
    kit::test_server server;
    server.silent();
    zenws::io_runtime io{1};
    client c{io, config_for(server)};
    REQUIRE(c.events->wait_open(wait));
    for (int i = 0; i < backlog; ++i)
      REQUIRE(c.link->send(zenws::frame_kind::text, std::to_string(i) + chunk) ==
              zenws::errc::none);
    REQUIRE(c.link->send_urgent(zenws::frame_kind::text, "urgent-1") == zenws::errc::none);
    REQUIRE(c.link->send_urgent(zenws::frame_kind::text, "urgent-2") == zenws::errc::none);
    const auto last = std::to_string(backlog - 1);
    REQUIRE(server.wait_for_frame(
        [&](const kit::frame& f) { return f.data.compare(0, last.size() + 1, last + "d") == 0; },
        wait));
    REQUIRE(server.wait_for_frame([](const kit::frame& f) { return f.data == "urgent-2"; }, wait));
    std::vector<std::string> order;
    std::vector<int> data_order;
    for (const auto& f : server.frames()) {
      const bool urgent = f.data.rfind("urgent", 0) == 0;
      order.push_back(urgent ? f.data : f.data.substr(0, f.data.find('d')));
      if (!urgent)
        data_order.push_back(std::stoi(order.back()));
    }
    REQUIRE(order.size() == backlog + 2);
    const auto u1 = std::find(order.begin(), order.end(), "urgent-1");
    const auto u2 = std::find(order.begin(), order.end(), "urgent-2");
    const auto tail = std::find(order.begin(), order.end(), last);
    REQUIRE(u1 != order.end());
    REQUIRE(u2 != order.end());
    CHECK(u1 < u2); // urgent frames keep their own order
    CHECK(std::is_sorted(data_order.begin(), data_order.end())); // and data frames theirs
    overtook = u2 < tail; // ahead of the data still waiting, if any was
  }
  CHECK(overtook);
}
