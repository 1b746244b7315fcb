// The connection actor through its typed interface, with a real handler actor, against the
// kit's server.

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/testing/test_server.hpp"

using namespace std::chrono_literals;
using zenws::errc;
namespace kit = zenws::testing;

namespace {

constexpr auto wait = 5s;

/// The io runtime first, so it is destroyed after the actor system.
struct runtime_fixture {
  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  /// A connection that does not reconnect: these tests look at one connection's life. The
  /// resilience tests cover reconnection.
  zenws::connection_actor spawn(const std::string& url, caf::actor handler = {}) {
    zenws::connection_config config;
    config.url = url;
    config.reconnect.enabled = false;
    return zenws::spawn_connection(sys, io, config, handler ? handler : caf::actor{});
  }

  /// Sends a request and returns its reply or its error as a failure.
  template <class T, class... Ts>
  std::pair<std::optional<T>, zenws::failure> ask(const zenws::connection_actor& conn, Ts&&... xs) {
    std::pair<std::optional<T>, zenws::failure> out;
    self->request(conn, wait, std::forward<Ts>(xs)...)
        .receive([&](T& value) { out.first = std::move(value); },
                 [&](const caf::error& err) { out.second = zenws::to_failure(err); });
    return out;
  }

  /// A connection to `server` reporting to a forwarding_handler (events come to `self`),
  /// connected, with its "connected" event read.
  std::pair<zenws::connection_actor, caf::actor> connected(kit::test_server& server);

  zenws::failure ask_void(const zenws::connection_actor& conn, std::string text) {
    zenws::failure out{errc::internal_error, "no reply"};
    self->request(conn, wait, zenws::send_atom::value, zenws::text_frame{std::move(text)})
        .receive([&] { out = {}; }, [&](const caf::error& err) { out = zenws::to_failure(err); });
    return out;
  }
};

/// A handler that forwards every event to `sink` as (tag, text): the test's scoped actor reads
/// them in order.
caf::behavior forwarding_handler(caf::event_based_actor* self, caf::actor sink) {
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response& r) {
        self->send(sink, std::string("connected"), std::to_string(r.status));
      },
      [=](const zenws::text_frame& f) { self->send(sink, std::string("text"), f.data); },
      [=](const zenws::binary_frame& f) { self->send(sink, std::string("binary"), f.data); },
      [=](zenws::error_atom, const zenws::failure& f) {
        self->send(sink, std::string("error"), std::string(zenws::to_string(f.code)));
      },
      [=](zenws::disconnected_atom, const zenws::disconnect_info& d) {
        self->send(sink, std::string("disconnected"), std::to_string(d.code));
      },
      [=](zenws::gave_up_atom, const zenws::give_up_info& g) {
        self->send(sink, std::string("gave_up"), std::string(zenws::to_string(g.last.code)));
      },
  };
}

/// Open file descriptors of this process.
std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

/// The next (tag, text) event the handler forwarded.
std::pair<std::string, std::string> next_event(caf::scoped_actor& self) {
  std::pair<std::string, std::string> out{"timeout", ""};
  self->receive(
      [&](std::string& tag, std::string& text) {
        out = {tag, text};
      },
      caf::after(wait) >> [] {});
  return out;
}

std::pair<zenws::connection_actor, caf::actor>
runtime_fixture::connected(kit::test_server& server) {
  auto handler = sys.spawn(forwarding_handler, caf::actor_cast<caf::actor>(self));
  auto conn = spawn(server.url("/"), handler);
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  REQUIRE(next_event(self).first == "connected");
  return {conn, handler};
}

} // namespace

