#include "zenws/protocol/subscriptions.hpp"

#include <algorithm>
#include <utility>

namespace zenws {

namespace {

// JSON string escaping for channel names: they are venue identifiers, but a quote or a control
// character must still not break the frame.
void append_json_string(std::string& out, const std::string& s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += hex[u >> 4U];
      out += hex[u & 0xFU];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string params_for(subscription_dialect::params_style style,
                       const std::vector<std::string>& channels) {
  std::string list = "[";
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (i != 0)
      list += ',';
    append_json_string(list, channels[i]);
  }
  list += ']';
  if (style == subscription_dialect::params_style::list)
    return list;
  return "{\"channels\":" + list + "}";
}

} // namespace

std::string
subscription_dialect::subscribe_request(json_rpc::request_id id,
                                        const std::vector<std::string>& channels) const {
  return json_rpc::build_request(id, subscribe_method, params_for(style, channels));
}

std::string
subscription_dialect::unsubscribe_request(json_rpc::request_id id,
                                          const std::vector<std::string>& channels) const {
  return json_rpc::build_request(id, unsubscribe_method, params_for(style, channels));
}

std::vector<std::string>
subscription_dialect::confirmed(const json_rpc::message& response,
                                const std::vector<std::string>& requested) const {
  if (auto listed = json_rpc::string_array(response.result))
    return std::move(*listed);
  return requested;
}

bool subscription_dialect::operator==(const subscription_dialect& other) const {
  return subscribe_method == other.subscribe_method &&
         unsubscribe_method == other.unsubscribe_method && style == other.style;
}

void subscription_tracker::sent(json_rpc::request_id id, subscription_op op,
                                std::vector<std::string> channels) {
  if (op == subscription_op::unsubscribe)
    for (const auto& channel : channels)
      active_.erase(channel);
  pending_[id] = pending_op{op, std::move(channels)};
}

std::optional<subscription_outcome>
subscription_tracker::on_confirmed(json_rpc::request_id id,
                                   const std::vector<std::string>& accepted) {
  const auto it = pending_.find(id);
  if (it == pending_.end())
    return std::nullopt;
  pending_op op = std::move(it->second);
  pending_.erase(it);

  subscription_outcome out;
  out.op = op.op;
  const std::set<std::string> confirmed(accepted.begin(), accepted.end());
  for (auto& channel : op.channels) {
    const bool ok = confirmed.count(channel) != 0;
    if (op.op == subscription_op::subscribe) {
      if (ok)
        active_.insert(channel);
      else
        active_.erase(channel);
    }
    (ok ? out.accepted : out.rejected).push_back(std::move(channel));
  }
  return out;
}

std::optional<subscription_outcome> subscription_tracker::on_failed(json_rpc::request_id id,
                                                                    const failure& why) {
  const auto it = pending_.find(id);
  if (it == pending_.end())
    return std::nullopt;
  subscription_outcome out;
  out.op = it->second.op;
  out.rejected = std::move(it->second.channels);
  out.error = why;
  pending_.erase(it);
  return out;
}

} // namespace zenws
