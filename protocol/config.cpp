#include "zenws/protocol/config.hpp"

#include "zenws/protocol/url.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace zenws {
namespace {

// -- text helpers ---------------------------------------------------------------------------------

std::string to_text(milliseconds value) {
  return std::to_string(value.count()) + "ms";
}

std::string to_text(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

const char* to_text(bool value) {
  return value ? "true" : "false";
}

/// `text` with quotes, backslashes and control characters escaped, so that a value with CR/LF
/// cannot forge extra lines in a log.
std::string escaped(std::string_view text) {
  std::string result;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      result += '\\';
      result += c;
    } else if (byte < 0x20 || byte == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", byte);
      result += buffer;
    } else {
      result += c;
    }
  }
  return result;
}

std::string quoted(std::string_view text) {
  return "\"" + escaped(text) + "\"";
}

std::string ascii_lower(std::string_view text) {
  std::string result{text};
  for (auto& c : result)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return result;
}

// -- HTTP grammar (RFC 9110 5.6.2) ----------------------------------------------------------------

bool is_token_char(char c) {
  constexpr std::string_view punctuation = "!#$%&'*+-.^_`|~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         punctuation.find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

/// Any control character but horizontal tab, which header values may contain.
bool has_control_char(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7F;
  });
}

bool is_host_name(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
  });
}

constexpr const char* token_rule = "must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)";

// -- collecting problems --------------------------------------------------------------------------

/// The list validate() returns, with the rules several fields share.
class problems {
public:
  void add(std::string field, std::string reason) {
    list_.push_back({std::move(field), std::move(reason)});
  }

  void require_positive(std::string field, milliseconds value) {
    if (value.count() <= 0)
      add(std::move(field), "must be positive, was " + to_text(value));
  }

  void require_positive(std::string field, std::size_t value) {
    if (value == 0)
      add(std::move(field), "must be positive, was 0");
  }

  void require_in_range(std::string field, int value, int min, int max) {
    if (value < min || value > max)
      add(std::move(field), "must be in " + std::to_string(min) + ".." + std::to_string(max) +
                                ", was " + std::to_string(value));
  }

  std::vector<config_error> take() { return std::move(list_); }

private:
  std::vector<config_error> list_;
};

// -- rules, one function per section, in field order ----------------------------------------------

void check_url(problems& out, const std::string& url) {
  if (auto parsed = parse_url(url); !parsed.url)
    out.add("url", std::move(parsed.error));
}

/// Headers the upgrade request gets from zenws itself; a second copy would either be ignored or
/// make the server refuse the upgrade, so the user is pointed at the option that controls it.
struct reserved_header {
  const char* lower_name;
  const char* reason;
};

constexpr reserved_header reserved_headers[] = {
    {"host", "is set by zenws from the URL"},
    {"upgrade", "is set by zenws"},
    {"connection", "is set by zenws"},
    {"sec-websocket-key", "is set by zenws"},
    {"sec-websocket-version", "is set by zenws"},
    {"sec-websocket-extensions", "is set by zenws; use compression"},
    {"sec-websocket-protocol", "is set by zenws; use subprotocols"},
    {"user-agent", "is set by zenws; use user_agent"},
};

const reserved_header* find_reserved(std::string_view name) {
  const auto lower = ascii_lower(name);
  for (const auto& entry : reserved_headers)
    if (lower == entry.lower_name)
      return &entry;
  return nullptr;
}

void check_header(problems& out, const header& h, const std::string& field) {
  if (h.name.empty())
    out.add(field + ".name", "must not be empty");
  else if (!is_token(h.name))
    out.add(field + ".name", std::string{token_rule} + ", was " + quoted(h.name));
  else if (const auto* reserved = find_reserved(h.name))
    out.add(field + ".name", quoted(h.name) + " " + reserved->reason);
  // The value is a secret (API keys, tokens): the reason must not repeat it.
  if (has_control_char(h.value))
    out.add(field + ".value", "must not contain CR, LF, NUL or other control characters "
                              "(header injection)");
}

void check_headers(problems& out, const std::vector<header>& headers) {
  for (std::size_t i = 0; i < headers.size(); ++i)
    check_header(out, headers[i], "headers[" + std::to_string(i) + "]");
}

