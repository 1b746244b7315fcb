// The Binance dialects without sockets: frames out, answers in, names and limits; and every
// dialect against a frame nested too deep.
#include "zenws/adapters/binance.hpp"
#include "zenws/adapters/bybit.hpp"
#include "zenws/adapters/json_rpc.hpp"
#include "zenws/adapters/okx.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace zenws;
using strings = std::vector<std::string>;

namespace {

binance::api_settings vector_settings() {
  // The signing example of Binance's documentation (../shared/reference/exchanges.md 2.2 and 6).
  binance::api_settings settings;
  settings.credentials.api_key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
  settings.credentials.secret_key =
      "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
  settings.recv_window = std::chrono::milliseconds{100};
  settings.clock_ms = [] { return std::int64_t{1645423376532}; };
  return settings;
}

} // namespace

TEST_CASE("a signed request carries apiKey, timestamp, recvWindow and the documented signature") {
  binance::api_dialect api{vector_settings()};
  const auto frame =
      api.request(7, "order.place",
                  R"({"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","timeInForce":"GTC",)"
                  R"("quantity":"0.01000000","price":"52000.00"})");
  CHECK(frame.find(R"("id":7,"method":"order.place")") != std::string::npos);
  CHECK(frame.find(R"("timestamp":1645423376532)") != std::string::npos);
  CHECK(frame.find(R"("recvWindow":100)") != std::string::npos);
  CHECK(frame.find(
            R"("signature":"aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24")") !=
        std::string::npos);
  CHECK(frame.find("NhqPtmdSJYdK") == std::string::npos); // the secret never leaves
}

TEST_CASE("the signature payload sorts by name and writes strings bare, numbers as JSON") {
  CHECK(binance::signature_payload(R"({"b":"x","a":1,"signature":"old","c":true})") ==
        "a=1&b=x&c=true");
  CHECK_FALSE(binance::signature_payload("[1]"));
  CHECK(binance::is_signed("order.place"));
  CHECK(binance::is_signed("v3/account.status"));
  CHECK(binance::is_signed("myTrades"));
  CHECK_FALSE(binance::is_signed("depth"));
  CHECK_FALSE(binance::is_signed("time"));
}

TEST_CASE("public requests go unsigned, signed ones without a key are refused before sending") {
  binance::api_dialect anonymous{binance::api_settings{}};
  CHECK(anonymous.request(1, "depth", R"({"symbol":"BTCUSDT","limit":5})") ==
        R"({"id":1,"method":"depth","params":{"symbol":"BTCUSDT","limit":5}})");
  CHECK(anonymous.request(2, "ping", "") == R"({"id":2,"method":"ping"})");
  CHECK(anonymous.check_request("order.place", "{}").code == errc::auth_failed);
  CHECK(anonymous.check_request("depth", "[1]").code == errc::bad_json);
  CHECK_FALSE(anonymous.check_request("depth", R"({"symbol":"BTCUSDT"})"));
  CHECK(anonymous.check_channels(subscription_op::subscribe, {"btcusdt@trade"}, 0).code ==
        errc::bad_channel);
}

TEST_CASE("API answers keep status and rateLimits, errors map by status") {
  binance::api_dialect api{binance::api_settings{}};
  const auto ok = api.read(
      R"({"id":3,"status":200,"result":{"serverTime":1},"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","count":2}]})");
  CHECK(ok.what == json_rpc::kind::response);
  CHECK(ok.id == 3);
  CHECK(ok.status == 200);
  CHECK(ok.result == R"({"serverTime":1})");
  CHECK(ok.meta == R"([{"rateLimitType":"REQUEST_WEIGHT","count":2}])");

  const auto banned = api.read(
      R"({"id":4,"status":418,"error":{"code":-1003,"msg":"banned","data":{"serverTime":1,"retryAfter":1659146400000}}})");
  CHECK(banned.what == json_rpc::kind::error);
  CHECK(json_rpc::to_failure(banned).code == errc::venue_rate_limited);
  CHECK(json_rpc::to_failure(banned).detail == "-1003 banned (retry after 1659146400000)");

  const auto unknown = api.read(
      R"({"id":5,"status":503,"error":{"code":-1007,"msg":"Timeout waiting for response from backend server."}})");
  CHECK(json_rpc::to_failure(unknown).code == errc::outcome_unknown);

  const auto revoked =
      api.read(R"({"id":null,"status":401,"error":{"code":-2015,"msg":"Invalid API-key"}})");
  CHECK(revoked.what == json_rpc::kind::error);
  CHECK_FALSE(revoked.id); // nobody waits for it: the handler sees it as unmatched

  CHECK(api.read(R"({"event":{"e":"serverShutdown","E":1}})").what == json_rpc::kind::shutdown);
  CHECK(api.read(R"({"subscriptionId":0,"event":{"e":"outboundAccountPosition"}})").what ==
        json_rpc::kind::other);
}

