// The blocking facade, as code that is not an actor uses it.

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include <caf/actor_system.hpp>

#include "zenws/actors/blocking_connection.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/testing/test_server.hpp"

using namespace std::chrono_literals;
using zenws::errc;
using zenws::event;
namespace kit = zenws::testing;

namespace {

constexpr auto wait = 5s;

struct facade_fixture {
  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};
};

zenws::connection_config config_for(const kit::test_server& server) {
  zenws::connection_config config;
  config.url = server.url("/");
  config.tls.ca_file = server.tls().ca_file;
  return config;
}

} // namespace

TEST_CASE_FIXTURE(facade_fixture, "connect, echo, close: the whole life through the facade") {
  kit::test_server server{kit::server_options::secure()};
  zenws::blocking_connection conn{sys, io, config_for(server)};
  auto up = conn.connect();
  REQUIRE(up);
  CHECK(up->status == 101);
  auto first = conn.receive(wait);
  REQUIRE(first);
  CHECK(first->kind == event::type::connected);
  REQUIRE(conn.send_text("ping"));
  REQUIRE(conn.send_binary(std::string("\x01\x02", 2)));
  auto text = conn.receive(wait);
  REQUIRE(text);
  CHECK(text->kind == event::type::text);
  CHECK(text->data == "ping");
  auto binary = conn.receive(wait);
  REQUIRE(binary);
  CHECK(binary->kind == event::type::binary);
  CHECK(binary->data == std::string("\x01\x02", 2));
  CHECK_FALSE(conn.receive(50ms)); // nothing else is waiting
  auto metrics = conn.metrics();
  REQUIRE(metrics);
  CHECK(metrics->frames_in == 2);
  CHECK(metrics->frames_out == 2);
  CHECK(metrics->bytes_out == 6);
  auto closed = conn.close(1000, "done");
  REQUIRE(closed);
  CHECK_FALSE(closed->error);
  CHECK(conn.state() == zenws::connection_state::closed);
  auto last = conn.receive(wait);
  REQUIRE(last);
  CHECK(last->kind == event::type::disconnected);
}

TEST_CASE_FIXTURE(facade_fixture, "a failed connect explains itself") {
  kit::test_server server{kit::server_options::secure()};
  auto config = config_for(server);
  config.tls.ca_file.clear(); // the system store does not know the kit's CA
  zenws::blocking_connection conn{sys, io, config};
  auto up = conn.connect();
  REQUIRE_FALSE(up);
  CHECK(zenws::to_failure(up.error()).code == errc::tls_verify_failed);
  const auto text = zenws::explain(up.error());
  CHECK(text.find("certificate") != std::string::npos);
  CHECK(text.find("tls.ca_file") != std::string::npos);
}

TEST_CASE_FIXTURE(facade_fixture, "destroying an open facade closes with 1000") {
  kit::test_server server;
  {
    zenws::blocking_connection conn{sys, io, config_for(server)};
    REQUIRE(conn.connect());
  }
  const auto end = server.wait_for_end(1, wait);
  REQUIRE(end);
  CHECK(end->close_frame);
  CHECK(end->code == 1000);
}
