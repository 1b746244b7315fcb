#pragma once
/// @file
/// An Ethereum node's JSON-RPC 2.0 WebSocket endpoint as a test_server responder: eth_subscribe,
/// eth_unsubscribe and two plain reads, with geth's error codes, so that a client adapter is
/// tested against behaviour, not a script.
///
/// What it enforces (every reply goes to the session that sent the request):
///
/// - A text frame that is not JSON: `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,
///   "message":"parse error"}}`. Not an object (batches included: not modelled), `jsonrpc` not
///   "2.0", `method` not a string, or `id` not a number, string or null: -32600 "invalid
///   request" (id null when the id is unusable). Binary frames: no answer.
/// - A request without `id` is a notification: no answer, no effect.
/// - Answers `{"jsonrpc":"2.0","id":<id as sent>,"result":..}` or `..,"error":{"code":c,
///   "message":m}}`. `params` may be absent (= []); present and not an array: -32602 "non-array
///   args".
/// - `eth_subscribe`: params[0] the kind, missing: -32602 "missing value for required argument
///   0"; not a string or not newHeads/newPendingTransactions/logs: -32602 `no "<kind>"
///   subscription in eth namespace`; newHeads takes no more params, newPendingTransactions an
///   optional bool, logs an optional filter object, else -32602 "too many arguments, want at
///   most N" or "invalid argument 1: ...". Result: a fresh id "0x" + 32 hex digits, recorded
///   for the session with its kind (and the logs filter as sent).
/// - `eth_unsubscribe`: params[0] a string, else -32602 ("missing value for required argument
///   0" / "invalid argument 0: ..."); result true when that session had the id (it is removed),
///   false otherwise (another session's id included).
/// - `eth_blockNumber` -> `block_number` ("0x10"), `eth_chainId` -> `chain_id` ("0x1").
/// - Any other method: -32601 "the method <m> does not exist/is not available".
///
/// Not modelled: batches, notifications sent by the node on its own (tests send
/// eth_subscription_notification() frames themselves), every other method.
///
/// @par Observing it
/// Pass an `ethereum_venue_state` in the options and read it from the test; it is updated on
/// the server's thread under its mutex. A session's entry stays after the session ends.
///
/// @par Example
/// @code
/// auto state = std::make_shared<zenws::testing::ethereum_venue_state>();
/// server.set_responder(zenws::testing::ethereum_venue({"0x1", "0x10", state}));
/// // ... the client subscribes newHeads on session `id` ...
/// const auto sub = state->session(id).subscriptions.at(0).id;
/// const auto head = zenws::testing::eth_subscription_notification(sub, R"({"number":"0x11"})");
/// server.send(id, {0, false, head});
/// @endcode

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "zenws/testing/test_server.hpp"

namespace zenws::testing {

/// One live subscription.
struct ethereum_subscription {
  std::string id;     ///< "0x" + 32 hex digits
  std::string kind;   ///< newHeads, newPendingTransactions or logs
  std::string filter; ///< logs: the filter object as sent ("" when none); otherwise ""
};

/// What the venue knows about one session.
struct ethereum_session {
  std::vector<ethereum_subscription> subscriptions; ///< live ones, in subscription order
};

/// The venue's per-session state, shared by the responder (server thread) and the test.
class ethereum_venue_state {
public:
  /// A copy of the session's state (a default one for a session never seen).
  ethereum_session session(session_id id) const;
  /// Sessions seen so far, in id order.
  std::vector<session_id> sessions() const;
  /// The session that holds this live subscription id, or nullopt.
  std::optional<session_id> owner(const std::string& subscription_id) const;
  /// Applies `change` to the session's state under the mutex (the entry is made when missing).
  void update(session_id id, const std::function<void(ethereum_session&)>& change);

private:
  mutable std::mutex mutex_;
  std::map<session_id, ethereum_session> sessions_;
};

/// The venue's settings.
struct ethereum_venue_options {
  std::string chain_id = "0x1";      ///< eth_chainId's result
  std::string block_number = "0x10"; ///< eth_blockNumber's result
  /// Where the responder keeps its state; empty (default) = a private one nobody can read.
  std::shared_ptr<ethereum_venue_state> state;
};

/// The responder described above.
responder ethereum_venue(ethereum_venue_options options = {});

/// A subscription notification: `{"jsonrpc":"2.0","method":"eth_subscription","params":
/// {"subscription":subscription_id,"result":result_json}}`; `result_json` is inserted as it is.
std::string eth_subscription_notification(const std::string& subscription_id,
                                          const std::string& result_json);

} // namespace zenws::testing
