// Two resilience figures, each next to a raw Beast baseline measured in the same run against
// the same kit server on 127.0.0.1:
//
// 1. Heartbeat answer latency: the server sends Deribit's test_request while it pushes market
//    data at a steady rate; the figure is the time from the server being asked to send the
//    test_request until it has read the client's public/test. zenws answers inside the
//    connection actor (deribit heartbeat policy); the baseline is a synchronous Beast client
//    that answers inline in its read loop. Also measured for zenws without load.
//
// 2. Restart to ready: the server goes away and comes back on the same port; the figure is the
//    time from the new server listening until the client is subscribed to 100 channels again.
//    zenws reconnects by its policy (retry_delay = max_backoff = 5 ms, no jitter, so the wait
//    is bounded by 5 ms) and restores the confirmed subscriptions before it reports ready; the
//    baseline is a Beast client that retries connect every 5 ms, upgrades and subscribes. The
//    downtime varies over one retry period so that both see every phase of their retry timer.
//
//   zenws_bench_resilience [--quick]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/protocol/json_rpc.hpp"
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

constexpr const char* test_request =
    R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})";
constexpr const char* market_data =
    R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.raw","data":{"type":"change","timestamp":1700000000000,"change_id":1,"bids":[["new",43000.5,1200.0]],"asks":[["delete",43001.0,0.0]]}}})";

// -- 1. heartbeat answer latency ----------------------------------------------------------------

/// Pushes market data to every session at `rate` messages per second until stopped.
class market_feed {
public:
  market_feed(kit::test_server& server, int rate) : server_(server), rate_(rate) {
    if (rate_ > 0)
      thread_ = std::thread([this] { run(); });
  }
  ~market_feed() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  std::uint64_t sent() const { return sent_; }

private:
  void run() {
    constexpr auto tick = 1ms;
    const int per_tick = std::max(1, rate_ / 1000);
    auto next = clock_type::now();
    while (!stop_) {
      for (int i = 0; i < per_tick; ++i)
        server_.broadcast({0, false, market_data});
      sent_ += static_cast<std::uint64_t>(per_tick);
      next += tick;
      std::this_thread::sleep_until(next);
    }
  }
  kit::test_server& server_;
  int rate_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

/// Sends `count` test_requests one at a time to session 1 and measures each answer.
std::vector<double> measure_answers(kit::test_server& server, std::promise<void>*& answered,
                                    std::mutex& m, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) {
    std::promise<void> p;
    auto done = p.get_future();
    {
      std::lock_guard<std::mutex> lock{m};
      answered = &p;
    }
    const auto start = clock_type::now();
    server.send(1, {0, false, test_request});
    if (done.wait_for(5s) != std::future_status::ready) {
      std::fprintf(stderr, "no public/test within 5 s\n");
      std::exit(1);
    }
    out.push_back(micros(clock_type::now() - start).count());
    std::this_thread::sleep_for(2ms);
  }
  return out;
}

struct answer_probe {
  std::mutex m;
  std::promise<void>* answered = nullptr;
  void fire() {
    std::lock_guard<std::mutex> lock{m};
    if (answered)
      std::exchange(answered, nullptr)->set_value();
  }
};

std::vector<double> zenws_heartbeat(caf::actor_system& sys, zenws::io_runtime& io, int rate,
                                    int count) {
  answer_probe probe;
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue([&](const std::string& method) {
    if (method == "public/test")
      probe.fire();
  }));
  zenws::connection_config config;
  config.url = server.url("/ws");
  config.heartbeat.policy = zenws::heartbeat_policy::deribit;
  config.heartbeat.interval = 30s;
  // A handler that drops market data, as a strategy's would after reading it.
  auto handler = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](zenws::text_frame&) {}, [](zenws::connected_atom, zenws::upgrade_response&) {},
            [](zenws::disconnected_atom, zenws::disconnect_info&) {},
            [](zenws::reconnecting_atom, zenws::reconnect_notice&) {},
            [](zenws::gave_up_atom, zenws::give_up_info&) {}};
  });
  auto conn = zenws::spawn_connection(sys, io, config, handler);
  caf::scoped_actor self{sys};
  bool ok = false;
  self->request(conn, 10s, caf::connect_atom::value)
      .receive([&](zenws::upgrade_response&) { ok = true; }, [](caf::error&) {});
  if (!ok || !server.wait_for_sessions(1, 5s)) {
    std::fprintf(stderr, "zenws could not connect\n");
    std::exit(1);
  }
  std::vector<double> samples;
  {
    market_feed feed{server, rate};
    std::this_thread::sleep_for(100ms);
    samples = measure_answers(server, probe.answered, probe.m, count);
  }
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  return samples;
}

