// The benchmark server: one process, one io thread, every client library talks to it in the
// same run. It must never be the bottleneck, so pushes are written as pre-encoded frames in
// large writes straight to the socket, and nothing is parsed beyond what a mode needs.
//
//   zenws_bench_server [--port P]      prints "listening <port>", runs until stdin closes
//
// Modes, by upgrade path:
//   /echo                       sends every message back (text stays text, binary binary);
//                               the text message "drop" resets the TCP connection instead
//   /push?count=N&size=S[&ping_every=K]
//                               waits for one message from the client, then sends N text
//                               messages of S bytes and a final "done"; with ping_every, a
//                               ping carrying its send time goes out after every K messages,
//                               and when the session ends one JSON line with the pong
//                               latencies is printed on stdout
//   /sink?count=N               reads N messages, then sends "done"
//   /idle                       reads until the client goes

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The value of `key` in the target's query string, or `fallback`.
long query_value(const std::string& target, const std::string& key, long fallback) {
  const auto q = target.find('?');
  if (q == std::string::npos)
    return fallback;
  const auto needle = key + "=";
  for (auto pos = q + 1; pos < target.size();) {
    const auto end = std::min(target.find('&', pos), target.size());
    if (target.compare(pos, needle.size(), needle) == 0)
      return std::strtol(target.c_str() + pos + needle.size(), nullptr, 10);
    pos = end + 1;
  }
  return fallback;
}

/// Appends an unmasked server frame (FIN set) to `out`.
void append_frame(std::vector<char>& out, std::uint8_t opcode, const char* data, std::size_t n) {
  out.push_back(static_cast<char>(0x80 | opcode));
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xff));
  }
  out.insert(out.end(), data, data + n);
}

/// A payload that looks like market data, exactly `size` bytes of ASCII.
std::string market_payload(std::size_t size) {
  std::string s =
      R"({"channel":"trades.BTC-PERPETUAL","data":{"price":64321.5,"amount":120,"pad":")";
  while (s.size() + 3 < size)
    s.push_back('x');
  s += "\"}}";
  s.resize(size, 'x');
  return s;
}

class session : public std::enable_shared_from_this<session> {
public:
  explicit session(tcp::socket socket) : ws_(std::move(socket)) {}

  void start() {
    ws_.next_layer().set_option(tcp::no_delay{true});
    http::async_read(ws_.next_layer(), buffer_, request_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       if (!ec)
                         self->accept();
                     });
  }

private:
  void accept() {
    target_ = std::string(request_.target());
    ws_.read_message_max(std::uint64_t{64} << 20);
    ws_.async_accept(request_, [self = shared_from_this()](error_code ec) {
      if (!ec)
        self->on_open();
    });
  }

  void on_open() {
    if (target_.rfind("/push", 0) == 0) {
      count_ = query_value(target_, "count", 1000);
      payload_ = market_payload(static_cast<std::size_t>(query_value(target_, "size", 64)));
      ping_every_ = query_value(target_, "ping_every", 0);
      ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::pong && !ping_sent_.empty()) {
          pong_ns_.push_back(now_ns() - ping_sent_.front());
          ping_sent_.erase(ping_sent_.begin());
        }
      });
    } else if (target_.rfind("/sink", 0) == 0) {
      count_ = query_value(target_, "count", 1000);
    }
    read();
  }

  void read() {
    buffer_.consume(buffer_.size());
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec)
        return self->finish();
      self->on_message();
    });
  }

  void on_message() {
    if (target_.rfind("/echo", 0) == 0)
      return echo();
    if (target_.rfind("/push", 0) == 0 && !pushing_) {
      pushing_ = true;
      write_chunk();
    } else if (target_.rfind("/sink", 0) == 0 && --count_ == 0) {
      return send_done();
    }
    read();
  }

  void echo() {
    if (ws_.got_text() && beast::buffers_to_string(buffer_.data()) == "drop") {
      error_code ignored;
      ws_.next_layer().set_option(asio::socket_base::linger{true, 0}, ignored);
      ws_.next_layer().close(ignored);
      return;
    }
    ws_.text(ws_.got_text());
    ws_.async_write(buffer_.data(), [self = shared_from_this()](error_code ec, std::size_t) {
      if (!ec)
        self->read();
    });
  }

  /// Writes about 64 KiB of frames straight to the socket, then the next chunk.
  void write_chunk() {
    chunk_.clear();
    while (count_ > 0 && chunk_.size() < std::size_t{64} * 1024) {
      append_frame(chunk_, 0x1, payload_.data(), payload_.size());
      --count_;
      if (ping_every_ > 0 && ++since_ping_ == ping_every_) {
        since_ping_ = 0;
        const auto sent = now_ns();
        ping_sent_.push_back(sent);
        append_frame(chunk_, 0x9, reinterpret_cast<const char*>(&sent), sizeof sent);
      }
    }
    const bool last = count_ == 0;
    if (last)
      append_frame(chunk_, 0x1, "done", 4);
    asio::async_write(ws_.next_layer(), asio::buffer(chunk_),
                      [self = shared_from_this(), last](error_code ec, std::size_t) {
                        if (!ec && !last)
                          self->write_chunk();
                      });
  }

  void send_done() {
    ws_.text(true);
    ws_.async_write(asio::buffer(std::string_view("done")),
                    [self = shared_from_this()](error_code ec, std::size_t) {
                      if (!ec)
                        self->read();
                    });
  }

  void finish() {
    if (ping_every_ == 0)
      return;
    std::sort(pong_ns_.begin(), pong_ns_.end());
    auto at = [&](double p) {
      if (pong_ns_.empty())
        return 0.0;
      const auto i = static_cast<std::size_t>(p * static_cast<double>(pong_ns_.size() - 1));
      return static_cast<double>(pong_ns_[i]) / 1000.0;
    };
    std::printf("{\"pongs\":%zu,\"pings\":%zu,\"pong_p50_us\":%.1f,\"pong_p99_us\":%.1f,"
                "\"pong_max_us\":%.1f,\"target\":\"%s\"}\n",
                pong_ns_.size(), pong_ns_.size() + ping_sent_.size(), at(0.5), at(0.99), at(1.0),
                target_.c_str());
    std::fflush(stdout);
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::string target_;
  long count_ = 0;
  std::string payload_;
  long ping_every_ = 0;
  long since_ping_ = 0;
  bool pushing_ = false;
  std::vector<char> chunk_;
  std::vector<std::int64_t> ping_sent_;
  std::vector<std::int64_t> pong_ns_;
};

void accept_loop(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](error_code ec, tcp::socket socket) {
    if (!ec)
      std::make_shared<session>(std::move(socket))->start();
    if (ec != asio::error::operation_aborted)
      accept_loop(acceptor);
  });
}

} // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = static_cast<unsigned short>(std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--port P]\n", argv[0]);
      return 2;
    }
  }
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), port}};
  acceptor.listen(asio::socket_base::max_listen_connections);
  std::printf("listening %u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  accept_loop(acceptor);
  // The run ends when the parent closes our stdin (or dies).
  std::thread watcher{[&ioc] {
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    ioc.stop();
  }};
  ioc.run();
  watcher.join();
  return 0;
}
