#pragma once
/// @file
/// The pool actor: supervises connection actors spawned from one spec, restarts those that die
/// abnormally (within OTP-style restart intensity), restores their subscriptions into the
/// replacement, and routes balanced requests to the healthiest ready connection.
///
/// The pool, not the connection, holds what must survive a crash: the spec (config, adapter
/// options with the bootstrap, the handler) and each slot's confirmed subscriptions. Socket
/// drops are the connection actor's own business (it reconnects by its policy); the pool acts
/// when a connection actor dies:
///
///     dies with normal / user_shutdown  -> slot removed (transient: not restarted)
///     dies otherwise                    -> restarted with the same spec, subscriptions restored
///     more than max_restarts in period  -> the pool quits with restart_intensity_exceeded
///
/// The pool monitors its connections and they do not monitor it: when the pool ends, it ends
/// them. To supervise a pool, monitor or link to it like any actor.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/typed_actor.hpp>

#include "zenws/actors/connection_protocol.hpp"
#include "zenws/protocol/config.hpp"

namespace zenws {

class io_runtime;

using request_balanced_atom = caf::atom_constant<caf::atom("req_bal")>;
using send_balanced_atom = caf::atom_constant<caf::atom("send_bal")>;
using health_atom = caf::atom_constant<caf::atom("health")>;
using add_slot_atom = caf::atom_constant<caf::atom("add_slot")>;
using remove_slot_atom = caf::atom_constant<caf::atom("rm_slot")>;
using slots_atom = caf::atom_constant<caf::atom("slots")>;

/// Pool settings.
struct pool_config {
  std::uint32_t size = 1;             ///< connections started with the pool
  std::uint32_t max_restarts = 10;    ///< restart intensity: at most this many restarts ...
  milliseconds restart_period{60000}; ///< ... within this window, else the pool gives up
  std::uint32_t max_attempts = 3;     ///< connections a balanced request tries before failing
  milliseconds error_decay{60000};    ///< a connection's errors are forgotten after this
  milliseconds metrics_interval{250}; ///< how often the pool reads its connections' metrics
};

/// A node agent's address (node_agent.hpp, `zenws node`).
struct node_endpoint {
  std::string host; ///< name or address
  std::uint16_t port = 0;
};

/// Where a pool's connections live. By default in the pool's own process; with nodes, each
/// connection actor is spawned by a node agent in another process or on another machine (CAF's
/// middleman must be loaded in the pool's actor system; caf::openssl's manager for `tls`).
///
/// The pool dials every node at start and spreads its connections over those that answered
/// (fewest connections first). A lost node (its process ended, its link broke) counts as the
/// loss of its connections: each moves to a live node with its subscriptions restored, without
/// counting against the restart intensity, and the requests that were in flight on it end with
/// outcome_unknown. The pool dials a lost node again with backoff (`redial`); connections do
/// not move back by themselves. While no node is up, connections wait for one.
struct pool_placement {
  std::vector<node_endpoint> nodes; ///< empty (default) = connections live in this process
  /// The nodes' recipe that builds each connection's options (the venue adapter); the spec's
  /// own `options` cannot cross a process boundary and are then ignored, except
  /// deliver_batches, restore_subscriptions and label.
  std::string recipe = "plain";
  bool tls = false;                ///< dial through caf::openssl instead of plain TCP
  milliseconds dial_timeout{5000}; ///< one dial: TCP, TLS, CAF's handshake; and one spawn
  /// Backoff between dials of a node that is down; retries forever by default.
  reconnect_config redial{true, std::nullopt, milliseconds{250}, milliseconds{5000}, 0.2};
  /// Added to a remote request's own timeout before the pool stops waiting for its answer:
  /// CAF does not answer a request whose node is lost.
  milliseconds grace{2000};
  /// The pool renews its connections' leases every lease / 4; a node whose connection goes
  /// this long without a renewal ends it (remote_connection_spec::lease). What ends orphans on a
  /// node that was frozen or cut off while the pool moved its connections; keep it above the
  /// nodes' distribution_options::connection_timeout so that a link that is merely slow is not
  /// taken for a lost one. 0 = no leases; else at least 100 ms.
  milliseconds lease{10000};
};

/// Everything a pool needs to start and restart its connections.
struct pool_spec {
  connection_config connection;
  connection_options options; ///< the adapter's dialect and bootstrap
  pool_config pool;
  pool_placement placement; ///< in this process by default
  /// When set, every connection gets a handler of its own from this factory (called on the
  /// pool's thread at each start and restart, with the slot's id) instead of the shared handler
  /// given to spawn_pool, and the two are linked (connection_options::link_handler): a handler
  /// that throws takes its connection down, and the pool restarts both.
  std::function<caf::actor(caf::actor_system&, std::uint32_t slot)> handler_factory;
};

/// One slot as the pool sees it.
struct slot_health {
  std::uint32_t slot = 0; ///< stable id of the slot (survives restarts)
  bool ready = false;     ///< connected and restored; takes balanced requests
  connection_state state = connection_state::idle; ///< as its connection last reported it
  std::chrono::microseconds p99{0};                ///< its requests' p99 round trip (0 before any)
  int score = 0;                                   ///< 0-100, see health_score.hpp
  std::uint64_t pending = 0;                       ///< balanced requests in flight on it
  std::uint32_t errors = 0;                        ///< recent errors
  std::uint64_t restarts = 0;                      ///< times its connection actor was replaced
  std::uint64_t subscriptions = 0; ///< channels the pool restores into a replacement
  connection_actor connection;     ///< the current connection actor (null while placed)
  std::string node;                ///< "host:port" of its node; "" = in the pool's process
  std::uint64_t moves = 0;         ///< times it moved because its node was lost
};

/// One node of a pool's placement as the pool sees it.
struct node_health {
  std::string endpoint;          ///< "host:port"
  std::string name;              ///< the agent's name; "" before the first dial succeeded
  bool up = false;               ///< dialed and not lost since
  std::uint64_t connections = 0; ///< the pool's connections placed on it now
  std::uint64_t losses = 0;      ///< times the pool lost it (or failed to dial it)
  failure last_error;            ///< why it was last lost or not reached
};

/// The pool's health: its slots and its restarts within the intensity window.
struct pool_health {
  std::vector<slot_health> slots;
  std::vector<node_health> nodes;    ///< empty for a pool without placement
  std::uint64_t restarts = 0;        ///< over the pool's life
  std::uint32_t recent_restarts = 0; ///< within the restart_period
};

using pool_actor = caf::typed_actor<
    /// A JSON-RPC request on the healthiest ready connection (ties: fewest pending, then
    /// round-robin). A request that
    /// was never sent (no ready connection, refused, out of rate-limit tokens, connection gone)
    /// fails over to the next, up to max_attempts; one that was sent and then lost its connection
    /// ends with outcome_unknown and is never re-sent. Other errors (server_error, request_timeout)
    /// are the request's answer.
    caf::replies_to<request_balanced_atom, std::string, std::string,
                    caf::timespan>::with<rpc_response>,

