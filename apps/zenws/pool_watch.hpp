#pragma once
// Reading a pool from a command's main thread (soak, demo): its health, its slots' heartbeats,
// waiting until every slot is ready.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "zenws/supervision/pool_actor.hpp"

namespace zenws::cli {

/// Heartbeat counters summed over every connection actor seen (restarted ones start at 0).
struct heartbeat_totals {
  std::map<caf::actor_id, heartbeat_health> by_actor;

  void update(caf::scoped_actor& self, const pool_health& h) {
    for (const auto& slot : h.slots)
      self->request(slot.connection, std::chrono::seconds{2}, caf::get_atom::value,
                    heartbeat_atom::value)
          .receive([&](heartbeat_health& hb) { by_actor[slot.connection.id()] = hb; },
                   [](caf::error&) {});
  }
  std::uint64_t sent() const { return sum(&heartbeat_health::sent); }
  std::uint64_t received() const { return sum(&heartbeat_health::received); }
  std::uint64_t stale() const { return sum(&heartbeat_health::stale); }

private:
  std::uint64_t sum(std::uint64_t heartbeat_health::*field) const {
    std::uint64_t n = 0;
    for (const auto& [id, hb] : by_actor)
      n += hb.*field;
    return n;
  }
};

inline std::optional<pool_health> health_of(caf::scoped_actor& self, const pool_actor& pool) {
  std::optional<pool_health> out;
  self->request(pool, std::chrono::seconds{2}, caf::get_atom::value, health_atom::value)
      .receive([&](pool_health& h) { out = std::move(h); }, [](caf::error&) {});
  return out;
}

inline std::size_t ready_slots(const pool_health& h) {
  std::size_t n = 0;
  for (const auto& slot : h.slots)
    n += slot.ready ? 1 : 0;
  return n;
}

inline std::uint64_t held_channels(const pool_health& h) {
  std::uint64_t n = 0;
  for (const auto& slot : h.slots)
    n += slot.subscriptions;
  return n;
}

/// Waits up to `timeout` for every slot to be ready; the time it took, or nullopt.
inline std::optional<std::chrono::milliseconds> wait_ready(caf::scoped_actor& self,
                                                           const pool_actor& pool, std::size_t size,
                                                           std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < timeout) {
    if (auto h = health_of(self, pool); h && ready_slots(*h) == size)
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return std::nullopt;
}

} // namespace zenws::cli
