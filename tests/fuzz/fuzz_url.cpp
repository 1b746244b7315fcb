// URL parsing (ws://, wss:// and http:// proxies) on arbitrary text.
//
// Invariants: exactly one of url and error is set; an accepted URL has a host, a port and a
// target starting with '/', holds no byte a request line could be split on, and parses back
// to itself from its parts; the query (where tokens travel) never changes the error text, so
// it never reaches a log through it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "zenws/protocol/url.hpp"

using namespace zenws;
using fuzz::check;

namespace {

bool printable_ascii(std::string_view s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F)
      return false;
  return true;
}

bool same(const ws_url& a, const ws_url& b) {
  return a.secure == b.secure && a.host == b.host && a.port == b.port && a.target == b.target &&
         a.host_is_ip == b.host_is_ip;
}

void check_ws_url(std::string_view text) {
  const auto r = parse_url(text);
  check(r.url.has_value() == r.error.empty(), "parse_url: url and error both set or both empty");
  if (r.url) {
    const auto& u = *r.url;
    check(!u.host.empty() && u.port != 0, "parse_url: accepted without host or port");
    check(!u.target.empty() && u.target.front() == '/', "parse_url: target not starting with /");
    check(printable_ascii(u.host) && printable_ascii(u.target),
          "parse_url: whitespace or control bytes accepted");
    check(u.authority().find(u.target) == std::string::npos || u.target == "/",
          "parse_url: authority() shows the target");
    const auto again = parse_url((u.secure ? "wss://" : "ws://") + u.host_header() + u.target);
    check(again.url && same(*again.url, u), "parse_url: the URL's parts do not parse back to it");
  }
  // What follows the first '?' after the scheme is the query: secret-bearing, never printed.
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos)
    return;
  const auto query = text.find('?', scheme_end + 3);
  if (query == std::string_view::npos)
    return;
  const auto other = parse_url(std::string{text.substr(0, query + 1)} +
                               fuzz::same_shape_other(text.substr(query + 1)));
  check(other.error == r.error, "parse_url: the query changes the error text");
}

void check_proxy_url(std::string_view text) {
  const auto r = parse_proxy_url(text);
  check(r.url.has_value() == r.error.empty(), "parse_proxy_url: url and error both set or empty");
  if (r.url)
    check(!r.url->host.empty() && r.url->port != 0 && printable_ascii(r.url->host),
          "parse_proxy_url: accepted a bad host or port");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::text_of(data, size);
  check_ws_url(text);
  check_proxy_url(text);
  return 0;
}
