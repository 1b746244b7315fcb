#include "zenws/supervision/node_agent.hpp"

#include <unistd.h>

#include <chrono>
#include <exception>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"

namespace zenws {

namespace {

std::string default_node_name() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0)
    host[0] = '\0';
  return std::string{host[0] != '\0' ? host : "node"} + ":" + std::to_string(getpid());
}

std::string recipe_names(const std::map<std::string, connection_recipe>& recipes) {
  std::string names;
  for (const auto& [name, recipe] : recipes)
    names += (names.empty() ? "" : ", ") + name;
  return names;
}

} // namespace

connection_options plain_recipe(connection_config&) {
  return {};
}

/// A live connection the agent spawned, and for whom.
struct owned_connection {
  connection_actor handle;
  caf::actor_addr owner;              ///< the actor that asked for it (its pool)
  std::chrono::milliseconds lease{0}; ///< 0 = none
  std::chrono::steady_clock::time_point renewed;
};

struct node_agent_data {
  static inline const char* name = "zenws.node_agent";

  io_runtime* io = nullptr;
  node_agent_config config;
  std::map<caf::actor_addr, owned_connection> connections;
  std::set<caf::actor_addr> owners; ///< monitored: their connections end with them
  std::uint64_t spawned = 0;
  bool lease_check_planned = false;

  node_agent_data() = default;
  node_agent_data(const node_agent_data&) = delete;
  node_agent_data& operator=(const node_agent_data&) = delete;

  /// The node's connections end with its agent, as connections of a node going away: their
  /// pools move them to other nodes (a normal exit would make a pool drop them for good).
  ~node_agent_data() {
    const auto going = make_error(
        failure{errc::node_unreachable, "node " + config.name + " shut its node agent down"});
    for (const auto& [addr, conn] : connections)
      caf::anon_send(caf::actor_cast<caf::actor>(conn.handle),
                     caf::exit_msg{caf::actor_addr{}, going});
  }
};

namespace {

using self_pointer = node_agent::stateful_pointer<node_agent_data>;

caf::error spec_error(std::string detail) {
  return make_error(failure{errc::invalid_config, std::move(detail)});
}

/// The connection's options from its recipe, or why there are none.
caf::expected<connection_options> build(node_agent_data& st, remote_connection_spec& spec) {
  auto recipe = st.config.recipes.find(spec.recipe);
  if (recipe == st.config.recipes.end())
    return spec_error("node " + st.config.name + " has no recipe '" + spec.recipe +
                      "'; it has: " + recipe_names(st.config.recipes));
  connection_options options;
  try {
    options = recipe->second(spec.connection);
  } catch (const std::exception& e) {
    return spec_error("recipe '" + spec.recipe + "' on node " + st.config.name +
                      " failed: " + e.what());
  }
  if (auto problems = validate(spec.connection); !problems.empty())
    return spec_error(describe(problems));
  options.restore_subscriptions = std::move(spec.restore_subscriptions);
  options.deliver_batches = spec.deliver_batches;
  options.link_handler = spec.link_handler;
  if (!spec.label.empty())
    options.label = std::move(spec.label);
  return options;
}

/// A connection ended, or an owner went down (its node lost included): the owner's connections
/// end with it.
void on_down(self_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (st.connections.erase(msg.source) != 0 || st.owners.erase(msg.source) == 0)
    return;
  for (const auto& [addr, conn] : st.connections)
    if (conn.owner == msg.source)
      self->send_exit(conn.handle, caf::exit_reason::user_shutdown);
}

/// How often the agent looks for connections whose lease ran out, while it holds leased ones.
constexpr std::chrono::milliseconds lease_check_period{250};

void plan_lease_check(self_pointer self) {
  if (std::exchange(self->state.lease_check_planned, true))
    return;
  self->delayed_send(self, lease_check_period, lease_atom::value);
}

/// Ends the connections whose pool stopped renewing them: a pool that lost this node (it may
/// have been frozen, or cut off on the pool's side only) has moved them elsewhere. They end
/// with node_unreachable, so a pool that still holds one moves it too.
void end_expired_leases(self_pointer self) {
  auto& st = self->state;
  st.lease_check_planned = false;
  const auto t = std::chrono::steady_clock::now();
  bool leased = false;
  for (auto& [addr, conn] : st.connections) {
    if (conn.lease.count() == 0)
      continue;
    if (t - conn.renewed <= conn.lease) {
      leased = true;
      continue;
    }
    const auto expired = make_error(
        failure{errc::node_unreachable, "its lease of " + std::to_string(conn.lease.count()) +
                                            " ms ran out on node " + st.config.name +
                                            " (its pool stopped renewing it)"});
    caf::anon_send(caf::actor_cast<caf::actor>(conn.handle),
                   caf::exit_msg{caf::actor_addr{}, expired});
    conn.lease = std::chrono::milliseconds{0}; // ended once; its down_msg removes it
  }
  if (leased)
    plan_lease_check(self);
}

/// The sender's renewal of its connections' leases.
void renew_leases(self_pointer self, const std::vector<connection_actor>& held) {
  auto& st = self->state;
  const auto owner = caf::actor_cast<caf::actor_addr>(self->current_sender());
  const auto t = std::chrono::steady_clock::now();
  for (const auto& handle : held)
    if (auto conn = st.connections.find(handle.address());
        conn != st.connections.end() && conn->second.owner == owner)
      conn->second.renewed = t;
}

} // namespace

