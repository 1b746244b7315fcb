#pragma once
/// @file
/// Telemetry events: what a connection and a pool report to a user's hook as things happen, each
/// with a dotted name in the manner of ZenWebsocket's :telemetry events ("zenws.connection.
/// ready", "zenws.request.resolved", ...). Metrics answer "how is it now"; events answer "what
/// happened, when, and how long it took".
///
/// The hook runs on the reporting actor's thread, from many actors at once: it must be
/// thread-safe, quick, and must not block (count, sample, or hand off to a queue).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "zenws/protocol/error.hpp"

namespace zenws {

/// Every event zenws reports. Values are stable; new ones are added at the end.
enum class telemetry_kind : std::uint8_t {
  // connection lifecycle
  connect_attempt,   ///< an attempt starts: `count` is the attempt number over the actor's life
  upgraded,          ///< the 101 arrived: `duration` is TCP+TLS+upgrade time
  ready,             ///< upgraded and bootstrapped: requests may flow
  disconnected,      ///< the attempt or connection ended: `error`, `count` the close code
  reconnect_planned, ///< the next attempt is due in `duration`: `count` is the retry number
  gave_up,           ///< no attempt is left: `error` says why
  // heartbeats
  heartbeat_sent,     ///< a ping, a text ping or a test_request answer went out
  heartbeat_answered, ///< a pong, server ping or heartbeat arrived: `duration` the RTT if known
  heartbeat_missed,   ///< a tick found the previous heartbeat unanswered: `count` misses in a row
  // requests
  request_tracked,   ///< a request was written: `detail` is the method, `count` the id
  request_resolved,  ///< answered with a result: `duration` the round trip
  request_timed_out, ///< no answer in time
  request_failed,    ///< an error answer, or the connection dropped while it waited: `error`
  // subscriptions
  subscription_added,     ///< the server confirmed `count` channels
  subscription_removed,   ///< `count` channels unsubscribed
  subscriptions_restored, ///< after a (re)connect, `count` channels confirmed again
  // rate limiter
  rate_limit_consumed, ///< a frame took `count` tokens (all buckets)
  rate_limit_queued,   ///< a frame waits for tokens: `count` frames now waiting
  pressure_changed,    ///< the wait queue's pressure level is now `detail`
  rate_limit_rejected, ///< a frame was refused or expired waiting: `error`
  // pools
  pool_routed,   ///< a balanced request went to slot `count`
  pool_failover, ///< a balanced request is retried on another slot: `error` of the first
  pool_restart,  ///< slot `count` is being restarted after its connection died: `error`
};

/// "zenws.connection.connect_attempt", "zenws.heartbeat.answered", ... (the dotted name).
const char* telemetry_name(telemetry_kind kind) noexcept;

/// One event. Members a kind does not use stay at their defaults.
struct telemetry_event {
  telemetry_kind kind = telemetry_kind::connect_attempt;
  std::string source;                    ///< who reports: the connection's or pool's label
  std::chrono::microseconds duration{0}; ///< time taken, when the kind has one
  std::uint64_t count = 0;               ///< the kind's number (see telemetry_kind)
  std::string detail;                    ///< the kind's text (a method, a level); never secret
  failure error;                         ///< what went wrong, for kinds that report failures
};

/// The user's hook. Empty = no telemetry (nothing is built).
using telemetry_hook = std::function<void(const telemetry_event&)>;

} // namespace zenws
