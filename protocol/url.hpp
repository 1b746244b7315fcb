#pragma once
/// @file
/// WebSocket URL parsing (RFC 6455 section 3): ws:// and wss://, default ports, IPv6 literals,
/// the query string kept for the upgrade request, userinfo and fragments refused.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zenws {

/// A parsed ws:// or wss:// URL.
struct ws_url {
  bool secure = false;     ///< true for wss://
  std::string host;        ///< host name or IP literal, IPv6 without brackets, lower-cased
  std::uint16_t port = 0;  ///< explicit port, or 80 (ws) / 443 (wss)
  std::string target;      ///< path plus "?query" exactly as given; "/" when the URL has none
  bool host_is_ip = false; ///< IPv4 or IPv6 literal: no SNI is sent for it (RFC 6066)

  /// The Host header value: brackets around IPv6, ":port" only when not the default port.
  std::string host_header() const;

  /// "host:port" for diagnostics. Never includes the target, which may carry tokens.
  std::string authority() const;
};

/// The outcome of parsing: a URL, or the reason it was refused.
struct url_parse_result {
  std::optional<ws_url> url;
  std::string error; ///< e.g. "userinfo (user:password@) is not allowed in a WebSocket URL"
};

/// Parses a ws:// or wss:// URL. Scheme and host are case-insensitive; the target is kept
/// byte for byte. Refused: other schemes, empty host, userinfo, fragments, ports outside
/// 1..65535, unbalanced IPv6 brackets, whitespace or control characters anywhere.
url_parse_result parse_url(std::string_view text);

/// An HTTP CONNECT proxy address: http://host:port (no path, no userinfo).
struct proxy_url {
  std::string host;
  std::uint16_t port = 0; ///< explicit port, or 80
};

struct proxy_url_parse_result {
  std::optional<proxy_url> url;
  std::string error;
};

/// Parses an http:// proxy URL. Credentials go in proxy_config, not in the URL.
proxy_url_parse_result parse_proxy_url(std::string_view text);

} // namespace zenws
