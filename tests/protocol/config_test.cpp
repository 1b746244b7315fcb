#include "zenws/protocol/config.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>

using namespace zenws;
using namespace std::chrono_literals;

namespace {

using change = std::function<void(connection_config&)>;

connection_config valid_config() {
  connection_config cfg;
  cfg.url = "wss://venue.example/ws/api/v2";
  return cfg;
}

change with_headers(const std::vector<header>& headers) {
  return [headers](connection_config& c) { c.headers = headers; };
}

change with_subprotocols(const std::vector<std::string>& subprotocols) {
  return [subprotocols](connection_config& c) { c.subprotocols = subprotocols; };
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string fields_of(const std::vector<config_error>& errors) {
  std::string result;
  for (const auto& e : errors)
    result += (result.empty() ? "" : " ") + e.field;
  return result;
}

struct refused_row {
  const char* name;
  change apply;
  const char* field;
  const char* reason_part;
};

struct accepted_row {
  const char* name;
  change apply;
};

} // namespace

TEST_CASE("a config with a URL and default settings is valid") {
  CHECK(validate(valid_config()).empty());
  CHECK(describe(validate(valid_config())).empty());
}

TEST_CASE("each validation rule refuses its bad value, naming the field and the value") {
  // One row per rule: the change breaks exactly that rule, so exactly one error must come back.
  const refused_row refused_rows[] = {
      {"empty url", [](auto& c) { c.url.clear(); }, "url", "empty"},
      {"http url", [](auto& c) { c.url = "http://h/"; }, "url", "\"http\""},
      {"empty header name", with_headers({{"X-Ok", "1"}, {"", "v"}}), "headers[1].name",
       "must not be empty"},
      {"header name with a space", with_headers({{"X Bad", "v"}}), "headers[0].name", "\"X Bad\""},
      {"header name with a colon", with_headers({{"X-A:", "v"}}), "headers[0].name", "\"X-A:\""},
      {"Host header", with_headers({{"HOST", "v"}}), "headers[0].name",
       "\"HOST\" is set by zenws from the URL"},
      {"Upgrade header", with_headers({{"Upgrade", "v"}}), "headers[0].name",
       "\"Upgrade\" is set by zenws"},
      {"Connection header", with_headers({{"connection", "v"}}), "headers[0].name",
       "\"connection\" is set by zenws"},
      {"Sec-WebSocket-Key header", with_headers({{"Sec-WebSocket-Key", "v"}}), "headers[0].name",
       "\"Sec-WebSocket-Key\" is set by zenws"},
      {"Sec-WebSocket-Version header", with_headers({{"sec-websocket-version", "v"}}),
       "headers[0].name", "\"sec-websocket-version\" is set by zenws"},
      {"Sec-WebSocket-Extensions header", with_headers({{"Sec-WebSocket-Extensions", "v"}}),
       "headers[0].name", "use compression"},
      {"Sec-WebSocket-Protocol header", with_headers({{"SEC-WEBSOCKET-PROTOCOL", "v"}}),
       "headers[0].name", "use subprotocols"},
      {"User-Agent header", with_headers({{"User-Agent", "v"}}), "headers[0].name",
       "use user_agent"},
      {"header value with CR LF", with_headers({{"X-Key", "k\r\nX-Evil: 1"}}), "headers[0].value",
       "header injection"},
      {"header value with NUL", with_headers({{"X-Key", std::string("k\0k", 3)}}),
       "headers[0].value", "NUL"},
      {"empty subprotocol", with_subprotocols({"json", ""}), "subprotocols[1]",
       "must not be empty"},
      {"subprotocol with a space", with_subprotocols({"a b"}), "subprotocols[0]", "\"a b\""},
      {"duplicate subprotocol", with_subprotocols({"json", "v2", "json"}), "subprotocols[2]",
       "duplicates subprotocols[0], was \"json\""},
      {"zero connect timeout", [](auto& c) { c.timeouts.connect = 0ms; }, "timeouts.connect",
       "must be positive, was 0ms"},
      {"negative tls timeout", [](auto& c) { c.timeouts.tls = -1ms; }, "timeouts.tls",
       "must be positive, was -1ms"},
      {"zero upgrade timeout", [](auto& c) { c.timeouts.upgrade = 0ms; }, "timeouts.upgrade",
       "was 0ms"},
      {"zero request timeout", [](auto& c) { c.timeouts.request = 0ms; }, "timeouts.request",
       "was 0ms"},
      {"zero close timeout", [](auto& c) { c.timeouts.close = 0ms; }, "timeouts.close", "was 0ms"},
      {"zero retry delay", [](auto& c) { c.reconnect.retry_delay = 0ms; }, "reconnect.retry_delay",
       "must be positive, was 0ms"},
      {"max backoff below retry delay", [](auto& c) { c.reconnect.max_backoff = 500ms; },
       "reconnect.max_backoff", "must be >= retry_delay (1000ms), was 500ms"},
      {"zero max backoff", [](auto& c) { c.reconnect.max_backoff = 0ms; }, "reconnect.max_backoff",
       "must be positive, was 0ms"},
      {"negative jitter", [](auto& c) { c.reconnect.jitter = -0.1; }, "reconnect.jitter",
       "must be in [0, 1], was -0.1"},
      {"jitter above one", [](auto& c) { c.reconnect.jitter = 1.5; }, "reconnect.jitter",
       "was 1.5"},
      {"NaN jitter", [](auto& c) { c.reconnect.jitter = std::nan(""); }, "reconnect.jitter",
       "was nan"},
      {"zero stable_after", [](auto& c) { c.reconnect.stable_after = 0ms; },
       "reconnect.stable_after", "was 0ms"},
      {"unknown heartbeat policy",
       [](auto& c) { c.heartbeat.policy = static_cast<heartbeat_policy>(9); }, "heartbeat.policy",
       "was 9"},
      {"zero heartbeat interval",
       [](auto& c) {
         c.heartbeat.policy = heartbeat_policy::ping_pong;
         c.heartbeat.interval = 0ms;
       },
       "heartbeat.interval", "must be positive, was 0ms"},
      {"zero max_missed",
       [](auto& c) {
         c.heartbeat.policy = heartbeat_policy::deribit;
         c.heartbeat.max_missed = 0;
       },
       "heartbeat.max_missed", "must be at least 1, was 0"},
      {"deribit heartbeat below 10 s",
       [](auto& c) {
         c.heartbeat.policy = heartbeat_policy::deribit;
         c.heartbeat.interval = 5000ms;
       },
       "heartbeat.interval", "must be whole seconds and at least 10s for deribit, was 5000ms"},
      {"deribit heartbeat in fractions of a second",
       [](auto& c) {
         c.heartbeat.policy = heartbeat_policy::deribit;
         c.heartbeat.interval = 10500ms;
       },
       "heartbeat.interval", "was 10500ms"},
      {"empty text ping",
       [](auto& c) {
         c.heartbeat.policy = heartbeat_policy::text_ping;
         c.heartbeat.text_ping_message.clear();
       },
       "heartbeat.text_ping_message", "must not be empty for text_ping"},
      {"zero max_message_size", [](auto& c) { c.max_message_size = 0; }, "max_message_size",
       "must be positive, was 0"},
      {"zero max_write_queue", [](auto& c) { c.max_write_queue = 0; }, "max_write_queue", "was 0"},
      {"zero max_pending_requests", [](auto& c) { c.max_pending_requests = 0; },
       "max_pending_requests", "was 0"},
      {"zero latency_buffer_size", [](auto& c) { c.latency_buffer_size = 0; },
       "latency_buffer_size", "was 0"},
      {"cert without key", [](auto& c) { c.tls.cert_file = "client.pem"; }, "tls.key_file",
       "must be set together with tls.cert_file"},
      {"key without cert", [](auto& c) { c.tls.key_file = "client.key"; }, "tls.cert_file",
       "must be set together with tls.key_file"},
      {"server name with a space", [](auto& c) { c.tls.server_name = "bad host"; },
       "tls.server_name", "\"bad host\""},
      {"server name with a slash", [](auto& c) { c.tls.server_name = "h/x"; }, "tls.server_name",
       "\"h/x\""},
      {"https proxy", [](auto& c) { c.proxy.url = "https://proxy:443"; }, "proxy.url", "\"https\""},
      {"proxy with a path", [](auto& c) { c.proxy.url = "http://proxy:3128/x"; }, "proxy.url",
       "no path"},
      {"proxy user without proxy url", [](auto& c) { c.proxy.username = "bob"; }, "proxy.username",
       "proxy.url is empty"},
      {"proxy user with a colon",
       [](auto& c) {
         c.proxy.url = "http://proxy:3128";
         c.proxy.username = "bob:x";
       },
       "proxy.username", "':'"},
      {"proxy password without user",
       [](auto& c) {
         c.proxy.url = "http://proxy:3128";
         c.proxy.password = "pw";
       },
       "proxy.password", "proxy.username is empty"},
      {"client window bits 8", [](auto& c) { c.compression.client_max_window_bits = 8; },
       "compression.client_max_window_bits", "must be in 9..15, was 8"},
      {"server window bits 16", [](auto& c) { c.compression.server_max_window_bits = 16; },
       "compression.server_max_window_bits", "must be in 9..15, was 16"},
      {"user agent with CR LF", [](auto& c) { c.user_agent = "zenws\r\nX-Evil: 1"; }, "user_agent",
       "\"zenws\\x0D\\x0AX-Evil: 1\""},
  };

  for (const auto& row : refused_rows) {
    SUBCASE(row.name) {
      auto cfg = valid_config();
      row.apply(cfg);
      const auto errors = validate(cfg);
      REQUIRE_MESSAGE(errors.size() == 1, describe(errors));
      CHECK(errors[0].field == row.field);
      CHECK_MESSAGE(contains(errors[0].reason, row.reason_part), errors[0].reason);
    }
  }
}

TEST_CASE("each validation rule accepts the values at its edge") {
  // The edge each rule must still let through.
  const accepted_row accepted_rows[] = {
      {"auth headers", with_headers({{"Authorization", "Bearer x"}, {"X-MBX-APIKEY", "k"}})},
      {"header value with a tab", with_headers({{"X-Key", "a\tb"}})},
      {"header value empty", with_headers({{"X-Empty", ""}})},
      {"token punctuation in a header name", with_headers({{"X-!#$%&'*+.^_`|~", "v"}})},
      {"distinct subprotocols", with_subprotocols({"json", "v2.deribit"})},
      {"one millisecond timeouts",
       [](auto& c) {
         c.timeouts = {1ms, 1ms, 1ms, 1ms, 1ms};
       }},
      {"unlimited retries", [](auto& c) { c.reconnect.retry_count = std::nullopt; }},
      {"zero retries", [](auto& c) { c.reconnect.retry_count = 0; }},
      {"max backoff equal to retry delay", [](auto& c) { c.reconnect.max_backoff = 1000ms; }},
      {"jitter zero", [](auto& c) { c.reconnect.jitter = 0.0; }},
      {"jitter one", [](auto& c) { c.reconnect.jitter = 1.0; }},
      {"reconnect disabled", [](auto& c) { c.reconnect.enabled = false; }},
      {"heartbeat none ignores its timing",
       [](auto& c) {
         c.heartbeat.interval = 0ms;
         c.heartbeat.max_missed = 0;
       }},
      {"heartbeat at its minimum",
       [](auto& c) {
         c.heartbeat = {heartbeat_policy::text_ping, 1ms, 1};
       }},
      {"sizes of one",
       [](auto& c) {
         c.max_message_size = 1;
         c.max_write_queue = 1;
         c.max_pending_requests = 1;
         c.latency_buffer_size = 1;
       }},
      {"client certificate with key",
       [](auto& c) {
         c.tls.cert_file = "client.pem";
         c.tls.key_file = "client.key";
       }},
      {"CA file that does not exist", [](auto& c) { c.tls.ca_file = "/does/not/exist.pem"; }},
      {"server name", [](auto& c) { c.tls.server_name = "api.venue.example"; }},
      {"proxy with credentials",
       [](auto& c) {
         c.proxy = {"http://proxy:3128", "bob", "pw"};
       }},
      {"proxy without credentials", [](auto& c) { c.proxy.url = "http://proxy"; }},
      {"window bits 9",
       [](auto& c) {
         c.compression = {true, 9, 9, true, true};
       }},
      {"window bits 15",
       [](auto& c) {
         c.compression = {true, 15, 15, false, false};
       }},
      {"empty user agent", [](auto& c) { c.user_agent.clear(); }},
  };

  for (const auto& row : accepted_rows) {
    SUBCASE(row.name) {
      auto cfg = valid_config();
      row.apply(cfg);
      CHECK_MESSAGE(validate(cfg).empty(), describe(validate(cfg)));
    }
  }
}

TEST_CASE("validate reports every problem at once, in field order") {
  auto cfg = valid_config();
  cfg.user_agent = "a\nb";
  cfg.compression.server_max_window_bits = 0;
  cfg.tls.key_file = "k.pem";
  cfg.max_write_queue = 0;
  cfg.heartbeat = {heartbeat_policy::ping_pong, 0ms, 0};
  cfg.reconnect.jitter = 2.0;
  cfg.timeouts.close = 0ms;
  cfg.timeouts.connect = 0ms;
  cfg.subprotocols = {"x", "x"};
  cfg.headers = {{"Host", "h"}, {"Ok", "a\rb"}};
  cfg.url = "ftp://h/";
  CHECK(fields_of(validate(cfg)) ==
        "url headers[0].name headers[1].value subprotocols[1] timeouts.connect timeouts.close "
        "reconnect.jitter heartbeat.interval heartbeat.max_missed max_write_queue tls.cert_file "
        "compression.server_max_window_bits user_agent");
}

TEST_CASE("a header value is never repeated in a validation error") {
  auto cfg = valid_config();
  cfg.headers = {{"X-Api-Key", "SECRET-KEY\r\nX-Evil: 1"}};
  const auto text = describe(validate(cfg));
  CHECK(contains(text, "headers[0].value"));
  CHECK_FALSE(contains(text, "SECRET-KEY"));
}

TEST_CASE("a proxy password is never repeated in a validation error") {
  auto cfg = valid_config();
  cfg.proxy.password = "pr0xy-SECRET";
  const auto text = describe(validate(cfg));
  CHECK(contains(text, "proxy.password"));
  CHECK_FALSE(contains(text, "pr0xy-SECRET"));
}

TEST_CASE("describe joins the problems with semicolons, each naming its field") {
  auto cfg = valid_config();
  cfg.timeouts.connect = 0ms;
  cfg.reconnect.max_backoff = 500ms;
  CHECK(describe(validate(cfg)) ==
        "invalid timeouts.connect: must be positive, was 0ms; "
        "invalid reconnect.max_backoff: must be >= retry_delay (1000ms), was 500ms");
  CHECK(config_error{"a.b", "is wrong"}.to_string() == "invalid a.b: is wrong");
}

TEST_CASE("to_string masks header values, query values, userinfo, fragments and the password") {
  auto cfg = valid_config();
  cfg.url = "wss://user:url-pw@venue.example/ws?token=tok-SECRET&flag&key=key-SECRET#frag-SECRET";
  cfg.headers = {{"Authorization", "Bearer header-SECRET"}, {"X-Api-Key", "apikey-SECRET"}};
  cfg.proxy = {"http://puser:proxyurl-SECRET@proxy:3128", "bob", "proxy-SECRET"};
  const auto text = to_string(cfg);
  for (const char* secret : {"url-pw", "tok-SECRET", "key-SECRET", "frag-SECRET", "header-SECRET",
                             "apikey-SECRET", "proxyurl-SECRET", "proxy-SECRET", "flag"}) {
    CAPTURE(secret);
    CHECK_FALSE(contains(text, secret));
  }
  CHECK(contains(text, "url=\"wss://***@venue.example/ws?token=***&***&key=***#***\""));
  CHECK(contains(text, "headers=[Authorization: ***, X-Api-Key: ***]"));
  CHECK(contains(text, "proxy: url=\"http://***@proxy:3128\" username=\"bob\" password=***"));
}

TEST_CASE("to_string prints every field") {
  auto cfg = valid_config();
  cfg.subprotocols = {"json"};
  cfg.record_to = "session.jsonl";
  cfg.tls.ca_file = "ca.pem";
  const auto text = to_string(cfg);
  for (const char* part : {
           "url=\"wss://venue.example/ws/api/v2\"",
           "subprotocols=[\"json\"]",
           "timeouts: connect=5000ms tls=5000ms upgrade=5000ms request=30000ms close=2000ms",
           "reconnect: enabled=true retry_count=3 retry_delay=1000ms max_backoff=30000ms "
           "jitter=0.2 stable_after=60000ms",
           "heartbeat: policy=none interval=30000ms max_missed=2",
           "max_message_size=16777216 max_write_queue=65536 max_pending_requests=65536 "
           "latency_buffer_size=100 "
           "record_to=\"session.jsonl\" tcp_nodelay=true user_agent=\"zenws/0.1\"",
           "tls: insecure=false ca_file=\"ca.pem\" cert_file=\"\" key_file=\"\" server_name=\"\"",
           "proxy: url=\"\" username=\"\" password=\"\"",
           "compression: enabled=false client_max_window_bits=15 server_max_window_bits=15 "
           "client_no_context_takeover=false server_no_context_takeover=false",
       }) {
    CHECK_MESSAGE(contains(text, part), text);
  }
  cfg.reconnect.retry_count = std::nullopt;
  CHECK(contains(to_string(cfg), "retry_count=unlimited"));
}

TEST_CASE("to_string escapes control characters so a value cannot forge log lines") {
  auto cfg = valid_config();
  cfg.user_agent = "a\r\nforged: line";
  CHECK(contains(to_string(cfg), "user_agent=\"a\\x0D\\x0Aforged: line\""));
  CHECK_FALSE(contains(to_string(cfg), "\r"));
}

TEST_CASE("copies compare equal and a change to any single field makes configs differ") {
  const auto base = valid_config();
  CHECK(base == valid_config());
  CHECK_FALSE(base != valid_config());

  const std::pair<const char*, change> changes[] = {
      {"url", [](auto& c) { c.url += "x"; }},
      {"headers count",
       [](auto& c) {
         c.headers.push_back({"X", "v"});
       }},
      {"subprotocols", [](auto& c) { c.subprotocols.push_back("json"); }},
      {"timeouts.connect", [](auto& c) { c.timeouts.connect += 1ms; }},
      {"timeouts.tls", [](auto& c) { c.timeouts.tls += 1ms; }},
      {"timeouts.upgrade", [](auto& c) { c.timeouts.upgrade += 1ms; }},
      {"timeouts.request", [](auto& c) { c.timeouts.request += 1ms; }},
      {"timeouts.close", [](auto& c) { c.timeouts.close += 1ms; }},
      {"reconnect.enabled", [](auto& c) { c.reconnect.enabled = false; }},
      {"reconnect.retry_count", [](auto& c) { c.reconnect.retry_count = std::nullopt; }},
      {"reconnect.retry_delay", [](auto& c) { c.reconnect.retry_delay += 1ms; }},
      {"reconnect.max_backoff", [](auto& c) { c.reconnect.max_backoff += 1ms; }},
      {"reconnect.jitter", [](auto& c) { c.reconnect.jitter = 0.3; }},
      {"reconnect.stable_after", [](auto& c) { c.reconnect.stable_after += 1ms; }},
      {"heartbeat.policy", [](auto& c) { c.heartbeat.policy = heartbeat_policy::deribit; }},
      {"heartbeat.interval", [](auto& c) { c.heartbeat.interval += 1ms; }},
      {"heartbeat.max_missed", [](auto& c) { c.heartbeat.max_missed += 1; }},
      {"heartbeat.text_ping_message", [](auto& c) { c.heartbeat.text_ping_message = "x"; }},
      {"max_message_size", [](auto& c) { c.max_message_size += 1; }},
      {"max_write_queue", [](auto& c) { c.max_write_queue += 1; }},
      {"max_pending_requests", [](auto& c) { c.max_pending_requests += 1; }},
      {"latency_buffer_size", [](auto& c) { c.latency_buffer_size += 1; }},
      {"record_to", [](auto& c) { c.record_to = "r.jsonl"; }},
      {"tls.insecure", [](auto& c) { c.tls.insecure = true; }},
      {"tls.ca_file", [](auto& c) { c.tls.ca_file = "ca.pem"; }},
      {"tls.cert_file", [](auto& c) { c.tls.cert_file = "c.pem"; }},
      {"tls.key_file", [](auto& c) { c.tls.key_file = "k.pem"; }},
      {"tls.server_name", [](auto& c) { c.tls.server_name = "h"; }},
      {"proxy.url", [](auto& c) { c.proxy.url = "http://p"; }},
      {"proxy.username", [](auto& c) { c.proxy.username = "u"; }},
      {"proxy.password", [](auto& c) { c.proxy.password = "p"; }},
      {"compression.enabled", [](auto& c) { c.compression.enabled = true; }},
      {"compression.client_max_window_bits",
       [](auto& c) { c.compression.client_max_window_bits = 10; }},
      {"compression.server_max_window_bits",
       [](auto& c) { c.compression.server_max_window_bits = 10; }},
      {"compression.client_no_context_takeover",
       [](auto& c) { c.compression.client_no_context_takeover = true; }},
      {"compression.server_no_context_takeover",
       [](auto& c) { c.compression.server_no_context_takeover = true; }},
      {"tcp_nodelay", [](auto& c) { c.tcp_nodelay = false; }},
      {"user_agent", [](auto& c) { c.user_agent = "other"; }},
  };
  for (const auto& [name, apply] : changes) {
    SUBCASE(name) {
      auto changed = base;
      apply(changed);
      CHECK(changed != base);
      CHECK_FALSE(changed == base);
    }
  }
}

TEST_CASE("headers compare by name and value") {
  auto a = valid_config();
  a.headers = {{"X-Key", "one"}};
  auto b = a;
  CHECK(a == b);
  b.headers[0].value = "two";
  CHECK(a != b);
  b.headers[0] = {"X-Other", "one"};
  CHECK(a != b);
}
