#include "zenws/supervision/health_score.hpp"

#include <algorithm>

namespace zenws {

int health_score(const health_inputs& in) noexcept {
  const auto pending = static_cast<int>(std::min<std::uint64_t>(in.pending * 10, 40));
  const auto p99_ms = std::chrono::duration_cast<std::chrono::milliseconds>(in.p99).count();
  const auto latency = static_cast<int>(std::clamp<std::int64_t>(p99_ms / 25, 0, 30));
  const auto errors = static_cast<int>(std::min<std::uint64_t>(std::uint64_t{in.errors} * 15, 20));
  return std::max(0, 100 - pending - latency - errors);
}

void error_memory::record(steady_time now) noexcept {
  count_ = count(now) + 1;
  last_ = now;
}

std::uint32_t error_memory::count(steady_time now) const noexcept {
  if (count_ == 0 || now - last_ >= decay_)
    return 0;
  return count_;
}

std::optional<std::size_t> pick_healthiest(const std::vector<std::optional<int>>& scores,
                                           const std::vector<std::uint64_t>& pending,
                                           std::uint64_t& turn) {
  std::optional<int> best;
  for (const auto& s : scores)
    if (s && (!best || *s > *best))
      best = s;
  if (!best)
    return std::nullopt;
  std::optional<std::uint64_t> least;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (scores[i] == best && (!least || pending[i] < *least))
      least = pending[i];
  std::vector<std::size_t> tied;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (scores[i] == best && pending[i] == least)
      tied.push_back(i);
  return tied[turn++ % tied.size()];
}

} // namespace zenws
