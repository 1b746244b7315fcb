// Two supervision figures, each next to a raw Beast baseline measured in the same run against
// the same kit server (the JSON-RPC venue) on 127.0.0.1:
//
// 1. Crash to ready: a pool of one connection that authenticates in its bootstrap and holds 100
//    channels; its connection actor is killed. The figure is the time from the kill until the
//    pool reports the slot ready again: a replacement spawned, connected, authenticated and
//    subscribed to the 100 channels. Readiness is polled from the pool's health (one round trip
//    to the pool per poll, tens of microseconds). The baseline is a Beast client doing the same
//    work from nothing: TCP connect, upgrade, auth request and answer, subscribe and answer.
//
// 2. Routing overhead: sequential public/get_time requests through request_balanced on a pool
//    of three, against direct requests to one of that pool's connection actors; the difference
//    is the pool's hop and pick. A synchronous Beast request/answer loop is the floor.
//
// 3. Remote overhead: the same requests when CAF's middleman stands in the path, against the
//    local pool of figure 2: (a) the pool published and used from another actor system, so each
//    request and answer crosses a TCP link on 127.0.0.1 serialized (a strategy on another node);
//    (b) a pool here whose connections a node agent in another actor system spawned (connection
//    nodes), so the pool's hop to the connection crosses the link. The systems share this
//    process and its two cores, but each has its own middleman, sockets and serialization.
//
//   zenws_bench_supervision [--quick]

#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/protocol/json_rpc.hpp"
#include "zenws/supervision/distribution.hpp"
#include "zenws/supervision/node_agent.hpp"
#include "zenws/supervision/pool_actor.hpp"
#include "zenws/testing/json_rpc_venue.hpp"
#include "zenws/testing/test_server.hpp"

#include "channels.hpp"
#include "figures.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace kit = zenws::testing;
using zenws_bench::channels;
using zenws_bench::print_ratio;
using zenws_bench::print_row;
using zenws_bench::subscribe_params;
using zenws_bench::summarize;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using micros = std::chrono::duration<double, std::micro>;

constexpr const char* auth_params = R"({"grant_type":"client_credentials","client_id":"bench"})";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::exit(1);
}

/// A synchronous Beast client on 127.0.0.1:`port`.
class beast_client {
public:
  explicit beast_client(std::uint16_t port) {
    ws_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    ws_.next_layer().set_option(asio::ip::tcp::no_delay{true});
    ws_.handshake("127.0.0.1", "/beast");
    ws_.text(true);
  }
  /// Writes one request and reads one answer.
  void call(const std::string& request) {
    ws_.write(asio::buffer(request));
    buffer_.clear();
    ws_.read(buffer_);
  }

private:
  asio::io_context ioc_;
  beast::websocket::stream<asio::ip::tcp::socket> ws_{ioc_};
  beast::flat_buffer buffer_;
};

// -- 1. crash to ready ----------------------------------------------------------------------------

zenws::pool_health health_of(caf::scoped_actor& self, const zenws::pool_actor& pool) {
  zenws::pool_health h;
  self->request(pool, 5s, caf::get_atom::value, zenws::health_atom::value)
      .receive([&](zenws::pool_health& x) { h = std::move(x); },
               [](caf::error&) { fail("zenws: no health from the pool"); });
  return h;
}

/// A handler that drops every event.
caf::actor spawn_quiet_handler(caf::actor_system& sys) {
  return sys.spawn([](caf::event_based_actor* a) -> caf::behavior {
    a->set_default_handler(caf::drop);
    return {[](int) {}};
  });
}

/// Polls the pool until its `n` slots are all ready; its health then.
zenws::pool_health await_ready(caf::scoped_actor& self, const zenws::pool_actor& pool,
                               std::size_t n) {
  const auto start = clock_type::now();
  for (;;) {
    auto h = health_of(self, pool);
    if (h.slots.size() == n &&
        std::all_of(h.slots.begin(), h.slots.end(), [](auto& s) { return s.ready; }))
      return h;
    if (clock_type::now() - start > 10s)
      fail("zenws: pool not ready within 10 s");
  }
}

