#pragma once
/// @file
/// OTP's restart intensity: a supervisor may restart its children at most `max_restarts` times
/// within any window of `period`; one more means something is wrong that restarting will not
/// fix, and the supervisor gives up (fails upward) instead. Pure: the caller passes the time.

#include <chrono>
#include <cstdint>
#include <deque>

#include "zenws/protocol/clock.hpp"

namespace zenws {

/// Limits restarts to `max_restarts` within any `period`.
class restart_intensity {
public:
  /// OTP's defaults for a one_for_one supervisor are 1 in 5 s; connection pools see bursts
  /// (a venue dropping every connection at once), hence 10 in 60 s, as ZenWebsocket's
  /// ClientSupervisor.
  explicit restart_intensity(std::uint32_t max_restarts = 10,
                             std::chrono::milliseconds period = std::chrono::seconds{60});

  /// Records a restart at `now`. True when it is within the limit; false when it makes
  /// max_restarts + 1 restarts within the last `period` (the supervisor must give up).
  bool allow(steady_time now);

  /// Restarts recorded within `period` before `now`.
  std::uint32_t recent(steady_time now) const;

  std::uint32_t max_restarts() const noexcept { return max_restarts_; }
  std::chrono::milliseconds period() const noexcept { return period_; }

private:
  void forget_before(steady_time now);

  std::uint32_t max_restarts_;
  std::chrono::milliseconds period_;
  std::deque<steady_time> restarts_; // within the window, oldest first
};

} // namespace zenws
