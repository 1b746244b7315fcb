#include "zenws/adapters/binance.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "zenws/adapters/detail/json.hpp"
#include "zenws/protocol/detail/json_parse.hpp"
#include "zenws/protocol/hmac.hpp"
#include "zenws/protocol/substring.hpp"
#include "zenws/protocol/venue_rate_limits.hpp"

namespace zenws::binance {

namespace {

using adapters_detail::member;
using adapters_detail::to_json;
using adapters_detail::view;

bool mentions_shutdown(std::string_view text) {
  return contains(text, "serverShutdown");
}

std::int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json_rpc_dialect_options stream_control_messages() {
  json_rpc_dialect_options options;
  options.subscribe_method = "SUBSCRIBE";
  options.unsubscribe_method = "UNSUBSCRIBE";
  options.style = json_rpc_dialect_options::params_style::list;
  options.jsonrpc_member = false;
  return options;
}

/// One signed parameter: its name, its JSON text, and its text in the signature payload.
struct param {
  std::string name;
  std::string json;
  std::string plain;
};

param make_param(std::string name, const rapidjson::Value& value) {
  auto json = to_json(value);
  auto plain = value.IsString() ? std::string{view(value)} : json;
  return {std::move(name), std::move(json), std::move(plain)};
}

param string_param(std::string name, const std::string& value) {
  std::string json;
  append_json_string(json, value);
  return {std::move(name), std::move(json), value};
}

param number_param(std::string name, std::int64_t value) {
  auto text = std::to_string(value);
  return {std::move(name), text, text};
}

std::optional<std::vector<param>> object_params(std::string_view params_json) {
  std::vector<param> out;
  if (params_json.empty())
    return out;
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, params_json) || !doc.IsObject())
    return std::nullopt;
  for (const auto& m : doc.GetObject())
    if (view(m.name) != "signature")
      out.push_back(make_param(std::string{view(m.name)}, m.value));
  return out;
}

bool has(const std::vector<param>& params, std::string_view name) {
  return std::any_of(params.begin(), params.end(), [&](const param& p) { return p.name == name; });
}

std::string payload_of(std::vector<param>& params) {
  std::sort(params.begin(), params.end(),
            [](const param& a, const param& b) { return a.name < b.name; });
  std::string payload;
  for (const auto& p : params) {
    if (!payload.empty())
      payload += '&';
    payload += p.name;
    payload += '=';
    payload += p.plain;
  }
  return payload;
}

std::string method_without_version(std::string_view method) {
  if (const auto slash = method.find('/'); slash != std::string_view::npos)
    method.remove_prefix(slash + 1);
  return std::string{method};
}

/// The error member of an answer, with retryAfter when the venue sent one.
void read_api_error(const rapidjson::Value& error, inbound& out) {
  if (const auto* code = member(error, "code"); code && code->IsInt64())
    out.error_code = code->GetInt64();
  if (const auto* msg = member(error, "msg"); msg && msg->IsString())
    out.error_message = std::string{view(*msg)};
  if (const auto* data = member(error, "data"))
    if (const auto* retry = member(*data, "retryAfter"); retry && retry->IsInt64())
      out.error_message += " (retry after " + std::to_string(retry->GetInt64()) + ")";
}

} // namespace

// -- streams --------------------------------------------------------------------------------------

bool valid_stream_name(std::string_view name) noexcept {
  const auto at = name.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == name.size())
    return false;
  const auto symbol = name.substr(0, at);
  const bool market_wide = symbol.front() == '!';
  for (std::size_t i = market_wide ? 1 : 0; i < symbol.size(); ++i) {
    const char c = symbol[i];
    const bool ok = market_wide ? std::isalnum(static_cast<unsigned char>(c)) != 0
                                : (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok)
      return false;
  }
  for (const char c : name.substr(at + 1))
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '@' && c != '_')
      return false;
  return true;
}

