// The Ethereum JSON-RPC venue responder: envelope, eth_subscribe/eth_unsubscribe and the plain
// reads. Rules are listed in ethereum_venue.hpp; this file follows that list top to bottom.

#include "zenws/testing/ethereum_venue.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <random>
#include <utility>

#include "zenws/protocol/detail/json_parse.hpp"

namespace zenws::testing {

// -- state ---------------------------------------------------------------------------------------

ethereum_session ethereum_venue_state::session(session_id id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? ethereum_session{} : it->second;
}

std::vector<session_id> ethereum_venue_state::sessions() const {
  std::lock_guard<std::mutex> lock{mutex_};
  std::vector<session_id> ids;
  for (const auto& entry : sessions_)
    ids.push_back(entry.first);
  return ids;
}

std::optional<session_id> ethereum_venue_state::owner(const std::string& subscription_id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  for (const auto& [id, session] : sessions_)
    for (const auto& s : session.subscriptions)
      if (s.id == subscription_id)
        return id;
  return std::nullopt;
}

void ethereum_venue_state::update(session_id id,
                                  const std::function<void(ethereum_session&)>& change) {
  std::lock_guard<std::mutex> lock{mutex_};
  change(sessions_[id]);
}

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string text_of(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  json_writer writer{buffer};
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

/// A result or an error, before it is wrapped with the request's id.
struct outcome {
  std::string result; ///< JSON text; used when code is 0
  int code = 0;
  std::string message;
};

outcome failure(int code, std::string message) {
  return {{}, code, std::move(message)};
}
outcome success(std::string result_json) {
  return {std::move(result_json), 0, {}};
}
outcome quoted(const std::string& text) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return success(buffer.GetString());
}

/// The full answer; `id` null when nullptr.
std::string envelope(const rapidjson::Value* id, const outcome& o) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  put(w, "jsonrpc", "2.0");
  w.Key("id");
  if (id)
    id->Accept(w);
  else
    w.Null();
  if (o.code == 0) {
    w.Key("result");
    w.RawValue(o.result.data(), o.result.size(), rapidjson::kObjectType);
  } else {
    w.Key("error");
    w.StartObject();
    w.Key("code");
    w.Int(o.code);
    put(w, "message", o.message);
    w.EndObject();
  }
  w.EndObject();
  return buffer.GetString();
}

// -- the venue -----------------------------------------------------------------------------------

struct ethereum_context {
  ethereum_venue_options options;
  std::mt19937_64 random;

  std::string fresh_id() {
    static constexpr char digits[] = "0123456789abcdef";
    std::string id = "0x";
    for (int half = 0; half < 2; ++half) {
      auto bits = random();
      for (int i = 0; i < 16; ++i, bits >>= 4)
        id += digits[bits & 0xf];
    }
    return id;
  }
};

outcome subscribe(ethereum_context& ctx, ethereum_session& session,
                  const rapidjson::Value& params) {
  if (params.Empty())
    return failure(-32602, "missing value for required argument 0");
  const auto& kind_value = params[0];
  const std::string kind = kind_value.IsString() ? kind_value.GetString() : text_of(kind_value);
  ethereum_subscription s{{}, kind, {}};
  if (kind_value.IsString() && kind == "newHeads") {
    if (params.Size() > 1)
      return failure(-32602, "too many arguments, want at most 1");
  } else if (kind_value.IsString() && kind == "newPendingTransactions") {
    if (params.Size() > 2)
      return failure(-32602, "too many arguments, want at most 2");
    if (params.Size() == 2 && !params[1].IsBool())
      return failure(-32602, "invalid argument 1: json: cannot unmarshal into bool");
  } else if (kind_value.IsString() && kind == "logs") {
    if (params.Size() > 2)
      return failure(-32602, "too many arguments, want at most 2");
    if (params.Size() == 2) {
      if (!params[1].IsObject())
        return failure(-32602, "invalid argument 1: json: cannot unmarshal into filter object");
      s.filter = text_of(params[1]);
    }
  } else {
    return failure(-32602, "no \"" + kind + "\" subscription in eth namespace");
  }
  s.id = ctx.fresh_id();
  session.subscriptions.push_back(s);
  return quoted(s.id);
}

