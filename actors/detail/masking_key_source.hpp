#pragma once
// Unpredictable bytes for masking keys and Sec-WebSocket-Key nonces (RFC 6455 sections 5.3 and
// 4.1 require a strong source). OpenSSL's CSPRNG is asked in batches, so a key costs a copy,
// not a system call. The batch belongs to the thread, not the connection: 512 bytes per idle
// connection add up, and a strand's handlers never run on two threads at once.

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
  struct pool {
    std::array<std::uint8_t, 512> bytes{};
    std::size_t used = bytes.size();
  };

  static void take(std::uint8_t* out, std::size_t n) {
    thread_local pool p;
    if (p.used + n > p.bytes.size()) {
      // RAND_bytes only fails when the CSPRNG cannot be seeded; a predictable mask would be
      // worse than stopping.
      if (RAND_bytes(p.bytes.data(), static_cast<int>(p.bytes.size())) != 1)
        std::abort();
      p.used = 0;
    }
    std::memcpy(out, p.bytes.data() + p.used, n);
    p.used += n;
  }
};

} // namespace zenws::detail
