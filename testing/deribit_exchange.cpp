// The Deribit simulator's exchange: instruments, the matching book, accounts and positions, the
// market's own activity, and the JSON the venue writes for them. See detail/deribit_state.hpp.

#include <zenws/testing/detail/deribit_state.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>
#include <variant>

namespace zenws::testing::detail::deribit {

namespace {

constexpr std::size_t market_levels = 20;    ///< per side, around the mid
constexpr std::size_t kept_trades = 1000;    ///< per book and per account
constexpr double initial_margin_rate = 0.02; ///< [inf] 50x
constexpr std::int64_t first_change_id = 1'000'000;

// -- small helpers ---------------------------------------------------------------------------

double price_of(const instrument_spec& spec, ticks t) {
  return static_cast<double>(t) / static_cast<double>(spec.ticks_per_unit);
}

/// The whole ticks of `price`, or nullopt when it is not on the tick.
std::optional<ticks> to_ticks(const instrument_spec& spec, double price) {
  const double scaled = price * static_cast<double>(spec.ticks_per_unit);
  const double whole = std::round(scaled);
  if (std::abs(scaled - whole) > 1e-6 || whole <= 0)
    return std::nullopt;
  return static_cast<ticks>(whole);
}

std::string new_id(deribit_state& state, const std::string& prefix) {
  return prefix + std::to_string(state.next_id++);
}

bool is_multiple(double amount, double unit) {
  const double n = amount / unit;
  return amount > 0 && std::abs(n - std::round(n)) < 1e-9;
}

std::optional<double> number_param(const rapidjson::Value& params, const char* name) {
  const auto* v = member(params, name);
  if (!v || !v->IsNumber())
    return std::nullopt;
  return v->GetDouble();
}

bool bool_param(const rapidjson::Value& params, const char* name) {
  const auto* v = member(params, name);
  return v && v->IsBool() && v->GetBool();
}

double level_amount(const deribit_state& state, const level& l) {
  double total = l.market;
  for (const auto& id : l.orders) {
    const auto& o = state.orders.at(id).public_view;
    total += o.amount - o.filled_amount;
  }
  return total;
}

template <class Side>
std::optional<ticks> best(const Side& side) {
  if (side.empty())
    return std::nullopt;
  return side.begin()->first;
}

double mark_price(const book_state& book) {
  const auto bid = best(book.bids);
  const auto ask = best(book.asks);
  if (bid && ask)
    return price_of(book.spec, (*bid + *ask)) / 2;
  return price_of(book.spec, book.spec.mid);
}

// -- JSON of orders, trades, positions -------------------------------------------------------

void write_order(json_writer& w, const deribit_state& state, const order_state& o) {
  const auto& v = o.public_view;
  const auto& spec = state.books.at(v.instrument).spec;
  w.StartObject();
  w.Key("order_id");
  write_string(w, v.order_id);
  w.Key("instrument_name");
  write_string(w, v.instrument);
  w.Key("direction");
  write_string(w, v.direction);
  w.Key("order_type");
  write_string(w, v.order_type);
  w.Key("order_state");
  write_string(w, v.order_state);
  w.Key("price");
  if (v.order_type == "market")
    w.String("market_price");
  else
    w.Double(v.price);
  w.Key("amount");
  w.Double(v.amount);
  w.Key("contracts");
  w.Double(v.amount / spec.contract_size);
  w.Key("filled_amount");
  w.Double(v.filled_amount);
  w.Key("average_price");
  w.Double(o.average_price);
  w.Key("label");
  write_string(w, v.label);
  w.Key("time_in_force");
  write_string(w, o.time_in_force);
  w.Key("post_only");
  w.Bool(o.post_only);
  w.Key("reject_post_only");
  w.Bool(o.reject_post_only);
  w.Key("reduce_only");
  w.Bool(o.reduce_only);
  w.Key("replaced");
  w.Bool(o.replaced);
  w.Key("creation_timestamp");
  w.Int64(o.created_ms);
  w.Key("last_update_timestamp");
  w.Int64(o.updated_ms);
  if (!o.cancel_reason.empty()) {
    w.Key("cancel_reason");
    write_string(w, o.cancel_reason);
  }
  w.Key("api");
  w.Bool(true);
  w.Key("web");
  w.Bool(false);
  w.Key("mmp");
  w.Bool(false);
  w.Key("is_liquidation");
  w.Bool(false);
  w.Key("risk_reducing");
  w.Bool(false);
  w.EndObject();
}

std::string order_json(const deribit_state& state, const order_state& o) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  write_order(w, state, o);
  return text_of(buffer);
}

void write_trade(json_writer& w, const deribit_state& state, const trade_record& t, bool user) {
  const auto& book = state.books.at(t.instrument);
  w.StartObject();
  w.Key("trade_id");
  write_string(w, t.trade_id);
  w.Key("trade_seq");
  w.Int64(t.trade_seq);
  w.Key("timestamp");
  w.Int64(t.timestamp);
  w.Key("instrument_name");
  write_string(w, t.instrument);
  w.Key("price");
  w.Double(t.price);
  w.Key("amount");
  w.Double(t.amount);
  w.Key("contracts");
  w.Double(t.amount / book.spec.contract_size);
  w.Key("direction");
  write_string(w, user ? t.user_direction : t.direction);
  w.Key("index_price");
  w.Double(mark_price(book));
  w.Key("mark_price");
  w.Double(mark_price(book));
  w.Key("tick_direction");
  w.Int(0);
  if (user) {
    w.Key("order_id");
    write_string(w, t.order_id);
    w.Key("liquidity");
    write_string(w, t.liquidity);
    w.Key("fee");
    w.Double(0);
    w.Key("fee_currency");
    write_string(w, book.spec.currency);
    w.Key("label");
    write_string(w, t.label);
    w.Key("matching_id");
    w.Null();
  }
  w.EndObject();
}

std::string trades_json(const deribit_state& state, const std::vector<trade_record>& trades,
                        bool user) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartArray();
  for (const auto& t : trades)
    write_trade(w, state, t, user);
  w.EndArray();
  return text_of(buffer);
}

/// Orders resting in the instrument's book on the account's side, with their remaining amount.
double open_amount(const deribit_state& state, const std::string& account,
                   const std::string& instrument) {
  double total = 0;
  for (const auto& [id, o] : state.orders) {
    const auto& v = o.public_view;
    if (v.client_id == account && v.instrument == instrument && v.order_state == "open")
      total += v.amount - v.filled_amount;
  }
  return total;
}

