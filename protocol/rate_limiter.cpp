#include "zenws/protocol/rate_limiter.hpp"

#include <algorithm>

namespace zenws {

failure validate(const rate_limit_config& config) {
  if (config.buckets.empty())
    return {errc::invalid_config, "rate limit: no buckets", 0, 0};
  for (std::size_t i = 0; i < config.buckets.size(); ++i) {
    const auto& b = config.buckets[i];
    const auto label = "rate limit bucket " + std::to_string(i) +
                       (b.name.empty() ? std::string{} : " (" + b.name + ")");
    if (b.capacity == 0)
      return {errc::invalid_config, label + ": capacity must be positive", 0, 0};
    if (b.refill_per_second == 0)
      return {errc::invalid_config, label + ": refill_per_second must be positive", 0, 0};
    if (b.capacity > (std::uint64_t{1} << 40))
      return {errc::invalid_config, label + ": capacity above 2^40 tokens", 0, 0};
  }
  return {};
}

const char* to_string(pressure p) noexcept {
  switch (p) {
  case pressure::none:
    return "none";
  case pressure::low:
    return "low";
  case pressure::medium:
    return "medium";
  case pressure::high:
    return "high";
  }
  return "unknown";
}

rate_limiter::rate_limiter(rate_limit_config config, steady_time now)
    : max_queue_(config.max_queue) {
  buckets_.reserve(config.buckets.size());
  for (auto& b : config.buckets)
    buckets_.emplace_back(std::move(b), now);
}

failure rate_limiter::impossible(const charges& cost) const {
  for (const auto& c : cost) {
    if (c.bucket >= buckets_.size())
      return {errc::invalid_config,
              "rate limit: a charge names bucket " + std::to_string(c.bucket) + " of " +
                  std::to_string(buckets_.size()),
              0, 0};
    const auto& b = buckets_[c.bucket].config();
    if (c.cost > b.capacity)
      return {errc::rate_limited,
              "costs " + std::to_string(c.cost) + " tokens of bucket " + b.name +
                  ", which holds at most " + std::to_string(b.capacity),
              0, 0};
  }
  return {};
}

bool rate_limiter::covered(const charges& cost, steady_time now) {
  return std::all_of(cost.begin(), cost.end(),
                     [&](const charge& c) { return buckets_[c.bucket].covers(c.cost, now); });
}

void rate_limiter::take(const charges& cost, steady_time now) {
  for (const auto& c : cost)
    buckets_[c.bucket].take(c.cost, now);
}

rate_limiter::decision rate_limiter::offer(const charges& cost, steady_time now) {
  if (auto never = impossible(cost))
    return {verdict::refused, 0, std::move(never)};
  if (queue_.empty() && covered(cost, now)) {
    take(cost, now);
    return {verdict::send, 0, {}};
  }
  if (queue_.size() >= max_queue_)
    return {verdict::refused, 0,
            failure{errc::rate_limited,
                    max_queue_ == 0
                        ? std::string{"out of tokens (no queue)"}
                        : "out of tokens and " + std::to_string(queue_.size()) + " frames waiting",
                    0, 0}};
  const auto id = next_ticket_++;
  queue_.emplace_back(id, cost);
  return {verdict::queued, id, {}};
}

std::vector<rate_limiter::ticket> rate_limiter::release(steady_time now) {
  std::vector<ticket> out;
  while (!queue_.empty() && covered(queue_.front().second, now)) {
    take(queue_.front().second, now);
    out.push_back(queue_.front().first);
    queue_.pop_front();
  }
  return out;
}

std::optional<steady_time> rate_limiter::next_release(steady_time now) {
  if (queue_.empty())
    return std::nullopt;
  std::chrono::microseconds longest{0};
  for (const auto& c : queue_.front().second) {
    // offer() refused costs above capacity, so every queued charge is covered some day.
    longest = std::max(longest, *buckets_[c.bucket].wait_for(c.cost, now));
  }
  return now + longest;
}

void rate_limiter::refund(const charges& cost, steady_time now) {
  for (const auto& c : cost)
    if (c.bucket < buckets_.size())
      buckets_[c.bucket].give_back(c.cost, now);
}

void rate_limiter::debit(const charges& cost, steady_time now) {
  for (const auto& c : cost)
    if (c.bucket < buckets_.size())
      buckets_[c.bucket].take(c.cost, now);
}

bool rate_limiter::cancel(ticket id) {
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [&](const auto& entry) { return entry.first == id; });
  if (it == queue_.end())
    return false;
  queue_.erase(it);
  return true;
}

std::vector<rate_limiter::ticket> rate_limiter::drain() {
  std::vector<ticket> out;
  out.reserve(queue_.size());
  for (const auto& entry : queue_)
    out.push_back(entry.first);
  queue_.clear();
  return out;
}

pressure rate_limiter::level() const noexcept {
  if (max_queue_ == 0)
    return pressure::none;
  // Compare fill * 4 with the queue size: exact thresholds at 25/50/75%, no floating point.
  const auto fill4 = queue_.size() * 4;
  if (fill4 >= max_queue_ * 3)
    return pressure::high;
  if (fill4 >= max_queue_ * 2)
    return pressure::medium;
  if (fill4 >= max_queue_)
    return pressure::low;
  return pressure::none;
}

} // namespace zenws
