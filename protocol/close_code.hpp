#pragma once
/// @file
/// WebSocket close codes (RFC 6455 section 7.4 and the IANA registry) and the rules for which
/// may be sent and received.

#include <cstdint>
#include <string_view>

namespace zenws {

/// Close codes with registered meanings. Any uint16_t may be carried; these are named.
enum class close_code : std::uint16_t {
  normal = 1000,              ///< the purpose of the connection is fulfilled
  going_away = 1001,          ///< server shutting down or client navigating away
  protocol_error = 1002,      ///< the peer broke the protocol
  unsupported_data = 1003,    ///< a data type the endpoint cannot accept
  no_status = 1005,           ///< reserved: the close frame carried no code (never sent)
  abnormal = 1006,            ///< reserved: closed without a close frame (never sent)
  invalid_payload = 1007,     ///< data inconsistent with its type, e.g. non-UTF-8 text
  policy_violation = 1008,    ///< a policy was violated (Binance: message rate exceeded)
  message_too_big = 1009,     ///< a message too big to process
  mandatory_extension = 1010, ///< client expected an extension the server did not negotiate
  internal_error = 1011,      ///< the server hit an unexpected condition
  service_restart = 1012,     ///< the service is restarting
  try_again_later = 1013,     ///< temporary overload
  bad_gateway = 1014,         ///< a gateway got an invalid response upstream
  tls_handshake = 1015,       ///< reserved: TLS handshake failed (never sent)
};

/// The longest close reason RFC 6455 allows: 125 payload bytes minus the 2-byte code.
inline constexpr std::size_t max_close_reason_bytes = 123;

/// True when an endpoint may put `code` in a close frame: 1000-1003, 1007-1014, 3000-4999.
/// 1005, 1006 and 1015 are reserved for reporting; the rest of 0-2999 is unassigned.
bool is_sendable(std::uint16_t code) noexcept;

/// True when a received close frame may carry `code` (the same set as is_sendable).
bool is_valid_received(std::uint16_t code) noexcept;

/// The registered name ("normal", "going_away", ...), "private" for 4000-4999, "registered"
/// for 3000-3999, "unknown" otherwise.
std::string_view name_of(std::uint16_t code) noexcept;

// UTF-8 checks of close reasons use zenws/protocol/utf8.hpp.

} // namespace zenws
