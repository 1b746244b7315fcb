// A connection actor with a handler actor: the way CAF applications use zenws.
//
// Run with a URL (`example_actor_client wss://host/path`) or without one to use the test kit's
// echo server. The handler prints what arrives; after three echoes the example closes.

#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <zenws/actors/connection_actor.hpp>
#include <zenws/actors/io_runtime.hpp>
#include <zenws/actors/runtime.hpp>
#include <zenws/testing/test_server.hpp>

// The handler receives the connection's events; current_sender() is the connection.
caf::behavior printer(caf::event_based_actor* self, int expected, const caf::actor& done) {
  auto received = std::make_shared<int>(0);
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response& r) {
        std::cout << "connected, HTTP " << r.status << "\n";
        auto conn = caf::actor_cast<zenws::connection_actor>(self->current_sender());
        for (int i = 1; i <= expected; ++i)
          self->send(conn, zenws::send_atom::value,
                     zenws::text_frame{"hello " + std::to_string(i)});
      },
      [=](const zenws::text_frame& f) {
        std::cout << "received: " << f.data << "\n";
        if (++*received == expected)
          self->send(done, std::string("all echoed"));
      },
      [=](const zenws::binary_frame& f) { std::cout << f.data.size() << " binary bytes\n"; },
      [=](zenws::error_atom, const zenws::failure& f) { std::cerr << zenws::explain(f) << "\n"; },
      [=](zenws::disconnected_atom, const zenws::disconnect_info& d) {
        std::cout << "disconnected, close code " << d.code << "\n";
      },
  };
}

int main(int argc, char** argv) {
  zenws::testing::test_server server; // used when no URL is given
  zenws::io_runtime io{1};            // before the actor system: it must outlive the actors
  zenws::actor_system_config cfg{2};  // zenws's message types and scheduler settings
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  zenws::connection_config config;
  config.url = argc > 1 ? argv[1] : server.url("/example");
  auto handler = sys.spawn(printer, 3, caf::actor_cast<caf::actor>(self));
  auto conn = zenws::spawn_connection(sys, io, config, handler);

  int status = 0;
  self->request(conn, std::chrono::seconds(10), caf::connect_atom::value)
      .receive([](const zenws::upgrade_response&) {},
               [&](const caf::error& err) {
                 std::cerr << "connect failed: " << zenws::explain(err) << "\n";
                 status = 1;
               });
  if (status == 0)
    self->receive([](const std::string& note) { std::cout << note << "\n"; },
                  caf::after(std::chrono::seconds(10)) >> [&] { status = 1; });
  self->request(conn, std::chrono::seconds(5), caf::close_atom::value, std::uint16_t{1000},
                std::string("bye"))
      .receive([](const zenws::disconnect_info&) {}, [](const caf::error&) {});
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  return status;
}
