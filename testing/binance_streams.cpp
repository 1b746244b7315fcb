// Binance market-data streams: upgrade routes, stream names, the control messages on /ws and
// /stream, and the payloads the simulator publishes. See detail/binance_state.hpp.

#include <zenws/testing/detail/binance_state.hpp>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "zenws/protocol/json_depth.hpp"

namespace zenws::testing::detail {

namespace {

// -- names -----------------------------------------------------------------------------------

bool is_lower_symbol(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

/// depth, depth5, depth10 or depth20, optionally @100ms or @1000ms.
bool is_depth_type(std::string_view type) {
  const auto at = type.find('@');
  const auto base = type.substr(0, at);
  if (base != "depth" && base != "depth5" && base != "depth10" && base != "depth20")
    return false;
  if (at == std::string_view::npos)
    return true;
  const auto speed = type.substr(at + 1);
  return speed == "100ms" || speed == "1000ms";
}

bool is_stream_type(std::string_view type) {
  static const std::set<std::string_view> plain{"trade",     "aggTrade",   "bookTicker",
                                                "ticker",    "miniTicker", "avgPrice",
                                                "ticker_1h", "ticker_4h",  "ticker_1d"};
  static const std::set<std::string_view> intervals{"1s", "1m", "3m", "5m", "15m", "30m",
                                                    "1h", "2h", "4h", "6h", "8h",  "12h",
                                                    "1d", "3d", "1w", "1M"};
  if (plain.count(type) != 0)
    return true;
  if (type.substr(0, 6) == "kline_")
    return intervals.count(type.substr(6)) != 0;
  return is_depth_type(type);
}

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// -- routes ----------------------------------------------------------------------------------

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// %XX decoded (a client library may escape '@' or '/'); malformed escapes stay as they are.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// The decoded value of `name` in a query string, or nullopt.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                         : pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::vector<std::string> split_streams(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto slash = std::min(list.find('/', start), list.size());
    out.push_back(list.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

void add_unique(std::vector<std::string>& streams, const std::string& s) {
  if (std::find(streams.begin(), streams.end(), s) == streams.end())
    streams.push_back(s);
}

// -- control replies -------------------------------------------------------------------------

/// `{"result":<written by f>,"id":id}`.
template <class F>
std::string result_reply(const rapidjson::Value& id, F&& write_result) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("result");
  write_result(w);
  w.Key("id");
  id.Accept(w);
  w.EndObject();
  return buffer.GetString();
}

std::string null_result(const rapidjson::Value& id) {
  return result_reply(id, [](json_writer& w) { w.Null(); });
}

/// `{"error":{"code":code,"msg":msg},"id":id}`; id null when `id` is null.
std::string error_reply(int code, std::string_view msg, const rapidjson::Value* id) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.Int(code);
  w.Key("msg");
  write_string(w, msg);
  w.EndObject();
  w.Key("id");
  if (id)
    id->Accept(w);
  else
    w.Null();
  w.EndObject();
  return buffer.GetString();
}

/// Signed 64-bit integer, null, or at most 36 letters and digits.
bool is_valid_id(const rapidjson::Value& id) {
  if (id.IsNull() || id.IsInt64())
    return true;
  if (!id.IsString())
    return false;
  const std::string_view s{id.GetString(), id.GetStringLength()};
  return s.size() <= 36 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0;
         });
}

/// The stream names in `params`, or nullopt with the reason in `why`.
std::optional<std::vector<std::string>> stream_params(const rapidjson::Value* params,
                                                      std::string& why) {
  if (!params || !params->IsArray()) {
    why = "Invalid request: missing field `params`";
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& v : params->GetArray()) {
    if (!v.IsString() || !is_valid_stream({v.GetString(), v.GetStringLength()})) {
      why = "Invalid request: invalid stream";
      return std::nullopt;
    }
    add_unique(out, v.GetString());
  }
  return out;
}

std::string subscribe(binance_state& state, binance_session& session,
                      const rapidjson::Value* params, const rapidjson::Value& id) {
  std::string why;
  auto asked = stream_params(params, why);
  if (!asked)
    return error_reply(2, why, &id);
  std::vector<std::string> fresh;
  for (const auto& s : *asked)
    if (std::find(session.streams.begin(), session.streams.end(), s) == session.streams.end())
      fresh.push_back(s);
  const auto max = state.options.max_streams;
  if (max != 0 && session.streams.size() + fresh.size() > max) {
    ++state.counters.stream_limit_rejections;
    return error_reply(
        2, "Invalid request: too many streams; at most " + std::to_string(max) + " per connection",
        &id);
  }
  session.streams.insert(session.streams.end(), fresh.begin(), fresh.end());
  return null_result(id);
}

std::string unsubscribe(binance_session& session, const rapidjson::Value* params,
                        const rapidjson::Value& id) {
  std::string why;
  auto asked = stream_params(params, why);
  if (!asked)
    return error_reply(2, why, &id);
  auto& streams = session.streams;
  for (const auto& s : *asked)
    streams.erase(std::remove(streams.begin(), streams.end(), s), streams.end());
  return null_result(id);
}

