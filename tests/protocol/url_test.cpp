#include "zenws/protocol/url.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace zenws;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct accepted_url {
  const char* text;
  bool secure;
  const char* host;
  std::uint16_t port;
  const char* target;
  bool host_is_ip;
  const char* host_header;
  const char* authority;
};

const accepted_url accepted_urls[] = {
    {"ws://example.com", false, "example.com", 80, "/", false, "example.com", "example.com:80"},
    {"wss://example.com", true, "example.com", 443, "/", false, "example.com", "example.com:443"},
    {"WSS://Example.COM/Path?Q=Aa", true, "example.com", 443, "/Path?Q=Aa", false, "example.com",
     "example.com:443"},
    {"ws://h?x=1", false, "h", 80, "/?x=1", false, "h", "h:80"},
    {"ws://h/path?", false, "h", 80, "/path?", false, "h", "h:80"},
    {"wss://h:9443/ws", true, "h", 9443, "/ws", false, "h:9443", "h:9443"},
    {"wss://h:443/", true, "h", 443, "/", false, "h", "h:443"},
    {"ws://h:443/", false, "h", 443, "/", false, "h:443", "h:443"},
    {"wss://h:80/", true, "h", 80, "/", false, "h:80", "h:80"},
    {"ws://h:1/", false, "h", 1, "/", false, "h:1", "h:1"},
    {"ws://h:65535/", false, "h", 65535, "/", false, "h:65535", "h:65535"},
    {"ws://h:00080/", false, "h", 80, "/", false, "h", "h:80"},
    {"ws://[::1]:9000/x", false, "::1", 9000, "/x", true, "[::1]:9000", "[::1]:9000"},
    {"wss://[2001:DB8::1]/", true, "2001:db8::1", 443, "/", true, "[2001:db8::1]",
     "[2001:db8::1]:443"},
    {"ws://[::ffff:192.0.2.1]/", false, "::ffff:192.0.2.1", 80, "/", true, "[::ffff:192.0.2.1]",
     "[::ffff:192.0.2.1]:80"},
    {"ws://[1:2:3:4:5:6:7:8]/", false, "1:2:3:4:5:6:7:8", 80, "/", true, "[1:2:3:4:5:6:7:8]",
     "[1:2:3:4:5:6:7:8]:80"},
    {"ws://[1:2:3:4:5:6:7::]/", false, "1:2:3:4:5:6:7::", 80, "/", true, "[1:2:3:4:5:6:7::]",
     "[1:2:3:4:5:6:7::]:80"},
    {"ws://[::]/", false, "::", 80, "/", true, "[::]", "[::]:80"},
    {"ws://127.0.0.1:8080/", false, "127.0.0.1", 8080, "/", true, "127.0.0.1:8080",
     "127.0.0.1:8080"},
    {"ws://0.0.0.0/", false, "0.0.0.0", 80, "/", true, "0.0.0.0", "0.0.0.0:80"},
    {"ws://1.2.3.4.example/", false, "1.2.3.4.example", 80, "/", false, "1.2.3.4.example",
     "1.2.3.4.example:80"},
    {"wss://stream.binance.com:9443/ws/btcusdt@trade", true, "stream.binance.com", 9443,
     "/ws/btcusdt@trade", false, "stream.binance.com:9443", "stream.binance.com:9443"},
    {"wss://h/a%20b?x=%2F&y=", true, "h", 443, "/a%20b?x=%2F&y=", false, "h", "h:443"},
    {"ws://my_host.local/", false, "my_host.local", 80, "/", false, "my_host.local",
     "my_host.local:80"},
};

struct refused_url {
  const char* text;
  const char* error_part;
};

const refused_url refused_urls[] = {
    {"", "empty"},
    {"http://h/", "scheme \"http\" is not supported"},
    {"HTTPS://h/", "scheme \"https\" is not supported"},
    {"example.com/ws", "must start with ws:// or wss://"},
    {"ws:/h/", "must start with ws:// or wss://"},
    {"ws://", "no host"},
    {"ws:///path", "no host"},
    {"ws://?x=1", "no host"},
    {"ws://:80/", "no host"},
    {"ws://user:pass@h/", "userinfo"},
    {"ws://user@h/", "userinfo"},
    {"ws://h/p#frag", "fragment"},
    {"ws://h#", "fragment"},
    {"ws://h:0/", "1..65535, was 0"},
    {"ws://h:65536/", "1..65535, was 65536"},
    {"ws://h:99999999999/", "1..65535"},
    {"ws://h:8o/", "must be a number"},
    {"ws://h:-1/", "must be a number"},
    {"ws://h:/", "port after ':' is empty"},
    {"ws://h /x", "whitespace"},
    {"ws://h/x y", "whitespace"},
    {" ws://h/", "whitespace"},
    {"ws://h/x\tb", "control character"},
    {"ws://h/\x01", "control character"},
    {"ws://h/\x7F", "control character"},
    {"ws://h/\xC3\xA9", "non-ASCII"},
    {"ws://h\xC3\xA9/", "non-ASCII"},
    {"ws://[::1/", "unbalanced brackets"},
    {"ws://::1]/", "unbalanced brackets"},
    {"ws://h[1]/", "unbalanced brackets"},
    {"ws://::1/", "must be in brackets"},
    {"ws://[::1]x/", "unexpected characters after the IPv6 address"},
    {"ws://[::1]:0/", "1..65535, was 0"},
    {"ws://[]/", "not a valid IPv6 address"},
    {"ws://[1:2:3]/", "not a valid IPv6 address"},
    {"ws://[1:2:3:4:5:6:7:8:9]/", "not a valid IPv6 address"},
    {"ws://[1::2::3]/", "not a valid IPv6 address"},
    {"ws://[:::]/", "not a valid IPv6 address"},
    {"ws://[:1]/", "not a valid IPv6 address"},
    {"ws://[1:]/", "not a valid IPv6 address"},
    {"ws://[12345::]/", "not a valid IPv6 address"},
    {"ws://[::1.2.3]/", "not a valid IPv6 address"},
    {"ws://[g::1]/", "not a valid IPv6 address"},
    {"ws://[fe80::1%25eth0]/", "not a valid IPv6 address"},
    {"ws://999.1.1.1/", "not a valid one"},
    {"ws://1.2.3/", "not a valid one"},
    {"ws://010.0.0.1/", "not a valid one"},
    {"ws://h!/", "not allowed in a host name"},
    {"ws://h\\x/", "not allowed in a host name"},
};

} // namespace

