#pragma once
/// @file
/// A Deribit API v2 simulator on test_server: JSON-RPC over WebSocket with the venue's
/// authentication, heartbeats, cancel-on-disconnect, subscriptions, credit rate limits and a
/// small matching engine, so that a client is tested against behaviour, not a script. Wire facts:
/// exchanges.md section 1 ([doc] there); choices where Deribit documents nothing are marked [inf].
///
/// What it enforces (every time is an option, scaled down in tests; defaults are the venue's):
///
/// Envelope
/// - Any path is served [inf: the venue serves /ws/api/v2]. Text frames carry one JSON-RPC 2.0
///   request each: an object with `method` and an integer or string `id` (echoed as sent) and
///   object `params` (may be absent). Responses carry `usIn`, `usOut`, `usDiff` (microseconds)
///   and `testnet`; notifications never do.
/// - Errors: `{"code":c,"message":m[,"data":{"reason":..,"param":..}]}`. -32700 "Parse error"
///   (not JSON, id null); -32600 "request entity too large" (frame over `max_frame_bytes`, 32 KB;
///   id echoed when it can be read) and "Invalid Request" (not an object, no method, bad id,
///   positional params); -32601 "Method not found"; -32602 "Invalid params" with the param and
///   the reason. Binary frames: -32600 [inf].
/// - With `reply_spread` > 0 every response waits a random 0..spread before it is sent, so
///   pipelined requests are answered out of order (notifications a request causes follow its
///   response).
///
/// Authentication (`public/auth`)
/// - client_credentials (client_id, client_secret); client_signature (client_id, timestamp in
///   ms within `signature_window` of now, past or future, nonce, data, signature = lowercase hex
///   HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + data); a nonce is accepted once per
///   client within the window [inf]); refresh_token. Wrong or unknown credentials, signature,
///   stale timestamp, reused nonce, unknown or expired refresh token: 13004
///   "invalid_credentials". Missing fields: -32602.
/// - Result: access_token, refresh_token, expires_in (`token_lifetime`), scope ("connection
///   mainaccount", or "session:<name> mainaccount" when the request asked for session:<name>),
///   token_type "bearer", state echoed. A connection-scoped token is valid only on its session.
/// - `private/*` methods need an authenticated session or a valid `access_token` in params;
///   otherwise, or when the token expired or belongs to another session: 13009 "unauthorized".
///
/// Session methods
/// - public/hello (client_name, client_version required) -> {"version":"1.2.26"};
///   public/get_time -> ms; public/test -> {"version":..} (expected_result "exception" -> 11094
///   [inf]); public/set_heartbeat (interval in seconds, >= `min_heartbeat_interval`, else
///   -32602) -> "ok"; public/disable_heartbeat -> "ok"; private/enable_cancel_on_disconnect,
///   disable_..., get_... with scope "connection" (default) or "account"; private/logout (closes
///   with 1000 after answering; no cancel-on-disconnect).
/// - Heartbeat: every `interval` (times `heartbeat_second`) the session gets
///   `{"method":"heartbeat","params":{"type":"test_request"}}`; a public/test must arrive within
///   the next interval, else the session is closed (1000 "heartbeat timeout", or a reset with
///   `heartbeat_reset`) and cancel-on-disconnect fires.
/// - Cancel-on-disconnect: when enabled for the connection, or for the account (every session
///   of the account, present and future [inf: the venue applies it to new ones]), the end of the
///   session (close, reset, heartbeat timeout, credit exhaustion) cancels the open orders the
///   session placed; a logout does not.
///
/// Subscriptions
/// - public/subscribe, private/subscribe (needs auth), unsubscribe, unsubscribe_all. The result
///   lists the channels accepted (or actually unsubscribed); unknown channels, unknown
///   instruments and private channels on public/subscribe are left out (partial acceptance). A
///   `raw` interval without auth: 13778 for the whole request.
/// - Channels: `book.<instrument>.<raw|100ms|agg2>` (snapshot right after the subscribe
///   response, then deltas with change_id/prev_change_id and actions new/change/delete),
///   `book.<instrument>.none.<1|10|20>.<100ms|agg2>` (top-N snapshot each time),
///   `ticker.<instrument>.<interval>`, `trades.<instrument>.<interval>` (array),
///   `user.orders.<instrument|any.any|kind.currency>.raw` (one order object) or `.<interval>`
///   (array), `user.trades.<instrument>.<interval>`. Book, ticker and trades go out on every
///   market step (`market_interval`) that changed something [inf: raw goes out at once on the
///   venue]; user.* go out when the account's orders change.
///
/// Rate limits (credits, per account once authenticated, else shared by all anonymous
/// sessions as per IP)
/// - Pools refill continuously: non-matching methods cost 500 of 50,000 (10,000/s), subscribe
///   3,000 of 30,000, get_instruments 10,000 of 500,000, matching-engine methods 1 of a burst of
///   20 refilled 5/s (tier 4). A request without credits gets 10028 "too_many_requests" and the
///   session is closed (1008) [doc: the session is terminated].
///
/// Matching engine
/// - Instruments BTC-PERPETUAL and ETH-PERPETUAL (inverse, amounts in USD, multiples of the
///   contract size, prices on the tick). The book holds the market's liquidity (levels around a
///   mid, changed at random each market step, sometimes taken by a market trade) and the
///   accounts' resting orders. buy/sell (limit, market; good_til_cancelled, good_til_day,
///   fill_or_kill, immediate_or_cancel; post_only with reject_post_only -> 11054, else repriced
///   one tick away; label) match price-time against the book; the rest rests. edit, cancel,
///   cancel_all, cancel_all_by_instrument, get_open_orders_by_instrument, get_order_state,
///   get_positions, get_position, get_account_summary, get_user_trades_by_instrument,
///   get_settlement_history_by_instrument/currency, get_portfolio_margins, get_instruments,
///   get_order_book, ticker, get_last_trades_by_instrument.
/// - Errors: 10020 unknown instrument, -32602 amount not a positive multiple of the contract
///   size or missing price, 10043 price_wrong_tick, 10009 not_enough_funds (initial margin 2% of
///   the notional of positions and open orders over equity [inf]), 10004 order_not_found, 11044
///   not_open_order, 10029 not_owner_of_order, 11054 post_only_reject.
///
/// Not modelled: HTTP, 429 on the 33rd connection, options and futures with expiry, trigger
/// orders, reduce_only enforcement, fees, funding, settlement (the history is empty), the 10
/// minutes idle close, scopes narrower than the key's.
///
/// @par Thread safety
/// Every member may be called from any thread. The simulator runs test_server's io thread and
/// one timer thread (heartbeats, market steps, delayed replies), both joined in the destructor.
///
/// @par Example
/// @code
/// zenws::testing::deribit_simulator_options options;
/// options.server = zenws::testing::server_options::secure();
/// options.heartbeat_second = 10ms; // set_heartbeat interval 10 -> a test_request every 100 ms
/// zenws::testing::deribit_simulator venue{options};
/// // connect a client to venue.url(), authenticate with venue.client_id() / client_secret() ...
/// @endcode

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zenws/testing/test_server.hpp"