double floating_pnl(const position_state& p, double mark) {
  if (p.size == 0 || p.average_price <= 0 || mark <= 0)
    return 0;
  return p.size * (1 / p.average_price - 1 / mark);
}

struct margins {
  double equity = 0;
  double initial = 0;
  double maintenance = 0;
  double floating = 0;
};

/// The account's margins in `currency`, with `extra` more USD of exposure in `extra_instrument`
/// (an order being placed).
margins margins_of(const deribit_state& state, const std::string& account,
                   const std::string& currency, double extra = 0,
                   const std::string& extra_instrument = {}) {
  const auto& a = state.accounts.at(account);
  margins m;
  const auto balance = a.balance.find(currency);
  m.equity = balance == a.balance.end() ? 0 : balance->second;
  for (const auto& [name, book] : state.books) {
    if (book.spec.currency != currency)
      continue;
    const double mark = mark_price(book);
    double exposure = open_amount(state, account, name) + (name == extra_instrument ? extra : 0);
    if (const auto p = a.positions.find(name); p != a.positions.end()) {
      m.floating += floating_pnl(p->second, mark);
      exposure += std::abs(p->second.size);
    }
    m.initial += exposure / mark * initial_margin_rate;
  }
  m.equity += m.floating;
  m.maintenance = m.initial / 2;
  return m;
}

void write_position(json_writer& w, const deribit_state& state, const std::string& instrument,
                    const position_state& p) {
  const auto& book = state.books.at(instrument);
  const double mark = mark_price(book);
  w.StartObject();
  w.Key("instrument_name");
  write_string(w, instrument);
  w.Key("kind");
  w.String("future");
  w.Key("direction");
  w.String(p.size > 0 ? "buy" : p.size < 0 ? "sell" : "zero");
  w.Key("size");
  w.Double(p.size);
  w.Key("size_currency");
  w.Double(p.size / mark);
  w.Key("average_price");
  w.Double(p.average_price);
  w.Key("mark_price");
  w.Double(mark);
  w.Key("index_price");
  w.Double(mark);
  w.Key("floating_profit_loss");
  w.Double(floating_pnl(p, mark));
  w.Key("realized_profit_loss");
  w.Double(p.realized_pnl);
  w.Key("total_profit_loss");
  w.Double(floating_pnl(p, mark) + p.realized_pnl);
  w.Key("initial_margin");
  w.Double(std::abs(p.size) / mark * initial_margin_rate);
  w.Key("maintenance_margin");
  w.Double(std::abs(p.size) / mark * initial_margin_rate / 2);
  w.Key("delta");
  w.Double(p.size / mark);
  w.Key("leverage");
  w.Int(50);
  w.Key("estimated_liquidation_price");
  w.Null();
  w.EndObject();
}

// -- notifications ---------------------------------------------------------------------------

std::string subscription(const std::string& channel, const std::string& data_json) {
  std::string out = R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":)";
  rapidjson::StringBuffer name;
  json_writer w{name};
  write_string(w, channel);
  out += text_of(name);
  out += R"(,"data":)";
  out += data_json;
  return out + "}}";
}

/// Splits "a.b.c" at the dots.
std::vector<std::string> parts_of(const std::string& channel) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto dot = channel.find('.', start);
    out.push_back(channel.substr(start, dot - start));
    if (dot == std::string::npos)
      return out;
    start = dot + 1;
  }
}

bool is_interval(const std::string& s) {
  return s == "raw" || s == "100ms" || s == "agg2";
}

/// Whether a user.* channel's target ("BTC-PERPETUAL", "any.any", "future.BTC") covers the
/// instrument.
bool covers(const std::vector<std::string>& p, std::size_t at, const instrument_spec& spec) {
  if (p.size() == at + 2)
    return p[at] == spec.name;
  if (p.size() != at + 3)
    return false;
  const bool kind = p[at] == "any" || p[at] == "future";
  const bool currency = p[at + 1] == "any" || p[at + 1] == spec.currency;
  return kind && currency;
}

/// Sends `data(channel)` to every session of `account` subscribed to a user channel of
/// `family` ("orders", "trades") covering the instrument.
void notify_user(deribit_state& state, const std::string& account, const std::string& family,
                 const instrument_spec& spec, const std::function<std::string(bool raw)>& data) {
  for (auto& [id, s] : state.sessions) {
    if (s.account != account || s.closing)
      continue;
    for (const auto& channel : s.channels) {
      const auto p = parts_of(channel);
      if (p.size() < 4 || p[0] != "user" || p[1] != family || !covers(p, 2, spec))
        continue;
      notify(state, id, subscription(channel, data(p.back() == "raw")));
    }
  }
}

void order_changed(deribit_state& state, const order_state& o) {
  const auto& spec = state.books.at(o.public_view.instrument).spec;
  const auto json = order_json(state, o);
  // Deribit: raw channels carry one order object, interval channels an array [doc].
  notify_user(state, o.public_view.client_id, "orders", spec,
              [&](bool raw) { return raw ? json : "[" + json + "]"; });
}

// -- matching --------------------------------------------------------------------------------

struct taker {
  std::string account; ///< "" = the market
  order_state* order = nullptr;
  std::string direction;
};

void apply_fill_to_position(account_state& a, const std::string& instrument, bool buy,
                            double amount, double price, const std::string& currency) {
  auto& p = a.positions[instrument];
  double signed_amount = buy ? amount : -amount;
  if (p.size != 0 && (p.size > 0) != buy) {
    const double closing = std::min(std::abs(p.size), amount);
    const double sign = p.size > 0 ? 1 : -1;
    const double pnl = sign * closing * (1 / p.average_price - 1 / price);
    p.realized_pnl += pnl;
    a.balance[currency] += pnl;
    p.size += buy ? closing : -closing;
    signed_amount -= buy ? closing : -closing;
    if (p.size == 0)
      p.average_price = 0;
  }
  if (signed_amount == 0)
    return;
  const double open = std::abs(p.size);
  const double add = std::abs(signed_amount);
  // Inverse contracts average by the harmonic mean of the prices, weighted by USD amounts.
  p.average_price = (open + add) / (open == 0 ? add / price : open / p.average_price + add / price);
  p.size += signed_amount;
}

void record_user_trade(deribit_state& state, const std::string& account, trade_record t,
                       const order_state& o, const char* liquidity) {
  auto& a = state.accounts.at(account);
  const auto& spec = state.books.at(t.instrument).spec;
  t.order_id = o.public_view.order_id;
  t.liquidity = liquidity;
  t.user_direction = o.public_view.direction;
  t.label = o.public_view.label;
  apply_fill_to_position(a, t.instrument, t.user_direction == "buy", t.amount, t.price,
                         spec.currency);
  a.trades.push_back(t);
  if (a.trades.size() > kept_trades)
    a.trades.pop_front();
  notify_user(state, account, "trades", spec, [&](bool) { return trades_json(state, {t}, true); });
}

