#pragma once
/// @file
/// A Binance spot simulator on test_server: market-data streams (`/ws`, `/stream`) and the
/// WebSocket API (`/ws-api/v3`), enforcing the venue's rules so that a client adapter is tested
/// against behaviour, not against a script. Wire facts: exchanges.md section 2 ([doc] there);
/// choices where Binance documents nothing are marked [inf] below.
///
/// What it enforces (every time is an option, scaled down in tests; defaults are the venue's):
///
/// Connections (all three endpoints)
/// - Paths: `/ws` and `/ws/<stream>` (raw), `/stream?streams=a/b/c` (combined),
///   `/ws-api/v3[?returnRateLimits=false]`. Any other path: HTTP 404. A malformed stream name in
///   the URL, or more than `max_streams` of them: HTTP 400 [inf].
/// - A ping frame every `ping_interval` (20 s) with a unique payload (a decimal number). A pong
///   echoing it must come within `pong_timeout` (60 s), else close 1008 "Pong timeout" [inf: the
///   venue just drops]. A pong answers its ping and every earlier one (RFC 6455 lets a client
///   answer only the latest); a pong with any other payload keeps nothing alive.
/// - After `lifetime` (24 h): close 1001 "Connection lifetime expired" [inf: the venue drops].
///   `shutdown_notice` before that (0 = none, the default) the session gets `serverShutdown`:
///   `{"e":"serverShutdown","E":ms}` raw, `{"stream":"!serverShutdown","data":{...}}` combined,
///   `{"event":{"e":"serverShutdown","E":ms}}` on the WS API.
///
/// Streams (`/ws`, `/stream`)
/// - Every incoming frame but a close (text, binary, ping, pong) counts; the
///   (`max_incoming_per_second` + 1)th within any sliding 1 s window closes with 1008 "Too many
///   requests" (5/s; 0 = no limit). Not on the WS API, which has request weight instead.
/// - SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY ["combined",bool], GET_PROPERTY
///   ["combined"]: `{"result":null|[...]|bool,"id":id}`. `id`: signed 64-bit integer, string of
///   at most 36 letters and digits, or null. Errors `{"error":{"code":c,"msg":m},"id":id|null}`:
///   code 0 unknown property; 1 property value not a boolean; 2 invalid request (not an object,
///   missing `id` [inf] or `method`, bad `id`, unknown method, bad params, invalid stream, and a
///   SUBSCRIBE that would pass `max_streams` (1024) [inf]: nothing of it is subscribed); 3 invalid
///   JSON (id null).
/// - Stream names are `<symbol>@<type>`: symbol lowercase letters and digits, type one of trade,
///   aggTrade, bookTicker, ticker, miniTicker, avgPrice, depth, depth5/10/20 (each optionally
///   @100ms or @1000ms), kline_<interval>, ticker_<1h|4h|1d>; or !ticker@arr, !miniTicker@arr,
///   !ticker_<1h|4h|1d>@arr. Anything else (uppercase included) is invalid. A valid name of an
///   unknown symbol is accepted (result null) and never carries data, as on the venue.
/// - Data only when a test publishes it: trade and depthUpdate in the venue's shapes, wrapped
///   `{"stream":name,"data":payload}` when the session is combined. depthUpdate ids follow
///   U == previous u + 1 unless a test injects a gap or an overlap.
///
/// WebSocket API (`/ws-api/v3`)
/// - `{"id","method","params"}` -> `{"id","status":200,"result","rateLimits"}` or
///   `{"id","status":4xx,"error":{"code","msg"[,"data"]},"rateLimits"}`; `v3/` method prefix ok.
/// - REQUEST_WEIGHT per IP (all sessions share it) in fixed windows of `weight_window` (1 min)
///   counted from the simulator's start [inf: the venue aligns to the clock]; limit
///   `weight_limit` (6000). Connecting costs 2. ping 1, time 1, depth 5/25/50/250 (limit
///   1-100/101-500/501-1000/1001-5000), order.place 1, order.cancel 1, account.status 20.
///   Failed requests are charged too (not unknown methods or unreadable requests); a request
///   that would take the window over the limit is not charged and gets 429
///   code -1003 with `data.retryAfter` (the window's end, ms). After `ban_after_429s` 429s in one
///   window (0 = never, the default [inf]) the IP is banned for `ban_duration`: 418 code -1003,
///   the session closed with 1008 "IP banned", new /ws-api upgrades refused with HTTP 418.
/// - `rateLimits` (REQUEST_WEIGHT only) unless `returnRateLimits` is false in the params or the
///   URL (the param wins).
/// - SIGNED (order.place, order.cancel, account.status), checked in this order: -1102 names a
///   missing apiKey, signature or timestamp; -2015 unknown apiKey (status 401 [inf]); -1102
///   recvWindow over 60000; -1022 signature (hex HMAC-SHA256 with the key's secret over every
///   param but signature, sorted by name, `k=v` joined by `&`, strings unquoted, numbers as
///   sent; compared case-insensitively); -1021 unless timestamp < server time + 1000 and server
///   time - timestamp <= recvWindow (default 5000; timestamps over 10^14 are microseconds).
/// - Other errors: -1135 invalid JSON or non-object params (id null when unparsable); -1102
///   missing/invalid id, method or mandatory param (named); -1020 unknown method [inf]; -1100
///   symbol not uppercase, price or quantity not a decimal; -1013 price or quantity <= 0; -1121
///   unknown symbol; -1130 depth limit not a positive integer (over 5000 is cut to 5000, as on
///   the venue) or unknown newOrderRespType; -1117 side; -1116 type; -1115 timeInForce; -1014
///   order types other than LIMIT and LIMIT_MAKER (there is no matching engine: orders rest as
///   NEW); -2010 duplicate open newClientOrderId; -2011 cancel of an unknown order.
/// - depth returns `{"lastUpdateId","bids","asks"}` from the book the published updates built.
///
/// Not modelled: ORDERS rate limits, 300 connects per 5 min, timeUnit=MICROSECOND, USD-M.
///
/// @par Thread safety
/// Every member may be called from any thread. The simulator runs test_server's io thread and
/// one timer thread (pings, pong deadlines, lifetimes), both joined in the destructor.
///
/// @par Example
/// @code
/// zenws::testing::binance_simulator_options options;
/// options.ping_interval = 50ms; // scaled: pings every 50 ms, pongs due within 200 ms
/// options.pong_timeout = 200ms;
/// zenws::testing::binance_simulator venue{options};
/// // connect a client to venue.url("/stream?streams=btcusdt@depth@100ms") ...
/// venue.publish_depth("btcusdt", {{"100.5", "2"}}, {});
/// @endcode

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zenws/testing/test_server.hpp"

