#pragma once
/// @file
/// An OKX v5 venue as a test_server responder: login, subscribe/unsubscribe and the `order` op
/// with the venue's rules, so that a client adapter is tested against behaviour, not a script.
/// Wire facts: exchanges.md section 3 ([doc] there); choices where OKX documents nothing are
/// marked [inf].
///
/// What it enforces (every reply goes to the session that sent the request):
///
/// - Text `ping` -> text `pong` (not JSON). Binary frames: no answer [inf].
/// - Every other frame must be a JSON object with a string `op`, an optional `id` (a string of
///   at most 32 letters and digits) and, for login/subscribe/unsubscribe/order, an `args` array;
///   otherwise `{"event":"error","code":"60012","msg":"Invalid request: <frame text>",
///   "connId":c}` (no id). Errors are `{"id":id,"event":"error","code":..,"msg":..,"connId":c}`,
///   `id` only when the request had one. `connId` is 8 hex digits, fixed per session.
/// - login, subscribe and unsubscribe count against `max_ops_per_hour` (480) per session in a
///   sliding hour of now_seconds(); a request over it gets 60014 "Requests too frequent." and
///   is not counted.
/// - `login`, checked in this order: `args` one object whose apiKey, passphrase, timestamp and
///   sign are strings, else 60013 "Invalid args"; apiKey unknown: 60005 "Invalid OK-ACCESS-KEY";
///   passphrase wrong: 60024 "Wrong passphrase"; timestamp not decimal digits (whole seconds):
///   60004 "Invalid timestamp"; timestamp more than login_window_s away from now_seconds()
///   (past or future): 60006 "Timestamp request expired"; sign not
///   Base64(HMAC-SHA256(secret_key, timestamp + "GET" + "/users/self/verify")): 60007 "Invalid
///   sign"; session already logged in: 60031 "The WebSocket endpoint does not allow multiple or
///   repeated logins." Success: `{"event":"login","code":"0","msg":"","connId":c}`. Answers to
///   login (success and errors) carry the request's `id` only with `echo_login_id` (default
///   off, as OKX's documented answers), so clients must correlate id-less login answers.
/// - `subscribe` / `unsubscribe`: `args` a non-empty array, else 60013 "Invalid args". Every arg
///   is checked before anything changes; the first bad one gets ONE error (with the request's id)
///   and nothing is (un)subscribed: an arg not an object of string members with a string
///   `channel`: 60013 "Invalid args"; channel not in `channels`: 60018 "Wrong URL or
///   channel:<channel>,instId:<instId> doesn't exist."; a private channel before login: 60011
///   "Please log in"; a public channel without instId: 60013 "Invalid args" [inf]; an instId
///   (required for public channels, optional for private ones) not in `instruments`: 60018.
///   Otherwise one ack per arg, in order: `{"id":id,"event":"subscribe"|"unsubscribe","arg":
///   <the arg as sent, same members in the same order>,"connId":c}`. A subscription is identified
///   by all its members; subscribing it again acks again without duplicating it; unsubscribing
///   one not subscribed acks too [inf].
/// - `order` (one order per request): before login 60011 "Please log in"; `args` not exactly one
///   object of string members: 60013 "Invalid args". Then, the first failing check answers
///   `{"id":id,"op":"order","code":"1","msg":"Operation failed.","data":[{"ordId":"",
///   "clOrdId":..,"tag":..,"sCode":s,"sMsg":m}]}`: instId not in `instruments`: 51001
///   "Instrument ID does not exist"; tdMode not cash/cross/isolated: 51000 "Parameter tdMode
///   error"; side not buy/sell: 51000 "Parameter side error"; ordType not
///   market/limit/post_only/fok/ioc: 51000 "Parameter ordType error"; sz not a positive decimal:
///   51000 "Parameter sz error"; px missing or not a positive decimal when ordType is not market:
///   51000 "Parameter px error". Success: `{"id":id,"op":"order","code":"0","msg":"","data":
///   [{"ordId":"<n>","clOrdId":..,"tag":..,"sCode":"0","sMsg":"Order placed"}]}`, ordId 1, 2, ...
///   per responder, clOrdId and tag echoed ("" when absent).
/// - Any other op: 60019 "Invalid op: <op>".
///
/// Not modelled: the 30 s no-data close (4004; a responder has no timers), public/private/
/// business URL separation, the 64 KB args limit, the order rate limit, expTime, batch-orders,
/// cancel/amend, pushes (tests send okx_push() frames themselves).
///
/// @par Observing it
/// Pass an `okx_venue_state` in the options and read it from the test; it is updated on the
/// server's thread under its mutex. A session's entry stays after the session ends (a responder
/// does not see ends).
///
/// @par Example
/// @code
/// auto state = std::make_shared<zenws::testing::okx_venue_state>();
/// zenws::testing::okx_venue_options options;
/// options.state = state;
/// server.set_responder(zenws::testing::okx_venue(options));
/// // ... the client logs in and subscribes tickers BTC-USDT on session `id` ...
/// namespace kit = zenws::testing;
/// server.send(id, {0, false, kit::okx_push("tickers", "BTC-USDT", R"([{"last":"1"}])")});
/// server.send(id, {0, false, kit::okx_notice_64008(state->session(id).conn_id)});
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

