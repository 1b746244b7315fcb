// Names for connections and pools: registered in CAF's registry, checked against the interface
// asked for, and gone when their actor dies.

#include <doctest/doctest.h>

#include <caf/actor_registry.hpp>

#include "pool_fixture.hpp"
#include "zenws/actors/connection_actor.hpp"
#include "zenws/supervision/registry.hpp"

using pool_test::fixture;
using pool_test::wait;

namespace {

errc code_of(const caf::error& err) {
  return zenws::to_failure(err).code;
}

/// Polls until `name` is unknown: CAF runs the removal while the actor cleans up, which may be
/// just after its down message was delivered.
bool gone(caf::actor_system& sys, const char* name) {
  for (int i = 0; i < 200; ++i) {
    auto found = zenws::lookup<caf::actor>(sys, name);
    if (!found && code_of(found.error()) == errc::name_unknown)
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "names must fit a CAF atom") {
  for (const char* bad : {"", "eleven_char", "a-b", "caf.x", "ünï"})
    CHECK(code_of(zenws::register_name(sys, bad, handler)) == errc::bad_name);
  CHECK(code_of(zenws::lookup<caf::actor>(sys, "a-b").error()) == errc::bad_name);
  CHECK_FALSE(zenws::register_name(sys, "Ten_chars ", handler));
  CHECK(zenws::unregister_name(sys, "Ten_chars "));
}

TEST_CASE_FIXTURE(fixture, "a pool and a connection are found by name as what they are") {
  auto pool = zenws::spawn_pool(sys, io, spec(1), handler);
  REQUIRE(ready(pool, 1));
  auto conn = zenws::spawn_connection(sys, io, spec(1).connection, handler);
  REQUIRE_FALSE(zenws::register_name(sys, "deribit", pool));
  REQUIRE_FALSE(zenws::register_name(sys, "quotes", conn));
  // CAF's own registry holds the names, which is what the middleman's remote_lookup reads.
  CHECK(sys.registry().get(caf::atom("deribit")) == caf::actor_cast<caf::strong_actor_ptr>(pool));

  auto found_pool = zenws::lookup<zenws::pool_actor>(sys, "deribit");
  REQUIRE(found_pool);
  CHECK(*found_pool == pool);
  auto found_conn = zenws::lookup<zenws::connection_actor>(sys, "quotes");
  REQUIRE(found_conn);
  CHECK(*found_conn == conn);
  CHECK(zenws::lookup<caf::actor>(sys, "deribit")); // untyped: any actor

  auto wrong = zenws::lookup<zenws::connection_actor>(sys, "deribit");
  REQUIRE_FALSE(wrong);
  CHECK(code_of(wrong.error()) == errc::name_type_mismatch);
  CHECK(code_of(zenws::lookup<zenws::pool_actor>(sys, "quotes").error()) ==
        errc::name_type_mismatch);
  CHECK(code_of(zenws::lookup<zenws::pool_actor>(sys, "nobody").error()) == errc::name_unknown);

  // A found pool answers like the pool it is.
  const auto [response, error] = request(*found_pool, "public/get_time");
  CHECK(response);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a name is taken while its actor lives and freed when it dies") {
  auto first = zenws::spawn_connection(sys, io, spec(1).connection, handler);
  auto second = zenws::spawn_connection(sys, io, spec(1).connection, handler);
  REQUIRE_FALSE(zenws::register_name(sys, "feed", first));
  CHECK_FALSE(zenws::register_name(sys, "feed", first)); // again by the holder: fine
  CHECK(code_of(zenws::register_name(sys, "feed", second)) == errc::name_taken);

  self->monitor(first);
  self->send_exit(first, caf::exit_reason::kill);
  self->receive([](caf::down_msg&) {}, caf::after(wait) >> [] { FAIL("no down message"); });
  CHECK(gone(sys, "feed"));
  REQUIRE_FALSE(zenws::register_name(sys, "feed", second));
  CHECK(*zenws::lookup<zenws::connection_actor>(sys, "feed") == second);

  // The old holder's removal ran before: the new holder keeps the name.
  std::this_thread::sleep_for(50ms);
  CHECK(zenws::lookup<zenws::connection_actor>(sys, "feed"));
  CHECK(zenws::unregister_name(sys, "feed"));
  CHECK_FALSE(zenws::unregister_name(sys, "feed"));
  self->send_exit(second, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a pool that fails upward leaves the registry") {
  auto s = spec(1);
  s.pool.max_restarts = 0;
  auto pool = zenws::spawn_pool(sys, io, s, handler);
  REQUIRE(ready(pool, 1));
  REQUIRE_FALSE(zenws::register_name(sys, "book", pool));
  self->monitor(pool);
  self->send_exit(health(pool).slots[0].connection, caf::exit_reason::kill);
  zenws::failure reason;
  self->receive([&](caf::down_msg& msg) { reason = zenws::to_failure(msg.reason); },
                caf::after(wait) >> [] {});
  CHECK(reason.code == errc::restart_intensity_exceeded);
  CHECK(gone(sys, "book"));
}

TEST_CASE_FIXTURE(fixture, "a dead actor cannot be registered") {
  auto conn = zenws::spawn_connection(sys, io, spec(1).connection, handler);
  self->monitor(conn);
  self->send_exit(conn, caf::exit_reason::kill);
  self->receive([](caf::down_msg&) {}, caf::after(wait) >> [] { FAIL("no down message"); });
  CHECK_FALSE(zenws::register_name(sys, "late", conn));
  CHECK(gone(sys, "late"));
  CHECK(code_of(zenws::register_name(sys, "late", zenws::connection_actor{})) == errc::actor_down);
}
