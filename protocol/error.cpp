#include "zenws/protocol/error.hpp"

#include "zenws/protocol/close_code.hpp"

#include <string>

namespace zenws {
namespace {

// -- the code table -------------------------------------------------------------------------------

constexpr bool fatal = true;
constexpr bool recoverable = false;

/// Everything zenws knows about one code. category_of, is_fatal, to_string and explain all read
/// this one row, so a code's category, fatality and wording cannot drift apart.
struct code_info {
  errc code;
  const char* name;
  category cat;
  bool fatal;
  const char* what;   ///< what happened: one clause, no final period
  const char* advice; ///< what to do: one sentence
  /// Replaces `advice` when the failure carries HTTP 401, 403 or 407: the status says the
  /// credentials are the problem, which deserves a more specific hint.
  const char* advice_on_auth_status = nullptr;
};

// Application codes describe one request's outcome, never the connection's, so none of them is
// fatal. Rate limits and everything network-shaped are recoverable by waiting.
constexpr code_info code_table[] = {
    {errc::none, "none", category{}, recoverable, "No error", ""},

    // -- network --
    {errc::resolve_failed, "resolve_failed", category::network, recoverable,
     "The host name did not resolve",
     "Check the host in the URL and the machine's DNS settings; a later attempt may succeed."},
    {errc::connect_refused, "connect_refused", category::network, recoverable,
     "The server refused the TCP connection (nothing listens on that port)",
     "Check the port in the URL and that the server is running; a later attempt may succeed."},
    {errc::connect_failed, "connect_failed", category::network, recoverable,
     "The TCP connection could not be established",
     "Check the route to the host (firewall, VPN, proxy); a later attempt may succeed."},
    {errc::connect_timeout, "connect_timeout", category::network, recoverable,
     "DNS lookup and TCP connect did not finish within timeouts.connect",
     "Check the network path to the host, or raise timeouts.connect if the link is slow."},
    {errc::connection_reset, "connection_reset", category::network, recoverable,
     "The peer reset the TCP connection",
     "The server or a middlebox dropped the connection; a new connection usually works."},
    {errc::connection_lost, "connection_lost", category::network, recoverable,
     "The connection ended without a WebSocket close handshake",
     "The server or the network dropped it; a new connection usually works."},
    {errc::not_connected, "not_connected", category::network, recoverable,
     "The operation needs an open connection and there is none",
     "Wait for the connected state before sending, or retry once the connection is back."},
    {errc::write_queue_full, "write_queue_full", category::network, recoverable,
     "The write queue is full (max_write_queue frames are already waiting)",
     "Send more slowly or wait for the queue to drain; raise max_write_queue only for known "
     "bursts."},
    {errc::proxy_failed, "proxy_failed", category::network, recoverable,
     "The HTTP CONNECT proxy refused or failed the tunnel",
     "Check proxy.url and that the proxy allows CONNECT to this host and port.",
     "Check proxy.username and proxy.password: the proxy wants other credentials."},
    {errc::stale, "stale", category::network, recoverable,
     "Heartbeats stopped arriving, so the connection is presumed dead",
     "Connect again; if this repeats, compare heartbeat.interval and heartbeat.max_missed with "
     "the venue's heartbeat rules."},

    // -- tls --
    {errc::tls_handshake_failed, "tls_handshake_failed", category::tls, recoverable,
     "The TLS handshake failed",
     "Check that the port speaks TLS (wss://) and accepts TLS 1.2 or newer; a later attempt may "
     "succeed."},
    {errc::tls_verify_failed, "tls_verify_failed", category::tls, fatal,
     "The server certificate was not trusted",
     "Install the issuing CA in the system store or point tls.ca_file at it; tls.insecure skips "
     "the check and is for tests only."},
    {errc::tls_hostname_mismatch, "tls_hostname_mismatch", category::tls, fatal,
     "The server certificate is valid but not issued for this host",
     "Connect with a host name the certificate lists, or set tls.server_name to one."},
    {errc::tls_timeout, "tls_timeout", category::tls, recoverable,
     "The TLS handshake did not finish within timeouts.tls",
     "Check the network path to the host, or raise timeouts.tls if the link is slow."},
    {errc::tls_setup_failed, "tls_setup_failed", category::tls, fatal,
     "The TLS files could not be loaded",
     "Check that tls.ca_file, tls.cert_file and tls.key_file exist, are readable PEM, and that the "
     "key matches the certificate."},

    // -- handshake --
    {errc::upgrade_rejected, "upgrade_rejected", category::handshake, fatal,
     "The server refused the WebSocket upgrade",
     "Check the URL path and the upgrade headers against the venue's documentation; the same "
     "request will be refused again.",
     "Check the credentials in headers and in the URL query (API key, token, signature); the same "
     "ones will be refused again."},
    {errc::upgrade_timeout, "upgrade_timeout", category::handshake, recoverable,
     "The server did not answer the upgrade request within timeouts.upgrade",
     "The server may be overloaded; try again later, or raise timeouts.upgrade."},
    {errc::bad_upgrade_response, "bad_upgrade_response", category::handshake, fatal,
     "The server's 101 response broke RFC 6455",
     "Check that the URL points at a WebSocket endpoint and that no proxy rewrites the "
     "response."},
    {errc::subprotocol_mismatch, "subprotocol_mismatch", category::handshake, fatal,
     "The server chose a subprotocol zenws did not offer",
     "Add the subprotocol the server expects to subprotocols."},
    {errc::upgrade_rate_limited, "upgrade_rate_limited", category::handshake, recoverable,
     "The server refused the upgrade as too many requests (HTTP 429)",
     "Wait longer before trying again; open fewer connections per second."},
    {errc::upgrade_unavailable, "upgrade_unavailable", category::handshake, recoverable,
     "The server answered the upgrade with neither 101 nor a 4xx status",
     "The server is probably restarting or overloaded; try again after a delay."},

    // -- protocol --
    // Recoverable although raising max_message_size needs a person: the message is the server's
    // choice and often a one-off (a large snapshot), so a fresh connection usually goes on working,
    // and reconnect.retry_count bounds the cost when it does not.
    {errc::message_too_big, "message_too_big", category::protocol, recoverable,
     "An incoming message exceeded max_message_size",
     "Raise max_message_size if the venue sends messages this large (full order book "
     "snapshots)."},
    {errc::invalid_utf8, "invalid_utf8", category::protocol, recoverable,
     "A text message or close reason was not valid UTF-8",
     "The peer broke RFC 6455; if it repeats, report it to the server's operator."},
    {errc::protocol_violation, "protocol_violation", category::protocol, recoverable,
     "The peer broke the WebSocket framing rules of RFC 6455",
     "A reconnect usually clears it; if it repeats, look for a proxy that alters the traffic."},
    {errc::bad_close_code, "bad_close_code", category::protocol, fatal,
     "close() was asked to send a code RFC 6455 forbids on the wire",
     "Use 1000-1003, 1007-1014 or 3000-4999; 1005, 1006 and 1015 only report closes."},
    {errc::close_timeout, "close_timeout", category::protocol, recoverable,
     "The peer did not answer our close frame within timeouts.close",
     "zenws closed the socket anyway; raise timeouts.close if the server is known to be slow."},
    {errc::bad_json, "bad_json", category::protocol, recoverable,
     "A frame that had to be JSON was not valid JSON",
     "Check that the URL points at the venue's JSON API; if it repeats, record the session with "
     "record_to and report it."},
    {errc::duplicate_request_id, "duplicate_request_id", category::protocol, fatal,
     "A request with this id is already waiting for its response",
     "Use a fresh id for each request, or let zenws assign ids."},
    {errc::bad_close_reason, "bad_close_reason", category::protocol, fatal,
     "The close reason was longer than 123 bytes or not valid UTF-8",
     "Pass a reason of at most 123 bytes of UTF-8."},

    // -- auth --
    {errc::auth_failed, "auth_failed", category::auth, fatal, "The server refused the credentials",
     "Check the API key and secret, and the system clock if signatures carry a timestamp."},
    {errc::token_expired, "token_expired", category::auth, recoverable,
     "The session token expired and could not be refreshed",
     "zenws authenticates afresh on the next connection; if this repeats, check the credentials."},
    {errc::forbidden, "forbidden", category::auth, fatal,
     "The credentials were accepted but do not allow this operation",
     "Grant the API key the permission it needs at the venue, or stop calling this method."},

    // -- rate_limit --
    {errc::rate_limited, "rate_limited", category::rate_limit, recoverable,
     "The local rate limiter's queue is full",
     "Send more slowly; the queue drains as tokens refill."},
    {errc::venue_rate_limited, "venue_rate_limited", category::rate_limit, recoverable,
     "The venue refused the request as too many requests",
     "zenws backs off; lower the request rate or check the venue's limits for this account."},
    {errc::too_many_pending, "too_many_pending", category::rate_limit, recoverable,
     "The request was not sent: max_pending_requests requests already wait for their answers",
     "Wait for answers (or timeouts) before sending more; if the server stopped answering, the "
     "heartbeat or request timeouts will show it."},

    // -- application --
    {errc::server_error, "server_error", category::application, recoverable,
     "The server answered the request with an error",
     "Fix the request according to the server's code and message."},
    {errc::request_timeout, "request_timeout", category::application, recoverable,
     "No response arrived within the request's timeout",
     "The server may still act on the request; check its state before retrying, or raise "
     "timeouts.request."},
    {errc::disconnected, "disconnected", category::application, recoverable,
     "The connection dropped while the request was waiting",
     "Send the request again once the connection is back."},
    {errc::outcome_unknown, "outcome_unknown", category::application, recoverable,
     "The request was sent, then the connection dropped: the server may have acted on it",
     "Query the server's state (open orders, positions) before sending it again; zenws never "
     "resends it."},

    // -- internal --
    {errc::invalid_config, "invalid_config", category::internal, fatal,
     "The configuration failed validation",
     "Fix the fields named here; validate() lists every problem at once."},
    {errc::invalid_url, "invalid_url", category::internal, fatal,
     "The URL cannot be used for a WebSocket connection",
     "Use ws://host[:port]/path or wss://host[:port]/path, without user:password@ or #fragment."},
    {errc::invalid_state, "invalid_state", category::internal, fatal,
     "The operation is not allowed in the connection's current state",
     "Check the connection state before calling, e.g. connect only when idle or disconnected."},
    {errc::actor_down, "actor_down", category::internal, recoverable,
     "The actor that should answer is gone",
     "A supervisor restarts it if there is one; otherwise spawn a new connection."},
    {errc::internal_error, "internal_error", category::internal, fatal,
     "zenws hit an internal error (a bug)",
     "Report it with this message and, if possible, a recording made with record_to."},
    {errc::closed, "closed", category::internal, fatal,
     "The connection was closed by its owner and takes no more work",
     "Spawn or connect a new connection for further work."},
    {errc::restart_intensity_exceeded, "restart_intensity_exceeded", category::internal, fatal,
     "The pool restarted its connections more often than its restart intensity allows and gave "
     "up",
     "Find out why the connections die (the detail names the last reason), then start the pool "
     "again or raise max_restarts."},
    {errc::bad_name, "bad_name", category::internal, fatal,
     "The name cannot be registered: registry names are 1 to 10 characters from A-Z, a-z, 0-9, "
     "'_' and space",
     "Choose a name that fits; CAF keeps registry names as atoms."},
    {errc::name_taken, "name_taken", category::internal, fatal,
     "Another live actor is registered under this name",
     "Choose another name, or unregister the other actor first."},
    {errc::name_unknown, "name_unknown", category::internal, recoverable,
     "No live actor is registered under this name",
     "Check the name; an actor leaves the registry when it dies, so it may have ended."},
    {errc::name_type_mismatch, "name_type_mismatch", category::internal, fatal,
     "The actor registered under this name does not have the interface asked for",
     "Look it up as what it is (a pool_actor, a connection_actor) or as a caf::actor."},
    {errc::server_shutdown, "server_shutdown", category::network, recoverable,
     "The venue announced that it will close the connection (maintenance, or the connection's "
     "lifetime is up), so it was replaced at once",
     "Nothing to do: subscriptions are restored on the new connection. Requests that were "
     "waiting may have been executed; check before re-sending."},
    {errc::bad_channel, "bad_channel", category::internal, fatal,
     "The channel cannot be subscribed on this venue: its name is malformed, or the connection "
     "would hold more channels than the venue allows",
     "Check the channel names against the venue's documentation, or spread the channels over "
     "more connections."},
    {errc::bad_text, "bad_text", category::internal, fatal,
     "The text message was not sent: it is not valid UTF-8, and a server fails the connection "
     "over such a message (RFC 6455 8.1)",
     "Send text as UTF-8, and bytes that are not text as a binary message."},
    {errc::bad_params, "bad_params", category::internal, fatal,
     "The request was not sent: its params lack a member the venue requires for this method",
     "Add the member the detail names; the adapter's method table lists what each method "
     "requires."},
    {errc::no_connections, "no_connections", category::network, recoverable,
     "No connection of the pool was ready to take the request",
     "Wait for the pool's connections to come back, or add connections to the pool."},
    {errc::node_unreachable, "node_unreachable", category::network, recoverable,
     "A node agent the pool places connections on could not be reached, or the link to it was "
     "lost (the process ended, the machine or the network failed)",
     "Nothing to do if other nodes are up: the pool moves the connections there and dials the "
     "lost node again with backoff. Otherwise start `zenws node` on that host and port."},
};

// A value no row names can only come from a bug or from a peer running a newer zenws. It counts
// as internal and fatal: a supervisor should not retry what it cannot interpret.
constexpr code_info unknown_code{
    errc{0xFF},
    "unknown",
    category::internal,
    fatal,
    "Unknown zenws error code",
    "A peer may run a newer zenws, or this is a bug; report it with this message."};

constexpr bool has_unique_codes() {
  constexpr auto size = sizeof(code_table) / sizeof(code_table[0]);
  for (std::size_t i = 0; i < size; ++i)
    for (std::size_t j = i + 1; j < size; ++j)
      if (code_table[i].code == code_table[j].code)
        return false;
  return true;
}
static_assert(has_unique_codes(), "each errc has exactly one row in code_table");

const code_info& info(errc code) noexcept {
  for (const auto& row : code_table)
    if (row.code == code)
      return row;
  return unknown_code;
}

// -- categories -----------------------------------------------------------------------------------

struct category_info {
  category cat;
  const char* name;
  const char* meaning;
};

constexpr category_info category_table[] = {
    {category::network, "network", "DNS, TCP or the socket failed"},
    {category::tls, "tls", "the TLS handshake or certificate verification failed"},
    {category::handshake, "handshake", "the HTTP upgrade to WebSocket failed"},
    {category::protocol, "protocol", "WebSocket or JSON framing rules were broken"},
    {category::auth, "auth", "credentials were refused or expired"},
    {category::rate_limit, "rate_limit", "too many requests, locally or at the venue"},
    {category::application, "application", "a request failed: server error, timeout, disconnect"},
    {category::internal, "internal", "invalid use of zenws: bad config, bad URL, wrong state"},
};

const category_info* find(category cat) noexcept {
  for (const auto& row : category_table)
    if (row.cat == cat)
      return &row;
  return nullptr;
}

// -- explain --------------------------------------------------------------------------------------

bool is_auth_status(std::uint16_t http_status) noexcept {
  return http_status == 401 || http_status == 403 || http_status == 407;
}

const char* advice_for(const code_info& row, std::uint16_t http_status) noexcept {
  if (row.advice_on_auth_status != nullptr && is_auth_status(http_status))
    return row.advice_on_auth_status;
  return row.advice;
}

/// The numbers a failure carries, e.g. " (HTTP 401)" or " (close code 1009 message_too_big)".
std::string numbers_of(const failure& f) {
  std::string text;
  if (f.http_status != 0)
    text += " (HTTP " + std::to_string(f.http_status) + ")";
  if (f.close_code != 0) {
    text += " (close code " + std::to_string(f.close_code) + " ";
    text += name_of(f.close_code);
    text += ")";
  }
  return text;
}

/// Ends `sentence` with one period, also when the detail brought its own.
void end_sentence(std::string& sentence) {
  if (sentence.empty() || sentence.back() != '.')
    sentence += '.';
}

// -- std::error_code support ----------------------------------------------------------------------

/// Codes travel as int; anything outside errc's range is simply an unknown code.
errc to_errc(int value) noexcept {
  return value >= 0 && value <= 0xFF ? static_cast<errc>(value) : unknown_code.code;
}

class error_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "zenws"; }

