#pragma once
/// @file
/// A Bybit v5 venue as a test_server responder: ping, auth and subscribe/unsubscribe on a public
/// (market data) or private endpoint, with the venue's rules, so that a client adapter is tested
/// against behaviour, not a script. Wire facts: exchanges.md section 4 ([doc]/[obs] there);
/// choices where Bybit documents nothing are marked [inf].
///
/// What it enforces (every reply goes to the session that sent the request):
///
/// - Every text frame must be a JSON object with a string `op`; otherwise
///   `{"success":false,"ret_msg":"Params Error","conn_id":c}` [inf]. Binary frames: no answer
///   [inf]. `req_id` (any JSON value) is echoed as sent when the request has one (except on
///   auth, below). `conn_id` is fixed per session: UUID-shaped on a public endpoint, 20 letters
///   and digits + "-" + 4 on a private one, like Bybit's.
/// - `ping`: public `{"success":true,"ret_msg":"pong","conn_id":c,"req_id":r,"op":"ping"}`
///   (`req_id` "" when none was sent); private `{"req_id":r,"op":"pong","args":["<now_ms>"],
///   "conn_id":c}`.
/// - `auth`, checked in this order (answers `{"success":bool,"ret_msg":m,"op":"auth",
///   "conn_id":c}`, `req_id` only with `echo_auth_req_id`): on a public endpoint "Request not
///   authorized" [inf]; `args` not [string, integer ms (a decimal string is accepted too [inf]),
///   string]: "Params Error" [inf]; expires <= now_ms(): "Params Error" [obs]; api key unknown or
///   signature not hex(HMAC-SHA256(api_secret, "GET/realtime" + expires)) (either case): "Request
///   not authorized". Success: ret_msg "". A repeated valid auth succeeds again [inf].
/// - `subscribe` / `unsubscribe` (answers `{"success":bool,"ret_msg":m,"conn_id":c,"req_id":r,
///   "op":op}`): `args` must be a non-empty array of strings, else "Params Error" [inf]; on a
///   private endpoint before auth: "Request not authorized". Then every topic is checked before
///   anything changes, the first bad one fails the whole request and nothing is (un)subscribed:
///   a public endpoint takes `<prefix>.<symbol>` with a prefix in `public_topics`
///   (orderbook.1/50/200/1000, publicTrade, tickers) and a symbol in `symbols`, a private one
///   exactly the names in `private_topics` (order, execution, position, wallet); a known prefix
///   with an unknown symbol: "Invalid symbol :[<topic>]"; anything else: "error:handler not
///   found,topic:<topic>"; subscribe only: a topic already subscribed (or twice in the request):
///   "error:already subscribed,topic:<topic>" [inf]; on a public endpoint, the subscribed topics'
///   total length in characters over `max_args_chars` (21000): "error:args length exceeds
///   21000" [inf]. Unsubscribing a valid topic that is not subscribed succeeds [inf].
/// - Any other op: "error:handler not found,op:<op>" [inf].
///
/// Not modelled: the silent-connection close and max_active_time (a responder has no timers),
/// public categories (spot/linear/...: one symbol list serves them all), connection limits, the
/// trade endpoint, pushes (tests send bybit_push() frames themselves).
///
/// @par Observing it
/// Pass a `bybit_venue_state` in the options and read it from the test; it is updated on the
/// server's thread under its mutex. A session's entry stays after the session ends.
///
/// @par Example
/// @code
/// auto state = std::make_shared<zenws::testing::bybit_venue_state>();
/// zenws::testing::bybit_venue_options options;
/// options.state = state;
/// server.set_responder(zenws::testing::bybit_venue(options));
/// // ... the client subscribes orderbook.50.BTCUSDT on session `id` ...
/// const auto book = R"({"s":"BTCUSDT","b":[["100","1"]],"a":[],"u":1,"seq":1})";
/// namespace kit = zenws::testing;
/// server.send(id, {0, false, kit::bybit_push("orderbook.50.BTCUSDT", "snapshot", book)});
/// @endcode

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "zenws/testing/test_server.hpp"

namespace zenws::testing {

/// What the venue knows about one session.
struct bybit_session {
  std::string conn_id; ///< "" until the session's first frame
  bool authenticated = false;
  std::vector<std::string> topics; ///< subscribed, in subscription order
};

/// The venue's per-session state, shared by the responder (server thread) and the test.
class bybit_venue_state {
public:
  /// A copy of the session's state (a default one for a session never seen).
  bybit_session session(session_id id) const;
  /// Sessions seen so far, in id order.
  std::vector<session_id> sessions() const;
  /// Applies `change` to the session's state under the mutex (the entry is made when missing).
  void update(session_id id, const std::function<void(bybit_session&)>& change);

private:
  mutable std::mutex mutex_;
  std::map<session_id, bybit_session> sessions_;
};

/// The venue's settings. Defaults are Bybit's where Bybit has one.
struct bybit_venue_options {
  std::string api_key = "bybit-key";
  std::string api_secret = "bybit-secret";
  /// Milliseconds since the epoch for auth expiry and private pongs; empty (default) = the
  /// system clock.
  std::function<std::int64_t()> now_ms;
  bool private_endpoint = false;      ///< /v5/private (auth, private topics) instead of public
  bool echo_auth_req_id = false;      ///< answer auth with the request's req_id; default off
  std::size_t max_args_chars = 21000; ///< public: subscribed topics' total length; 0 = no limit
  std::vector<std::string> symbols{"BTCUSDT", "ETHUSDT"};
  std::vector<std::string> public_topics{"orderbook.1",    "orderbook.50", "orderbook.200",
                                         "orderbook.1000", "publicTrade",  "tickers"};
  std::vector<std::string> private_topics{"order", "execution", "position", "wallet"};
  /// Where the responder keeps its state; empty (default) = a private one nobody can read.
  std::shared_ptr<bybit_venue_state> state;
};

/// The responder described above.
responder bybit_venue(bybit_venue_options options = {});

/// A data push: `{"topic":topic,"type":type,"ts":ts_ms,"data":data_json,"cts":ts_ms}`;
/// `data_json` is inserted as it is; `ts_ms` 0 (default) = the system clock.
std::string bybit_push(const std::string& topic, const std::string& type,
                       const std::string& data_json, std::int64_t ts_ms = 0);

} // namespace zenws::testing
