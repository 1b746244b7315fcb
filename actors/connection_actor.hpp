#pragma once
/// @file
/// The connection actor: owns one WebSocket connection (through a transport on the io runtime),
/// serves the connection_actor interface and reports to its handler.
///
///     idle --connect--> connecting --open+bootstrap--> connected --close--> closing --> closed
///                          ^   |                          |
///                          |   +--- failure ---+----------+ drop or stale heartbeat
///                          |                   v
///                          +--- timer --- reconnecting --no retry left--> disconnected
///
/// Retries follow reconnect_policy (protocol/reconnect_policy.hpp). A connect() request is
/// answered when the connection is ready, or with the error that ended the last attempt when
/// the policy gives up.
///
/// When the actor terminates (exit message, kill, or the last handle dropped and its pending
/// timers fired: CAF keeps an actor alive while a delayed message to it waits) it tears the socket
/// down and fails every request still waiting (connect, close) with `closed`: CAF itself leaves an
/// undelivered response promise hanging.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include "zenws/actors/connection_protocol.hpp"
#include "zenws/protocol/config.hpp"

namespace zenws {

class io_runtime;

/// Transport events as they arrive in the connection's mailbox. Each carries the number of the
/// connect attempt it belongs to, so events of an earlier attempt are recognised and dropped.
using ws_open_atom = caf::atom_constant<caf::atom("ws_open")>;
using ws_message_atom = caf::atom_constant<caf::atom("ws_msg")>;
using ws_ping_atom = caf::atom_constant<caf::atom("ws_ping")>;
using ws_pong_atom = caf::atom_constant<caf::atom("ws_pong")>;
using ws_closed_atom = caf::atom_constant<caf::atom("ws_closed")>;

/// The actor's own timers. Each carries a token; a timer whose token is no longer current
/// (answered, cancelled, superseded) is dropped when it fires.
using retry_timer_atom = caf::atom_constant<caf::atom("t_retry")>;
using heartbeat_timer_atom = caf::atom_constant<caf::atom("t_beat")>;
using request_timer_atom = caf::atom_constant<caf::atom("t_request")>;
using release_timer_atom = caf::atom_constant<caf::atom("t_release")>;
using held_timer_atom = caf::atom_constant<caf::atom("t_held")>;
using lifetime_timer_atom = caf::atom_constant<caf::atom("t_life")>;

/// The connection actor's full interface: the user-facing one plus transport events.
using connection_impl =
    connection_actor::extend<caf::reacts_to<ws_open_atom, std::uint64_t, upgrade_response>,
                             caf::reacts_to<ws_message_atom, std::uint64_t, message_batch>,
                             caf::reacts_to<ws_ping_atom, std::uint64_t, std::string>,
                             caf::reacts_to<ws_pong_atom, std::uint64_t, std::string>,
                             caf::reacts_to<ws_closed_atom, std::uint64_t, disconnect_info>,
                             caf::reacts_to<retry_timer_atom, std::uint64_t>,
                             caf::reacts_to<heartbeat_timer_atom, std::uint64_t>,
                             caf::reacts_to<request_timer_atom, std::uint64_t>,
                             caf::reacts_to<release_timer_atom, std::uint64_t>,
                             caf::reacts_to<held_timer_atom, std::uint64_t>,
                             caf::reacts_to<lifetime_timer_atom, std::uint64_t>>;

/// Spawns a connection with `config` that reports to `handler` (any actor that handles the
/// events in connection_protocol.hpp; may be null to ignore them). It does not connect yet:
/// send caf::connect_atom. The io runtime must outlive the actor. To supervise it, link to it
/// or monitor it after spawning (CAF reports at once if it already died).
connection_actor spawn_connection(caf::actor_system& sys, io_runtime& io, connection_config config,
                                  caf::actor handler);

/// Overload for a typed handler.
connection_actor spawn_connection(caf::actor_system& sys, io_runtime& io, connection_config config,
                                  const connection_handler& handler);

/// With an adapter's options: its wire dialect, bootstrap, rate limits and lifetime.
connection_actor spawn_connection(caf::actor_system& sys, io_runtime& io, connection_config config,
                                  connection_options options, caf::actor handler);

} // namespace zenws