std::vector<double> beast_heartbeat(int rate, int count) {
  answer_probe probe;
  kit::test_server server;
  server.set_responder(kit::json_rpc_venue([&](const std::string& method) {
    if (method == "public/test")
      probe.fire();
  }));
  std::atomic<bool> stop{false};
  std::thread client([&] {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver{ioc};
    beast::websocket::stream<asio::ip::tcp::socket> ws{ioc};
    asio::connect(ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(server.port())));
    ws.next_layer().set_option(asio::ip::tcp::no_delay{true});
    ws.handshake("127.0.0.1", "/beast");
    ws.text(true);
    beast::flat_buffer buffer;
    std::int64_t id = 1;
    while (!stop) {
      beast::error_code ec;
      ws.read(buffer, ec);
      if (ec)
        return;
      const auto data = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      if (data.find("test_request") != std::string::npos) {
        const auto answer = zenws::json_rpc::build_request(id++, "public/test", "{}");
        ws.write(asio::buffer(answer));
      }
    }
  });
  if (!server.wait_for_sessions(1, 5s)) {
    std::fprintf(stderr, "Beast could not connect\n");
    std::exit(1);
  }
  std::vector<double> samples;
  {
    market_feed feed{server, rate};
    std::this_thread::sleep_for(100ms);
    samples = measure_answers(server, probe.answered, probe.m, count);
  }
  stop = true;
  server.close(1, 1000, "done");
  client.join();
  return samples;
}

// -- 2. restart to ready --------------------------------------------------------------------------

/// How long the server stays down in round `i`: 20 ms plus a spread over one retry period, the
/// same sequence for both clients, so neither always happens to retry right after the restart.
std::chrono::microseconds downtime(int i) {
  return 20ms + std::chrono::microseconds{(i * 7919) % 5000};
}

std::vector<double> zenws_restart(caf::actor_system& sys, zenws::io_runtime& io, int rounds) {
  auto server = std::make_unique<kit::test_server>();
  server->set_responder(kit::json_rpc_venue());
  const auto port = server->port();
  zenws::connection_config config;
  config.url = server->url("/ws");
  config.reconnect.retry_count = std::nullopt;
  config.reconnect.retry_delay = 5ms;
  config.reconnect.max_backoff = 5ms;
  config.reconnect.jitter = 0;
  caf::scoped_actor self{sys};
  auto handler = caf::actor_cast<caf::actor>(self);
  auto conn = zenws::spawn_connection(sys, io, config, handler);
  self->request(conn, 10s, caf::connect_atom::value)
      .receive([](zenws::upgrade_response&) {}, [](caf::error&) { std::exit(1); });
  bool subscribed = false;
  self->request(conn, 10s, zenws::subscribe_atom::value, channels(100))
      .receive([&](zenws::subscription_outcome& o) { subscribed = o.accepted.size() == 100; },
               [](caf::error&) {});
  if (!subscribed) {
    std::fprintf(stderr, "zenws: subscribe failed\n");
    std::exit(1);
  }
  self->receive([](zenws::connected_atom, zenws::upgrade_response&) {}, // the first connect
                caf::after(1s) >> [] {});
  std::vector<double> samples;
  for (int i = 0; i < rounds; ++i) {
    server.reset();
    std::this_thread::sleep_for(downtime(i)); // a few refused attempts while it is down
    kit::server_options options;
    options.port = port;
    server = std::make_unique<kit::test_server>(options);
    server->set_responder(kit::json_rpc_venue());
    const auto start = clock_type::now();
    bool ready = false;
    std::size_t restored = 0;
    while (!ready) {
      self->receive([&](zenws::connected_atom, zenws::upgrade_response&) { ready = true; },
                    [&](zenws::restored_atom, zenws::subscription_outcome& o) {
                      restored = o.accepted.size();
                    },
                    [](zenws::disconnected_atom, zenws::disconnect_info&) {},
                    [](zenws::reconnecting_atom, zenws::reconnect_notice&) {},
                    caf::after(10s) >>
                        [] {
                          std::fprintf(stderr, "zenws: not ready within 10 s\n");
                          std::exit(1);
                        });
    }
    samples.push_back(micros(clock_type::now() - start).count());
    if (restored != 100) {
      std::fprintf(stderr, "zenws restored %zu of 100 channels\n", restored);
      std::exit(1);
    }
  }
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  return samples;
}

