// The pool actor against the kit's server: supervision faults (kill, crash in user code, normal
// exit, restart intensity), restore of subscriptions, balanced routing with counted endings.

#include <doctest/doctest.h>

#include "pool_fixture.hpp"
#include "telemetry_log.hpp"
#include "zenws/supervision/pool_prometheus.hpp"

using pool_test::eventually;
using pool_test::fixture;
using pool_test::fragile_handlers;
using pool_test::wait;

TEST_CASE_FIXTURE(fixture, "balanced requests spread over the ready connections") {
  auto pool = zenws::spawn_pool(sys, io, spec(3), handler);
  REQUIRE(ready(pool, 3));
  int ok = 0;
  for (int i = 0; i < 30; ++i)
    ok += request(pool, "public/get_time").first ? 1 : 0;
  CHECK(ok == 30);
  std::map<kit::session_id, int> per_session;
  for (const auto& f : server.frames())
    if (f.data.find("public/get_time") != std::string::npos)
      ++per_session[f.session];
  CHECK(per_session.size() == 3); // equal scores: round-robin
  for (const auto& [session, count] : per_session)
    CHECK(count == 10);
  const auto h = health(pool);
  for (const auto& s : h.slots) {
    CHECK(s.score == 100);
    CHECK(s.pending == 0);
    CHECK(s.state == zenws::connection_state::connected);
  }
  // Each slot's p99 comes with the next metrics refresh.
  CHECK(eventually([&] {
    const auto later = health(pool);
    return std::all_of(later.slots.begin(), later.slots.end(),
                       [](const auto& s) { return s.p99.count() > 0; });
  }));
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a killed connection is replaced and its subscriptions restored") {
  auto pool = zenws::spawn_pool(sys, io, spec(1), handler);
  REQUIRE(ready(pool, 1));
  std::optional<zenws::subscription_outcome> outcome;
  self->request(pool, wait, zenws::subscribe_atom::value, std::vector<std::string>{"a", "b"})
      .receive([&](zenws::subscription_outcome& o) { outcome = o; }, [](caf::error&) {});
  REQUIRE(outcome);
  const auto before = health(pool);
  REQUIRE(before.slots.size() == 1);
  CHECK(before.slots[0].subscriptions == 2);
  self->send_exit(before.slots[0].connection, caf::exit_reason::kill);
  REQUIRE(server.wait_for_sessions(2, wait));
  REQUIRE(ready(pool, 1));
  const auto after = health(pool);
  CHECK(after.slots[0].slot == before.slots[0].slot);
  CHECK(after.slots[0].restarts == 1);
  CHECK(after.slots[0].connection != before.slots[0].connection);
  CHECK(after.restarts == 1);
  // The replacement subscribed to the same channels on its own session.
  const auto frames = server.frames();
  CHECK(std::count_if(frames.begin(), frames.end(), [](const kit::frame& f) {
          return f.session == 2 && f.data.find(R"("channels":["a","b"])") != std::string::npos;
        }) == 1);
  CHECK(request(pool, "public/get_time").first);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "an exception in user code kills the connection, the pool restarts it") {
  auto s = spec(1);
  auto calls = std::make_shared<std::atomic<int>>(0);
  s.options.bootstrap = [calls] {
    if (++*calls == 1)
      throw std::runtime_error("bootstrap bug");
    return std::vector<zenws::bootstrap_call>{};
  };
  auto pool = zenws::spawn_pool(sys, io, s, handler);
  REQUIRE(ready(pool, 1));
  CHECK(*calls == 2);
  CHECK(health(pool).slots[0].restarts == 1);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a handler that throws takes its connection down, the pool restarts "
                           "both and restores the subscriptions") {
  fragile_handlers handlers;
  auto s = spec(2);
  s.handler_factory = handlers;
  auto pool = zenws::spawn_pool(sys, io, s, caf::actor{});
  REQUIRE(ready(pool, 2));
  CHECK(*handlers.spawned == 2);
  std::optional<zenws::subscription_outcome> outcome;
  self->request(pool, wait, zenws::subscribe_atom::value, std::vector<std::string>{"book", "bad"})
      .receive([&](zenws::subscription_outcome& o) { outcome = o; }, [](caf::error&) {});
  REQUIRE(outcome);
  CHECK(outcome->accepted == std::vector<std::string>{"book"});

  server.broadcast(kit::frame{0, false, "boom"}); // both handlers throw
  REQUIRE(server.wait_for_sessions(4, wait));
  REQUIRE(ready(pool, 2));
  const auto h = health(pool);
  CHECK(h.restarts == 2);
  for (const auto& slot : h.slots)
    CHECK(slot.restarts == 1);
  CHECK(*handlers.spawned == 4);
  CHECK(eventually([&] { return *handlers.alive == 2; }));
  // The slot that held "book" subscribed again on its new session (3 or 4), and only there.
  const auto frames = server.frames();
  CHECK(std::count_if(frames.begin(), frames.end(), [](const kit::frame& f) {
          return f.session > 2 && f.data.find(R"("channels":["book"])") != std::string::npos;
        }) == 1);
  CHECK(request(pool, "public/get_time").first);

  // Handlers end with their slot and with the pool.
  bool removed = false;
  self->request(pool, wait, zenws::remove_slot_atom::value, h.slots[0].slot)
      .receive([&](bool ok) { removed = ok; }, [](caf::error&) {});
  CHECK(removed);
  CHECK(eventually([&] { return *handlers.alive == 1; }));
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  CHECK(eventually([&] { return *handlers.alive == 0; }));
}

