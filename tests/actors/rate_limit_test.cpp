// The rate limiter in the connection actor, against the kit's JSON-RPC venue: frames wait for
// tokens in order, a full queue refuses, a request that waits too long is never sent, frames
// still waiting when the socket drops end unsent, and the handler hears the pressure level.

#include <doctest/doctest.h>

#include <map>

#include "connection_fixture.hpp"

using namespace connection_test;

namespace {

/// One bucket of `capacity` tokens refilled at `per_second`; every request costs 1.
zenws::connection_options limited(std::uint64_t capacity, std::uint64_t per_second,
                                  std::size_t max_queue) {
  zenws::connection_options options;
  options.rate_limit.limits.buckets = {{"requests", capacity, per_second}};
  options.rate_limit.limits.max_queue = max_queue;
  options.rate_limit.request_cost = [](std::string_view) { return zenws::charges{{0, 1}}; };
  return options;
}

/// How many frames the server received that name `method`.
std::size_t frames_for(const kit::test_server& server, const std::string& method) {
  std::size_t n = 0;
  for (const auto& f : server.frames())
    n += f.data.find('"' + method + '"') != std::string::npos ? 1 : 0;
  return n;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "requests beyond the tokens wait, go in order as tokens come, and the "
                           "handler hears the pressure") {
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue());
  auto conn = spawn(fast_config(server.url("/")), limited(2, 20, 8));
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  REQUIRE(next().tag == "connected");
  const auto start = clock_type::now();
  auto sink = caf::actor_cast<caf::actor>(self);
  auto sender = fire(sys, conn, 6, "public/get_time", caf::timespan{2s}, sink);
  // 2 at once, then one per 50 ms: 4 waiting at the peak (50% of 8: medium).
  std::vector<std::string> levels;
  std::vector<int> order;
  std::map<int, errc> ended;
  while (ended.size() < 6) {
    self->receive(
        [&](int request, int code) {
          ended[request] = static_cast<errc>(code);
          order.push_back(request);
        },
        [&](std::string& tag, std::string& text, std::uint32_t, std::int64_t, zenws::failure&, bool,
            std::vector<std::string>&, std::vector<std::string>&) {
          if (tag == "pressure")
            levels.push_back(text);
        },
        caf::after(wait) >> [&] { FAIL("requests did not end"); });
  }
  const auto took = clock_type::now() - start;
  for (const auto& [request, code] : ended)
    CHECK_MESSAGE(code == errc::none, request);
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(took >= 190ms); // the last waited for 4 refills of 50 ms
  CHECK(frames_for(server, "public/get_time") == 6);
  REQUIRE_FALSE(levels.empty());
  CHECK(levels.front() == "low");
  CHECK(std::find(levels.begin(), levels.end(), "medium") != levels.end());
  // Pressure events may still be in flight after the last answer.
  self->receive(
      [&](std::string& tag, std::string& text, std::uint32_t, std::int64_t, zenws::failure&, bool,
          std::vector<std::string>&, std::vector<std::string>&) {
        if (tag == "pressure")
          levels.push_back(text);
      },
      caf::after(100ms) >> [] {});
  CHECK(levels.back() == "none");
  self->send_exit(sender, caf::exit_reason::user_shutdown);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a full wait queue refuses with rate_limited at once") {
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue());
  auto conn = spawn(fast_config(server.url("/")), limited(1, 1, 1));
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  auto sink = caf::actor_cast<caf::actor>(self);
  auto sender = fire(sys, conn, 3, "public/get_time", caf::timespan{3s}, sink);
  std::vector<int> order;
  const auto ended = endings(self, 3, &order);
  REQUIRE(ended.size() == 3);
  CHECK(ended.at(0) == errc::none);
  CHECK(ended.at(1) == errc::none); // waited about a second for its token
  CHECK(ended.at(2) == errc::rate_limited);
  CHECK(order.front() == 2); // refused before the others ended
  const auto m =
      ask<zenws::connection_metrics>(conn, caf::get_atom::value, zenws::metrics_atom::value).first;
  REQUIRE(m);
  CHECK(m->rate_limited == 1);
  CHECK(frames_for(server, "public/get_time") == 2);
  self->send_exit(sender, caf::exit_reason::user_shutdown);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a request that waits longer than its timeout is never sent") {
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue());
  auto conn = spawn(fast_config(server.url("/")), limited(1, 1, 4));
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  auto sink = caf::actor_cast<caf::actor>(self);
  auto sender = fire(sys, conn, 2, "public/get_time", caf::timespan{150ms}, sink);
  const auto ended = endings(self, 2);
  REQUIRE(ended.size() == 2);
  CHECK(ended.at(0) == errc::none);
  CHECK(ended.at(1) == errc::rate_limited);
  std::this_thread::sleep_for(1200ms); // its token has come by now: it must still not go
  CHECK(frames_for(server, "public/get_time") == 1);
  self->send_exit(sender, caf::exit_reason::user_shutdown);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "frames waiting for tokens when the socket drops end unsent") {
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue());
  auto conn = spawn(fast_config(server.url("/")), limited(1, 1, 4));
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  auto sink = caf::actor_cast<caf::actor>(self);
  auto sender = fire(sys, conn, 3, "silent", caf::timespan{5s}, sink);
  REQUIRE(server.wait_for_frame(
      [](const kit::frame& f) { return f.data.find("silent") != std::string::npos; }, wait));
  server.reset(1);
  const auto ended = endings(self, 3);
  REQUIRE(ended.size() == 3);
  CHECK(ended.at(0) == errc::disconnected);  // sent: the server may have acted on it
  CHECK(ended.at(1) == errc::not_connected); // never left the queue
  CHECK(ended.at(2) == errc::not_connected);
  CHECK(frames_for(server, "silent") == 1);
  self->send_exit(sender, caf::exit_reason::user_shutdown);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "an invalid rate-limit config is refused at connect") {
  kit::test_server server;
  auto options = limited(1, 1, 4);
  options.rate_limit.limits.buckets[0].refill_per_second = 0;
  auto conn = spawn(fast_config(server.url("/")), options);
  const auto [up, err] = ask<zenws::upgrade_response>(conn, caf::connect_atom::value);
  CHECK_FALSE(up);
  CHECK(err.code == errc::invalid_config);
  CHECK(err.detail.find("refill_per_second") != std::string::npos);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}
