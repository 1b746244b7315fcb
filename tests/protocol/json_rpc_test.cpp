#include "zenws/protocol/json_rpc.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace zenws;
namespace rpc = zenws::json_rpc;

TEST_CASE("build_request writes the envelope with object, list or no params") {
  CHECK(rpc::build_request(7, "public/get_time", "") ==
        R"({"jsonrpc":"2.0","id":7,"method":"public/get_time"})");
  CHECK(
      rpc::build_request(8, "public/subscribe", R"({"channels":["book.BTC-PERPETUAL.raw"]})") ==
      R"({"jsonrpc":"2.0","id":8,"method":"public/subscribe","params":{"channels":["book.BTC-PERPETUAL.raw"]}})");
  CHECK(rpc::build_request(9, "eth_subscribe", R"(["newHeads"])") ==
        R"({"jsonrpc":"2.0","id":9,"method":"eth_subscribe","params":["newHeads"]})");
}

TEST_CASE("build_request escapes the method") {
  CHECK(rpc::build_request(1, "a\"b\\c", "") == R"({"jsonrpc":"2.0","id":1,"method":"a\"b\\c"})");
}

TEST_CASE("check_params accepts objects, arrays and nothing, refuses the rest specifically") {
  CHECK_FALSE(rpc::check_params(""));
  CHECK_FALSE(rpc::check_params("{}"));
  CHECK_FALSE(rpc::check_params(R"([1,"x"])"));
  const auto scalar = rpc::check_params("42");
  CHECK(scalar.code == errc::bad_json);
  CHECK(scalar.detail == "params must be a JSON object or array");
  const auto broken = rpc::check_params(R"({"a":)");
  CHECK(broken.code == errc::bad_json);
  CHECK(broken.detail.find("params are not JSON") == 0);
  CHECK(broken.detail.find("offset 5") != std::string::npos);
}

// RapidJSON parses recursively: before the depth limit, 100,000 '[' ended the process with a
// stack overflow (the io thread's, in a connection).
TEST_CASE("text nested deeper than max_json_depth is not JSON, and ends nothing") {
  const std::string deep(1'000'000, '[');
  CHECK(rpc::classify(deep).what == rpc::kind::not_json);
  CHECK(rpc::classify(R"({"id":1,"result":)" + deep).what == rpc::kind::not_json);
  CHECK_FALSE(rpc::string_array(deep));
  const auto refused = rpc::check_params(deep);
  CHECK(refused.code == errc::bad_json);
  CHECK(refused.detail == "params nest deeper than 128 arrays and objects");
  // At the limit it is still JSON: the result is 127 arrays inside the object.
  const std::string nested = std::string(127, '[') + std::string(127, ']');
  const auto m = rpc::classify(R"({"id":1,"result":)" + nested + "}");
  CHECK(m.what == rpc::kind::response);
  CHECK(m.result == nested);
}

// Found by fuzz_json_rpc: RapidJSON reads a NUL byte as the end of the text, so params with
// bytes after a NUL passed and went out verbatim.
TEST_CASE("check_params refuses NUL bytes and text that is not UTF-8") {
  using namespace std::string_literals;
  const auto nul = rpc::check_params("{}\0\0junk"s);
  CHECK(nul.code == errc::bad_json);
  CHECK(nul.detail == "params hold a NUL byte at offset 2");
  CHECK(rpc::check_params("[\"a\0b\"]"s).code == errc::bad_json);
  CHECK_FALSE(rpc::check_params(R"(["a\u0000b"])")); // escaped, as JSON writes it
  const auto latin1 = rpc::check_params("[\"caf\xe9\"]");
  CHECK(latin1.code == errc::bad_json);
  CHECK(latin1.detail == "params are not UTF-8 (JSON text and text frames must be)");
  CHECK_FALSE(rpc::check_params("[\"caf\xc3\xa9\"]"));
}