namespace zenws::testing {

/// One credit pool: what a request of its class costs, how many the pool holds, how fast it
/// refills.
struct deribit_credit_pool {
  double cost = 500;
  double size = 50'000;
  double refill_per_second = 10'000;
};

/// Settings fixed at construction. Defaults are Deribit's where Deribit has one.
struct deribit_simulator_options {
  server_options server; ///< ws (default) or wss, port, ...
  /// API keys: client_id -> client_secret.
  std::map<std::string, std::string> clients{{"zenws-client", "zenws-secret"}};
  bool testnet = true;
  std::size_t max_frame_bytes = std::size_t{32} * 1024; ///< larger requests get -32600
  /// The length of one second of set_heartbeat's interval; tests shrink it.
  milliseconds heartbeat_second{1000};
  std::int64_t min_heartbeat_interval = 10; ///< seconds; set_heartbeat below it gets -32602
  bool heartbeat_reset = false; ///< an unanswered test_request resets the socket (no close frame)
  milliseconds signature_window{60000}; ///< client_signature timestamps older or newer: refused
  milliseconds token_lifetime{900'000}; ///< expires_in of access tokens
  milliseconds refresh_lifetime{86'400'000}; ///< refresh tokens
  bool rate_limits = true;                   ///< credits enforced
  deribit_credit_pool non_matching{500, 50'000, 10'000};
  deribit_credit_pool subscribe{3'000, 30'000, 10'000};
  deribit_credit_pool get_instruments{10'000, 500'000, 10'000};
  deribit_credit_pool matching_engine{1, 20, 5};
  milliseconds market_interval{100}; ///< market steps (book/ticker/trades); 0 = only step_market()
  milliseconds reply_spread{0};      ///< responses delayed by a random 0..spread; 0 = in order
  double starting_balance_btc = 10;
  double starting_balance_eth = 100;
  std::uint64_t seed = 1; ///< the market's randomness and reply delays
};

/// What the simulator has seen and done so far (a snapshot).
struct deribit_counters {
  std::size_t sessions_opened = 0;
  std::size_t open_sessions = 0;
  std::size_t requests = 0;         ///< JSON-RPC requests read
  std::size_t error_responses = 0;  ///< answered with an error
  std::size_t auths = 0;            ///< successful public/auth
  std::size_t auth_failures = 0;    ///< 13004 answers
  std::size_t unauthorized = 0;     ///< 13009 answers
  std::size_t test_requests = 0;    ///< test_request notifications sent
  std::size_t tests_answered = 0;   ///< public/test requests
  std::size_t heartbeat_closes = 0; ///< sessions closed for an unanswered test_request
  std::size_t rate_limited = 0;     ///< 10028 answers (each closes its session)
  std::size_t oversize_frames = 0;  ///< -32600 for frames over max_frame_bytes
  std::size_t logouts = 0;
  std::size_t cod_cancels = 0;          ///< orders cancelled by cancel-on-disconnect
  std::size_t orders_placed = 0;        ///< buy/sell accepted
  std::size_t orders_cancelled = 0;     ///< by cancel requests (not cancel-on-disconnect)
  std::size_t trades = 0;               ///< fills, market trades included
  std::size_t book_changes = 0;         ///< book deltas published (change_ids used)
  std::size_t dropped_book_changes = 0; ///< taken by drop_next_book_change
  std::size_t subscriptions = 0;        ///< channels held by open sessions
};

/// An order as the venue knows it.
struct deribit_order {
  std::string order_id;
  std::string client_id;  ///< the account
  session_id session = 0; ///< where it was placed
  std::string instrument;
  std::string direction;   ///< "buy" or "sell"
  std::string order_type;  ///< "limit" or "market"
  std::string order_state; ///< "open", "filled", "cancelled", "rejected"
  std::string label;
  double price = 0;
  double amount = 0;
  double filled_amount = 0;
};

/// The simulator: a test_server plus the venue's rules (see the file comment). Destroy it from a
/// test thread, never from one of its own callbacks.
class deribit_simulator {
public:
  /// Listens before it returns. @throws what test_server's constructor throws, and
  /// std::invalid_argument for options that cannot work (no client, zero heartbeat_second).
  explicit deribit_simulator(deribit_simulator_options options = {});
  ~deribit_simulator();
  deribit_simulator(const deribit_simulator&) = delete;
  deribit_simulator& operator=(const deribit_simulator&) = delete;

  /// "ws[s]://127.0.0.1:PORT/ws/api/v2" (or another target).
  std::string url(const std::string& target = "/ws/api/v2") const;
  std::uint16_t port() const;
  const tls_files& tls() const;
  /// The server underneath, for faults (reset, stall, close, refuse_upgrade, ...) and its own
  /// observations. Replacing its responder or hooks disconnects the simulator's rules.
  test_server& server();

  /// The first configured client id and its secret (for tests and the demo).
  std::string client_id() const;
  std::string client_secret() const;

  // -- market ------------------------------------------------------------------------------------

  /// One market step now: random book changes, maybe a market trade, then book, ticker and
  /// trades notifications for what changed.
  void step_market();
  /// The instrument's next book change is applied but never sent: subscribers see a gap in
  /// prev_change_id. @throws std::invalid_argument for an unknown instrument.
  void drop_next_book_change(const std::string& instrument);
  /// The next request for `method` is answered with this error instead (after the credit and
  /// auth checks), for the codes no rule produces by itself: 10040 retry, 10041
  /// settlement_in_progress, 10047 matching_engine_queue_full, 11051 system_maintenance, 13028
  /// temporarily_unavailable, 13888 timed_out, ... Injections for one method queue up.
  void fail_next(const std::string& method, int code, const std::string& message);
  /// The book's current change_id (as last published).
  std::int64_t change_id(const std::string& instrument) const;

  // -- observation -------------------------------------------------------------------------------

  deribit_counters counters() const;
  /// The account's orders, open ones first, each group in placement order.
  std::vector<deribit_order> orders(const std::string& client_id) const;
  std::vector<deribit_order> open_orders(const std::string& client_id) const;
  /// The account's position in the instrument (USD; negative = short).
  double position(const std::string& client_id, const std::string& instrument) const;
  /// The open sessions (a stalled one stays open), in id order.
  std::vector<session_id> sessions() const;
  /// The session's channels, sorted (empty once it has ended).
  std::vector<std::string> channels(session_id session) const;
  /// The account the session is authenticated as, if any.
  std::optional<std::string> account(session_id session) const;
  /// The session's heartbeat interval in seconds (0 = off).
  std::int64_t heartbeat_interval(session_id session) const;
  /// Whether cancel-on-disconnect covers the session now.
  bool cancel_on_disconnect(session_id session) const;

  /// Waits until `count` sessions have upgraded in total; the newest one's id.
  std::optional<session_id> wait_for_sessions(std::size_t count, milliseconds timeout);
  /// Waits until `ready(counters())` holds.
  bool wait_for(const std::function<bool(const deribit_counters&)>& ready, milliseconds timeout);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Lowercase hex HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + data): the signature of
/// public/auth's client_signature grant.
std::string deribit_signature(const std::string& secret, std::int64_t timestamp_ms,
                              const std::string& nonce, const std::string& data);

} // namespace zenws::testing
