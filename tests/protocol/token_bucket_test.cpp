// The token bucket on a fake clock: exact refill, the cap, debt, and how long until a cost fits.

#include <doctest/doctest.h>

#include "zenws/protocol/token_bucket.hpp"

using namespace std::chrono_literals;
using zenws::steady_time;

namespace {

const steady_time t0{std::chrono::seconds{1000}};

zenws::token_bucket make(std::uint64_t capacity, std::uint64_t refill) {
  return zenws::token_bucket{{"b", capacity, refill}, t0};
}

} // namespace

TEST_CASE("a bucket starts full and refills exactly, up to its capacity") {
  auto b = make(50'000, 10'000);
  CHECK(b.tokens(t0) == 50'000);
  b.take(50'000, t0);
  CHECK(b.tokens(t0) == 0);
  CHECK(b.tokens(t0 + 1ms) == 10);
  CHECK(b.tokens(t0 + 1500ms) == 15'000);
  CHECK(b.tokens(t0 + 5s) == 50'000);
  CHECK(b.tokens(t0 + 100s) == 50'000); // never above capacity
}

TEST_CASE("refill keeps fractions: 5 tokens a second, read every 100 ms") {
  auto b = make(5, 5);
  b.take(5, t0);
  for (int i = 1; i <= 10; ++i)
    CHECK(b.tokens(t0 + i * 100ms) == i / 2); // 0.5 per 100 ms, never lost to rounding
}

TEST_CASE("covers and wait_for agree to the microsecond") {
  auto b = make(30'000, 10'000);
  b.take(30'000, t0);
  CHECK_FALSE(b.covers(3'000, t0));
  const auto wait = b.wait_for(3'000, t0);
  REQUIRE(wait);
  CHECK(*wait == 300ms);
  CHECK_FALSE(b.covers(3'000, t0 + 299'999us));
  CHECK(b.covers(3'000, t0 + 300ms));
  CHECK(*b.wait_for(3'000, t0 + 300ms) == 0us);
  CHECK_FALSE(b.wait_for(30'001, t0)); // never: above capacity
}

TEST_CASE("debt delays what comes after, give_back never exceeds capacity") {
  auto b = make(5, 5);
  b.take(5, t0);
  b.take(2, t0); // a pong and a ping that had to go
  CHECK(b.tokens(t0) == -2);
  CHECK(*b.wait_for(1, t0) == 600ms);
  b.give_back(100, t0 + 600ms);
  CHECK(b.tokens(t0 + 600ms) == 5);
}

TEST_CASE("a clock that goes backwards or stands still adds nothing") {
  auto b = make(10, 10);
  b.take(10, t0);
  CHECK(b.tokens(t0 - 1s) == 0);
  CHECK(b.tokens(t0) == 0);
  CHECK(b.tokens(t0 + 100ms) == 1);
}

TEST_CASE("a long idle time at a high rate fills the bucket without overflow") {
  auto b = make(1'000'000'000, 1'000'000'000);
  b.take(1'000'000'000, t0);
  CHECK(b.tokens(t0 + std::chrono::hours{24 * 365}) == 1'000'000'000);
}