TEST_CASE("parse_url accepts ws and wss URLs and fills every field") {
  for (const auto& row : accepted_urls) {
    SUBCASE(row.text) {
      const auto result = parse_url(row.text);
      REQUIRE_MESSAGE(result.url, result.error);
      CHECK(result.error.empty());
      CHECK(result.url->secure == row.secure);
      CHECK(result.url->host == row.host);
      CHECK(result.url->port == row.port);
      CHECK(result.url->target == row.target);
      CHECK(result.url->host_is_ip == row.host_is_ip);
      CHECK(result.url->host_header() == row.host_header);
      CHECK(result.url->authority() == row.authority);
    }
  }
}

TEST_CASE("parse_url refuses unusable URLs with a message saying why") {
  for (const auto& row : refused_urls) {
    SUBCASE(row.text) {
      const auto result = parse_url(row.text);
      CHECK_FALSE(result.url);
      CHECK_MESSAGE(contains(result.error, row.error_part), result.error);
    }
  }
}

TEST_CASE("a URL with userinfo is refused and the message does not echo the password") {
  const auto result = parse_url("wss://alice:hunter2@example.com/ws");
  REQUIRE_FALSE(result.url);
  CHECK(contains(result.error, "userinfo"));
  CHECK(contains(result.error, "credentials"));
  CHECK_FALSE(contains(result.error, "hunter2"));
  CHECK_FALSE(contains(result.error, "alice"));
}

TEST_CASE("error messages never echo the URL's path or query") {
  const char* bad_urls[] = {
      "ws://h:0/private-path?token=s3cr3t",    "ws://h:99x/private-path?token=s3cr3t",
      "ws://h!/private-path?token=s3cr3t",     "ws://[zz]/private-path?token=s3cr3t",
      "ws://h/private-path?token=s3cr3t#frag", "ws://h/private-path?token=s3 cr3t",
      "http://h/private-path?token=s3cr3t",    "h/private-path?token=s3cr3t://x",
      "ws://u:p@h/private-path?token=s3cr3t",
  };
  for (const char* text : bad_urls) {
    SUBCASE(text) {
      const auto result = parse_url(text);
      REQUIRE_FALSE(result.url);
      CHECK_FALSE(result.error.empty());
      CHECK_FALSE(contains(result.error, "private-path"));
      CHECK_FALSE(contains(result.error, "s3cr3t"));
    }
  }
}

TEST_CASE("the target keeps the path and query byte for byte") {
  const auto result = parse_url("wss://Venue.example/API/v2?Sig=AbC%3D&ts=1");
  REQUIRE(result.url);
  CHECK(result.url->host == "venue.example");
  CHECK(result.url->target == "/API/v2?Sig=AbC%3D&ts=1");
}

TEST_CASE("parse_proxy_url accepts http://host[:port] with port 80 as default") {
  struct row {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  const row rows[] = {
      {"http://proxy:3128", "proxy", 3128},
      {"http://proxy", "proxy", 80},
      {"HTTP://Proxy.Example/", "proxy.example", 80},
      {"http://10.0.0.1:8080/", "10.0.0.1", 8080},
      {"http://[::1]:8080", "::1", 8080},
  };
  for (const auto& r : rows) {
    SUBCASE(r.text) {
      const auto result = parse_proxy_url(r.text);
      REQUIRE_MESSAGE(result.url, result.error);
      CHECK(result.url->host == r.host);
      CHECK(result.url->port == r.port);
    }
  }
}

TEST_CASE("parse_proxy_url refuses other schemes, userinfo, paths and bad ports") {
  const refused_url rows[] = {
      {"", "empty"},
      {"https://proxy:443", "scheme \"https\" is not supported"},
      {"socks5://proxy:1080", "scheme \"socks5\" is not supported"},
      {"proxy:3128", "must start with http://"},
      {"http://", "no host"},
      {"http://proxy:3128/path", "no path"},
      {"http://proxy:3128?x=1", "no path"},
      {"http://proxy:3128#f", "no path"},
      {"http://proxy:0", "1..65535, was 0"},
      {"http://proxy:x", "must be a number"},
      {"http://pro xy:3128", "whitespace"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.text) {
      const auto result = parse_proxy_url(row.text);
      CHECK_FALSE(result.url);
      CHECK_MESSAGE(contains(result.error, row.error_part), result.error);
    }
  }
}

TEST_CASE("a proxy URL with userinfo is refused without echoing the password") {
  const auto result = parse_proxy_url("http://bob:pr0xy-pw@proxy:3128");
  REQUIRE_FALSE(result.url);
  CHECK(contains(result.error, "proxy.username"));
  CHECK_FALSE(contains(result.error, "pr0xy-pw"));
}
