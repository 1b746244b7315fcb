// Echo round trip through the connection actor against a raw Beast client, on the same server
// (the test kit's Beast echo server on 127.0.0.1), in one run.
//
// Each client sends a message, waits for its echo, and sends the next: one message in flight,
// so a sample is one full round trip. zenws's path: driver actor -> connection actor -> io
// strand -> socket -> server -> socket -> io strand -> connection actor -> driver actor. The
// raw Beast client is a synchronous websocket::stream on the calling thread: the floor.
//
// Runs alternate (Beast, zenws, Beast, zenws, ...) so both see the same machine state; each
// figure is the median over the runs, and the ratios are zenws / Beast.
//
//   zenws_bench_echo [--quick] [--runs N] [--messages N]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/testing/test_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using clock_type = std::chrono::steady_clock;
using nanos = std::chrono::nanoseconds;

struct settings {
  int runs = 5;
  int messages = 20000;
  int warmup = 1000;
};

struct percentiles {
  double p50_us = 0;
  double p99_us = 0;
};

percentiles summarize(std::vector<nanos> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double p) {
    const auto index = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1));
    return static_cast<double>(samples[index].count()) / 1000.0;
  };
  return {at(0.50), at(0.99)};
}

// -- raw Beast
// --------------------------------------------------------------------------------------

std::vector<nanos> beast_round_trips(std::uint16_t port, const std::string& payload,
                                     const settings& s) {
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver{ioc};
  beast::websocket::stream<asio::ip::tcp::socket> ws{ioc};
  asio::connect(ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
  ws.next_layer().set_option(asio::ip::tcp::no_delay{true});
  ws.handshake("127.0.0.1", "/beast");
  ws.text(true);
  beast::flat_buffer buffer;
  std::vector<nanos> samples;
  samples.reserve(static_cast<std::size_t>(s.messages));
  for (int i = 0; i < s.warmup + s.messages; ++i) {
    const auto start = clock_type::now();
    ws.write(asio::buffer(payload));
    ws.read(buffer);
    const auto rtt = clock_type::now() - start;
    buffer.consume(buffer.size());
    if (i >= s.warmup)
      samples.push_back(rtt);
  }
  ws.close(beast::websocket::close_code::normal);
  return samples;
}

// -- zenws
// ------------------------------------------------------------------------------------------

struct driver_state {
  zenws::connection_actor conn;
  std::string payload;
  int remaining = 0;
  int warmup = 0;
  clock_type::time_point sent;
  std::vector<nanos> samples;
  std::promise<std::vector<nanos>>* done = nullptr;
};

/// The connection's handler: sends the next message when the previous one's echo arrives.
caf::behavior driver(caf::stateful_actor<driver_state>* self, std::string payload, int messages,
                     int warmup, std::promise<std::vector<nanos>>* done) {
  auto& init = self->state;
  init.payload = std::move(payload);
  init.remaining = messages + warmup;
  init.warmup = warmup;
  init.samples.reserve(static_cast<std::size_t>(messages));
  init.done = done;
  auto send_next = [self] {
    self->state.sent = clock_type::now();
    self->send(self->state.conn, zenws::send_atom::value, zenws::text_frame{self->state.payload});
  };
  return {
      [=](zenws::connected_atom, const zenws::upgrade_response&) {},
      [=](const zenws::connection_actor& conn) {
        self->state.conn = conn;
        send_next();
      },
      [=](zenws::text_frame&) {
        auto& st = self->state;
        const auto rtt = clock_type::now() - st.sent;
        if (st.warmup > 0)
          --st.warmup;
        else
          st.samples.push_back(rtt);
        if (--st.remaining > 0)
          return send_next();
        st.done->set_value(std::move(st.samples));
      },
      [=](zenws::binary_frame&) {},
      [=](zenws::error_atom, const zenws::failure& f) {
        std::fprintf(stderr, "zenws error: %s\n", zenws::explain(f).c_str());
      },
      [=](zenws::disconnected_atom, const zenws::disconnect_info&) {},
  };
}

std::vector<nanos> zenws_round_trips(caf::actor_system& sys, zenws::io_runtime& io,
                                     std::uint16_t port, const std::string& payload,
                                     const settings& s) {
  std::promise<std::vector<nanos>> done;
  auto result = done.get_future();
  auto handler = sys.spawn(driver, payload, s.messages, s.warmup, &done);
  zenws::connection_config config;
  config.url = "ws://127.0.0.1:" + std::to_string(port) + "/zenws";
  auto conn = zenws::spawn_connection(sys, io, config, handler);
  caf::scoped_actor self{sys};
  bool connected = false;
  self->request(conn, std::chrono::seconds(5), caf::connect_atom::value)
      .receive([&](const zenws::upgrade_response&) { connected = true; },
               [&](const caf::error& err) {
                 std::fprintf(stderr, "connect failed: %s\n", zenws::explain(err).c_str());
               });
  if (!connected)
    std::exit(1);
  self->send(handler, conn);
  auto samples = result.get();
  self->request(conn, std::chrono::seconds(5), caf::close_atom::value, std::uint16_t{1000},
                std::string{})
      .receive([](const zenws::disconnect_info&) {}, [](const caf::error&) {});
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  return samples;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

settings parse(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      s.runs = 1;
      s.messages = 2000;
      s.warmup = 200;
    } else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      s.runs = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--messages") == 0 && i + 1 < argc) {
      s.messages = std::max(100, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--runs N] [--messages N]\n", argv[0]);
      std::exit(2);
    }
  }
  return s;
}

} // namespace

int main(int argc, char** argv) {
  const auto s = parse(argc, argv);
  zenws::testing::test_server server;
  zenws::io_runtime io{1};
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};
  std::printf("echo round trip, one message in flight, %d messages per run, %d runs "
              "(medians of the runs' percentiles)\n\n",
              s.messages, s.runs);
  std::printf("%-8s %-12s %10s %10s\n", "size", "client", "p50 us", "p99 us");
  for (std::size_t size : {std::size_t{64}, std::size_t{1024}}) {
    const std::string payload(size, 'x');
    std::vector<double> beast_p50, beast_p99, zenws_p50, zenws_p99;
    for (int run = 0; run < s.runs; ++run) {
      const auto b = summarize(beast_round_trips(server.port(), payload, s));
      const auto z = summarize(zenws_round_trips(sys, io, server.port(), payload, s));
      beast_p50.push_back(b.p50_us);
      beast_p99.push_back(b.p99_us);
      zenws_p50.push_back(z.p50_us);
      zenws_p99.push_back(z.p99_us);
    }
    const auto bp50 = median(beast_p50), bp99 = median(beast_p99);
    const auto zp50 = median(zenws_p50), zp99 = median(zenws_p99);
    std::printf("%-8zu %-12s %10.1f %10.1f\n", size, "raw Beast", bp50, bp99);
    std::printf("%-8zu %-12s %10.1f %10.1f\n", size, "zenws actor", zp50, zp99);
    std::printf("%-8zu %-12s %10.2fx %9.2fx\n\n", size, "ratio", zp50 / bp50, zp99 / bp99);
  }
  return 0;
}
