#include "zenws/adapters/json_rpc.hpp"

#include <utility>

#include "zenws/adapters/detail/json.hpp"
#include "zenws/protocol/detail/json_parse.hpp"

namespace zenws::generic_json_rpc {

namespace {

json_rpc_dialect_options ethereum_methods() {
  json_rpc_dialect_options options;
  options.subscribe_method = "eth_subscribe";
  options.unsubscribe_method = "eth_unsubscribe";
  options.style = json_rpc_dialect_options::params_style::list;
  return options;
}

/// eth_subscribe's params for a channel: ["kind"] or ["logs",<filter>].
std::string subscribe_params(const std::string& channel) {
  const auto colon = channel.find(':');
  std::string out = "[";
  append_json_string(out, std::string_view{channel}.substr(0, colon));
  if (colon != std::string::npos)
    out += "," + channel.substr(colon + 1);
  return out + "]";
}

} // namespace

venue_adapter adapter(settings s) {
  venue_adapter out;
  out.options.dialect = std::make_shared<json_rpc_dialect>(std::move(s.dialect));
  if (!s.bootstrap.empty())
    out.options.bootstrap = [calls = std::move(s.bootstrap)] { return calls; };
  out.heartbeat = std::move(s.heartbeat);
  return out;
}

ethereum_dialect::ethereum_dialect() : json_rpc_dialect(ethereum_methods()) {}

std::unique_ptr<wire_dialect> ethereum_dialect::clone() const {
  return std::make_unique<ethereum_dialect>();
}

void ethereum_dialect::reset() {
  ids_.clear(); // a new socket holds no subscriptions
}

std::string ethereum_dialect::subscription_request(json_rpc::request_id id, subscription_op op,
                                                   const std::vector<std::string>& channels) {
  const auto& channel = channels.front(); // check_channels: exactly one
  if (op == subscription_op::subscribe)
    return request(id, subscription_method(op), subscribe_params(channel));
  std::string params = "[";
  append_json_string(params, ids_[channel]);
  return request(id, subscription_method(op), params + "]");
}

std::vector<std::string> ethereum_dialect::confirmed(const inbound& answer,
                                                     const std::vector<std::string>& requested) {
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, answer.result) || requested.size() != 1)
    return {};
  if (doc.IsString()) { // eth_subscribe: the server's id for the channel
    ids_[requested.front()] = std::string{adapters_detail::view(doc)};
    return requested;
  }
  if (doc.IsBool() && doc.GetBool()) { // eth_unsubscribe: true
    ids_.erase(requested.front());
    return requested;
  }
  return {};
}

failure ethereum_dialect::check_channels(subscription_op op,
                                         const std::vector<std::string>& channels,
                                         std::size_t) const {
  if (channels.size() != 1)
    return {errc::bad_channel,
            "eth_subscribe and eth_unsubscribe take one channel per request, not " +
                std::to_string(channels.size()),
            0, 0};
  const auto& channel = channels.front();
  if (op == subscription_op::unsubscribe && ids_.count(channel) == 0)
    return {errc::bad_channel, "\"" + channel + "\" is not subscribed on this connection", 0, 0};
  if (op == subscription_op::subscribe) {
    const auto colon = channel.find(':');
    if (colon != std::string::npos && json_rpc::check_params("[" + channel.substr(colon + 1) + "]"))
      return {errc::bad_channel, "the filter of \"" + channel + "\" is not JSON", 0, 0};
  }
  return {};
}

venue_adapter ethereum(heartbeat_config heartbeat) {
  venue_adapter out;
  out.options.dialect = std::make_shared<ethereum_dialect>();
  out.heartbeat = std::move(heartbeat);
  return out;
}

} // namespace zenws::generic_json_rpc