std::vector<double> beast_restart(int rounds) {
  auto server = std::make_unique<kit::test_server>();
  server->set_responder(kit::json_rpc_venue());
  const auto port = server->port();
  const auto subscribe =
      zenws::json_rpc::build_request(1, "public/subscribe", subscribe_params(channels(100)));
  std::vector<double> samples;
  for (int i = 0; i < rounds; ++i) {
    server.reset();
    // Like zenws, the client keeps trying every 5 ms while the server is down.
    std::promise<clock_type::time_point> subscribed;
    std::thread client([&] {
      asio::io_context ioc;
      beast::websocket::stream<asio::ip::tcp::socket> ws{ioc};
      const asio::ip::tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), port};
      for (;;) {
        beast::error_code ec;
        ws.next_layer().connect(endpoint, ec);
        if (!ec)
          break;
        ws.next_layer().close(ec);
        std::this_thread::sleep_for(5ms);
      }
      ws.next_layer().set_option(asio::ip::tcp::no_delay{true});
      ws.handshake("127.0.0.1", "/beast");
      ws.text(true);
      ws.write(asio::buffer(subscribe));
      beast::flat_buffer buffer;
      ws.read(buffer);
      subscribed.set_value(clock_type::now());
      beast::error_code ignored;
      ws.next_layer().close(ignored);
    });
    std::this_thread::sleep_for(downtime(i));
    kit::server_options options;
    options.port = port;
    server = std::make_unique<kit::test_server>(options);
    server->set_responder(kit::json_rpc_venue());
    const auto start = clock_type::now();
    auto done = subscribed.get_future();
    if (done.wait_for(10s) != std::future_status::ready) {
      std::fprintf(stderr, "Beast: not subscribed within 10 s\n");
      std::exit(1);
    }
    samples.push_back(micros(done.get() - start).count());
    client.join();
  }
  return samples;
}

} // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int answers = quick ? 50 : 500;
  const int rate = 50000;
  const int rounds = quick ? 5 : 30;

  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};

  std::printf("heartbeat answer: test_request asked of the server -> public/test read by it; "
              "%d samples each\n",
              answers);
  const auto beast_loaded = summarize(beast_heartbeat(rate, answers));
  const auto zenws_loaded = summarize(zenws_heartbeat(sys, io, rate, answers));
  const auto zenws_idle = summarize(zenws_heartbeat(sys, io, 0, answers));
  print_row("raw Beast, 50k msgs/s market data", beast_loaded);
  print_row("zenws, 50k msgs/s market data", zenws_loaded);
  print_row("zenws, no market data", zenws_idle);
  print_ratio("ratio zenws/Beast under load", zenws_loaded, beast_loaded);
  std::printf("\n");

  std::printf("restart to ready: new server listening -> 100 channels subscribed again; "
              "%d restarts each (retry every 5 ms)\n",
              rounds);
  const auto beast_ready = summarize(beast_restart(rounds));
  const auto zenws_ready = summarize(zenws_restart(sys, io, rounds));
  print_row("raw Beast (connect, upgrade, subscribe)", beast_ready);
  print_row("zenws (reconnect policy, restore)", zenws_ready);
  print_ratio("ratio zenws/Beast", zenws_ready, beast_ready);
  return 0;
}
