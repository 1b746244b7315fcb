#pragma once
/// @file
/// A token bucket: `capacity` tokens, refilled continuously at `refill_per_second`, full at
/// start. Counts in millionths of a token, so whole-token configs refill exactly on a
/// microsecond clock. Pure: the caller passes the time.
///
/// A bucket may go below zero through take(): frames that must go regardless of the limit
/// (heartbeats, pongs) are charged anyway, and the debt delays what comes after them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "zenws/protocol/clock.hpp"

namespace zenws {

/// One bucket's settings.
struct bucket_config {
  std::string name;                    ///< for messages: "non_matching", "messages", ...
  std::uint64_t capacity = 0;          ///< tokens when full (the burst), > 0
  std::uint64_t refill_per_second = 0; ///< tokens added per second, > 0

  bool operator==(const bucket_config& other) const;
};

class token_bucket {
public:
  token_bucket(bucket_config config, steady_time now);

  const bucket_config& config() const noexcept { return config_; }

  /// Whole tokens available at `now`, rounded down; negative while in debt.
  std::int64_t tokens(steady_time now);

  /// True when `cost` tokens are available at `now`.
  bool covers(std::uint64_t cost, steady_time now);

  /// Takes `cost` tokens, into debt if need be.
  void take(std::uint64_t cost, steady_time now);

  /// Returns `cost` tokens taken for something that was not sent; never above capacity.
  void give_back(std::uint64_t cost, steady_time now);

  /// How long from `now` until `cost` is covered (zero when it is); nullopt when it never will
  /// be (`cost` above capacity).
  std::optional<std::chrono::microseconds> wait_for(std::uint64_t cost, steady_time now);

private:
  void refill(steady_time now);

  bucket_config config_;
  std::int64_t micro_tokens_; // tokens * 1e6
  steady_time last_refill_;
};

} // namespace zenws
