#pragma once
// Internal to binance_simulator (not installed; includes RapidJSON).
//
// binance_state is everything the simulator knows. The simulator guards it with one mutex and
// passes the time in, so the functions declared here read no clock and do no I/O: they change
// the state and return what to send or close, which the simulator then asks test_server to do.
//
//   binance_streams.cpp   routes, stream names, stream control messages, market data payloads
//   binance_ws_api.cpp    the WS API: envelope, weights (binance_signing.cpp and
//                         binance_ws_api_methods.cpp do the rest; detail/binance_ws_api.hpp)
//   binance_simulator.cpp sessions, pings, lifetimes, the incoming limit, the public API

#include <zenws/testing/binance_simulator.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zenws::testing::detail {

using steady_time = std::chrono::steady_clock::time_point;
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline void write_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

/// Something for test_server to do on the simulator's behalf.
struct action {
  enum class kind : std::uint8_t { send, ping, close };
  kind what = kind::send;
  session_id session = 0;
  std::string data;       ///< text frame, ping payload or close reason
  std::uint16_t code = 0; ///< close code
};
using actions = std::vector<action>;

// -- sessions --------------------------------------------------------------------------------

enum class endpoint : std::uint8_t { raw, combined, api };

/// Where an upgrade request goes, or its refusal (refusal.status != 0).
struct route {
  endpoint kind = endpoint::raw;
  std::vector<std::string> streams; ///< named in the URL
  bool return_rate_limits = true;   ///< WS API: ?returnRateLimits=false turns it off
  upgrade_verdict refusal;
  bool over_stream_limit = false; ///< the refusal is for more than max_streams streams
};

/// One open session as the simulator tracks it.
struct binance_session {
  endpoint kind = endpoint::raw;
  bool combined = false;            ///< the `combined` property: wrap payloads
  std::vector<std::string> streams; ///< subscription order
  bool return_rate_limits = true;
  steady_time next_ping{};
  steady_time notice_at{}; ///< when serverShutdown is due (if options.shutdown_notice)
  steady_time end_at{};    ///< the lifetime's end (if options.lifetime)
  bool notice_sent = false;
  bool closing = false;                       ///< the simulator closed it; ignore its frames
  std::map<std::uint64_t, steady_time> pings; ///< outstanding ping number -> pong deadline
  std::deque<steady_time> incoming;           ///< arrival times within the last second
};

// -- market data -----------------------------------------------------------------------------

struct book_level {
  std::string price;
  std::string qty;
};

/// One symbol's book, update ids and trade ids.
struct order_book {
  std::int64_t last_update_id = 1000;
  std::uint64_t overlap = 0; ///< the next update's U starts this many ids early
  std::int64_t next_trade_id = 1;
  std::map<double, book_level, std::greater<>> bids; ///< best (highest) first
  std::map<double, book_level> asks;                 ///< best (lowest) first
};

// -- WS API ----------------------------------------------------------------------------------

struct resting_order {
  std::string symbol;
  std::int64_t order_id = 0;
  std::string client_order_id;
  std::string price; ///< as the venue prints it: 8 decimals
  std::string qty;
  std::string time_in_force;
  std::string type;
  std::string side;
  std::int64_t time = 0;
};

/// Everything the simulator knows, guarded by its mutex.
struct binance_state {
  binance_state(binance_simulator_options o, steady_time start);

  const binance_simulator_options options;
  std::map<session_id, binance_session> sessions;
  std::map<std::string, order_book> books; ///< one per known symbol (lowercase)
  binance_counters counters;               ///< weight_used is filled in by weight_used()
  std::uint64_t next_ping = 1;

  // WS API, per IP (the simulator has one: 127.0.0.1)
  const steady_time started;         ///< weight windows count from here
  std::int64_t window = 0;           ///< index of the current weight window
  std::uint64_t window_weight = 0;   ///< weight charged in it
  std::size_t window_429s = 0;       ///< 429s answered in it
  std::optional<steady_time> banned; ///< until when, if banned
  std::int64_t next_order_id = 1;
  std::map<std::int64_t, resting_order> orders;
};

// binance_streams.cpp

/// The route for an upgrade target (path and query); refusals 404 (path) and 400 (streams).
route parse_route(const std::string& target, std::size_t max_streams);
/// Whether `name` is a stream name the venue accepts (see binance_simulator.hpp).
bool is_valid_stream(std::string_view name);
/// The reply to one frame from a stream session: SUBSCRIBE and the other control messages.
std::string answer_stream_request(binance_state& state, binance_session& session,
                                  std::string_view text);
/// Sends `payload` (JSON) as `stream` to every open stream session subscribed to it.
void publish_to(const binance_state& state, const std::string& stream, const std::string& payload,
                actions& out);
/// A trade event; takes the book's next trade id.
std::string trade_event(order_book& book, const std::string& symbol, const std::string& price,
                        const std::string& qty, bool buyer_is_maker, std::int64_t now_ms);
/// Applies a depth update to the book and takes its ids; the depthUpdate event.
std::string apply_depth(order_book& book, const std::string& symbol,
                        const std::vector<price_level>& bids, const std::vector<price_level>& asks,
                        std::int64_t now_ms);
/// serverShutdown in the session's form (raw, combined or WS API).
std::string shutdown_event(const binance_session& session, std::int64_t now_ms);

// binance_ws_api.cpp (the WS API)

/// The WS API's answer to one frame, and whether the session must then be closed (a ban).
struct api_answer {
  std::string reply;
  bool ban = false;
};
api_answer answer_api_request(binance_state& state, binance_session& session, std::string_view text,
                              steady_time now, std::int64_t now_ms);
/// Charges what connecting to the WS API costs (2 weight).
void charge_connection(binance_state& state, steady_time now);
/// REQUEST_WEIGHT used in the window `now` falls in.
std::uint64_t weight_used(binance_state& state, steady_time now);

} // namespace zenws::testing::detail
