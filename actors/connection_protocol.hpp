#pragma once
/// @file
/// The connection actor's message protocol: atoms, message types, the typed handle users hold,
/// and the events its handler receives. No Beast, no Asio.
///
/// A connection is spawned with its config and a handler actor (spawn_connection in
/// connection_actor.hpp). Users talk to it through `connection_actor`; it reports to the handler:
///
///     handler <- (connected_atom, upgrade_response)      the upgrade completed
///     handler <- text_frame / binary_frame               each message, in arrival order
///     handler <- (error_atom, failure)                   a fire-and-forget send failed
///     handler <- (disconnected_atom, disconnect_info)    the attempt or connection ended
///
/// Every connect attempt ends with exactly one disconnected event, preceded by connected if
/// the upgrade completed. The sender of each event is the connection actor.

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "zenws/actors/transport.hpp"
#include "zenws/protocol/connection_state.hpp"
#include "zenws/protocol/error.hpp"

namespace zenws {

// -- atoms ----------------------------------------------------------------------------------------

using send_atom = caf::atom_constant<caf::atom("send")>;
using state_atom = caf::atom_constant<caf::atom("state")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;
using upgrade_atom = caf::atom_constant<caf::atom("upgrade")>;
using connected_atom = caf::atom_constant<caf::atom("connected")>;
using disconnected_atom = caf::atom_constant<caf::atom("disconnect")>;
using error_atom = caf::atom_constant<caf::atom("error")>;

// -- messages -------------------------------------------------------------------------------------

/// A text message, sent or received. Move the string in and out: no copy is made on the way.
struct text_frame {
  std::string data;
};

/// A binary message, sent or received.
struct binary_frame {
  std::string data;
};

/// Counters and state of one connection, for monitoring.
struct connection_metrics {
  connection_state state = connection_state::idle;
  std::uint64_t write_queue_depth = 0; ///< data frames queued and not yet written
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0; ///< data frames accepted for sending
  std::uint64_t bytes_in = 0;   ///< payload bytes of received messages
  std::uint64_t bytes_out = 0;  ///< payload bytes of frames accepted for sending
  std::uint64_t connects = 0;   ///< upgrades completed over the actor's life
  failure last_error;           ///< the most recent failure, if any
};

// -- the typed interface --------------------------------------------------------------------------

/// What users may send to a connection actor.
using connection_actor = caf::typed_actor<
    /// Opens the connection with the spawn config (DNS, TCP, TLS, upgrade, each with its own
    /// timeout). Replies with the server's 101 response once open. Ends with an error instead:
    /// invalid_config or invalid_url (fatal), invalid_state (already connecting or connected),
    /// closed (close() was called), or the failure of the attempt (network, tls, handshake).
    caf::replies_to<caf::connect_atom>::with<upgrade_response>,

    /// Queues a text message; frames are written in send order. As a request, the reply is empty
    /// once the frame is queued, or an error: not_connected, write_queue_full, closed. As a plain
    /// send, a failure goes to the handler as (error_atom, failure).
    caf::reacts_to<send_atom, text_frame>,

    /// Queues a binary message; otherwise as for text_frame.
    caf::reacts_to<send_atom, binary_frame>,

    /// Closes with a close code (0 = none, else 1000-1003, 1007-1014, 3000-4999) and a reason of
    /// at most 123 bytes of UTF-8. Frames queued before are sent first; messages the server sends
    /// before answering are still delivered to the handler. Replies with how the connection ended:
    /// after the server's close frame, or after timeouts.close with close_timeout in `error`.
    /// Errors: bad_close_code, bad_close_reason. Closing an idle or disconnected connection ends
    /// it at once; the connection then refuses connect and send with `closed`.
    caf::replies_to<caf::close_atom, std::uint16_t, std::string>::with<disconnect_info>,

    /// The current state.
    caf::replies_to<caf::get_atom, state_atom>::with<connection_state>,

    /// Counters, queue depth and the last error.
    caf::replies_to<caf::get_atom, metrics_atom>::with<connection_metrics>,

    /// The last successful upgrade's response (status 0 before the first).
    caf::replies_to<caf::get_atom, upgrade_atom>::with<upgrade_response>>;

/// The events a handler receives, as a typed interface for handlers that want one. Any actor
/// that handles these messages can be a handler.
using connection_handler =
    caf::typed_actor<caf::reacts_to<connected_atom, upgrade_response>,
                     caf::reacts_to<disconnected_atom, disconnect_info>, caf::reacts_to<text_frame>,
                     caf::reacts_to<binary_frame>, caf::reacts_to<error_atom, failure>>;

// -- errors as caf::error -------------------------------------------------------------------------

/// The caf::error category of zenws failures.
inline constexpr caf::atom_value error_category_atom = caf::atom("zenws");

/// A failure as a caf::error: code, category "zenws", and (detail, http_status, close_code) as
/// context.
caf::error make_error(const failure& f);

/// Back from caf::error: zenws errors keep their code and detail; CAF's own errors become
/// actor_down (receiver gone) or request_timeout, everything else internal_error.
failure to_failure(const caf::error& err);

/// explain(to_failure(err)).
std::string explain(const caf::error& err);

// -- inspection (serialization and printing)
// -------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, failure& x) {
  return f(caf::meta::type_name("zenws.failure"), x.code, x.detail, x.http_status, x.close_code);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, text_frame& x) {
  return f(caf::meta::type_name("zenws.text_frame"), x.data);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, binary_frame& x) {
  return f(caf::meta::type_name("zenws.binary_frame"), x.data);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upgrade_response& x) {
  return f(caf::meta::type_name("zenws.upgrade_response"), x.status, x.headers, x.subprotocol,
           x.compression, x.connect_time, x.tls_time, x.upgrade_time);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, disconnect_info& x) {
  return f(caf::meta::type_name("zenws.disconnect_info"), x.initiator, x.code, x.reason, x.error,
           x.frames_written, x.was_open);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_metrics& x) {
  return f(caf::meta::type_name("zenws.connection_metrics"), x.state, x.write_queue_depth,
           x.frames_in, x.frames_out, x.bytes_in, x.bytes_out, x.connects, x.last_error);
}

} // namespace zenws
