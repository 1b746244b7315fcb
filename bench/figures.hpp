#pragma once
// Percentile summaries of microsecond samples, printed one row per client, for the benchmarks
// that compare zenws with a raw Beast baseline measured in the same run.

#include <algorithm>
#include <cstdio>
#include <vector>

namespace zenws_bench {

struct figures {
  double p50 = 0, p99 = 0, max = 0;
};

/// Nearest-rank p50, p99 and max of `us` (microseconds); `us` must not be empty.
inline figures summarize(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double p) { return us[static_cast<std::size_t>(p * double(us.size() - 1))]; };
  return {at(0.5), at(0.99), us.back()};
}

inline void print_row(const char* what, const figures& f) {
  std::printf("  %-40s p50 %9.1f us   p99 %9.1f us   max %9.1f us\n", what, f.p50, f.p99, f.max);
}

inline void print_ratio(const char* what, const figures& zenws, const figures& baseline) {
  std::printf("  %-40s p50 %8.2fx    p99 %8.2fx\n", what, zenws.p50 / baseline.p50,
              zenws.p99 / baseline.p99);
}

} // namespace zenws_bench
