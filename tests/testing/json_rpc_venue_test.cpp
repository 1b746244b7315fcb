// The kit's JSON-RPC venue, called as the server would call it: one received frame in, the
// replies out.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "zenws/testing/json_rpc_venue.hpp"

namespace kit = zenws::testing;

namespace {

std::vector<kit::frame> ask(const kit::responder& venue, const std::string& text) {
  return venue(kit::frame{1, false, text});
}

std::string only_reply(const kit::responder& venue, const std::string& text) {
  const auto replies = ask(venue, text);
  REQUIRE(replies.size() == 1);
  CHECK_FALSE(replies[0].binary);
  return replies[0].data;
}

} // namespace

TEST_CASE("the venue answers requests by method and ignores everything else") {
  const auto venue = kit::json_rpc_venue();
  CHECK(only_reply(venue, R"({"jsonrpc":"2.0","id":7,"method":"public/test","params":{}})") ==
        R"({"jsonrpc":"2.0","id":7,"result":"ok"})");
  CHECK(only_reply(venue, R"({"jsonrpc":"2.0","id":8,"method":"fail"})") ==
        R"({"jsonrpc":"2.0","id":8,"error":{"code":10000,"message":"refused"}})");
  CHECK(ask(venue, R"({"jsonrpc":"2.0","id":9,"method":"silent"})").empty());
  CHECK(ask(venue, R"({"jsonrpc":"2.0","method":"heartbeat","params":{}})").empty());
  CHECK(ask(venue, R"({"jsonrpc":"2.0","id":3,"result":"ok"})").empty());
  CHECK(ask(venue, "not json").empty());
  CHECK(venue(kit::frame{1, true, R"({"jsonrpc":"2.0","id":1,"method":"x"})"}).empty());
}

TEST_CASE("subscribe and unsubscribe accept every channel not named bad*") {
  const auto venue = kit::json_rpc_venue();
  CHECK(only_reply(venue, R"({"jsonrpc":"2.0","id":1,"method":"public/subscribe",)"
                          R"("params":{"channels":["a","bad1","b.100ms"]}})") ==
        R"({"jsonrpc":"2.0","id":1,"result":["a","b.100ms"]})");
  CHECK(only_reply(venue, R"({"jsonrpc":"2.0","id":2,"method":"public/unsubscribe",)"
                          R"("params":{"channels":["bad"]}})") ==
        R"({"jsonrpc":"2.0","id":2,"result":[]})");
}

TEST_CASE("the observer sees each request's method, silent ones included") {
  std::vector<std::string> seen;
  const auto venue = kit::json_rpc_venue([&](const std::string& m) { seen.push_back(m); });
  ask(venue, R"({"jsonrpc":"2.0","id":1,"method":"public/test"})");
  ask(venue, R"({"jsonrpc":"2.0","id":2,"method":"silent"})");
  ask(venue, R"({"jsonrpc":"2.0","method":"notification"})");
  CHECK(seen == std::vector<std::string>{"public/test", "silent"});
}
