#include "zenws/adapters/okx.hpp"

#include <algorithm>
#include <utility>

#include "zenws/adapters/detail/json.hpp"
#include "zenws/protocol/detail/json_parse.hpp"
#include "zenws/protocol/hmac.hpp"
#include "zenws/protocol/substring.hpp"

namespace zenws::okx {

namespace {

using adapters_detail::code_of;
using adapters_detail::digits_id;
using adapters_detail::member;
using adapters_detail::string_member;
using adapters_detail::to_json;
using adapters_detail::view;

std::int64_t system_clock_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The error an event or a trading answer carries.
void read_error(const rapidjson::Value& doc, inbound& out) {
  out.what = json_rpc::kind::error;
  out.error_code = code_of(member(doc, "code"));
  out.error_message = std::string{string_member(doc, "msg")};
  // Trading answers explain each refused order in data[i].sCode / sMsg.
  if (const auto* data = member(doc, "data"); data && data->IsArray() && !data->Empty()) {
    const auto& first = (*data)[0];
    const auto s_msg = string_member(first, "sMsg");
    if (!s_msg.empty())
      out.error_message +=
          " (" + std::string{string_member(first, "sCode")} + " " + std::string{s_msg} + ")";
  }
}

/// Canonical channel names, so that a requested name and an acknowledged arg compare equal.
std::optional<std::string> canonical(std::string_view channel) {
  const auto arg = channel_arg(channel);
  return arg ? channel_name(*arg) : std::nullopt;
}

} // namespace

// -- channels and login ---------------------------------------------------------------------------

std::optional<std::string> channel_arg(std::string_view channel) {
  std::vector<std::pair<std::string_view, std::string_view>> members;
  auto head = channel.substr(0, channel.find(','));
  auto rest = head.size() < channel.size() ? channel.substr(head.size() + 1) : std::string_view{};
  const auto colon = head.find(':');
  members.emplace_back("channel", head.substr(0, colon));
  if (colon != std::string_view::npos)
    members.emplace_back("instId", head.substr(colon + 1));
  while (!rest.empty()) {
    const auto item = rest.substr(0, rest.find(','));
    rest = item.size() < rest.size() ? rest.substr(item.size() + 1) : std::string_view{};
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return std::nullopt;
    members.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  std::string out = "{";
  for (const auto& [name, value] : members) {
    if (value.empty())
      return std::nullopt;
    if (out.size() > 1)
      out += ',';
    append_json_string(out, name);
    out += ':';
    append_json_string(out, value);
  }
  return out + "}";
}

std::optional<std::string> channel_name(std::string_view arg_json) {
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, arg_json) || !doc.IsObject())
    return std::nullopt;
  const auto channel = string_member(doc, "channel");
  if (channel.empty())
    return std::nullopt;
  std::string out{channel};
  if (const auto inst = string_member(doc, "instId"); !inst.empty())
    out += ":" + std::string{inst};
  std::vector<std::string> extras;
  for (const auto& m : doc.GetObject()) {
    const auto name = view(m.name);
    if (name == "channel" || name == "instId" || !m.value.IsString())
      continue;
    extras.push_back(std::string{name} + "=" + std::string{view(m.value)});
  }
  std::sort(extras.begin(), extras.end());
  for (const auto& e : extras)
    out += "," + e;
  return out;
}

std::string login_args(const credentials& c, std::int64_t timestamp_seconds) {
  const auto timestamp = std::to_string(timestamp_seconds);
  const auto sign = hmac_sha256_base64(c.secret_key, timestamp + "GET" + "/users/self/verify");
  std::string out = "[{\"apiKey\":";
  append_json_string(out, c.api_key);
  out += ",\"passphrase\":";
  append_json_string(out, c.passphrase);
  out += ",\"timestamp\":";
  append_json_string(out, timestamp);
  out += ",\"sign\":";
  append_json_string(out, sign);
  return out + "}]";
}

// -- dialect --------------------------------------------------------------------------------------

std::unique_ptr<wire_dialect> dialect::clone() const {
  return std::make_unique<dialect>();
}

void dialect::reset() {
  login_.reset();
  acks_.clear();
}

std::string dialect::request(json_rpc::request_id id, std::string_view method,
                             std::string_view params) {
  if (method == "login")
    login_ = id; // its answer may come without the id
  std::string out = "{\"id\":\"" + std::to_string(id) + "\",\"op\":";
  append_json_string(out, method);
  return out + ",\"args\":" + adapters_detail::as_array(params) + "}";
}

