#pragma once
/// @file
/// Generic JSON-RPC 2.0 venues: any method names and params style for subscriptions (a list, or
/// an object holding the channels), bootstrap calls made on every (re)connect, and Ethereum's
/// eth_subscribe, whose subscriptions the server names.
///
/// Ethereum: `eth_subscribe` takes one subscription per request (`["newHeads"]`,
/// `["logs",{filter}]`) and answers with a subscription id; `eth_unsubscribe` takes that id and
/// answers true or false. Channels are written "newHeads", "newPendingTransactions", "logs" or
/// "logs:<filter JSON>". The dialect remembers each channel's id on its connection, so
/// unsubscribe and the restore after a reconnect work by channel name. Notifications
/// (`"method":"eth_subscription"`) reach the handler as they are, naming the server's id.

#include <map>
#include <string>
#include <vector>

#include "zenws/adapters/adapter.hpp"
#include "zenws/protocol/wire_dialect.hpp"

namespace zenws::generic_json_rpc {

struct settings {
  json_rpc_dialect_options dialect; ///< subscription methods and params style (Deribit's default)
  /// Calls made in order on every (re)connect before the connection is ready; an error from one
  /// fails the attempt as auth_failed.
  std::vector<bootstrap_call> bootstrap;
  heartbeat_config heartbeat{heartbeat_policy::ping_pong, std::chrono::milliseconds{30000}, 2,
                             "ping"};
};

venue_adapter adapter(settings s = {});

/// eth_subscribe / eth_unsubscribe with the server's subscription ids.
class ethereum_dialect final : public json_rpc_dialect {
public:
  ethereum_dialect();

  std::unique_ptr<wire_dialect> clone() const override;
  void reset() override;
  std::string subscription_request(json_rpc::request_id id, subscription_op op,
                                   const std::vector<std::string>& channels) override;
  std::vector<std::string> confirmed(const inbound& answer,
                                     const std::vector<std::string>& requested) override;
  failure check_channels(subscription_op op, const std::vector<std::string>& channels,
                         std::size_t held) const override;
  std::size_t channels_per_request() const override { return 1; }

private:
  std::map<std::string, std::string> ids_; // channel -> the server's subscription id
};

/// An Ethereum node: ethereum_dialect and WebSocket pings.
venue_adapter ethereum(heartbeat_config heartbeat = {heartbeat_policy::ping_pong,
                                                     std::chrono::milliseconds{30000}, 2, "ping"});

} // namespace zenws::generic_json_rpc