namespace zenws::testing {

/// Settings fixed at construction. Durations of 0 turn their rule off, as each line says.
struct binance_simulator_options {
  server_options server;                   ///< ws (default) or wss, port, ...
  milliseconds ping_interval{20000};       ///< server pings; default 20 s, 0 = never
  milliseconds pong_timeout{60000};        ///< answer deadline; default 60 s, 0 = never enforced
  std::size_t max_incoming_per_second = 5; ///< streams only; default 5, 0 = no limit
  std::size_t max_streams = 1024;          ///< per connection; default 1024, 0 = no limit
  milliseconds lifetime{24 * 3600 * 1000}; ///< forced close; default 24 h, 0 = never
  milliseconds shutdown_notice{0};         ///< serverShutdown this long before; 0 = none
  std::vector<std::string> symbols{"btcusdt", "ethusdt", "bnbbtc"}; ///< known, lowercase
  std::map<std::string, std::string> api_keys; ///< API key -> HMAC secret; none by default
  std::uint64_t weight_limit = 6000;           ///< REQUEST_WEIGHT per window; default 6000
  milliseconds weight_window{60000};           ///< its length; default 1 min
  std::size_t ban_after_429s = 0;              ///< 429s in one window before a ban; 0 = never
  milliseconds ban_duration{120000};           ///< default 2 min
  milliseconds clock_offset{0};                ///< server time = system clock + this (skew)
};

/// What the simulator has seen and done so far (a snapshot).
struct binance_counters {
  std::size_t sessions_opened = 0;         ///< upgraded sessions, in total
  std::size_t open_sessions = 0;           ///< upgraded and not yet ended
  std::size_t refused_upgrades = 0;        ///< 404, 400 or 418 answers
  std::size_t pings_sent = 0;              ///< by the server
  std::size_t pongs_received = 0;          ///< pongs that answered an outstanding ping
  std::size_t unsolicited_pongs = 0;       ///< other pongs (they keep nothing alive)
  std::size_t rate_limit_closes = 0;       ///< 1008 "Too many requests"
  std::size_t pong_timeout_closes = 0;     ///< 1008 "Pong timeout"
  std::size_t lifetime_closes = 0;         ///< 1001 at the lifetime's end
  std::size_t ban_closes = 0;              ///< 418 then 1008 "IP banned"
  std::size_t stream_limit_rejections = 0; ///< SUBSCRIBEs and URLs over max_streams
  std::size_t shutdown_notices = 0;        ///< serverShutdown events sent
  std::size_t rate_limited_requests = 0;   ///< WS API 429 answers
  std::uint64_t weight_used = 0;           ///< REQUEST_WEIGHT in the current window
};

/// One price level as Binance writes it: {price, quantity}, both decimal strings.
using price_level = std::pair<std::string, std::string>;

/// The simulator: a test_server plus the venue's rules (see the file comment). Destroy it from a
/// test thread, never from one of its own callbacks.
class binance_simulator {
public:
  /// Listens before it returns. @throws what test_server's constructor throws.
  explicit binance_simulator(binance_simulator_options options = {});
  ~binance_simulator();
  binance_simulator(const binance_simulator&) = delete;
  binance_simulator& operator=(const binance_simulator&) = delete;

