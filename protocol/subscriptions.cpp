#include "zenws/protocol/subscriptions.hpp"

#include <algorithm>
#include <utility>

namespace zenws {

void subscription_tracker::sent(json_rpc::request_id id, subscription_op op,
                                std::vector<std::string> channels) {
  if (op == subscription_op::unsubscribe)
    for (const auto& channel : channels)
      active_.erase(channel);
  pending_[id] = pending_op{op, std::move(channels)};
}

std::optional<subscription_outcome>
subscription_tracker::on_confirmed(json_rpc::request_id id,
                                   const std::vector<std::string>& accepted) {
  const auto it = pending_.find(id);
  if (it == pending_.end())
    return std::nullopt;
  pending_op op = std::move(it->second);
  pending_.erase(it);

  subscription_outcome out;
  out.op = op.op;
  const std::set<std::string> confirmed(accepted.begin(), accepted.end());
  for (auto& channel : op.channels) {
    const bool ok = confirmed.count(channel) != 0;
    if (op.op == subscription_op::subscribe) {
      if (ok)
        active_.insert(channel);
      else
        active_.erase(channel);
    }
    (ok ? out.accepted : out.rejected).push_back(std::move(channel));
  }
  return out;
}

std::optional<subscription_outcome> subscription_tracker::on_failed(json_rpc::request_id id,
                                                                    const failure& why) {
  const auto it = pending_.find(id);
  if (it == pending_.end())
    return std::nullopt;
  subscription_outcome out;
  out.op = it->second.op;
  out.rejected = std::move(it->second.channels);
  out.error = why;
  pending_.erase(it);
  return out;
}

} // namespace zenws
