#pragma once
/// @file
/// Setting up an actor system for zenws: message types, the error renderer, and the scheduler
/// settings that suit I/O-driven, latency-sensitive connections.

#include <cstddef>

#include <caf/actor_system_config.hpp>

namespace zenws {

/// Registers every zenws message type (so they print, and cross the network under the
/// middleman) and the renderer of "zenws" errors. Call once per config, before creating the
/// actor system.
void register_types(caf::actor_system_config& cfg);

/// Applies the scheduler settings zenws recommends:
/// - work-stealing with `moderate-poll-attempts = 0`: CAF's default lets an idle worker sleep
///   in 50 us steps before it notices work posted from an io thread, adding 40-80 us to every
///   inbound frame; this lets workers wait on a condition variable instead (~35 us p50 wake-up);
/// - `max-threads = workers` (CAF's default is max(cores, 4), too many next to io threads);
/// - `max-throughput = 300`: one flooded actor yields its worker after 300 messages, so other
///   connections' heartbeats are not starved.
void apply_recommended_settings(caf::actor_system_config& cfg, std::size_t workers);

/// A config with register_types() and apply_recommended_settings() applied, for programs and
/// tests that own their actor system. Applications embedding zenws call the two functions on
/// their own config instead.
class actor_system_config : public caf::actor_system_config {
public:
  explicit actor_system_config(std::size_t workers = 2);
};

} // namespace zenws
