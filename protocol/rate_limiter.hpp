#pragma once
/// @file
/// The send-side rate limiter: token buckets, a bounded FIFO of frames waiting for tokens, and
/// pressure levels. Pure: the caller (the connection actor, which owns it, so it needs no locks)
/// passes the time and does the sending.
///
/// A frame is offered with its charges (tokens per bucket, from the venue's cost function):
///
///     nothing waiting and every bucket covers it -> charged, send it now
///     otherwise, room in the queue               -> queued behind the others (order is kept)
///     queue full, or a cost above a bucket's size -> refused with rate_limited
///
/// Queued frames leave in order through release(), charged as they leave, when next_release()
/// says. Tokens are only taken for frames that go out: a frame admitted but then not sent
/// (the socket refused it) gets its charges back with refund(). Frames that must go regardless
/// (heartbeats, pongs) are charged with debit(), into debt if need be.
///
/// Pressure is the queue's fill: none below 25%, low from 25%, medium from 50%, high from 75%.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "zenws/protocol/clock.hpp"
#include "zenws/protocol/error.hpp"
#include "zenws/protocol/fifo.hpp"
#include "zenws/protocol/token_bucket.hpp"

namespace zenws {

/// Tokens one frame costs in one bucket (an index into rate_limit_config::buckets).
struct charge {
  std::size_t bucket = 0;
  std::uint64_t cost = 0;

  bool operator==(const charge& other) const {
    return bucket == other.bucket && cost == other.cost;
  }
};

/// What one frame costs; empty = free.
using charges = std::vector<charge>;

/// The limiter's settings.
struct rate_limit_config {
  std::vector<bucket_config> buckets;
  std::size_t max_queue = 100; ///< frames that may wait; 0 = refuse at once when out of tokens
};

/// Empty when usable; otherwise an invalid_config failure naming the bucket and field.
failure validate(const rate_limit_config& config);

/// How full the wait queue is.
enum class pressure : std::uint8_t { none, low, medium, high };

/// "none", "low", "medium", "high".
const char* to_string(pressure p) noexcept;

class rate_limiter {
public:
  using ticket = std::uint64_t;

  enum class verdict : std::uint8_t {
    send,    ///< charged: send it now
    queued,  ///< waits for release(); `id` names it
    refused, ///< `why` says why (rate_limited)
  };

  struct decision {
    verdict what = verdict::send;
    ticket id = 0;
    failure why;
  };

  /// `config` must pass validate().
  rate_limiter(rate_limit_config config, steady_time now);

  /// A frame with these charges wants to go out.
  decision offer(const charges& cost, steady_time now);

  /// The queued frames whose turn has come, in order, each charged. Stops at the first one the
  /// buckets do not cover yet.
  std::vector<ticket> release(steady_time now);

  /// When the first queued frame will be covered; nullopt when nothing waits.
  std::optional<steady_time> next_release(steady_time now);

  /// Gives back the charges of a frame that was admitted but not sent.
  void refund(const charges& cost, steady_time now);

  /// Charges a frame that goes regardless of the limit.
  void debit(const charges& cost, steady_time now);

  /// Takes a queued frame out (it timed out while waiting); false when it is not queued.
  bool cancel(ticket id);

  /// Empties the queue (the connection is gone); the tickets that were waiting, in order.
  std::vector<ticket> drain();

  pressure level() const noexcept;
  std::size_t queued() const noexcept { return queue_.size(); }
  std::size_t max_queue() const noexcept { return max_queue_; }

  /// Whole tokens in bucket `index` at `now`.
  std::int64_t tokens(std::size_t index, steady_time now) { return buckets_[index].tokens(now); }
  std::size_t bucket_count() const noexcept { return buckets_.size(); }
  const bucket_config& bucket(std::size_t index) const { return buckets_[index].config(); }

private:
  failure impossible(const charges& cost) const;
  bool covered(const charges& cost, steady_time now);
  void take(const charges& cost, steady_time now);

  std::vector<token_bucket> buckets_;
  fifo<std::pair<ticket, charges>> queue_;
  std::size_t max_queue_;
  ticket next_ticket_ = 1;
};

} // namespace zenws
