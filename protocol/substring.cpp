#include "zenws/protocol/substring.hpp"

#include <cstddef>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace zenws {

#if defined(__SSE2__)

namespace {

/// The bytes a block test compares at every position: the needle's first two and its last.
struct needle_probe {
  explicit needle_probe(std::string_view token) noexcept
      : needle(token), first(_mm_set1_epi8(token[0])), second(_mm_set1_epi8(token[1])),
        last(_mm_set1_epi8(token.back())) {}

  std::string_view needle;
  __m128i first;
  __m128i second;
  __m128i last;
};

__m128i load16(const char* p) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

/// True when the needle starts at one of the 16 positions from `at`. The caller guarantees the
/// bytes up to at + 15 + needle size exist.
bool block_contains(const char* at, const needle_probe& probe) noexcept {
  const auto n = probe.needle.size();
  const auto candidates = _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(load16(at), probe.first),
                                                      _mm_cmpeq_epi8(load16(at + 1), probe.second)),
                                        _mm_cmpeq_epi8(load16(at + n - 1), probe.last));
  for (auto mask = static_cast<unsigned>(_mm_movemask_epi8(candidates)); mask != 0;
       mask &= mask - 1) {
    const auto* start = at + __builtin_ctz(mask);
    if (n <= 3 || std::memcmp(start + 2, probe.needle.data() + 2, n - 3) == 0)
      return true;
  }
  return false;
}

} // namespace

bool contains(std::string_view text, std::string_view needle) noexcept {
  if (needle.empty())
    return true;
  if (text.size() < needle.size())
    return false;
  const std::size_t starts = text.size() - needle.size() + 1; // positions a match may start at
  if (needle.size() < 2 || starts < 16)
    return text.find(needle) != std::string_view::npos;
  const needle_probe probe{needle};
  std::size_t at = 0;
  for (; at + 16 <= starts; at += 16)
    if (block_contains(text.data() + at, probe))
      return true;
  // The last positions: one more block, overlapping the previous one.
  return at < starts && block_contains(text.data() + starts - 16, probe);
}

#else

bool contains(std::string_view text, std::string_view needle) noexcept {
  return text.find(needle) != std::string_view::npos;
}

#endif

} // namespace zenws
