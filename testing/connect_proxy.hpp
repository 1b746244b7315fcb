#pragma once
/// @file
/// A tiny HTTP CONNECT proxy on 127.0.0.1 for tests of a client's proxy support: it accepts
/// `CONNECT host:port HTTP/1.1`, optionally demands Basic credentials, opens the upstream TCP
/// connection and then relays bytes both ways, so a ws:// or wss:// connection runs through it
/// unchanged (TLS is end to end; the proxy sees only the CONNECT request).
///
/// @par Thread safety
/// The proxy runs its own io thread. Every member function may be called from any thread.
///
/// @par Example
/// @code
/// zenws::testing::connect_proxy proxy{{zenws::testing::proxy_credentials{"user", "secret"}}};
/// // point the client at 127.0.0.1:proxy.port(), then connect it to server.url() ...
/// REQUIRE(proxy.wait_for_tunnels(1, 2s));
/// CHECK(proxy.targets().front() == "127.0.0.1:" + std::to_string(server.port()));
/// @endcode

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace zenws::testing {

/// The user name and password a proxy demands (HTTP Basic, RFC 7617).
struct proxy_credentials {
  std::string username;
  std::string password;
};

/// Proxy settings fixed at construction.
struct proxy_options {
  /// Demand `Proxy-Authorization: Basic base64(username:password)`; a CONNECT without it, or
  /// with other credentials, is answered 407 with `Proxy-Authenticate: Basic realm="zenws"`.
  /// nullopt (the default): no authentication, any Proxy-Authorization header is ignored.
  std::optional<proxy_credentials> credentials;
};

/// An HTTP CONNECT proxy on 127.0.0.1 with an ephemeral port. Stops and joins its io thread in
/// the destructor, closing every tunnel.
///
/// One CONNECT per client connection. The answers, each ending the connection except the 200:
/// @li 400 Bad Request: not a CONNECT request, or no host:port target.
/// @li 407 Proxy Authentication Required: credentials demanded and missing or wrong.
/// @li the status set with refuse(), when set.
/// @li 502 Bad Gateway: the target could not be resolved or connected.
/// @li 200 Connection established: then bytes flow both ways until each side has closed (an
///     end of stream from one side is passed on as a TCP shutdown to the other) or either
///     fails (both are then closed).
class connect_proxy {
public:
  /// Listens before it returns.
  /// @throws boost::system::system_error when it cannot listen.
  explicit connect_proxy(proxy_options options = {});
  ~connect_proxy();
  connect_proxy(const connect_proxy&) = delete;
  connect_proxy& operator=(const connect_proxy&) = delete;

  /// The proxy's port on 127.0.0.1.
  std::uint16_t port() const;

  /// Answers every later CONNECT with this HTTP status (403, 503, ...) instead of tunnelling;
  /// 0 tunnels again. Checked after the credentials, as a real proxy would.
  void refuse(unsigned status);

  // -- observation -------------------------------------------------------------------------------

  /// Tunnels established so far (the 200 was sent).
  std::size_t tunnels() const;
  /// Waits until `count` tunnels have been established in total; false on timeout.
  bool wait_for_tunnels(std::size_t count, std::chrono::milliseconds timeout);
  /// The targets of every CONNECT request so far ("host:port" as sent), refused ones included.
  std::vector<std::string> targets() const;
  /// True once any CONNECT request carried a Proxy-Authorization header (right or wrong).
  bool received_authorization() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace zenws::testing
