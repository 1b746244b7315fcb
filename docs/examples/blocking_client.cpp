// The blocking facade: zenws from code that is not an actor.
//
// Run with a URL or without one to use the test kit's echo server (wss, trusted through its CA
// file).

#include <chrono>
#include <iostream>

#include <caf/actor_system.hpp>

#include <zenws/actors/blocking_connection.hpp>
#include <zenws/actors/io_runtime.hpp>
#include <zenws/actors/runtime.hpp>
#include <zenws/testing/test_server.hpp>

int main(int argc, char** argv) {
  zenws::testing::test_server server{zenws::testing::server_options::secure()};
  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{1};
  caf::actor_system sys{cfg};

  zenws::connection_config config;
  if (argc > 1) {
    config.url = argv[1];
  } else {
    config.url = server.url("/example");
    config.tls.ca_file = server.tls().ca_file; // the kit's CA, made at start
  }
  zenws::blocking_connection conn{sys, io, config};
  auto up = conn.connect();
  if (!up) {
    std::cerr << "connect failed: " << zenws::explain(up.error()) << "\n";
    return 1;
  }
  std::cout << "connected in " << (up->connect_time + up->tls_time + up->upgrade_time).count()
            << " us\n";
  conn.send_text("hello");
  while (auto ev = conn.receive(std::chrono::seconds(5))) {
    if (ev->kind == zenws::event::type::text) {
      std::cout << "received: " << ev->data << "\n";
      break;
    }
  }
  auto closed = conn.close(1000, "done");
  return closed && !closed->error ? 0 : 1;
}
