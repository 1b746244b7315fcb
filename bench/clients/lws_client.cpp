// libwebsockets 4.1 (Debian's libwebsockets-dev), plain ws://, its own event loop on one
// thread: the client as its minimal examples write it. One write per WRITEABLE callback, as
// the library asks. No reconnection of its own, so no reconnect scenario.

#include <cstring>
#include <string>
#include <vector>

#include <libwebsockets.h>

#include "common.hpp"

namespace {

/// Everything the callback needs; one per process (the scenarios are one at a time).
struct run_state {
  bench::options opts;
  std::string message; // LWS_PRE bytes of head room, then the payload
  std::string target;
  long remaining = 0;
  long delivered = 0;
  std::size_t bytes = 0;
  std::size_t in_message = 0; // bytes of the message being received
  long open = 0;
  bool go_sent = false;
  bool finished = false;
  double cpu = 0;
  bench::clock_type::time_point start;
  bench::nanos elapsed{0};
  std::vector<bench::nanos> samples;
  std::vector<lws*> connections;
};

run_state& app() {
  static run_state state; // on first use, so that its construction is inside main()
  return state;
}

void write_payload(lws* wsi, const std::string& payload) {
  std::string frame(LWS_PRE, '\0');
  frame += payload;
  lws_write(wsi, reinterpret_cast<unsigned char*>(frame.data()) + LWS_PRE, payload.size(),
            LWS_WRITE_TEXT);
}

void on_writable(lws* wsi) {
  auto& st = app();
  const auto& scenario = st.opts.scenario;
  if (scenario == "rtt") {
    st.start = bench::clock_type::now();
    write_payload(wsi, st.message);
  } else if (scenario == "outbound") {
    write_payload(wsi, st.message);
    if (--st.remaining > 0)
      lws_callback_on_writable(wsi);
  } else if (!st.go_sent) { // inbound, heartbeat
    st.go_sent = true;
    write_payload(wsi, "go");
  }
}

/// A complete message arrived (the last fragment of it).
void on_message(lws* wsi, std::size_t size, bool is_done) {
  auto& st = app();
  const auto& scenario = st.opts.scenario;
  if (scenario == "rtt") {
    const auto elapsed = bench::clock_type::now() - st.start;
    if (st.remaining == st.opts.count)
      st.cpu = bench::cpu_us();
    if (st.remaining <= st.opts.count)
      st.samples.push_back(elapsed);
    if (--st.remaining > 0) {
      lws_callback_on_writable(wsi);
      return;
    }
    st.cpu = bench::cpu_us() - st.cpu;
    st.finished = true;
  } else if (scenario == "outbound" || is_done) {
    st.elapsed = bench::clock_type::now() - st.start;
    st.cpu = bench::cpu_us() - st.cpu;
    st.finished = true;
  } else {
    st.bytes += size;
    ++st.delivered;
  }
}

int callback(lws* wsi, lws_callback_reasons reason, void*, void* in, std::size_t len) {
  auto& st = app();
  switch (reason) {
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    if (st.opts.scenario == "idle") {
      ++st.open;
      break;
    }
    st.cpu = bench::cpu_us();
    st.start = bench::clock_type::now();
    lws_callback_on_writable(wsi);
    break;
  case LWS_CALLBACK_CLIENT_WRITEABLE:
    on_writable(wsi);
    break;
  case LWS_CALLBACK_CLIENT_RECEIVE: {
    st.in_message += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0)
      break;
    const bool is_done = st.in_message == 4 && len == 4 && std::memcmp(in, "done", 4) == 0;
    on_message(wsi, st.in_message, is_done);
    st.in_message = 0;
    break;
  }
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    std::fprintf(stderr, "libwebsockets: %s\n", in ? static_cast<const char*>(in) : "error");
    std::exit(1);
  default:
    break;
  }
  return 0;
}

const lws_protocols protocols[] = {
    {"bench", callback, 0, 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

void connect(lws_context* context) {
  lws_client_connect_info info{};
  info.context = context;
  info.address = "127.0.0.1";
  info.port = static_cast<int>(app().opts.port);
  info.path = app().target.c_str();
  info.host = info.address;
  info.origin = info.address;
  info.local_protocol_name = "bench";
  if (lws_client_connect_via_info(&info) == nullptr) {
    std::fprintf(stderr, "libwebsockets: connect failed\n");
    std::exit(1);
  }
}

/// The idle scenario, warm-up first (see bench::print_memory). The context's fd table, sized
/// for all the connections (16 bytes each), is allocated before it.
void idle(lws_context* context, const bench::options& o) {
  connect(context);
  while (app().open < 1)
    lws_service(context, 0);
  const long before = bench::rss_kib();
  for (long i = 0; i < o.connections; ++i)
    connect(context);
  while (app().open < o.connections + 1)
    lws_service(context, 0);
  bench::print_memory("libwebsockets", o, before, bench::rss_kib());
}

} // namespace

int main(int argc, char** argv) {
  app().opts = bench::parse(argc, argv);
  const auto& o = app().opts;
  if (o.scenario == "reconnect")
    return 3; // not supported by this library
  app().message = bench::payload(o.size);
  app().target = o.target();
  app().remaining = o.scenario == "rtt" ? o.warmup + o.count : o.count;
  lws_set_log_level(0, nullptr);
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.fd_limit_per_thread = static_cast<unsigned>(o.connections + 64);
  auto* context = lws_create_context(&info);
  if (o.scenario == "idle") {
    idle(context, o);
    lws_context_destroy(context);
    return 0;
  }
  connect(context);
  while (!app().finished)
    lws_service(context, 0);
  if (o.scenario == "rtt")
    bench::print_latencies("libwebsockets", o, std::move(app().samples), app().cpu);
  else
    bench::print_throughput("libwebsockets", o,
                            o.scenario == "outbound" ? o.count : app().delivered, app().elapsed,
                            app().cpu);
  lws_context_destroy(context);
  return 0;
}