std::string list_subscriptions(const binance_session& session, const rapidjson::Value& id) {
  return result_reply(id, [&](json_writer& w) {
    w.StartArray();
    for (const auto& s : session.streams)
      write_string(w, s);
    w.EndArray();
  });
}

/// Checks a property request's params ([name] or [name, value]); the error reply or empty.
std::string property_error(const rapidjson::Value* params, std::size_t arity,
                           const rapidjson::Value& id) {
  if (!params || !params->IsArray() || params->Empty())
    return error_reply(2, "Invalid request: missing field `params`", &id);
  if (params->Size() > arity)
    return error_reply(2, "Invalid request: too many parameters", &id);
  const auto& name = (*params)[0];
  if (!name.IsString())
    return error_reply(2, "Invalid request: property name must be a string", &id);
  if (std::string_view{name.GetString(), name.GetStringLength()} != "combined")
    return error_reply(0, "Unknown property", &id);
  if (arity == 2 && (params->Size() < 2 || !(*params)[1].IsBool()))
    return error_reply(1, "Invalid value type: expected Boolean", &id);
  return {};
}

std::string set_property(binance_session& session, const rapidjson::Value* params,
                         const rapidjson::Value& id) {
  if (auto error = property_error(params, 2, id); !error.empty())
    return error;
  session.combined = (*params)[1].GetBool();
  return null_result(id);
}

std::string get_property(const binance_session& session, const rapidjson::Value* params,
                         const rapidjson::Value& id) {
  if (auto error = property_error(params, 1, id); !error.empty())
    return error;
  return result_reply(id, [&](json_writer& w) { w.Bool(session.combined); });
}

void write_levels(json_writer& w, const std::vector<price_level>& levels) {
  w.StartArray();
  for (const auto& [price, qty] : levels) {
    w.StartArray();
    write_string(w, price);
    write_string(w, qty);
    w.EndArray();
  }
  w.EndArray();
}

/// The price as a book key; quantity 0 removes the level.
template <class Map>
void apply_level(Map& side, const price_level& level) {
  const double price = std::strtod(level.first.c_str(), nullptr);
  if (std::strtod(level.second.c_str(), nullptr) == 0.0)
    side.erase(price);
  else
    side[price] = book_level{level.first, level.second};
}

bool is_decimal(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

} // namespace

// -- routes and names ------------------------------------------------------------------------

bool is_valid_stream(std::string_view name) {
  static const std::set<std::string_view> all_market{
      "!ticker@arr", "!miniTicker@arr", "!ticker_1h@arr", "!ticker_4h@arr", "!ticker_1d@arr"};
  if (all_market.count(name) != 0)
    return true;
  const auto at = name.find('@');
  return at != std::string_view::npos && is_lower_symbol(name.substr(0, at)) &&
         is_stream_type(name.substr(at + 1));
}

route parse_route(const std::string& target, std::size_t max_streams) {
  route r;
  const auto question = target.find('?');
  const std::string path = percent_decode(std::string_view{target}.substr(0, question));
  const std::string_view query = question == std::string::npos
                                     ? std::string_view{}
                                     : std::string_view{target}.substr(question + 1);
  if (path == "/ws-api/v3") {
    r.kind = endpoint::api;
    r.return_rate_limits =
        query_param(query, "returnRateLimits") != std::optional<std::string>{"false"};
    return r;
  }
  std::vector<std::string> named;
  if (path == "/ws" || path == "/ws/") {
    r.kind = endpoint::raw;
  } else if (path.substr(0, 4) == "/ws/") {
    r.kind = endpoint::raw;
    named.push_back(path.substr(4)); // one stream: "/ws/a/b" is an invalid name, not two
  } else if (path == "/stream") {
    r.kind = endpoint::combined;
    if (auto list = query_param(query, "streams"); list && !list->empty())
      named = split_streams(*list);
  } else {
    r.refusal = {404, "Not Found"};
    return r;
  }
  for (const auto& s : named) {
    if (!is_valid_stream(s)) {
      r.refusal = {400, "Invalid stream name: " + s};
      return r;
    }
    add_unique(r.streams, s);
  }
  if (max_streams != 0 && r.streams.size() > max_streams) {
    r.refusal = {400, "Too many streams; at most " + std::to_string(max_streams)};
    r.over_stream_limit = true;
  }
  return r;
}

// -- control messages ------------------------------------------------------------------------

