#pragma once
// Unpredictable bytes for masking keys and Sec-WebSocket-Key nonces (RFC 6455 sections 5.3 and
// 4.1 require a strong source). OpenSSL's CSPRNG is asked in batches, so a key costs a copy,
// not a system call.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <openssl/rand.h>

#include "zenws/protocol/frame.hpp"

namespace zenws::detail {

class masking_key_source {
public:
  masking_key next_key() {
    masking_key key;
    take(key.data(), key.size());
    return key;
  }

  std::array<std::uint8_t, 16> next_nonce() {
    std::array<std::uint8_t, 16> nonce;
    take(nonce.data(), nonce.size());
    return nonce;
  }

private:
  void take(std::uint8_t* out, std::size_t n) {
    if (used_ + n > pool_.size()) {
      // RAND_bytes only fails when the CSPRNG cannot be seeded; a predictable mask would be
      // worse than stopping.
      if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1)
        std::abort();
      used_ = 0;
    }
    std::memcpy(out, pool_.data() + used_, n);
    used_ += n;
  }

  std::array<std::uint8_t, 512> pool_{};
  std::size_t used_ = pool_.size();
};

} // namespace zenws::detail