outcome unsubscribe(ethereum_session& session, const rapidjson::Value& params) {
  if (params.Empty())
    return failure(-32602, "missing value for required argument 0");
  if (!params[0].IsString())
    return failure(-32602, "invalid argument 0: json: cannot unmarshal into string");
  const std::string id = params[0].GetString();
  auto& subs = session.subscriptions;
  const auto it = std::find_if(subs.begin(), subs.end(), [&](const auto& s) { return s.id == id; });
  if (it == subs.end())
    return success("false");
  subs.erase(it);
  return success("true");
}

outcome call(ethereum_context& ctx, ethereum_session& session, const std::string& method,
             const rapidjson::Value& params) {
  if (method == "eth_subscribe")
    return subscribe(ctx, session, params);
  if (method == "eth_unsubscribe")
    return unsubscribe(session, params);
  if (method == "eth_blockNumber")
    return quoted(ctx.options.block_number);
  if (method == "eth_chainId")
    return quoted(ctx.options.chain_id);
  return failure(-32601, "the method " + method + " does not exist/is not available");
}

std::vector<frame> answer(ethereum_context& ctx, ethereum_session& session,
                          const std::string& text) {
  const auto reply = [](const rapidjson::Value* id, const outcome& o) {
    return std::vector<frame>{frame{0, false, envelope(id, o)}};
  };
  rapidjson::Document doc;
  if (!zenws::detail::parse_json(doc, text))
    return reply(nullptr, failure(-32700, "parse error"));
  if (!doc.IsObject())
    return reply(nullptr, failure(-32600, "invalid request"));
  const auto id = doc.FindMember("id");
  const bool has_id = id != doc.MemberEnd();
  if (has_id && !id->value.IsNumber() && !id->value.IsString() && !id->value.IsNull())
    return reply(nullptr, failure(-32600, "invalid request"));
  const rapidjson::Value* id_value = has_id ? &id->value : nullptr;
  const auto version = doc.FindMember("jsonrpc");
  const auto method = doc.FindMember("method");
  if (version == doc.MemberEnd() || !version->value.IsString() ||
      std::string{version->value.GetString()} != "2.0" || method == doc.MemberEnd() ||
      !method->value.IsString())
    return reply(id_value, failure(-32600, "invalid request"));
  if (!has_id)
    return {}; // a notification
  const rapidjson::Value no_params{rapidjson::kArrayType};
  const auto params = doc.FindMember("params");
  const auto& params_value = params == doc.MemberEnd() ? no_params : params->value;
  if (!params_value.IsArray())
    return reply(id_value, failure(-32602, "non-array args"));
  return reply(id_value, call(ctx, session, method->value.GetString(), params_value));
}

} // namespace

responder ethereum_venue(ethereum_venue_options options) {
  auto state = options.state ? options.state : std::make_shared<ethereum_venue_state>();
  auto ctx = std::make_shared<ethereum_context>();
  ctx->options = std::move(options);
  ctx->random.seed((std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}());
  return [ctx, state](const frame& f) -> std::vector<frame> {
    if (f.binary)
      return {};
    std::vector<frame> replies;
    state->update(f.session,
                  [&](ethereum_session& session) { replies = answer(*ctx, session, f.data); });
    return replies;
  };
}

std::string eth_subscription_notification(const std::string& subscription_id,
                                          const std::string& result_json) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  put(w, "jsonrpc", "2.0");
  put(w, "method", "eth_subscription");
  w.Key("params");
  w.StartObject();
  put(w, "subscription", subscription_id);
  w.Key("result");
  w.RawValue(result_json.data(), result_json.size(), rapidjson::kObjectType);
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

} // namespace zenws::testing
