#include "zenws/supervision/restart_intensity.hpp"

#include <algorithm>

namespace zenws {

restart_intensity::restart_intensity(std::uint32_t max_restarts, std::chrono::milliseconds period)
    : max_restarts_(max_restarts), period_(period) {}

void restart_intensity::forget_before(steady_time now) {
  // A restart exactly `period` ago is outside the window: the window is (now - period, now].
  while (!restarts_.empty() && now - restarts_.front() >= period_)
    restarts_.pop_front();
}

bool restart_intensity::allow(steady_time now) {
  forget_before(now);
  restarts_.push_back(now);
  return restarts_.size() <= max_restarts_;
}

std::uint32_t restart_intensity::recent(steady_time now) const {
  return static_cast<std::uint32_t>(std::count_if(
      restarts_.begin(), restarts_.end(), [&](steady_time t) { return now - t < period_; }));
}

} // namespace zenws