stream_dialect::stream_dialect(std::size_t max_streams)
    : json_rpc_dialect(stream_control_messages()), max_streams_(max_streams) {}

std::unique_ptr<wire_dialect> stream_dialect::clone() const {
  return std::make_unique<stream_dialect>(max_streams_);
}

bool stream_dialect::worth_reading(std::string_view text) const {
  return json_rpc_dialect::worth_reading(text) || mentions_shutdown(text);
}

inbound stream_dialect::read(std::string_view text) {
  auto msg = json_rpc_dialect::read(text);
  if (msg.what == json_rpc::kind::other && mentions_shutdown(text))
    msg.what = json_rpc::kind::shutdown;
  return msg;
}

failure stream_dialect::check_channels(subscription_op op, const std::vector<std::string>& channels,
                                       std::size_t held) const {
  for (const auto& name : channels)
    if (!valid_stream_name(name))
      return {errc::bad_channel,
              "\"" + name + "\" is not a Binance stream name (lowercase symbol@type)", 0, 0};
  if (op == subscription_op::subscribe && held + channels.size() > max_streams_)
    return {errc::bad_channel,
            std::to_string(held) + " streams held and " + std::to_string(channels.size()) +
                " more would exceed " + std::to_string(max_streams_) + " per connection",
            0, 0};
  return {};
}

venue_adapter streams(stream_settings settings) {
  venue_adapter out;
  out.options.dialect = std::make_shared<stream_dialect>(settings.max_streams);
  auto& limits = out.options.rate_limit;
  // One frame of headroom: frames spaced exactly by the limit can arrive closer together.
  limits.limits = binance_stream_rate_limits(
      std::max<std::uint64_t>(1, settings.messages_per_second - 1), settings.max_queue);
  limits.request_cost = [](std::string_view) { return binance_stream_cost(); };
  limits.frame_cost = binance_stream_cost();
  limits.heartbeat_cost = binance_stream_cost();
  out.options.max_lifetime = settings.lifetime;
  out.heartbeat.policy = heartbeat_policy::server_ping;
  out.heartbeat.interval = settings.ping_interval;
  out.heartbeat.max_missed = settings.missed_pings;
  return out;
}

// -- WebSocket API --------------------------------------------------------------------------------

bool is_signed(std::string_view method) noexcept {
  if (const auto slash = method.find('/'); slash != std::string_view::npos)
    method.remove_prefix(slash + 1);
  constexpr std::string_view prefixes[] = {"order.",          "orderList.", "openOrders.",
                                           "openOrderLists.", "sor.order.", "account."};
  constexpr std::string_view exact[] = {"allOrders",     "allOrderLists",
                                        "myTrades",      "myPreventedMatches",
                                        "myAllocations", "userDataStream.subscribe.signature"};
  for (const auto prefix : prefixes)
    if (method.substr(0, prefix.size()) == prefix)
      return true;
  return std::find(std::begin(exact), std::end(exact), method) != std::end(exact);
}

std::optional<std::string> signature_payload(std::string_view params_json) {
  auto params = object_params(params_json);
  if (!params)
    return std::nullopt;
  return payload_of(*params);
}

api_dialect::api_dialect(api_settings settings) : settings_(std::move(settings)) {
  if (!settings_.clock_ms)
    settings_.clock_ms = system_clock_ms;
}

std::unique_ptr<wire_dialect> api_dialect::clone() const {
  return std::make_unique<api_dialect>(settings_);
}

failure api_dialect::check_request(std::string_view method, std::string_view params) const {
  if (!params.empty() && params.front() != '{')
    return {errc::bad_json, "Binance WebSocket API params must be a JSON object", 0, 0};
  if (auto bad = wire_dialect::check_request(method, params))
    return bad;
  if (is_signed(method) &&
      (settings_.credentials.api_key.empty() || settings_.credentials.secret_key.empty()))
    return {errc::auth_failed, method_without_version(method) + " is SIGNED and no API key is set",
            0, 0};
  return {};
}

