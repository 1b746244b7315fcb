#pragma once
// The pool suites' fixture: an actor system, an io runtime and the kit's JSON-RPC venue, with
// helpers that ask a pool for its health and wait until its slots are ready.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/supervision/pool_actor.hpp"
#include "zenws/testing/json_rpc_venue.hpp"
#include "zenws/testing/test_server.hpp"

using namespace std::chrono_literals;
using zenws::errc;
namespace kit = zenws::testing;

namespace pool_test {

constexpr auto wait = 5s;

/// A handler that handles none of the events: CAF's default handler answers each with an
/// error message, which the connections must shrug off.
inline caf::behavior ignore_all(caf::event_based_actor* self) {
  self->set_default_handler(caf::drop);
  return {[](int) {}};
}

/// zenws' recommended config with the pool's message types registered too.
struct pool_system_config : zenws::actor_system_config {
  pool_system_config() : zenws::actor_system_config(2) { zenws::register_pool_types(*this); }
};

struct fixture {
  zenws::io_runtime io{1};
  pool_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  caf::actor handler = sys.spawn(ignore_all);
  kit::test_server server;

  fixture() { server.set_responder(kit::json_rpc_venue()); }
  ~fixture() { self->send_exit(handler, caf::exit_reason::user_shutdown); }

  zenws::pool_spec spec(std::uint32_t size) const {
    zenws::pool_spec s;
    s.connection.url = server.url("/ws");
    s.connection.reconnect.retry_delay = 10ms;
    s.connection.reconnect.max_backoff = 50ms;
    s.pool.size = size;
    s.pool.metrics_interval = 20ms;
    return s;
  }

  zenws::pool_health health(const zenws::pool_actor& pool) {
    zenws::pool_health h;
    self->request(pool, wait, caf::get_atom::value, zenws::health_atom::value)
        .receive([&](zenws::pool_health& x) { h = std::move(x); }, [](caf::error&) {});
    return h;
  }

  /// Waits until `n` slots are ready (and no more than `n` exist).
  bool ready(const zenws::pool_actor& pool, std::size_t n) {
    for (int i = 0; i < 500; ++i) {
      const auto h = health(pool);
      const auto count =
          std::count_if(h.slots.begin(), h.slots.end(), [](const auto& s) { return s.ready; });
      if (static_cast<std::size_t>(count) == n && h.slots.size() == n)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::pair<std::optional<zenws::rpc_response>, zenws::failure>
  request(const zenws::pool_actor& pool, std::string method) {
    std::pair<std::optional<zenws::rpc_response>, zenws::failure> out;
    self->request(pool, wait, zenws::request_balanced_atom::value, std::move(method), std::string{},
                  caf::timespan{2s})
        .receive([&](zenws::rpc_response& r) { out.first = std::move(r); },
                 [&](caf::error& err) { out.second = zenws::to_failure(err); });
    return out;
  }

  std::size_t frames_with(const std::string& text) const {
    const auto frames = server.frames();
    return static_cast<std::size_t>(std::count_if(frames.begin(), frames.end(), [&](const auto& f) {
      return f.data.find(text) != std::string::npos;
    }));
  }
};

/// A handler_factory whose handlers count themselves in `alive` while they live and throw on the
/// text "boom".
struct fragile_handlers {
  std::shared_ptr<std::atomic<int>> spawned = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> alive = std::make_shared<std::atomic<int>>(0);

  caf::actor operator()(caf::actor_system& sys, std::uint32_t) const {
    ++*spawned;
    ++*alive;
    return sys.spawn([alive = alive](caf::event_based_actor* self) -> caf::behavior {
      self->set_default_handler(caf::drop);
      self->attach_functor([alive] { --*alive; });
      return {[](const zenws::text_frame& f) {
        if (f.data == "boom")
          throw std::runtime_error("handler bug");
      }};
    });
  }
};

/// Polls `condition` for up to 5 s.
inline bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 500; ++i) {
    if (condition())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

} // namespace pool_test