std::vector<double> zenws_crash_to_ready(caf::actor_system& sys, zenws::io_runtime& io,
                                         const kit::test_server& server, int rounds) {
  zenws::pool_spec spec;
  spec.connection.url = server.url("/zenws");
  spec.options.bootstrap = [] {
    return std::vector<zenws::bootstrap_call>{{"public/auth", auth_params}};
  };
  spec.pool.size = 1;
  spec.pool.max_restarts = static_cast<std::uint32_t>(rounds) + 10;
  caf::scoped_actor self{sys};
  auto handler = spawn_quiet_handler(sys);
  auto pool = zenws::spawn_pool(sys, io, spec, handler);
  await_ready(self, pool, 1);
  bool subscribed = false;
  self->request(pool, 10s, zenws::subscribe_atom::value, channels(100))
      .receive([&](zenws::subscription_outcome& o) { subscribed = o.accepted.size() == 100; },
               [](caf::error&) {});
  if (!subscribed)
    fail("zenws: subscribe failed");
  std::vector<double> samples;
  for (int i = 0; i < rounds; ++i) {
    const auto victim = health_of(self, pool).slots.at(0).connection;
    const auto start = clock_type::now();
    self->send_exit(victim, caf::exit_reason::kill);
    for (;;) {
      const auto h = health_of(self, pool);
      const auto& slot = h.slots.at(0);
      if (slot.ready && slot.connection != victim) {
        if (slot.subscriptions != 100)
          fail("zenws: the replacement holds fewer than 100 channels");
        break;
      }
      if (clock_type::now() - start > 10s)
        fail("zenws: replacement not ready within 10 s");
      std::this_thread::sleep_for(20us);
    }
    samples.push_back(micros(clock_type::now() - start).count());
  }
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  return samples;
}

std::vector<double> beast_connect_to_ready(const kit::test_server& server, int rounds) {
  const auto auth = zenws::json_rpc::build_request(1, "public/auth", auth_params);
  const auto subscribe =
      zenws::json_rpc::build_request(2, "public/subscribe", subscribe_params(channels(100)));
  std::vector<double> samples;
  for (int i = 0; i < rounds; ++i) {
    const auto start = clock_type::now();
    beast_client client{server.port()};
    client.call(auth);
    client.call(subscribe);
    samples.push_back(micros(clock_type::now() - start).count());
  }
  return samples;
}

// -- 2. routing overhead --------------------------------------------------------------------------

/// Sends `count` requests one after the other to `target`, balanced (a pool) or direct (a
/// connection), and hands the round trips to `out`.
caf::behavior rtt_driver(caf::event_based_actor* self, const caf::actor& target, bool balanced,
                         int count, std::promise<std::vector<double>>* out) {
  auto samples = std::make_shared<std::vector<double>>();
  auto next = std::make_shared<std::function<void()>>();
  *next = [=] {
    if (static_cast<int>(samples->size()) == count) {
      out->set_value(std::move(*samples));
      *next = nullptr; // ends the self-reference
      self->quit();
      return;
    }
    const auto start = clock_type::now();
    auto answered = [=](zenws::rpc_response&) {
      samples->push_back(micros(clock_type::now() - start).count());
      (*next)();
    };
    auto failed = [=](caf::error&) { fail("zenws: a request failed"); };
    if (balanced)
      self->request(target, caf::infinite, zenws::request_balanced_atom::value,
                    std::string{"public/get_time"}, std::string{}, caf::timespan{2s})
          .then(answered, failed);
    else
      self->request(target, caf::infinite, zenws::request_atom::value,
                    std::string{"public/get_time"}, std::string{}, caf::timespan{2s})
          .then(answered, failed);
  };
  (*next)();
  return {[](int) {}};
}

std::vector<double> zenws_round_trips(caf::actor_system& sys, const caf::actor& target,
                                      bool balanced, int count) {
  std::promise<std::vector<double>> out;
  auto done = out.get_future();
  sys.spawn(rtt_driver, target, balanced, count, &out);
  if (done.wait_for(120s) != std::future_status::ready)
    fail("zenws: round trips did not finish");
  return done.get();
}

std::vector<double> beast_round_trips(const kit::test_server& server, int count) {
  beast_client client{server.port()};
  std::vector<double> samples;
  for (int i = 0; i < count; ++i) {
    const auto start = clock_type::now();
    client.call(zenws::json_rpc::build_request(i + 1, "public/get_time", ""));
    samples.push_back(micros(clock_type::now() - start).count());
  }
  return samples;
}

// -- 3. remote overhead ---------------------------------------------------------------------------

/// An actor system of its own with CAF's middleman: another node.
struct remote_node {
  struct config : zenws::actor_system_config {
    config() : zenws::actor_system_config(2) { zenws::enable_distribution(*this, {}); }
  };
  config cfg;
  caf::actor_system sys{cfg};
};

/// The local pool's round trips seen from another node that reached it through remote_actor.
std::vector<double> published_pool_round_trips(caf::actor_system& sys,
                                               const zenws::pool_actor& pool, int count) {
  const auto port = zenws::publish(sys, pool, 0);
  if (!port)
    fail("zenws: publishing the pool failed");
  remote_node strategy;
  auto far = zenws::remote_actor<zenws::pool_actor>(strategy.sys, "127.0.0.1", *port);
  if (!far)
    fail("zenws: remote_actor to the published pool failed");
  const auto handle = caf::actor_cast<caf::actor>(*far);
  zenws_round_trips(strategy.sys, handle, true, count / 10); // warm-up
  return zenws_round_trips(strategy.sys, handle, true, count);
}