TEST_CASE_FIXTURE(runtime_fixture, "the handler sees connected, the messages in order, then "
                                   "disconnected") {
  kit::test_server server;
  auto handler = sys.spawn(forwarding_handler, caf::actor_cast<caf::actor>(self));
  auto conn = spawn(server.url("/"), handler);
  auto [up, err] = ask<zenws::upgrade_response>(conn, caf::connect_atom::value);
  REQUIRE(up);
  CHECK(up->status == 101);
  CHECK(next_event(self) == std::pair<std::string, std::string>{"connected", "101"});
  for (int i = 0; i < 20; ++i)
    caf::anon_send(conn, zenws::send_atom::value, zenws::text_frame{"m" + std::to_string(i)});
  caf::anon_send(conn, zenws::send_atom::value, zenws::binary_frame{std::string("\0\1", 2)});
  for (int i = 0; i < 20; ++i)
    CHECK(next_event(self) == std::pair<std::string, std::string>{"text", "m" + std::to_string(i)});
  CHECK(next_event(self) == std::pair<std::string, std::string>{"binary", std::string("\0\1", 2)});
  server.close(*server.wait_for_sessions(1, wait), 4000, "bye");
  CHECK(next_event(self) == std::pair<std::string, std::string>{"disconnected", "4000"});
  CHECK(next_event(self) == std::pair<std::string, std::string>{"gave_up", "connection_lost"});
  auto [state, _] =
      ask<zenws::connection_state>(conn, caf::get_atom::value, zenws::state_atom::value);
  CHECK(state == zenws::connection_state::disconnected);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(runtime_fixture, "a failed plain send goes to the handler, a failed request "
                                   "to the requester") {
  auto handler = sys.spawn(forwarding_handler, caf::actor_cast<caf::actor>(self));
  auto conn = spawn("ws://127.0.0.1:9/", handler);
  caf::anon_send(conn, zenws::send_atom::value, zenws::text_frame{"too early"});
  CHECK(next_event(self) == std::pair<std::string, std::string>{"error", "not_connected"});
  CHECK(ask_void(conn, "too early").code == errc::not_connected);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(runtime_fixture, "a server message nested a million levels deep reaches the "
                                   "handler and the connection goes on") {
  kit::test_server server;
  auto [conn, handler] = connected(server);
  // It names an id, so the connection parses it to see whether it answers a request: before the
  // depth limit, that parse overflowed the stack and ended the process.
  const std::string deep = R"({"id":1,"result":)" + std::string(1'000'000, '[');
  server.send(*server.wait_for_sessions(1, wait), {0, false, deep});
  const auto delivered = next_event(self);
  CHECK(delivered.first == "text");
  CHECK(delivered.second.size() == deep.size());
  CHECK(ask_void(conn, "still here").code == errc::none);
  CHECK(next_event(self) == std::pair<std::string, std::string>{"text", "still here"});
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(runtime_fixture, "a text message that is not UTF-8 is refused, and only that "
                                   "message") {
  kit::test_server server;
  auto [conn, handler] = connected(server);
  // Sent, the server would fail the connection with 1007 and every pending request with it.
  const auto refused = ask_void(conn, "caf\xe9");
  CHECK(refused.code == errc::bad_text);
  CHECK(refused.detail == "the text message is not UTF-8");
  caf::anon_send(conn, zenws::send_atom::value, zenws::text_frame{"\xed\xa0\x80"}); // surrogate
  CHECK(next_event(self) == std::pair<std::string, std::string>{"error", "bad_text"});
  CHECK(ask_void(conn, "caf\xc3\xa9").code == errc::none);
  CHECK(next_event(self) == std::pair<std::string, std::string>{"text", "caf\xc3\xa9"});
  caf::anon_send(conn, zenws::send_atom::value, zenws::binary_frame{"caf\xe9"});
  CHECK(next_event(self) == std::pair<std::string, std::string>{"binary", "caf\xe9"});
  auto [state, _] =
      ask<zenws::connection_state>(conn, caf::get_atom::value, zenws::state_atom::value);
  CHECK(state == zenws::connection_state::connected);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(runtime_fixture, "a request past max_pending_requests fails at once, the "
                                   "waiting ones keep waiting") {
  kit::test_server server; // echoes: a request comes back as a request, never as its answer
  zenws::connection_config config;
  config.url = server.url("/");
  config.reconnect.enabled = false;
  config.max_pending_requests = 2;
  auto conn = zenws::spawn_connection(sys, io, config, caf::actor{});
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  const auto request = [&](caf::scoped_actor& who, std::chrono::milliseconds timeout) {
    zenws::failure out{errc::internal_error, "no reply"};
    who->request(conn, wait, zenws::request_atom::value, std::string{"public/test"}, std::string{},
                 caf::timespan{timeout})
        .receive([&](const zenws::rpc_response&) { out = {}; },
                 [&](const caf::error& err) { out = zenws::to_failure(err); });
    return out;
  };
  std::vector<zenws::failure> waited(2);
  std::vector<std::thread> waiting;
  for (std::size_t i = 0; i < 2; ++i)
    waiting.emplace_back([&, i] {
      caf::scoped_actor requester{sys};
      waited[i] = request(requester, 800ms);
    });
  auto [metrics, _] =
      ask<zenws::connection_metrics>(conn, caf::get_atom::value, zenws::metrics_atom::value);
  for (int i = 0; i < 200 && metrics && metrics->pending_requests < 2; ++i) {
    std::this_thread::sleep_for(5ms);
    metrics = ask<zenws::connection_metrics>(conn, caf::get_atom::value, zenws::metrics_atom::value)
                  .first;
  }
  REQUIRE(metrics);
  REQUIRE(metrics->pending_requests == 2);
  const auto refused = request(self, 800ms);
  CHECK(refused.code == errc::too_many_pending);
  CHECK(refused.detail == "2 requests already wait for their answers (max_pending_requests)");
  for (auto& t : waiting)
    t.join();
  for (const auto& f : waited)
    CHECK(f.code == errc::request_timeout);                 // ended once each, by their own timeout
  CHECK(request(self, 50ms).code == errc::request_timeout); // room again: sent, then timed out
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(runtime_fixture, "a bad URL or config is refused at connect with its reason") {
  SUBCASE("URL with userinfo") {
    auto conn = spawn("wss://user:secret@example.com/");
    auto [up, err] = ask<zenws::upgrade_response>(conn, caf::connect_atom::value);
    CHECK_FALSE(up);
    CHECK(err.code == errc::invalid_url);
    CHECK(err.detail.find("secret") == std::string::npos);
    CHECK(zenws::explain(err).find("userinfo") != std::string::npos);
  }
  SUBCASE("zero connect timeout") {
    zenws::connection_config config;
    config.url = "ws://127.0.0.1:9/";
    config.timeouts.connect = 0ms;
    auto conn = zenws::spawn_connection(sys, io, config, caf::actor{});
    auto [up, err] = ask<zenws::upgrade_response>(conn, caf::connect_atom::value);
    CHECK(err.code == errc::invalid_config);
    CHECK(err.detail.find("timeouts.connect") != std::string::npos);
  }
}

TEST_CASE_FIXTURE(runtime_fixture, "close sends our code and reason and ends the connection") {
  kit::test_server server;
  auto conn = spawn(server.url("/"));
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  auto [info, err] = ask<zenws::disconnect_info>(conn, caf::close_atom::value, std::uint16_t{4001},
                                                 std::string("bye"));
  REQUIRE(info);
  CHECK(info->initiator == zenws::close_initiator::local);
  CHECK_FALSE(info->error);
  const auto end = server.wait_for_end(1, wait);
  REQUIRE(end);
  CHECK(end->code == 4001);
  CHECK(end->reason == "bye");
  CHECK(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).second.code == errc::closed);
  CHECK(ask_void(conn, "after close").code == errc::closed);
}

TEST_CASE_FIXTURE(runtime_fixture, "close refuses codes and reasons RFC 6455 forbids") {
  auto conn = spawn("ws://127.0.0.1:9/");
  auto close = [&](std::uint16_t code, std::string reason) {
    return ask<zenws::disconnect_info>(conn, caf::close_atom::value, code, std::move(reason))
        .second.code;
  };
  CHECK(close(1005, "") == errc::bad_close_code);
  CHECK(close(1006, "") == errc::bad_close_code);
  CHECK(close(999, "") == errc::bad_close_code);
  CHECK(close(1000, std::string(124, 'r')) == errc::bad_close_reason);
  CHECK(close(1000, "\xff") == errc::bad_close_reason);
  CHECK(close(1000, std::string(123, 'r')) == errc::none);
}

TEST_CASE_FIXTURE(runtime_fixture, "a disconnected connection connects again") {
  kit::test_server server;
  auto conn = spawn(server.url("/"));
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  server.reset(*server.wait_for_sessions(1, wait));
  auto metrics = [&] {
    return ask<zenws::connection_metrics>(conn, caf::get_atom::value, zenws::metrics_atom::value)
        .first;
  };
  for (int i = 0; i < 100 && metrics()->state != zenws::connection_state::disconnected; ++i)
    std::this_thread::sleep_for(10ms);
  auto m = metrics();
  CHECK(m->state == zenws::connection_state::disconnected);
  CHECK(zenws::category_of(m->last_error.code) == zenws::category::network);
  CHECK(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  CHECK(ask_void(conn, "again").code == errc::none);
  CHECK(server.wait_for_frame([](const kit::frame& f) { return f.data == "again"; }, wait));
  CHECK(metrics()->connects == 2);
}

TEST_CASE_FIXTURE(runtime_fixture, "a connect still pending when the actor is killed fails at "
                                   "once") {
  kit::blackhole_listener hole;
  zenws::connection_config config;
  config.url = "ws://127.0.0.1:" + std::to_string(hole.port()) + "/";
  config.timeouts.connect = 30s;
  auto conn = zenws::spawn_connection(sys, io, config, caf::actor{});
  self->send(conn, caf::connect_atom::value);
  self->send_exit(conn, caf::exit_reason::kill);
  const auto started = std::chrono::steady_clock::now();
  zenws::failure got;
  self->receive([&](zenws::upgrade_response&) {},
                [&](const caf::error& err) { got = zenws::to_failure(err); },
                caf::after(wait) >>
                    [&] {
                      got = {errc::request_timeout, "no answer"};
                    });
  CHECK(got.code == errc::closed);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE_FIXTURE(runtime_fixture, "an actor killed with writes in flight releases its socket") {
  kit::test_server server;
  auto conn = spawn(server.url("/"));
  REQUIRE(ask<zenws::upgrade_response>(conn, caf::connect_atom::value).first);
  const auto session = server.wait_for_sessions(1, wait);
  server.stall(*session);
  const std::string chunk(512 * 1024, 'w');
  for (int i = 0; i < 32; ++i)
    caf::anon_send(conn, zenws::send_atom::value, zenws::binary_frame{chunk});
  auto [m, _] =
      ask<zenws::connection_metrics>(conn, caf::get_atom::value, zenws::metrics_atom::value);
  CHECK(m->write_queue_depth > 0);
  const auto fds_before = open_descriptors();
  self->send_exit(conn, caf::exit_reason::kill);
  // The transport closes its socket although writes are pending; LeakSanitizer checks at exit
  // that nothing of it was left behind.
  for (int i = 0; i < 200 && open_descriptors() >= fds_before; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(open_descriptors() == fds_before - 1);
}
