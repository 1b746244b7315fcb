#pragma once
/// @file
/// The node agent's message protocol: what a pool sends to another process (or machine) to have
/// a connection actor spawned there, and how a connection config crosses CAF's middleman.
///
/// A node agent (node_agent.hpp, `zenws node`) is published on a port. A pool whose spec names
/// nodes (pool_placement in pool_actor.hpp) dials them and asks an agent for each connection:
///
///     pool  -> agent   (spawn_atom, remote_connection_spec)  -> connection_actor
///     pool  -> agent   (lease_atom, connections)              (every lease / 4)
///     pool  -> agent   (get_atom, node_atom)                  -> node_info
///
/// The connection actor then lives on the agent's node; the pool monitors it and talks to it with
/// the same messages as to a local one, and its handler (which may live anywhere) receives the
/// same events. Code cannot cross a process boundary, so what a connection needs besides its
/// config (the venue's dialect, the bootstrap that signs the login) is built on the node by a
/// named recipe; credentials can stay on the node that way.
///
/// A connection's lease is how a node that was cut off (frozen, or behind a partition that CAF's
/// link did not report on its side) still ends the connections its pool has since moved: the
/// pool renews the lease of the connections it holds, and the agent ends any connection whose
/// lease ran out, so no orphan keeps a venue session open.

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/detail/stringification_inspector.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "zenws/actors/connection_protocol.hpp"
#include "zenws/protocol/config.hpp"

namespace zenws {

using node_atom = caf::atom_constant<caf::atom("node")>;
using lease_atom = caf::atom_constant<caf::atom("lease")>;

/// Everything a node agent needs to spawn one connection for a pool.
struct remote_connection_spec {
  std::string recipe;           ///< which of the node's recipes builds the connection's options
  connection_config connection; ///< validated on the node; the recipe may adjust it (heartbeat)
  caf::actor handler;           ///< receives the connection's events, on whichever node it lives
  bool link_handler = false;    ///< connection_options::link_handler
  bool deliver_batches = false; ///< connection_options::deliver_batches
  std::vector<std::string> restore_subscriptions; ///< restored before the first ready
  std::string label; ///< telemetry source; "" = the recipe's or the URL's
  /// Without a renewal (lease_atom) for this long, the agent ends the connection with
  /// node_unreachable; 0 = no lease (it ends only with its caller or the link to it).
  std::chrono::milliseconds lease{0};
};

/// What a node agent reports about itself.
struct node_info {
  std::string name;                 ///< given at start (`zenws node --name`), else host:pid
  std::vector<std::string> recipes; ///< the recipes it can build connections from, sorted
  std::uint64_t connections = 0;    ///< connection actors it spawned that are still alive
  std::uint64_t spawned = 0;        ///< connection actors it spawned over its life
  std::int64_t pid = 0;             ///< its process id
};

/// The node agent's interface.
using node_agent = caf::typed_actor<
    /// Spawns a connection actor on this node from the spec (not connected yet: the caller
    /// sends connect). Errors: invalid_config for an unknown recipe or an invalid config, with
    /// every problem named. The agent ends the connections it spawned for a caller when that
    /// caller goes down (its node lost included), so that no orphan keeps a venue session.
    caf::replies_to<caf::spawn_atom, remote_connection_spec>::with<connection_actor>,

    /// Renews the lease of these connections (those of the sender that the agent spawned).
    caf::reacts_to<lease_atom, std::vector<connection_actor>>,

    /// Ends the connections whose lease ran out (the agent's own timer).
    caf::reacts_to<lease_atom>,

    /// The node's name, recipes and connection counts.
    caf::replies_to<caf::get_atom, node_atom>::with<node_info>>;

/// Registers the node protocol's types with `cfg` (register_pool_types calls it).
void register_node_types(caf::actor_system_config& cfg);

// -- inspection -----------------------------------------------------------------------------------
//
// Serialization sends every field. Printing (CAF's deep_to_string, its logs) masks the secrets
// as to_string(connection_config) does: header values and the proxy password become "***".

namespace detail {

template <class Inspector>
constexpr bool is_printing = std::is_same_v<Inspector, caf::detail::stringification_inspector>;

} // namespace detail

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, header& x) {
  if constexpr (detail::is_printing<Inspector>) {
    std::string masked = "***";
    return f(caf::meta::type_name("zenws.header"), x.name, masked);
  } else {
    return f(caf::meta::type_name("zenws.header"), x.name, x.value);
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, timeouts_config& x) {
  return f(caf::meta::type_name("zenws.timeouts_config"), x.connect, x.tls, x.upgrade, x.request,
           x.close);
}

/// CAF 0.17 has no std::optional support: retry_count travels as (limited, count).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reconnect_config& x) {
  bool limited = x.retry_count.has_value();
  std::uint32_t count = x.retry_count.value_or(0);
  auto store = caf::meta::load_callback([&]() -> caf::error {
    x.retry_count = limited ? std::optional<std::uint32_t>{count} : std::nullopt;
    return caf::none;
  });
  return f(caf::meta::type_name("zenws.reconnect_config"), x.enabled, limited, count, x.retry_delay,
           x.max_backoff, x.jitter, x.stable_after, x.immediate_first_retry, store);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, heartbeat_config& x) {
  return f(caf::meta::type_name("zenws.heartbeat_config"), x.policy, x.interval, x.max_missed,
           x.text_ping_message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tls_config& x) {
  return f(caf::meta::type_name("zenws.tls_config"), x.insecure, x.ca_file, x.cert_file, x.key_file,
           x.server_name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, proxy_config& x) {
  if constexpr (detail::is_printing<Inspector>) {
    std::string masked = x.password.empty() ? "" : "***";
    return f(caf::meta::type_name("zenws.proxy_config"), x.url, x.username, masked);
  } else {
    return f(caf::meta::type_name("zenws.proxy_config"), x.url, x.username, x.password);
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, compression_config& x) {
  return f(caf::meta::type_name("zenws.compression_config"), x.enabled, x.client_max_window_bits,
           x.server_max_window_bits, x.client_no_context_takeover, x.server_no_context_takeover);
}

/// The URL's query is part of what is sent; printing masks it like to_string(connection_config).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_config& x) {
  if constexpr (detail::is_printing<Inspector>) {
    std::string printed = to_string(x);
    return f(caf::meta::type_name("zenws.connection_config"), printed);
  } else {
    return f(caf::meta::type_name("zenws.connection_config"), x.url, x.headers, x.subprotocols,
             x.timeouts, x.reconnect, x.heartbeat, x.max_message_size, x.max_write_queue,
             x.max_pending_requests, x.latency_buffer_size, x.record_to, x.tls, x.proxy,
             x.compression, x.tcp_nodelay, x.user_agent);
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remote_connection_spec& x) {
  return f(caf::meta::type_name("zenws.remote_connection_spec"), x.recipe, x.connection, x.handler,
           x.link_handler, x.deliver_batches, x.restore_subscriptions, x.label, x.lease);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(caf::meta::type_name("zenws.node_info"), x.name, x.recipes, x.connections, x.spawned,
           x.pid);
}

} // namespace zenws
