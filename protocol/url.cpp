#include "zenws/protocol/url.hpp"

#include <algorithm>

// Error messages in this file may name the scheme, the host or the port, but never the path,
// the query or userinfo: those are where venues put tokens, listen keys and signatures.

namespace zenws {
namespace {

constexpr std::uint16_t ws_default_port = 80;
constexpr std::uint16_t wss_default_port = 443;
constexpr std::uint16_t http_default_port = 80;

// -- characters -----------------------------------------------------------------------------------

/// Space, control characters and non-ASCII bytes have no place in a URL an HTTP request line
/// carries: they must be percent-encoded (hosts in punycode).
bool has_forbidden_byte(std::string_view text) noexcept {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte >= 0x7F;
  });
}

// ASCII only, whatever the C locale says: URLs are ASCII.

bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool is_hex_digit(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char to_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower_cased(std::string_view text) {
  std::string result(text.size(), '\0');
  std::transform(text.begin(), text.end(), result.begin(), to_lower);
  return result;
}

bool all_of_digits(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

/// The value of a string of at most five digits (checked by the caller).
std::uint32_t decimal_value(std::string_view digits) noexcept {
  std::uint32_t value = 0;
  for (char c : digits)
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  return value;
}

// -- scheme ---------------------------------------------------------------------------------------

/// RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool is_scheme(std::string_view text) noexcept {
  if (text.empty() || !is_alpha(text.front()))
    return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
  });
}

struct scheme_split {
  std::string scheme; ///< lower-cased
  std::string_view rest;
};

/// Splits "scheme://rest". Without a well-formed scheme there is nothing to name, so the caller
/// reports a generic error rather than echoing text that may be a path.
std::optional<scheme_split> split_scheme(std::string_view text) {
  const auto end = text.find("://");
  if (end == std::string_view::npos || !is_scheme(text.substr(0, end)))
    return std::nullopt;
  return scheme_split{lower_cased(text.substr(0, end)), text.substr(end + 3)};
}

// -- host -----------------------------------------------------------------------------------------

/// Dotted-quad IPv4 as RFC 3986 writes it: four decimal octets, no leading zeros.
bool is_ipv4(std::string_view text) noexcept {
  for (int octet = 0; octet < 4; ++octet) {
    const auto dot = text.find('.');
    const auto part = text.substr(0, dot);
    const bool last = octet == 3;
    if (last != (dot == std::string_view::npos) || !all_of_digits(part) || part.size() > 3)
      return false;
    if ((part.size() > 1 && part.front() == '0') || decimal_value(part) > 255)
      return false;
    text = last ? std::string_view{} : text.substr(dot + 1);
  }
  return true;
}

bool is_ipv6_group(std::string_view part) noexcept {
  return !part.empty() && part.size() <= 4 && std::all_of(part.begin(), part.end(), is_hex_digit);
}

/// RFC 4291 2.2: up to eight groups of hex digits, one "::" standing for one or more zero
/// groups, and an optional IPv4 tail counting as two groups. Zone ids are not supported.
bool is_ipv6(std::string_view text) noexcept {
  int groups = 0;
  bool compressed = false;
  if (text.substr(0, 2) == "::") {
    compressed = true;
    text.remove_prefix(2);
  }
  while (!text.empty()) {
    const auto colon = text.find(':');
    const auto part = text.substr(0, colon);
    if (colon == std::string_view::npos && part.find('.') != std::string_view::npos) {
      groups += 2; // the IPv4 tail, e.g. ::ffff:192.0.2.1
      if (!is_ipv4(part))
        return false;
      break;
    }
    if (!is_ipv6_group(part))
      return false;
    ++groups;
    if (colon == std::string_view::npos)
      break;
    text.remove_prefix(colon + 1);
    if (!text.empty() && text.front() == ':') {
      if (compressed)
        return false;
      compressed = true;
      text.remove_prefix(1);
    } else if (text.empty()) {
      return false; // a single trailing colon
    }
  }
  return compressed ? groups < 8 : groups == 8;
}

