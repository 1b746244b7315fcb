#pragma once
/// @file
/// The node agent: spawns connection actors on its node for pools on other nodes
/// (node_protocol.hpp has its messages). Publish it with CAF's middleman, or run `zenws node`:
///
///     zenws::node_agent_config node{"feed-1", {}};
///     node.recipes["deribit"] = [keys](zenws::connection_config& c) {
///       auto venue = zenws::deribit::adapter(keys); // the keys stay on this node
///       c.heartbeat = venue.heartbeat;
///       return venue.options;
///     };
///     auto agent = zenws::spawn_node_agent(sys, io, node);
///     auto port = zenws::publish(sys, agent, 4270, "0.0.0.0"); // distribution.hpp
///
/// Each recipe turns the config a pool sends into the connection's options (its venue adapter),
/// and may adjust the config (the venue's heartbeat). A recipe runs on the agent's thread and
/// must not block; it is where a node reads credentials that should not cross the network.

#include <functional>
#include <map>
#include <string>

#include <caf/actor_system.hpp>

#include "zenws/actors/connection_protocol.hpp"
#include "zenws/protocol/config.hpp"
#include "zenws/supervision/node_protocol.hpp"

namespace zenws {

class io_runtime;

/// Builds a connection's options from the config a pool sent; may change the config.
using connection_recipe = std::function<connection_options(connection_config&)>;

/// A node agent's name and recipes.
struct node_agent_config {
  std::string name;                                 ///< "" = hostname:pid
  std::map<std::string, connection_recipe> recipes; ///< by name; "plain" is always there
};

/// The recipe every node has: no adapter (JSON-RPC with the default dialect), the config as sent.
connection_options plain_recipe(connection_config& config);

/// Spawns a node agent. The io runtime must outlive it and the connections it spawns. When the
/// agent ends, it ends its connections with node_unreachable: their pools move them elsewhere.
node_agent spawn_node_agent(caf::actor_system& sys, io_runtime& io, node_agent_config config);

} // namespace zenws
