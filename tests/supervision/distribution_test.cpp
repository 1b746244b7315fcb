// Actors used across actor systems through CAF's middleman on 127.0.0.1: registration, the node
// agent, a published connection and pool, and pools placing connections on other nodes. The
// systems share this process (each has its own middleman and sockets); multi_process_test.cpp
// does the same with `zenws node` processes.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/send.hpp>

#include "distribution_fixture.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/recorder.hpp"
#include "zenws/actors/replay.hpp"
#include "zenws/adapters/deribit.hpp"
#include "zenws/adapters/deribit_book_keeper.hpp"
#include "zenws/supervision/node_agent.hpp"
#include "zenws/testing/deribit_simulator.hpp"

using namespace distribution_test;
using zenws::errc;
namespace kit = zenws::testing;

namespace {

/// A node: its own actor system with the middleman, an io runtime and a published node agent
/// whose "deribit" recipe logs in with the simulator's key.
struct node {
  zenws::io_runtime io{1};
  node_config cfg;
  caf::actor_system sys{cfg};
  zenws::node_agent agent;
  std::uint16_t port = 0;

  node(const std::string& name, const kit::deribit_simulator& venue, std::uint16_t at = 0) {
    zenws::deribit::settings login;
    login.login = {venue.client_id(), venue.client_secret()};
    zenws::node_agent_config config{name, {}};
    config.recipes["deribit"] = [login](zenws::connection_config& c) {
      auto adapter = zenws::deribit::adapter(login);
      c.heartbeat = adapter.heartbeat;
      return adapter.options;
    };
    agent = zenws::spawn_node_agent(sys, io, config);
    auto bound = zenws::publish(sys, agent, at);
    REQUIRE(bound);
    port = *bound;
  }
  ~node() { caf::anon_send_exit(agent, caf::exit_reason::user_shutdown); }
};

/// A port nothing listens on (bound once, then released).
std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

/// Sends `n` balanced requests one after another; returns how many were answered.
int answered(caf::scoped_actor& self, const zenws::pool_actor& pool, int n) {
  int ok = 0;
  for (int i = 0; i < n; ++i)
    self->request(pool, 5s, zenws::request_balanced_atom::value, std::string{"public/get_time"},
                  std::string{}, caf::timespan{2s})
        .receive([&](zenws::rpc_response&) { ++ok; }, [](caf::error&) {});
  return ok;
}

template <class Handle>
void check_registered(caf::actor_system& sys, const char* name) {
  const auto signatures = sys.message_types<Handle>();
  CHECK(!signatures.empty());
  for (const auto& s : signatures) {
    INFO(name << ": " << s);
    CHECK(s.find("invalid-type") == std::string::npos);
  }
}

} // namespace

TEST_CASE("every message of the public actor interfaces is registered for the middleman") {
  node_config cfg;
  zenws::deribit::register_book_types(cfg);
  caf::actor_system sys{cfg};
  check_registered<zenws::connection_actor>(sys, "connection_actor");
  check_registered<zenws::connection_handler>(sys, "connection_handler");
  check_registered<zenws::connection_batch_handler>(sys, "connection_batch_handler");
  check_registered<zenws::pool_actor>(sys, "pool_actor");
  check_registered<zenws::node_agent>(sys, "node_agent");
  check_registered<zenws::replay_actor>(sys, "replay_actor");
  check_registered<zenws::recorder_actor>(sys, "recorder_actor");
  CHECK(sys.types().portable_name(0, &typeid(zenws::deribit::book_state)) ==
        "zenws.deribit.book_state");

  // The check can fail: without the pool's registration its health is not serializable.
  zenws::actor_system_config bare;
  caf::actor_system unregistered{bare};
  const auto signatures = unregistered.message_types<zenws::pool_actor>();
  CHECK(std::any_of(signatures.begin(), signatures.end(),
                    [](const auto& s) { return s.find("invalid-type") != std::string::npos; }));
}

