#pragma once
// What the fuzz targets share: the input as bytes and text, and the check that turns a broken
// invariant into a crash. libFuzzer saves the input of every crash; the corpus replay
// (fuzz_replay_main.cpp) runs saved inputs as ordinary tests.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace zenws::fuzz {

/// Aborts with `what` when `ok` is false, so the fuzzer keeps the input that broke it.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

/// The input as text.
inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Splits off the text up to the next '\n' (or the end) and returns it.
inline std::string_view take_line(std::string_view& rest) {
  const auto end = rest.find('\n');
  const auto line = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  return line;
}

/// `s` with every letter and digit replaced by the next of its kind (z -> a, 9 -> 0): another
/// text of the same shape, for checking that a secret's value never shows.
inline std::string same_shape_other(std::string_view s) {
  std::string out{s};
  for (char& c : out) {
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>('a' + (c - 'a' + 1) % 26);
    else if (c >= 'A' && c <= 'Z')
      c = static_cast<char>('A' + (c - 'A' + 1) % 26);
    else if (c >= '0' && c <= '9')
      c = static_cast<char>('0' + (c - '0' + 1) % 10);
  }
  return out;
}

/// A byte from the front of `rest`, or 0 when it is empty.
inline std::uint8_t take_byte(std::string_view& rest) {
  if (rest.empty())
    return 0;
  const auto b = static_cast<std::uint8_t>(rest.front());
  rest.remove_prefix(1);
  return b;
}

} // namespace zenws::fuzz
