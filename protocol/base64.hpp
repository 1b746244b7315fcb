#pragma once
/// @file
/// Base64 (RFC 4648, standard alphabet, with padding).

#include <optional>
#include <string>
#include <string_view>

namespace zenws {

/// Encodes `data` as base64 with '=' padding.
std::string base64_encode(std::string_view data);

/// Decodes padded or unpadded base64; nullopt on any character outside the alphabet or a
/// malformed length.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace zenws