bool is_host_name_char(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
}

/// Names only letters, digits, '-', '.', '_'. A host of digits and dots must be a valid IPv4
/// address: resolvers would otherwise read "1.2.3" or "010.0.0.1" in surprising ways.
std::string check_host_name(std::string_view host) {
  if (host.empty())
    return "the URL has no host";
  if (!std::all_of(host.begin(), host.end(), is_host_name_char))
    return "host \"" + std::string{host} + "\" contains characters not allowed in a host name";
  const bool numeric =
      std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
  if (numeric && !is_ipv4(host))
    return "host \"" + std::string{host} + "\" looks like an IPv4 address but is not a valid one";
  return {};
}

// -- authority ------------------------------------------------------------------------------------

struct endpoint {
  std::string host;
  std::optional<std::uint16_t> port; ///< nullopt: the scheme's default
  bool host_is_ip = false;
  std::string error; ///< non-empty when the authority was refused
};

endpoint refuse_endpoint(std::string error) {
  endpoint result;
  result.error = std::move(error);
  return result;
}

struct port_result {
  std::uint16_t port = 0;
  std::string error;
};

/// The port after ':', 1..65535. Only digits are echoed: anything else might be part of a
/// password typed into the wrong place.
port_result parse_port(std::string_view text) {
  if (text.empty())
    return {0, "the port after ':' is empty"};
  if (!all_of_digits(text))
    return {0, "the port must be a number in 1..65535"};
  const auto value = text.size() <= 5 ? decimal_value(text) : 0x10000;
  if (value == 0 || value > 0xFFFF)
    return {0, "the port must be in 1..65535, was " + std::string{text}};
  return {static_cast<std::uint16_t>(value), {}};
}

struct host_port_split {
  std::string_view host;
  std::optional<std::string_view> port;
  bool bracketed = false;
  const char* error = nullptr;
};

/// Splits "host", "host:port", "[v6]" or "[v6]:port" without judging the parts.
host_port_split split_host_port(std::string_view authority) noexcept {
  constexpr auto npos = std::string_view::npos;
  host_port_split split;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == npos) {
      split.error = "unbalanced brackets around the IPv6 address";
      return split;
    }
    const auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      split.error = "unexpected characters after the IPv6 address; expected ':port' or nothing";
    split.bracketed = true;
    split.host = authority.substr(1, close - 1);
    if (!after.empty())
      split.port = after.substr(1);
    return split;
  }
  const auto colon = authority.find(':');
  if (authority.find_first_of("[]") != npos)
    split.error = "unbalanced brackets around the IPv6 address";
  else if (colon != npos && authority.find(':', colon + 1) != npos)
    split.error = "an IPv6 address must be in brackets, e.g. ws://[::1]:9000/";
  split.host = authority.substr(0, colon);
  if (colon != npos)
    split.port = authority.substr(colon + 1);
  return split;
}

/// Parses the authority (userinfo already refused by the caller) into host, port and kind.
endpoint parse_endpoint(std::string_view authority) {
  const auto split = split_host_port(authority);
  if (split.error != nullptr)
    return refuse_endpoint(split.error);
  endpoint result;
  result.host = lower_cased(split.host);
  if (split.bracketed) {
    if (!is_ipv6(result.host))
      return refuse_endpoint("\"[" + result.host + "]\" is not a valid IPv6 address");
    result.host_is_ip = true;
  } else if (auto error = check_host_name(result.host); !error.empty()) {
    return refuse_endpoint(std::move(error));
  } else {
    result.host_is_ip = is_ipv4(result.host);
  }
  if (split.port) {
    auto port = parse_port(*split.port);
    if (!port.error.empty())
      return refuse_endpoint(std::move(port.error));
    result.port = port.port;
  }
  return result;
}

struct authority_split {
  std::string_view authority;
  std::string_view tail; ///< "", or starting with '/', '?' or '#'
};