std::size_t first_index_of(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

void check_subprotocols(problems& out, const std::vector<std::string>& subprotocols) {
  for (std::size_t i = 0; i < subprotocols.size(); ++i) {
    const auto field = "subprotocols[" + std::to_string(i) + "]";
    const auto& name = subprotocols[i];
    const auto first = first_index_of(subprotocols, name);
    if (name.empty())
      out.add(field, "must not be empty");
    else if (!is_token(name))
      out.add(field, std::string{token_rule} + ", was " + quoted(name));
    else if (first < i)
      out.add(field, "duplicates subprotocols[" + std::to_string(first) + "], was " + quoted(name));
  }
}

void check_timeouts(problems& out, const timeouts_config& t) {
  out.require_positive("timeouts.connect", t.connect);
  out.require_positive("timeouts.tls", t.tls);
  out.require_positive("timeouts.upgrade", t.upgrade);
  out.require_positive("timeouts.request", t.request);
  out.require_positive("timeouts.close", t.close);
}

void check_reconnect(problems& out, const reconnect_config& r) {
  out.require_positive("reconnect.retry_delay", r.retry_delay);
  out.require_positive("reconnect.max_backoff", r.max_backoff);
  if (r.max_backoff.count() > 0 && r.max_backoff < r.retry_delay)
    out.add("reconnect.max_backoff", "must be >= retry_delay (" + to_text(r.retry_delay) +
                                         "), was " + to_text(r.max_backoff));
  // Written as a negated range check so that NaN is refused as well.
  if (!(r.jitter >= 0.0 && r.jitter <= 1.0))
    out.add("reconnect.jitter", "must be in [0, 1], was " + to_text(r.jitter));
  out.require_positive("reconnect.stable_after", r.stable_after);
}

bool is_known(heartbeat_policy policy) {
  return policy >= heartbeat_policy::none && policy <= heartbeat_policy::text_ping;
}

void check_heartbeat(problems& out, const heartbeat_config& h) {
  if (!is_known(h.policy)) {
    out.add("heartbeat.policy",
            "is not a known policy, was " + std::to_string(static_cast<int>(h.policy)));
    return;
  }
  if (h.policy == heartbeat_policy::none)
    return; // interval and max_missed are unused
  out.require_positive("heartbeat.interval", h.interval);
  if (h.max_missed < 1)
    out.add("heartbeat.max_missed", "must be at least 1, was 0");
  // Deribit's public/set_heartbeat takes whole seconds and refuses less than 10.
  if (h.policy == heartbeat_policy::deribit &&
      (h.interval < std::chrono::seconds{10} ||
       h.interval % std::chrono::seconds{1} != milliseconds{0}))
    out.add("heartbeat.interval",
            "must be whole seconds and at least 10s for deribit, was " + to_text(h.interval));
  if (h.policy == heartbeat_policy::text_ping && h.text_ping_message.empty())
    out.add("heartbeat.text_ping_message", "must not be empty for text_ping");
}

void check_limits(problems& out, const connection_config& cfg) {
  out.require_positive("max_message_size", cfg.max_message_size);
  out.require_positive("max_write_queue", cfg.max_write_queue);
  out.require_positive("max_pending_requests", cfg.max_pending_requests);
  out.require_positive("latency_buffer_size", cfg.latency_buffer_size);
}

// The files are not opened here: that is I/O, and the transport reports tls_setup_failed.
void check_tls(problems& out, const tls_config& t) {
  if (t.cert_file.empty() && !t.key_file.empty())
    out.add("tls.cert_file", "must be set together with tls.key_file, was empty");
  if (!t.cert_file.empty() && t.key_file.empty())
    out.add("tls.key_file", "must be set together with tls.cert_file, was empty");
  if (!t.server_name.empty() && !is_host_name(t.server_name))
    out.add("tls.server_name",
            "must be a host name (letters, digits, '-', '.'), was " + quoted(t.server_name));
}

void check_proxy(problems& out, const proxy_config& p) {
  if (!p.url.empty()) {
    if (auto parsed = parse_proxy_url(p.url); !parsed.url)
      out.add("proxy.url", std::move(parsed.error));
  }
  if (!p.username.empty() && p.url.empty())
    out.add("proxy.username", "is set but proxy.url is empty");
  if (p.username.find(':') != std::string::npos)
    out.add("proxy.username", "must not contain ':' (RFC 7617 Basic authentication)");
  if (!p.password.empty() && p.username.empty())
    out.add("proxy.password", "is set but proxy.username is empty");
}

void check_compression(problems& out, const compression_config& c) {
  out.require_in_range("compression.client_max_window_bits", c.client_max_window_bits, 9, 15);
  out.require_in_range("compression.server_max_window_bits", c.server_max_window_bits, 9, 15);
}

void check_user_agent(problems& out, const std::string& user_agent) {
  if (has_control_char(user_agent))
    out.add("user_agent",
            "must not contain CR, LF or other control characters, was " + quoted(user_agent));
}

// -- masking --------------------------------------------------------------------------------------

/// "key=***" for each query parameter; a parameter without '=' may itself be a token.
std::string masked_query(std::string_view query) {
  std::string result;
  while (true) {
    const auto end = query.find('&');
    const auto param = query.substr(0, end);
    const auto equals = param.find('=');
    if (equals != std::string_view::npos)
      result.append(param.substr(0, equals)).append("=***");
    else if (!param.empty())
      result += "***";
    if (end == std::string_view::npos)
      return result;
    result += '&';
    query.remove_prefix(end + 1);
  }
}

/// The URL with userinfo, query values and fragment masked. Works on the raw text, so that an
/// invalid URL is masked as well as a valid one.
std::string masked_url(std::string_view url) {
  constexpr auto npos = std::string_view::npos;
  const auto scheme_end = url.find("://");
  const auto authority_begin = scheme_end == npos ? 0 : scheme_end + 3;
  const auto authority_end = std::min(url.find_first_of("/?#", authority_begin), url.size());
  auto authority = url.substr(authority_begin, authority_end - authority_begin);
  std::string result{url.substr(0, authority_begin)};
  if (const auto at = authority.rfind('@'); at != npos) {
    result += "***@";
    authority.remove_prefix(at + 1);
  }
  result += authority;
  const auto rest = url.substr(authority_end);
  const auto fragment = rest.find('#');
  const auto query = rest.find('?');
  result += rest.substr(0, std::min(query, fragment));
  if (query < fragment)
    result += "?" + masked_query(rest.substr(query + 1, fragment - query - 1));
  if (fragment != npos)
    result += "#***";
  return result;
}

/// An empty secret prints as "" so a reader can tell "not set" from "set".
std::string masked_secret(const std::string& secret) {
  return secret.empty() ? "\"\"" : "***";
}

// -- printing, one line per section ---------------------------------------------------------------

const char* to_text(heartbeat_policy policy) {
  switch (policy) {
  case heartbeat_policy::none:
    return "none";
  case heartbeat_policy::ping_pong:
    return "ping_pong";
  case heartbeat_policy::deribit:
    return "deribit";
  case heartbeat_policy::server_ping:
    return "server_ping";
  case heartbeat_policy::text_ping:
    return "text_ping";
  }
  return "unknown";
}

std::string headers_text(const std::vector<header>& headers) {
  std::string result = "[";
  for (const auto& h : headers) {
    if (result.size() > 1)
      result += ", ";
    result += escaped(h.name) + ": ***";
  }
  return result + "]";
}

std::string subprotocols_text(const std::vector<std::string>& subprotocols) {
  std::string result = "[";
  for (const auto& name : subprotocols) {
    if (result.size() > 1)
      result += ", ";
    result += quoted(name);
  }
  return result + "]";
}

std::string retry_count_text(const std::optional<std::uint32_t>& count) {
  return count ? std::to_string(*count) : "unlimited";
}

std::string connection_line(const connection_config& cfg) {
  return "url=" + quoted(masked_url(cfg.url)) + " headers=" + headers_text(cfg.headers) +
         " subprotocols=" + subprotocols_text(cfg.subprotocols);
}

std::string to_text(const timeouts_config& t) {
  return "timeouts: connect=" + to_text(t.connect) + " tls=" + to_text(t.tls) +
         " upgrade=" + to_text(t.upgrade) + " request=" + to_text(t.request) +
         " close=" + to_text(t.close);
}

std::string to_text(const reconnect_config& r) {
  return std::string{"reconnect: enabled="} + to_text(r.enabled) +
         " retry_count=" + retry_count_text(r.retry_count) +
         " retry_delay=" + to_text(r.retry_delay) + " max_backoff=" + to_text(r.max_backoff) +
         " jitter=" + to_text(r.jitter) + " stable_after=" + to_text(r.stable_after) +
         " immediate_first_retry=" + to_text(r.immediate_first_retry);
}

std::string to_text(const heartbeat_config& h) {
  std::string text = std::string{"heartbeat: policy="} + to_text(h.policy) +
                     " interval=" + to_text(h.interval) +
                     " max_missed=" + std::to_string(h.max_missed);
  if (h.policy == heartbeat_policy::text_ping)
    text += " text_ping_message=" + h.text_ping_message;
  return text;
}

std::string limits_line(const connection_config& cfg) {
  return "max_message_size=" + std::to_string(cfg.max_message_size) +
         " max_write_queue=" + std::to_string(cfg.max_write_queue) +
         " max_pending_requests=" + std::to_string(cfg.max_pending_requests) +
         " latency_buffer_size=" + std::to_string(cfg.latency_buffer_size) +
         " record_to=" + quoted(cfg.record_to) + " tcp_nodelay=" + to_text(cfg.tcp_nodelay) +
         " user_agent=" + quoted(cfg.user_agent);
}

std::string to_text(const tls_config& t) {
  return std::string{"tls: insecure="} + to_text(t.insecure) + " ca_file=" + quoted(t.ca_file) +
         " cert_file=" + quoted(t.cert_file) + " key_file=" + quoted(t.key_file) +
         " server_name=" + quoted(t.server_name);
}

std::string to_text(const proxy_config& p) {
  return "proxy: url=" + quoted(masked_url(p.url)) + " username=" + quoted(p.username) +
         " password=" + masked_secret(p.password);
}

std::string to_text(const compression_config& c) {
  return std::string{"compression: enabled="} + to_text(c.enabled) +
         " client_max_window_bits=" + std::to_string(c.client_max_window_bits) +
         " server_max_window_bits=" + std::to_string(c.server_max_window_bits) +
         " client_no_context_takeover=" + to_text(c.client_no_context_takeover) +
         " server_no_context_takeover=" + to_text(c.server_no_context_takeover);
}

// -- comparing ------------------------------------------------------------------------------------

bool same(const header& a, const header& b) {
  return a.name == b.name && a.value == b.value;
}

bool same(const timeouts_config& a, const timeouts_config& b) {
  return a.connect == b.connect && a.tls == b.tls && a.upgrade == b.upgrade &&
         a.request == b.request && a.close == b.close;
}

bool same(const reconnect_config& a, const reconnect_config& b) {
  return a.enabled == b.enabled && a.retry_count == b.retry_count &&
         a.retry_delay == b.retry_delay && a.max_backoff == b.max_backoff && a.jitter == b.jitter &&
         a.stable_after == b.stable_after && a.immediate_first_retry == b.immediate_first_retry;
}

bool same(const heartbeat_config& a, const heartbeat_config& b) {
  return a.policy == b.policy && a.interval == b.interval && a.max_missed == b.max_missed &&
         a.text_ping_message == b.text_ping_message;
}

bool same(const tls_config& a, const tls_config& b) {
  return a.insecure == b.insecure && a.ca_file == b.ca_file && a.cert_file == b.cert_file &&
         a.key_file == b.key_file && a.server_name == b.server_name;
}

bool same(const proxy_config& a, const proxy_config& b) {
  return a.url == b.url && a.username == b.username && a.password == b.password;
}

bool same(const compression_config& a, const compression_config& b) {
  return a.enabled == b.enabled && a.client_max_window_bits == b.client_max_window_bits &&
         a.server_max_window_bits == b.server_max_window_bits &&
         a.client_no_context_takeover == b.client_no_context_takeover &&
         a.server_no_context_takeover == b.server_no_context_takeover;
}

bool same(const std::vector<header>& a, const std::vector<header>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const header& x, const header& y) { return same(x, y); });
}

} // namespace

