// websocketpp 0.8 (Debian's libwebsocketpp-dev) on Boost.Asio, plain ws://, one thread: the
// client as its examples write it. No reconnection of its own, so no reconnect scenario.

#include <memory>
#include <string>
#include <vector>

#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include "common.hpp"

namespace {

using client = websocketpp::client<websocketpp::config::asio_client>;
using websocketpp::connection_hdl;
using message_ptr = client::message_ptr;

void quiet(client& c) {
  c.clear_access_channels(websocketpp::log::alevel::all);
  c.clear_error_channels(websocketpp::log::elevel::all);
  c.init_asio();
}

client::connection_ptr open(client& c, const bench::options& o) {
  websocketpp::lib::error_code ec;
  auto con = c.get_connection(o.url(), ec);
  if (ec) {
    std::fprintf(stderr, "websocketpp: %s\n", ec.message().c_str());
    std::exit(1);
  }
  c.connect(con);
  return con;
}

void rtt(const bench::options& o) {
  client c;
  quiet(c);
  const auto message = bench::payload(o.size);
  std::vector<bench::nanos> samples;
  samples.reserve(static_cast<std::size_t>(o.count));
  long remaining = o.warmup + o.count;
  double cpu = 0;
  bench::clock_type::time_point start;
  auto send = [&](const connection_hdl& h) {
    start = bench::clock_type::now();
    c.send(h, message, websocketpp::frame::opcode::text);
  };
  c.set_open_handler([&](const connection_hdl& h) {
    cpu = bench::cpu_us();
    send(h);
  });
  c.set_message_handler([&](const connection_hdl& h, const message_ptr&) {
    const auto elapsed = bench::clock_type::now() - start;
    if (remaining == o.count)
      cpu = bench::cpu_us();
    if (remaining <= o.count)
      samples.push_back(elapsed);
    if (--remaining > 0)
      return send(h);
    cpu = bench::cpu_us() - cpu;
    c.close(h, websocketpp::close::status::normal, "");
  });
  open(c, o);
  c.run();
  bench::print_latencies("websocketpp", o, std::move(samples), cpu);
}

void inbound(const bench::options& o) {
  client c;
  quiet(c);
  long delivered = 0;
  std::size_t bytes = 0;
  double cpu = 0;
  bench::clock_type::time_point start;
  bench::nanos elapsed{0};
  c.set_open_handler([&](const connection_hdl& h) {
    cpu = bench::cpu_us();
    start = bench::clock_type::now();
    c.send(h, std::string("go"), websocketpp::frame::opcode::text);
  });
  c.set_message_handler([&](const connection_hdl& h, const message_ptr& msg) {
    const auto& payload = msg->get_payload();
    if (payload == "done") {
      elapsed = bench::clock_type::now() - start;
      cpu = bench::cpu_us() - cpu;
      c.close(h, websocketpp::close::status::normal, "");
      return;
    }
    bytes += payload.size();
    ++delivered;
  });
  open(c, o);
  c.run();
  if (bytes != static_cast<std::size_t>(delivered) * o.size)
    std::fprintf(stderr, "websocketpp: %zu bytes for %ld messages\n", bytes, delivered);
  bench::print_throughput("websocketpp", o, delivered, elapsed, cpu);
}

void outbound(const bench::options& o) {
  client c;
  quiet(c);
  const auto message = bench::payload(o.size);
  double cpu = 0;
  bench::clock_type::time_point start;
  bench::nanos elapsed{0};
  c.set_open_handler([&](const connection_hdl& h) {
    cpu = bench::cpu_us();
    start = bench::clock_type::now();
    for (long i = 0; i < o.count; ++i)
      c.send(h, message, websocketpp::frame::opcode::text);
  });
  c.set_message_handler([&](const connection_hdl& h, const message_ptr&) {
    elapsed = bench::clock_type::now() - start;
    cpu = bench::cpu_us() - cpu;
    c.close(h, websocketpp::close::status::normal, "");
  });
  open(c, o);
  c.run();
  bench::print_throughput("websocketpp", o, o.count, elapsed, cpu);
}

void idle(const bench::options& o) {
  client c;
  quiet(c);
  long ready = -1; // the first connection is the warm-up (see bench::print_memory)
  long before = 0;
  std::vector<connection_hdl> handles;
  c.set_open_handler([&](const connection_hdl& h) {
    handles.push_back(h);
    if (++ready == 0) {
      before = bench::rss_kib();
      for (long i = 0; i < o.connections; ++i)
        open(c, o);
      return;
    }
    if (ready < o.connections)
      return;
    bench::print_memory("websocketpp", o, before, bench::rss_kib());
    for (auto& each : handles)
      c.close(each, websocketpp::close::status::normal, "");
  });
  c.set_fail_handler([&](const connection_hdl&) {
    std::fprintf(stderr, "websocketpp: a connection failed\n");
    std::exit(1);
  });
  open(c, o);
  c.run();
}

} // namespace

int main(int argc, char** argv) {
  return bench::run(bench::parse(argc, argv), {rtt, inbound, outbound, idle, nullptr});
}
