#pragma once
/// @file
/// The nesting limit of the JSON zenws parses. RapidJSON parses recursively, and so does every
/// walk over a parsed document (writing a result back out, redacting secrets): a message of a
/// hundred thousand '[' would overflow the thread's stack and end the process. Every parse of
/// text from a server, a user or a file checks the depth first and treats deeper text as not
/// JSON.

#include <cstddef>
#include <string_view>

namespace zenws {

/// Most levels of arrays and objects in one JSON text zenws parses. Venue messages use a
/// handful.
inline constexpr std::size_t max_json_depth = 128;

/// True when `text` nests arrays and objects at most `max_depth` levels deep (brackets inside
/// strings do not count). A cheap scan; it does not check that `text` is JSON.
bool json_depth_within(std::string_view text, std::size_t max_depth = max_json_depth) noexcept;

} // namespace zenws
