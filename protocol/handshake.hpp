#pragma once
/// @file
/// The opening handshake (RFC 6455 section 4, RFC 7692 for permessage-deflate): what the client
/// puts in its upgrade request and how it judges the server's response. Pure: the transport
/// supplies the random key bytes and the parsed HTTP response.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zenws/protocol/config.hpp"
#include "zenws/protocol/error.hpp"

namespace zenws {

/// The Sec-WebSocket-Key for 16 random bytes: their base64.
std::string make_websocket_key(const std::array<std::uint8_t, 16>& random_bytes);

/// The Sec-WebSocket-Accept a server must answer `key` with: base64(SHA-1(key + GUID)).
std::string expected_accept(std::string_view key);

/// The Sec-WebSocket-Extensions offer for `compression` ("permessage-deflate;
/// client_max_window_bits=15; ..."), or empty when compression is off.
std::string make_extension_offer(const compression_config& compression);

/// permessage-deflate parameters the server accepted.
struct deflate_parameters {
  int client_max_window_bits = 15;
  int server_max_window_bits = 15;
  bool client_no_context_takeover = false;
  bool server_no_context_takeover = false;
};

/// The server's response as the transport parsed it.
struct upgrade_reply {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;

  /// The first header named `name` (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
};

/// The verdict on an upgrade response.
struct upgrade_outcome {
  failure error;            ///< empty when the connection is open
  std::string subprotocol;  ///< the server's choice, empty when none
  bool compression = false; ///< permessage-deflate negotiated (see `deflate`)
  deflate_parameters deflate;
};

/// Judges `reply` to a request sent with `key`, offering `subprotocols` and `compression`:
/// 101 with Upgrade: websocket, Connection: upgrade and the right accept key; a subprotocol only
/// if we offered it; an extension only if we offered it, with parameters we accept. Other
/// statuses map to upgrade_rate_limited (429), upgrade_rejected (other 4xx, and 1xx-3xx which
/// retrying cannot fix) or upgrade_unavailable (5xx), with http_status set.
upgrade_outcome check_upgrade_reply(const upgrade_reply& reply, std::string_view key,
                                    const std::vector<std::string>& subprotocols,
                                    const compression_config& compression);

} // namespace zenws