TEST_CASE_FIXTURE(fixture, "a connection that ends normally is not restarted") {
  auto pool = zenws::spawn_pool(sys, io, spec(2), handler);
  REQUIRE(ready(pool, 2));
  const auto h = health(pool);
  self->send_exit(h.slots[0].connection, caf::exit_reason::user_shutdown);
  REQUIRE(ready(pool, 1));
  std::this_thread::sleep_for(100ms);
  const auto after = health(pool);
  CHECK(after.slots.size() == 1);
  CHECK(after.restarts == 0);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "too many restarts end the pool, and its parent is told why") {
  auto s = spec(1);
  s.pool.max_restarts = 2;
  s.pool.restart_period = 60s;
  auto pool = zenws::spawn_pool(sys, io, s, handler);
  self->monitor(pool);
  REQUIRE(ready(pool, 1));
  for (int i = 0; i < 2; ++i) {
    self->send_exit(health(pool).slots[0].connection, caf::exit_reason::kill);
    REQUIRE(server.wait_for_sessions(static_cast<std::size_t>(i) + 2, wait));
    REQUIRE(ready(pool, 1));
  }
  const auto last = health(pool).slots[0].connection;
  self->send_exit(last, caf::exit_reason::kill);
  zenws::failure reason;
  self->receive([&](caf::down_msg& msg) { reason = zenws::to_failure(msg.reason); },
                caf::after(wait) >> [] {});
  CHECK(reason.code == errc::restart_intensity_exceeded);
  CHECK(reason.detail.find("2 restarts allowed in 60000ms") != std::string::npos);
  // The pool's connections end with it.
  CHECK(server.wait_for_end(3, wait));
}

