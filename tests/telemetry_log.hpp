#pragma once
// A telemetry hook for tests: collects events (the hook runs on actor threads) and waits for them.

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "zenws/protocol/telemetry.hpp"

namespace zenws_test {

/// Collects the events a hook receives. The hook runs on actor threads and may outlive the
/// log (an actor still ending), so it shares the storage rather than pointing at the log.
class event_log {
public:
  zenws::telemetry_hook hook() const {
    return [store = store_](const zenws::telemetry_event& e) {
      std::lock_guard<std::mutex> guard{store->mutex};
      store->events.push_back(e);
    };
  }

  std::vector<zenws::telemetry_event> all() const {
    std::lock_guard<std::mutex> guard{store_->mutex};
    return store_->events;
  }

  std::vector<zenws::telemetry_event> of(zenws::telemetry_kind kind) const {
    std::vector<zenws::telemetry_event> out;
    for (auto& e : all())
      if (e.kind == kind)
        out.push_back(std::move(e));
    return out;
  }

  /// Waits until `n` events of `kind` arrived.
  bool wait_for(zenws::telemetry_kind kind, std::size_t n = 1) const {
    for (int i = 0; i < 500; ++i) {
      if (of(kind).size() >= n)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return false;
  }

private:
  struct store {
    std::mutex mutex;
    std::vector<zenws::telemetry_event> events;
  };
  std::shared_ptr<store> store_ = std::make_shared<store>();
};

} // namespace zenws_test
