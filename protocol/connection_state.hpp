#pragma once
/// @file
/// The states a connection reports to its owner.

#include <cstdint>

namespace zenws {

/// The connection's life as seen by its owner.
///
///     idle --connect--> connecting --open--> connected --close()--> closing --> closed
///                           |                    |                               ^
///                           |                    +--drop--> reconnecting ----+   |
///                           +--fail--> disconnected <---- gave up -----------+   |
///                                          +--------------connect/close----------+
enum class connection_state : std::uint8_t {
  idle = 0,         ///< spawned, connect not yet asked
  connecting = 1,   ///< DNS, TCP, TLS or upgrade in progress
  connected = 2,    ///< upgraded; frames flow
  reconnecting = 3, ///< dropped; waiting for the next attempt
  closing = 4,      ///< our close frame is out; waiting for the peer's (bounded)
  disconnected = 5, ///< failed or dropped with no attempt left; connect() may start again
  closed = 6,       ///< closed by its owner; takes no more work
};

/// "idle", "connecting", ...
const char* to_string(connection_state s) noexcept;

} // namespace zenws