TEST_CASE_FIXTURE(fixture, "a request lost with its connection ends once as outcome_unknown and "
                           "is not re-sent") {
  auto pool = zenws::spawn_pool(sys, io, spec(2), handler);
  REQUIRE(ready(pool, 2));
  std::atomic<int> endings{0};
  zenws::failure result;
  auto sink = caf::actor_cast<caf::actor>(self);
  auto relay = sys.spawn([=](caf::event_based_actor* a) -> caf::behavior {
    a->request(pool, caf::infinite, zenws::request_balanced_atom::value, std::string{"silent"},
               std::string{}, caf::timespan{30s})
        .then(
            [=](zenws::rpc_response&) { a->send(sink, static_cast<int>(errc::none)); },
            [=](caf::error& err) { a->send(sink, static_cast<int>(zenws::to_failure(err).code)); });
    return {[](double) {}};
  });
  REQUIRE(server.wait_for_frame(
      [](const kit::frame& f) { return f.data.find("silent") != std::string::npos; }, wait));
  // Kill the connections (the one holding the request among them).
  for (const auto& slot : health(pool).slots)
    self->send_exit(slot.connection, caf::exit_reason::kill);
  self->receive(
      [&](int code) {
        ++endings;
        result.code = static_cast<errc>(code);
      },
      caf::after(wait) >> [] {});
  CHECK(endings == 1);
  CHECK(result.code == errc::outcome_unknown);
  self->receive([&](int) { ++endings; }, caf::after(200ms) >> [] {});
  CHECK(endings == 1);
  CHECK(frames_with("silent") == 1);
  self->send_exit(relay, caf::exit_reason::user_shutdown);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "slots are added and removed at run time") {
  auto pool = zenws::spawn_pool(sys, io, spec(1), handler);
  REQUIRE(ready(pool, 1));
  std::uint32_t added = 0;
  self->request(pool, wait, zenws::add_slot_atom::value)
      .receive([&](std::uint32_t id) { added = id; }, [](caf::error&) {});
  CHECK(added == 2);
  REQUIRE(ready(pool, 2));
  bool removed = false;
  self->request(pool, wait, zenws::remove_slot_atom::value, std::uint32_t{1})
      .receive([&](bool ok) { removed = ok; }, [](caf::error&) {});
  CHECK(removed);
  REQUIRE(ready(pool, 1));
  CHECK(health(pool).slots[0].slot == 2);
  const auto end = server.wait_for_end(1, wait);
  REQUIRE(end);
  CHECK(end->close_frame);
  CHECK(end->code == 1000);
  CHECK(health(pool).restarts == 0);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "no ready connection: the request ends with no_connections") {
  server.refuse_upgrade(503);
  auto s = spec(1);
  s.connection.reconnect.retry_count = std::nullopt;
  auto pool = zenws::spawn_pool(sys, io, s, handler);
  const auto [response, error] = request(pool, "public/get_time");
  CHECK_FALSE(response);
  CHECK(error.code == errc::no_connections);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "requests waiting in a pool that ends are answered, once") {
  auto pool = zenws::spawn_pool(sys, io, spec(1), handler);
  REQUIRE(ready(pool, 1));
  auto sink = caf::actor_cast<caf::actor>(self);
  auto relay = sys.spawn([=](caf::event_based_actor* a) -> caf::behavior {
    for (int i = 0; i < 5; ++i)
      a->request(pool, caf::infinite, zenws::request_balanced_atom::value, std::string{"silent"},
                 std::string{}, caf::timespan{30s})
          .then([=](zenws::rpc_response&) { a->send(sink, static_cast<int>(errc::none)); },
                [=](caf::error& err) {
                  a->send(sink, static_cast<int>(zenws::to_failure(err).code));
                });
    return {[](double) {}};
  });
  REQUIRE(server.wait_for_frame(
      [](const kit::frame& f) { return f.data.find(R"("id":5)") != std::string::npos; }, wait));
  self->send_exit(pool, caf::exit_reason::kill);
  int closed = 0;
  int endings = 0;
  for (int i = 0; i < 6; ++i)
    self->receive(
        [&](int code) {
          ++endings;
          closed += code == static_cast<int>(errc::closed) ? 1 : 0;
        },
        caf::after(i < 5 ? wait : 200ms) >> [] {});
  CHECK(endings == 5);
  CHECK(closed == 5);
  self->send_exit(relay, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "pools nested under a user's supervisor: a failure is the parent's "
                           "message, the sibling is untouched, the parent's end ends both") {
  auto failing = spec(1);
  failing.pool.max_restarts = 0;
  auto a = zenws::spawn_pool(sys, io, failing, handler);
  auto b = zenws::spawn_pool(sys, io, spec(2), handler);
  REQUIRE(ready(a, 1));
  REQUIRE(ready(b, 2));
  // The user's supervisor links to its pools and traps their exits, forwarding them here.
  auto sink = caf::actor_cast<caf::actor>(self);
  auto parent = sys.spawn([=](caf::event_based_actor* p) -> caf::behavior {
    p->link_to(a);
    p->link_to(b);
    p->set_exit_handler([=](caf::exit_msg& msg) {
      if (msg.source == a.address() || msg.source == b.address())
        p->send(sink, zenws::to_failure(msg.reason).code == errc::restart_intensity_exceeded,
                msg.source == a.address());
      else
        p->quit(msg.reason);
    });
    return {[](int) {}};
  });
  const auto b_before = health(b);

  self->send_exit(health(a).slots[0].connection, caf::exit_reason::kill);
  bool intensity = false;
  bool from_a = false;
  self->receive(
      [&](bool is_intensity, bool is_a) {
        intensity = is_intensity;
        from_a = is_a;
      },
      caf::after(wait) >> [] { FAIL("the parent saw no exit"); });
  CHECK(intensity);
  CHECK(from_a);
  const auto b_after = health(b);
  CHECK(b_after.restarts == 0);
  REQUIRE(b_after.slots.size() == 2);
  CHECK(b_after.slots[0].connection == b_before.slots[0].connection);
  CHECK(b_after.slots[1].connection == b_before.slots[1].connection);
  CHECK(request(b, "public/get_time").first);

  self->monitor(b);
  self->send_exit(parent, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {},
                caf::after(wait) >> [] { FAIL("pool b outlived its parent"); });
  // Pool a's session ended when a gave up; b's two end with b.
  for (kit::session_id session = 1; session <= 3; ++session)
    CHECK(server.wait_for_end(session, wait));
}

TEST_CASE_FIXTURE(fixture, "a member that gives up reconnecting is replaced") {
  auto s = spec(2);
  s.connection.reconnect.retry_count = 2;
  auto pool = zenws::spawn_pool(sys, io, s, handler);
  REQUIRE(ready(pool, 2));
  server.set_accept_mode(kit::accept_mode::reset); // its retries meet resets (recoverable)
  server.reset(1);
  REQUIRE(eventually([&] { return health(pool).restarts >= 1; }));
  server.set_accept_mode(kit::accept_mode::serve);
  REQUIRE(ready(pool, 2));
  CHECK(request(pool, "public/get_time").first);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a member that fails for good ends the pool with its fatal error, "
                           "without restarts") {
  auto pool = zenws::spawn_pool(sys, io, spec(2), handler);
  REQUIRE(ready(pool, 2));
  self->monitor(pool);
  server.refuse_upgrade(401, "key revoked"); // fatal: the same spec cannot succeed
  server.reset(1);
  zenws::failure reason;
  self->receive([&](caf::down_msg& msg) { reason = zenws::to_failure(msg.reason); },
                caf::after(wait) >> [] { FAIL("the pool did not end"); });
  CHECK(reason.code == errc::upgrade_rejected);
  CHECK(reason.http_status == 401);
  CHECK(reason.detail.find("failed for good") != std::string::npos);
  std::this_thread::sleep_for(100ms);
  CHECK(server.accepted_connections() == 3); // two, then one refused reconnect; no restart
}

TEST_CASE_FIXTURE(fixture, "a connection that dies of an internal error is restarted") {
  auto pool = zenws::spawn_pool(sys, io, spec(1), handler);
  REQUIRE(ready(pool, 1));
  self->send_exit(health(pool).slots[0].connection,
                  zenws::make_error(zenws::failure{errc::internal_error, "a bug", 0, 0}));
  REQUIRE(eventually([&] { return health(pool).restarts == 1; }));
  REQUIRE(ready(pool, 1));
  CHECK(request(pool, "public/get_time").first);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "unsubscribed channels leave their slot and are not restored, a "
                           "channel is never subscribed twice") {
  auto pool = zenws::spawn_pool(sys, io, spec(1), handler);
  REQUIRE(ready(pool, 1));
  auto ask = [&](auto atom, std::vector<std::string> channels) {
    std::optional<zenws::subscription_outcome> out;
    self->request(pool, wait, atom, std::move(channels))
        .receive([&](zenws::subscription_outcome& o) { out = std::move(o); }, [](caf::error&) {});
    return out;
  };
  REQUIRE(ask(zenws::subscribe_atom::value, {"a", "b"}));
  const auto again = ask(zenws::subscribe_atom::value, {"a", "c"});
  REQUIRE(again);
  CHECK(again->accepted == std::vector<std::string>{"c", "a"});
  CHECK(frames_with(R"("channels":["c"])") == 1); // "a" was not sent again
  CHECK(health(pool).slots[0].subscriptions == 3);

  const auto gone = ask(zenws::unsubscribe_atom::value, {"a", "zzz"});
  REQUIRE(gone);
  CHECK(gone->op == zenws::subscription_op::unsubscribe);
  CHECK(gone->accepted == std::vector<std::string>{"a"});
  CHECK(gone->rejected == std::vector<std::string>{"zzz"});
  CHECK(frames_with("public/unsubscribe") == 1);
  CHECK(health(pool).slots[0].subscriptions == 2);

  self->send_exit(health(pool).slots[0].connection, caf::exit_reason::kill);
  REQUIRE(server.wait_for_sessions(2, wait));
  REQUIRE(ready(pool, 1));
  const auto frames = server.frames();
  CHECK(std::count_if(frames.begin(), frames.end(), [](const kit::frame& f) {
          return f.session == 2 && f.data.find(R"("channels":["b","c"])") != std::string::npos;
        }) == 1);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "pool telemetry: routed, failover and restart, members report by slot") {
  zenws_test::event_log log;
  auto s = spec(2);
  s.options.telemetry = log.hook();
  s.options.label = "desk";
  auto pool = zenws::spawn_pool(sys, io, s, handler);
  REQUIRE(ready(pool, 2));
  REQUIRE(request(pool, "public/get_time").first);
  const auto routed = log.of(zenws::telemetry_kind::pool_routed);
  REQUIRE(routed.size() == 1);
  CHECK(routed[0].source == "desk");
  // The member that served it reported the request under its slot's label.
  const auto resolved = log.of(zenws::telemetry_kind::request_resolved);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].source == "desk#" + std::to_string(routed[0].count));

  const auto before = health(pool);
  self->send_exit(before.slots[0].connection, caf::exit_reason::kill);
  REQUIRE(log.wait_for(zenws::telemetry_kind::pool_restart));
  const auto restart = log.of(zenws::telemetry_kind::pool_restart)[0];
  CHECK(restart.count == before.slots[0].slot);
  CHECK(restart.source == "desk");
  REQUIRE(ready(pool, 2));

  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "pool telemetry: a request refused unsent fails over, reported once") {
  zenws_test::event_log log;
  auto s = spec(2);
  s.options.telemetry = log.hook();
  // One token per member, refilled once a second, no waiting: the third request finds its
  // member out of tokens (never sent) and moves to the other one, also out.
  s.options.rate_limit.limits.buckets = {{"requests", 1, 1}};
  s.options.rate_limit.limits.max_queue = 0;
  s.options.rate_limit.request_cost = [](std::string_view) { return zenws::charges{{0, 1}}; };
  s.pool.max_attempts = 2;
  auto pool = zenws::spawn_pool(sys, io, s, handler);
  REQUIRE(ready(pool, 2));
  CHECK(request(pool, "public/get_time").first);
  CHECK(request(pool, "public/get_time").first);
  CHECK(request(pool, "public/get_time").second.code == errc::rate_limited);
  const auto failovers = log.of(zenws::telemetry_kind::pool_failover);
  REQUIRE(failovers.size() == 1);
  CHECK(failovers[0].error.code == errc::rate_limited);
  CHECK(log.of(zenws::telemetry_kind::pool_routed).size() == 3);
  CHECK(log.of(zenws::telemetry_kind::rate_limit_rejected).size() == 2);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a pool's health in the Prometheus text format") {
  auto pool = zenws::spawn_pool(sys, io, spec(2), handler);
  REQUIRE(ready(pool, 2));
  REQUIRE(request(pool, "public/get_time").first);
  const auto before = health(pool);
  self->send_exit(before.slots[1].connection, caf::exit_reason::kill);
  REQUIRE(eventually([&] { return health(pool).restarts == 1; }));
  REQUIRE(ready(pool, 2));
  zenws::prometheus_text text;
  zenws::add_pool_metrics(text, "desk", health(pool));
  const auto out = text.str();
  CHECK(out.find("# TYPE zenws_pool_slots gauge\nzenws_pool_slots{pool=\"desk\"} 2\n") !=
        std::string::npos);
  CHECK(out.find("zenws_pool_ready_slots{pool=\"desk\"} 2\n") != std::string::npos);
  CHECK(out.find("# TYPE zenws_pool_restarts_total counter\n"
                 "zenws_pool_restarts_total{pool=\"desk\"} 1\n") != std::string::npos);
  const auto slot1 = std::to_string(before.slots[1].slot);
  CHECK(out.find("zenws_pool_slot_restarts_total{pool=\"desk\",slot=\"" + slot1 + "\"} 1\n") !=
        std::string::npos);
  CHECK(out.find("zenws_pool_slot_score{pool=\"desk\",slot=\"" + slot1 + "\"} 100\n") !=
        std::string::npos);
  // One HELP and TYPE per family, however many slots.
  std::size_t types = 0;
  for (auto at = out.find("# TYPE zenws_pool_slot_ready "); at != std::string::npos;
       at = out.find("# TYPE zenws_pool_slot_ready ", at + 1))
    ++types;
  CHECK(types == 1);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}