/// One subscription as OKX identifies it: all members of the subscribe arg.
struct okx_subscription {
  std::string channel;
  std::string inst_id;                        ///< "" when the arg had no instId
  std::map<std::string, std::string> members; ///< every member of the arg (channel too)

  bool operator==(const okx_subscription& other) const { return members == other.members; }
};

/// One order the venue accepted.
struct okx_order {
  std::string ord_id;
  std::string cl_ord_id; ///< "" when not sent
  std::string inst_id;
  std::string td_mode;
  std::string side;
  std::string ord_type;
  std::string sz;
  std::string px; ///< "" when not sent
};

/// What the venue knows about one session.
struct okx_session {
  std::string conn_id; ///< 8 hex digits; "" until the session's first frame
  bool logged_in = false;
  std::vector<okx_subscription> subscriptions; ///< in subscription order, no duplicates
  std::vector<std::int64_t> op_times; ///< seconds of the counted login/(un)subscribe requests
                                      ///< of the last hour
  std::vector<okx_order> orders;      ///< accepted orders, in order
};

/// The venue's per-session state, shared by the responder (server thread) and the test.
class okx_venue_state {
public:
  /// A copy of the session's state (a default one for a session never seen).
  okx_session session(session_id id) const;
  /// Sessions seen so far, in id order.
  std::vector<session_id> sessions() const;
  /// Applies `change` to the session's state under the mutex (the entry is made when missing).
  /// The responder uses it; a test may too, e.g. to log a session in without a login request.
  void update(session_id id, const std::function<void(okx_session&)>& change);

private:
  mutable std::mutex mutex_;
  std::map<session_id, okx_session> sessions_;
};

/// The venue's settings. Defaults are OKX's where OKX has one.
struct okx_venue_options {
  std::string api_key = "okx-key";
  std::string secret_key = "okx-secret";
  std::string passphrase = "okx-pass";
  /// Seconds since the epoch for the login window and the hourly op count; empty (default) =
  /// the system clock.
  std::function<std::int64_t()> now_seconds;
  std::int64_t login_window_s = 30;   ///< accepted |now - timestamp|; default 30 s
  bool echo_login_id = false;         ///< answer login with the request's id; default off
  std::size_t max_ops_per_hour = 480; ///< login/(un)subscribe per session; 0 = no limit
  std::vector<std::string> instruments{"BTC-USDT", "ETH-USDT", "BTC-USDT-SWAP"};
  std::vector<std::string> channels{"tickers", "books",  "books5",  "trades",
                                    "bbo-tbt", "orders", "account", "positions"};
  std::vector<std::string> private_channels{"orders", "account", "positions"}; ///< need login
  /// Where the responder keeps its state; empty (default) = a private one nobody can read.
  std::shared_ptr<okx_venue_state> state;
};

/// The responder described above.
responder okx_venue(okx_venue_options options = {});

/// A data push: `{"arg":{"channel":channel,"instId":inst_id},"action":action,"data":data}`;
/// `data_json_array` is inserted as it is; `action` ("snapshot"/"update", books) only when
/// not empty.
std::string okx_push(const std::string& channel, const std::string& inst_id,
                     const std::string& data_json_array, const std::string& action = {});

/// The service-upgrade notice OKX sends 60 s before closing: `{"event":"notice","code":"64008",
/// "msg":"The connection will soon be closed for a service upgrade. Please reconnect.",
/// "connId":conn_id}`.
std::string okx_notice_64008(const std::string& conn_id = "a4d3ae55");

} // namespace zenws::testing