void fill_order(order_state& o, double amount, double price, std::int64_t now_ms) {
  auto& v = o.public_view;
  const double before = v.filled_amount;
  v.filled_amount += amount;
  // Average of an inverse contract's fills: harmonic, weighted by USD amounts.
  o.average_price =
      v.filled_amount / ((before == 0 ? 0 : before / o.average_price) + amount / price);
  if (v.amount - v.filled_amount < 1e-9)
    v.order_state = "filled";
  o.updated_ms = now_ms;
}

/// One fill of `amount` at `price` between the taker and `maker` (null = the market).
void trade(deribit_state& state, book_state& book, taker& t, order_state* maker, double amount,
           ticks price, const clock_now& now, std::vector<trade_record>& fills) {
  trade_record r;
  r.trade_id = std::to_string(state.next_id++);
  r.trade_seq = book.next_trade_seq++;
  r.instrument = book.spec.name;
  r.direction = t.direction;
  r.price = price_of(book.spec, price);
  r.amount = amount;
  r.timestamp = now.wall_ms();
  book.trades.push_back(r);
  if (book.trades.size() > kept_trades)
    book.trades.pop_front();
  book.unsent.push_back(r);
  book.last_price = r.price;
  book.ticker_dirty = true;
  ++state.counters.trades;
  if (maker) {
    fill_order(*maker, amount, r.price, now.wall_ms());
    record_user_trade(state, maker->public_view.client_id, r, *maker, "M");
    order_changed(state, *maker);
  }
  if (t.order) {
    fill_order(*t.order, amount, r.price, now.wall_ms());
    record_user_trade(state, t.account, r, *t.order, "T");
  }
  fills.push_back(r);
}

/// Takes up to `amount` from the side's levels while `crosses(level price)`: the market's
/// liquidity first, then resting orders by time. Returns what was filled.
template <class Side>
double take(deribit_state& state, book_state& book, Side& side, taker& t, double amount,
            const std::function<bool(ticks)>& crosses, const clock_now& now,
            std::vector<trade_record>& fills) {
  double filled = 0;
  while (filled < amount - 1e-9 && !side.empty() && crosses(side.begin()->first)) {
    auto& [price, l] = *side.begin();
    const double from_market = std::min(l.market, amount - filled);
    if (from_market > 0) {
      l.market -= from_market;
      filled += from_market;
      trade(state, book, t, nullptr, from_market, price, now, fills);
    }
    while (filled < amount - 1e-9 && !l.orders.empty()) {
      auto& maker = state.orders.at(l.orders.front());
      const double available = maker.public_view.amount - maker.public_view.filled_amount;
      const double q = std::min(available, amount - filled);
      filled += q;
      trade(state, book, t, &maker, q, price, now, fills);
      if (maker.public_view.order_state != "open")
        l.orders.erase(l.orders.begin());
    }
    if (l.market < 1e-9 && l.orders.empty())
      side.erase(side.begin());
    else if (filled >= amount - 1e-9)
      break;
  }
  return filled;
}

/// What the opposite side holds at prices that cross `limit` (all of it for market orders).
template <class Side>
double crossing_amount(const deribit_state& state, const Side& side,
                       const std::function<bool(ticks)>& crosses) {
  double total = 0;
  for (const auto& [price, l] : side) {
    if (!crosses(price))
      break;
    total += level_amount(state, l);
  }
  return total;
}

void remove_from_level(book_state& book, const order_state& o) {
  const auto remove = [&](auto& side) {
    const auto it = side.find(o.price_ticks);
    if (it == side.end())
      return;
    auto& ids = it->second.orders;
    ids.erase(std::remove(ids.begin(), ids.end(), o.public_view.order_id), ids.end());
    if (ids.empty() && it->second.market < 1e-9)
      side.erase(it);
  };
  if (o.public_view.direction == "buy")
    remove(book.bids);
  else
    remove(book.asks);
}

void rest(book_state& book, const order_state& o) {
  if (o.public_view.direction == "buy")
    book.bids[o.price_ticks].orders.push_back(o.public_view.order_id);
  else
    book.asks[o.price_ticks].orders.push_back(o.public_view.order_id);
}

/// Matches an order placed or moved, then rests or ends what is left by its time in force.
/// The order's price (ticks) is set; market orders have none.
std::vector<trade_record> execute(deribit_state& state, book_state& book, order_state& o,
                                  const clock_now& now) {
  auto& v = o.public_view;
  const bool buy = v.direction == "buy";
  const bool market = v.order_type == "market";
  const ticks limit = o.price_ticks;
  const std::function<bool(ticks)> crosses = [&](ticks level_price) {
    return market || (buy ? level_price <= limit : level_price >= limit);
  };
  std::vector<trade_record> fills;
  taker t{v.client_id, &o, v.direction};
  const double wanted = v.amount - v.filled_amount;
  if (o.time_in_force == "fill_or_kill") {
    const double available = buy ? crossing_amount(state, book.asks, crosses)
                                 : crossing_amount(state, book.bids, crosses);
    if (available < wanted - 1e-9) {
      v.order_state = "cancelled";
      o.cancel_reason = "fill_or_kill";
      return fills;
    }
  }
  if (buy)
    take(state, book, book.asks, t, wanted, crosses, now, fills);
  else
    take(state, book, book.bids, t, wanted, crosses, now, fills);
  if (v.order_state != "open")
    return fills;
  if (market || o.time_in_force == "immediate_or_cancel" || o.time_in_force == "fill_or_kill") {
    v.order_state = "cancelled";
    o.cancel_reason = market ? "market_order_rest" : "immediate_or_cancel";
    return fills;
  }
  o.seq = state.next_seq++;
  rest(book, o);
  book.ticker_dirty = true;
  return fills;
}

std::string order_and_trades(const deribit_state& state, const order_state& o,
                             const std::vector<trade_record>& fills) {
  std::string out = R"({"order":)" + order_json(state, o) + R"(,"trades":)";
  std::vector<trade_record> user;
  for (auto t : fills) {
    t.order_id = o.public_view.order_id;
    t.liquidity = "T";
    t.user_direction = o.public_view.direction;
    t.label = o.public_view.label;
    user.push_back(std::move(t));
  }
  return out + trades_json(state, user, true) + "}";
}

