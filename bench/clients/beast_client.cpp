// The floor: raw Boost.Beast, written the way its examples are. Synchronous where one message
// is in flight (rtt, inbound, outbound), asynchronous for the idle connections (each with a
// read pending, as any client that listens has).

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "common.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using stream = websocket::stream<tcp::socket>;

void open(stream& ws, const bench::options& o) {
  const tcp::endpoint server{asio::ip::make_address("127.0.0.1"),
                             static_cast<unsigned short>(o.port)};
  ws.next_layer().connect(server);
  ws.next_layer().set_option(tcp::no_delay{true});
  ws.handshake("127.0.0.1", o.target());
}

void rtt(const bench::options& o) {
  asio::io_context ioc;
  stream ws{ioc};
  open(ws, o);
  ws.text(true);
  const auto message = bench::payload(o.size);
  beast::flat_buffer buffer;
  std::vector<bench::nanos> samples;
  samples.reserve(static_cast<std::size_t>(o.count));
  double cpu = 0;
  for (long i = 0; i < o.warmup + o.count; ++i) {
    if (i == o.warmup)
      cpu = bench::cpu_us();
    const auto start = bench::clock_type::now();
    ws.write(asio::buffer(message));
    ws.read(buffer);
    const auto elapsed = bench::clock_type::now() - start;
    buffer.consume(buffer.size());
    if (i >= o.warmup)
      samples.push_back(elapsed);
  }
  cpu = bench::cpu_us() - cpu;
  ws.close(websocket::close_code::normal);
  bench::print_latencies("beast", o, std::move(samples), cpu);
}

void inbound(const bench::options& o) {
  asio::io_context ioc;
  stream ws{ioc};
  open(ws, o);
  ws.read_message_max(std::uint64_t{64} << 20);
  beast::flat_buffer buffer;
  long delivered = 0;
  std::size_t bytes = 0; // user code: look at every message
  const auto cpu = bench::cpu_us();
  const auto start = bench::clock_type::now();
  ws.write(asio::buffer(std::string("go")));
  for (;;) {
    ws.read(buffer);
    const auto n = buffer.size();
    if (n == 4 && beast::buffers_to_string(buffer.data()) == "done")
      break;
    bytes += n;
    ++delivered;
    buffer.consume(n);
  }
  const auto elapsed = bench::clock_type::now() - start;
  const auto used = bench::cpu_us() - cpu;
  ws.close(websocket::close_code::normal);
  if (bytes != static_cast<std::size_t>(delivered) * o.size)
    std::fprintf(stderr, "beast: %zu bytes for %ld messages\n", bytes, delivered);
  bench::print_throughput("beast", o, delivered, elapsed, used);
}

void outbound(const bench::options& o) {
  asio::io_context ioc;
  stream ws{ioc};
  open(ws, o);
  ws.text(true);
  const auto message = bench::payload(o.size);
  beast::flat_buffer buffer;
  const auto cpu = bench::cpu_us();
  const auto start = bench::clock_type::now();
  for (long i = 0; i < o.count; ++i)
    ws.write(asio::buffer(message));
  ws.read(buffer); // "done"
  const auto elapsed = bench::clock_type::now() - start;
  const auto used = bench::cpu_us() - cpu;
  ws.close(websocket::close_code::normal);
  bench::print_throughput("beast", o, o.count, elapsed, used);
}

struct idle_connection {
  explicit idle_connection(asio::io_context& ioc) : ws(ioc) {}
  stream ws;
  beast::flat_buffer buffer;
};

void idle(const bench::options& o) {
  asio::io_context ioc{1};
  // One connection first, so the figure leaves out what is set up once (see bench::print_memory).
  idle_connection warm_up{ioc};
  open(warm_up.ws, o);
  const auto before = bench::rss_kib();
  std::vector<std::unique_ptr<idle_connection>> connections;
  connections.reserve(static_cast<std::size_t>(o.connections));
  for (long i = 0; i < o.connections; ++i) {
    auto c = std::make_unique<idle_connection>(ioc);
    open(c->ws, o);
    c->ws.async_read(c->buffer, [](beast::error_code, std::size_t) {});
    connections.push_back(std::move(c));
  }
  ioc.poll();
  const auto after = bench::rss_kib();
  bench::print_memory("beast", o, before, after);
  for (auto& c : connections) {
    beast::error_code ignored;
    c->ws.next_layer().close(ignored);
  }
  ioc.poll();
}

/// No reconnection in Beast: the client does it by hand, which is the floor for the time from
/// noticing the drop to an open connection.
void reconnect(const bench::options& o) {
  asio::io_context ioc;
  std::vector<bench::nanos> samples;
  auto ws = std::make_unique<stream>(ioc);
  open(*ws, o);
  ws->text(true);
  beast::flat_buffer buffer;
  const auto cpu = bench::cpu_us();
  for (long i = 0; i < o.count; ++i) {
    ws->write(asio::buffer(std::string("drop")));
    beast::error_code ec;
    ws->read(buffer, ec); // fails: the server reset the connection
    const auto dropped = bench::clock_type::now();
    ws = std::make_unique<stream>(ioc);
    open(*ws, o);
    ws->text(true);
    samples.push_back(bench::clock_type::now() - dropped);
  }
  bench::print_latencies("beast", o, std::move(samples), bench::cpu_us() - cpu);
}

} // namespace

int main(int argc, char** argv) {
  return bench::run(bench::parse(argc, argv), {rtt, inbound, outbound, idle, reconnect});
}