TEST_CASE("a connection config crosses the wire whole and prints without its secrets") {
  node_config cfg;
  caf::actor_system sys{cfg};
  zenws::connection_config c;
  c.url = "wss://venue.example:8443/ws?token=query-secret";
  c.headers = {{"X-API-Key", "header-secret"}};
  c.subprotocols = {"json"};
  c.timeouts.request = 1234ms;
  c.reconnect.retry_count = std::nullopt;
  c.reconnect.jitter = 0.5;
  c.reconnect.immediate_first_retry = true;
  c.heartbeat = {zenws::heartbeat_policy::text_ping, 7s, 4, "{\"op\":\"ping\"}"};
  c.max_message_size = 1 << 20;
  c.tls.ca_file = "/etc/ca.pem";
  c.tls.server_name = "venue.example";
  c.proxy = {"http://proxy:3128", "desk", "proxy-secret"};
  c.compression.enabled = true;
  c.compression.client_max_window_bits = 10;
  c.tcp_nodelay = false;
  c.user_agent = "desk/1";

  for (auto retries : {std::optional<std::uint32_t>{}, std::optional<std::uint32_t>{0u},
                       std::optional<std::uint32_t>{7u}}) {
    c.reconnect.retry_count = retries;
    std::vector<char> bytes;
    caf::binary_serializer sink{sys, bytes};
    REQUIRE(!sink(c));
    zenws::connection_config back;
    caf::binary_deserializer source{sys, bytes};
    REQUIRE(!source(back));
    CHECK(back == c);
  }

  zenws::remote_connection_spec spec;
  spec.recipe = "plain";
  spec.connection = c;
  spec.restore_subscriptions = {"ticker.BTC-PERPETUAL.100ms"};
  const auto printed = caf::deep_to_string(spec);
  CHECK(printed.find("venue.example") != std::string::npos);
  CHECK(printed.find("ticker.BTC-PERPETUAL.100ms") != std::string::npos);
  for (const char* secret : {"query-secret", "header-secret", "proxy-secret"}) {
    INFO(secret);
    CHECK(printed.find(secret) == std::string::npos);
  }
}

