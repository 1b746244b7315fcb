#include "zenws/protocol/json_depth.hpp"

#include <cstring>

namespace zenws {

namespace {

/// True when `text` holds at most `limit` of `c`. memchr jumps between them (glibc's is
/// vectorized), so a message with a few brackets costs a few calls.
bool at_most(std::string_view text, char c, std::size_t limit) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  std::size_t n = 0;
  while ((p = static_cast<const char*>(std::memchr(p, c, static_cast<std::size_t>(end - p))))) {
    if (++n > limit)
      return false;
    ++p;
  }
  return true;
}

} // namespace

bool json_depth_within(std::string_view text, std::size_t max_depth) noexcept {
  // Opening brackets, strings included, bound the depth: the common case (a few of them) needs
  // no scan of the structure.
  if (text.size() <= max_depth ||
      (at_most(text, '[', max_depth / 2) && at_most(text, '{', max_depth / 2)))
    return true;
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i; // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
    case '"':
      in_string = true;
      break;
    case '[':
    case '{':
      if (++depth > max_depth)
        return false;
      break;
    case ']':
    case '}':
      if (depth > 0)
        --depth;
      break;
    default:
      break;
    }
  }
  return true;
}

} // namespace zenws
