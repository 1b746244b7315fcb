#include "zenws/protocol/subscriptions.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace zenws;
using strings = std::vector<std::string>;

TEST_CASE("only server-confirmed channels enter the restore set, partial acceptance is reported") {
  subscription_tracker subs;
  subs.sent(1, subscription_op::subscribe, {"a", "b", "c"});
  CHECK(subs.active().empty()); // not before the server says so
  CHECK(subs.waiting(1));
  const auto out = subs.on_confirmed(1, {"a", "c"});
  REQUIRE(out);
  CHECK(out->accepted == strings{"a", "c"});
  CHECK(out->rejected == strings{"b"});
  CHECK_FALSE(out->error);
  CHECK(subs.restore_list() == strings{"a", "c"});
  CHECK_FALSE(subs.waiting(1));
  CHECK_FALSE(subs.on_confirmed(1, {"a"})); // answered once only
}

TEST_CASE("a failed or interrupted subscribe changes nothing") {
  subscription_tracker subs;
  subs.sent(1, subscription_op::subscribe, {"a"});
  subs.on_confirmed(1, {"a"});
  subs.sent(2, subscription_op::subscribe, {"b"});
  const auto out = subs.on_failed(2, failure{errc::disconnected, "", 0, 0});
  REQUIRE(out);
  CHECK(out->error.code == errc::disconnected);
  CHECK(out->rejected == strings{"b"});
  CHECK(subs.restore_list() == strings{"a"});
  CHECK(subs.waiting_count() == 0);
}

TEST_CASE("unsubscribe removes channels at once, whatever the server answers") {
  subscription_tracker subs;
  subs.sent(1, subscription_op::subscribe, {"a", "b"});
  subs.on_confirmed(1, {"a", "b"});
  subs.sent(2, subscription_op::unsubscribe, {"a"});
  CHECK(subs.restore_list() == strings{"b"});
  subs.on_failed(2, failure{errc::request_timeout, "", 0, 0});
  CHECK(subs.restore_list() == strings{"b"});
}

TEST_CASE("a restore that the server partly refuses drops the refused channels only") {
  subscription_tracker subs;
  subs.sent(1, subscription_op::subscribe, {"a", "b", "c"});
  subs.on_confirmed(1, {"a", "b", "c"});
  // Reconnected: the restore request carries the whole set; "b" has expired meanwhile.
  subs.sent(2, subscription_op::subscribe, subs.restore_list());
  const auto out = subs.on_confirmed(2, {"a", "c"});
  REQUIRE(out);
  CHECK(out->rejected == strings{"b"});
  CHECK(subs.restore_list() == strings{"a", "c"});
  // A restore that fails as a whole keeps the set for the next attempt.
  subs.sent(3, subscription_op::subscribe, subs.restore_list());
  subs.on_failed(3, failure{errc::disconnected, "", 0, 0});
  CHECK(subs.restore_list() == strings{"a", "c"});
}
