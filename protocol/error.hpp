#pragma once
/// @file
/// The zenws error taxonomy: precise codes for diagnosis, eight categories for callers to branch
/// on, and explain() for people.
///
/// Every code belongs to exactly one category and is either recoverable (a reconnect may help) or
/// fatal (retrying cannot help until someone changes something). Code values are pinned: they
/// cross process boundaries inside caf::error and must never move or be reused.

#include <cstdint>
#include <string>
#include <system_error>

namespace zenws {

/// The category a caller branches on. Each errc maps to one.
enum class category : std::uint8_t {
  network = 1,     ///< DNS, TCP, the socket went away
  tls = 2,         ///< TLS handshake or certificate verification
  handshake = 3,   ///< the HTTP upgrade to WebSocket
  protocol = 4,    ///< WebSocket or JSON framing rules broken (by either side)
  auth = 5,        ///< credentials refused or expired
  rate_limit = 6,  ///< too many requests, locally or at the venue
  application = 7, ///< a request's outcome: server error, timeout, disconnect
  internal = 8,    ///< invalid use of the library: bad config, bad URL, wrong state
};

/// Specific error codes. Values are pinned; add new ones at the end of their block.
enum class errc : std::uint8_t {
  none = 0,

  // -- network (1..19) ---------------------------------------------------------------------------
  resolve_failed = 1,    ///< the host name did not resolve
  connect_refused = 2,   ///< nothing listens on that port (TCP RST on connect)
  connect_failed = 3,    ///< TCP connect failed otherwise (unreachable, ...)
  connect_timeout = 4,   ///< DNS + TCP did not finish within timeouts.connect
  connection_reset = 5,  ///< the peer reset the TCP connection
  connection_lost = 6,   ///< the socket ended without a WebSocket close handshake
  not_connected = 7,     ///< the operation needs an open connection
  write_queue_full = 8,  ///< max_write_queue frames are already waiting to be written
  proxy_failed = 9,      ///< the HTTP CONNECT proxy refused or failed the tunnel
  stale = 10,            ///< heartbeats stopped arriving; the connection is presumed dead
  no_connections = 11,   ///< a pool had no ready connection for a balanced request
  server_shutdown = 12,  ///< the venue announced the connection's end (maintenance, lifetime)
  node_unreachable = 13, ///< a pool could not reach a node agent, or lost the link to it

  // -- tls (20..29) ------------------------------------------------------------------------------
  tls_handshake_failed = 20,  ///< the TLS handshake failed for a reason other than verification
  tls_verify_failed = 21,     ///< the server certificate was not trusted
  tls_hostname_mismatch = 22, ///< the certificate is valid but not for this host
  tls_timeout = 23,           ///< the TLS handshake did not finish within timeouts.tls
  tls_setup_failed = 24,      ///< a CA file, client certificate or key could not be loaded

  // -- handshake (30..39) ------------------------------------------------------------------------
  upgrade_rejected = 30,     ///< the server answered the upgrade with a 4xx status (not 429)
  upgrade_timeout = 31,      ///< no 101 response within timeouts.upgrade
  bad_upgrade_response = 32, ///< the 101 response broke RFC 6455 (accept key, headers)
  subprotocol_mismatch = 33, ///< the server chose a subprotocol we did not offer
  upgrade_rate_limited = 34, ///< the server answered the upgrade with 429
  upgrade_unavailable = 35,  ///< the server answered the upgrade with 5xx or another non-101

  // -- protocol (40..59) -------------------------------------------------------------------------
  message_too_big = 40,      ///< an incoming message exceeded max_message_size
  invalid_utf8 = 41,         ///< a text message or close reason was not valid UTF-8
  protocol_violation = 42,   ///< the peer broke RFC 6455 framing
  bad_close_code = 43,       ///< close() was asked to send a code RFC 6455 forbids on the wire
  close_timeout = 44,        ///< the peer did not answer our close frame within timeouts.close
  bad_json = 45,             ///< a frame that had to be JSON was not
  duplicate_request_id = 46, ///< a request id is already waiting for its response
  bad_close_reason = 47,     ///< close() reason longer than 123 bytes or not UTF-8

