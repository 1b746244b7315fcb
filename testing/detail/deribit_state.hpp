#pragma once
// Internal to deribit_simulator (not installed; includes RapidJSON).
//
// deribit_state is everything the simulator knows. The simulator guards it with one mutex and
// passes the time in, so the functions declared here read no clock and do no I/O: they change
// the state and queue what to send or close, which the simulator then asks test_server to do.
//
//   deribit_rpc.cpp       the envelope, the method table, credits, auth, heartbeat, COD,
//                         subscriptions
//   deribit_exchange.cpp  instruments, the matching book, accounts, the market, the JSON of
//                         orders, trades, books and tickers
//   deribit_simulator.cpp sessions, the timer thread, the public API

#include <zenws/testing/deribit_simulator.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zenws::testing::detail::deribit {

using steady_time = std::chrono::steady_clock::time_point;
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline void write_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

inline std::string text_of(const rapidjson::StringBuffer& buffer) {
  return {buffer.GetString(), buffer.GetSize()};
}

/// The member `name` of `object`, or null when `object` is not an object or has no such member.
inline const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject())
    return nullptr;
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

/// The string member `name` of request params, or nullopt when absent or not a string.
inline std::optional<std::string> string_param(const rapidjson::Value& params, const char* name) {
  const auto* v = member(params, name);
  if (!v || !v->IsString())
    return std::nullopt;
  return std::string{v->GetString(), v->GetStringLength()};
}

/// Something for test_server to do on the simulator's behalf.
struct action {
  enum class kind : std::uint8_t { send, close, reset };
  kind what = kind::send;
  session_id session = 0;
  std::string data;       ///< text frame or close reason
  std::uint16_t code = 0; ///< close code
  steady_time due{};      ///< sends: not before (out-of-order replies)
};
using actions = std::vector<action>;

// -- credits ---------------------------------------------------------------------------------

struct credit_bucket {
  double tokens = 0;
  steady_time at{};
  bool started = false;
  /// Refills up to `now` and takes the cost; false (nothing taken) when there is not enough.
  bool take(const deribit_credit_pool& pool, steady_time now);
};

/// The pools of one account (or of all anonymous sessions).
struct credit_pools {
  credit_bucket non_matching, subscribe, get_instruments, matching_engine;
};

// -- sessions and accounts -------------------------------------------------------------------

struct session_state {
  std::optional<std::string> account;  ///< client_id once authenticated
  std::string access_token;            ///< the token issued on this session, if any
  std::int64_t heartbeat_interval = 0; ///< seconds; 0 = off
  steady_time next_test_request{};
  std::optional<steady_time> answer_due; ///< a test_request waits for public/test
  bool cod = false;                      ///< cancel-on-disconnect, connection scope
  steady_time release_after{};           ///< notifications wait for delayed responses until then
  bool closing = false;                  ///< the simulator closed it; ignore its frames
  bool logged_out = false;
  std::set<std::string> channels;
};

struct token_info {
  std::string account;
  std::optional<session_id> session; ///< connection scope: valid only there
  std::string session_name;          ///< session scope: session:<name>
  steady_time expires{};
};

struct order_state {
  deribit_order public_view;
  std::int64_t price_ticks = 0; ///< limit orders
  std::string time_in_force = "good_til_cancelled";
  bool post_only = false;
  bool reject_post_only = false;
  bool reduce_only = false;
  bool replaced = false;
  double average_price = 0;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::string cancel_reason;
  std::uint64_t seq = 0; ///< time priority within its level
};

struct trade_record {
  std::string trade_id;
  std::int64_t trade_seq = 0;
  std::string instrument;
  std::string direction; ///< the taker's
  double price = 0;
  double amount = 0;
  std::int64_t timestamp = 0;
  // For user trades: the account's side of it.
  std::string order_id;
  std::string liquidity; ///< "M" or "T"
  std::string user_direction;
  std::string label;
};

struct position_state {
  double size = 0; ///< USD, signed
  double average_price = 0;
  double realized_pnl = 0; ///< in the currency
};

struct account_state {
  std::map<std::string, double> balance;           ///< currency -> balance
  std::map<std::string, position_state> positions; ///< instrument -> position
  std::deque<trade_record> trades;                 ///< the account's fills, newest last
  bool cod_account = false;                        ///< cancel-on-disconnect, account scope
  credit_pools credits;
  std::map<std::string, steady_time> nonces; ///< client_signature nonces within the window
};

// -- instruments and books -------------------------------------------------------------------

struct instrument_spec {
  std::string name;
  std::string currency;
  std::int64_t ticks_per_unit = 2; ///< 1 / tick size (0.5 -> 2, 0.05 -> 20)
  double contract_size = 10;       ///< USD
  std::int64_t mid = 100'000;      ///< in ticks
};

