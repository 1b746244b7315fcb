#pragma once
// The distribution suites' helpers: actor systems with CAF's middleman, a handler that counts
// what reaches it from connections on other nodes, and polling.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "zenws/actors/runtime.hpp"
#include "zenws/supervision/distribution.hpp"
#include "zenws/supervision/pool_actor.hpp"
#include "zenws/testing/deribit_simulator.hpp"

using namespace std::chrono_literals;

namespace distribution_test {

/// zenws' config with the middleman loaded (and TLS when asked).
struct node_config : zenws::actor_system_config {
  explicit node_config(const zenws::distribution_options& options = {})
      : zenws::actor_system_config(2) {
    zenws::enable_distribution(*this, options);
  }
};

/// What a handler saw, readable from the test's thread.
struct seen {
  std::mutex mutex;
  std::map<std::string, std::uint64_t> events; ///< "connected", "text", ... -> count
  std::vector<std::string> texts;

  void add(const std::string& kind, const std::string* text = nullptr) {
    std::lock_guard<std::mutex> lock{mutex};
    ++events[kind];
    if (text != nullptr)
      texts.push_back(*text);
  }
  std::uint64_t count(const std::string& kind) {
    std::lock_guard<std::mutex> lock{mutex};
    return events[kind];
  }
  /// Texts received that contain `needle`.
  std::uint64_t containing(const std::string& needle) {
    std::lock_guard<std::mutex> lock{mutex};
    return static_cast<std::uint64_t>(std::count_if(texts.begin(), texts.end(), [&](const auto& t) {
      return t.find(needle) != std::string::npos;
    }));
  }
};

/// A handler of connection events that records them in `out`.
inline caf::behavior recording_handler(caf::event_based_actor* self,
                                       const std::shared_ptr<seen>& out) {
  self->set_default_handler(caf::drop);
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response&) { out->add("connected"); },
      [=](zenws::disconnected_atom, const zenws::disconnect_info&) { out->add("disconnected"); },
      [=](const zenws::text_frame& f) { out->add("text", &f.data); },
      [=](zenws::unmatched_atom, const zenws::text_frame& f) { out->add("unmatched", &f.data); },
      [=](zenws::restored_atom, const zenws::subscription_outcome&) { out->add("restored"); },
      [=](zenws::reconnecting_atom, const zenws::reconnect_notice&) { out->add("reconnecting"); },
  };
}

/// Polls `condition` every 10 ms for up to `limit`.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

inline zenws::pool_health health(caf::scoped_actor& self, const zenws::pool_actor& pool) {
  zenws::pool_health h;
  self->request(pool, 5s, caf::get_atom::value, zenws::health_atom::value)
      .receive([&](zenws::pool_health& x) { h = std::move(x); }, [](caf::error&) {});
  return h;
}

inline std::size_t ready_slots(const zenws::pool_health& h) {
  return static_cast<std::size_t>(
      std::count_if(h.slots.begin(), h.slots.end(), [](const auto& s) { return s.ready; }));
}

/// Slots whose connection lives on `endpoint` ("host:port").
inline std::size_t slots_on(const zenws::pool_health& h, const std::string& endpoint) {
  return static_cast<std::size_t>(std::count_if(h.slots.begin(), h.slots.end(),
                                                [&](const auto& s) { return s.node == endpoint; }));
}

/// True if the pool has `n` slots, all ready and on `endpoint`.
inline bool all_ready_on(const zenws::pool_health& h, std::size_t n, const std::string& endpoint) {
  return h.slots.size() == n && ready_slots(h) == n && slots_on(h, endpoint) == n;
}

/// Moves of all slots (connections placed elsewhere because their node was lost).
inline std::uint64_t moves(const zenws::pool_health& h) {
  std::uint64_t n = 0;
  for (const auto& s : h.slots)
    n += s.moves;
  return n;
}

inline std::uint64_t subscriptions(const zenws::pool_health& h) {
  std::uint64_t n = 0;
  for (const auto& s : h.slots)
    n += s.subscriptions;
  return n;
}

/// A Deribit simulator without credit limits and with a quick market (a step every 20 ms).
inline zenws::testing::deribit_simulator_options quick_venue() {
  zenws::testing::deribit_simulator_options o;
  o.rate_limits = false;
  o.market_interval = 20ms;
  return o;
}

/// A connection to `venue` that reconnects quickly.
inline zenws::connection_config venue_config(const zenws::testing::deribit_simulator& venue) {
  zenws::connection_config c;
  c.url = venue.url();
  c.reconnect.retry_delay = 20ms;
  c.reconnect.max_backoff = 100ms;
  return c;
}

/// A pool of `size` connections to `venue` placed on the node agents at 127.0.0.1:`ports`, built
/// there from their "deribit" recipe.
inline zenws::pool_spec placed_pool(const zenws::testing::deribit_simulator& venue,
                                    const std::vector<std::uint16_t>& ports, std::uint32_t size) {
  zenws::pool_spec spec;
  spec.connection = venue_config(venue);
  spec.pool.size = size;
  spec.pool.metrics_interval = 20ms;
  spec.placement.recipe = "deribit";
  spec.placement.redial.retry_delay = 50ms;
  spec.placement.redial.max_backoff = 200ms;
  for (auto port : ports)
    spec.placement.nodes.push_back({"127.0.0.1", port});
  return spec;
}

inline std::string endpoint(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

} // namespace distribution_test
