#pragma once
/// @file
/// Heartbeat policies as one pure state machine: the connection actor feeds it ticks, pings,
/// pongs and classified text frames, and does what it answers (send a ping, send a text, send a
/// request, reconnect). No clock reads, no I/O: tests drive it with a fake clock.
///
/// Stale rules, with I = heartbeat.interval and N = heartbeat.max_missed:
/// - ping_pong: each tick sends a ping with a unique payload. A tick that finds pings still
///   unanswered counts a miss; N misses in a row = stale. A pong for any outstanding ping ends
///   the run of misses and gives a true RTT sample.
/// - text_ping: the same with a text message (OKX "ping", Bybit {"op":"ping"}) and its text
///   pong; RTT is measured from the newest outstanding ping.
/// - deribit: the server sends heartbeat notifications every I after public/set_heartbeat (the
///   monitor's setup request); each test_request is answered at once with public/test. No
///   heartbeat for N * I = stale.
/// - server_ping: the server pings (the transport pongs with its payload). No ping for
///   N * I = stale.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zenws/protocol/clock.hpp"
#include "zenws/protocol/config.hpp"
#include "zenws/protocol/fifo.hpp"
#include "zenws/protocol/json_rpc.hpp"
#include "zenws/protocol/latency_stats.hpp"

namespace zenws {

/// What the connection must do after telling the monitor something.
struct heartbeat_action {
  enum class type : std::uint8_t {
    none,         ///< nothing
    send_ping,    ///< a WebSocket ping with `payload`
    send_text,    ///< a text frame `payload`
    send_request, ///< a JSON-RPC request: method `payload`, params `params`; reply swallowed
    stale,        ///< the connection is presumed dead: reconnect
  };
  type what = type::none;
  std::string payload;
  std::string params;
};

/// Health of the heartbeat, for metrics.
struct heartbeat_health {
  heartbeat_policy policy = heartbeat_policy::none;
  std::chrono::milliseconds since_last{-1}; ///< age of the last heartbeat seen; -1 = none yet
  std::uint64_t sent = 0;                   ///< pings, text pings or public/test answers we sent
  std::uint64_t received = 0;               ///< pongs, server pings or heartbeat notifications seen
  std::uint32_t missed = 0;                 ///< misses in the current run (reset by a heartbeat)
  std::uint64_t failures = 0;               ///< misses over the monitor's life
  std::uint64_t stale = 0;                  ///< times the connection was declared stale
  latency_summary rtt;                      ///< ping_pong and text_ping: round trips of our pings
};

/// True when `text` looks like a heartbeat frame that `policy` consumes: a short frame whose
/// "method" is "heartbeat" (deribit), or a text pong (text_ping); false for every other policy.
/// Cheap and without parsing. The connection lets such frames overtake market data waiting in
/// its mailbox; since the policy consumes them, the user's messages keep their order.
bool may_be_heartbeat(heartbeat_policy policy, std::string_view text) noexcept;

/// One connection's heartbeat.
class heartbeat_monitor {
public:
  /// `rtt_ring` is the number of RTT samples kept for percentiles.
  heartbeat_monitor(heartbeat_config cfg, std::size_t rtt_ring);

  /// A connection opened at `now`: forget outstanding pings and misses (totals and RTT stay).
  void start(steady_time now);

  /// How often the owner calls on_tick while connected; zero when the policy is none.
  milliseconds tick_interval() const noexcept;

  /// The request that turns the server's heartbeat on, for the bootstrap (deribit:
  /// public/set_heartbeat with the interval in seconds); nullopt for other policies.
  std::optional<heartbeat_action> setup_request() const;

  /// The periodic tick: what to send, or stale.
  heartbeat_action on_tick(steady_time now);

  /// A WebSocket pong arrived.
  void on_pong(std::string_view payload, steady_time now);

  /// A WebSocket ping arrived (the transport has answered it).
  void on_ping(steady_time now);

  /// A text frame arrived, with its classification. Returns true when it was a heartbeat frame
  /// (the user's handler must not see it); `reply` then holds what to send, if anything.
  bool on_text(std::string_view text, const json_rpc::message& classified, steady_time now,
               heartbeat_action& reply);

  heartbeat_health health(steady_time now) const;

  // Cheap reads for per-frame use (health() computes percentiles).
  std::uint64_t heard() const noexcept { return received_; }    ///< heartbeats seen, ever
  std::uint64_t failures() const noexcept { return failures_; } ///< misses, ever
  std::uint32_t missed() const noexcept { return missed_; }     ///< misses in the current run
  std::chrono::microseconds last_rtt() const noexcept { return rtt_.last(); }

  heartbeat_policy policy() const noexcept { return cfg_.policy; }

private:
  struct outstanding_ping {
    std::string payload;
    steady_time sent_at;
  };

  heartbeat_action ping_tick(steady_time now);
  heartbeat_action watch_tick(steady_time now);
  void heard(steady_time now);

  heartbeat_config cfg_;
  fifo<outstanding_ping> outstanding_;
  std::uint64_t next_ping_ = 1;
  std::optional<steady_time> last_heard_;
  steady_time silence_since_{}; // watching policies: when the current silence began
  std::uint32_t missed_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t stale_ = 0;
  latency_stats rtt_;
};

} // namespace zenws
