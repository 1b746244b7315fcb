#pragma once
/// @file
/// The time type the pure state machines in protocol/ are driven with. They never read a clock:
/// the connection actor passes steady_clock::now(), tests pass whatever they like.

#include <chrono>

namespace zenws {

using steady_time = std::chrono::steady_clock::time_point;

} // namespace zenws