  // -- auth (60..69) -----------------------------------------------------------------------------
  auth_failed = 60,   ///< credentials refused
  token_expired = 61, ///< the session token expired and could not be refreshed
  forbidden = 62,     ///< authenticated, but not allowed to do this

  // -- rate_limit (70..79) -----------------------------------------------------------------------
  rate_limited = 70,       ///< the local rate limiter's queue is full
  venue_rate_limited = 71, ///< the venue said too many requests
  too_many_pending = 72,   ///< max_pending_requests requests already wait for their answers

  // -- application (80..99) ----------------------------------------------------------------------
  server_error = 80,    ///< the server answered a request with an error
  request_timeout = 81, ///< no response within the request's timeout
  disconnected = 82,    ///< the connection dropped while the request was waiting
  outcome_unknown = 83, ///< sent, then the connection dropped: the server may have acted on it

  // -- internal (100..119) -----------------------------------------------------------------------
  invalid_config = 100, ///< the configuration failed validation
  invalid_url = 101,    ///< the URL could not be used for a WebSocket connection
  invalid_state = 102,  ///< the operation is not allowed in the connection's current state
  actor_down = 103,     ///< the actor that should answer is gone
  internal_error = 104, ///< a bug in zenws; the detail says where
  closed = 105,         ///< the connection was closed by its owner and takes no more work
  restart_intensity_exceeded = 106, ///< a pool restarted its members too often and gave up
  bad_name = 107,           ///< a registry name that is not 1-10 characters of [A-Za-z0-9_ ]
  name_taken = 108,         ///< another live actor holds the registry name
  name_unknown = 109,       ///< no live actor holds the registry name
  name_type_mismatch = 110, ///< the named actor does not have the interface asked for
  bad_channel = 111, ///< a channel the venue's dialect refuses (format, count per connection)
  bad_text = 112,    ///< a text message to send that is not UTF-8
  bad_params = 113,  ///< request params the venue's method table refuses (a member missing)
};

/// A failure as reported by zenws: the code plus specifics that are safe to log.
///
/// `detail` names what failed with non-secret data only (host and port, sizes, statuses, the
/// OpenSSL reason); it never holds a URL path or query, a header value or a credential.
struct failure {
  errc code = errc::none;
  std::string detail;            ///< specifics for diagnosis; safe to log
  std::uint16_t http_status = 0; ///< the upgrade's HTTP status, or a venue answer's status, else 0
  std::uint16_t close_code = 0;  ///< the WebSocket close code where the code has one, else 0

  explicit operator bool() const noexcept { return code != errc::none; }
};

/// The category `code` belongs to.
category category_of(errc code) noexcept;

/// True when retrying cannot help until someone changes something (credentials, URL,
/// certificate, config). A supervisor stops reconnecting on a fatal failure.
bool is_fatal(errc code) noexcept;

/// The code's name, e.g. "connect_timeout".
const char* to_string(errc code) noexcept;

/// The category's name, e.g. "network".
const char* to_string(category cat) noexcept;

/// What happened and what to do, in one or two sentences, including `f.detail`. Never contains
/// secrets because `detail` never does.
std::string explain(const failure& f);

/// `std::error_code` support: codes compare equal to their category's condition, so callers can
/// write `ec == zenws::category::tls`.
const std::error_category& error_category() noexcept;
const std::error_category& condition_category() noexcept;
std::error_code make_error_code(errc code) noexcept;
std::error_condition make_error_condition(category cat) noexcept;

} // namespace zenws

namespace std {
template <>
struct is_error_code_enum<zenws::errc> : true_type {};
template <>
struct is_error_condition_enum<zenws::category> : true_type {};
} // namespace std
