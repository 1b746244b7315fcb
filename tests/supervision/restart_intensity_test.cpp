#include "zenws/supervision/restart_intensity.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace zenws;
using namespace std::chrono_literals;

TEST_CASE("R restarts within T are allowed, the next one within T is refused") {
  restart_intensity limit{3, 10s};
  const steady_time t0{};
  CHECK(limit.allow(t0));
  CHECK(limit.allow(t0 + 1s));
  CHECK(limit.allow(t0 + 2s));
  CHECK(limit.recent(t0 + 2s) == 3);
  CHECK_FALSE(limit.allow(t0 + 3s));
}

TEST_CASE("restarts older than the period no longer count") {
  restart_intensity limit{2, 10s};
  const steady_time t0{};
  CHECK(limit.allow(t0));
  CHECK(limit.allow(t0 + 5s));
  // Exactly one period after the first: the first is out of the window (now - T, now].
  CHECK(limit.allow(t0 + 10s));
  CHECK(limit.recent(t0 + 10s) == 2);
  CHECK_FALSE(limit.allow(t0 + 11s)); // 5 s, 10 s and 11 s are within 10 s
}

TEST_CASE("a steady trickle below the limit never trips it") {
  restart_intensity limit{2, 10s};
  steady_time now{};
  for (int i = 0; i < 1000; ++i) {
    CHECK(limit.allow(now));
    now += 5001ms; // at most two restarts in any 10 s window
  }
}

TEST_CASE("zero restarts allowed: the first restart already gives up") {
  restart_intensity limit{0, 10s};
  CHECK_FALSE(limit.allow(steady_time{}));
}

TEST_CASE("the defaults are 10 restarts in 60 s") {
  restart_intensity limit;
  CHECK(limit.max_restarts() == 10);
  CHECK(limit.period() == 60s);
}
