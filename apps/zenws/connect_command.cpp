// zenws connect URL: an interactive client in the manner of wscat and websocat.
//
// Each line on stdin is sent as a text frame; each text frame received is printed as one line on
// stdout, binary frames as "[binary] " plus base64. When stdin ends the connection is closed
// with a close handshake; messages the server sends before it answers our close are still
// printed. --echo sends every message back instead and exits when the server closes.
// --metrics-port serves the connection's metrics at http://127.0.0.1:PORT/metrics meanwhile.

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "commands.hpp"
#include "metrics_endpoint.hpp"
#include "zenws/actors/connection_actor.hpp"
#include "zenws/actors/io_runtime.hpp"
#include "zenws/actors/prometheus_text.hpp"
#include "zenws/actors/runtime.hpp"
#include "zenws/protocol/base64.hpp"
#include "zenws/protocol/url.hpp"

namespace zenws::cli {

namespace {

struct connect_options {
  connection_config config;
  bool echo = false;
  std::optional<std::uint16_t> metrics_port; ///< serve GET /metrics on 127.0.0.1 (0 = any port)
};

const char* connect_usage =
    "usage: zenws connect URL [--header 'Name: value']... [--subprotocol NAME]...\n"
    "                         [--ca FILE] [--cert FILE --key FILE] [--insecure]\n"
    "                         [--proxy http://host:port] [--compress] [--echo]\n"
    "                         [--record FILE] [--metrics-port PORT]\n";

std::uint16_t parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stoul(text) > 65535)
    throw usage_error{"--metrics-port needs a port number 0-65535, got '" + text + "'"};
  return static_cast<std::uint16_t>(std::stoul(text));
}

header parse_header(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos)
    throw usage_error{"--header needs 'Name: value', got no ':'"};
  auto value = text.substr(colon + 1);
  value.erase(0, value.find_first_not_of(" \t"));
  return {text.substr(0, colon), value};
}

connect_options parse_connect(arguments& args) {
  connect_options opts;
  auto& cfg = opts.config;
  // Like wscat: one attempt, and the program ends with the connection.
  cfg.reconnect.enabled = false;
  while (!args.empty()) {
    if (auto h = args.take_option("--header"))
      cfg.headers.push_back(parse_header(*h));
    else if (auto p = args.take_option("--subprotocol"))
      cfg.subprotocols.push_back(*p);
    else if (auto ca = args.take_option("--ca"))
      cfg.tls.ca_file = *ca;
    else if (auto cert = args.take_option("--cert"))
      cfg.tls.cert_file = *cert;
    else if (auto key = args.take_option("--key"))
      cfg.tls.key_file = *key;
    else if (auto proxy = args.take_option("--proxy"))
      cfg.proxy.url = *proxy;
    else if (args.take_flag("--insecure"))
      cfg.tls.insecure = true;
    else if (args.take_flag("--compress"))
      cfg.compression.enabled = true;
    else if (args.take_flag("--echo"))
      opts.echo = true;
    else if (auto file = args.take_option("--record"))
      cfg.record_to = *file;
    else if (auto port = args.take_option("--metrics-port"))
      opts.metrics_port = parse_port(*port);
    else if (args.peek().rfind("--", 0) == 0)
      throw usage_error{"unknown option " + args.peek()};
    else if (cfg.url.empty())
      cfg.url = args.take();
    else
      throw usage_error{"unexpected argument " + args.peek()};
  }
  if (cfg.url.empty())
    throw usage_error{"connect needs a URL"};
  return opts;
}

/// Prints what the connection reports and, with --echo, sends every message back. Fulfils
/// `done` with how the connection ended; messages arrive before that event, so every message
/// is printed by then. The promise is shared: after a failed connect the command returns
/// while the end event may still be on its way to this actor.
caf::behavior printer(caf::event_based_actor* self, bool echo,
                      std::shared_ptr<std::promise<disconnect_info>> done) {
  auto reply_to_sender = [self](auto frame) {
    caf::anon_send(caf::actor_cast<connection_actor>(self->current_sender()), send_atom::value,
                   std::move(frame));
  };
  return {
      [=](text_frame& f) {
        std::cout << f.data << std::endl;
        if (echo)
          reply_to_sender(std::move(f));
      },
      // A JSON-RPC response typed on stdin: no request of ours waits for it, so the connection
      // reports it as unmatched. It is a message like any other here.
      [=](unmatched_atom, text_frame& f) { std::cout << f.data << std::endl; },
      [=](binary_frame& f) {
        std::cout << "[binary] " << base64_encode(f.data) << std::endl;
        if (echo)
          reply_to_sender(std::move(f));
      },
      [=](connected_atom, const upgrade_response& r) {
        std::cerr << "connected";
        if (!r.subprotocol.empty())
          std::cerr << " (subprotocol " << r.subprotocol << ")";
        std::cerr << std::endl;
      },
      [=](error_atom, const failure& f) { std::cerr << "zenws: " << explain(f) << std::endl; },
      [=](disconnected_atom, disconnect_info& info) {
        done->set_value(std::move(info));
        self->quit();
      },
  };
}

