#pragma once
/// @file
/// When to try again after a connection attempt fails or an open connection drops: exponential
/// backoff with jitter, a retry budget per outage, and a reset once a connection has been stable.
/// Pure: the caller passes the time and seeds the jitter, so tests run on a fake clock.
///
/// Semantics (docs/resilience.md has the long form):
/// - An outage starts with a failure: the first connect attempt failing, or a ready connection
///   dropping. Within an outage, retry n (1-based) waits
///   `min(max_backoff, retry_delay * 2^(n-1))`, then scaled by `1 + jitter * u`, u uniform in
///   [-1, 1]. Rate-limited failures (HTTP 429, venue rate limits) wait max_backoff instead.
/// - `retry_count` = N allows N retries per outage, for the first connect and for later drops
///   alike: a first connect gets N + 1 attempts in all, a drop gets N reconnect attempts.
///   nullopt = retry forever.
/// - A connection that was ready for at least `stable_after` ends the outage: its drop starts a
///   new one with n = 1. A connection that drops sooner counts as one more failure of the same
///   outage, so a server that accepts and at once closes is backed off like one that refuses.
/// - Fatal failures (is_fatal: bad credentials, rejected certificate, upgrade refused with a 4xx
///   other than 429, bad config) end at once without retry, as does any failure when
///   reconnection is disabled.
/// - Each planned retry has a token; only the latest plan's token is honoured, once, so a timer
///   from an earlier plan can never start an attempt late.

#include <chrono>
#include <cstdint>
#include <optional>
#include <variant>

#include "zenws/protocol/clock.hpp"
#include "zenws/protocol/config.hpp"
#include "zenws/protocol/error.hpp"

namespace zenws {

/// The un-jittered wait before retry `n` (1-based) of an outage:
/// min(max_backoff, retry_delay * 2^(n-1)), without overflow for any n.
milliseconds backoff_delay(const reconnect_config& cfg, std::uint32_t n) noexcept;

/// `delay * (1 + jitter * u)` rounded to milliseconds, for u in [-1, 1]; never negative.
milliseconds apply_jitter(milliseconds delay, double jitter, double u) noexcept;

/// The longest a connect can take before the policy gives up, with every attempt running into
/// its timeouts (connect + tls + upgrade + one request for the bootstrap) and every wait at its
/// largest jitter; nullopt with unlimited retries.
std::optional<milliseconds> worst_case_connect_time(const connection_config& cfg) noexcept;

/// Try again: attempt `retry` of the outage, after `delay`.
struct retry_plan {
  std::uint32_t retry = 0; ///< 1-based number of this retry within the outage
  milliseconds delay{0};   ///< wait before the attempt, jitter applied
  std::uint64_t token = 0; ///< pass to reconnect_policy::take when the wait is over
};

/// Stop: the failure that ended it, and whether it was fatal or the budget ran out.
struct give_up_info {
  failure last;               ///< the failure that ended the outage
  std::uint32_t failures = 0; ///< failures in the outage, this one included
  bool fatal = false;         ///< true: retrying could not help; false: retry_count ran out

  /// "gave up after 4 failures: <explain(last)>" or "stopped: <explain(last)>".
  std::string to_string() const;
};

/// The reconnection state machine of one connection.
class reconnect_policy {
public:
  /// `seed` feeds the jitter; equal seeds give equal delays.
  reconnect_policy(const reconnect_config& cfg, std::uint64_t seed) noexcept;

  /// Starts counting afresh and cancels any planned retry: the owner asked to connect or to
  /// reconnect.
  void restart() noexcept;

  /// The connection became ready (upgraded and bootstrapped) at `now`.
  void on_ready(steady_time now) noexcept;

  /// An attempt failed, or a ready connection dropped, at `now`: when to retry, or why not.
  std::variant<retry_plan, give_up_info> on_failure(const failure& why, steady_time now);

  /// True exactly once for the token of the latest plan, unless restart() or cancel() came
  /// between: only then may the owner start the attempt.
  bool take(std::uint64_t token) noexcept;

  /// Forgets the planned retry (the owner closed the connection while waiting).
  void cancel() noexcept;

  /// Failures in the current outage; 0 while connected after a stable period or a restart.
  std::uint32_t failures() const noexcept { return failures_; }

  /// Retries planned over the policy's life (the reconnect count in metrics).
  std::uint64_t retries_planned() const noexcept { return retries_planned_; }

  const reconnect_config& config() const noexcept { return cfg_; }

private:
  double next_unit() noexcept; // uniform in [-1, 1]

  reconnect_config cfg_;
  std::uint64_t rng_state_;
  std::uint32_t failures_ = 0;
  std::uint64_t retries_planned_ = 0;
  std::uint64_t planned_token_ = 0; // 0 = nothing planned
  std::uint64_t next_token_ = 1;
  bool ready_ = false;
  steady_time ready_since_{};
};

} // namespace zenws
