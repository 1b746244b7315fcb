#include "zenws/protocol/latency_stats.hpp"

#include <algorithm>
#include <cmath>

namespace zenws {

latency_stats::latency_stats(std::size_t capacity) : capacity_(capacity) {}

void latency_stats::record(std::chrono::microseconds sample) {
  last_ = std::max<std::int64_t>(0, sample.count());
  ++total_;
  if (capacity_ == 0)
    return;
  // The ring fills up on demand: an idle connection's stats cost no memory.
  if (ring_.size() < capacity_) {
    ring_.push_back(last_);
    return;
  }
  ring_[next_] = last_;
  next_ = (next_ + 1) % capacity_;
}

std::int64_t nearest_rank(const std::vector<std::int64_t>& sorted, double p) noexcept {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

latency_summary latency_stats::summary() const {
  latency_summary out;
  out.total = total_;
  out.last = std::chrono::microseconds{last_};
  const auto held = ring_.size();
  if (held == 0)
    return out;
  std::vector<std::int64_t> sorted = ring_;
  std::sort(sorted.begin(), sorted.end());
  out.samples = held;
  out.p50 = std::chrono::microseconds{nearest_rank(sorted, 50)};
  out.p90 = std::chrono::microseconds{nearest_rank(sorted, 90)};
  out.p99 = std::chrono::microseconds{nearest_rank(sorted, 99)};
  out.max = std::chrono::microseconds{sorted.back()};
  return out;
}

} // namespace zenws