// -- connection_config ----------------------------------------------------------------------------

bool connection_config::operator==(const connection_config& other) const {
  return url == other.url && same(headers, other.headers) && subprotocols == other.subprotocols &&
         same(timeouts, other.timeouts) && same(reconnect, other.reconnect) &&
         same(heartbeat, other.heartbeat) && max_message_size == other.max_message_size &&
         max_write_queue == other.max_write_queue &&
         max_pending_requests == other.max_pending_requests &&
         latency_buffer_size == other.latency_buffer_size && record_to == other.record_to &&
         same(tls, other.tls) && same(proxy, other.proxy) && same(compression, other.compression) &&
         tcp_nodelay == other.tcp_nodelay && user_agent == other.user_agent;
}

// -- validation -----------------------------------------------------------------------------------

std::string config_error::to_string() const {
  return "invalid " + field + ": " + reason;
}

std::vector<config_error> validate(const connection_config& cfg) {
  problems out;
  check_url(out, cfg.url);
  check_headers(out, cfg.headers);
  check_subprotocols(out, cfg.subprotocols);
  check_timeouts(out, cfg.timeouts);
  check_reconnect(out, cfg.reconnect);
  check_heartbeat(out, cfg.heartbeat);
  check_limits(out, cfg);
  check_tls(out, cfg.tls);
  check_proxy(out, cfg.proxy);
  check_compression(out, cfg.compression);
  check_user_agent(out, cfg.user_agent);
  return out.take();
}

std::string describe(const std::vector<config_error>& errors) {
  std::string result;
  for (const auto& error : errors) {
    if (!result.empty())
      result += "; ";
    result += error.to_string();
  }
  return result;
}

// -- printing -------------------------------------------------------------------------------------

std::string to_string(const connection_config& cfg) {
  return connection_line(cfg) + "\n" + to_text(cfg.timeouts) + "\n" + to_text(cfg.reconnect) +
         "\n" + to_text(cfg.heartbeat) + "\n" + limits_line(cfg) + "\n" + to_text(cfg.tls) + "\n" +
         to_text(cfg.proxy) + "\n" + to_text(cfg.compression);
}

const char* to_string(heartbeat_policy policy) noexcept {
  return to_text(policy);
}

} // namespace zenws
