// The Binance WS API methods the simulator serves: ping, time, depth (from the book the
// published updates built), order.place and order.cancel (orders rest as NEW: there is no
// matching engine) and account.status. See detail/binance_ws_api.hpp.

#include <zenws/testing/detail/binance_ws_api.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>
#include <variant>

namespace zenws::testing::detail {

namespace {

std::string eight_decimals(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.8f", v);
  return text;
}

/// The book of a WS API symbol param (uppercase), or the error.
std::variant<order_book*, api_error> find_book(binance_state& state, const request_params& p) {
  auto symbol = p.get("symbol");
  if (!symbol)
    return missing("symbol");
  const bool legal =
      symbol->size() <= 20 && std::all_of(symbol->begin(), symbol->end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
      });
  if (!legal)
    return api_error{400,
                     -1100,
                     "Illegal characters found in parameter 'symbol'; legal range is "
                     "'^[A-Z0-9-_.]{1,20}$'.",
                     {}};
  std::string lower = *symbol;
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = state.books.find(lower);
  if (it == state.books.end())
    return api_error{400, -1121, "Invalid symbol.", {}};
  return &it->second;
}

template <class Map>
void write_book_side(json_writer& w, const Map& side, std::int64_t limit) {
  w.StartArray();
  std::int64_t n = 0;
  for (auto it = side.begin(); it != side.end() && n < limit; ++it, ++n) {
    w.StartArray();
    write_string(w, it->second.price);
    write_string(w, it->second.qty);
    w.EndArray();
  }
  w.EndArray();
}

outcome depth(binance_state& state, const request_params& p) {
  auto found = find_book(state, p);
  if (auto* e = std::get_if<api_error>(&found))
    return {{}, *e};
  const auto* book = std::get<order_book*>(found);
  auto limit = integer(p.get("limit").value_or("100"));
  if (!limit || *limit < 1)
    return fail(-1130, "Data sent for parameter 'limit' is not valid.");
  const std::int64_t shown = std::min<std::int64_t>(*limit, 5000); // the venue truncates
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("lastUpdateId");
  w.Int64(book->last_update_id);
  w.Key("bids");
  write_book_side(w, book->bids, shown);
  w.Key("asks");
  write_book_side(w, book->asks, shown);
  w.EndObject();
  return {buffer.GetString(), std::nullopt};
}

/// The order's fields for order.place and order.cancel results.
void write_order_fields(json_writer& w, const resting_order& o, const char* status) {
  for (auto [key, value] : {std::pair{"price", &o.price}, std::pair{"origQty", &o.qty}}) {
    w.Key(key);
    write_string(w, *value);
  }
  w.Key("executedQty");
  w.String("0.00000000");
  w.Key("origQuoteOrderQty");
  w.String("0.00000000");
  w.Key("cummulativeQuoteQty");
  w.String("0.00000000");
  w.Key("status");
  w.String(status);
  w.Key("timeInForce");
  write_string(w, o.time_in_force);
  w.Key("type");
  write_string(w, o.type);
  w.Key("side");
  write_string(w, o.side);
  w.Key("selfTradePreventionMode");
  w.String("NONE");
}

std::string placed_result(const resting_order& o, const std::string& response_type) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("symbol");
  write_string(w, o.symbol);
  w.Key("orderId");
  w.Int64(o.order_id);
  w.Key("orderListId");
  w.Int(-1);
  w.Key("clientOrderId");
  write_string(w, o.client_order_id);
  w.Key("transactTime");
  w.Int64(o.time);
  if (response_type != "ACK") {
    write_order_fields(w, o, "NEW");
    w.Key("workingTime");
    w.Int64(o.time);
  }
  if (response_type == "FULL") {
    w.Key("fills");
    w.StartArray();
    w.EndArray();
  }
  w.EndObject();
  return buffer.GetString();
}

/// LIMIT and LIMIT_MAKER fields of order.place; the error, if any.
std::optional<api_error> limit_fields(const request_params& p, resting_order& o) {
  const bool maker = o.type == "LIMIT_MAKER";
  for (const char* name : {"timeInForce", "quantity", "price"})
    if (!(maker && std::string_view{name} == "timeInForce") && !p.get(name))
      return missing(name);
  o.time_in_force = maker ? "GTC" : *p.get("timeInForce");
  if (o.time_in_force != "GTC" && o.time_in_force != "IOC" && o.time_in_force != "FOK")
    return api_error{400, -1115, "Invalid timeInForce.", {}};
  for (auto [name, field] : {std::pair{"price", &o.price}, std::pair{"quantity", &o.qty}}) {
    auto v = decimal(*p.get(name));
    if (!v)
      return api_error{
          400, -1100, std::string{"Illegal characters found in parameter '"} + name + "'.", {}};
    if (*v <= 0)
      return api_error{400, -1013, std::string{"Invalid "} + name + ".", {}};
    *field = eight_decimals(*v);
  }
  return std::nullopt;
}

