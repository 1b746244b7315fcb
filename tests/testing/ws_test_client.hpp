#pragma once
// A raw Beast WebSocket client for the kit's own tests (no zenws client involved). Each call
// runs one Beast operation to its end on a private io_context, with a deadline: at the deadline
// the socket is closed and the call returns timed_out, so a misbehaving server fails a check
// instead of hanging the suite.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace zenws_test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

inline constexpr std::chrono::milliseconds default_deadline{5000};

/// Runs the operation `start(handler)` begins until it completes or `deadline` passes.
template <class Start>
error_code run_for(net::io_context& ioc, tcp::socket& socket, std::chrono::milliseconds deadline,
                   Start&& start) {
  std::optional<error_code> result;
  start([&result](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run_for(deadline);
  if (result)
    return *result;
  error_code ignored;
  socket.close(ignored); // the operation now completes (aborted); let it, so nothing dangles
  ioc.restart();
  ioc.run();
  return net::error::timed_out;
}

/// A client TLS context that trusts only the CA in `ca_file`.
inline ssl::context client_tls_context(const std::string& ca_file) {
  ssl::context ctx{ssl::context::tls_client};
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

/// One message as the client read it.
struct message {
  error_code ec;
  std::string data;
  bool binary = false;
};

/// A WebSocket client over TCP (`Tls` false) or TLS.
template <bool Tls>
class ws_client {
public:
  using next_layer_type = std::conditional_t<Tls, ssl::stream<tcp::socket>, tcp::socket>;

  // Each constructor compiles only for its kind (members of a template are instantiated on use).
  ws_client() : ws(ioc) {}
  explicit ws_client(ssl::context& ctx) : ws(ioc, ctx) {}

  net::io_context ioc;
  websocket::stream<next_layer_type> ws;
  beast::flat_buffer buffer;

  tcp::socket& socket() { return beast::get_lowest_layer(ws); }

  template <class Start>
  error_code run(Start&& start, std::chrono::milliseconds deadline = default_deadline) {
    return run_for(ioc, socket(), deadline, std::forward<Start>(start));
  }

  error_code connect(std::uint16_t port, std::chrono::milliseconds deadline = default_deadline) {
    tcp::endpoint endpoint{net::ip::make_address_v4("127.0.0.1"), port};
    auto ec = run([&](auto h) { socket().async_connect(endpoint, std::move(h)); }, deadline);
    if (!ec)
      socket().set_option(tcp::no_delay(true), ec); // no 40 ms Nagle waits between small writes
    return ec;
  }

  /// TLS handshake sending `sni` (none when empty) and checking the certificate for `host`;
  /// `alpn` is the wire-format protocol list to offer (none when empty).
  error_code tls_handshake(const std::string& host, const std::string& sni,
                           const std::string& alpn = {},
                           std::chrono::milliseconds deadline = default_deadline) {
    static_assert(Tls);
    auto& tls = ws.next_layer();
    if (!sni.empty())
      SSL_set_tlsext_host_name(tls.native_handle(), sni.c_str());
    if (!alpn.empty())
      SSL_set_alpn_protos(tls.native_handle(), reinterpret_cast<const unsigned char*>(alpn.data()),
                          static_cast<unsigned>(alpn.size()));
    tls.set_verify_callback(ssl::host_name_verification{host});
    return run([&](auto h) { tls.async_handshake(ssl::stream_base::client, std::move(h)); },
               deadline);
  }

  /// The WebSocket upgrade; `decorate` adds request headers, `response` receives the answer.
  template <class Decorate = void (*)(websocket::request_type&)>
  error_code upgrade(
      const std::string& host, const std::string& target,
      websocket::response_type* response = nullptr,
      Decorate decorate = [](websocket::request_type&) {},
      std::chrono::milliseconds deadline = default_deadline) {
    ws.set_option(websocket::stream_base::decorator(decorate));
    websocket::response_type ignored;
    auto& res = response ? *response : ignored;
    return run([&](auto h) { ws.async_handshake(res, host, target, std::move(h)); }, deadline);
  }

  error_code write(const std::string& data, bool binary = false,
                   std::chrono::milliseconds deadline = default_deadline) {
    ws.binary(binary);
    return run([&](auto h) { ws.async_write(net::buffer(data), std::move(h)); }, deadline);
  }

  message read(std::chrono::milliseconds deadline = default_deadline) {
    message m;
    m.ec = run([&](auto h) { ws.async_read(buffer, std::move(h)); }, deadline);
    m.data = beast::buffers_to_string(buffer.data());
    m.binary = ws.got_binary();
    buffer.consume(buffer.size());
    return m;
  }

  error_code close(std::uint16_t code, const std::string& reason = {},
                   std::chrono::milliseconds deadline = default_deadline) {
    websocket::close_reason cr{code};
    cr.reason.assign(reason.data(), reason.size());
    return run([&](auto h) { ws.async_close(cr, std::move(h)); }, deadline);
  }

  /// Bytes straight from the stream under the WebSocket layer (exactly `n` of them).
  std::pair<error_code, std::string>
  read_raw(std::size_t n, std::chrono::milliseconds deadline = default_deadline) {
    std::string bytes(n, '\0');
    auto ec =
        run([&](auto h) { net::async_read(ws.next_layer(), net::buffer(bytes), std::move(h)); },
            deadline);
    return {ec, bytes};
  }

  /// Bytes straight onto the stream under the WebSocket layer.
  error_code write_raw(const std::string& bytes,
                       std::chrono::milliseconds deadline = default_deadline) {
    return run([&](auto h) { net::async_write(ws.next_layer(), net::buffer(bytes), std::move(h)); },
               deadline);
  }
};

/// A masked client close frame built byte by byte (what Beast's close would send, without
/// Beast's close operation, which discards the data frames that arrive before the answer).
inline std::string masked_close_frame(std::uint16_t code) {
  const unsigned char key[4] = {0x11, 0x22, 0x33, 0x44};
  std::string f;
  f += static_cast<char>(0x88);
  f += static_cast<char>(0x80 | 2);
  for (unsigned char k : key)
    f += static_cast<char>(k);
  f += static_cast<char>((code >> 8) ^ key[0]);
  f += static_cast<char>((code & 0xff) ^ key[1]);
  return f;
}

} // namespace zenws_test
