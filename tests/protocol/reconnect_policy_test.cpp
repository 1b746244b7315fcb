#include "zenws/protocol/reconnect_policy.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <variant>
#include <vector>

using namespace zenws;
using namespace std::chrono_literals;

namespace {

reconnect_config no_jitter(std::optional<std::uint32_t> retries) {
  reconnect_config cfg;
  cfg.retry_count = retries;
  cfg.retry_delay = 1000ms;
  cfg.max_backoff = 30000ms;
  cfg.jitter = 0.0;
  cfg.stable_after = 60000ms;
  return cfg;
}

const failure refused{errc::connect_refused, "127.0.0.1:1", 0, 0};
const failure dropped{errc::connection_lost, "", 0, 0};

retry_plan expect_retry(const std::variant<retry_plan, give_up_info>& d) {
  REQUIRE(std::holds_alternative<retry_plan>(d));
  return std::get<retry_plan>(d);
}

give_up_info expect_give_up(const std::variant<retry_plan, give_up_info>& d) {
  REQUIRE(std::holds_alternative<give_up_info>(d));
  return std::get<give_up_info>(d);
}

} // namespace

TEST_CASE("backoff doubles from retry_delay and stops at max_backoff") {
  const auto cfg = no_jitter(std::nullopt);
  const std::vector<milliseconds> expected{1000ms, 2000ms, 4000ms, 8000ms, 16000ms, 30000ms};
  for (std::uint32_t n = 1; n <= expected.size(); ++n)
    CHECK(backoff_delay(cfg, n) == expected[n - 1]);
  CHECK(backoff_delay(cfg, 1000) == 30000ms);
  CHECK(backoff_delay(cfg, 4'000'000'000U) == 30000ms);
}

TEST_CASE("jitter scales the delay by 1 + jitter * u and never goes negative") {
  CHECK(apply_jitter(1000ms, 0.2, -1.0) == 800ms);
  CHECK(apply_jitter(1000ms, 0.2, 1.0) == 1200ms);
  CHECK(apply_jitter(1000ms, 0.2, 0.0) == 1000ms);
  CHECK(apply_jitter(1000ms, 0.0, 1.0) == 1000ms);
  CHECK(apply_jitter(1000ms, 1.0, -1.0) == 0ms);
}

TEST_CASE("a first connect with retry_count N gets N + 1 attempts, then gives up with the cause") {
  reconnect_policy policy{no_jitter(3), 1};
  const steady_time t0{};
  std::vector<milliseconds> delays;
  for (int i = 0; i < 3; ++i) {
    const auto plan = expect_retry(policy.on_failure(refused, t0));
    CHECK(plan.retry == static_cast<std::uint32_t>(i + 1));
    delays.push_back(plan.delay);
  }
  CHECK(delays == std::vector<milliseconds>{1000ms, 2000ms, 4000ms});
  const auto end = expect_give_up(policy.on_failure(refused, t0));
  CHECK_FALSE(end.fatal);
  CHECK(end.failures == 4);
  CHECK(end.last.code == errc::connect_refused);
  CHECK(end.to_string().rfind("gave up after 4 failures: ", 0) == 0);
}

TEST_CASE("a drop of a stable connection gets the same N retries with the same delays") {
  reconnect_policy policy{no_jitter(3), 1};
  const steady_time t0{};
  policy.on_ready(t0);
  const steady_time later = t0 + 61s;
  std::vector<milliseconds> delays;
  delays.push_back(expect_retry(policy.on_failure(dropped, later)).delay);
  delays.push_back(expect_retry(policy.on_failure(refused, later)).delay);
  delays.push_back(expect_retry(policy.on_failure(refused, later)).delay);
  CHECK(delays == std::vector<milliseconds>{1000ms, 2000ms, 4000ms});
  CHECK(std::holds_alternative<give_up_info>(policy.on_failure(refused, later)));
}

TEST_CASE("a connection that drops before stable_after continues the outage's count") {
  reconnect_policy policy{no_jitter(std::nullopt), 1};
  steady_time now{};
  // Accepted, then closed at once, over and over: the backoff must keep growing.
  std::vector<milliseconds> delays;
  for (int i = 0; i < 6; ++i) {
    policy.on_ready(now);
    now += 5s;
    delays.push_back(expect_retry(policy.on_failure(dropped, now)).delay);
  }
  CHECK(delays == std::vector<milliseconds>{1000ms, 2000ms, 4000ms, 8000ms, 16000ms, 30000ms});
  // Up for stable_after: the next drop starts a new outage.
  policy.on_ready(now);
  now += 60s;
  const auto plan = expect_retry(policy.on_failure(dropped, now));
  CHECK(plan.retry == 1);
  CHECK(plan.delay == 1000ms);
}

TEST_CASE("immediate_first_retry: retry 1 of each outage at once, then the usual backoff") {
  auto cfg = no_jitter(std::nullopt);
  cfg.immediate_first_retry = true;
  cfg.jitter = 0.5; // the immediate retry is not jittered; the others are, within bounds
  reconnect_policy policy{cfg, 7};
  steady_time now{};
  policy.on_ready(now);
  now += 61s;
  const auto first = expect_retry(policy.on_failure(dropped, now));
  CHECK(first.retry == 1);
  CHECK(first.delay == 0ms);
  // The server keeps failing: backed off from retry_delay, one step behind the usual sequence.
  const std::vector<milliseconds> base{1000ms, 2000ms, 4000ms, 8000ms};
  for (const auto b : base) {
    const auto plan = expect_retry(policy.on_failure(refused, now));
    CHECK(plan.delay >= b / 2);
    CHECK(plan.delay <= b * 3 / 2);
  }
  // A connection that drops before stable_after does not earn another immediate retry.
  policy.on_ready(now);
  now += 5s;
  CHECK(expect_retry(policy.on_failure(dropped, now)).delay > 0ms);
  // One that stayed up for stable_after starts a new outage: immediate again.
  policy.on_ready(now);
  now += 60s;
  CHECK(expect_retry(policy.on_failure(dropped, now)).delay == 0ms);
  // Rate limits still wait max_backoff, even as retry 1.
  reconnect_policy limited{cfg, 7};
  const failure too_many{errc::upgrade_rate_limited, "429", 0, 0};
  CHECK(expect_retry(limited.on_failure(too_many, now)).delay >= 15000ms);
}

TEST_CASE("retry_count nullopt retries forever at the cap") {
  reconnect_policy policy{no_jitter(std::nullopt), 1};
  retry_plan last;
  for (int i = 0; i < 10000; ++i)
    last = expect_retry(policy.on_failure(refused, steady_time{}));
  CHECK(last.retry == 10000);
  CHECK(last.delay == 30000ms);
  CHECK(policy.retries_planned() == 10000);
}

TEST_CASE("retry_count 0 reports the first failure at once") {
  reconnect_policy policy{no_jitter(0), 1};
  const auto end = expect_give_up(policy.on_failure(refused, steady_time{}));
  CHECK(end.failures == 1);
  CHECK(end.last.detail == "127.0.0.1:1");
}

TEST_CASE("fatal failures stop without retry and say why") {
  const std::vector<failure> fatal_failures{
      {errc::auth_failed, "", 0, 0},
      {errc::tls_verify_failed, "self-signed certificate", 0, 0},
      {errc::upgrade_rejected, "", 403, 0},
      {errc::invalid_url, "", 0, 0},
  };
  for (const auto& why : fatal_failures) {
    CAPTURE(to_string(why.code));
    reconnect_policy policy{no_jitter(std::nullopt), 1};
    const auto end = expect_give_up(policy.on_failure(why, steady_time{}));
    CHECK(end.fatal);
    CHECK(end.last.code == why.code);
    CHECK(end.to_string().rfind("stopped: ", 0) == 0);
  }
}

TEST_CASE("429 and venue rate limits wait max_backoff") {
  reconnect_policy policy{no_jitter(std::nullopt), 1};
  CHECK(expect_retry(policy.on_failure({errc::upgrade_rate_limited, "", 429, 0}, {})).delay ==
        30000ms);
  CHECK(expect_retry(policy.on_failure({errc::venue_rate_limited, "", 0, 0}, {})).delay == 30000ms);
  // Not sticky: the next ordinary failure follows the ladder (third failure: 4 s).
  CHECK(expect_retry(policy.on_failure(refused, {})).delay == 4000ms);
}

TEST_CASE("disabled reconnection gives up on the first failure") {
  auto cfg = no_jitter(std::nullopt);
  cfg.enabled = false;
  reconnect_policy policy{cfg, 1};
  const auto end = expect_give_up(policy.on_failure(dropped, {}));
  CHECK_FALSE(end.fatal);
  CHECK(end.last.code == errc::connection_lost);
}

TEST_CASE("jittered delays stay within bounds, spread out, and repeat for equal seeds") {
  auto cfg = no_jitter(std::nullopt);
  cfg.jitter = 0.2;
  reconnect_policy a{cfg, 42};
  reconnect_policy b{cfg, 42};
  std::set<milliseconds::rep> seen;
  for (int i = 0; i < 200; ++i) {
    a.restart();
    b.restart();
    const auto pa = expect_retry(a.on_failure(refused, {}));
    const auto pb = expect_retry(b.on_failure(refused, {}));
    CHECK(pa.delay == pb.delay);
    CHECK(pa.delay >= 800ms);
    CHECK(pa.delay <= 1200ms);
    seen.insert(pa.delay.count());
  }
  CHECK(seen.size() > 50); // 200 draws over 401 possible values
  CHECK(*seen.begin() < 900);
  CHECK(*seen.rbegin() > 1100);
}

TEST_CASE("only the latest plan's token starts an attempt, and only once") {
  reconnect_policy policy{no_jitter(std::nullopt), 1};
  const auto first = expect_retry(policy.on_failure(refused, {}));
  const auto second = expect_retry(policy.on_failure(refused, {}));
  CHECK_FALSE(policy.take(first.token)); // superseded: its timer fired late
  CHECK(policy.take(second.token));
  CHECK_FALSE(policy.take(second.token)); // used
  CHECK_FALSE(policy.take(0));

  const auto third = expect_retry(policy.on_failure(refused, {}));
  policy.restart(); // explicit reconnect while waiting
  CHECK_FALSE(policy.take(third.token));
  CHECK(policy.failures() == 0);

  const auto fourth = expect_retry(policy.on_failure(refused, {}));
  CHECK(fourth.retry == 1);
  policy.cancel(); // closed while waiting
  CHECK_FALSE(policy.take(fourth.token));
}