TEST_CASE("a Deribit response carries its id and the result as JSON text") {
  const auto m = rpc::classify(
      R"({"jsonrpc":"2.0","id":42,"result":["book.BTC-PERPETUAL.raw"],"usIn":1,"usOut":2,"usDiff":1,"testnet":true})");
  CHECK(m.what == rpc::kind::response);
  REQUIRE(m.id);
  CHECK(*m.id == 42);
  CHECK(m.result == R"(["book.BTC-PERPETUAL.raw"])");
}

TEST_CASE("a Binance response without the jsonrpc member is still a response") {
  const auto m = rpc::classify(R"({"result":null,"id":1})");
  CHECK(m.what == rpc::kind::response);
  CHECK(m.id == rpc::request_id{1});
  CHECK(m.result == "null");
}

TEST_CASE("errors keep code and message, in both spellings") {
  const auto deribit = rpc::classify(
      R"({"jsonrpc":"2.0","id":3,"error":{"code":13004,"message":"invalid_credentials"}})");
  CHECK(deribit.what == rpc::kind::error);
  CHECK(deribit.id == rpc::request_id{3});
  CHECK(deribit.error_code == 13004);
  CHECK(deribit.error_message == "invalid_credentials");
  const auto f = rpc::to_failure(deribit);
  CHECK(f.code == errc::server_error);
  CHECK(f.detail == "13004 invalid_credentials");

  const auto binance = rpc::classify(R"({"error":{"code":2,"msg":"Invalid request"},"id":5})");
  CHECK(binance.what == rpc::kind::error);
  CHECK(binance.error_message == "Invalid request");

  const auto no_id = rpc::classify(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700}})");
  CHECK(no_id.what == rpc::kind::error);
  CHECK_FALSE(no_id.id);
}

TEST_CASE("notifications carry the method and params.type") {
  const auto test_request =
      rpc::classify(R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})");
  CHECK(test_request.what == rpc::kind::notification);
  CHECK(test_request.method == "heartbeat");
  CHECK(test_request.params_type == "test_request");
  CHECK_FALSE(test_request.id);

  const auto tick = rpc::classify(
      R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.BTC-PERPETUAL.raw","data":{"best_bid_price":1}}})");
  CHECK(tick.what == rpc::kind::notification);
  CHECK(tick.method == "subscription");
  CHECK(tick.params_type.empty());
}

TEST_CASE("a method with an id is a server request, string ids are not ours") {
  const auto m = rpc::classify(R"({"jsonrpc":"2.0","id":"abc","method":"ask"})");
  CHECK(m.what == rpc::kind::request);
  CHECK_FALSE(m.id);
  const auto r = rpc::classify(R"({"id":"1512","result":true})");
  CHECK(r.what == rpc::kind::response);
  CHECK_FALSE(r.id);
}

TEST_CASE("everything else is other or not_json") {
  CHECK(rpc::classify("pong").what == rpc::kind::not_json);
  CHECK(rpc::classify("").what == rpc::kind::not_json);
  CHECK(rpc::classify(R"({"a":1)").what == rpc::kind::not_json);
  CHECK(rpc::classify("[1,2]").what == rpc::kind::other);
  CHECK(rpc::classify(R"({"e":"aggTrade","s":"BTCUSDT"})").what == rpc::kind::other);
  CHECK(rpc::classify(R"({"event":"subscribe","arg":{"channel":"tickers"}})").what ==
        rpc::kind::other);
  CHECK(rpc::classify(R"({"method":42})").what == rpc::kind::other);
}

TEST_CASE("string_array reads lists of strings only") {
  CHECK(rpc::string_array(R"(["a","b"])") == std::vector<std::string>{"a", "b"});
  CHECK(rpc::string_array("[]") == std::vector<std::string>{});
  CHECK_FALSE(rpc::string_array(R"(["a",1])"));
  CHECK_FALSE(rpc::string_array("null"));
  CHECK_FALSE(rpc::string_array("[1"));
}
