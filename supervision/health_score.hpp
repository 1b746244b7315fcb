#pragma once
/// @file
/// How healthy a pool member is, 0-100, and which member a balanced request goes to.
///
///     score = 100 - min(pending * 10, 40) - min(p99_ms / 25, 30) - min(errors * 15, 20)
///
/// (ZenWebsocket's PoolRouter constants.) Errors are forgotten once `decay` (60 s) passes
/// without a new one; a success clears them. Pure: the caller passes the time.

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "zenws/protocol/clock.hpp"

namespace zenws {

/// The score's inputs for one member.
struct health_inputs {
  std::uint64_t pending = 0;        ///< requests waiting for their responses
  std::chrono::microseconds p99{0}; ///< request round-trip p99 (0 when none measured)
  std::uint32_t errors = 0;         ///< recent errors (see error_memory)
};

/// The score, 0-100 (in practice at least 10).
int health_score(const health_inputs& in) noexcept;

/// Recent errors of one member: a count that drops to zero once `decay` passes without a new
/// error.
class error_memory {
public:
  explicit error_memory(std::chrono::milliseconds decay = std::chrono::seconds{60})
      : decay_(decay) {}

  void record(steady_time now) noexcept;
  void clear() noexcept { count_ = 0; }
  std::uint32_t count(steady_time now) const noexcept;

private:
  std::chrono::milliseconds decay_;
  std::uint32_t count_ = 0;
  steady_time last_{};
};

/// The member with the highest score among `scores` (nullopt = not eligible); ties go first to
/// the members with the fewest `pending` requests, then round-robin by `turn`, which advances on
/// every pick. nullopt when none is eligible. The fewest-pending rule matters because the score's
/// pending penalty stops at 4 requests: under bursts a member that stopped answering ties with
/// busy healthy ones and would otherwise keep taking its share of the ties until its heartbeat
/// gives up on it (found by `zenws soak`).
std::optional<std::size_t> pick_healthiest(const std::vector<std::optional<int>>& scores,
                                           const std::vector<std::uint64_t>& pending,
                                           std::uint64_t& turn);

} // namespace zenws
