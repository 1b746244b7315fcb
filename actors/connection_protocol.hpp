#pragma once
/// @file
/// The connection actor's message protocol: atoms, message types, the typed handle users hold,
/// and the events its handler receives. No Beast, no Asio.
///
/// A connection is spawned with its config and a handler actor (spawn_connection in
/// connection_actor.hpp). Users talk to it through `connection_actor`; it reports to the handler:
///
///     handler <- (connected_atom, upgrade_response)      ready: upgraded and bootstrapped
///     handler <- text_frame / binary_frame               each message, in arrival order
///     handler <- message_batch                           the same, per socket read, when asked
///     handler <- (unmatched_atom, text_frame)            a response no request waits for
///     handler <- (error_atom, failure)                   a fire-and-forget send failed
///     handler <- (disconnected_atom, disconnect_info)    the attempt or connection ended
///     handler <- (reconnecting_atom, reconnect_notice)   the next attempt is planned
///     handler <- (gave_up_atom, give_up_info)            no attempt is left, or none can help
///     handler <- (restored_atom, subscription_outcome)   subscriptions restored after connect
///
/// Every connect attempt ends with exactly one disconnected event, preceded by connected if
/// the connection became ready. After a disconnected event comes either reconnecting or
/// gave_up, unless the owner closed the connection. The sender of each event is the connection
/// actor.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "zenws/actors/transport.hpp"
#include "zenws/protocol/connection_state.hpp"
#include "zenws/protocol/error.hpp"
#include "zenws/protocol/heartbeat.hpp"
#include "zenws/protocol/latency_stats.hpp"
#include "zenws/protocol/rate_limiter.hpp"
#include "zenws/protocol/reconnect_policy.hpp"
#include "zenws/protocol/subscriptions.hpp"
#include "zenws/protocol/telemetry.hpp"
#include "zenws/protocol/wire_dialect.hpp"

