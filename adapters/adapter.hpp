#pragma once
/// @file
/// What a venue adapter hands a connection: the options to spawn it with (wire dialect,
/// bootstrap, rate limits, lifetime) and the heartbeat its venue expects.
///
/// @code
/// auto venue = zenws::binance::streams();
/// auto config = venue.configure(zenws::connection_config{});
/// config.url = "wss://stream.binance.com:9443/stream?streams=btcusdt@trade";
/// auto conn = zenws::spawn_connection(sys, io, config, venue.options, handler);
/// @endcode

#include "zenws/actors/connection_protocol.hpp"
#include "zenws/protocol/config.hpp"

namespace zenws {

/// A venue's settings for one connection.
struct venue_adapter {
  connection_options options; ///< spawn the connection with these
  heartbeat_config heartbeat; ///< the policy and timing the venue expects

  /// `config` with this adapter's heartbeat. Change fields after the call to override them.
  connection_config configure(connection_config config) const {
    config.heartbeat = heartbeat;
    return config;
  }
};

} // namespace zenws
