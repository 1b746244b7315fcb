#pragma once
/// @file
/// Bybit v5 (wire facts in ../shared/reference/exchanges.md section 4), and venues built like it.
///
/// Requests are `{"req_id":"N","op":<op>,"args":[...]}`, answered with
/// `{"success":true|false,"ret_msg":..,"op":<op>,"req_id":"N"}`; the auth answer comes without
/// req_id, so the dialect matches it to the auth it sent. A subscribe answer covers all its
/// topics: success confirms every one, failure refuses the request as a whole. Order-entry
/// answers (`{"reqId":..,"retCode":0,"data":..}`) are read too. Topics are Bybit's own strings
/// ("orderbook.50.BTCUSDT", "publicTrade.BTCUSDT"); a public connection's args may not exceed
/// 21,000 characters in total, checked per request.
///
/// Heartbeat: `{"op":"ping"}` every 20 s, answered by a pong (`"ret_msg":"pong"` on public
/// connections, `"op":"pong"` on private ones). With credentials, every (re)connect
/// authenticates first: `["key", expires_ms, hex(HMAC-SHA256(secret, "GET/realtime" + expires))]`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "zenws/adapters/adapter.hpp"
#include "zenws/protocol/wire_dialect.hpp"

namespace zenws::bybit {

/// An API key and its secret. Only the key and the signature leave the process.
struct credentials {
  std::string api_key;
  std::string api_secret;
};

struct settings {
  credentials auth;                       ///< empty api_key = public topics only
  std::function<std::int64_t()> clock_ms; ///< wall clock for `expires`; system clock if empty
  std::chrono::milliseconds auth_validity{10000}; ///< expires = now + this
  std::chrono::milliseconds ping_interval{20000};
  std::uint32_t missed_pongs = 2;
  std::size_t max_args_chars = 21000; ///< per request (Bybit's public limit per connection)
};

/// The auth op's args: `["key",expires,"signature"]`.
std::string auth_args(const credentials& c, std::int64_t expires_ms);

/// Bybit's envelope, remembering the auth in flight (its answer has no req_id).
class dialect final : public wire_dialect {
public:
  explicit dialect(std::size_t max_args_chars = 21000) : max_args_chars_(max_args_chars) {}

  std::unique_ptr<wire_dialect> clone() const override;
  void reset() override { waiting_by_op_.clear(); }
  std::string request(json_rpc::request_id id, std::string_view method,
                      std::string_view params) override;
  bool worth_reading(std::string_view text) const override;
  inbound read(std::string_view text) override;
  std::string subscription_request(json_rpc::request_id id, subscription_op op,
                                   const std::vector<std::string>& channels) override;
  std::string subscription_method(subscription_op op) const override;
  std::vector<std::string> confirmed(const inbound& answer,
                                     const std::vector<std::string>& requested) override;
  failure check_channels(subscription_op op, const std::vector<std::string>& channels,
                         std::size_t held) const override;

private:
  std::size_t max_args_chars_;
  std::map<std::string, json_rpc::request_id, std::less<>> waiting_by_op_; // newest id per op
};

/// The Bybit adapter: dialect, JSON ping heartbeat, and an auth bootstrap when credentials are
/// set.
venue_adapter adapter(settings s = {});

} // namespace zenws::bybit