std::string api_dialect::signed_params(std::string_view params) const {
  auto fields = object_params(params).value_or(std::vector<param>{});
  if (!has(fields, "apiKey"))
    fields.push_back(string_param("apiKey", settings_.credentials.api_key));
  if (!has(fields, "timestamp"))
    fields.push_back(number_param("timestamp", settings_.clock_ms()));
  if (!has(fields, "recvWindow") && settings_.recv_window.count() > 0)
    fields.push_back(number_param("recvWindow", settings_.recv_window.count()));
  const auto signature = hmac_sha256_hex(settings_.credentials.secret_key, payload_of(fields));
  fields.push_back(string_param("signature", signature));
  std::string out = "{";
  for (const auto& p : fields) {
    if (out.size() > 1)
      out += ',';
    append_json_string(out, p.name);
    out += ':';
    out += p.json;
  }
  out += '}';
  return out;
}

std::string api_dialect::request(json_rpc::request_id id, std::string_view method,
                                 std::string_view params) {
  std::string out = "{\"id\":" + std::to_string(id) + ",\"method\":";
  append_json_string(out, method);
  const auto body = is_signed(method) ? signed_params(params) : std::string{params};
  if (!body.empty()) {
    out += ",\"params\":";
    out += body;
  }
  out += '}';
  return out;
}

bool api_dialect::worth_reading(std::string_view text) const {
  return contains(text, "\"id\"") || mentions_shutdown(text);
}

inbound api_dialect::read(std::string_view text) {
  inbound out;
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, text))
    return out;
  out.what = json_rpc::kind::other;
  if (!doc.IsObject())
    return out;
  if (const auto* event = member(doc, "event")) {
    if (const auto* e = member(*event, "e"); e && e->IsString() && view(*e) == "serverShutdown")
      out.what = json_rpc::kind::shutdown;
    return out; // user data events and the like go to the handler
  }
  const auto* id = member(doc, "id");
  if (!id)
    return out;
  if (id->IsInt64())
    out.id = id->GetInt64();
  if (const auto* status = member(doc, "status"); status && status->IsUint())
    out.status = static_cast<std::uint16_t>(std::min(status->GetUint(), 999U));
  if (const auto* limits = member(doc, "rateLimits"))
    out.meta = to_json(*limits);
  if (const auto* error = member(doc, "error"); error && !error->IsNull()) {
    out.what = json_rpc::kind::error;
    read_api_error(*error, out);
    return out;
  }
  if (const auto* result = member(doc, "result")) {
    out.what = json_rpc::kind::response;
    out.result = to_json(*result);
  }
  return out;
}

std::string api_dialect::subscription_request(json_rpc::request_id, subscription_op,
                                              const std::vector<std::string>&) {
  return {}; // never called: check_channels refuses every subscription
}

std::string api_dialect::subscription_method(subscription_op) const {
  return {};
}

std::vector<std::string> api_dialect::confirmed(const inbound&, const std::vector<std::string>&) {
  return {};
}

failure api_dialect::check_channels(subscription_op, const std::vector<std::string>&,
                                    std::size_t) const {
  return {errc::bad_channel,
          "the Binance WebSocket API has no channels: subscribe on a stream connection", 0, 0};
}

venue_adapter ws_api(api_settings settings) {
  venue_adapter out;
  auto& limits = out.options.rate_limit;
  limits.limits = binance_api_rate_limits(settings.weight_per_minute, settings.orders_per_10s,
                                          settings.max_queue);
  limits.request_cost = [](std::string_view method) { return binance_api_cost(method); };
  out.options.max_lifetime = settings.lifetime;
  out.heartbeat.policy = heartbeat_policy::server_ping;
  out.heartbeat.interval = settings.ping_interval;
  out.heartbeat.max_missed = settings.missed_pings;
  out.options.dialect = std::make_shared<api_dialect>(std::move(settings));
  return out;
}

} // namespace zenws::binance
