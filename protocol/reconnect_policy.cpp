#include "zenws/protocol/reconnect_policy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace zenws {

namespace {

bool is_rate_limit(errc code) noexcept {
  return code == errc::upgrade_rate_limited || category_of(code) == category::rate_limit;
}

// splitmix64: tiny, fast, and good enough to spread reconnects; not for secrets.
std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

} // namespace

milliseconds backoff_delay(const reconnect_config& cfg, std::uint32_t n) noexcept {
  const auto cap = cfg.max_backoff.count();
  auto delay = cfg.retry_delay.count();
  // Doubling stops at the cap, so no n overflows.
  for (std::uint32_t i = 1; i < n && delay > 0 && delay < cap; ++i)
    delay *= 2;
  return milliseconds{std::min(delay, cap)};
}

milliseconds apply_jitter(milliseconds delay, double jitter, double u) noexcept {
  const double scaled = static_cast<double>(delay.count()) * (1.0 + jitter * u);
  return milliseconds{static_cast<milliseconds::rep>(std::llround(std::max(0.0, scaled)))};
}

std::optional<milliseconds> worst_case_connect_time(const connection_config& cfg) noexcept {
  const auto& r = cfg.reconnect;
  const auto& t = cfg.timeouts;
  const milliseconds attempt = t.connect + t.tls + t.upgrade + t.request;
  if (!r.enabled)
    return attempt;
  if (!r.retry_count)
    return std::nullopt;
  // Rate-limited failures wait max_backoff before each retry, the longest wait there is.
  const milliseconds per_retry = apply_jitter(r.max_backoff, r.jitter, 1.0) + attempt;
  return attempt + per_retry * static_cast<milliseconds::rep>(*r.retry_count);
}

std::string give_up_info::to_string() const {
  if (fatal)
    return "stopped: " + explain(last);
  return "gave up after " + std::to_string(failures) +
         (failures == 1 ? " failure: " : " failures: ") + explain(last);
}

reconnect_policy::reconnect_policy(const reconnect_config& cfg, std::uint64_t seed) noexcept
    : cfg_(cfg), rng_state_(seed) {}

void reconnect_policy::restart() noexcept {
  failures_ = 0;
  ready_ = false;
  planned_token_ = 0;
}

void reconnect_policy::on_ready(steady_time now) noexcept {
  ready_ = true;
  ready_since_ = now;
}

std::variant<retry_plan, give_up_info> reconnect_policy::on_failure(const failure& why,
                                                                    steady_time now) {
  if (ready_ && now - ready_since_ >= cfg_.stable_after)
    failures_ = 0;
  ready_ = false;
  planned_token_ = 0;
  if (failures_ < std::numeric_limits<std::uint32_t>::max())
    ++failures_;

  if (is_fatal(why.code))
    return give_up_info{why, failures_, true};
  const std::uint32_t retry = failures_;
  if (!cfg_.enabled || (cfg_.retry_count && retry > *cfg_.retry_count))
    return give_up_info{why, failures_, false};

  planned_token_ = next_token_++;
  ++retries_planned_;
  if (is_rate_limit(why.code))
    return retry_plan{retry, apply_jitter(cfg_.max_backoff, cfg_.jitter, next_unit()),
                      planned_token_};
  if (cfg_.immediate_first_retry && retry == 1)
    return retry_plan{retry, milliseconds{0}, planned_token_};
  const auto backoff_step = cfg_.immediate_first_retry ? retry - 1 : retry;
  return retry_plan{retry,
                    apply_jitter(backoff_delay(cfg_, backoff_step), cfg_.jitter, next_unit()),
                    planned_token_};
}

bool reconnect_policy::take(std::uint64_t token) noexcept {
  if (token == 0 || token != planned_token_)
    return false;
  planned_token_ = 0;
  return true;
}

void reconnect_policy::cancel() noexcept {
  planned_token_ = 0;
}

double reconnect_policy::next_unit() noexcept {
  // 53 random bits -> [0, 1) -> [-1, 1).
  const double unit = static_cast<double>(splitmix64(rng_state_) >> 11U) * 0x1.0p-53;
  return unit * 2.0 - 1.0;
}

} // namespace zenws
