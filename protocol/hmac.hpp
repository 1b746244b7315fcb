#pragma once
/// @file
/// HMAC-SHA256, the signature every venue's authentication uses (Deribit client_signature,
/// Binance SIGNED requests, OKX login, Bybit auth), with the two encodings they want.

#include <string>
#include <string_view>

namespace zenws {

/// The 32 raw bytes of HMAC-SHA256(key, message).
std::string hmac_sha256(std::string_view key, std::string_view message);

/// Lowercase hex of HMAC-SHA256(key, message) (Deribit, Binance, Bybit).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

/// Base64 of HMAC-SHA256(key, message) (OKX).
std::string hmac_sha256_base64(std::string_view key, std::string_view message);

} // namespace zenws