    /// A text frame on the healthiest ready connection, with the same fail-over.
    caf::replies_to<send_balanced_atom, text_frame>::with<std::uint32_t>,

    /// Subscribes on the healthiest ready connection; the pool remembers the accepted channels
    /// for that slot and restores them into a replacement. Channels a slot already holds are
    /// accepted without being subscribed twice.
    caf::replies_to<subscribe_atom, std::vector<std::string>>::with<subscription_outcome>,

    /// Unsubscribes each channel on the slot that holds it; it leaves the slot's restore set at
    /// once. Channels no slot holds are rejected; when a connection fails the request, its
    /// channels are rejected and `error` says why (they still will not be restored).
    caf::replies_to<unsubscribe_atom, std::vector<std::string>>::with<subscription_outcome>,

    /// Per-slot state, score, restarts.
    caf::replies_to<caf::get_atom, health_atom>::with<pool_health>,

    /// Adds a slot (scale up); replies with its id once it is ready.
    caf::replies_to<add_slot_atom>::with<std::uint32_t>,

    /// Removes a slot (scale down): its connection is closed with 1000 and not restarted.
    caf::replies_to<remove_slot_atom, std::uint32_t>::with<bool>>;

/// Registers the pool's message types (slot_health, pool_health, and the node agent's) with
/// `cfg`, in addition to register_types(): needed to print them and to reach a pool through
/// CAF's middleman.
void register_pool_types(caf::actor_system_config& cfg);

/// Spawns a pool of `spec.pool.size` connections reporting to `handler` (or to handlers from
/// `spec.handler_factory`; `handler` may then be null) and connects them.
/// The io runtime must outlive the pool.
pool_actor spawn_pool(caf::actor_system& sys, io_runtime& io, pool_spec spec, caf::actor handler);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, slot_health& x) {
  return f(caf::meta::type_name("zenws.slot_health"), x.slot, x.ready, x.state, x.p99, x.score,
           x.pending, x.errors, x.restarts, x.subscriptions, x.connection, x.node, x.moves);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_health& x) {
  return f(caf::meta::type_name("zenws.node_health"), x.endpoint, x.name, x.up, x.connections,
           x.losses, x.last_error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_health& x) {
  return f(caf::meta::type_name("zenws.pool_health"), x.slots, x.nodes, x.restarts,
           x.recent_restarts);
}

} // namespace zenws
