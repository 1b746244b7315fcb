#include "zenws/protocol/pending_requests.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace zenws;
using namespace std::chrono_literals;

namespace {

std::vector<json_rpc::request_id>
ids_of(const std::vector<std::pair<json_rpc::request_id, pending_requests<int>::entry>>& entries) {
  std::vector<json_rpc::request_id> out;
  out.reserve(entries.size());
  for (const auto& [id, e] : entries)
    out.push_back(id);
  return out;
}

} // namespace

TEST_CASE("ids are positive, increasing and skip ids registered by hand") {
  pending_requests<int> table;
  CHECK(table.next_id() == 1);
  CHECK(table.next_id() == 2);
  REQUIRE(table.add(10, 0, {}, 1s));
  CHECK(table.next_id() == 11);
}

TEST_CASE("a duplicate live id is refused and leaves the caller's waiter alone") {
  pending_requests<std::unique_ptr<std::string>> table;
  REQUIRE(table.add(1, std::make_unique<std::string>("first"), {}, 1s));
  auto second = std::make_unique<std::string>("second");
  CHECK_FALSE(table.add(1, std::move(second), {}, 1s));
  REQUIRE(second);
  CHECK(*second == "second");
  const auto first = table.take(1);
  REQUIRE(first);
  CHECK(*first->waiter == "first");
  // Once answered, the id is free again.
  CHECK(table.add(1, std::move(second), {}, 1s));
}

TEST_CASE("each request ends once: response, timeout or disconnect, whichever comes first") {
  pending_requests<int> table;
  const steady_time t0{};
  REQUIRE(table.add(1, 100, t0, 10ms));
  REQUIRE(table.add(2, 200, t0, 10ms));
  REQUIRE(table.add(3, 300, t0 + 5ms, 10ms));

  const auto r1 = table.take(1);
  REQUIRE(r1);
  CHECK(r1->waiter == 100);
  CHECK(r1->deadline == t0 + 10ms);

  const auto due = table.take_expired(t0 + 10ms); // 1 was answered: only 2 is due
  REQUIRE(due.size() == 1);
  CHECK(due[0].first == 2);
  CHECK(due[0].second.waiter == 200);
  CHECK_FALSE(table.take(2)); // a late response after the timeout: unmatched
  CHECK(table.take_expired(t0 + 10ms).empty());

  auto rest = table.take_all();
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].first == 3);
  CHECK(rest[0].second.sent_at == t0 + 5ms);
  CHECK(table.empty());
  CHECK_FALSE(table.take(3));
  CHECK_FALSE(table.next_deadline());
  CHECK(table.take_expired(t0 + 1h).empty()); // nothing comes back after a disconnect
}

TEST_CASE("next_deadline is the earliest deadline of a waiting request") {
  pending_requests<int> table;
  const steady_time t0{};
  CHECK_FALSE(table.next_deadline());
  REQUIRE(table.add(1, 0, t0, 30ms));
  REQUIRE(table.add(2, 0, t0, 10ms)); // a shorter timeout, sent later, is due first
  REQUIRE(table.add(3, 0, t0 + 1ms, 20ms));
  CHECK(table.next_deadline() == t0 + 10ms);
  table.take(2);
  CHECK(table.next_deadline() == t0 + 21ms);
  table.take(1); // answered out of order: its deadline is skipped when it comes up
  CHECK(table.next_deadline() == t0 + 21ms);
  table.take(3);
  CHECK_FALSE(table.next_deadline());
}

TEST_CASE("take_expired returns every due request, earliest deadline first, and no others") {
  pending_requests<int> table;
  const steady_time t0{};
  for (json_rpc::request_id id = 1; id <= 6; ++id)
    REQUIRE(table.add(id, static_cast<int>(id), t0, std::chrono::milliseconds(70 - 10 * id)));
  table.take(4); // deadline t0 + 30 ms, answered
  CHECK(ids_of(table.take_expired(t0 + 35ms)) == std::vector<json_rpc::request_id>{6, 5});
  CHECK(table.next_deadline() == t0 + 40ms);
  CHECK(ids_of(table.take_expired(t0 + 60ms)) == std::vector<json_rpc::request_id>{3, 2, 1});
  CHECK(table.empty());
}

TEST_CASE("an earlier request's deadline under the same id does not end the new one") {
  pending_requests<int> table;
  const steady_time t0{};
  REQUIRE(table.add(7, 1, t0, 10ms));
  table.take(7);
  REQUIRE(table.add(7, 2, t0 + 5ms, 100ms));
  CHECK(table.take_expired(t0 + 50ms).empty()); // the old deadline (10 ms) is gone with it
  CHECK(table.waiting(7));
  CHECK(table.next_deadline() == t0 + 105ms);
  const auto due = table.take_expired(t0 + 105ms);
  REQUIRE(due.size() == 1);
  CHECK(due[0].second.waiter == 2);
}

TEST_CASE("many answered requests leave no deadlines behind") {
  pending_requests<int> table;
  steady_time now{};
  for (int i = 0; i < 100000; ++i) {
    const auto id = table.next_id();
    REQUIRE(table.add(id, int{i}, now, 2s));
    now += 1ms;
    REQUIRE(table.take(id));
  }
  CHECK(table.empty());
  CHECK_FALSE(table.next_deadline());
}
