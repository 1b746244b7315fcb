#pragma once
/// @file
/// Subscription tracking: which channels the server has confirmed, so that a reconnect restores
/// exactly those. Pure: the connection actor tells it what it sent and what came back.
///
/// Rules:
/// - A channel enters the restore set only when the server confirms it. A subscribe that is
///   still waiting when the connection drops is not restored; its outcome is `disconnected`.
/// - A partial acceptance is reported: the outcome lists accepted and rejected channels, and a
///   rejected channel leaves the restore set (that is how a restore learns a channel is gone).
/// - An unsubscribe removes its channels from the restore set when it is sent, not when it is
///   confirmed: the owner does not want them back after a reconnect whatever the server says.
/// - A failed subscribe (server error, timeout, disconnect) changes nothing.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "zenws/protocol/error.hpp"
#include "zenws/protocol/json_rpc.hpp"

namespace zenws {

enum class subscription_op : std::uint8_t { subscribe, unsubscribe };

/// How one subscribe or unsubscribe ended.
struct subscription_outcome {
  subscription_op op = subscription_op::subscribe;
  std::vector<std::string> accepted; ///< confirmed by the server
  std::vector<std::string> rejected; ///< requested and not confirmed
  failure error;                     ///< set when the whole request failed
};

/// One connection's subscriptions.
class subscription_tracker {
public:
  /// The owner sent `op` for `channels` with correlation id `id`.
  void sent(json_rpc::request_id id, subscription_op op, std::vector<std::string> channels);

  /// The channels of the waiting operation `id`; empty when none waits under `id`.
  std::vector<std::string> requested(json_rpc::request_id id) const {
    const auto it = pending_.find(id);
    return it == pending_.end() ? std::vector<std::string>{} : it->second.channels;
  }

  /// True when `id` is a subscribe or unsubscribe waiting for its answer.
  bool waiting(json_rpc::request_id id) const { return pending_.count(id) != 0; }

  /// The server answered `id` with success, confirming `accepted`.
  std::optional<subscription_outcome> on_confirmed(json_rpc::request_id id,
                                                   const std::vector<std::string>& accepted);

  /// Request `id` failed as a whole (server error, timeout, disconnect).
  std::optional<subscription_outcome> on_failed(json_rpc::request_id id, const failure& why);

  /// Channels confirmed on an earlier connection (a supervisor hands a replacement the channels
  /// of the one it replaces): they join the restore set as if confirmed here.
  void adopt(const std::vector<std::string>& channels) {
    active_.insert(channels.begin(), channels.end());
  }

  /// Channels unsubscribed while no connection is open: they leave the restore set, and there
  /// is nothing to tell the server.
  void forget(const std::vector<std::string>& channels) {
    for (const auto& channel : channels)
      active_.erase(channel);
  }

  /// The restore set: confirmed channels, sorted.
  const std::set<std::string>& active() const noexcept { return active_; }

  /// The restore set as a list, for a restore request.
  std::vector<std::string> restore_list() const { return {active_.begin(), active_.end()}; }

  std::size_t waiting_count() const noexcept { return pending_.size(); }

private:
  struct pending_op {
    subscription_op op;
    std::vector<std::string> channels;
  };
  std::unordered_map<json_rpc::request_id, pending_op> pending_;
  std::set<std::string> active_;
};

} // namespace zenws