// -- parameters shared by the methods --------------------------------------------------------

/// The instrument named by params.instrument_name, or the error to answer.
std::variant<book_state*, method_result> instrument_of(deribit_state& state,
                                                       const rapidjson::Value& params) {
  const auto name = string_param(params, "instrument_name");
  if (!name)
    return invalid_param("instrument_name", "must be a string");
  const auto it = state.books.find(*name);
  if (it == state.books.end())
    return error_result(10020, "invalid_or_unsupported_instrument");
  return &it->second;
}

/// params.amount (or contracts times the contract size), or the error.
std::variant<double, method_result> amount_of(const book_state& book,
                                              const rapidjson::Value& params) {
  const auto amount = number_param(params, "amount");
  const auto contracts = number_param(params, "contracts");
  if (!amount && !contracts)
    return invalid_param("amount", "amount or contracts is required");
  const double value = amount ? *amount : *contracts * book.spec.contract_size;
  if (amount && contracts && std::abs(*amount - *contracts * book.spec.contract_size) > 1e-9)
    return invalid_param("contracts", "does not match amount");
  if (!is_multiple(value, book.spec.contract_size))
    return invalid_param("amount", "must be a positive multiple of contract size " +
                                       std::to_string(static_cast<int>(book.spec.contract_size)));
  return value;
}

std::variant<ticks, method_result> price_of_params(const book_state& book,
                                                   const rapidjson::Value& params) {
  const auto price = number_param(params, "price");
  if (!price || *price <= 0)
    return invalid_param("price", "must be a positive number");
  const auto t = to_ticks(book.spec, *price);
  if (!t)
    return error_result(10043, "price_wrong_tick");
  return *t;
}

std::variant<order_state*, method_result>
own_order(deribit_state& state, const rapidjson::Value& params, const std::string& account) {
  const auto id = string_param(params, "order_id");
  if (!id)
    return invalid_param("order_id", "must be a string");
  const auto it = state.orders.find(*id);
  if (it == state.orders.end())
    return error_result(10004, "order_not_found");
  if (it->second.public_view.client_id != account)
    return error_result(10029, "not_owner_of_order");
  return &it->second;
}

// -- trading methods -------------------------------------------------------------------------

method_result place(deribit_state& state, const std::string& direction,
                    const rapidjson::Value& params, const std::string& account, session_id session,
                    const clock_now& now) {
  auto found = instrument_of(state, params);
  if (auto* e = std::get_if<method_result>(&found))
    return *e;
  auto& book = *std::get<book_state*>(found);
  auto amount = amount_of(book, params);
  if (auto* e = std::get_if<method_result>(&amount))
    return *e;
  order_state o;
  auto& v = o.public_view;
  v.order_type = string_param(params, "type").value_or("limit");
  if (v.order_type != "limit" && v.order_type != "market")
    return invalid_param("type", "must be limit or market (no trigger orders here)");
  if (v.order_type == "limit") {
    auto price = price_of_params(book, params);
    if (auto* e = std::get_if<method_result>(&price))
      return *e;
    o.price_ticks = std::get<ticks>(price);
  }
  v.label = string_param(params, "label").value_or("");
  if (v.label.size() > 64)
    return invalid_param("label", "must be at most 64 characters");
  o.time_in_force = string_param(params, "time_in_force").value_or("good_til_cancelled");
  static const std::set<std::string> tifs{"good_til_cancelled", "good_til_day", "fill_or_kill",
                                          "immediate_or_cancel"};
  if (!tifs.count(o.time_in_force))
    return invalid_param("time_in_force", "unknown value");
  o.post_only = bool_param(params, "post_only");
  o.reject_post_only = bool_param(params, "reject_post_only");
  o.reduce_only = bool_param(params, "reduce_only");
  v.direction = direction;
  v.instrument = book.spec.name;
  v.client_id = account;
  v.session = session;
  v.amount = std::get<double>(amount);
  v.order_state = "open";
  const bool buy = direction == "buy";
  if (o.post_only && v.order_type == "limit") {
    const auto opposite = buy ? best(book.asks) : best(book.bids);
    if (opposite && (buy ? o.price_ticks >= *opposite : o.price_ticks <= *opposite)) {
      if (o.reject_post_only)
        return error_result(11054, "post_only_reject");
      o.price_ticks = buy ? *opposite - 1 : *opposite + 1; // one tick away: it stays a maker
    }
  }
  v.price = v.order_type == "limit" ? price_of(book.spec, o.price_ticks) : 0;
  const auto m = margins_of(state, account, book.spec.currency, v.amount, book.spec.name);
  if (m.initial > m.equity)
    return error_result(10009, "not_enough_funds");
  v.order_id = new_id(state, book.spec.currency + "-");
  o.created_ms = o.updated_ms = now.wall_ms();
  auto [it, inserted] = state.orders.emplace(v.order_id, std::move(o));
  (void)inserted;
  state.order_sequence.push_back(it->first);
  ++state.counters.orders_placed;
  auto& placed = it->second;
  const auto fills = execute(state, book, placed, now);
  order_changed(state, placed);
  return ok(order_and_trades(state, placed, fills));
}

method_result edit(deribit_state& state, const rapidjson::Value& params, const std::string& account,
                   const clock_now& now) {
  auto found = own_order(state, params, account);
  if (auto* e = std::get_if<method_result>(&found))
    return *e;
  auto& o = *std::get<order_state*>(found);
  auto& v = o.public_view;
  if (v.order_state != "open")
    return error_result(11044, "not_open_order");
  auto& book = state.books.at(v.instrument);
  auto amount = amount_of(book, params);
  if (auto* e = std::get_if<method_result>(&amount))
    return *e;
  auto price = price_of_params(book, params);
  if (auto* e = std::get_if<method_result>(&price))
    return *e;
  const double new_amount = std::get<double>(amount);
  if (new_amount < v.filled_amount)
    return invalid_param("amount", "less than the filled amount");
  remove_from_level(book, o);
  const bool priority_lost = std::get<ticks>(price) != o.price_ticks || new_amount > v.amount;
  o.price_ticks = std::get<ticks>(price);
  v.price = price_of(book.spec, o.price_ticks);
  v.amount = new_amount;
  o.replaced = true;
  o.updated_ms = now.wall_ms();
  std::vector<trade_record> fills;
  if (v.amount - v.filled_amount < 1e-9) {
    v.order_state = "filled";
  } else if (priority_lost) {
    fills = execute(state, book, o, now);
  } else {
    // Same price, smaller amount: keep the place in the queue.
    auto& side_ids =
        v.direction == "buy" ? book.bids[o.price_ticks].orders : book.asks[o.price_ticks].orders;
    side_ids.push_back(v.order_id);
    std::sort(side_ids.begin(), side_ids.end(), [&](const auto& x, const auto& y) {
      return state.orders.at(x).seq < state.orders.at(y).seq;
    });
  }
  book.ticker_dirty = true;
  order_changed(state, o);
  return ok(order_and_trades(state, o, fills));
}

