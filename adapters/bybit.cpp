#include "zenws/adapters/bybit.hpp"

#include <utility>

#include "zenws/adapters/detail/json.hpp"
#include "zenws/protocol/detail/json_parse.hpp"
#include "zenws/protocol/hmac.hpp"
#include "zenws/protocol/substring.hpp"

namespace zenws::bybit {

namespace {

using adapters_detail::digits_id;
using adapters_detail::member;
using adapters_detail::string_member;
using adapters_detail::to_json;

std::int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string frame(json_rpc::request_id id, std::string_view op, const std::string& args) {
  std::string out = "{\"req_id\":\"" + std::to_string(id) + "\",\"op\":";
  append_json_string(out, op);
  if (!args.empty())
    out += ",\"args\":" + args;
  return out + "}";
}

} // namespace

std::string auth_args(const credentials& c, std::int64_t expires_ms) {
  const auto expires = std::to_string(expires_ms);
  std::string out = "[";
  append_json_string(out, c.api_key);
  out += "," + expires + ",";
  append_json_string(out, hmac_sha256_hex(c.api_secret, "GET/realtime" + expires));
  return out + "]";
}

std::unique_ptr<wire_dialect> dialect::clone() const {
  return std::make_unique<dialect>(max_args_chars_);
}

std::string dialect::request(json_rpc::request_id id, std::string_view method,
                             std::string_view params) {
  waiting_by_op_[std::string{method}] = id;
  return frame(id, method, params.empty() ? std::string{} : adapters_detail::as_array(params));
}

bool dialect::worth_reading(std::string_view text) const {
  return contains(text, "\"success\"") || contains(text, "\"retCode\"");
}

inbound dialect::read(std::string_view text) {
  inbound out;
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, text))
    return out;
  out.what = json_rpc::kind::other;
  if (!doc.IsObject())
    return out;
  const auto op = string_member(doc, "op");
  out.id = digits_id(member(doc, "req_id"));
  if (!out.id)
    out.id = digits_id(member(doc, "reqId"));
  if (!out.id) { // the auth answer: the newest request of that op
    if (const auto it = waiting_by_op_.find(op); it != waiting_by_op_.end())
      out.id = it->second;
  }
  if (out.id)
    if (const auto it = waiting_by_op_.find(op);
        it != waiting_by_op_.end() && it->second == *out.id)
      waiting_by_op_.erase(it);
  if (const auto* success = member(doc, "success"); success && success->IsBool()) {
    out.what = success->GetBool() ? json_rpc::kind::response : json_rpc::kind::error;
    out.error_message = std::string{string_member(doc, "ret_msg")};
    out.result = to_json(doc);
    return out;
  }
  if (const auto* code = member(doc, "retCode"); code && code->IsInt64()) {
    out.what = code->GetInt64() == 0 ? json_rpc::kind::response : json_rpc::kind::error;
    out.error_code = code->GetInt64();
    out.error_message = std::string{string_member(doc, "retMsg")};
    const auto* data = member(doc, "data");
    out.result = data ? to_json(*data) : "null";
    return out;
  }
  out.id.reset();
  return out;
}

std::string dialect::subscription_request(json_rpc::request_id id, subscription_op op,
                                          const std::vector<std::string>& channels) {
  return frame(id, subscription_method(op), json_string_list(channels));
}

std::string dialect::subscription_method(subscription_op op) const {
  return op == subscription_op::subscribe ? "subscribe" : "unsubscribe";
}

std::vector<std::string> dialect::confirmed(const inbound&,
                                            const std::vector<std::string>& requested) {
  return requested; // success covers every topic; a failure arrives as an error
}

failure dialect::check_channels(subscription_op, const std::vector<std::string>& channels,
                                std::size_t) const {
  std::size_t chars = 0;
  for (const auto& topic : channels) {
    if (topic.empty() || topic.find_first_of(" \"\\") != std::string::npos)
      return {errc::bad_channel, "\"" + topic + "\" is not a Bybit topic", 0, 0};
    chars += topic.size();
  }
  if (chars > max_args_chars_)
    return {errc::bad_channel,
            std::to_string(chars) + " characters of topics exceed Bybit's " +
                std::to_string(max_args_chars_) + " per request",
            0, 0};
  return {};
}

venue_adapter adapter(settings s) {
  venue_adapter out;
  out.options.dialect = std::make_shared<dialect>(s.max_args_chars);
  out.heartbeat.policy = heartbeat_policy::text_ping;
  out.heartbeat.text_ping_message = R"({"op":"ping"})";
  out.heartbeat.interval = s.ping_interval;
  out.heartbeat.max_missed = s.missed_pongs;
  if (!s.auth.api_key.empty()) {
    auto clock = s.clock_ms ? s.clock_ms : system_clock_ms;
    out.options.bootstrap = [auth = std::move(s.auth), clock = std::move(clock),
                             validity = s.auth_validity.count()] {
      return std::vector<bootstrap_call>{{"auth", auth_args(auth, clock() + validity)}};
    };
  }
  return out;
}

} // namespace zenws::bybit
