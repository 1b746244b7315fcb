#include "zenws/protocol/heartbeat.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>

using namespace zenws;
using namespace std::chrono_literals;
using action = heartbeat_action::type;

namespace {

heartbeat_config make(heartbeat_policy policy, milliseconds interval, std::uint32_t max_missed) {
  heartbeat_config cfg;
  cfg.policy = policy;
  cfg.interval = interval;
  cfg.max_missed = max_missed;
  return cfg;
}

const json_rpc::message not_rpc{};

} // namespace

TEST_CASE("ping_pong: unique payloads, true RTT from the matching pong") {
  heartbeat_monitor hb{make(heartbeat_policy::ping_pong, 1000ms, 2), 10};
  steady_time now{};
  hb.start(now);
  CHECK(hb.tick_interval() == 1000ms);
  std::set<std::string> payloads;
  for (int i = 0; i < 5; ++i) {
    now += 1000ms;
    const auto ping = hb.on_tick(now);
    REQUIRE(ping.what == action::send_ping);
    payloads.insert(ping.payload);
    hb.on_pong("someone else's pong", now + 1ms); // unsolicited: ignored
    hb.on_pong(ping.payload, now + std::chrono::microseconds{250 * (i + 1)});
  }
  CHECK(payloads.size() == 5);
  const auto h = hb.health(now + 1ms);
  CHECK(h.sent == 5);
  CHECK(h.received == 5);
  CHECK(h.missed == 0);
  CHECK(h.failures == 0);
  CHECK(h.rtt.samples == 5);
  CHECK(h.rtt.p50 == 750us);
  CHECK(h.rtt.max == 1250us);
  CHECK(h.since_last == 0ms);
}

TEST_CASE("ping_pong: N unanswered pings in a row make the connection stale") {
  heartbeat_monitor hb{make(heartbeat_policy::ping_pong, 1000ms, 2), 10};
  steady_time now{};
  hb.start(now);
  CHECK(hb.on_tick(now += 1000ms).what == action::send_ping); // ping 1
  CHECK(hb.on_tick(now += 1000ms).what == action::send_ping); // miss 1, ping 2
  CHECK(hb.health(now).missed == 1);
  CHECK(hb.on_tick(now += 1000ms).what == action::stale); // miss 2
  const auto h = hb.health(now);
  CHECK(h.stale == 1);
  CHECK(h.failures == 2);
  CHECK(h.since_last == -1ms);
}

TEST_CASE("ping_pong: a late pong for an earlier ping still ends the run of misses") {
  heartbeat_monitor hb{make(heartbeat_policy::ping_pong, 1000ms, 3), 10};
  steady_time now{};
  hb.start(now);
  const auto first = hb.on_tick(now += 1000ms);
  CHECK(hb.on_tick(now += 1000ms).what == action::send_ping); // miss 1
  hb.on_pong(first.payload, now + 500ms);                     // 1.5 s round trip
  CHECK(hb.health(now).missed == 0);
  CHECK(hb.health(now).rtt.last == 1500ms);
  CHECK(hb.on_tick(now += 1000ms).what == action::send_ping); // nothing outstanding: no miss
  CHECK(hb.health(now).failures == 1);
}

TEST_CASE("ping_pong: pongs of pings sent before a reconnect do not count") {
  heartbeat_monitor hb{make(heartbeat_policy::ping_pong, 1000ms, 2), 10};
  steady_time now{};
  hb.start(now);
  const auto old = hb.on_tick(now += 1000ms);
  hb.start(now); // reconnected
  hb.on_pong(old.payload, now + 1ms);
  CHECK(hb.health(now).received == 0);
}

TEST_CASE("text_ping: OKX's plain ping and pong, consumed and timed") {
  heartbeat_monitor hb{make(heartbeat_policy::text_ping, 20000ms, 2), 10};
  steady_time now{};
  hb.start(now);
  const auto ping = hb.on_tick(now += 20000ms);
  CHECK(ping.what == action::send_text);
  CHECK(ping.payload == "ping");
  heartbeat_action reply;
  CHECK(hb.on_text("pong", not_rpc, now + 3ms, reply));
  CHECK(reply.what == action::none);
  CHECK_FALSE(hb.on_text(R"({"arg":{"channel":"tickers"},"data":[]})", not_rpc, now, reply));
  CHECK(hb.health(now + 3ms).rtt.last == 3ms);
}

TEST_CASE("text_ping: Bybit's JSON pongs in both spellings") {
  auto cfg = make(heartbeat_policy::text_ping, 20000ms, 2);
  cfg.text_ping_message = R"({"op":"ping"})";
  heartbeat_monitor hb{cfg, 10};
  steady_time now{};
  hb.start(now);
  CHECK(hb.on_tick(now += 20000ms).payload == R"({"op":"ping"})");
  heartbeat_action reply;
  CHECK(hb.on_text(
      R"({"success":true,"ret_msg":"pong","conn_id":"465772b1","req_id":"","op":"ping"})", not_rpc,
      now + 1ms, reply));
  CHECK(hb.on_tick(now += 20000ms).what == action::send_text);
  CHECK(hb.on_text(R"({"req_id":"test","op":"pong","args":["1675418560633"],"conn_id":"x"})",
                   not_rpc, now + 1ms, reply));
  CHECK(hb.health(now).missed == 0);
  CHECK(hb.health(now).received == 2);
}