node_agent spawn_node_agent(caf::actor_system& sys, io_runtime& io, node_agent_config config) {
  if (config.name.empty())
    config.name = default_node_name();
  config.recipes.emplace("plain", plain_recipe);
  auto behavior = [](self_pointer self, io_runtime* runtime,
                     node_agent_config cfg) -> node_agent::behavior_type {
    self->state.io = runtime;
    self->state.config = std::move(cfg);
    self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
    return {
        [=](caf::spawn_atom, remote_connection_spec& spec) -> caf::result<connection_actor> {
          auto& st = self->state;
          auto handler = std::move(spec.handler);
          auto options = build(st, spec);
          if (!options)
            return options.error();
          auto conn = spawn_connection(self->system(), *st.io, std::move(spec.connection),
                                       std::move(*options), std::move(handler));
          ++st.spawned;
          self->monitor(conn);
          caf::actor_addr owner;
          if (const auto& sender = self->current_sender()) {
            owner = caf::actor_cast<caf::actor_addr>(sender);
            if (st.owners.insert(owner).second)
              self->monitor(sender);
          }
          st.connections[conn.address()] =
              owned_connection{conn, owner, spec.lease, std::chrono::steady_clock::now()};
          if (spec.lease.count() > 0)
            plan_lease_check(self);
          return conn;
        },
        [=](lease_atom, const std::vector<connection_actor>& held) { renew_leases(self, held); },
        [=](lease_atom) { end_expired_leases(self); },
        [=](caf::get_atom, node_atom) {
          const auto& st = self->state;
          node_info info;
          info.name = st.config.name;
          for (const auto& [name, recipe] : st.config.recipes)
            info.recipes.push_back(name);
          info.connections = st.connections.size();
          info.spawned = st.spawned;
          info.pid = getpid();
          return info;
        },
    };
  };
  return sys.spawn(behavior, &io, std::move(config));
}

void register_node_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<connection_config>("zenws.connection_config");
  cfg.add_message_type<remote_connection_spec>("zenws.remote_connection_spec");
  cfg.add_message_type<node_info>("zenws.node_info");
  cfg.add_message_type<connection_actor>("zenws.connection_actor");
  cfg.add_message_type<std::vector<connection_actor>>("zenws.connection_actors");
}

} // namespace zenws
