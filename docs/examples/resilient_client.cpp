// A connection that survives its server: bootstrap (auth) on every connect, subscriptions
// restored after a drop, a JSON-RPC request with its reply as the CAF response.
//
// The "venue" is the test kit's server answering JSON-RPC; the example drops the connection
// with a TCP reset and watches the actor come back on its own.

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <zenws/actors/connection_actor.hpp>
#include <zenws/actors/io_runtime.hpp>
#include <zenws/actors/runtime.hpp>
#include <zenws/testing/json_rpc_venue.hpp>
#include <zenws/testing/test_server.hpp>

using namespace std::chrono_literals;

// Prints the connection's life; tells `done` when the connection is ready the second time.
caf::behavior watcher(caf::event_based_actor* self, const caf::actor& done) {
  auto readies = std::make_shared<int>(0);
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response&) {
        std::cout << "ready (authenticated, subscriptions in place)\n";
        if (++*readies == 2)
          self->send(done, std::string("back"));
      },
      [=](zenws::disconnected_atom, const zenws::disconnect_info& d) {
        std::cout << "disconnected: " << (d.error ? zenws::explain(d.error) : "clean close")
                  << "\n";
      },
      [=](zenws::reconnecting_atom, const zenws::reconnect_notice& n) {
        std::cout << "retry " << n.retry << " in " << n.delay.count() << " ms\n";
      },
      [=](zenws::restored_atom, const zenws::subscription_outcome& o) {
        std::cout << "restored " << o.accepted.size() << " channels\n";
      },
      [=](zenws::gave_up_atom, const zenws::give_up_info& g) {
        std::cout << g.to_string() << "\n";
      },
      [=](const zenws::text_frame& f) { std::cout << "message: " << f.data << "\n"; },
  };
}

int main() {
  zenws::testing::test_server server;
  server.set_responder(zenws::testing::json_rpc_venue());
  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  zenws::connection_config config;
  config.url = server.url("/ws/api/v2");
  config.reconnect.retry_delay = 50ms; // 50 ms, 100 ms, 200 ms, ... up to max_backoff
  config.reconnect.retry_count = std::nullopt;

  zenws::connection_options options;
  options.bootstrap = [] { // runs on every connect, before ready: sign afresh here
    return std::vector<zenws::bootstrap_call>{
        {"public/auth", R"({"grant_type":"client_credentials","client_id":"demo"})"}};
  };

  auto handler = sys.spawn(watcher, caf::actor_cast<caf::actor>(self));
  auto conn = zenws::spawn_connection(sys, io, config, options, handler);

  int status = 1;
  self->request(conn, 10s, caf::connect_atom::value)
      .receive([](const zenws::upgrade_response&) {},
               [](const caf::error& err) { std::cerr << zenws::explain(err) << "\n"; });
  self->request(conn, 10s, zenws::subscribe_atom::value,
                std::vector<std::string>{"book.BTC-PERPETUAL.raw", "trades.BTC-PERPETUAL.raw"})
      .receive(
          [](const zenws::subscription_outcome& o) {
            std::cout << "subscribed to " << o.accepted.size() << " channels\n";
          },
          [](const caf::error& err) { std::cerr << zenws::explain(err) << "\n"; });

  server.reset(1); // the venue drops us without a close frame
  self->receive([](const std::string&) {}, caf::after(10s) >> [] {});

  self->request(conn, 10s, zenws::request_atom::value, std::string("public/get_time"),
                std::string("{}"), caf::timespan{2s})
      .receive(
          [&](const zenws::rpc_response& r) {
            std::cout << "public/get_time -> " << r.result << " in " << r.round_trip.count()
                      << " us\n";
            status = 0;
          },
          [](const caf::error& err) { std::cerr << zenws::explain(err) << "\n"; });
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  return status;
}