/// Round trips through a pool here whose 3 connections live on a node agent of another system.
std::vector<double> placed_pool_round_trips(caf::actor_system& sys, zenws::io_runtime& io,
                                            const kit::test_server& server, int count) {
  zenws::io_runtime node_io{1};
  remote_node connections;
  auto agent = zenws::spawn_node_agent(connections.sys, node_io, {"bench", {}});
  const auto port = zenws::publish(connections.sys, agent, 0);
  if (!port)
    fail("zenws: publishing the node agent failed");
  zenws::pool_spec spec;
  spec.connection.url = server.url("/placed");
  spec.pool.size = 3;
  spec.placement.nodes = {{"127.0.0.1", *port}};
  caf::scoped_actor self{sys};
  auto handler = spawn_quiet_handler(sys);
  auto pool = zenws::spawn_pool(sys, io, spec, handler);
  await_ready(self, pool, 3);
  const auto handle = caf::actor_cast<caf::actor>(pool);
  zenws_round_trips(sys, handle, true, count / 10); // warm-up
  auto samples = zenws_round_trips(sys, handle, true, count);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  self->send_exit(agent, caf::exit_reason::user_shutdown);
  return samples;
}

} // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int rounds = quick ? 5 : 50;
  const int requests = quick ? 500 : 10000;

  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{2};
  zenws::enable_distribution(cfg, {}); // figure 3 publishes and dials; 1 and 2 stay local
  caf::actor_system sys{cfg};
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue());

  std::printf("crash to ready: connection actor killed -> pool slot ready again (connected, "
              "authenticated, 100 channels); %d rounds each\n",
              rounds);
  const auto beast_ready = summarize(beast_connect_to_ready(server, rounds));
  const auto zenws_ready = summarize(zenws_crash_to_ready(sys, io, server, rounds));
  print_row("raw Beast (connect, upgrade, auth, sub)", beast_ready);
  print_row("zenws pool (kill, respawn, restore)", zenws_ready);
  print_ratio("ratio zenws/Beast", zenws_ready, beast_ready);
  std::printf("\n");

  std::printf("routing overhead: sequential public/get_time round trips; %d requests each (after "
              "%d warm-up)\n",
              requests, requests / 10);
  zenws::pool_spec spec;
  spec.connection.url = server.url("/routing");
  spec.pool.size = 3;
  caf::scoped_actor self{sys};
  auto handler = spawn_quiet_handler(sys);
  auto pool = zenws::spawn_pool(sys, io, spec, handler);
  const auto h = await_ready(self, pool, 3);
  const auto pool_handle = caf::actor_cast<caf::actor>(pool);
  const auto conn_handle = caf::actor_cast<caf::actor>(h.slots.at(0).connection);
  zenws_round_trips(sys, pool_handle, true, requests / 10); // warm-up
  zenws_round_trips(sys, conn_handle, false, requests / 10);
  const auto beast_rtt = summarize(beast_round_trips(server, requests));
  const auto direct = summarize(zenws_round_trips(sys, conn_handle, false, requests));
  const auto balanced = summarize(zenws_round_trips(sys, pool_handle, true, requests));
  print_row("raw Beast (sync request/answer)", beast_rtt);
  print_row("zenws direct (connection actor)", direct);
  print_row("zenws request_balanced (pool of 3)", balanced);
  print_ratio("ratio balanced/direct", balanced, direct);
  std::printf("  %-40s p50 %8.1f us  p99 %8.1f us\n", "pool overhead (balanced - direct)",
              balanced.p50 - direct.p50, balanced.p99 - direct.p99);
  print_ratio("ratio direct/Beast", direct, beast_rtt);
  std::printf("\n");

  std::printf("remote overhead: the same round trips with CAF's middleman in the path (TCP on "
              "127.0.0.1); %d requests each\n",
              requests);
  const auto published = summarize(published_pool_round_trips(sys, pool, requests));
  const auto placed = summarize(placed_pool_round_trips(sys, io, server, requests));
  print_row("zenws request_balanced, local pool", balanced);
  print_row("pool on another node (remote_actor)", published);
  print_row("connections on another node (placed)", placed);
  std::printf("  %-40s p50 %8.1f us  p99 %8.1f us\n", "remote overhead (published - local)",
              published.p50 - balanced.p50, published.p99 - balanced.p99);
  std::printf("  %-40s p50 %8.1f us  p99 %8.1f us\n", "remote overhead (placed - local)",
              placed.p50 - balanced.p50, placed.p99 - balanced.p99);
  print_ratio("ratio published/local", published, balanced);
  print_ratio("ratio placed/local", placed, balanced);
  self->send_exit(pool, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  return 0;
}