void cancel_order(deribit_state& state, order_state& o, const char* reason, const clock_now& now) {
  remove_from_level(state.books.at(o.public_view.instrument), o);
  o.public_view.order_state = "cancelled";
  o.cancel_reason = reason;
  o.updated_ms = now.wall_ms();
  state.books.at(o.public_view.instrument).ticker_dirty = true;
  order_changed(state, o);
}

method_result cancel(deribit_state& state, const rapidjson::Value& params,
                     const std::string& account, const clock_now& now) {
  auto found = own_order(state, params, account);
  if (auto* e = std::get_if<method_result>(&found))
    return *e;
  auto& o = *std::get<order_state*>(found);
  if (o.public_view.order_state != "open")
    return error_result(11044, "not_open_order");
  cancel_order(state, o, "user_request", now);
  ++state.counters.orders_cancelled;
  return ok(order_json(state, o));
}

method_result cancel_all(deribit_state& state, const std::string& account,
                         const std::string& instrument, const clock_now& now) {
  std::size_t n = 0;
  for (const auto& id : state.order_sequence) {
    auto& o = state.orders.at(id);
    if (o.public_view.client_id != account || o.public_view.order_state != "open" ||
        (!instrument.empty() && o.public_view.instrument != instrument))
      continue;
    cancel_order(state, o, "user_request", now);
    ++n;
  }
  state.counters.orders_cancelled += n;
  return ok(std::to_string(n));
}

// -- reading methods -------------------------------------------------------------------------

method_result open_orders_of(deribit_state& state, const rapidjson::Value& params,
                             const std::string& account) {
  auto found = instrument_of(state, params);
  if (auto* e = std::get_if<method_result>(&found))
    return *e;
  const auto& name = std::get<book_state*>(found)->spec.name;
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartArray();
  for (const auto& id : state.order_sequence) {
    const auto& o = state.orders.at(id);
    if (o.public_view.client_id == account && o.public_view.instrument == name &&
        o.public_view.order_state == "open")
      write_order(w, state, o);
  }
  w.EndArray();
  return ok(text_of(buffer));
}

std::string currency_param(const rapidjson::Value& params) {
  return string_param(params, "currency").value_or("any");
}

bool currency_matches(const std::string& wanted, const instrument_spec& spec) {
  return wanted == "any" || wanted == spec.currency;
}

method_result positions_of(deribit_state& state, const rapidjson::Value& params,
                           const std::string& account) {
  const auto currency = currency_param(params);
  if (currency != "any" && currency != "BTC" && currency != "ETH")
    return invalid_param("currency", "must be BTC, ETH or any");
  const auto& a = state.accounts.at(account);
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartArray();
  for (const auto& [name, p] : a.positions)
    if (currency_matches(currency, state.books.at(name).spec))
      write_position(w, state, name, p);
  w.EndArray();
  return ok(text_of(buffer));
}

method_result position_of(deribit_state& state, const rapidjson::Value& params,
                          const std::string& account) {
  auto found = instrument_of(state, params);
  if (auto* e = std::get_if<method_result>(&found))
    return *e;
  const auto& name = std::get<book_state*>(found)->spec.name;
  const auto& a = state.accounts.at(account);
  const auto it = a.positions.find(name);
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  write_position(w, state, name, it == a.positions.end() ? position_state{} : it->second);
  return ok(text_of(buffer));
}

method_result account_summary(deribit_state& state, const rapidjson::Value& params,
                              const std::string& account) {
  const auto currency = string_param(params, "currency");
  if (!currency)
    return invalid_param("currency", "must be a string");
  if (*currency != "BTC" && *currency != "ETH")
    return invalid_param("currency", "must be BTC or ETH");
  const auto& a = state.accounts.at(account);
  const auto m = margins_of(state, account, *currency);
  const auto balance = a.balance.count(*currency) ? a.balance.at(*currency) : 0.0;
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("currency");
  write_string(w, *currency);
  w.Key("balance");
  w.Double(balance);
  w.Key("equity");
  w.Double(m.equity);
  w.Key("margin_balance");
  w.Double(m.equity);
  w.Key("available_funds");
  w.Double(m.equity - m.initial);
  w.Key("available_withdrawal_funds");
  w.Double(std::max(0.0, std::min(balance, m.equity - m.initial)));
  w.Key("initial_margin");
  w.Double(m.initial);
  w.Key("maintenance_margin");
  w.Double(m.maintenance);
  w.Key("session_upl");
  w.Double(m.floating);
  w.Key("futures_pl");
  w.Double(m.floating);
  w.Key("total_pl");
  w.Double(m.floating);
  w.Key("delta_total");
  double delta = 0;
  for (const auto& [name, p] : a.positions)
    if (state.books.at(name).spec.currency == *currency)
      delta += p.size / mark_price(state.books.at(name));
  w.Double(delta);
  w.Key("limits");
  w.StartObject();
  w.Key("non_matching_engine");
  w.StartObject();
  w.Key("rate");
  w.Double(state.options.non_matching.refill_per_second / state.options.non_matching.cost);
  w.Key("burst");
  w.Double(state.options.non_matching.size / state.options.non_matching.cost);
  w.EndObject();
  w.Key("matching_engine");
  w.StartObject();
  w.Key("rate");
  w.Double(state.options.matching_engine.refill_per_second / state.options.matching_engine.cost);
  w.Key("burst");
  w.Double(state.options.matching_engine.size / state.options.matching_engine.cost);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return ok(text_of(buffer));
}

method_result portfolio_margins(deribit_state& state, const rapidjson::Value& params,
                                const std::string& account) {
  const auto currency = string_param(params, "currency");
  if (!currency || (*currency != "BTC" && *currency != "ETH"))
    return invalid_param("currency", "must be BTC or ETH");
  const auto m = margins_of(state, account, *currency);
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("margin_model");
  w.String("segregated_sm");
  w.Key("initial_margin");
  w.Double(m.initial);
  w.Key("maintenance_margin");
  w.Double(m.maintenance);
  w.Key("projected_initial_margin");
  w.Double(m.initial);
  w.Key("projected_maintenance_margin");
  w.Double(m.maintenance);
  w.EndObject();
  return ok(text_of(buffer));
}

