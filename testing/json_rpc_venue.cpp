#include "zenws/testing/json_rpc_venue.hpp"

#include <string_view>
#include <utility>
#include <vector>

#include "zenws/protocol/json_rpc.hpp"

namespace zenws::testing {

namespace {

/// The JSON array of the quoted strings in the first [...] of `request`, without those starting
/// with "bad". The venue's own requests never nest arrays, so text search is enough here.
std::string accepted_channels(std::string_view request) {
  std::string accepted = "[";
  auto pos = request.find('[');
  const auto end = request.find(']', pos);
  while (pos != std::string_view::npos && (pos = request.find('"', pos)) < end) {
    const auto close = request.find('"', pos + 1);
    const auto channel = request.substr(pos + 1, close - pos - 1);
    if (channel.substr(0, 3) != "bad") {
      if (accepted.size() > 1)
        accepted += ',';
      accepted.append("\"").append(channel).append("\"");
    }
    pos = close + 1;
  }
  return accepted + "]";
}

std::string answer(const json_rpc::message& request, std::string_view text) {
  const auto head = R"({"jsonrpc":"2.0","id":)" + std::to_string(*request.id);
  if (request.method == "fail")
    return head + R"(,"error":{"code":10000,"message":"refused"}})";
  if (request.method == "public/subscribe" || request.method == "public/unsubscribe")
    return head + R"(,"result":)" + accepted_channels(text) + "}";
  return head + R"(,"result":"ok"})";
}

} // namespace

responder json_rpc_venue(request_observer observer) {
  return [observer = std::move(observer)](const frame& f) -> std::vector<frame> {
    if (f.binary)
      return {};
    const auto request = json_rpc::classify(f.data);
    if (request.what != json_rpc::kind::request || !request.id)
      return {};
    if (observer)
      observer(request.method);
    if (request.method == "silent")
      return {};
    return {frame{0, false, answer(request, f.data)}};
  };
}

} // namespace zenws::testing
