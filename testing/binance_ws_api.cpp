// The Binance WebSocket API (/ws-api/v3): the request envelope, REQUEST_WEIGHT windows, 429s
// and bans. Signing is in binance_signing.cpp, the methods in binance_ws_api_methods.cpp.

#include <zenws/testing/detail/binance_ws_api.hpp>

#include "zenws/protocol/detail/json_parse.hpp"

namespace zenws::testing::detail {

namespace {

constexpr std::uint64_t connect_weight = 2;

// -- weight ----------------------------------------------------------------------------------

void roll_window(binance_state& state, steady_time now) {
  const auto index = (now - state.started) / state.options.weight_window;
  if (index != state.window) {
    state.window = index;
    state.window_weight = 0;
    state.window_429s = 0;
  }
}

std::int64_t window_end_ms(const binance_state& state, steady_time now, std::int64_t now_ms) {
  const auto end = state.started + (state.window + 1) * state.options.weight_window;
  return now_ms + std::chrono::duration_cast<milliseconds>(end - now).count();
}

std::uint64_t depth_weight(std::int64_t limit) {
  if (limit <= 100)
    return 5;
  if (limit <= 500)
    return 25;
  if (limit <= 1000)
    return 50;
  return 250;
}

/// The method's weight; nullopt for a method the simulator does not know.
std::optional<std::uint64_t> method_weight(std::string_view method, const request_params& p) {
  if (method == "ping" || method == "time" || method == "order.place" || method == "order.cancel")
    return 1;
  if (method == "depth")
    return depth_weight(integer(p.get("limit").value_or("100")).value_or(100));
  if (method == "account.status")
    return 20;
  return std::nullopt;
}

// -- envelope --------------------------------------------------------------------------------

/// The request fields the envelope needs; id null when the request could not be read.
struct envelope_input {
  const rapidjson::Value* id = nullptr;
  bool rate_limits = true;
};

std::string envelope(const binance_state& state, const envelope_input& in, const outcome& o) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("id");
  if (in.id)
    in.id->Accept(w);
  else
    w.Null();
  w.Key("status");
  w.Int(o.error ? o.error->status : 200);
  if (o.error) {
    w.Key("error");
    w.StartObject();
    w.Key("code");
    w.Int(o.error->code);
    w.Key("msg");
    write_string(w, o.error->msg);
    if (!o.error->data.empty()) {
      w.Key("data");
      w.RawValue(o.error->data.data(), o.error->data.size(), rapidjson::kObjectType);
    }
    w.EndObject();
  } else {
    w.Key("result");
    w.RawValue(o.result.data(), o.result.size(), rapidjson::kObjectType);
  }
  if (in.rate_limits) {
    w.Key("rateLimits");
    w.StartArray();
    w.StartObject();
    w.Key("rateLimitType");
    w.String("REQUEST_WEIGHT");
    w.Key("interval");
    w.String("MINUTE");
    w.Key("intervalNum");
    w.Int(1);
    w.Key("limit");
    w.Uint64(state.options.weight_limit);
    w.Key("count");
    w.Uint64(state.window_weight);
    w.EndObject();
    w.EndArray();
  }
  w.EndObject();
  return buffer.GetString();
}

std::string retry_data(std::int64_t now_ms, std::int64_t retry_after) {
  return R"({"serverTime":)" + std::to_string(now_ms) + R"(,"retryAfter":)" +
         std::to_string(retry_after) + "}";
}

outcome banned(const binance_state& state, steady_time now, std::int64_t now_ms) {
  const auto until = now_ms + std::chrono::duration_cast<milliseconds>(*state.banned - now).count();
  auto o = fail(-1003,
                "Way too much request weight used; IP banned until " + std::to_string(until) +
                    ". Please use WebSocket Streams for live updates to avoid bans.",
                418);
  o.error->data = retry_data(now_ms, until);
  return o;
}

/// 429, or a ban (418) after ban_after_429s of them in one window.
outcome over_limit(binance_state& state, steady_time now, std::int64_t now_ms) {
  ++state.counters.rate_limited_requests;
  ++state.window_429s;
  const auto ban_after = state.options.ban_after_429s;
  if (ban_after != 0 && state.window_429s >= ban_after) {
    state.banned = now + state.options.ban_duration;
    return banned(state, now, now_ms);
  }
  auto o = fail(-1003,
                "Too much request weight used; current limit is " +
                    std::to_string(state.options.weight_limit) +
                    " request weight per 1 MINUTE. Please use WebSocket Streams for live updates "
                    "to avoid polling the API.",
                429);
  o.error->data = retry_data(now_ms, window_end_ms(state, now, now_ms));
  return o;
}

} // namespace

// -- entry points ----------------------------------------------------------------------------

// -- entry points ----------------------------------------------------------------------------

void charge_connection(binance_state& state, steady_time now) {
  roll_window(state, now);
  state.window_weight += connect_weight;
}

std::uint64_t weight_used(binance_state& state, steady_time now) {
  roll_window(state, now);
  return state.window_weight;
}

api_answer answer_api_request(binance_state& state, binance_session& session, std::string_view text,
                              steady_time now, std::int64_t now_ms) {
  roll_window(state, now);
  envelope_input in;
  in.rate_limits = session.return_rate_limits;
  rapidjson::Document typed;
  if (!zenws::detail::parse_json(typed, text) || !typed.IsObject())
    return {envelope(state, in, fail(-1135, "Invalid JSON Request")), false};
  rapidjson::Document as_text;
  as_text.Parse<rapidjson::kParseNumbersAsStringsFlag>(text.data(), text.size());

  const auto id = typed.FindMember("id");
  if (id == typed.MemberEnd() ||
      !(id->value.IsNull() || id->value.IsInt64() || id->value.IsString()))
    return {envelope(state, in, {{}, missing("id")}), false};
  in.id = &id->value;
  const auto params = typed.FindMember("params");
  request_params p;
  if (params != typed.MemberEnd() && !params->value.IsNull()) {
    if (!params->value.IsObject())
      return {
          envelope(state, in, fail(-1135, "Invalid 'params' in JSON request; expected an object.")),
          false};
    p.typed = &params->value;
    p.text = &as_text.FindMember("params")->value; // the same document, parsed keeping numbers
    if (auto rl = p.typed->FindMember("returnRateLimits");
        rl != p.typed->MemberEnd() && rl->value.IsBool())
      in.rate_limits = rl->value.GetBool();
  }
  const auto method_it = typed.FindMember("method");
  if (method_it == typed.MemberEnd() || !method_it->value.IsString())
    return {envelope(state, in, {{}, missing("method")}), false};
  std::string_view method{method_it->value.GetString(), method_it->value.GetStringLength()};
  if (method.substr(0, 3) == "v3/")
    method.remove_prefix(3);

  if (state.banned && now < *state.banned)
    return {envelope(state, in, banned(state, now, now_ms)), true};
  const auto weight = method_weight(method, p);
  if (!weight)
    return {envelope(state, in, fail(-1020, "This operation is not supported.")), false};
  if (state.window_weight + *weight > state.options.weight_limit) {
    auto o = over_limit(state, now, now_ms);
    return {envelope(state, in, o), o.error->status == 418};
  }
  state.window_weight += *weight;
  return {envelope(state, in, dispatch(state, method, p, now_ms)), false};
}

} // namespace zenws::testing::detail
