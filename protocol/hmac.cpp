#include "zenws/protocol/hmac.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "zenws/protocol/base64.hpp"

namespace zenws {

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const auto* out =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &size);
  if (out == nullptr) // only when OpenSSL itself fails (no memory): nothing to sign with
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  return {reinterpret_cast<const char*>(digest), size};
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto raw = hmac_sha256(key, message);
  std::string out;
  out.reserve(raw.size() * 2);
  for (const char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    out += hex[u >> 4U];
    out += hex[u & 0xFU];
  }
  return out;
}

std::string hmac_sha256_base64(std::string_view key, std::string_view message) {
  return base64_encode(hmac_sha256(key, message));
}

} // namespace zenws
