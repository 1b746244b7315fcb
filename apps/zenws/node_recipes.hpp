#pragma once
// The recipes `zenws node` offers to pools: one per adapter of adapters/.

#include <map>
#include <string>

#include "zenws/supervision/node_agent.hpp"

namespace zenws::cli {

/// "plain" comes with every agent; these add the venues:
///   deribit          the Deribit adapter; logged in with ZENWS_DERIBIT_CLIENT_ID and
///                    ZENWS_DERIBIT_CLIENT_SECRET from the node's environment when both are
///                    set (the secret never crosses the network), public otherwise
///   binance_streams  Binance market streams
///   okx, bybit       their public adapters
///   ethereum         eth_subscribe JSON-RPC
/// Each applies its venue's heartbeat unless the pool's config chose one.
std::map<std::string, connection_recipe> node_recipes();

} // namespace zenws::cli