std::size_t count_param(const rapidjson::Value& params) {
  const auto count = number_param(params, "count");
  if (!count || *count < 1)
    return 10;
  return static_cast<std::size_t>(std::min(*count, 1000.0));
}

method_result trade_list(const deribit_state& state, const std::deque<trade_record>& trades,
                         const std::string& instrument, std::size_t count, bool user) {
  std::vector<trade_record> picked;
  bool more = false;
  for (auto it = trades.rbegin(); it != trades.rend(); ++it) {
    if (it->instrument != instrument)
      continue;
    if (picked.size() == count) {
      more = true;
      break;
    }
    picked.push_back(*it);
  }
  std::reverse(picked.begin(), picked.end());
  return ok(R"({"trades":)" + trades_json(state, picked, user) + R"(,"has_more":)" +
            (more ? "true" : "false") + "}");
}

void write_ticker(json_writer& w, const deribit_state& state, const book_state& book,
                  std::int64_t now_ms) {
  const auto bid = best(book.bids);
  const auto ask = best(book.asks);
  const double mark = mark_price(book);
  w.StartObject();
  w.Key("timestamp");
  w.Int64(now_ms);
  w.Key("instrument_name");
  write_string(w, book.spec.name);
  w.Key("state");
  w.String("open");
  w.Key("best_bid_price");
  bid ? w.Double(price_of(book.spec, *bid)) : w.Null();
  w.Key("best_bid_amount");
  w.Double(bid ? level_amount(state, book.bids.begin()->second) : 0);
  w.Key("best_ask_price");
  ask ? w.Double(price_of(book.spec, *ask)) : w.Null();
  w.Key("best_ask_amount");
  w.Double(ask ? level_amount(state, book.asks.begin()->second) : 0);
  w.Key("last_price");
  w.Double(book.last_price > 0 ? book.last_price : mark);
  w.Key("mark_price");
  w.Double(mark);
  w.Key("index_price");
  w.Double(mark);
  w.Key("settlement_price");
  w.Double(price_of(book.spec, book.spec.mid));
  w.Key("min_price");
  w.Double(mark * 0.97);
  w.Key("max_price");
  w.Double(mark * 1.03);
  w.Key("open_interest");
  w.Double(0);
  w.Key("current_funding");
  w.Double(0);
  w.Key("funding_8h");
  w.Double(0);
  w.Key("interest_value");
  w.Double(0);
  w.Key("estimated_delivery_price");
  w.Double(mark);
  w.Key("stats");
  w.StartObject();
  w.Key("volume");
  w.Double(0);
  w.Key("price_change");
  w.Double(0);
  w.Key("low");
  w.Double(mark);
  w.Key("high");
  w.Double(mark);
  w.EndObject();
  w.EndObject();
}

std::string ticker_json(const deribit_state& state, const book_state& book, std::int64_t now_ms) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  write_ticker(w, state, book, now_ms);
  return text_of(buffer);
}

template <class Side>
void write_levels(json_writer& w, const deribit_state& state, const book_state& book,
                  const Side& side, std::size_t depth) {
  w.StartArray();
  std::size_t n = 0;
  for (const auto& [price, l] : side) {
    if (n++ == depth)
      break;
    w.StartArray();
    w.Double(price_of(book.spec, price));
    w.Double(level_amount(state, l));
    w.EndArray();
  }
  w.EndArray();
}

method_result order_book(deribit_state& state, const rapidjson::Value& params,
                         const clock_now& now) {
  auto found = instrument_of(state, params);
  if (auto* e = std::get_if<method_result>(&found))
    return *e;
  const auto& book = *std::get<book_state*>(found);
  const auto depth_param = number_param(params, "depth");
  const std::size_t depth = depth_param && *depth_param >= 1
                                ? static_cast<std::size_t>(std::min(*depth_param, 10000.0))
                                : 20;
  std::string ticker = ticker_json(state, book, now.wall_ms());
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("change_id");
  w.Int64(book.change_id);
  w.Key("bids");
  write_levels(w, state, book, book.bids, depth);
  w.Key("asks");
  write_levels(w, state, book, book.asks, depth);
  w.EndObject();
  // The ticker's members, then the book's: {ticker..., "change_id":..,"bids":..,"asks":..}.
  std::string levels = text_of(buffer);
  ticker.pop_back();
  return ok(ticker + "," + levels.substr(1));
}

method_result instruments(deribit_state& state, const rapidjson::Value& params) {
  const auto currency = string_param(params, "currency");
  if (!currency)
    return invalid_param("currency", "must be a string");
  if (*currency != "BTC" && *currency != "ETH" && *currency != "any")
    return invalid_param("currency", "must be BTC, ETH or any");
  const auto kind = string_param(params, "kind").value_or("future");
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartArray();
  std::int64_t instrument_id = 1;
  for (const auto& [name, book] : state.books) {
    const auto& spec = book.spec;
    const auto id = instrument_id++;
    if (!currency_matches(*currency, spec) || (kind != "future" && kind != "any"))
      continue;
    w.StartObject();
    w.Key("instrument_name");
    write_string(w, name);
    w.Key("instrument_id");
    w.Int64(id);
    w.Key("kind");
    w.String("future");
    w.Key("instrument_type");
    w.String("reversed");
    w.Key("settlement_period");
    w.String("perpetual");
    w.Key("is_active");
    w.Bool(true);
    w.Key("tick_size");
    w.Double(1.0 / static_cast<double>(spec.ticks_per_unit));
    w.Key("min_trade_amount");
    w.Double(spec.contract_size);
    w.Key("contract_size");
    w.Double(spec.contract_size);
    w.Key("base_currency");
    write_string(w, spec.currency);
    w.Key("quote_currency");
    w.String("USD");
    w.Key("counter_currency");
    w.String("USD");
    w.Key("settlement_currency");
    write_string(w, spec.currency);
    w.Key("price_index");
    write_string(w, spec.currency == "BTC" ? "btc_usd" : "eth_usd");
    w.Key("expiration_timestamp");
    w.Int64(32503708800000);
    w.Key("creation_timestamp");
    w.Int64(1534167754000);
    w.Key("maker_commission");
    w.Double(0);
    w.Key("taker_commission");
    w.Double(0.0005);
    w.Key("max_leverage");
    w.Int(50);
    w.EndObject();
  }
  w.EndArray();
  return ok(text_of(buffer));
}

