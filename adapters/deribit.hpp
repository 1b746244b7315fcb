#pragma once
/// @file
/// Deribit API v2 (wire facts in ../shared/reference/exchanges.md section 1): JSON-RPC 2.0 over
/// WebSocket.
///
/// Every (re)connect runs the bootstrap before the connection reports ready: public/auth (with
/// credentials: a client_signature with a fresh timestamp and nonce each time, or
/// client_credentials), public/hello, private/enable_cancel_on_disconnect (with credentials,
/// unless turned off), then public/set_heartbeat (the deribit heartbeat policy: each
/// test_request is answered with public/test inside the connection) and the restore of the
/// confirmed subscriptions. A refused auth fails the attempt as auth_failed, which is fatal: no
/// reconnect storm against a wrong secret.
///
/// The dialect checks requests against the method table (deribit_methods.hpp) and reads the
/// venue's error codes: 10028 too_many_requests and 10066 too_many_concurrent_requests are
/// venue_rate_limited (the venue closes the session after a 10028: the reconnect then waits the
/// longest backoff), 13004 and 13009 auth_failed, 13021 and 13403 forbidden; the rest are
/// server_error with "code message" as detail. With credentials, subscriptions go through
/// private/subscribe (public and private channels alike).
///
/// Requests are charged Deribit's credits (venue_rate_limits.hpp) before they are sent, so a
/// well-behaved connection never sees 10028.
///
/// @code
/// zenws::deribit::settings s;
/// s.login = {std::getenv("ZENWS_DERIBIT_CLIENT_ID"), std::getenv("ZENWS_DERIBIT_CLIENT_SECRET")};
/// auto venue = zenws::deribit::adapter(s);
/// auto config = venue.configure(zenws::connection_config{});
/// config.url = "wss://test.deribit.com/ws/api/v2";
/// auto conn = zenws::spawn_connection(sys, io, config, venue.options, handler);
/// @endcode

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "zenws/adapters/adapter.hpp"
#include "zenws/adapters/deribit_methods.hpp"
#include "zenws/protocol/venue_rate_limits.hpp"
#include "zenws/protocol/wire_dialect.hpp"

namespace zenws::deribit {

/// An API key: client id and secret. Only the id and signatures leave the process.
struct credentials {
  std::string client_id;
  std::string client_secret;
};

/// How public/auth proves the key.
enum class grant : std::uint8_t {
  client_signature,   ///< HMAC-SHA256 over timestamp, nonce and data: the secret never travels
  client_credentials, ///< the secret itself, over TLS
};

struct settings {
  credentials login; ///< empty client_id = public methods and channels only
  grant auth = grant::client_signature;
  std::string scope;                   ///< public/auth scope, e.g. "session:desk1"; "" = connection
  bool cancel_on_disconnect = true;    ///< with credentials: enable it on every connect
  std::chrono::seconds heartbeat{30};  ///< set_heartbeat interval: whole seconds, at least 10
  std::uint32_t missed_heartbeats = 2; ///< stale after this many intervals without one
  std::string client_name = "zenws";   ///< public/hello
  std::string client_version = "0.1.0";    ///< public/hello
  deribit_tier tier = deribit_tier::tier4; ///< matching-engine limits of the account
  bool rate_limits = true;                 ///< charge credits before sending
  std::function<std::int64_t()> clock_ms;  ///< for signatures; the system clock if empty
  std::function<std::string()> nonce;      ///< for signatures; 16 random characters if empty
};

/// Lowercase hex HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + data).
std::string signature(std::string_view secret, std::int64_t timestamp_ms, std::string_view nonce,
                      std::string_view data = {});

/// public/auth's params for `c` with `g`: client_credentials, or client_signature at
/// `timestamp_ms` with `nonce` and empty data; `scope` added when not empty.
std::string auth_params(const credentials& c, grant g, std::int64_t timestamp_ms,
                        std::string_view nonce, std::string_view scope = {});

/// JSON-RPC as Deribit speaks it, with the method table's checks and the error codes read as
/// described in the file comment.
class dialect final : public json_rpc_dialect {
public:
  /// `authenticated`: subscribe with private/subscribe and private/unsubscribe.
  explicit dialect(bool authenticated = false);

  std::unique_ptr<wire_dialect> clone() const override;
  failure check_request(std::string_view method, std::string_view params) const override;
  inbound read(std::string_view text) override;

private:
  bool authenticated_;
};

/// The Deribit adapter: dialect, bootstrap, deribit heartbeat and credit limits.
venue_adapter adapter(settings s = {});

} // namespace zenws::deribit
