// The HTTP CONNECT proxy; see connect_proxy.hpp. Plain Asio (no Beast): the proxy reads one
// request head and then only moves bytes.

#include <zenws/testing/connect_proxy.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <thread>

namespace zenws::testing {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

/// A request head larger than this is refused (400): a CONNECT head is a few hundred bytes.
constexpr std::size_t max_request_head = std::size_t{16} * 1024;

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

const char* reason_phrase(unsigned status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 407:
    return "Proxy Authentication Required";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "Refused";
  }
}

/// The parts of a request head the proxy needs.
struct request_head {
  std::string method;
  std::string target;
  std::optional<std::string> authorization; ///< Proxy-Authorization, trimmed
};

request_head parse_head(std::string_view head) {
  request_head r;
  auto line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 != std::string_view::npos) {
    r.method = std::string{line.substr(0, sp1)};
    r.target = std::string{line.substr(sp1 + 1, sp2 - sp1 - 1)};
  }
  while (line_end != std::string_view::npos) {
    head.remove_prefix(line_end + 2);
    line_end = head.find("\r\n");
    line = head.substr(0, line_end);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    if (iequals(trim(line.substr(0, colon)), "Proxy-Authorization") && !r.authorization)
      r.authorization = std::string{trim(line.substr(colon + 1))};
  }
  return r;
}

} // namespace

namespace detail {

// -- proxy_core ------------------------------------------------------------------------------

/// The proxy's state: listener, io thread, settings and observations. The mutex guards what
/// test threads read and write; the rest is the io thread's.
struct proxy_core {
  explicit proxy_core(proxy_options o);
  ~proxy_core();
  proxy_core(const proxy_core&) = delete;
  proxy_core& operator=(const proxy_core&) = delete;

  void accept_next();

  const proxy_options options;
  std::string expected_token; ///< base64(user:pass), when credentials are demanded
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::uint16_t port = 0;

  mutable std::mutex mutex;
  std::condition_variable changed;
  unsigned refuse_status = 0;
  std::size_t tunnels = 0;
  std::vector<std::string> targets;
  bool got_authorization = false;

  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;
};

/// One client connection: read the CONNECT head, answer, then relay. Owned by its pending
/// operations; io thread only.
class tunnel : public std::enable_shared_from_this<tunnel> {
public:
  tunnel(proxy_core& proxy, tcp::socket client)
      : proxy_(proxy), client_(std::move(client)), upstream_(proxy.ioc), resolver_(proxy.ioc) {}

  void start() {
    error_code ignored;
    client_.set_option(tcp::no_delay(true), ignored); // relay small frames without Nagle's wait
    net::async_read_until(
        client_, net::dynamic_buffer(head_, max_request_head), "\r\n\r\n",
        [self = shared_from_this()](error_code ec, std::size_t n) { self->on_request(ec, n); });
  }

private:
  void on_request(error_code ec, std::size_t n) {
    if (ec == net::error::not_found)
      return answer(400); // the head outgrew max_request_head
    if (ec)
      return close_both();
    // Bytes after the head (a client that sends its TLS hello without waiting for our 200)
    // belong to the tunnel.
    early_bytes_ = head_.substr(n);
    auto request = parse_head(std::string_view{head_}.substr(0, n));

    unsigned refuse = 0;
    {
      std::lock_guard<std::mutex> lock{proxy_.mutex};
      proxy_.targets.push_back(request.target);
      if (request.authorization)
        proxy_.got_authorization = true;
      refuse = proxy_.refuse_status;
    }
    proxy_.changed.notify_all();

    auto colon = request.target.rfind(':');
    if (request.method != "CONNECT" || colon == std::string::npos || colon == 0 ||
        colon + 1 == request.target.size())
      return answer(400);
    if (proxy_.options.credentials && !authorized(request.authorization))
      return answer(407, "Proxy-Authenticate: Basic realm=\"zenws\"\r\n");
    if (refuse != 0)
      return answer(refuse);

    std::string host = request.target.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2); // [::1]:443
    resolver_.async_resolve(host, request.target.substr(colon + 1),
                            [self = shared_from_this()](
                                error_code resolved, const tcp::resolver::results_type& results) {
                              self->on_resolve(resolved, results);
                            });
  }

  bool authorized(const std::optional<std::string>& header) const {
    if (!header)
      return false;
    std::string_view value{*header};
    auto space = value.find(' ');
    if (space == std::string_view::npos)
      return false;
    return iequals(value.substr(0, space), "Basic") &&
           trim(value.substr(space + 1)) == proxy_.expected_token;
  }

  void on_resolve(error_code ec, const tcp::resolver::results_type& results) {
    if (ec)
      return answer(502);
    net::async_connect(upstream_, results,
                       [self = shared_from_this()](error_code connected, const tcp::endpoint&) {
                         self->on_connect(connected);
                       });
  }