std::optional<method_result> public_method(deribit_state& state, const std::string& method,
                                           const rapidjson::Value& params, const clock_now& now) {
  if (method == "public/get_instruments")
    return instruments(state, params);
  if (method == "public/get_order_book")
    return order_book(state, params, now);
  if (method == "public/ticker") {
    auto found = instrument_of(state, params);
    if (auto* e = std::get_if<method_result>(&found))
      return *e;
    return ok(ticker_json(state, *std::get<book_state*>(found), now.wall_ms()));
  }
  if (method == "public/get_last_trades_by_instrument") {
    auto found = instrument_of(state, params);
    if (auto* e = std::get_if<method_result>(&found))
      return *e;
    const auto& book = *std::get<book_state*>(found);
    return trade_list(state, book.trades, book.spec.name, count_param(params), false);
  }
  return std::nullopt;
}

// -- the market ------------------------------------------------------------------------------

template <class Side, class Published>
void diff(const deribit_state& state, const Side& side, Published& published, json_writer& w,
          const instrument_spec& spec, std::size_t& changes) {
  Published now;
  for (const auto& [price, l] : side)
    now[price] = level_amount(state, l);
  w.StartArray();
  const auto level = [&](const char* action, ticks price, double amount) {
    w.StartArray();
    w.String(action);
    w.Double(price_of(spec, price));
    w.Double(amount);
    w.EndArray();
    ++changes;
  };
  for (const auto& [price, amount] : published)
    if (!now.count(price))
      level("delete", price, 0);
  for (const auto& [price, amount] : now) {
    const auto was = published.find(price);
    if (was == published.end())
      level("new", price, amount);
    else if (std::abs(was->second - amount) > 1e-9)
      level("change", price, amount);
  }
  w.EndArray();
  published = std::move(now);
}

/// Sessions subscribed to channels that start with `prefix`, with those channels.
std::vector<std::pair<session_id, std::string>> subscribers(const deribit_state& state,
                                                            const std::string& prefix) {
  std::vector<std::pair<session_id, std::string>> out;
  for (const auto& [id, s] : state.sessions) {
    if (s.closing)
      continue;
    for (auto it = s.channels.lower_bound(prefix);
         it != s.channels.end() && it->compare(0, prefix.size(), prefix) == 0; ++it)
      out.emplace_back(id, *it);
  }
  return out;
}

std::string grouped_book(const deribit_state& state, const book_state& book, std::size_t depth,
                         std::int64_t now_ms) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("timestamp");
  w.Int64(now_ms);
  w.Key("instrument_name");
  write_string(w, book.spec.name);
  w.Key("change_id");
  w.Int64(book.change_id);
  w.Key("bids");
  write_levels(w, state, book, book.bids, depth);
  w.Key("asks");
  write_levels(w, state, book, book.asks, depth);
  w.EndObject();
  return text_of(buffer);
}

void publish_book(deribit_state& state, book_state& book, const clock_now& now) {
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  std::size_t changes = 0;
  w.StartObject();
  w.Key("type");
  w.String("change");
  w.Key("timestamp");
  w.Int64(now.wall_ms());
  w.Key("instrument_name");
  write_string(w, book.spec.name);
  w.Key("change_id");
  w.Int64(book.change_id + 1);
  w.Key("prev_change_id");
  w.Int64(book.change_id);
  w.Key("bids");
  diff(state, book.bids, book.published_bids, w, book.spec, changes);
  w.Key("asks");
  diff(state, book.asks, book.published_asks, w, book.spec, changes);
  w.EndObject();
  if (changes == 0)
    return;
  ++book.change_id;
  book.ticker_dirty = true;
  if (std::exchange(book.drop_next, false)) {
    ++state.counters.dropped_book_changes;
    return;
  }
  ++state.counters.book_changes;
  const auto delta = text_of(buffer);
  for (const auto& [id, channel] : subscribers(state, "book." + book.spec.name + ".")) {
    const auto p = parts_of(channel);
    if (p.size() == 3)
      notify(state, id, subscription(channel, delta));
    else if (p.size() == 5)
      notify(state, id,
             subscription(channel, grouped_book(state, book, std::stoul(p[3]), now.wall_ms())));
  }
}

void random_market_change(deribit_state& state, book_state& book) {
  auto& r = state.random;
  const bool bid = r() % 2 == 0;
  const auto offset = static_cast<ticks>(1 + r() % market_levels);
  const auto price = bid ? book.spec.mid - offset : book.spec.mid + offset;
  // Never cross the other side (the accounts' orders may sit there).
  const auto opposite = bid ? best(book.asks) : best(book.bids);
  if (opposite && (bid ? price >= *opposite : price <= *opposite))
    return;
  const double contracts = r() % 5 == 0 ? 0 : static_cast<double>(1 + r() % 50);
  const double amount = contracts * book.spec.contract_size;
  const auto set = [&](auto& side) {
    auto& l = side[price];
    l.market = amount;
    if (l.market == 0 && l.orders.empty())
      side.erase(price);
  };
  if (bid)
    set(book.bids);
  else
    set(book.asks);
}

void market_trade(deribit_state& state, book_state& book, const clock_now& now) {
  auto& r = state.random;
  const bool buy = r() % 2 == 0;
  const double amount = static_cast<double>(1 + r() % 3) * book.spec.contract_size;
  taker t{"", nullptr, buy ? "buy" : "sell"};
  std::vector<trade_record> fills;
  const std::function<bool(ticks)> any = [](ticks) { return true; };
  if (buy)
    take(state, book, book.asks, t, amount, any, now, fills);
  else
    take(state, book, book.bids, t, amount, any, now, fills);
}

} // namespace

// -- the interface of detail/deribit_state.hpp -----------------------------------------------

method_result error_result(int code, std::string message) {
  method_result r;
  r.error_code = code;
  r.message = std::move(message);
  return r;
}

method_result invalid_param(std::string param, std::string reason) {
  method_result r = error_result(-32602, "Invalid params");
  r.param = std::move(param);
  r.reason = std::move(reason);
  return r;
}