bool dialect::worth_reading(std::string_view text) const {
  return contains(text, "\"event\"") || contains(text, "\"op\"");
}

inbound dialect::read(std::string_view text) {
  inbound out;
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, text))
    return out;
  out.what = json_rpc::kind::other;
  if (!doc.IsObject())
    return out;
  const auto id = digits_id(member(doc, "id"));
  const auto event = string_member(doc, "event");
  if (event == "login") {
    out.id = id ? id : std::exchange(login_, std::nullopt);
    out.what = json_rpc::kind::response;
    out.result = to_json(doc);
    return out;
  }
  if (event == "subscribe" || event == "unsubscribe") {
    const auto* arg = member(doc, "arg");
    return read_ack(id, arg ? channel_name(to_json(*arg)).value_or("") : "");
  }
  if (event == "error") {
    read_error(doc, out);
    out.id = id ? id : std::exchange(login_, std::nullopt);
    if (out.id)
      acks_.erase(*out.id);
    return out;
  }
  if (event == "notice") {
    if (code_of(member(doc, "code")) == 64008)
      out.what = json_rpc::kind::shutdown;
    return out;
  }
  if (!event.empty() || !member(doc, "op") || !member(doc, "code"))
    return out; // other events (channel-conn-count) and pushes go to the handler
  out.id = id;
  if (code_of(member(doc, "code")) != 0) {
    read_error(doc, out);
    return out;
  }
  out.what = json_rpc::kind::response;
  const auto* data = member(doc, "data");
  out.result = data ? to_json(*data) : "null";
  return out;
}

inbound dialect::read_ack(std::optional<json_rpc::request_id> id, std::string channel) {
  inbound out;
  out.what = json_rpc::kind::other;
  if (!id)
    return out;
  const auto it = acks_.find(*id);
  if (it == acks_.end())
    return out;
  auto& w = it->second;
  if (const auto at = std::find(w.missing.begin(), w.missing.end(), channel);
      at != w.missing.end()) {
    w.missing.erase(at);
    w.acked.push_back(std::move(channel));
  }
  out.id = id;
  if (!w.missing.empty()) {
    out.what = json_rpc::kind::partial;
    return out;
  }
  out.what = json_rpc::kind::response;
  out.result = json_string_list(w.acked);
  acks_.erase(it);
  return out;
}

std::string dialect::subscription_request(json_rpc::request_id id, subscription_op op,
                                          const std::vector<std::string>& channels) {
  std::string args = "[";
  waiting_acks w;
  for (const auto& channel : channels) {
    if (args.size() > 1)
      args += ',';
    args += channel_arg(channel).value_or("{}"); // check_channels let only valid ones through
    w.missing.push_back(canonical(channel).value_or(channel));
  }
  args += ']';
  acks_[id] = std::move(w);
  return "{\"id\":\"" + std::to_string(id) + "\",\"op\":\"" + subscription_method(op) +
         "\",\"args\":" + args + "}";
}

std::string dialect::subscription_method(subscription_op op) const {
  return op == subscription_op::subscribe ? "subscribe" : "unsubscribe";
}

std::vector<std::string> dialect::confirmed(const inbound& answer,
                                            const std::vector<std::string>& requested) {
  const auto acked = json_rpc::string_array(answer.result).value_or(std::vector<std::string>{});
  std::vector<std::string> out;
  for (const auto& channel : requested)
    if (std::find(acked.begin(), acked.end(), canonical(channel).value_or(channel)) != acked.end())
      out.push_back(channel);
  return out;
}

failure dialect::check_channels(subscription_op, const std::vector<std::string>& channels,
                                std::size_t) const {
  for (const auto& channel : channels)
    if (!channel_arg(channel))
      return {errc::bad_channel,
              "\"" + channel + "\" is not an OKX channel (channel[:instId][,name=value...])", 0, 0};
  return {};
}

venue_adapter adapter(settings s) {
  venue_adapter out;
  out.options.dialect = std::make_shared<dialect>();
  out.heartbeat.policy = heartbeat_policy::text_ping;
  out.heartbeat.text_ping_message = "ping";
  out.heartbeat.interval = s.ping_interval;
  out.heartbeat.max_missed = s.missed_pongs;
  if (!s.login.api_key.empty()) {
    auto clock = s.clock_seconds ? s.clock_seconds : system_clock_seconds;
    out.options.bootstrap = [login = std::move(s.login), clock = std::move(clock)] {
      return std::vector<bootstrap_call>{{"login", login_args(login, clock())}};
    };
  }
  return out;
}

} // namespace zenws::okx
