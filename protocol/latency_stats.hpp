#pragma once
/// @file
/// Round-trip latency over the last N samples: a bounded ring and exact nearest-rank percentiles
/// of what it holds. Recording is O(1) and allocation-free after construction; a summary sorts a
/// copy of the ring, so take it when asked (metrics queries), not per sample.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace zenws {

/// Percentiles of the samples in the ring at the time of the call.
struct latency_summary {
  std::uint64_t samples = 0;        ///< samples in the ring (at most its capacity)
  std::uint64_t total = 0;          ///< samples recorded over the ring's life
  std::chrono::microseconds p50{0}; ///< nearest rank: the smallest sample >= 50% of the ring
  std::chrono::microseconds p90{0};
  std::chrono::microseconds p99{0};
  std::chrono::microseconds max{0};  ///< the largest sample in the ring
  std::chrono::microseconds last{0}; ///< the most recent sample
};

/// A bounded ring of latency samples.
class latency_stats {
public:
  /// Keeps the last `capacity` samples; 0 keeps none (summaries report totals only).
  explicit latency_stats(std::size_t capacity);

  /// Adds one sample, replacing the oldest when the ring is full. Negative samples count as 0.
  void record(std::chrono::microseconds sample);

  /// Exact nearest-rank percentiles of the ring; all zero when it is empty.
  /// The most recent sample, without computing a summary.
  std::chrono::microseconds last() const noexcept { return std::chrono::microseconds{last_}; }

  latency_summary summary() const;

  std::size_t capacity() const noexcept { return capacity_; }

private:
  std::size_t capacity_;
  std::vector<std::int64_t> ring_; ///< grows to capacity_, then wraps at next_
  std::size_t next_ = 0;
  std::uint64_t total_ = 0;
  std::int64_t last_ = 0;
};

/// The nearest-rank percentile `p` (0 < p <= 100) of `sorted` (ascending, non-empty).
std::int64_t nearest_rank(const std::vector<std::int64_t>& sorted, double p) noexcept;

} // namespace zenws
