#pragma once
// The connection actor suites' fixture: an actor system and io runtime, a handler that turns
// every event into a tagged message for the test thread, and helpers to ask the actor.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/testing/json_rpc_venue.hpp"
#include "zenws/testing/test_server.hpp"

using namespace std::chrono_literals;
using zenws::errc;
namespace kit = zenws::testing;
using clock_type = std::chrono::steady_clock;

namespace connection_test {

constexpr auto wait = 5s;

/// One handler event, flattened for the test: a tag and the details a test checks.
struct event {
  std::string tag = "timeout";
  std::string text;
  std::uint32_t retry = 0;
  std::chrono::milliseconds delay{0};
  zenws::failure error;
  bool fatal = false;
  std::vector<std::string> accepted;
  std::vector<std::string> rejected;
};

inline event tagged(std::string tag, std::string text = {}) {
  event e;
  e.tag = std::move(tag);
  e.text = std::move(text);
  return e;
}

inline caf::behavior recording_handler(caf::event_based_actor* self, const caf::actor& sink) {
  auto put = [=](event e) {
    self->send(sink, std::move(e.tag), std::move(e.text), e.retry, e.delay.count(), e.error,
               e.fatal, std::move(e.accepted), std::move(e.rejected));
  };
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response&) { put(tagged("connected")); },
      [=](const zenws::text_frame& f) { put(tagged("text", f.data)); },
      [=](const zenws::message_batch& b) {
        put(tagged("batch", std::to_string(b.size())));
        for (const auto m : b.messages())
          put(tagged("text", std::string(m.payload)));
      },
      [=](zenws::unmatched_atom, const zenws::text_frame& f) { put(tagged("unmatched", f.data)); },
      [=](zenws::disconnected_atom, const zenws::disconnect_info& d) {
        auto e = tagged("disconnected");
        e.error = d.error;
        put(e);
      },
      [=](zenws::reconnecting_atom, const zenws::reconnect_notice& n) {
        auto e = tagged("reconnecting");
        e.retry = n.retry;
        e.delay = n.delay;
        e.error = n.cause;
        put(e);
      },
      [=](zenws::gave_up_atom, const zenws::give_up_info& g) {
        auto e = tagged("gave_up", g.to_string());
        e.error = g.last;
        e.fatal = g.fatal;
        put(e);
      },
      [=](zenws::restored_atom, const zenws::subscription_outcome& o) {
        auto e = tagged("restored");
        e.accepted = o.accepted;
        e.rejected = o.rejected;
        put(e);
      },
      [=](zenws::error_atom, const zenws::failure& f) {
        auto e = tagged("error");
        e.error = f;
        put(e);
      },
      [=](zenws::rate_limit_atom, zenws::pressure p) { put(tagged("pressure", to_string(p))); },
  };
}

/// Resident set size of this process, from /proc/self/statm.
inline std::size_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::size_t total_pages = 0;
  std::size_t resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

inline std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

/// The io runtime first, so it is destroyed after the actor system.
struct fixture {
  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  caf::actor handler = sys.spawn(recording_handler, caf::actor_cast<caf::actor>(self));

  std::vector<caf::actor> spawned; // ended with the test: a pending timer would keep them alive

  ~fixture() {
    for (const auto& conn : spawned)
      self->send_exit(conn, caf::exit_reason::user_shutdown);
    self->send_exit(handler, caf::exit_reason::user_shutdown);
  }

  static zenws::connection_config fast_config(const std::string& url) {
    zenws::connection_config config;
    config.url = url;
    config.reconnect.retry_delay = 20ms;
    config.reconnect.max_backoff = 200ms;
    config.reconnect.jitter = 0.0;
    config.timeouts.upgrade = 300ms;
    config.timeouts.request = 2000ms;
    return config;
  }

  zenws::connection_actor spawn(zenws::connection_config config,
                                zenws::connection_options options = {}) {
    auto conn = zenws::spawn_connection(sys, io, std::move(config), std::move(options), handler);
    spawned.push_back(caf::actor_cast<caf::actor>(conn));
    return conn;
  }

  event next(std::chrono::milliseconds within = wait) {
    event e;
    self->receive(
        [&](std::string& tag, std::string& text, std::uint32_t retry, std::int64_t delay,
            zenws::failure& error, bool fatal, std::vector<std::string>& accepted,
            std::vector<std::string>& rejected) {
          e = {tag,   text,  retry,    std::chrono::milliseconds{delay},
               error, fatal, accepted, rejected};
        },
        caf::after(within) >> [] {});
    return e;
  }

  /// The next event with this tag, skipping others.
  event next(const std::string& tag) {
    for (int i = 0; i < 100; ++i) {
      auto e = next();
      if (e.tag == tag || e.tag == "timeout")
        return e;
    }
    return {};
  }

  template <class T, class... Ts>
  std::pair<std::optional<T>, zenws::failure> ask(const zenws::connection_actor& conn, Ts&&... xs) {
    std::pair<std::optional<T>, zenws::failure> out;
    self->request(conn, wait, std::forward<Ts>(xs)...)
        .receive([&](T& value) { out.first = std::move(value); },
                 [&](const caf::error& err) { out.second = zenws::to_failure(err); });
    return out;
  }

  std::pair<std::optional<zenws::rpc_response>, zenws::failure>
  request(const zenws::connection_actor& conn, std::string method, caf::timespan timeout = {}) {
    return ask<zenws::rpc_response>(conn, zenws::request_atom::value, std::move(method),
                                    std::string{}, timeout);
  }
};

/// Sends `n` requests for `method` (with `params`) at once from a helper actor; their endings
/// (error code, none for a result) come back to `sink` as (int request, int code), in the order
/// they end.
inline caf::actor fire(caf::actor_system& sys, const zenws::connection_actor& conn, int n,
                       const std::string& method, caf::timespan timeout, const caf::actor& sink,
                       const std::string& params = {}) {
  return sys.spawn([=](caf::event_based_actor* a) -> caf::behavior {
    for (int i = 0; i < n; ++i)
      a->request(conn, std::chrono::seconds{30}, zenws::request_atom::value, method, params,
                 timeout)
          .then([=](zenws::rpc_response&) { a->send(sink, i, static_cast<int>(errc::none)); },
                [=](caf::error& err) {
                  a->send(sink, i, static_cast<int>(zenws::to_failure(err).code));
                });
    return {[](double) {}};
  });
}

/// Collects `n` endings sent by fire(), by request; a request that ended twice shows up as a
/// missing one.
inline std::map<int, errc> endings(caf::scoped_actor& self, int n,
                                   std::vector<int>* order = nullptr) {
  std::map<int, errc> out;
  for (int i = 0; i < n; ++i)
    self->receive(
        [&](int request, int code) {
          out[request] = static_cast<errc>(code);
          if (order)
            order->push_back(request);
        },
        caf::after(wait) >> [] {});
  return out;
}

} // namespace connection_test
