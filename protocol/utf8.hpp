#pragma once
/// @file
/// UTF-8 validation (RFC 3629), whole or incremental across message fragments.

#include <cstdint>
#include <string_view>

namespace zenws {

/// Validates UTF-8 fed in pieces: a code point may be split between pieces, but the first byte
/// that can never be part of valid UTF-8 fails at once (fail fast on the fragment that breaks a
/// message, RFC 6455 section 8.1).
class utf8_validator {
public:
  /// Checks the next piece. False as soon as the input so far cannot be valid UTF-8; the
  /// validator then stays failed.
  bool feed(std::string_view piece) noexcept;

  /// True when everything fed is valid and no code point is left unfinished.
  bool complete() const noexcept;

  /// Starts over for a new message.
  void reset() noexcept;

private:
  std::uint32_t state_ = 0; // DFA state; the implementation defines its values
};

/// True when `text` is well-formed UTF-8: no overlongs, no surrogates, nothing above U+10FFFF,
/// no truncated sequence.
bool is_valid_utf8(std::string_view text) noexcept;

} // namespace zenws
