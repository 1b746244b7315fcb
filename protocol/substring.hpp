#pragma once
/// @file
/// A fast "does this text contain that token" test, for the checks that run on every inbound
/// message (is it worth parsing? is it a heartbeat?).
///
/// Market data is JSON full of quotes, so std::string_view::find of a token like "id" (with
/// its quotes) stops at every quote and calls memcmp; on a 64-byte message that costs about as
/// much as the rest of the message's trip through the reader. `contains` tests 16 positions
/// at a time for the token's first two bytes and its last one (SSE2, on every x86-64) and
/// compares the rest only where all three match.

#include <string_view>

namespace zenws {

/// True when `needle` occurs in `text` (an empty needle occurs everywhere).
bool contains(std::string_view text, std::string_view needle) noexcept;

} // namespace zenws
