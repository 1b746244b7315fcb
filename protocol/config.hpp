#pragma once
/// @file
/// Connection configuration: data only (no callbacks), validated at once with every problem
/// reported, printable with secrets masked.
///
/// Each field documents its unit, its default and what "off" means. Durations are std::chrono
/// types so the unit is part of the type.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zenws {

using std::chrono::milliseconds;

/// One HTTP header sent with the upgrade request.
struct header {
  std::string name;  ///< a token: letters, digits and !#$%&'*+-.^_`|~
  std::string value; ///< no CR or LF; treated as secret when printed
};

/// Time limits of each phase. Each expiry is reported with its own error code.
struct timeouts_config {
  milliseconds connect{5000};  ///< DNS lookup plus TCP connect; default 5 s
  milliseconds tls{5000};      ///< TLS handshake (wss only); default 5 s
  milliseconds upgrade{5000};  ///< HTTP upgrade request until the 101 response; default 5 s
  milliseconds request{30000}; ///< default wait for a correlated request's response; 30 s
  milliseconds close{2000};    ///< wait for the peer's close frame after ours; default 2 s
};

/// Reconnection policy: delay = min(max_backoff, retry_delay * 2^attempt), then jitter.
struct reconnect_config {
  bool enabled = true;                         ///< false: a drop ends the connection for good
  std::optional<std::uint32_t> retry_count{3}; ///< attempts per outage; nullopt = unlimited
  milliseconds retry_delay{1000};              ///< first delay; default 1 s
  milliseconds max_backoff{30000};             ///< cap before jitter; default 30 s
  double jitter = 0.2;                         ///< +/- fraction of the delay, in [0, 1]; 0 = none
  milliseconds stable_after{60000}; ///< a connection up this long resets the attempt count
  /// true: retry 1 of an outage goes at once and the backoff starts with retry 2 (0, then
  /// retry_delay, 2 x retry_delay, ...). For a venue that drops connections now and then (a
  /// restart behind a load balancer), where waiting retry_delay is the time lost. A server
  /// that keeps failing is still backed off: only the first retry of an outage is immediate.
  /// Default false.
  bool immediate_first_retry = false;
};

/// Which heartbeat the connection runs. The adapter usually chooses; config may override.
enum class heartbeat_policy : std::uint8_t {
  none,        ///< no heartbeat (default)
  ping_pong,   ///< we send WebSocket pings with unique payloads and expect matching pongs
  deribit,     ///< public/set_heartbeat; answer test_request with public/test
  server_ping, ///< the server pings (Binance); we answer and expect its pings
  text_ping,   ///< text "ping"/"pong" (OKX) or {"op":"ping"} (Bybit)
};

/// "none", "ping_pong", "deribit", "server_ping", "text_ping".
const char* to_string(heartbeat_policy policy) noexcept;

/// Heartbeat timing.
struct heartbeat_config {
  heartbeat_policy policy = heartbeat_policy::none; ///< default none
  milliseconds interval{30000}; ///< time between our pings or the server's; default 30 s
  std::uint32_t max_missed = 2; ///< missed heartbeats before the connection is stale
  /// text_ping: what we send. "ping" (OKX) by default; Bybit wants {"op":"ping"}. The answer is
  /// recognised as text "pong" or JSON with "op":"pong" or "ret_msg":"pong".
  std::string text_ping_message = "ping";
};

/// TLS settings for wss:// URLs. Peer verification is on unless `insecure` is set.
struct tls_config {
  bool insecure = false;   ///< true skips certificate and host name checks; never in production
  std::string ca_file;     ///< PEM file of trusted CAs, used instead of the system store
  std::string cert_file;   ///< client certificate (PEM) for mutual TLS; with key_file
  std::string key_file;    ///< client private key (PEM); with cert_file
  std::string server_name; ///< SNI and verified name when it differs from the URL host
};

/// HTTP CONNECT proxy. Empty url = direct connection (default).
struct proxy_config {
  std::string url;      ///< http://host:port
  std::string username; ///< Basic auth user; empty = no Proxy-Authorization
  std::string password; ///< Basic auth password; secret, never printed
};

/// permessage-deflate (RFC 7692). Off by default: it costs CPU per message and most venues
/// do not offer it.
struct compression_config {
  bool enabled = false;                    ///< offer permessage-deflate in the upgrade
  int client_max_window_bits = 15;         ///< 9..15
  int server_max_window_bits = 15;         ///< 9..15
  bool client_no_context_takeover = false; ///< reset our compressor after each message
  bool server_no_context_takeover = false; ///< ask the server to reset after each message
};

/// Everything a connection needs. Copyable, comparable, printable (secrets masked).
struct connection_config {
  std::string url;                       ///< ws:// or wss://, query string kept
  std::vector<header> headers;           ///< extra upgrade headers (auth tokens, API keys)
  std::vector<std::string> subprotocols; ///< offered in Sec-WebSocket-Protocol; empty = none
  timeouts_config timeouts;
  reconnect_config reconnect;
  heartbeat_config heartbeat;
  std::size_t max_message_size = std::size_t{16} << 20; ///< largest incoming message; 16 MiB
  std::size_t max_write_queue = 65536; ///< frames waiting to be written before sends fail
  /// Requests sent and waiting for their answers before new ones fail with too_many_pending: a
  /// server that stops answering cannot grow the table without bound. Default 65536.
  std::size_t max_pending_requests = 65536;
  std::size_t latency_buffer_size = 100; ///< request round trips kept for percentiles
  std::string record_to;                 ///< JSONL recording path; empty = no recording
  tls_config tls;
  proxy_config proxy;
  compression_config compression;
  bool tcp_nodelay = true;              ///< disable Nagle: small frames leave at once
  std::string user_agent = "zenws/0.1"; ///< User-Agent of the upgrade; empty = none sent

  bool operator==(const connection_config& other) const;
  bool operator!=(const connection_config& other) const { return !(*this == other); }
};

/// One validation problem, naming the field.
struct config_error {
  std::string field;  ///< dotted path, e.g. "timeouts.connect" or "headers[2].name"
  std::string reason; ///< e.g. "must be positive, was 0ms"

  /// "invalid timeouts.connect: must be positive, was 0ms"
  std::string to_string() const;
};

/// Every problem with `cfg`, in field order; empty when the config is usable.
std::vector<config_error> validate(const connection_config& cfg);

/// All problems joined with "; ", for one-line error messages. Empty when valid.
std::string describe(const std::vector<config_error>& errors);

/// A readable dump with header values, the URL query, and the proxy password masked.
std::string to_string(const connection_config& cfg);

} // namespace zenws