  // The message has no detail: an error_code carries none.
  std::string message(int value) const override {
    failure f;
    f.code = to_errc(value);
    return explain(f);
  }

  // Grouping happens here, as in Beast: each code compares equal to its category's condition.
  std::error_condition default_error_condition(int value) const noexcept override {
    return make_error_condition(category_of(to_errc(value)));
  }
};

class condition_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "zenws.category"; }

  std::string message(int value) const override {
    const auto* row = value >= 0 && value <= 0xFF ? find(static_cast<category>(value)) : nullptr;
    return row != nullptr ? std::string{row->name} + ": " + row->meaning : "unknown category";
  }
};

} // namespace

category category_of(errc code) noexcept {
  return info(code).cat;
}

bool is_fatal(errc code) noexcept {
  return info(code).fatal;
}

const char* to_string(errc code) noexcept {
  return info(code).name;
}

const char* to_string(category cat) noexcept {
  const auto* row = find(cat);
  return row != nullptr ? row->name : "unknown";
}

std::string explain(const failure& f) {
  const auto& row = info(f.code);
  std::string text = row.what;
  text += numbers_of(f);
  if (!f.detail.empty())
    text += ": " + f.detail;
  end_sentence(text);
  if (const char* advice = advice_for(row, f.http_status); *advice != '\0') {
    text += ' ';
    text += advice;
  }
  return text;
}

const std::error_category& error_category() noexcept {
  static const error_category_impl instance;
  return instance;
}

const std::error_category& condition_category() noexcept {
  static const condition_category_impl instance;
  return instance;
}

std::error_code make_error_code(errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

std::error_condition make_error_condition(category cat) noexcept {
  return {static_cast<int>(cat), condition_category()};
}

} // namespace zenws