namespace zenws {

// -- atoms ----------------------------------------------------------------------------------------

using send_atom = caf::atom_constant<caf::atom("send")>;
using state_atom = caf::atom_constant<caf::atom("state")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;
using upgrade_atom = caf::atom_constant<caf::atom("upgrade")>;
using connected_atom = caf::atom_constant<caf::atom("connected")>;
using disconnected_atom = caf::atom_constant<caf::atom("disconnect")>;
using error_atom = caf::atom_constant<caf::atom("error")>;
using request_atom = caf::atom_constant<caf::atom("request")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscr")>;
using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
using reconnecting_atom = caf::atom_constant<caf::atom("reconn_in")>;
using gave_up_atom = caf::atom_constant<caf::atom("gave_up")>;
using unmatched_atom = caf::atom_constant<caf::atom("unmatched")>;
using restored_atom = caf::atom_constant<caf::atom("restored")>;
using rate_limit_atom = caf::atom_constant<caf::atom("rate_limit")>;

// -- messages -------------------------------------------------------------------------------------

/// A text message, sent or received. Move the string in and out: no copy is made on the way.
struct text_frame {
  std::string data;
};

/// A binary message, sent or received.
struct binary_frame {
  std::string data;
};

/// A JSON-RPC request's successful answer.
struct rpc_response {
  std::string result;                      ///< the JSON text of "result"
  std::chrono::microseconds round_trip{0}; ///< request accepted -> response received
  std::string meta; ///< venue metadata sent with it, as JSON text (Binance: rateLimits); or ""
  std::uint16_t status = 0; ///< the venue's HTTP-like status (Binance's WebSocket API), or 0
};

/// The next attempt is planned: which one, when, and what ended the previous one.
struct reconnect_notice {
  std::uint32_t retry = 0;            ///< 1-based within the current outage
  std::chrono::milliseconds delay{0}; ///< jitter applied
  failure cause;                      ///< why the previous attempt or connection ended
};

/// Counters and state of one connection, for monitoring.
struct connection_metrics {
  connection_state state = connection_state::idle;
  std::uint64_t write_queue_depth = 0; ///< data frames queued and not yet written
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;        ///< data frames accepted for sending
  std::uint64_t bytes_in = 0;          ///< payload bytes of received messages
  std::uint64_t bytes_out = 0;         ///< payload bytes of frames accepted for sending
  std::uint64_t connects = 0;          ///< times the connection became ready over the actor's life
  std::uint64_t reconnects = 0;        ///< retries planned after failures and drops
  std::uint64_t pending_requests = 0;  ///< requests waiting for their responses
  std::uint64_t subscriptions = 0;     ///< confirmed channels (the restore set)
  latency_summary latency;             ///< request round trips over the last latency_buffer_size
  failure last_error;                  ///< the most recent failure, if any
  std::uint64_t rate_limit_queued = 0; ///< frames waiting for rate-limit tokens
  pressure rate_limit_pressure = pressure::none; ///< how full that wait queue is
  std::uint64_t rate_limited = 0; ///< frames refused by the rate limiter, over the life
};

/// The send-side rate limiter of a connection (protocol/rate_limiter.hpp) and what each frame
/// costs. Tokens are taken only for frames handed to the socket; a frame without tokens waits
/// in the limiter's queue (its request timeout keeps running) or, when the queue is full, is
/// refused with rate_limited. The handler hears each change of the queue's pressure level.
struct rate_limit_options {
  rate_limit_config limits; ///< no buckets (the default) = no limiting
  /// What a request costs by method: user requests, subscribes, bootstrap calls. Empty = free.
  std::function<charges(std::string_view method)> request_cost;
  charges frame_cost;     ///< each plain send (send_atom)
  charges heartbeat_cost; ///< each heartbeat frame and pong: charged, never held back
};

/// Runs on every (re)connect after the upgrade and before the connection is reported ready,
/// and returns the requests to make, in order: authentication (with a fresh signature each
/// time), then any venue setup. Each must succeed, or the attempt fails with that error (an
/// auth error stops reconnection; see reconnect_policy.hpp). The heartbeat setup and the
/// subscription restore follow them. Called on the connection actor's thread; must not block.
struct bootstrap_call {
  std::string method;
  std::string params; ///< JSON object or array text; "" = none
};
using bootstrap_fn = std::function<std::vector<bootstrap_call>()>;

/// What an adapter adds to a connection's config: its venue's wire dialect, its bootstrap.
struct connection_options {
  /// How requests, answers and subscriptions look on the wire; each connection works with its
  /// own clone. JSON-RPC as Deribit spells it by default. Never null.
  std::shared_ptr<const wire_dialect> dialect = default_dialect();
  bootstrap_fn bootstrap; ///< empty = no requests before ready
  /// Link the connection to its handler: a handler that dies abnormally (an exception in its
  /// code, a kill) takes the connection down with the same reason, and the other way round.
  /// ZenWebsocket's handler runs inside the connection's process; this is that contract for a
  /// handler that is an actor of its own. Off by default (one handler may serve many
  /// connections).
  bool link_handler = false;
  /// Channels a previous connection held, restored before this one first reports ready, as
  /// after a reconnect (the pool hands a replacement its slot's channels this way). Channels
  /// the server refuses leave the set.
  std::vector<std::string> restore_subscriptions;
  rate_limit_options rate_limit; ///< off by default
  /// Deliver the messages of each socket read to the handler as one message_batch instead of
  /// one text_frame or binary_frame each: for market data rates, where a message per frame
  /// costs more than the frame. Events other than messages are sent as usual, in order.
  bool deliver_batches = false;
  /// Reconnect on purpose after this long connected, before the venue drops the connection
  /// (Binance ends every connection at 24 h): the handler sees the drop with server_shutdown
  /// and a reconnect at once. Zero (the default) = never.
  std::chrono::milliseconds max_lifetime{0};
  /// Called with each telemetry event (protocol/telemetry.hpp) on the connection's thread; must
  /// be thread-safe and quick. Empty (the default) = none built.
  telemetry_hook telemetry;
  /// The events' `source`; empty = the URL's host:port (never its path or query).
  std::string label;
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
    caf::replies_to<caf::get_atom, upgrade_atom>::with<upgrade_response>,

