#include "zenws/protocol/latency_stats.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace zenws;
using std::chrono::microseconds;

TEST_CASE("an empty ring summarises to zeros") {
  latency_stats stats{100};
  const auto s = stats.summary();
  CHECK(s.samples == 0);
  CHECK(s.total == 0);
  CHECK(s.p50 == microseconds{0});
  CHECK(s.max == microseconds{0});
}

TEST_CASE("percentiles are the nearest-rank values of 1..100") {
  latency_stats stats{100};
  // Recorded out of order: the summary must sort.
  for (int i = 100; i >= 1; --i)
    stats.record(microseconds{i});
  const auto s = stats.summary();
  CHECK(s.samples == 100);
  CHECK(s.p50 == microseconds{50});
  CHECK(s.p90 == microseconds{90});
  CHECK(s.p99 == microseconds{99});
  CHECK(s.max == microseconds{100});
  CHECK(s.last == microseconds{1});
}

TEST_CASE("the ring keeps only the newest samples") {
  latency_stats stats{10};
  for (int i = 1; i <= 1000; ++i)
    stats.record(microseconds{i});
  const auto s = stats.summary();
  CHECK(s.samples == 10);
  CHECK(s.total == 1000);
  CHECK(s.p50 == microseconds{995}); // ring holds 991..1000
  CHECK(s.p99 == microseconds{1000});
  CHECK(s.max == microseconds{1000});
}

TEST_CASE("one sample is every percentile, negative samples count as zero") {
  latency_stats stats{5};
  stats.record(microseconds{-7});
  auto s = stats.summary();
  CHECK(s.p50 == microseconds{0});
  stats.record(microseconds{42});
  s = stats.summary();
  CHECK(s.p99 == microseconds{42});
  CHECK(s.p50 == microseconds{0});
}

TEST_CASE("a zero-capacity ring counts samples but keeps none") {
  latency_stats stats{0};
  stats.record(microseconds{5});
  const auto s = stats.summary();
  CHECK(s.total == 1);
  CHECK(s.samples == 0);
  CHECK(s.last == microseconds{5});
}
