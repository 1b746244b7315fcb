// The three-node layout of docs/distribution.md in one program: a strategy node whose pool
// places its connections on two connection nodes, each a node agent published through CAF's
// middleman. Here the three nodes are three actor systems in one process, linked over TCP on
// 127.0.0.1 exactly as separate processes (`zenws node`) or machines would be.
//
// The venue is the test kit's server answering JSON-RPC. The example sends a request and
// subscribes through the pool, then shuts the first connection node down; the pool moves its
// connection to the second node, with its subscription, and goes on answering.

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <zenws/actors/io_runtime.hpp>
#include <zenws/actors/runtime.hpp>
#include <zenws/supervision/distribution.hpp>
#include <zenws/supervision/node_agent.hpp>
#include <zenws/supervision/pool_actor.hpp>
#include <zenws/testing/json_rpc_venue.hpp>
#include <zenws/testing/test_server.hpp>

using namespace std::chrono_literals;

/// zenws' actor system config with CAF's middleman loaded (for TLS between nodes, set the
/// distribution_options' tls, certificate_file, key_file and ca_file).
struct node_config : zenws::actor_system_config {
  node_config() { zenws::enable_distribution(*this, {}); }
};

/// A connection node: what `zenws node --name NAME` runs.
struct connection_node {
  zenws::io_runtime io{1};
  node_config cfg;
  caf::actor_system sys{cfg};
  zenws::node_agent agent;
  std::uint16_t port = 0;

  explicit connection_node(const std::string& name) {
    agent = zenws::spawn_node_agent(sys, io, {name, {}}); // the "plain" recipe only
    auto bound = zenws::publish(sys, agent, 0);           // a free port on 127.0.0.1
    if (!bound)
      throw std::runtime_error(sys.render(bound.error()));
    port = *bound;
  }
  ~connection_node() { caf::anon_send_exit(agent, caf::exit_reason::user_shutdown); }
};

zenws::pool_health health(caf::scoped_actor& self, const zenws::pool_actor& pool) {
  zenws::pool_health h;
  self->request(pool, 5s, caf::get_atom::value, zenws::health_atom::value)
      .receive([&](zenws::pool_health& x) { h = std::move(x); }, [](caf::error&) {});
  return h;
}

/// Waits up to 10 s for the pool's slots to be ready on one node (or any, for "").
bool settled(caf::scoped_actor& self, const zenws::pool_actor& pool, std::size_t slots,
             const std::string& node) {
  for (int i = 0; i < 1000; ++i, std::this_thread::sleep_for(10ms)) {
    const auto h = health(self, pool);
    std::size_t ready = 0;
    for (const auto& s : h.slots)
      ready += s.ready && (node.empty() || s.node == node) ? 1 : 0;
    if (ready == slots)
      return true;
  }
  return false;
}

int main() {
  zenws::testing::test_server venue;
  venue.set_responder(zenws::testing::json_rpc_venue());

  auto east = std::make_unique<connection_node>("east");
  connection_node west{"west"};

  // The strategy node: a pool whose connections live on the two connection nodes.
  zenws::io_runtime io{1};
  node_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  zenws::pool_spec spec;
  spec.connection.url = venue.url("/ws");
  spec.pool.size = 2;
  spec.placement.nodes = {{"127.0.0.1", east->port}, {"127.0.0.1", west.port}};
  spec.placement.recipe = "plain"; // the node builds the connection options from its recipe
  auto handler = sys.spawn([](caf::event_based_actor* a) -> caf::behavior {
    a->set_default_handler(caf::drop);
    return {[](const zenws::text_frame&) {}};
  });
  auto pool = zenws::spawn_pool(sys, io, spec, handler);
  if (!settled(self, pool, 2, "")) {
    std::cerr << "the pool's connections were not placed\n";
    return 1;
  }
  for (const auto& s : health(self, pool).slots)
    std::cout << "slot " << s.slot << " on " << s.node << "\n";

  int answered = 0;
  self->request(pool, 5s, zenws::request_balanced_atom::value, std::string{"public/get_time"},
                std::string{}, caf::timespan{2s})
      .receive([&](zenws::rpc_response&) { ++answered; },
               [&](caf::error& err) { std::cerr << zenws::explain(err) << "\n"; });
  self->request(pool, 5s, zenws::subscribe_atom::value, std::vector<std::string>{"trades"})
      .receive([](zenws::subscription_outcome&) {},
               [&](caf::error& err) { std::cerr << zenws::explain(err) << "\n"; });

  // The east node goes away: its connection is lost with it, and the pool places a new one on
  // west (restoring the subscription) without counting a crash.
  east.reset();
  const auto west_endpoint = "127.0.0.1:" + std::to_string(west.port);
  if (!settled(self, pool, 2, west_endpoint)) {
    std::cerr << "the pool did not move its connection to west\n";
    return 1;
  }
  const auto h = health(self, pool);
  std::uint64_t moves = 0;
  std::uint64_t subscriptions = 0;
  for (const auto& s : h.slots) {
    moves += s.moves;
    subscriptions += s.subscriptions;
  }
  std::cout << "after east left: both slots on " << west_endpoint << ", " << moves << " move, "
            << h.restarts << " restarts, " << subscriptions << " subscription\n";
  self->request(pool, 5s, zenws::request_balanced_atom::value, std::string{"public/get_time"},
                std::string{}, caf::timespan{2s})
      .receive([&](zenws::rpc_response&) { ++answered; },
               [&](caf::error& err) { std::cerr << zenws::explain(err) << "\n"; });
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  const bool ok = answered == 2 && moves == 1 && h.restarts == 0 && subscriptions == 1;
  std::cout << (ok ? "ok" : "FAILED") << "\n";
  return ok ? 0 : 1;
}