void make_books(deribit_state& state) {
  const instrument_spec specs[] = {{"BTC-PERPETUAL", "BTC", 2, 10, 100'000},
                                   {"ETH-PERPETUAL", "ETH", 20, 1, 60'000}};
  for (const auto& spec : specs) {
    auto& book = state.books[spec.name];
    book.spec = spec;
    for (std::size_t k = 1; k <= market_levels; ++k) {
      const auto offset = static_cast<ticks>(k);
      book.bids[spec.mid - offset].market =
          static_cast<double>(1 + state.random() % 50) * spec.contract_size;
      book.asks[spec.mid + offset].market =
          static_cast<double>(1 + state.random() % 50) * spec.contract_size;
    }
    for (const auto& [price, l] : book.bids)
      book.published_bids[price] = l.market;
    for (const auto& [price, l] : book.asks)
      book.published_asks[price] = l.market;
    book.change_id = first_change_id;
  }
}

void make_account(deribit_state& state, const std::string& client_id) {
  auto& a = state.accounts[client_id];
  a.balance["BTC"] = state.options.starting_balance_btc;
  a.balance["ETH"] = state.options.starting_balance_eth;
}

void market_step(deribit_state& state, const clock_now& now) {
  for (auto& [name, book] : state.books) {
    const auto changes = 1 + state.random() % 3;
    for (std::uint64_t i = 0; i < changes; ++i)
      random_market_change(state, book);
    if (state.random() % 4 == 0)
      market_trade(state, book, now);
  }
  publish_market(state, now);
}

void publish_market(deribit_state& state, const clock_now& now) {
  for (auto& [name, book] : state.books) {
    publish_book(state, book, now);
    if (!book.unsent.empty()) {
      const auto data = trades_json(state, book.unsent, false);
      for (const auto& [id, channel] : subscribers(state, "trades." + name + "."))
        notify(state, id, subscription(channel, data));
      book.unsent.clear();
    }
    if (std::exchange(book.ticker_dirty, false)) {
      const auto data = ticker_json(state, book, now.wall_ms());
      for (const auto& [id, channel] : subscribers(state, "ticker." + name + "."))
        notify(state, id, subscription(channel, data));
    }
  }
}

std::string book_snapshot(const deribit_state& state, const std::string& channel,
                          std::int64_t now_ms) {
  const auto p = parts_of(channel);
  if (p.size() < 3 || p[0] != "book" || !state.books.count(p[1]))
    return {};
  const auto& book = state.books.at(p[1]);
  if (p.size() == 5)
    return subscription(channel, grouped_book(state, book, std::stoul(p[3]), now_ms));
  rapidjson::StringBuffer buffer;
  json_writer w{buffer};
  w.StartObject();
  w.Key("type");
  w.String("snapshot");
  w.Key("timestamp");
  w.Int64(now_ms);
  w.Key("instrument_name");
  write_string(w, book.spec.name);
  w.Key("change_id");
  w.Int64(book.change_id);
  const auto levels = [&](const auto& side) {
    w.StartArray();
    for (const auto& [price, amount] : side) {
      w.StartArray();
      w.String("new");
      w.Double(price_of(book.spec, price));
      w.Double(amount);
      w.EndArray();
    }
    w.EndArray();
  };
  w.Key("bids");
  levels(book.published_bids);
  w.Key("asks");
  levels(book.published_asks);
  w.EndObject();
  return subscription(channel, text_of(buffer));
}

channel_info classify_channel(const deribit_state& state, const std::string& channel) {
  const auto p = parts_of(channel);
  channel_info out;
  if (p.size() < 2)
    return out;
  const auto known = [&](const std::string& name) { return state.books.count(name) != 0; };
  out.raw = is_interval(p.back()) && p.back() == "raw";
  if ((p[0] == "book" || p[0] == "ticker" || p[0] == "trades") && p.size() == 3) {
    out.valid = known(p[1]) && is_interval(p[2]);
  } else if (p[0] == "book" && p.size() == 5) {
    static const std::set<std::string> groups{"none", "1", "2", "5", "10", "25", "100", "250"};
    out.valid = known(p[1]) && groups.count(p[2]) &&
                (p[3] == "1" || p[3] == "10" || p[3] == "20") &&
                (p[4] == "100ms" || p[4] == "agg2");
  } else if (p[0] == "user" && p.size() >= 4 && (p[1] == "orders" || p[1] == "trades")) {
    out.is_private = true;
    out.valid = is_interval(p.back()) && ((p.size() == 4 && known(p[2])) ||
                                          (p.size() == 5 && (p[2] == "any" || p[2] == "future") &&
                                           (p[3] == "any" || p[3] == "BTC" || p[3] == "ETH")));
  }
  return out;
}

std::size_t cancel_session_orders(deribit_state& state, session_id session, const clock_now& now) {
  std::size_t n = 0;
  for (const auto& id : state.order_sequence) {
    auto& o = state.orders.at(id);
    if (o.public_view.session != session || o.public_view.order_state != "open")
      continue;
    cancel_order(state, o, "cancel_on_disconnect", now);
    ++n;
  }
  return n;
}

std::optional<method_result> exchange_method(deribit_state& state, const std::string& method,
                                             const rapidjson::Value& params,
                                             const std::string& account, session_id session,
                                             const clock_now& now) {
  if (account.empty())
    return public_method(state, method, params, now);
  if (method == "private/buy" || method == "private/sell")
    return place(state, method == "private/buy" ? "buy" : "sell", params, account, session, now);
  if (method == "private/edit")
    return edit(state, params, account, now);
  if (method == "private/cancel")
    return cancel(state, params, account, now);
  if (method == "private/cancel_all")
    return cancel_all(state, account, {}, now);
  if (method == "private/cancel_all_by_instrument") {
    auto found = instrument_of(state, params);
    if (auto* e = std::get_if<method_result>(&found))
      return *e;
    return cancel_all(state, account, std::get<book_state*>(found)->spec.name, now);
  }
  if (method == "private/get_open_orders_by_instrument")
    return open_orders_of(state, params, account);
  if (method == "private/get_order_state") {
    auto found = own_order(state, params, account);
    if (auto* e = std::get_if<method_result>(&found))
      return *e;
    return ok(order_json(state, *std::get<order_state*>(found)));
  }
  if (method == "private/get_positions")
    return positions_of(state, params, account);
  if (method == "private/get_position")
    return position_of(state, params, account);
  if (method == "private/get_account_summary")
    return account_summary(state, params, account);
  if (method == "private/get_portfolio_margins")
    return portfolio_margins(state, params, account);
  if (method == "private/get_user_trades_by_instrument") {
    auto found = instrument_of(state, params);
    if (auto* e = std::get_if<method_result>(&found))
      return *e;
    return trade_list(state, state.accounts.at(account).trades,
                      std::get<book_state*>(found)->spec.name, count_param(params), true);
  }
  if (method == "private/get_settlement_history_by_instrument" ||
      method == "private/get_settlement_history_by_currency")
    return ok(R"({"settlements":[],"continuation":null})");
  return std::nullopt;
}

} // namespace zenws::testing::detail::deribit