    /// A JSON-RPC request: (method, params as JSON object/array text or "", timeout; 0 =
    /// timeouts.request). The actor assigns the id. Ends exactly once: the result, or an error:
    /// server_error (the server's code and message), request_timeout, disconnected (the
    /// connection dropped while it waited; the server may have acted on it: never re-sent),
    /// not_connected, bad_json (params), write_queue_full, closed.
    caf::replies_to<request_atom, std::string, std::string, caf::timespan>::with<rpc_response>,

    /// Subscribes with the connection's dialect. Replies with the accepted and rejected
    /// channels; only accepted ones are restored after a reconnect. Errors as for request.
    caf::replies_to<subscribe_atom, std::vector<std::string>>::with<subscription_outcome>,

    /// Unsubscribes; the channels leave the restore set at once. While no socket is open
    /// (idle, reconnecting, disconnected) there is nothing to tell the server: the channels
    /// just leave the restore set and the reply accepts them all.
    caf::replies_to<unsubscribe_atom, std::vector<std::string>>::with<subscription_outcome>,

    /// The restore set: the confirmed channels, sorted.
    caf::replies_to<caf::get_atom, subscribe_atom>::with<std::vector<std::string>>,

    /// Drops the current connection (or the wait for the next attempt) and connects again with
    /// the same config, counting retries afresh. Replies like connect.
    caf::replies_to<reconnect_atom>::with<upgrade_response>,

    /// The heartbeat's health: policy, last heartbeat, misses, RTT percentiles.
    caf::replies_to<caf::get_atom, heartbeat_atom>::with<heartbeat_health>>;

/// The events a handler receives, as a typed interface for handlers that want one. Any actor
/// that handles these messages can be a handler.
using connection_handler = caf::typed_actor<
    caf::reacts_to<connected_atom, upgrade_response>,
    caf::reacts_to<disconnected_atom, disconnect_info>, caf::reacts_to<text_frame>,
    caf::reacts_to<binary_frame>, caf::reacts_to<error_atom, failure>,
    caf::reacts_to<unmatched_atom, text_frame>, caf::reacts_to<reconnecting_atom, reconnect_notice>,
    caf::reacts_to<gave_up_atom, give_up_info>, caf::reacts_to<restored_atom, subscription_outcome>,
    caf::reacts_to<rate_limit_atom, pressure>>;

/// The handler interface with batches (connection_options::deliver_batches).
using connection_batch_handler = connection_handler::extend<caf::reacts_to<message_batch>>;

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
typename Inspector::result_type inspect(Inspector& f, latency_summary& x) {
  return f(caf::meta::type_name("zenws.latency_summary"), x.samples, x.total, x.p50, x.p90, x.p99,
           x.max, x.last);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_metrics& x) {
  return f(caf::meta::type_name("zenws.connection_metrics"), x.state, x.write_queue_depth,
           x.frames_in, x.frames_out, x.bytes_in, x.bytes_out, x.connects, x.reconnects,
           x.pending_requests, x.subscriptions, x.latency, x.last_error, x.rate_limit_queued,
           x.rate_limit_pressure, x.rate_limited);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rpc_response& x) {
  return f(caf::meta::type_name("zenws.rpc_response"), x.result, x.round_trip, x.meta, x.status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reconnect_notice& x) {
  return f(caf::meta::type_name("zenws.reconnect_notice"), x.retry, x.delay, x.cause);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, give_up_info& x) {
  return f(caf::meta::type_name("zenws.give_up_info"), x.last, x.failures, x.fatal);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscription_outcome& x) {
  return f(caf::meta::type_name("zenws.subscription_outcome"), x.op, x.accepted, x.rejected,
           x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, heartbeat_health& x) {
  return f(caf::meta::type_name("zenws.heartbeat_health"), x.policy, x.since_last, x.sent,
           x.received, x.missed, x.failures, x.stale, x.rtt);
}

} // namespace zenws
