#include "zenws/protocol/base64.hpp"

#include <array>
#include <cstdint>

namespace zenws {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t not_base64 = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& value : table)
    value = not_base64;
  for (std::uint8_t i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}

constexpr auto decode_table = make_decode_table();

// Strips up to two '=' from the end. Padding is only valid when it completes a 4-character
// group, so a padded text must have a length divisible by four.
std::optional<std::string_view> strip_padding(std::string_view text) {
  const auto padded_size = text.size();
  for (int i = 0; i < 2 && !text.empty() && text.back() == '='; ++i)
    text.remove_suffix(1);
  if (text.size() != padded_size && padded_size % 4 != 0)
    return std::nullopt;
  return text;
}

} // namespace

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  auto byte = [&data](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]));
  };
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const auto group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[group >> 18 & 0x3F];
    out += alphabet[group >> 12 & 0x3F];
    out += alphabet[group >> 6 & 0x3F];
    out += alphabet[group & 0x3F];
  }
  const auto rest = data.size() - i;
  if (rest == 0)
    return out;
  const auto group = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
  out += alphabet[group >> 18 & 0x3F];
  out += alphabet[group >> 12 & 0x3F];
  out += rest == 2 ? alphabet[group >> 6 & 0x3F] : '=';
  out += '=';
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  const auto body = strip_padding(text);
  // A lone character in the last group carries only 6 bits: not even one byte.
  if (!body || body->size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(body->size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (const char c : *body) {
    const auto value = decode_table[static_cast<unsigned char>(c)];
    if (value == not_base64)
      return std::nullopt;
    bits = bits << 6 | value;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>(bits >> bit_count & 0xFF);
    }
  }
  return out;
}

} // namespace zenws