TEST_CASE("stream control messages: SUBSCRIBE with a list, no jsonrpc member") {
  binance::stream_dialect streams;
  CHECK(streams.subscription_request(1, subscription_op::subscribe,
                                     {"btcusdt@aggTrade", "btcusdt@depth"}) ==
        R"({"id":1,"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth"]})");
  CHECK(streams.subscription_request(2, subscription_op::unsubscribe, {"btcusdt@depth"}) ==
        R"({"id":2,"method":"UNSUBSCRIBE","params":["btcusdt@depth"]})");
  CHECK(streams.request(3, "LIST_SUBSCRIPTIONS", "") ==
        R"({"id":3,"method":"LIST_SUBSCRIPTIONS"})");
  const auto answer = streams.read(R"({"result":null,"id":1})");
  CHECK(answer.what == json_rpc::kind::response);
  CHECK(streams.confirmed(answer, {"a@b"}) == strings{"a@b"});
  const auto error =
      streams.read(R"({"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":4})");
  CHECK(error.what == json_rpc::kind::error);
  CHECK(error.id == 4);
}

TEST_CASE("serverShutdown, raw or combined, means reconnect now, market data is not read") {
  binance::stream_dialect streams;
  const std::string raw = R"({"e":"serverShutdown","E":1770123456789})";
  const std::string combined =
      R"({"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}})";
  CHECK(streams.worth_reading(raw));
  CHECK(streams.read(raw).what == json_rpc::kind::shutdown);
  CHECK(streams.read(combined).what == json_rpc::kind::shutdown);
  CHECK_FALSE(streams.worth_reading(
      R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":12345,"p":"0.001"}})"));
}

TEST_CASE("stream names: lowercase symbol@type or !market@type, at most max_streams held") {
  CHECK(binance::valid_stream_name("btcusdt@aggTrade"));
  CHECK(binance::valid_stream_name("bnbbtc@depth@100ms"));
  CHECK(binance::valid_stream_name("btcusdt@kline_1m"));
  CHECK(binance::valid_stream_name("!miniTicker@arr"));
  CHECK_FALSE(binance::valid_stream_name("BTCUSDT@trade"));
  CHECK_FALSE(binance::valid_stream_name("btcusdt"));
  CHECK_FALSE(binance::valid_stream_name("@trade"));
  CHECK_FALSE(binance::valid_stream_name("btcusdt@"));
  CHECK_FALSE(binance::valid_stream_name("btc usdt@trade"));

  const binance::stream_dialect streams{3};
  CHECK_FALSE(streams.check_channels(subscription_op::subscribe, {"a@x", "b@x"}, 1));
  const auto over = streams.check_channels(subscription_op::subscribe, {"a@x", "b@x"}, 2);
  CHECK(over.code == errc::bad_channel);
  CHECK(over.detail == "2 streams held and 2 more would exceed 3 per connection");
  CHECK(streams.check_channels(subscription_op::unsubscribe, {"BAD"}, 0).code == errc::bad_channel);
}

TEST_CASE("the adapters carry the venue's heartbeat, limits and lifetime") {
  const auto streams = binance::streams();
  CHECK(streams.heartbeat.policy == heartbeat_policy::server_ping);
  CHECK(streams.heartbeat.interval == std::chrono::milliseconds{20000});
  CHECK(streams.options.max_lifetime < std::chrono::hours{24});
  CHECK(streams.options.rate_limit.heartbeat_cost == binance_stream_cost());
  const auto config = streams.configure(connection_config{});
  CHECK(config.heartbeat.policy == heartbeat_policy::server_ping);
  const auto api = binance::ws_api();
  CHECK(api.options.rate_limit.request_cost("order.place") == binance_api_cost("order.place"));
}

TEST_CASE("every venue dialect reads a frame nested too deep as not JSON instead of crashing") {
  // Before the depth limit, each of these ended the process with a stack overflow.
  const std::string deep =
      std::string(R"({"id":1,"event":"login","success":true,"x":)") + std::string(300'000, '[');
  std::vector<std::unique_ptr<wire_dialect>> dialects;
  dialects.push_back(std::make_unique<json_rpc_dialect>());
  dialects.push_back(std::make_unique<binance::stream_dialect>());
  dialects.push_back(std::make_unique<binance::api_dialect>(vector_settings()));
  dialects.push_back(std::make_unique<okx::dialect>());
  dialects.push_back(std::make_unique<bybit::dialect>());
  dialects.push_back(std::make_unique<generic_json_rpc::ethereum_dialect>());
  for (auto& d : dialects) {
    CHECK(d->worth_reading(deep));
    CHECK(d->read(deep).what == json_rpc::kind::not_json);
  }
  CHECK_FALSE(binance::signature_payload(std::string(300'000, '{')));
  CHECK_FALSE(okx::channel_name(std::string(300'000, '{')));
}
