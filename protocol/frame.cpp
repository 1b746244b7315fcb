#include "zenws/protocol/frame.hpp"

#include <cstring>

namespace zenws {

namespace {

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t rsv1_bit = 0x40;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_16 = 126; // the 7-bit length field says: 16-bit length follows
constexpr std::uint8_t length_64 = 127; // ... 64-bit length follows

// Writes the first two bytes and the extended length, big-endian (RFC 6455 section 5.2), with
// the shortest encoding that holds `size`. Returns the number of bytes written.
std::size_t write_header(std::uint8_t* h, opcode op, bool fin, bool rsv1, std::uint64_t size) {
  h[0] = static_cast<std::uint8_t>((fin ? fin_bit : 0) | (rsv1 ? rsv1_bit : 0) |
                                   static_cast<std::uint8_t>(op));
  if (size < length_16) {
    h[1] = static_cast<std::uint8_t>(mask_bit | size);
    return 2;
  }
  const std::size_t length_bytes = size <= 0xFFFF ? 2 : 8;
  h[1] = mask_bit | (length_bytes == 2 ? length_16 : length_64);
  for (std::size_t i = 0; i < length_bytes; ++i)
    h[2 + i] = static_cast<std::uint8_t>(size >> (8 * (length_bytes - 1 - i)));
  return 2 + length_bytes;
}

} // namespace

void append_client_frame(std::string& out, opcode op, bool fin, bool rsv1, std::string_view payload,
                         const masking_key& key) {
  std::uint8_t header[max_frame_header_bytes];
  auto header_size = write_header(header, op, fin, rsv1, payload.size());
  std::memcpy(header + header_size, key.data(), key.size());
  header_size += key.size();

  out.reserve(out.size() + header_size + payload.size());
  out.append(reinterpret_cast<const char*>(header), header_size);
  const auto payload_at = out.size();
  out.append(payload);
  apply_mask(out.data() + payload_at, payload.size(), key);
}

void apply_mask(char* data, std::size_t size, const masking_key& key, std::size_t offset) {
  // Eight key bytes starting at `offset` make one word that masks eight payload bytes per XOR.
  // Both are loaded in memory order, so the host's byte order does not matter.
  unsigned char rotated[8];
  for (std::size_t i = 0; i < sizeof rotated; ++i)
    rotated[i] = key[(offset + i) % key.size()];
  std::uint64_t key_word;
  std::memcpy(&key_word, rotated, sizeof key_word);

  std::size_t i = 0;
  for (; i + sizeof key_word <= size; i += sizeof key_word) {
    std::uint64_t word;
    std::memcpy(&word, data + i, sizeof word);
    word ^= key_word;
    std::memcpy(data + i, &word, sizeof word);
  }
  // `rotated` repeats every four bytes, so byte i of the tail uses rotated[i % 8] as well.
  for (; i < size; ++i)
    data[i] = static_cast<char>(data[i] ^ rotated[i % sizeof rotated]);
}

std::string make_close_payload(std::uint16_t code, std::string_view reason) {
  std::string payload;
  if (code == 0)
    return payload;
  payload.reserve(2 + reason.size());
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xFF);
  payload.append(reason);
  return payload;
}

} // namespace zenws