outcome order_place(binance_state& state, const request_params& p, std::int64_t now_ms) {
  auto found = find_book(state, p);
  if (auto* e = std::get_if<api_error>(&found))
    return {{}, *e};
  for (const char* name : {"side", "type"})
    if (!p.get(name))
      return {{}, missing(name)};
  resting_order o;
  o.symbol = *p.get("symbol");
  o.side = *p.get("side");
  o.type = *p.get("type");
  if (o.side != "BUY" && o.side != "SELL")
    return fail(-1117, "Invalid side.");
  static const std::set<std::string_view> other_types{"MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                                                      "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"};
  if (other_types.count(o.type) != 0) // valid on the venue, but there is no matching engine
    return fail(-1014, "Unsupported order combination.");
  if (o.type != "LIMIT" && o.type != "LIMIT_MAKER")
    return fail(-1116, "Invalid orderType.");
  if (auto e = limit_fields(p, o))
    return {{}, *e};
  const auto response_type = p.get("newOrderRespType").value_or("FULL");
  if (response_type != "ACK" && response_type != "RESULT" && response_type != "FULL")
    return fail(-1130, "Data sent for parameter 'newOrderRespType' is not valid.");
  o.order_id = state.next_order_id++;
  o.client_order_id = p.get("newClientOrderId").value_or("sim" + std::to_string(o.order_id));
  for (const auto& [id, open] : state.orders)
    if (open.client_order_id == o.client_order_id)
      return fail(-2010, "Duplicate order sent.");
  o.time = now_ms;
  auto result = placed_result(o, response_type);
  state.orders.emplace(o.order_id, std::move(o));
  return {std::move(result), std::nullopt};
}

outcome order_cancel(binance_state& state, const request_params& p, std::int64_t now_ms) {
  auto found = find_book(state, p);
  if (auto* e = std::get_if<api_error>(&found))
    return {{}, *e};
  const auto order_id = p.get("orderId");
  const auto client_id = p.get("origClientOrderId");
  if (!order_id && !client_id)
    return fail(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were "
                       "empty/null!");
  auto it = std::find_if(state.orders.begin(), state.orders.end(), [&](const auto& entry) {
    const auto& o = entry.second;
    return o.symbol == *p.get("symbol") &&
           (order_id ? std::to_string(o.order_id) == *order_id : o.client_order_id == *client_id);
  });
  if (it == state.orders.end())
    return fail(-2011, "Unknown order sent.");
  const resting_order o = it->second;
  state.orders.erase(it);
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("symbol");
  write_string(w, o.symbol);
  w.Key("origClientOrderId");
  write_string(w, o.client_order_id);
  w.Key("orderId");
  w.Int64(o.order_id);
  w.Key("orderListId");
  w.Int(-1);
  w.Key("clientOrderId");
  write_string(w, p.get("newClientOrderId").value_or("simcancel" + std::to_string(o.order_id)));
  w.Key("transactTime");
  w.Int64(now_ms);
  write_order_fields(w, o, "CANCELED");
  w.EndObject();
  return {buffer.GetString(), std::nullopt};
}

std::string account_status(std::int64_t now_ms) {
  return R"({"makerCommission":15,"takerCommission":15,"buyerCommission":0,)"
         R"("sellerCommission":0,"canTrade":true,"canWithdraw":true,"canDeposit":true,)"
         R"("brokered":false,"requireSelfTradePrevention":false,"preventSor":false,)"
         R"("updateTime":)" +
         std::to_string(now_ms) + R"(,"accountType":"SPOT","balances":[],"permissions":["SPOT"]})";
}

} // namespace

outcome dispatch(binance_state& state, std::string_view method, const request_params& p,
                 std::int64_t now_ms) {
  const bool is_signed =
      method == "order.place" || method == "order.cancel" || method == "account.status";
  if (is_signed)
    if (auto e = check_signed(state, p, now_ms))
      return {{}, *e};
  if (method == "ping")
    return {"{}", std::nullopt};
  if (method == "time")
    return {R"({"serverTime":)" + std::to_string(now_ms) + "}", std::nullopt};
  if (method == "depth")
    return depth(state, p);
  if (method == "order.place")
    return order_place(state, p, now_ms);
  if (method == "order.cancel")
    return order_cancel(state, p, now_ms);
  return {account_status(now_ms), std::nullopt}; // account.status: method_weight knew it
}

} // namespace zenws::testing::detail
