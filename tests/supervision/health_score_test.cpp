#include "zenws/supervision/health_score.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>

using namespace zenws;
using namespace std::chrono_literals;

TEST_CASE("each penalty follows the formula and stops at its cap") {
  CHECK(health_score({}) == 100);
  CHECK(health_score({1, 0us, 0}) == 90);
  CHECK(health_score({4, 0us, 0}) == 60);
  CHECK(health_score({100, 0us, 0}) == 60); // pending caps at 40
  CHECK(health_score({0, 24ms, 0}) == 100); // 24 / 25 = 0
  CHECK(health_score({0, 250ms, 0}) == 90);
  CHECK(health_score({0, 10s, 0}) == 70); // latency caps at 30
  CHECK(health_score({0, 0us, 1}) == 85);
  CHECK(health_score({0, 0us, 2}) == 80); // errors cap at 20
  CHECK(health_score({100, 10s, 100}) == 10);
}

TEST_CASE("errors are forgotten after the decay without a new one, a success clears them") {
  error_memory errors{60s};
  const steady_time t0{};
  CHECK(errors.count(t0) == 0);
  errors.record(t0);
  errors.record(t0 + 30s);
  CHECK(errors.count(t0 + 89s) == 2); // 59 s after the last one
  CHECK(errors.count(t0 + 90s) == 0);
  errors.record(t0 + 100s);
  CHECK(errors.count(t0 + 100s) == 1); // the old ones stayed forgotten
  errors.clear();
  CHECK(errors.count(t0 + 100s) == 0);
}

TEST_CASE("the healthiest member wins, ties go round-robin, ineligible members are skipped") {
  std::uint64_t turn = 0;
  // No pending requests anywhere: ties are decided by the turn alone.
  CHECK(pick_healthiest({90, 100, 80}, {0, 0, 0}, turn) == std::size_t{1});
  CHECK_FALSE(pick_healthiest({std::nullopt, std::nullopt}, {0, 0}, turn));
  CHECK_FALSE(pick_healthiest({}, {}, turn));

  std::map<std::size_t, int> picks;
  const std::vector<std::optional<int>> tied{100, std::nullopt, 100, 70, 100};
  const std::vector<std::uint64_t> idle(tied.size(), 0);
  for (int i = 0; i < 300; ++i)
    ++picks[*pick_healthiest(tied, idle, turn)];
  CHECK(picks.size() == 3);
  CHECK(picks[0] == 100);
  CHECK(picks[2] == 100);
  CHECK(picks[4] == 100);
}

TEST_CASE("ties on score go to the fewest pending first: a member that stopped answering is "
          "not fed while others tie with it") {
  std::uint64_t turn = 0;
  // 5 and 9 pending both cost the capped 40 points: equal scores, but slot 1 is not answering.
  const std::vector<std::optional<int>> scores{60, 60, 60};
  std::vector<std::uint64_t> pending{5, 9, 5};
  std::map<std::size_t, int> picks;
  for (int i = 0; i < 100; ++i)
    ++picks[*pick_healthiest(scores, pending, turn)];
  CHECK(picks[1] == 0);
  CHECK(picks[0] == 50);
  CHECK(picks[2] == 50);
  // A better score still wins over fewer pending; ineligible members are still skipped.
  CHECK(pick_healthiest({std::nullopt, 90, 100}, {0, 0, 3}, turn) == std::size_t{2});
  pending = {0, 2, 1}; // the ineligible member's 0 does not count
  CHECK(pick_healthiest({std::nullopt, 60, 60}, pending, turn) == std::size_t{2});
}
