#pragma once
// One transport under test with the recorder of its events: the client side of the transport,
// conformance and interop suites.

#include <chrono>
#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "transport/event_recorder.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/transport.hpp"

namespace zenws::test {

struct transport_client {
  /// Creates the transport for `cfg.url` and starts it.
  transport_client(io_runtime& io, const connection_config& cfg) {
    auto url = parse_url(cfg.url).url;
    REQUIRE(url);
    events = std::make_shared<event_recorder>();
    link = transport::create(io, cfg, *url, events);
    link->start();
  }
  ~transport_client() { link->abort(); }

  transport_client(const transport_client&) = delete;
  transport_client& operator=(const transport_client&) = delete;

  /// Sends `text` and waits up to `timeout` for the next message the server sends.
  std::string ask(const std::string& text, std::chrono::milliseconds timeout) {
    const auto before = events->messages().size();
    REQUIRE(link->send(frame_kind::text, text) == errc::none);
    REQUIRE(events->wait_messages(before + 1, timeout));
    return events->messages()[before].payload;
  }

  std::shared_ptr<event_recorder> events;
  std::shared_ptr<transport> link;
};

} // namespace zenws::test