authority_split split_authority(std::string_view rest) noexcept {
  const auto end = std::min(rest.find_first_of("/?#"), rest.size());
  return {rest.substr(0, end), rest.substr(end)};
}

bool has_userinfo(std::string_view authority) noexcept {
  return authority.find('@') != std::string_view::npos;
}

std::string bracketed_if_ipv6(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// -- results --------------------------------------------------------------------------------------

url_parse_result refuse_url(std::string error) {
  return {std::nullopt, std::move(error)};
}

proxy_url_parse_result refuse_proxy(std::string error) {
  return {std::nullopt, std::move(error)};
}

/// The request target: the path and query byte for byte, "/" when both are absent.
std::string target_of(std::string_view tail) {
  if (tail.empty())
    return "/";
  if (tail.front() == '?')
    return "/" + std::string{tail};
  return std::string{tail};
}

} // namespace

// -- ws_url ---------------------------------------------------------------------------------------

std::string ws_url::host_header() const {
  const auto default_port = secure ? wss_default_port : ws_default_port;
  auto result = bracketed_if_ipv6(host);
  if (port != default_port)
    result += ":" + std::to_string(port);
  return result;
}

std::string ws_url::authority() const {
  return bracketed_if_ipv6(host) + ":" + std::to_string(port);
}

// -- parsing --------------------------------------------------------------------------------------

url_parse_result parse_url(std::string_view text) {
  if (text.empty())
    return refuse_url("the URL is empty");
  if (has_forbidden_byte(text))
    return refuse_url("the URL contains whitespace, a control character or a non-ASCII byte; "
                      "percent-encode them");
  const auto scheme = split_scheme(text);
  if (!scheme)
    return refuse_url("the URL must start with ws:// or wss://");
  if (scheme->scheme != "ws" && scheme->scheme != "wss")
    return refuse_url("scheme \"" + scheme->scheme + "\" is not supported; use ws:// or wss://");
  if (scheme->rest.find('#') != std::string_view::npos)
    return refuse_url("a WebSocket URL must not have a fragment (#...), RFC 6455 section 3");
  const auto [authority, tail] = split_authority(scheme->rest);
  if (has_userinfo(authority))
    return refuse_url("userinfo (user:password@) is not allowed in a WebSocket URL: it would leak "
                      "credentials into logs and browsers refuse it; send credentials in a header");
  auto parsed = parse_endpoint(authority);
  if (!parsed.error.empty())
    return refuse_url(std::move(parsed.error));
  ws_url url;
  url.secure = scheme->scheme == "wss";
  url.host = std::move(parsed.host);
  url.port = parsed.port.value_or(url.secure ? wss_default_port : ws_default_port);
  url.target = target_of(tail);
  url.host_is_ip = parsed.host_is_ip;
  return {std::move(url), {}};
}

proxy_url_parse_result parse_proxy_url(std::string_view text) {
  if (text.empty())
    return refuse_proxy("the proxy URL is empty");
  if (has_forbidden_byte(text))
    return refuse_proxy("the proxy URL contains whitespace, a control character or a non-ASCII "
                        "byte");
  const auto scheme = split_scheme(text);
  if (!scheme)
    return refuse_proxy("the proxy URL must start with http://");
  if (scheme->scheme != "http")
    return refuse_proxy("proxy scheme \"" + scheme->scheme + "\" is not supported; use http://");
  const auto [authority, tail] = split_authority(scheme->rest);
  if (has_userinfo(authority))
    return refuse_proxy("userinfo (user:password@) is not allowed in a proxy URL; set "
                        "proxy.username and proxy.password instead");
  if (!tail.empty() && tail != "/")
    return refuse_proxy("a proxy URL has no path, query or fragment; use http://host:port");
  auto parsed = parse_endpoint(authority);
  if (!parsed.error.empty())
    return refuse_proxy(std::move(parsed.error));
  proxy_url url;
  url.host = std::move(parsed.host);
  url.port = parsed.port.value_or(http_default_port);
  return {std::move(url), {}};
}

} // namespace zenws
