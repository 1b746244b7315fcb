#include "zenws/protocol/wire_dialect.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace zenws;
using strings = std::vector<std::string>;

TEST_CASE("the default dialect is Deribit's: public/subscribe with a channels object") {
  auto deribit = default_dialect()->clone();
  CHECK(
      deribit->subscription_request(4, subscription_op::subscribe,
                                    {"book.BTC-PERPETUAL.raw", "trades.ETH-PERPETUAL.raw"}) ==
      R"({"jsonrpc":"2.0","id":4,"method":"public/subscribe","params":{"channels":["book.BTC-PERPETUAL.raw","trades.ETH-PERPETUAL.raw"]}})");
  CHECK(deribit->subscription_request(5, subscription_op::unsubscribe, {"x"}) ==
        R"({"jsonrpc":"2.0","id":5,"method":"public/unsubscribe","params":{"channels":["x"]}})");
  CHECK(deribit->subscription_method(subscription_op::unsubscribe) == "public/unsubscribe");
  CHECK(deribit->request(7, "public/test", "") ==
        R"({"jsonrpc":"2.0","id":7,"method":"public/test"})");
}

TEST_CASE("the list style writes params as an array, escapes names, and may omit jsonrpc") {
  json_rpc_dialect_options options;
  options.subscribe_method = "SUBSCRIBE";
  options.style = json_rpc_dialect_options::params_style::list;
  options.jsonrpc_member = false;
  json_rpc_dialect list{options};
  CHECK(list.subscription_request(1, subscription_op::subscribe, {"btcusdt@aggTrade", "a\"b\n"}) ==
        R"({"id":1,"method":"SUBSCRIBE","params":["btcusdt@aggTrade","a\"b\u000a"]})");
}

TEST_CASE("confirmed channels: a listed result, else everything requested") {
  json_rpc_dialect deribit;
  const strings requested{"a", "b", "c"};
  CHECK(deribit.confirmed(deribit.read(R"({"id":1,"result":["a","c"]})"), requested) ==
        strings{"a", "c"});
  CHECK(deribit.confirmed(deribit.read(R"({"id":1,"result":null})"), requested) == requested);
  // Names we did not ask for, and repeats, confirm nothing more (found by fuzz_dialects).
  CHECK(deribit.confirmed(deribit.read(R"({"id":1,"result":["x","c","a","c"]})"), requested) ==
        strings{"a", "c"});
}

TEST_CASE("only frames naming an id are worth reading, params are checked as JSON") {
  const json_rpc_dialect d;
  CHECK(d.worth_reading(R"({"id":3,"result":1})"));
  CHECK_FALSE(d.worth_reading(R"({"method":"subscription","params":{}})"));
  CHECK(d.check_request("m", "{").code == errc::bad_json);
  CHECK_FALSE(d.check_request("m", "[1]"));
  CHECK(d.check_request("caf\xe9", "[1]").code == errc::bad_json); // a method that is not UTF-8
  CHECK_FALSE(d.check_channels(subscription_op::subscribe, {"anything"}, 100000));
}

TEST_CASE("an error answer's status decides its failure") {
  json_rpc::message m;
  m.what = json_rpc::kind::error;
  m.error_code = -1003;
  m.error_message = "too much weight";
  CHECK(json_rpc::to_failure(m).code == errc::server_error);
  m.status = 429;
  CHECK(json_rpc::to_failure(m).code == errc::venue_rate_limited);
  CHECK(json_rpc::to_failure(m).http_status == 429);
  m.status = 418;
  CHECK(json_rpc::to_failure(m).code == errc::venue_rate_limited);
  m.status = 503;
  CHECK(json_rpc::to_failure(m).code == errc::outcome_unknown);
  m.status = 401;
  CHECK(json_rpc::to_failure(m).code == errc::auth_failed);
  m.status = 403;
  CHECK(json_rpc::to_failure(m).code == errc::forbidden);
  m.status = 400;
  CHECK(json_rpc::to_failure(m).code == errc::server_error);
  CHECK(json_rpc::to_failure(m).detail == "-1003 too much weight");
}
