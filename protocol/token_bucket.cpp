#include "zenws/protocol/token_bucket.hpp"

#include <algorithm>
#include <utility>

namespace zenws {

namespace {

constexpr std::int64_t micro = 1'000'000;

std::int64_t to_micro(std::uint64_t tokens) {
  return static_cast<std::int64_t>(tokens) * micro;
}

} // namespace

bool bucket_config::operator==(const bucket_config& other) const {
  return name == other.name && capacity == other.capacity &&
         refill_per_second == other.refill_per_second;
}

token_bucket::token_bucket(bucket_config config, steady_time now)
    : config_(std::move(config)), micro_tokens_(to_micro(config_.capacity)), last_refill_(now) {}

void token_bucket::refill(steady_time now) {
  if (now <= last_refill_)
    return;
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::microseconds>(now - last_refill_).count();
  const auto full = to_micro(config_.capacity);
  const auto rate = static_cast<std::int64_t>(config_.refill_per_second); // micro-tokens per us
  // Compare before multiplying: a long idle time times a high rate could overflow.
  if (rate > 0 && micro_tokens_ < full) {
    if (elapsed >= (full - micro_tokens_) / rate + 1)
      micro_tokens_ = full;
    else
      micro_tokens_ = std::min(full, micro_tokens_ + elapsed * rate);
  }
  // Keep the sub-microsecond remainder of `now` for the next refill.
  last_refill_ += std::chrono::microseconds{elapsed};
}

std::int64_t token_bucket::tokens(steady_time now) {
  refill(now);
  // Round toward minus infinity, so a debt of half a token reads as -1.
  return micro_tokens_ >= 0 ? micro_tokens_ / micro : -((-micro_tokens_ + micro - 1) / micro);
}

bool token_bucket::covers(std::uint64_t cost, steady_time now) {
  refill(now);
  return micro_tokens_ >= to_micro(cost);
}

void token_bucket::take(std::uint64_t cost, steady_time now) {
  refill(now);
  micro_tokens_ -= to_micro(cost);
}

void token_bucket::give_back(std::uint64_t cost, steady_time now) {
  refill(now);
  micro_tokens_ = std::min(to_micro(config_.capacity), micro_tokens_ + to_micro(cost));
}

std::optional<std::chrono::microseconds> token_bucket::wait_for(std::uint64_t cost,
                                                                steady_time now) {
  if (cost > config_.capacity || config_.refill_per_second == 0)
    return std::nullopt;
  refill(now);
  const auto missing = to_micro(cost) - micro_tokens_;
  if (missing <= 0)
    return std::chrono::microseconds{0};
  const auto rate = static_cast<std::int64_t>(config_.refill_per_second);
  return std::chrono::microseconds{(missing + rate - 1) / rate};
}

} // namespace zenws
