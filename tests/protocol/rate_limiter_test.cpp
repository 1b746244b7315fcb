// The rate limiter on a fake clock: admission, the ordered wait queue, pressure levels, refunds
// and debits, and a randomized check that it never admits more than the buckets allow.

#include <doctest/doctest.h>

#include <map>
#include <random>

#include "zenws/protocol/rate_limiter.hpp"

using namespace std::chrono_literals;
using zenws::charges;
using zenws::errc;
using zenws::pressure;
using zenws::rate_limiter;
using zenws::steady_time;
using verdict = zenws::rate_limiter::verdict;

namespace {

const steady_time t0{std::chrono::seconds{1000}};

zenws::rate_limit_config one_bucket(std::uint64_t capacity, std::uint64_t refill,
                                    std::size_t max_queue) {
  zenws::rate_limit_config c;
  c.buckets = {{"credits", capacity, refill}};
  c.max_queue = max_queue;
  return c;
}

charges cost(std::uint64_t n) {
  return {{0, n}};
}

} // namespace

TEST_CASE("configs are checked") {
  CHECK(validate(one_bucket(10, 10, 4)).code == errc::none);
  CHECK(validate(zenws::rate_limit_config{}).code == errc::invalid_config);
  const auto zero_capacity = validate(one_bucket(0, 10, 4));
  CHECK(zero_capacity.code == errc::invalid_config);
  CHECK(zero_capacity.detail.find("credits") != std::string::npos);
  CHECK(zero_capacity.detail.find("capacity") != std::string::npos);
  CHECK(validate(one_bucket(10, 0, 4)).detail.find("refill_per_second") != std::string::npos);
}

TEST_CASE("frames go at once while tokens last, then wait in order") {
  rate_limiter limiter{one_bucket(1000, 1000, 8), t0};
  CHECK(limiter.offer(cost(500), t0).what == verdict::send);
  CHECK(limiter.offer(cost(500), t0).what == verdict::send);
  const auto first = limiter.offer(cost(600), t0);
  REQUIRE(first.what == verdict::queued);
  // A cheaper frame would fit sooner, but order is kept: it waits behind the first.
  const auto second = limiter.offer(cost(1), t0);
  REQUIRE(second.what == verdict::queued);
  CHECK(limiter.queued() == 2);
  REQUIRE(limiter.next_release(t0));
  CHECK(*limiter.next_release(t0) == t0 + 600ms);
  CHECK(limiter.release(t0 + 599ms).empty());
  CHECK(limiter.release(t0 + 600ms) == std::vector<rate_limiter::ticket>{first.id});
  CHECK(*limiter.next_release(t0 + 600ms) == t0 + 601ms);
  CHECK(limiter.release(t0 + 601ms) == std::vector<rate_limiter::ticket>{second.id});
  CHECK_FALSE(limiter.next_release(t0 + 601ms));
  CHECK(limiter.tokens(0, t0 + 601ms) == 0);
}

TEST_CASE("a full queue refuses with rate_limited, without a queue it is allow or deny") {
  rate_limiter limiter{one_bucket(1, 1, 2), t0};
  CHECK(limiter.offer(cost(1), t0).what == verdict::send);
  CHECK(limiter.offer(cost(1), t0).what == verdict::queued);
  CHECK(limiter.offer(cost(1), t0).what == verdict::queued);
  const auto full = limiter.offer(cost(1), t0);
  CHECK(full.what == verdict::refused);
  CHECK(full.why.code == errc::rate_limited);
  CHECK(full.why.detail.find("2 frames waiting") != std::string::npos);

  rate_limiter no_queue{one_bucket(1, 1, 0), t0};
  CHECK(no_queue.offer(cost(1), t0).what == verdict::send);
  CHECK(no_queue.offer(cost(1), t0).what == verdict::refused);
  CHECK(no_queue.offer(cost(1), t0 + 1s).what == verdict::send);
}

TEST_CASE("a cost no bucket can ever hold is refused at once, not queued forever") {
  rate_limiter limiter{one_bucket(100, 10, 8), t0};
  const auto d = limiter.offer(cost(101), t0);
  CHECK(d.what == verdict::refused);
  CHECK(d.why.code == errc::rate_limited);
  CHECK(d.why.detail.find("at most 100") != std::string::npos);
  CHECK(limiter.offer({{7, 1}}, t0).why.code == errc::invalid_config);
  CHECK(limiter.queued() == 0);
}

TEST_CASE("pressure follows the queue's fill: 25, 50 and 75 percent") {
  rate_limiter limiter{one_bucket(1, 1, 8), t0};
  limiter.offer(cost(1), t0); // spends the token
  const std::map<std::size_t, pressure> expected = {
      {0, pressure::none},   {1, pressure::none},   {2, pressure::low},  {3, pressure::low},
      {4, pressure::medium}, {5, pressure::medium}, {6, pressure::high}, {8, pressure::high}};
  for (std::size_t waiting = 0; waiting <= 8; ++waiting) {
    if (auto it = expected.find(waiting); it != expected.end())
      CHECK_MESSAGE(limiter.level() == it->second, waiting << " waiting");
    limiter.offer(cost(1), t0);
  }
  CHECK(std::string{to_string(pressure::medium)} == "medium");
  CHECK(limiter.drain().size() == 8);
  CHECK(limiter.level() == pressure::none);
}