/// Prices are held as whole ticks: ticks / ticks_per_unit is the double nearest the decimal
/// price, the same one a client's JSON parser makes of it.
using ticks = std::int64_t;

/// One price level: the market's liquidity first in the queue, then resting orders by time.
struct level {
  double market = 0;
  std::vector<std::string> orders; ///< order ids, oldest first
};

struct book_state {
  instrument_spec spec;
  std::map<ticks, level, std::greater<>> bids; ///< best first
  std::map<ticks, level> asks;                 ///< best first
  // What subscribers know: the book as last published, and its change_id.
  std::map<ticks, double, std::greater<>> published_bids;
  std::map<ticks, double> published_asks;
  std::int64_t change_id = 0;
  bool drop_next = false;
  std::deque<trade_record> trades;  ///< public trades, newest last
  std::vector<trade_record> unsent; ///< trades since the last market publication
  bool ticker_dirty = true;
  std::int64_t next_trade_seq = 1;
  double last_price = 0;
};

// -- the state -------------------------------------------------------------------------------

struct deribit_state {
  deribit_state(deribit_simulator_options o, steady_time start);

  const deribit_simulator_options options;
  const steady_time started;
  std::map<session_id, session_state> sessions;
  std::map<std::string, account_state> accounts; ///< by client_id
  credit_pools anonymous;                        ///< unauthenticated sessions share these
  std::map<std::string, token_info> access_tokens;
  std::map<std::string, token_info> refresh_tokens;
  std::map<std::string, book_state> books; ///< by instrument name
  std::map<std::string, order_state> orders;
  std::vector<std::string> order_sequence; ///< order ids in placement order
  deribit_counters counters;
  std::map<std::string, std::deque<std::pair<int, std::string>>> injected; ///< fail_next()
  std::mt19937_64 random;
  std::uint64_t next_id = 1; ///< orders, trades, tokens
  std::uint64_t next_seq = 1;
  actions out; ///< queued by the functions below; the simulator performs and clears them
};

/// The time as the venue reports it.
struct clock_now {
  steady_time steady;
  std::int64_t wall_us = 0;
  std::int64_t wall_ms() const { return wall_us / 1000; }
};

// deribit_rpc.cpp

/// Reads one frame from a session and queues the replies (and any close).
void on_frame(deribit_state& state, session_id id, session_state& s, const frame& f,
              const clock_now& now);
/// The heartbeat deadlines of a session; the next time it needs a look.
steady_time heartbeat_tick(deribit_state& state, session_id id, session_state& s, steady_time now);
/// The session ended (however): cancel-on-disconnect and forgetting it.
void end_session(deribit_state& state, session_id id, const clock_now& now);
/// Queues `text` for the session (a notification: never delayed).
void notify(deribit_state& state, session_id id, std::string text);

// deribit_exchange.cpp

/// BTC-PERPETUAL and ETH-PERPETUAL with the market's liquidity around their mids.
void make_books(deribit_state& state);
void make_account(deribit_state& state, const std::string& client_id);
/// One market step: random changes, maybe a market trade; then the notifications.
void market_step(deribit_state& state, const clock_now& now);
/// Publishes book deltas, tickers and trades for what changed (to subscribed sessions).
void publish_market(deribit_state& state, const clock_now& now);
/// The JSON text of a snapshot notification for a book channel, or "" for an unknown one.
std::string book_snapshot(const deribit_state& state, const std::string& channel,
                          std::int64_t now_ms);
/// Whether `channel` is one the venue serves (instrument known, interval valid), and whether
/// it is private (user.*) and raw.
struct channel_info {
  bool valid = false;
  bool is_private = false;
  bool raw = false;
};
channel_info classify_channel(const deribit_state& state, const std::string& channel);
/// Cancels the orders `session` placed (cancel-on-disconnect); how many.
std::size_t cancel_session_orders(deribit_state& state, session_id session, const clock_now& now);

/// A trading or market method's outcome: the result JSON, or an error.
struct method_result {
  std::string result; ///< JSON text when error_code == 0
  int error_code = 0;
  std::string message;
  std::string param;  ///< for -32602
  std::string reason; ///< for -32602
};
method_result error_result(int code, std::string message);
/// A successful outcome with `json` as its result.
inline method_result ok(std::string json) {
  method_result r;
  r.result = std::move(json);
  return r;
}
method_result invalid_param(std::string param, std::string reason);

/// The exchange's methods; `account` is empty for public ones. Unknown method: nullopt.
std::optional<method_result> exchange_method(deribit_state& state, const std::string& method,
                                             const rapidjson::Value& params,
                                             const std::string& account, session_id session,
                                             const clock_now& now);

} // namespace zenws::testing::detail::deribit