TEST_CASE("a connection a node agent spawned on another system takes the same messages") {
  kit::deribit_simulator venue{quick_venue()};
  node earth{"earth", venue};
  zenws::io_runtime io{1};
  node_config cfg;
  caf::actor_system mars{cfg};
  caf::scoped_actor self{mars};
  auto agent = zenws::remote_actor<zenws::node_agent>(mars, "127.0.0.1", earth.port);
  REQUIRE(agent);

  zenws::node_info info;
  self->request(*agent, 5s, caf::get_atom::value, zenws::node_atom::value)
      .receive([&](zenws::node_info& x) { info = std::move(x); }, [](caf::error&) {});
  CHECK(info.name == "earth");
  CHECK(info.recipes == std::vector<std::string>{"deribit", "plain"});
  CHECK(info.pid == getpid());

  SUBCASE("an unknown recipe is refused with the node's recipes named") {
    zenws::remote_connection_spec spec;
    spec.recipe = "kraken";
    spec.connection = venue_config(venue);
    zenws::failure refused;
    self->request(*agent, 5s, caf::spawn_atom::value, spec)
        .receive([](zenws::connection_actor&) {},
                 [&](caf::error& err) { refused = zenws::to_failure(err); });
    CHECK(refused.code == errc::invalid_config);
    CHECK(refused.detail.find("no recipe 'kraken'; it has: deribit, plain") != std::string::npos);
  }

  SUBCASE("connect, request, subscribe, inspect and close across the link") {
    auto events = std::make_shared<seen>();
    auto handler = mars.spawn(recording_handler, events);
    zenws::remote_connection_spec spec;
    spec.recipe = "deribit";
    spec.connection = venue_config(venue);
    spec.handler = handler;
    zenws::connection_actor conn;
    self->request(*agent, 5s, caf::spawn_atom::value, spec)
        .receive([&](zenws::connection_actor& c) { conn = std::move(c); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
    REQUIRE(conn);
    CHECK(conn.node() == earth.sys.node());

    self->request(conn, 5s, caf::connect_atom::value)
        .receive([](zenws::upgrade_response& r) { CHECK(r.status == 101); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
    self->request(conn, 5s, zenws::request_atom::value, std::string{"public/get_time"},
                  std::string{}, caf::timespan{2s})
        .receive([](zenws::rpc_response& r) { CHECK(!r.result.empty()); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
    self->request(conn, 5s, zenws::request_atom::value, std::string{"private/get_position"},
                  std::string{R"({"instrument_name":"BTC-PERPETUAL"})"}, caf::timespan{2s})
        .receive([](zenws::rpc_response& r) { CHECK(r.result.find("size") != std::string::npos); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
    self->request(conn, 5s, zenws::subscribe_atom::value,
                  std::vector<std::string>{"ticker.BTC-PERPETUAL.100ms"})
        .receive([](zenws::subscription_outcome& o) { CHECK(o.accepted.size() == 1); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
    CHECK(eventually([&] { return events->containing("ticker.BTC-PERPETUAL.100ms") >= 3; }));
    CHECK(events->count("connected") == 1);

    self->request(conn, 5s, caf::get_atom::value, zenws::metrics_atom::value)
        .receive(
            [](zenws::connection_metrics& m) {
              CHECK(m.state == zenws::connection_state::connected);
              CHECK(m.subscriptions == 1);
              CHECK(m.frames_in >= 3);
              CHECK(m.latency.samples >= 2);
            },
            [](caf::error& err) { FAIL(zenws::explain(err)); });
    self->request(conn, 5s, caf::get_atom::value, zenws::heartbeat_atom::value)
        .receive(
            [](zenws::heartbeat_health& h) { CHECK(h.policy == zenws::heartbeat_policy::deribit); },
            [](caf::error& err) { FAIL(zenws::explain(err)); });
    self->request(conn, 5s, caf::get_atom::value, zenws::subscribe_atom::value)
        .receive(
            [](std::vector<std::string>& channels) {
              CHECK(channels == std::vector<std::string>{"ticker.BTC-PERPETUAL.100ms"});
            },
            [](caf::error& err) { FAIL(zenws::explain(err)); });
    self->request(conn, 5s, caf::get_atom::value, zenws::state_atom::value)
        .receive([](zenws::connection_state s) { CHECK(s == zenws::connection_state::connected); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
    // A bad request's error crosses as a zenws error with its code.
    self->request(conn, 5s, zenws::request_atom::value, std::string{"public/get_time"},
                  std::string{"{not json"}, caf::timespan{2s})
        .receive([](zenws::rpc_response&) { FAIL("bad params were sent"); },
                 [](caf::error& err) { CHECK(zenws::to_failure(err).code == errc::bad_json); });
    self->request(conn, 5s, caf::close_atom::value, std::uint16_t{1000}, std::string{"done"})
        .receive([](zenws::disconnect_info& d) { CHECK(d.code == 1000); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
    CHECK(eventually([&] { return events->count("disconnected") == 1; }));
    self->send_exit(handler, caf::exit_reason::user_shutdown);
  }
}

TEST_CASE("a node agent ends a connection whose lease its caller stops renewing") {
  kit::deribit_simulator venue{quick_venue()};
  node earth{"earth", venue};
  node_config cfg;
  caf::actor_system mars{cfg};
  caf::scoped_actor self{mars};
  auto agent = zenws::remote_actor<zenws::node_agent>(mars, "127.0.0.1", earth.port);
  REQUIRE(agent);
  auto spawn = [&] {
    zenws::remote_connection_spec spec;
    spec.recipe = "deribit";
    spec.connection = venue_config(venue);
    spec.lease = 300ms;
    zenws::connection_actor conn;
    self->request(*agent, 5s, caf::spawn_atom::value, spec)
        .receive([&](zenws::connection_actor& c) { conn = std::move(c); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
    REQUIRE(conn);
    self->request(conn, 5s, caf::connect_atom::value)
        .receive([](zenws::upgrade_response&) {},
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
    self->monitor(conn);
    return conn;
  };
  auto renewed = spawn();
  auto forgotten = spawn();
  REQUIRE(venue.counters().open_sessions == 2);
  // Renewed for a second (three leases): the renewed one lives on, the other ends.
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < until) {
    self->send(*agent, zenws::lease_atom::value, std::vector<zenws::connection_actor>{renewed});
    std::this_thread::sleep_for(50ms);
  }
  caf::error reason;
  self->receive([&](caf::down_msg& down) {
    CHECK(down.source == forgotten.address());
    reason = down.reason;
  });
  const auto f = zenws::to_failure(reason);
  CHECK(f.code == errc::node_unreachable);
  CHECK(f.detail.find("lease of 300 ms ran out on node earth") != std::string::npos);
  CHECK(venue.wait_for([](const auto& c) { return c.open_sessions == 1; }, 5s));
  self->request(renewed, 5s, caf::get_atom::value, zenws::state_atom::value)
      .receive([](zenws::connection_state st) { CHECK(st == zenws::connection_state::connected); },
               [](caf::error& err) { FAIL(zenws::explain(err)); });
  // Renewals only count from the actor that asked for the connection.
  caf::scoped_actor stranger{mars};
  const auto stop = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < stop) {
    stranger->send(*agent, zenws::lease_atom::value, std::vector<zenws::connection_actor>{renewed});
    std::this_thread::sleep_for(50ms);
  }
  self->receive([&](caf::down_msg& down) { CHECK(down.source == renewed.address()); });
}

TEST_CASE("a pool published on one system is used from another with the same messages") {
  kit::deribit_simulator venue{quick_venue()};
  zenws::io_runtime io{1};
  node_config earth_cfg;
  caf::actor_system earth{earth_cfg};
  zenws::deribit::settings login;
  login.login = {venue.client_id(), venue.client_secret()};
  auto adapter = zenws::deribit::adapter(login);
  zenws::pool_spec spec;
  spec.connection = adapter.configure(venue_config(venue));
  spec.options = adapter.options;
  spec.pool.size = 2;
  auto events = std::make_shared<seen>();
  auto pool = zenws::spawn_pool(earth, io, spec, earth.spawn(recording_handler, events));
  auto port = zenws::publish(earth, pool, 0);
  REQUIRE(port);

  node_config mars_cfg;
  caf::actor_system mars{mars_cfg};
  caf::scoped_actor self{mars};
  auto far = zenws::remote_actor<zenws::pool_actor>(mars, "127.0.0.1", *port);
  REQUIRE(far);
  CHECK(eventually([&] { return ready_slots(health(self, *far)) == 2; }));
  CHECK(answered(self, *far, 20) == 20);
  self->request(*far, 5s, zenws::subscribe_atom::value,
                std::vector<std::string>{"trades.BTC-PERPETUAL.100ms"})
      .receive([](zenws::subscription_outcome& o) { CHECK(o.accepted.size() == 1); },
               [](caf::error& err) { FAIL(zenws::explain(err)); });
  CHECK(eventually([&] { return events->containing("trades.BTC-PERPETUAL.100ms") >= 1; }));
  const auto h = health(self, *far);
  REQUIRE(h.slots.size() == 2);
  CHECK(subscriptions(h) == 1);
  // The slots' connection handles cross too, and answer on their own node.
  for (const auto& s : h.slots)
    self->request(s.connection, 5s, caf::get_atom::value, zenws::state_atom::value)
        .receive(
            [](zenws::connection_state st) { CHECK(st == zenws::connection_state::connected); },
            [](caf::error& err) { FAIL(zenws::explain(err)); });
  // An asked-for interface that does not match is refused by name.
  auto wrong = zenws::remote_actor<zenws::node_agent>(mars, "127.0.0.1", *port);
  REQUIRE(!wrong);
  CHECK(zenws::to_failure(wrong.error()).code == errc::name_type_mismatch);
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE("a pool places its connections on two nodes and moves them off a node that shuts down") {
  kit::deribit_simulator venue{quick_venue()};
  auto first = std::make_unique<node>("first", venue);
  node second{"second", venue};
  zenws::io_runtime io{1};
  node_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto events = std::make_shared<seen>();
  auto handler = sys.spawn(recording_handler, events);
  auto pool =
      zenws::spawn_pool(sys, io, placed_pool(venue, {first->port, second.port}, 4), handler);

  REQUIRE(eventually([&] { return ready_slots(health(self, pool)) == 4; }));
  auto before = health(self, pool);
  CHECK(slots_on(before, endpoint(first->port)) == 2);
  CHECK(slots_on(before, endpoint(second.port)) == 2);
  REQUIRE(before.nodes.size() == 2);
  CHECK(before.nodes[0].name == "first");
  CHECK(before.nodes[0].up);
  CHECK(before.nodes[0].connections == 2);
  for (const char* channel : {"ticker.BTC-PERPETUAL.100ms", "trades.BTC-PERPETUAL.100ms",
                              "ticker.ETH-PERPETUAL.100ms", "book.BTC-PERPETUAL.100ms"})
    self->request(pool, 5s, zenws::subscribe_atom::value, std::vector<std::string>{channel})
        .receive([](zenws::subscription_outcome& o) { CHECK(o.accepted.size() == 1); },
                 [](caf::error& err) { FAIL(zenws::explain(err)); });
  CHECK(subscriptions(health(self, pool)) == 4);
  CHECK(answered(self, pool, 40) == 40);
  REQUIRE(eventually([&] { return events->containing("ticker.ETH-PERPETUAL.100ms") >= 1; }));
  const auto auths_before = venue.counters().auths;

  first.reset(); // its agent ends its connections as lost with the node
  REQUIRE(eventually([&] { return all_ready_on(health(self, pool), 4, endpoint(second.port)); }));
  const auto after = health(self, pool);
  CHECK(moves(after) == 2);
  CHECK(after.restarts == 0); // a move is not a crash
  CHECK(subscriptions(after) == 4);
  CHECK(!after.nodes[0].up);
  CHECK(after.nodes[0].losses >= 1);
  CHECK(after.nodes[0].last_error.code == errc::node_unreachable);
  CHECK(venue.counters().auths >= auths_before + 2); // the moved connections logged in again
  // Every channel still flows after the move.
  for (const char* channel : {"ticker.BTC-PERPETUAL.100ms", "ticker.ETH-PERPETUAL.100ms"}) {
    const auto seen_before = events->containing(channel);
    CHECK(eventually([&] { return events->containing(channel) > seen_before + 2; }));
  }
  CHECK(answered(self, pool, 40) == 40);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
}

TEST_CASE("a pool's placement problems are named") {
  kit::deribit_simulator venue{quick_venue()};
  zenws::io_runtime io{1};

  SUBCASE("nodes without CAF's middleman end the pool with invalid_config") {
    zenws::actor_system_config plain;
    zenws::register_pool_types(plain);
    caf::actor_system sys{plain};
    caf::scoped_actor self{sys};
    auto pool = zenws::spawn_pool(sys, io, placed_pool(venue, {4242}, 1), caf::actor{});
    self->monitor(pool);
    self->receive([](caf::down_msg& down) {
      const auto f = zenws::to_failure(down.reason);
      CHECK(f.code == errc::invalid_config);
      CHECK(f.detail.find("middleman") != std::string::npos);
    });
  }

  node_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  SUBCASE("a recipe no node has ends the pool with the node's answer") {
    node earth{"earth", venue};
    auto spec = placed_pool(venue, {earth.port}, 1);
    spec.placement.recipe = "kraken";
    auto pool = zenws::spawn_pool(sys, io, spec, caf::actor{});
    self->monitor(pool);
    self->receive([](caf::down_msg& down) {
      const auto f = zenws::to_failure(down.reason);
      CHECK(f.code == errc::invalid_config);
      CHECK(f.detail.find("no recipe 'kraken'") != std::string::npos);
    });
  }

  SUBCASE("a lease too short to renew is refused") {
    auto spec = placed_pool(venue, {4242}, 1);
    spec.placement.lease = 50ms;
    auto pool = zenws::spawn_pool(sys, io, spec, caf::actor{});
    self->monitor(pool);
    self->receive([](caf::down_msg& down) {
      const auto f = zenws::to_failure(down.reason);
      CHECK(f.code == errc::invalid_config);
      CHECK(f.detail.find("placement.lease must be 0 (no leases) or at least 100 ms, was 50 ms") !=
            std::string::npos);
    });
  }

  SUBCASE("an endpoint that publishes something else is not taken for a node") {
    auto other = sys.spawn([](caf::event_based_actor*) -> caf::behavior { return {[](int) {}}; });
    auto port = zenws::publish(sys, other, 0);
    REQUIRE(port);
    auto pool = zenws::spawn_pool(sys, io, placed_pool(venue, {*port}, 1), caf::actor{});
    CHECK(eventually([&] {
      const auto h = health(self, pool);
      return h.nodes.size() == 1 &&
             h.nodes[0].last_error.detail.find("not a zenws node agent") != std::string::npos;
    }));
    const auto h = health(self, pool);
    CHECK(ready_slots(h) == 0);
    CHECK(!h.nodes[0].up);
    self->send_exit(pool, caf::exit_reason::user_shutdown);
    self->send_exit(other, caf::exit_reason::user_shutdown);
  }

  SUBCASE("connections wait for a node that is down and are placed once it comes up") {
    const auto port = free_port();
    auto pool = zenws::spawn_pool(sys, io, placed_pool(venue, {port}, 2), caf::actor{});
    CHECK(eventually([&] {
      const auto h = health(self, pool);
      return h.nodes.size() == 1 && h.nodes[0].losses >= 2 &&
             h.nodes[0].last_error.code == errc::node_unreachable;
    }));
    CHECK(ready_slots(health(self, pool)) == 0);
    node late{"late", venue, port};
    CHECK(eventually([&] { return ready_slots(health(self, pool)) == 2; }));
    CHECK(health(self, pool).nodes[0].up);
    CHECK(answered(self, pool, 10) == 10);
    self->send_exit(pool, caf::exit_reason::user_shutdown);
  }
}