  // -- address and faults ------------------------------------------------------------------------

  /// "ws://127.0.0.1:PORT" + target, e.g. url("/stream?streams=btcusdt@trade").
  std::string url(const std::string& target) const;
  std::uint16_t port() const;
  const tls_files& tls() const;
  /// The server underneath, for faults (reset, stall, close, refuse_upgrade, ...) and its own
  /// observations. Replacing its responder or hooks disconnects the simulator's rules.
  test_server& server();

  // -- market data -------------------------------------------------------------------------------
  // Each sends to every open stream session subscribed to a matching stream, in call order.
  // @throws std::invalid_argument for a symbol not in options.symbols (the venue would never
  // send data for it).

  /// A trade event on `<symbol>@trade`, with the next trade id of the symbol.
  void publish_trade(const std::string& symbol, const std::string& price, const std::string& qty,
                     bool buyer_is_maker = false);
  /// Applies the levels to the symbol's book (quantity "0" removes a level) and sends a
  /// depthUpdate on `<symbol>@depth`, `@depth@100ms` and `@depth@1000ms`. It takes one update id
  /// per level (at least one): U = previous u + 1 and u = U + levels - 1, unless a gap or an
  /// overlap was injected. The first update of a symbol has U = 1001.
  void publish_depth(const std::string& symbol, const std::vector<price_level>& bids,
                     const std::vector<price_level>& asks);
  /// An update lost on the way: applies the levels and takes their update ids (at least one)
  /// without sending anything, so the next depthUpdate shows a gap (U > previous u + 1) and the
  /// depth snapshot has the lost levels.
  void skip_depth(const std::string& symbol, const std::vector<price_level>& bids = {},
                  const std::vector<price_level>& asks = {});
  /// The next depthUpdate of the symbol starts `ids` below previous u + 1 (U <= previous u), as
  /// an overlapping re-send does; its u still advances normally.
  void overlap_next_depth(const std::string& symbol, std::uint64_t ids);
  /// The symbol's last update id (what a depth snapshot would report as lastUpdateId).
  std::int64_t last_update_id(const std::string& symbol) const;
  /// Any payload (JSON text) on any valid stream name, wrapped for combined sessions.
  /// @throws std::invalid_argument for an invalid stream name.
  void publish(const std::string& stream, const std::string& payload);
  /// Sends serverShutdown now to every open session (a maintenance notice; closes nothing).
  void announce_shutdown();

  // -- observation -------------------------------------------------------------------------------

  binance_counters counters() const;
  /// The session's subscribed streams in subscription order (empty once it has ended).
  std::vector<std::string> streams(session_id session) const;
  /// Whether the session's payloads are wrapped (its `combined` property); false once ended.
  bool combined(session_id session) const;
  /// Server time in ms since the epoch: the system clock plus options.clock_offset.
  std::int64_t server_time() const;

  /// Waits until `count` sessions have upgraded in total; the newest one's id.
  std::optional<session_id> wait_for_sessions(std::size_t count, milliseconds timeout);
  /// Waits until `session` has at least `count` subscribed streams.
  bool wait_for_streams(session_id session, std::size_t count, milliseconds timeout);
  /// Waits until `ready(counters())` holds, e.g. `[](auto& c) { return c.rate_limit_closes; }`.
  bool wait_for(const std::function<bool(const binance_counters&)>& ready, milliseconds timeout);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Lowercase hex HMAC-SHA256 of `payload` keyed with `secret`: Binance's HMAC signature.
std::string binance_hmac_sha256_hex(std::string_view secret, std::string_view payload);

} // namespace zenws::testing
