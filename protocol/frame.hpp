#pragma once
/// @file
/// WebSocket frames as a client writes them (RFC 6455 section 5): opcodes, the frame header,
/// masking, close payloads. Pure functions; the transport supplies masking keys.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zenws {

/// The kind of a data message.
enum class frame_kind : std::uint8_t { text = 1, binary = 2 };

/// Frame opcodes (RFC 6455 section 5.2). 3-7 and 11-15 are reserved.
enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Longest control frame payload (RFC 6455 section 5.5).
inline constexpr std::size_t max_control_payload = 125;

/// Largest header a frame can have: 2 + 8 (64-bit length) + 4 (masking key).
inline constexpr std::size_t max_frame_header_bytes = 14;

/// The 4-byte masking key of a client frame. Must be unpredictable (RFC 6455 section 5.3).
using masking_key = std::array<std::uint8_t, 4>;

/// Appends one complete, masked client frame to `out`: header, key, then `payload` XORed with
/// the key. `rsv1` marks a compressed message (permessage-deflate, first frame only).
void append_client_frame(std::string& out, opcode op, bool fin, bool rsv1, std::string_view payload,
                         const masking_key& key);

/// XORs `data` with `key`, starting at key byte `offset % 4`. Masking and unmasking are the same.
void apply_mask(char* data, std::size_t size, const masking_key& key, std::size_t offset = 0);

/// The payload of a close frame: the code big-endian, then the reason. A code of 0 gives an empty
/// payload (a close frame without a code).
std::string make_close_payload(std::uint16_t code, std::string_view reason);

} // namespace zenws