TEST_CASE("a frame that was admitted but not sent costs nothing") {
  rate_limiter limiter{one_bucket(1000, 1, 8), t0};
  REQUIRE(limiter.offer(cost(700), t0).what == verdict::send);
  limiter.refund(cost(700), t0); // the socket refused it
  CHECK(limiter.tokens(0, t0) == 1000);
  CHECK(limiter.offer(cost(1000), t0).what == verdict::send);
}

TEST_CASE("frames that go regardless are charged into debt and delay the rest") {
  rate_limiter limiter{one_bucket(5, 5, 8), t0};
  for (int i = 0; i < 5; ++i)
    REQUIRE(limiter.offer(cost(1), t0).what == verdict::send);
  limiter.debit(cost(1), t0); // a pong
  CHECK(limiter.tokens(0, t0) == -1);
  const auto next = limiter.offer(cost(1), t0);
  REQUIRE(next.what == verdict::queued);
  CHECK(*limiter.next_release(t0) == t0 + 400ms);
}

TEST_CASE("every bucket a frame is charged to must cover it") {
  zenws::rate_limit_config c;
  c.buckets = {{"a", 10, 10}, {"b", 2, 1}};
  c.max_queue = 4;
  rate_limiter limiter{c, t0};
  const charges both = {{0, 1}, {1, 1}};
  CHECK(limiter.offer(both, t0).what == verdict::send);
  CHECK(limiter.offer(both, t0).what == verdict::send);
  const auto third = limiter.offer(both, t0); // "a" has 8 left, "b" none
  CHECK(third.what == verdict::queued);
  CHECK(limiter.tokens(0, t0) == 8); // a queued frame is not charged
  CHECK(*limiter.next_release(t0) == t0 + 1s);
  CHECK(limiter.release(t0 + 1s).size() == 1);
  CHECK(limiter.tokens(0, t0 + 1s) == 9); // refilled to the cap of 10, minus the third frame's 1
}

TEST_CASE("randomized: never more admitted in any window than capacity plus refill") {
  // 200 s of random offers and releases; every charge that went out is logged with its time.
  std::mt19937 rng{12345};
  const std::uint64_t capacity = 50;
  const std::uint64_t refill = 20;
  rate_limiter limiter{one_bucket(capacity, refill, 16), t0};
  std::vector<std::pair<steady_time, std::uint64_t>> sent;
  std::map<rate_limiter::ticket, std::uint64_t> waiting;
  auto now = t0;
  std::uniform_int_distribution<int> step_us{0, 40'000};
  std::uniform_int_distribution<std::uint64_t> price{1, 12};
  while (now < t0 + 200s) {
    now += std::chrono::microseconds{step_us(rng)};
    for (auto id : limiter.release(now)) {
      sent.emplace_back(now, waiting.at(id));
      waiting.erase(id);
    }
    const auto p = price(rng);
    const auto d = limiter.offer(cost(p), now);
    if (d.what == verdict::send)
      sent.emplace_back(now, p);
    else if (d.what == verdict::queued)
      waiting[d.id] = p;
  }
  REQUIRE(sent.size() > 500); // ~4000 tokens at 6.5 a frame
  // Over any window [a, b] a token bucket admits at most capacity + refill * (b - a).
  std::size_t violations = 0;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    std::uint64_t total = 0;
    for (std::size_t j = i; j < sent.size(); ++j) {
      total += sent[j].second;
      const auto window = std::chrono::duration<double>(sent[j].first - sent[i].first).count();
      if (static_cast<double>(total) > static_cast<double>(capacity) + refill * window + 1e-6)
        ++violations;
      if (window > 10.0)
        break;
    }
  }
  CHECK(violations == 0);
  // And it did not starve: over 200 s close to the refill rate went out.
  std::uint64_t total = 0;
  for (const auto& [at, p] : sent)
    total += p;
  CHECK(total >= refill * 195);
}

TEST_CASE("a cancelled frame leaves the queue and the next one moves up") {
  rate_limiter limiter{one_bucket(1, 1, 4), t0};
  limiter.offer(cost(1), t0);
  const auto a = limiter.offer(cost(1), t0);
  const auto b = limiter.offer(cost(1), t0);
  CHECK(limiter.cancel(a.id));
  CHECK_FALSE(limiter.cancel(a.id));
  CHECK(limiter.release(t0 + 1s) == std::vector<rate_limiter::ticket>{b.id});
  CHECK(limiter.queued() == 0);
}
