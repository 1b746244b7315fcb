#include "zenws/protocol/pending_requests.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

using namespace zenws;
using namespace std::chrono_literals;

TEST_CASE("ids are positive, increasing and skip ids registered by hand") {
  pending_requests<int> table;
  CHECK(table.next_id() == 1);
  CHECK(table.next_id() == 2);
  REQUIRE(table.add(10, 0, {}));
  CHECK(table.next_id() == 11);
}

TEST_CASE("a duplicate live id is refused and leaves the caller's waiter alone") {
  pending_requests<std::unique_ptr<std::string>> table;
  REQUIRE(table.add(1, std::make_unique<std::string>("first"), {}));
  auto second = std::make_unique<std::string>("second");
  CHECK_FALSE(table.add(1, std::move(second), {}));
  REQUIRE(second);
  CHECK(*second == "second");
  const auto first = table.take(1);
  REQUIRE(first);
  CHECK(*first->waiter == "first");
  // Once answered, the id is free again.
  CHECK(table.add(1, std::move(second), {}));
}

TEST_CASE("each request ends once: response, timeout or disconnect, whichever comes first") {
  pending_requests<int> table;
  const steady_time t0{};
  const auto answered = table.add(1, 100, t0);
  const auto timed_out = table.add(2, 200, t0);
  REQUIRE(table.add(3, 300, t0 + 5ms));
  REQUIRE(answered);
  REQUIRE(timed_out);

  const auto r1 = table.take(1);
  REQUIRE(r1);
  CHECK(r1->waiter == 100);
  CHECK_FALSE(table.expire(1, *answered)); // its timer fires after the response: nothing

  const auto r2 = table.expire(2, *timed_out);
  REQUIRE(r2);
  CHECK(r2->waiter == 200);
  CHECK_FALSE(table.take(2)); // a late response after the timeout: unmatched

  auto rest = table.take_all();
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].first == 3);
  CHECK(rest[0].second.sent_at == t0 + 5ms);
  CHECK(table.empty());
  CHECK_FALSE(table.take(3));
}

TEST_CASE("a timer of an earlier request under the same id cannot end the new one") {
  pending_requests<int> table;
  const auto old_timer = table.add(7, 1, {});
  REQUIRE(old_timer);
  table.take(7);
  const auto new_timer = table.add(7, 2, {});
  REQUIRE(new_timer);
  CHECK(*new_timer != *old_timer);
  CHECK_FALSE(table.expire(7, *old_timer));
  CHECK(table.waiting(7));
  CHECK(table.expire(7, *new_timer)->waiter == 2);
}