/// Splits what arrives on stdin into lines and sends each as a text frame. Returns false once
/// stdin has ended (a last line without a newline is sent too).
class stdin_lines {
public:
  explicit stdin_lines(connection_actor conn) : conn_(std::move(conn)) {}

  /// Waits up to `timeout` for input and sends the complete lines.
  bool pump(std::chrono::milliseconds timeout) {
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0)
      return true;
    char chunk[4096];
    const auto n = ::read(STDIN_FILENO, chunk, sizeof(chunk));
    if (n <= 0) {
      if (!pending_.empty())
        send(std::move(pending_));
      return false;
    }
    pending_.append(chunk, static_cast<std::size_t>(n));
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
      auto line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      send(std::move(line));
    }
    return true;
  }

private:
  void send(std::string line) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    // Failures (e.g. the server closed meanwhile) reach the printer as error events.
    caf::anon_send(conn_, send_atom::value, text_frame{std::move(line)});
  }

  connection_actor conn_;
  std::string pending_;
};

int report_end(const disconnect_info& info) {
  if (info.error) {
    std::cerr << "zenws: " << explain(info.error) << std::endl;
    return exit_failure;
  }
  if (info.initiator == close_initiator::remote)
    std::cerr << "closed by the server: " << info.code
              << (info.reason.empty() ? "" : " " + info.reason) << std::endl;
  return exit_ok;
}

/// The connection's metrics in the Prometheus text format, asked for on the endpoint's thread.
std::string render_metrics(caf::actor_system& sys, const connection_actor& conn,
                           const std::string& name) {
  caf::scoped_actor self{sys};
  prometheus_text text;
  self->request(conn, std::chrono::seconds{1}, caf::get_atom::value, metrics_atom::value)
      .receive([&](const connection_metrics& m) { add_connection_metrics(text, name, m); },
               [](const caf::error&) {});
  return text.str();
}

int run_connect(const connect_options& opts) {
  if (auto problems = validate(opts.config); !problems.empty()) {
    for (const auto& p : problems)
      std::cerr << "zenws: " << p.to_string() << "\n";
    return exit_usage;
  }
  io_runtime io{1};
  zenws::actor_system_config cfg{2};
  caf::actor_system sys{cfg};
  auto done = std::make_shared<std::promise<disconnect_info>>();
  auto ended = done->get_future();
  auto handler = sys.spawn(printer, opts.echo, done);
  auto conn = spawn_connection(sys, io, opts.config, handler);
  caf::scoped_actor self{sys};
  const auto& t = opts.config.timeouts;
  int code = exit_ok;
  bool connected = false;
  self->request(conn, t.connect + t.tls + t.upgrade + std::chrono::seconds(1),
                caf::connect_atom::value)
      .receive([&](const upgrade_response&) { connected = true; },
               [&](const caf::error& err) {
                 std::cerr << "zenws: " << explain(err) << std::endl;
                 code = exit_failure;
               });
  std::unique_ptr<metrics_endpoint> metrics;
  if (connected && opts.metrics_port) {
    const auto name = parse_url(opts.config.url).url->authority();
    metrics = std::make_unique<metrics_endpoint>(
        *opts.metrics_port, [&sys, conn, name] { return render_metrics(sys, conn, name); });
    std::cerr << "metrics on http://127.0.0.1:" << metrics->port() << "/metrics" << std::endl;
  }
  if (connected) {
    const auto finished = [&] {
      return ended.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    };
    if (opts.echo) {
      ended.wait(); // until the server closes
    } else {
      stdin_lines input{conn};
      while (!finished() && input.pump(std::chrono::milliseconds(50))) {
      }
      if (!finished())
        self->request(conn, t.close + std::chrono::seconds(1), caf::close_atom::value,
                      std::uint16_t{1000}, std::string{})
            .receive([](const disconnect_info&) {}, [](const caf::error&) {});
    }
    if (ended.wait_for(t.close + std::chrono::seconds(1)) == std::future_status::ready)
      code = report_end(ended.get());
  }
  metrics.reset(); // before the actors it asks go away
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  return code;
}

} // namespace

int connect_command(arguments& args) {
  if (args.take_flag("--help")) {
    std::cout << connect_usage;
    return exit_ok;
  }
  connect_options opts;
  try {
    opts = parse_connect(args);
  } catch (const usage_error& e) {
    std::cerr << "zenws connect: " << e.message << "\n" << connect_usage;
    return exit_usage;
  }
  return run_connect(opts);
}

} // namespace zenws::cli
