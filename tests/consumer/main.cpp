// Connects to the installed test kit's echo server with the installed library and checks the
// echo: proof that the installed headers, libraries and package config are complete.
#include <chrono>
#include <iostream>

#include <caf/actor_system.hpp>
#include <zenws/actors/blocking_connection.hpp>
#include <zenws/actors/io_runtime.hpp>
#include <zenws/actors/runtime.hpp>
#include <zenws/testing/test_server.hpp>

int main() {
  zenws::testing::test_server server{zenws::testing::server_options::secure()};
  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{1};
  caf::actor_system sys{cfg};
  zenws::connection_config config;
  config.url = server.url("/consumer");
  config.tls.ca_file = server.tls().ca_file;
  zenws::blocking_connection conn{sys, io, config};
  if (auto up = conn.connect(); !up) {
    std::cerr << "connect failed: " << zenws::explain(up.error()) << "\n";
    return 1;
  }
  conn.send_text("installed");
  for (int i = 0; i < 3; ++i)
    if (auto ev = conn.receive(std::chrono::seconds(5)); ev && ev->data == "installed") {
      std::cout << "consumer: echo over wss through the installed zenws\n";
      return 0;
    }
  std::cerr << "no echo\n";
  return 1;
}
