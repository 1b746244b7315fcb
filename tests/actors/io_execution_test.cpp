// How messages reach the handler: actors woken by an io thread run on it (io_runtime's
// run_actors_inline), an actor system whose actors ran and spawned there still shuts down, and
// batches (connection_options::deliver_batches) keep the order of events.

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/testing/test_server.hpp"

#include "connection_fixture.hpp"

namespace {

/// Reports the thread its first text frame arrives on; then spawns a short-lived actor from
/// there, as a pool does when it replaces a connection.
caf::behavior thread_reporter(caf::event_based_actor* self,
                              std::shared_ptr<std::promise<std::thread::id>> seen) {
  self->set_default_handler(caf::drop);
  return {
      [=](zenws::text_frame&) {
        if (!seen)
          return;
        self->spawn([](caf::event_based_actor* child) { child->quit(); });
        seen->set_value(std::this_thread::get_id());
        self->quit();
      },
  };
}

std::thread::id io_thread_of(zenws::io_runtime& io) {
  std::promise<std::thread::id> id;
  io.defer([&id] { id.set_value(std::this_thread::get_id()); });
  return id.get_future().get();
}

/// The thread the handler of a connection to `server` sees its first message on.
std::thread::id handler_thread(zenws::io_runtime& io, kit::test_server& server) {
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};
  auto seen = std::make_shared<std::promise<std::thread::id>>();
  auto result = seen->get_future();
  auto handler = sys.spawn(thread_reporter, seen);
  zenws::connection_config config;
  config.url = server.url("/");
  auto conn = zenws::spawn_connection(sys, io, config, handler);
  caf::scoped_actor self{sys};
  self->request(conn, 5s, caf::connect_atom::value)
      .receive([](const zenws::upgrade_response&) {}, [](const caf::error&) {});
  // The server speaks first, once the connection has gone idle: an echo of our own send could
  // reach the connection while a CAF worker still runs it, and would stay on that worker.
  const auto session = server.wait_for_sessions(server.accepted_connections(), 5s);
  REQUIRE(session);
  std::this_thread::sleep_for(50ms);
  server.send(*session, kit::frame{0, false, "hello"});
  REQUIRE(result.wait_for(5s) == std::future_status::ready);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  return result.get();
  // The system's destructor must return although actors ran and spawned on the io thread.
}

} // namespace

TEST_CASE("a handler woken by its connection runs on the io thread") {
  kit::test_server server;
  zenws::io_runtime io{1};
  CHECK(io.runs_actors_inline());
  CHECK(handler_thread(io, server) == io_thread_of(io));
  // Twice with the same io thread: its execution unit moves on to the next actor system.
  CHECK(handler_thread(io, server) == io_thread_of(io));
}

TEST_CASE("without inline execution the handler runs on a CAF worker") {
  kit::test_server server;
  zenws::io_runtime io{1, false};
  CHECK_FALSE(io.runs_actors_inline());
  const auto seen = handler_thread(io, server);
  CHECK(seen != io_thread_of(io));
  CHECK(seen != std::this_thread::get_id());
}

TEST_CASE("code off the io threads sees no io runtime") {
  zenws::io_runtime io{1};
  CHECK(zenws::io_runtime::on_this_thread() == nullptr);
  std::promise<zenws::io_runtime*> on_io;
  io.defer([&on_io] { on_io.set_value(zenws::io_runtime::on_this_thread()); });
  CHECK(on_io.get_future().get() == &io);
}

using connection_test::fixture;
using connection_test::wait;

TEST_CASE_FIXTURE(fixture, "with deliver_batches the handler gets batches, in order with the "
                           "other events") {
  kit::test_server server;
  zenws::connection_options options;
  options.deliver_batches = true;
  auto conn = spawn(fast_config(server.url("/")), std::move(options));
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  const auto session = server.wait_for_sessions(1, wait);
  REQUIRE(session);
  // Data, an answer nobody asked for, more data: whether they come in one read or three, the
  // handler sees them in this order.
  server.send(*session, {0, false, "a"});
  server.send(*session, {0, false, R"({"jsonrpc":"2.0","id":999,"result":1})"});
  server.send(*session, {0, false, "b"});
  server.send(*session, {0, false, "c"});
  std::vector<std::string> seen;
  std::size_t announced = 0;
  while (seen.size() < 4) {
    const auto e = next();
    if (e.tag == "timeout")
      break;
    if (e.tag == "batch")
      announced += std::stoul(e.text);
    else if (e.tag == "text" || e.tag == "unmatched")
      seen.push_back(e.tag + ":" + e.text.substr(0, 1));
  }
  CHECK(seen == std::vector<std::string>{"text:a", "unmatched:{", "text:b", "text:c"});
  CHECK(announced == 3); // every data message came in a batch, none on its own
}
