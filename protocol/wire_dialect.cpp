#include "zenws/protocol/wire_dialect.hpp"

#include <algorithm>
#include <utility>

#include "zenws/protocol/substring.hpp"
#include "zenws/protocol/utf8.hpp"

namespace zenws {

void append_json_string(std::string& out, std::string_view s) {
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

std::string json_string_list(const std::vector<std::string>& items) {
  std::string list = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0)
      list += ',';
    append_json_string(list, items[i]);
  }
  list += ']';
  return list;
}

// -- dialect defaults -----------------------------------------------------------------------------

failure wire_dialect::check_request(std::string_view method, std::string_view params) const {
  if (!is_valid_utf8(method))
    return {errc::bad_json, "the method name is not UTF-8", 0, 0};
  return json_rpc::check_params(params);
}

failure wire_dialect::check_channels(subscription_op, const std::vector<std::string>&,
                                     std::size_t) const {
  return {};
}

// -- JSON-RPC -------------------------------------------------------------------------------------

json_rpc_dialect::json_rpc_dialect(json_rpc_dialect_options options)
    : options_(std::move(options)) {}

std::unique_ptr<wire_dialect> json_rpc_dialect::clone() const {
  return std::make_unique<json_rpc_dialect>(options_);
}

std::string json_rpc_dialect::request(json_rpc::request_id id, std::string_view method,
                                      std::string_view params) {
  return json_rpc::build_request(id, method, params, options_.jsonrpc_member);
}

bool json_rpc_dialect::worth_reading(std::string_view text) const {
  return contains(text, "\"id\"");
}

inbound json_rpc_dialect::read(std::string_view text) {
  return json_rpc::classify(text);
}

std::string json_rpc_dialect::subscription_request(json_rpc::request_id id, subscription_op op,
                                                   const std::vector<std::string>& channels) {
  auto params = json_string_list(channels);
  if (options_.style == json_rpc_dialect_options::params_style::channels_object)
    params = "{\"channels\":" + params + "}";
  return request(id, subscription_method(op), params);
}

std::string json_rpc_dialect::subscription_method(subscription_op op) const {
  return op == subscription_op::subscribe ? options_.subscribe_method : options_.unsubscribe_method;
}

std::vector<std::string> json_rpc_dialect::confirmed(const inbound& answer,
                                                     const std::vector<std::string>& requested) {
  const auto listed = json_rpc::string_array(answer.result);
  if (!listed)
    return requested;
  // Only what we asked for: a channel the server names on its own would otherwise be held and
  // restored after every reconnect (found by fuzz_dialects).
  std::vector<std::string> out;
  for (const auto& channel : requested)
    if (std::find(listed->begin(), listed->end(), channel) != listed->end() &&
        std::find(out.begin(), out.end(), channel) == out.end())
      out.push_back(channel);
  return out;
}

std::shared_ptr<const wire_dialect> default_dialect() {
  static const auto deribit = std::make_shared<const json_rpc_dialect>();
  return deribit;
}

} // namespace zenws