std::string answer_stream_request(binance_state& state, binance_session& session,
                                  std::string_view text) {
  rapidjson::Document d;
  if (!zenws::json_depth_within(text))
    return error_reply(3, "Invalid JSON: nested too deep", nullptr);
  d.Parse(text.data(), text.size());
  if (d.HasParseError())
    return error_reply(3,
                       std::string{"Invalid JSON: "} +
                           rapidjson::GetParseError_En(d.GetParseError()) + " at offset " +
                           std::to_string(d.GetErrorOffset()),
                       nullptr);
  if (!d.IsObject())
    return error_reply(2, "Invalid request: expected a JSON object", nullptr);
  const auto id = d.FindMember("id");
  if (id == d.MemberEnd())
    return error_reply(2, "Invalid request: missing field `id`", nullptr);
  if (!is_valid_id(id->value))
    return error_reply(2,
                       "Invalid request: request ID must be a signed 64-bit integer, an "
                       "alphanumeric string of at most 36 characters, or null",
                       nullptr);
  const auto method = d.FindMember("method");
  if (method == d.MemberEnd())
    return error_reply(2, "Invalid request: missing field `method`", &id->value);
  const auto params_it = d.FindMember("params");
  const rapidjson::Value* params = params_it == d.MemberEnd() ? nullptr : &params_it->value;
  const std::string_view name =
      method->value.IsString()
          ? std::string_view{method->value.GetString(), method->value.GetStringLength()}
          : std::string_view{};
  if (name == "SUBSCRIBE")
    return subscribe(state, session, params, id->value);
  if (name == "UNSUBSCRIBE")
    return unsubscribe(session, params, id->value);
  if (name == "LIST_SUBSCRIPTIONS")
    return list_subscriptions(session, id->value);
  if (name == "SET_PROPERTY")
    return set_property(session, params, id->value);
  if (name == "GET_PROPERTY")
    return get_property(session, params, id->value);
  return error_reply(2,
                     "Invalid request: unknown variant `" + std::string{name} +
                         "`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, "
                         "`SET_PROPERTY`, `GET_PROPERTY`",
                     &id->value);
}

// -- market data -----------------------------------------------------------------------------

void publish_to(const binance_state& state, const std::string& stream, const std::string& payload,
                actions& out) {
  for (const auto& [id, s] : state.sessions) {
    if (s.kind == endpoint::api || s.closing ||
        std::find(s.streams.begin(), s.streams.end(), stream) == s.streams.end())
      continue;
    action a;
    a.session = id;
    if (s.combined)
      a.data.append(R"({"stream":")").append(stream).append(R"(","data":)").append(payload) += '}';
    else
      a.data = payload;
    out.push_back(std::move(a));
  }
}

std::string trade_event(order_book& book, const std::string& symbol, const std::string& price,
                        const std::string& qty, bool buyer_is_maker, std::int64_t now_ms) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("e");
  w.String("trade");
  w.Key("E");
  w.Int64(now_ms);
  w.Key("s");
  write_string(w, upper(symbol));
  w.Key("t");
  w.Int64(book.next_trade_id++);
  w.Key("p");
  write_string(w, price);
  w.Key("q");
  write_string(w, qty);
  w.Key("T");
  w.Int64(now_ms);
  w.Key("m");
  w.Bool(buyer_is_maker);
  w.Key("M");
  w.Bool(true); // "ignore" on the venue; always true there
  w.EndObject();
  return buffer.GetString();
}

std::string apply_depth(order_book& book, const std::string& symbol,
                        const std::vector<price_level>& bids, const std::vector<price_level>& asks,
                        std::int64_t now_ms) {
  // Check every level before changing anything, so that a bad call leaves the book intact.
  for (const auto* side : {&bids, &asks})
    for (const auto& [price, qty] : *side)
      if (!is_decimal(price) || !is_decimal(qty))
        throw std::invalid_argument(std::string{"binance_simulator: not a decimal level: "}
                                        .append(price)
                                        .append(" ")
                                        .append(qty));
  const auto ids = static_cast<std::int64_t>(std::max<std::size_t>(1, bids.size() + asks.size()));
  const std::int64_t first =
      std::max<std::int64_t>(1, book.last_update_id + 1 - static_cast<std::int64_t>(book.overlap));
  book.overlap = 0;
  book.last_update_id += ids;
  for (const auto& level : bids)
    apply_level(book.bids, level);
  for (const auto& level : asks)
    apply_level(book.asks, level);

  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("e");
  w.String("depthUpdate");
  w.Key("E");
  w.Int64(now_ms);
  w.Key("s");
  write_string(w, upper(symbol));
  w.Key("U");
  w.Int64(first);
  w.Key("u");
  w.Int64(book.last_update_id);
  w.Key("b");
  write_levels(w, bids);
  w.Key("a");
  write_levels(w, asks);
  w.EndObject();
  return buffer.GetString();
}

std::string shutdown_event(const binance_session& session, std::int64_t now_ms) {
  std::string event = R"({"e":"serverShutdown","E":)" + std::to_string(now_ms) + "}";
  if (session.kind == endpoint::api)
    return R"({"event":)" + event + "}";
  if (session.combined)
    return R"({"stream":"!serverShutdown","data":)" + event + "}";
  return event;
}

} // namespace zenws::testing::detail
