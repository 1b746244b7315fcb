#pragma once
/// @file
/// Binance: spot market-data streams and the spot WebSocket API (wire facts in
/// ../shared/reference/exchanges.md section 2).
///
/// Streams (`/ws/<stream>`, `/stream?streams=a/b`): SUBSCRIBE and UNSUBSCRIBE carry a list of
/// stream names and an id and are answered `{"result":null,"id":N}` (errors nested as
/// `{"error":{"code":2,"msg":..},"id":N}`). The server pings every 20 s and closes the
/// connection when no pong comes within a minute; the transport answers each ping, and the
/// adapter's server_ping heartbeat calls the connection stale after three intervals without
/// one. The venue counts every frame we send, pongs included, against 5 a second and closes
/// with 1008 above that: the adapter's rate limiter keeps every one-second window at 4, one
/// frame of headroom for frames that bunch up on the way. At
/// most 1024 streams per connection, and every connection ends at 24 h: the adapter replaces
/// it before that (max_lifetime), and at once when a serverShutdown event announces
/// maintenance.
///
/// WebSocket API (`/ws-api/v3`): `{"id":N,"method":..,"params":{..}}` answered with
/// `{"id":N,"status":200,"result":..,"rateLimits":[..]}`. The answer's status and rateLimits
/// reach the requester (rpc_response::status and ::meta); a 429 or 418 answer fails with
/// venue_rate_limited, a 5xx with outcome_unknown (Binance: "execution status unknown"). SIGNED
/// methods (orders, account) get apiKey, timestamp, recvWindow and the HMAC-SHA256 signature
/// of all params sorted by name, added by the dialect on the connection's thread when the frame
/// is written (again, if it waited for rate-limit tokens), so each signature is fresh. Weights and
/// orders are rate-limited locally (binance_api_rate_limits).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zenws/adapters/adapter.hpp"
#include "zenws/protocol/venue_rate_limits.hpp"
#include "zenws/protocol/wire_dialect.hpp"

namespace zenws::binance {

using std::chrono::milliseconds;

// -- streams --------------------------------------------------------------------------------------

/// The venue's numbers, defaults as documented. Tests against a simulator scale them down.
struct stream_settings {
  milliseconds ping_interval{20000};     ///< how often the server pings
  std::uint32_t missed_pings = 3;        ///< intervals without a ping before the link is stale
  std::size_t max_streams = 1024;        ///< per connection
  std::uint64_t messages_per_second = 5; ///< frames we may send a second (USD-M futures: 10)
  std::size_t max_queue = 100;           ///< frames that may wait for the rate limiter
  /// Replace the connection after this long, before the venue's 24 h drop; zero = never.
  milliseconds lifetime = std::chrono::hours{24} - std::chrono::minutes{10};
};

/// True for a stream name Binance accepts: a lowercase symbol, '@' and a type
/// ("btcusdt@aggTrade", "bnbbtc@depth@100ms"), or a market-wide "!name@type" ("!ticker@arr").
bool valid_stream_name(std::string_view name) noexcept;

/// SUBSCRIBE/UNSUBSCRIBE with list params and no "jsonrpc" member; a serverShutdown event (raw
/// or combined) means reconnect now; stream names are checked and at most `max_streams` are
/// held per connection (streams named in the URL are not counted: the client does not own them).
class stream_dialect final : public json_rpc_dialect {
public:
  explicit stream_dialect(std::size_t max_streams = 1024);

  std::unique_ptr<wire_dialect> clone() const override;
  bool worth_reading(std::string_view text) const override;
  inbound read(std::string_view text) override;
  failure check_channels(subscription_op op, const std::vector<std::string>& channels,
                         std::size_t held) const override;

private:
  std::size_t max_streams_;
};

/// The stream adapter: stream_dialect, server_ping heartbeat, the 5 frames a second limiter,
/// and the planned replacement before 24 h.
venue_adapter streams(stream_settings settings = {});

// -- WebSocket API --------------------------------------------------------------------------------

/// An API key and its HMAC secret. The secret signs; it is never sent, logged or recorded.
struct api_credentials {
  std::string api_key;
  std::string secret_key;
};

/// The WebSocket API's settings.
struct api_settings {
  api_credentials credentials;    ///< empty = public methods only (signed ones are refused)
  milliseconds recv_window{5000}; ///< sent with each signed request; Binance allows up to 60 s
  /// Wall-clock milliseconds for timestamps; the system clock when empty. Correct for skew here
  /// (Binance refuses timestamps 1 s ahead of its clock).
  std::function<std::int64_t()> clock_ms;
  milliseconds ping_interval{20000};
  std::uint32_t missed_pings = 3;
  milliseconds lifetime = std::chrono::hours{24} - std::chrono::minutes{10};
  std::uint64_t weight_per_minute = 6000; ///< this connection's share of the IP's weight
  std::uint64_t orders_per_10s = 50;      ///< this connection's share of the account's orders
  std::size_t max_queue = 100;
};

/// True for the methods Binance wants signed: orders, order lists, open orders, account
/// queries and userDataStream.subscribe.signature (a version prefix "v3/" is ignored).
bool is_signed(std::string_view method) noexcept;

/// What Binance signs: every member of the params object except "signature", sorted by name,
/// as name=value joined by '&' (strings without quotes, other values as JSON text). nullopt
/// when `params_json` is not a JSON object.
std::optional<std::string> signature_payload(std::string_view params_json);

/// The WebSocket API's envelope: id/method/params out; status, result or error, and rateLimits
/// in. Signs the signed methods. No channels: subscriptions are refused with bad_channel (use
/// the streams).
class api_dialect final : public wire_dialect {
public:
  explicit api_dialect(api_settings settings);

  std::unique_ptr<wire_dialect> clone() const override;
  failure check_request(std::string_view method, std::string_view params) const override;
  std::string request(json_rpc::request_id id, std::string_view method,
                      std::string_view params) override;
  bool time_sensitive() const override { return true; } // timestamps and signatures
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
  std::string signed_params(std::string_view params) const;

  api_settings settings_;
};

/// The WebSocket API adapter: api_dialect, server_ping heartbeat, weight and order limits, and
/// the planned replacement before 24 h.
venue_adapter ws_api(api_settings settings = {});

} // namespace zenws::binance