TEST_CASE("text_ping: unanswered text pings make the connection stale") {
  heartbeat_monitor hb{make(heartbeat_policy::text_ping, 1000ms, 1), 10};
  steady_time now{};
  hb.start(now);
  CHECK(hb.on_tick(now += 1000ms).what == action::send_text);
  CHECK(hb.on_tick(now += 1000ms).what == action::stale);
}

TEST_CASE("deribit: set_heartbeat in the bootstrap, test_request answered with public/test") {
  heartbeat_monitor hb{make(heartbeat_policy::deribit, 30000ms, 2), 10};
  const auto setup = hb.setup_request();
  REQUIRE(setup);
  CHECK(setup->what == action::send_request);
  CHECK(setup->payload == "public/set_heartbeat");
  CHECK(setup->params == R"({"interval":30})");

  steady_time now{};
  hb.start(now);
  const auto text = R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})";
  heartbeat_action reply;
  CHECK(hb.on_text(text, json_rpc::classify(text), now + 30s, reply));
  CHECK(reply.what == action::send_request);
  CHECK(reply.payload == "public/test");
  CHECK(reply.params == "{}");

  const auto info = R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}})";
  CHECK(hb.on_text(info, json_rpc::classify(info), now + 31s, reply));
  CHECK(reply.what == action::none);

  const auto tick = R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"x"}})";
  CHECK_FALSE(hb.on_text(tick, json_rpc::classify(tick), now + 32s, reply));
  const auto h = hb.health(now + 32s);
  CHECK(h.received == 2);
  CHECK(h.sent == 1);
  CHECK(h.since_last == 1000ms);
}

TEST_CASE("deribit: no heartbeat for two intervals is stale, declared once per silence") {
  heartbeat_monitor hb{make(heartbeat_policy::deribit, 10000ms, 2), 10};
  steady_time now{};
  hb.start(now);
  CHECK(hb.tick_interval() == 2500ms);
  CHECK(hb.on_tick(now + 9999ms).what == action::none);
  CHECK(hb.on_tick(now + 10000ms).what == action::none);
  CHECK(hb.health(now + 10000ms).missed == 1);
  CHECK(hb.on_tick(now + 19999ms).what == action::none);
  CHECK(hb.on_tick(now + 20000ms).what == action::stale);
  CHECK(hb.on_tick(now + 22500ms).what == action::none);
  CHECK(hb.health(now + 22500ms).stale == 1);
}

TEST_CASE("deribit: heartbeats keep the connection fresh indefinitely") {
  heartbeat_monitor hb{make(heartbeat_policy::deribit, 10000ms, 2), 10};
  steady_time now{};
  hb.start(now);
  const auto text = R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}})";
  const auto classified = json_rpc::classify(text);
  heartbeat_action reply;
  for (int i = 0; i < 100; ++i) {
    now += 2500ms;
    CHECK(hb.on_tick(now).what == action::none);
    if (i % 4 == 3)
      hb.on_text(text, classified, now, reply);
  }
  CHECK(hb.health(now).stale == 0);
}

TEST_CASE("server_ping: pings keep it fresh, silence for N intervals is stale") {
  heartbeat_monitor hb{make(heartbeat_policy::server_ping, 20000ms, 3), 10};
  steady_time now{};
  hb.start(now);
  CHECK_FALSE(hb.setup_request());
  hb.on_ping(now + 20s);
  CHECK(hb.on_tick(now + 79s).what == action::none);
  CHECK(hb.on_tick(now + 80s).what == action::stale);
  CHECK(hb.health(now + 80s).received == 1);
}

TEST_CASE("policy none does nothing and consumes nothing") {
  heartbeat_monitor hb{heartbeat_config{}, 10};
  hb.start({});
  CHECK(hb.tick_interval() == 0ms);
  CHECK(hb.on_tick(steady_time{} + 1h).what == action::none);
  heartbeat_action reply;
  CHECK_FALSE(hb.on_text("pong", not_rpc, {}, reply));
}

TEST_CASE("may_be_heartbeat spots the frames a policy consumes, and nothing else") {
  using zenws::heartbeat_policy;
  const auto deribit = heartbeat_policy::deribit;
  CHECK(may_be_heartbeat(
      deribit, R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})"));
  CHECK(may_be_heartbeat(
      deribit, R"({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "heartbeat"}})"));
  CHECK_FALSE(may_be_heartbeat(
      deribit, R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"heartbeat"}})"));
  CHECK_FALSE(may_be_heartbeat(deribit, "pong"));
  CHECK_FALSE(may_be_heartbeat(deribit, R"({"method":"heartbeat",)" + std::string(600, ' ') + "}"));

  const auto text = heartbeat_policy::text_ping;
  CHECK(may_be_heartbeat(text, "pong"));
  CHECK(may_be_heartbeat(text, R"({"success":true,"ret_msg":"pong","op":"ping"})"));
  CHECK_FALSE(may_be_heartbeat(text, R"({"arg":{"channel":"tickers"}})"));

  CHECK_FALSE(may_be_heartbeat(heartbeat_policy::none, "pong"));
  CHECK_FALSE(may_be_heartbeat(heartbeat_policy::ping_pong, "pong"));
  CHECK_FALSE(may_be_heartbeat(heartbeat_policy::server_ping,
                               R"({"method":"heartbeat","params":{"type":"test_request"}})"));
}
