// Connection config validation and printing, with every text field taken from the input.
//
// Input: lines for url, header name, header value, subprotocol, proxy url, proxy user, proxy
// password and user agent, then bytes for the numbers. Invariants:
// - a config validate() accepts has a URL parse_url() accepts, header names and subprotocols
//   that are tokens, and no CR, LF or NUL in any value that goes into the upgrade request
//   (header injection);
// - the secrets (header values, the proxy password, the URL's userinfo) never change what
//   to_string() and the validation errors print: a config with other secrets of the same shape
//   prints the same.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "zenws/protocol/config.hpp"
#include "zenws/protocol/url.hpp"

using namespace zenws;
using fuzz::check;

namespace {

/// The URL with its userinfo (what precedes the last '@' of the authority) rotated.
std::string url_with_other_userinfo(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto begin = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto end = std::min(url.find_first_of("/?#", begin), url.size());
  const auto at = url.rfind('@', end == 0 ? 0 : end - 1);
  if (at == std::string::npos || at < begin || at >= end)
    return url;
  return url.substr(0, begin) + fuzz::same_shape_other(url.substr(begin, at - begin)) +
         url.substr(at);
}

bool is_token(std::string_view s) {
  if (s.empty())
    return false;
  for (const char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view{"!#$%&'*+-.^_`|~"}.find(c) == std::string_view::npos)
      return false;
  }
  return true;
}

bool injects(std::string_view value) {
  return value.find_first_of(std::string_view{"\r\n\0", 3}) != std::string_view::npos;
}

connection_config config_of(std::string_view rest) {
  connection_config cfg;
  cfg.url = std::string{fuzz::take_line(rest)};
  const auto name = fuzz::take_line(rest);
  const auto value = fuzz::take_line(rest);
  if (!name.empty() || !value.empty())
    cfg.headers.push_back({std::string{name}, std::string{value}});
  if (const auto protocol = fuzz::take_line(rest); !protocol.empty())
    cfg.subprotocols.emplace_back(protocol);
  cfg.proxy.url = std::string{fuzz::take_line(rest)};
  cfg.proxy.username = std::string{fuzz::take_line(rest)};
  cfg.proxy.password = std::string{fuzz::take_line(rest)};
  cfg.user_agent = std::string{fuzz::take_line(rest)};
  cfg.timeouts.connect = milliseconds{static_cast<std::int8_t>(fuzz::take_byte(rest))};
  cfg.reconnect.jitter = fuzz::take_byte(rest) / 128.0;
  cfg.max_message_size = fuzz::take_byte(rest);
  cfg.compression.enabled = (fuzz::take_byte(rest) & 1) != 0;
  cfg.compression.client_max_window_bits = fuzz::take_byte(rest) % 20;
  cfg.tls.server_name = std::string{fuzz::take_line(rest)};
  return cfg;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto cfg = config_of(fuzz::text_of(data, size));
  const auto errors = validate(cfg);
  if (errors.empty()) {
    check(parse_url(cfg.url).url.has_value(), "an accepted config has a URL parse_url refuses");
    for (const auto& h : cfg.headers)
      check(is_token(h.name) && !injects(h.value), "an accepted header can inject");
    for (const auto& p : cfg.subprotocols)
      check(is_token(p), "an accepted subprotocol is not a token");
    check(!injects(cfg.user_agent) && !injects(cfg.tls.server_name),
          "an accepted user agent or server name can inject");
    check(cfg.proxy.url.empty() || parse_proxy_url(cfg.proxy.url).url.has_value(),
          "an accepted config has a proxy URL parse_proxy_url refuses");
  }

  auto other = cfg;
  for (auto& h : other.headers)
    h.value = fuzz::same_shape_other(h.value);
  other.proxy.password = fuzz::same_shape_other(cfg.proxy.password);
  other.url = url_with_other_userinfo(cfg.url);
  check(to_string(other) == to_string(cfg), "a secret shows in to_string(config)");
  check(describe(validate(other)) == describe(errors), "a secret shows in a validation error");
  return 0;
}