  void on_connect(error_code ec) {
    if (ec)
      return answer(502);
    error_code ignored;
    upstream_.set_option(tcp::no_delay(true), ignored);
    reply_ = "HTTP/1.1 200 Connection established\r\n\r\n";
    net::async_write(client_, net::buffer(reply_),
                     [self = shared_from_this()](error_code written, std::size_t) {
                       self->on_established(written);
                     });
  }

  void on_established(error_code ec) {
    if (ec)
      return close_both();
    {
      std::lock_guard<std::mutex> lock{proxy_.mutex};
      ++proxy_.tunnels;
    }
    proxy_.changed.notify_all();
    if (early_bytes_.empty())
      return start_relay();
    net::async_write(upstream_, net::buffer(early_bytes_),
                     [self = shared_from_this()](error_code written, std::size_t) {
                       if (written)
                         return self->close_both();
                       self->start_relay();
                     });
  }

  // -- relay ---------------------------------------------------------------------------------

  struct direction {
    tcp::socket* from;
    tcp::socket* to;
    std::array<char, std::size_t{16} * 1024> buffer;
    bool done = false;
  };

  void start_relay() {
    up_.from = &client_;
    up_.to = &upstream_;
    down_.from = &upstream_;
    down_.to = &client_;
    pump(up_);
    pump(down_);
  }

  void pump(direction& d) {
    d.from->async_read_some(net::buffer(d.buffer),
                            [self = shared_from_this(), &d](error_code ec, std::size_t n) {
                              self->on_relay_read(d, ec, n);
                            });
  }

  void on_relay_read(direction& d, error_code ec, std::size_t n) {
    if (ec == net::error::eof) {
      // Pass the end on as an end, so that a close handshake finishing on one side still
      // reaches the other, and wait for the other direction.
      error_code ignored;
      d.to->shutdown(tcp::socket::shutdown_send, ignored);
      d.done = true;
      if (up_.done && down_.done)
        close_both();
      return;
    }
    if (ec)
      return close_both();
    net::async_write(*d.to, net::buffer(d.buffer.data(), n),
                     [self = shared_from_this(), &d](error_code written, std::size_t) {
                       if (written)
                         return self->close_both();
                       self->pump(d);
                     });
  }

  // -- endings -------------------------------------------------------------------------------

  void answer(unsigned status, const std::string& extra_headers = {}) {
    reply_ = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n" +
             extra_headers + "Content-Length: 0\r\nConnection: close\r\n\r\n";
    net::async_write(client_, net::buffer(reply_),
                     [self = shared_from_this()](error_code, std::size_t) {
                       error_code ignored;
                       self->client_.shutdown(tcp::socket::shutdown_send, ignored);
                       self->close_both();
                     });
  }

  void close_both() {
    error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
  }

  proxy_core& proxy_;
  tcp::socket client_;
  tcp::socket upstream_;
  tcp::resolver resolver_;
  std::string head_;
  std::string early_bytes_;
  std::string reply_;
  direction up_;   ///< client to upstream
  direction down_; ///< upstream to client
};

proxy_core::proxy_core(proxy_options o) : options(std::move(o)) {
  if (options.credentials)
    expected_token = base64(options.credentials->username + ":" + options.credentials->password);
  tcp::endpoint endpoint{net::ip::make_address_v4("127.0.0.1"), 0};
  acceptor.open(endpoint.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(net::socket_base::max_listen_connections);
  port = acceptor.local_endpoint().port();
  accept_next();
  thread = std::thread{[this] {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "zenws::testing::connect_proxy: io thread: %s\n", e.what());
      }
    }
  }};
}

proxy_core::~proxy_core() {
  net::post(ioc, [this] {
    error_code ignored;
    acceptor.close(ignored);
    work.reset();
    ioc.stop(); // tunnels still pending are destroyed with the io_context, sockets included
  });
  thread.join();
}

void proxy_core::accept_next() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (!acceptor.is_open())
      return;
    if (!ec)
      std::make_shared<tunnel>(*this, std::move(socket))->start();
    accept_next();
  });
}

} // namespace detail

// -- connect_proxy ---------------------------------------------------------------------------

struct connect_proxy::impl : detail::proxy_core {
  using proxy_core::proxy_core;
};

connect_proxy::connect_proxy(proxy_options options)
    : impl_(std::make_shared<impl>(std::move(options))) {}

connect_proxy::~connect_proxy() = default;

std::uint16_t connect_proxy::port() const {
  return impl_->port;
}

void connect_proxy::refuse(unsigned status) {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  impl_->refuse_status = status;
}

std::size_t connect_proxy::tunnels() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->tunnels;
}

bool connect_proxy::wait_for_tunnels(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{impl_->mutex};
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->tunnels >= count; });
}

std::vector<std::string> connect_proxy::targets() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->targets;
}

bool connect_proxy::received_authorization() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->got_authorization;
}

} // namespace zenws::testing
