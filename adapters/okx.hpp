#pragma once
/// @file
/// OKX v5 (wire facts in ../shared/reference/exchanges.md section 3), and venues built like it.
///
/// Requests are `{"id":"N","op":<op>,"args":[...]}`. Answers are events: a login answer
/// `{"event":"login","code":"0"}` (without our id in the documented form), one
/// `{"event":"subscribe","arg":{..}}` per channel of a subscribe, `{"event":"error",..}` for a
/// refused request, and for trading ops `{"id":"N","op":"order","code":"0","data":[..]}`. The
/// dialect matches id-less login answers to the login it sent, collects one acknowledgement per
/// channel before it reports a subscribe confirmed, and treats notice 64008 (service upgrade in
/// 60 s) as "reconnect now".
///
/// Channels are written `channel` or `channel:instId`, with other arguments appended as
/// `,name=value`: "tickers:BTC-USDT", "books5:ETH-USDT", "orders,instType=ANY". Heartbeat: the
/// text "ping" answered by the text "pong" (OKX closes a connection after 30 s without data).
/// With credentials, every (re)connect logs in first with a fresh signature:
/// base64(HMAC-SHA256(secret, timestamp + "GET" + "/users/self/verify")), timestamp in seconds.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zenws/adapters/adapter.hpp"
#include "zenws/protocol/wire_dialect.hpp"

namespace zenws::okx {

/// An API key, its secret and passphrase. Only the signature and the key leave the process.
struct credentials {
  std::string api_key;
  std::string secret_key;
  std::string passphrase;
};

struct settings {
  credentials login;                           ///< empty api_key = public channels only
  std::function<std::int64_t()> clock_seconds; ///< wall clock for the login; system clock if empty
  std::chrono::milliseconds ping_interval{20000}; ///< OKX wants a ping within 30 s of silence
  std::uint32_t missed_pongs = 2;
};

/// The login op's args: `[{"apiKey":..,"passphrase":..,"timestamp":"<s>","sign":..}]`.
std::string login_args(const credentials& c, std::int64_t timestamp_seconds);

/// The JSON object of a channel written as above; nullopt when it is malformed.
std::optional<std::string> channel_arg(std::string_view channel);

/// The channel name of an arg object (the inverse of channel_arg, members in a fixed order).
std::optional<std::string> channel_name(std::string_view arg_json);

/// OKX's envelope, with the per-connection memory it needs (the login in flight, the
/// acknowledgements still missing).
class dialect final : public wire_dialect {
public:
  std::unique_ptr<wire_dialect> clone() const override;
  void reset() override;
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
  /// Acknowledgements a subscribe or unsubscribe still waits for.
  struct waiting_acks {
    std::vector<std::string> missing; ///< channel names not acknowledged yet
    std::vector<std::string> acked;
  };

  inbound read_ack(std::optional<json_rpc::request_id> id, std::string channel);

  std::optional<json_rpc::request_id> login_;
  std::map<json_rpc::request_id, waiting_acks> acks_;
};

/// The OKX adapter: dialect, text ping heartbeat, and a login bootstrap when credentials are set.
venue_adapter adapter(settings s = {});

} // namespace zenws::okx
