// Pools under the application's own supervisor: a "desk" actor runs one pool per venue, names
// each in the registry, and replaces a pool that gives up (restart intensity exceeded) the way
// an OTP supervisor replaces a child. The desk links to its pools and traps their exits, so a
// pool's failure reaches it as a message and the desk's own end takes its pools down.
//
// The venues are the test kit's server answering JSON-RPC. The example kills venue "a"'s only
// connection; its pool allows no restart, gives up, and the desk starts a fresh one.

#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <zenws/actors/io_runtime.hpp>
#include <zenws/actors/runtime.hpp>
#include <zenws/supervision/pool_actor.hpp>
#include <zenws/supervision/registry.hpp>
#include <zenws/testing/json_rpc_venue.hpp>
#include <zenws/testing/test_server.hpp>

using namespace std::chrono_literals;

struct desk_state {
  static inline const char* name = "desk";
  std::map<std::string, zenws::pool_spec> venues; // registry name -> how to run its pool
  std::map<caf::actor_addr, std::string> running; // pool -> registry name
};

using desk_actor = caf::stateful_actor<desk_state>;

void start_pool(desk_actor* self, zenws::io_runtime* io, const std::string& venue,
                const caf::actor& handler) {
  auto pool = zenws::spawn_pool(self->system(), *io, self->state.venues.at(venue), handler);
  self->link_to(pool);
  self->state.running[pool.address()] = venue;
  if (auto err = zenws::register_name(self->system(), venue, pool))
    std::cerr << self->system().render(err) << "\n";
}

caf::behavior desk(desk_actor* self, zenws::io_runtime* io,
                   std::map<std::string, zenws::pool_spec> venues, const caf::actor& handler) {
  self->state.venues = std::move(venues);
  for (const auto& [venue, spec] : self->state.venues)
    start_pool(self, io, venue, handler);
  // Trapping exits makes a linked pool's failure a message instead of the desk's death.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto it = self->state.running.find(msg.source);
    if (it == self->state.running.end()) { // not a pool: the desk's own parent ends it
      self->quit(msg.reason);
      return;
    }
    const auto venue = it->second;
    self->state.running.erase(it);
    std::cout << "pool " << venue << " ended: " << self->system().render(msg.reason) << "\n";
    start_pool(self, io, venue, handler);
  });
  return {[](int) {}};
}

caf::behavior quiet(caf::event_based_actor* self) {
  self->set_default_handler(caf::drop);
  return {[](int) {}};
}

/// Asks the pool named `venue` for the time; true when it answered.
bool ask_time(caf::scoped_actor& self, const std::string& venue) {
  for (int i = 0; i < 100; ++i) { // a fresh pool needs a moment to connect
    auto pool = zenws::lookup<zenws::pool_actor>(self->system(), venue);
    bool answered = false;
    if (pool)
      self->request(*pool, 5s, zenws::request_balanced_atom::value, std::string{"public/get_time"},
                    std::string{}, caf::timespan{2s})
          .receive([&](const zenws::rpc_response& r) { answered = !r.result.empty(); },
                   [](const caf::error&) {});
    if (answered)
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

int main() {
  zenws::testing::test_server server;
  server.set_responder(zenws::testing::json_rpc_venue());
  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{2};
  zenws::register_pool_types(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  std::map<std::string, zenws::pool_spec> venues;
  for (const char* venue : {"a", "b"}) {
    auto& spec = venues[venue];
    spec.connection.url = server.url(std::string{"/"} + venue);
    spec.pool.size = 1;
    spec.pool.max_restarts = 0; // any death of a connection ends the pool
  }
  auto handler = sys.spawn(quiet);
  auto supervisor = sys.spawn(desk, &io, venues, handler);

  bool ok = ask_time(self, "a") && ask_time(self, "b");
  auto first_a = zenws::lookup<zenws::pool_actor>(sys, "a");
  if (!ok || !first_a)
    return 1;
  zenws::pool_health health;
  self->request(*first_a, 5s, caf::get_atom::value, zenws::health_atom::value)
      .receive([&](zenws::pool_health& h) { health = std::move(h); }, [](const caf::error&) {});
  self->send_exit(health.slots.at(0).connection, caf::exit_reason::kill);

  // The desk replaced pool "a" and registered the new one under the same name.
  for (int i = 0; i < 100; ++i) {
    auto now_a = zenws::lookup<zenws::pool_actor>(sys, "a");
    if (now_a && *now_a != *first_a)
      break;
    std::this_thread::sleep_for(20ms);
  }
  ok = ok && ask_time(self, "a") && ask_time(self, "b");
  std::cout << (ok ? "both venues answer after pool a was replaced\n" : "FAILED\n");

  self->send_exit(supervisor, caf::exit_reason::user_shutdown); // its pools end with it
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  self->wait_for(supervisor);
  return ok ? 0 : 1;
}
