// Telemetry events from real connections: the lifecycle, heartbeats, requests, subscriptions
// and the rate limiter, each checked against what the test made happen.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "actors/connection_fixture.hpp"
#include "telemetry_log.hpp"

using namespace connection_test;
using zenws::telemetry_event;
using zenws::telemetry_kind;
using zenws_test::event_log;

TEST_CASE_FIXTURE(fixture, "telemetry: lifecycle, requests and subscriptions as they happen") {
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue());
  event_log log;
  zenws::connection_options options;
  options.telemetry = log.hook();
  options.label = "venue-a";
  auto conn = spawn(fast_config(server.url("/ws?token=secret")), options);
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);

  const auto attempts = log.of(telemetry_kind::connect_attempt);
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].count == 1);
  CHECK(attempts[0].source == "venue-a");
  REQUIRE(log.of(telemetry_kind::upgraded).size() == 1);
  CHECK(log.of(telemetry_kind::upgraded)[0].duration > 0us);
  CHECK(log.of(telemetry_kind::ready).size() == 1);

  REQUIRE(request(conn, "public/get_time").first);
  const auto tracked = log.of(telemetry_kind::request_tracked);
  REQUIRE(tracked.size() == 1);
  CHECK(tracked[0].detail == "public/get_time");
  REQUIRE(log.of(telemetry_kind::request_resolved).size() == 1);
  CHECK(log.of(telemetry_kind::request_resolved)[0].duration > 0us);
  CHECK(request(conn, "fail").second.code == errc::server_error);
  REQUIRE(log.of(telemetry_kind::request_failed).size() == 1);
  CHECK(log.of(telemetry_kind::request_failed)[0].error.code == errc::server_error);
  CHECK(request(conn, "silent", 50ms).second.code == errc::request_timeout);
  CHECK(log.of(telemetry_kind::request_timed_out).size() == 1);

  REQUIRE(ask<zenws::subscription_outcome>(conn, zenws::subscribe_atom::value,
                                           std::vector<std::string>{"a", "b", "bad"})
              .first);
  REQUIRE(log.of(telemetry_kind::subscription_added).size() == 1);
  CHECK(log.of(telemetry_kind::subscription_added)[0].count == 2); // "bad" was refused

  // A drop: disconnected, a planned retry, a second attempt, the restore, ready again.
  server.close(*server.wait_for_sessions(1, wait), 1011, "restart");
  CHECK(next("connected").tag == "connected");
  REQUIRE(log.wait_for(telemetry_kind::ready, 2));
  REQUIRE(log.of(telemetry_kind::disconnected).size() == 1);
  CHECK(log.of(telemetry_kind::disconnected)[0].count == 1011);
  REQUIRE(log.of(telemetry_kind::reconnect_planned).size() == 1);
  CHECK(log.of(telemetry_kind::reconnect_planned)[0].count == 1);
  CHECK(log.of(telemetry_kind::connect_attempt).size() == 2);
  REQUIRE(log.of(telemetry_kind::subscriptions_restored).size() == 1);
  CHECK(log.of(telemetry_kind::subscriptions_restored)[0].count == 2);

  REQUIRE(ask<zenws::subscription_outcome>(conn, zenws::unsubscribe_atom::value,
                                           std::vector<std::string>{"a"})
              .first);
  REQUIRE(log.of(telemetry_kind::subscription_removed).size() == 1);
  CHECK(log.of(telemetry_kind::subscription_removed)[0].count == 1);

  // No secret of the URL in any event.
  for (const auto& e : log.all()) {
    CHECK(e.source.find("secret") == std::string::npos);
    CHECK(e.detail.find("secret") == std::string::npos);
  }
}

TEST_CASE_FIXTURE(fixture, "telemetry: heartbeats sent, answered with RTT, then missed, gave up") {
  kit::test_server server;
  event_log log;
  zenws::connection_options options;
  options.telemetry = log.hook();
  auto config = fast_config(server.url("/"));
  config.heartbeat.policy = zenws::heartbeat_policy::ping_pong;
  config.heartbeat.interval = 50ms;
  config.heartbeat.max_missed = 2;
  config.reconnect.enabled = false;
  auto conn = spawn(config, options);
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  REQUIRE(log.wait_for(telemetry_kind::heartbeat_answered, 2));
  CHECK(log.of(telemetry_kind::heartbeat_sent).size() >= 2);
  CHECK(log.of(telemetry_kind::heartbeat_answered)[0].duration > 0us);
  CHECK(log.of(telemetry_kind::heartbeat_answered)[0].source ==
        "127.0.0.1:" + std::to_string(server.port()));

  server.stall(*server.wait_for_sessions(1, wait)); // pongs stop
  REQUIRE(log.wait_for(telemetry_kind::heartbeat_missed, 2));
  const auto missed = log.of(telemetry_kind::heartbeat_missed);
  CHECK(missed[0].count == 1);
  CHECK(missed[1].count == 2);
  REQUIRE(log.wait_for(telemetry_kind::gave_up));
  CHECK(log.of(telemetry_kind::disconnected).back().error.code == errc::stale);
}

TEST_CASE_FIXTURE(fixture, "telemetry: tokens consumed, frames queued, pressure, rejections") {
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue());
  event_log log;
  zenws::connection_options options;
  options.telemetry = log.hook();
  options.rate_limit.limits.buckets = {{"requests", 1, 1}};
  options.rate_limit.limits.max_queue = 2;
  options.rate_limit.request_cost = [](std::string_view) { return zenws::charges{{0, 1}}; };
  auto conn = spawn(fast_config(server.url("/")), options);
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  const auto sink = caf::actor_cast<caf::actor>(self);
  auto sender = fire(sys, conn, 4, "public/get_time", caf::timespan{5s}, sink);
  const auto ends = endings(self, 4);
  self->send_exit(sender, caf::exit_reason::user_shutdown);
  CHECK(std::count_if(ends.begin(), ends.end(),
                      [](const auto& e) { return e.second == errc::rate_limited; }) == 1);
  CHECK(log.of(telemetry_kind::rate_limit_consumed).size() == 3);
  CHECK(log.of(telemetry_kind::rate_limit_queued).size() == 2);
  REQUIRE(log.of(telemetry_kind::rate_limit_rejected).size() == 1);
  CHECK(log.of(telemetry_kind::rate_limit_rejected)[0].error.code == errc::rate_limited);
  const auto levels = log.of(telemetry_kind::pressure_changed);
  REQUIRE(levels.size() >= 2);
  CHECK(levels.back().detail == "none");
}
