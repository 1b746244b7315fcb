// Venue adapters: a Binance market-data connection and a Binance WebSocket API connection, each
// spawned with the options and heartbeat its adapter hands out.
//
// The "venue" is the test kit's Binance simulator on loopback, which enforces Binance's rules
// (server pings, 5 frames a second, stream names, request weight, real HMAC signatures) with
// scaled timings. The example subscribes to two streams, publishes two trades through the
// simulator and prints what the handler receives, then places one signed order and prints the
// answer's status and rateLimits. It exits 0 only if all of that happened.

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
#include <zenws/adapters/binance.hpp>
#include <zenws/testing/binance_simulator.hpp>

using namespace std::chrono_literals;

namespace {

const std::string api_key = "example-key";       // known to the simulator (options.api_keys)
const std::string api_secret = "example-secret"; // signs; never sent

// The handler of both connections. Market data arrives as text frames (combined streams wrap
// each payload as {"stream":..,"data":..}); the server's pings and our pongs never reach it.
caf::behavior printer(caf::event_based_actor* self, const caf::actor& main) {
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response& r) {
        std::cout << "connected, HTTP " << r.status << "\n";
      },
      [=](const zenws::text_frame& f) {
        std::cout << "handler got: " << f.data << "\n";
        self->send(main, f.data);
      },
      [=](const zenws::binary_frame& f) { std::cout << f.data.size() << " binary bytes\n"; },
      [=](zenws::unmatched_atom, const zenws::text_frame& f) {
        std::cout << "unmatched answer: " << f.data << "\n";
      },
      [=](zenws::error_atom, const zenws::failure& f) { std::cerr << zenws::explain(f) << "\n"; },
      [=](zenws::rate_limit_atom, zenws::pressure p) {
        std::cout << "rate-limit queue pressure: " << zenws::to_string(p) << "\n";
      },
      [=](zenws::disconnected_atom, const zenws::disconnect_info& d) {
        std::cout << "disconnected: " << (d.error ? zenws::explain(d.error) : "clean close")
                  << "\n";
      },
      [=](zenws::reconnecting_atom, const zenws::reconnect_notice& n) {
        std::cout << "reconnecting in " << n.delay.count() << " ms\n";
      },
      [=](zenws::restored_atom, const zenws::subscription_outcome& o) {
        std::cout << "restored " << o.accepted.size() << " streams\n";
      },
      [=](zenws::gave_up_atom, const zenws::give_up_info& g) {
        std::cout << g.to_string() << "\n";
      },
  };
}

} // namespace

int main() {
  namespace kit = zenws::testing;
  kit::binance_simulator_options venue_options; // defaults are Binance's; scale the clocks
  venue_options.ping_interval = 500ms;          // Binance: 20 s
  venue_options.pong_timeout = 2000ms;          // Binance: 60 s
  venue_options.api_keys[api_key] = api_secret;
  kit::binance_simulator venue{venue_options};

  zenws::io_runtime io{1}; // before the actor system: it must outlive the actors
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto handler = sys.spawn(printer, caf::actor_cast<caf::actor>(self));

  int status = 0;
  auto fail = [&](const std::string& what) {
    std::cerr << "FAILED: " << what << "\n";
    status = 1;
  };

  // -- market-data streams ----------------------------------------------------------------------
  // The adapter: the stream dialect (SUBSCRIBE/UNSUBSCRIBE with ids, stream names checked,
  // serverShutdown = reconnect now), the server_ping heartbeat, the limiter that keeps every
  // one-second window at 4 frames (pongs included) and the replacement before 24 h.
  zenws::binance::stream_settings stream_settings;
  stream_settings.ping_interval = venue_options.ping_interval; // stale after 3 silent intervals
  const auto streams = zenws::binance::streams(stream_settings);
  auto stream_config = streams.configure(zenws::connection_config{});
  stream_config.url = venue.url("/stream?streams=btcusdt@trade"); // combined, one stream in URL
  auto market = zenws::spawn_connection(sys, io, stream_config, streams.options, handler);

  self->request(market, 10s, caf::connect_atom::value)
      .receive([](const zenws::upgrade_response&) {},
               [&](const caf::error& err) { fail("streams connect: " + zenws::explain(err)); });
  if (status == 0)
    self->request(market, 10s, zenws::subscribe_atom::value,
                  std::vector<std::string>{"ethusdt@trade", "bnbbtc@depth@100ms"})
        .receive(
            [&](const zenws::subscription_outcome& o) {
              std::cout << "subscribed to " << o.accepted.size() << " streams, "
                        << o.rejected.size() << " rejected\n";
              if (o.accepted.size() != 2)
                fail("the simulator did not confirm both streams");
            },
            [&](const caf::error& err) { fail("subscribe: " + zenws::explain(err)); });

  if (status == 0) {
    venue.publish_trade("btcusdt", "64000.10", "0.002"); // on the URL's stream
    venue.publish_trade("ethusdt", "3100.55", "0.5");    // on a subscribed stream
    for (const std::string stream : {"btcusdt@trade", "ethusdt@trade"}) {
      bool seen = false;
      self->receive(
          [&](const std::string& text) {
            seen = text.find("\"stream\":\"" + stream + "\"") != std::string::npos;
          },
          caf::after(5s) >> [] {});
      if (!seen)
        fail("no trade on " + stream + " reached the handler");
    }
  }

  // -- WebSocket API: one signed order ----------------------------------------------------------
  // The adapter signs order.place on the connection's thread (apiKey, timestamp, recvWindow and
  // the HMAC-SHA256 of the sorted params) and rate-limits weight and orders locally.
  zenws::binance::api_settings api_settings;
  api_settings.credentials = {api_key, api_secret};
  api_settings.ping_interval = venue_options.ping_interval;
  const auto api = zenws::binance::ws_api(api_settings);
  auto api_config = api.configure(zenws::connection_config{});
  api_config.url = venue.url("/ws-api/v3");
  auto trading = zenws::spawn_connection(sys, io, api_config, api.options, handler);

  if (status == 0)
    self->request(trading, 10s, caf::connect_atom::value)
        .receive([](const zenws::upgrade_response&) {},
                 [&](const caf::error& err) { fail("API connect: " + zenws::explain(err)); });
  if (status == 0)
    self->request(trading, 10s, zenws::request_atom::value, std::string("order.place"),
                  std::string(R"({"symbol":"BTCUSDT","side":"BUY","type":"LIMIT",)"
                              R"("timeInForce":"GTC","price":"64000.00","quantity":"0.001"})"),
                  caf::timespan{5s})
        .receive(
            [&](const zenws::rpc_response& r) {
              std::cout << "order.place -> status " << r.status << " in " << r.round_trip.count()
                        << " us\n  result: " << r.result << "\n  rateLimits: " << r.meta << "\n";
              if (r.status != 200 || r.result.find(R"("status":"NEW")") == std::string::npos)
                fail("the order was not accepted");
              if (r.meta.find("REQUEST_WEIGHT") == std::string::npos)
                fail("the answer carried no rateLimits");
            },
            [&](const caf::error& err) { fail("order.place: " + zenws::explain(err)); });

  // Close both, then end the actors: a closed connection would otherwise live until its
  // requests' timers (timeouts.request, 30 s by default) have fired.
  for (const auto& conn : {market, trading}) {
    self->request(conn, 5s, caf::close_atom::value, std::uint16_t{1000}, std::string("bye"))
        .receive([](const zenws::disconnect_info&) {}, [](const caf::error&) {});
    self->send_exit(conn, caf::exit_reason::user_shutdown);
  }
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  if (status == 0)
    std::cout << "all done\n";
  return status;
}
